#!/usr/bin/env bash
# End to end, control API against the Linux guest kit with virtio-fs DAX (microvm-virtiofsd
# --cache-size): while the guest has read host.bin (5,000,000 bytes) and changed.bin (3,000,000)
# through DAX (guest/tests/dax.sh, stopped at its "waiting for host change" step), vm.shm must
# list live 2 MiB mappings of exactly those files (dev/ino of the host files, fd offsets
# covering them), read-only, inside the 256 MiB window; ping/info/counters answer; vm.shutdown
# (sent as soon as the guest goes on after resume) ends the VM (status 0) and
# the back-end keeps its connection until then. A pause holds the guest before the step that
# waits for a host file: it must not see the file until resumed.
source "$(dirname "$0")/lib.sh"
require_kvm
require_linux_kit
make_share 5000000
head -c 3000000 /dev/urandom >"$TMP/share/changed.bin"
SOCK="$TMP/api.sock"
start_dax_vfsd
trap 'kill -9 $VPID 2>/dev/null; cleanup_tmp' EXIT

CMDLINE="$LINUX_CMDLINE microvm.test=dax microvm.fs.tag=daxshare microvm.fs.expect=host.bin microvm.fs.changed=changed.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "daxshare"' 'cache_size = "256M"' \
	'[api]' "socket = \"$SOCK\""
start_vm linux "${LINUX_TIMEOUT:-1500}" run --config "$TMP/vm.toml" --cmdline "$CMDLINE" -v
for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
api() { curl -s --max-time 10 --unix-socket "$SOCK" -X "$1" "http://localhost/api/v1/$2"; }
api GET vmm.ping | grep -q '"version"' || fail "vmm.ping while booting"
# the boot takes ~25 s alone on this CI, minutes when the host is shared: wait up to the timeout
for _ in $(seq $((2 * ${LINUX_TIMEOUT:-1500}))); do
	grep -q '^dax: waiting for host change of changed\.bin' "$LAST.console" && break
	kill -0 "$VM_PID" 2>/dev/null || break
	sleep 0.5
done
await_console '^dax: waiting for host change of changed\.bin' "guest never reached the DAX wait"

info=$(api GET vm.info) || fail "vm.info"
python3 -c "
import json, sys
j = json.loads(sys.argv[1])
assert j['state'] == 'Running', j
assert j['config']['fs'][0]['tag'] == 'daxshare' and j['config']['fs'][0]['cache_size'] == 256 << 20, j
assert any(d['kind'] == 'vhost-user-fs' for d in j['device_tree'].values()), j" "$info" ||
	fail "vm.info: $info"

# vm.shm: the guest's DAX reads set up 2 MiB read-only mappings of exactly its two files.
shm=$(api GET vm.shm) || fail "vm.shm"
python3 - "$shm" "$(stat -c '%d %i' "$TMP/share/host.bin")" \
	"$(stat -c '%d %i' "$TMP/share/changed.bin")" <<'EOF' || fail "vm.shm during DAX: $shm"
import json, sys
j = json.loads(sys.argv[1])
dev_h, ino_h = map(int, sys.argv[2].split())
dev_c, ino_c = map(int, sys.argv[3].split())
M = 2 << 20
(d,) = j["devices"]
(r,) = d["regions"]
assert r["shm_id"] == 0 and r["size"] == 256 << 20 and r["gpa"] is not None, r
maps = r["mappings"]
files = {ino_h: (dev_h, 5000000), ino_c: (dev_c, 3000000)}
seen = {ino_h: set(), ino_c: set()}
for m in maps:
    assert m["ino"] in files, "mapping of an unexpected file: %s" % m
    dev, size = files[m["ino"]]
    assert m["dev"] == dev, m
    assert m["len"] == M and m["shm_offset"] % M == 0 and m["shm_offset"] + M <= r["size"], m
    assert m["fd_offset"] % M == 0 and m["fd_offset"] < size, m
    assert m["mode"] == "ro", "a read set up a writable mapping: %s" % m
    seen[m["ino"]].add(m["fd_offset"])
assert seen[ino_h] == {0, M, 2 * M}, "host.bin chunks %s" % sorted(seen[ino_h])
assert seen[ino_c] == {0, M}, "changed.bin chunks %s" % sorted(seen[ino_c])
offs = sorted(m["shm_offset"] for m in maps)
assert len(offs) == len(set(offs)), "duplicate window offsets"
c = r["counters"]
assert c["live"] == len(maps) and c["maps"] >= len(maps), c
print("vm.shm: %d live DAX mappings, %d maps, %d unmaps" % (len(maps), c["maps"], c["unmaps"]))
EOF
"$MICROVM" ctl "$SOCK" shm || fail "ctl shm"

# pause: the guest makes no progress (it does not see the ready file, the vCPU exit counters
# stand still); resume: it sees the file and goes on. The back-end stays connected.
exits() { api GET vm.counters | python3 -c "import json,sys; print(sum(v['exits'] for v in json.load(sys.stdin)['vcpus']))"; }
[ "$(api PUT vm.pause; echo $?)" = 0 ] || fail "pause"
[ "$(api GET vm.info | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = Paused ] ||
	fail "state is not Paused"
touch "$TMP/share/changed.bin.ready"
a=$(exits); sleep 3; b=$(exits)
[ "$a" -eq "$b" ] || fail "vCPU exits advanced while paused ($a -> $b)"
expect_no_console '^dax: changed.bin after'
"$MICROVM" ctl "$SOCK" counters | grep -E '^(virtio-fs|vcpu)' || fail "ctl counters"
api GET vm.counters | grep -q '"state":"connected"' || fail "back-end not connected while paused"
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$SOCK" -X PUT \
	http://localhost/api/v1/vm.power-button)
[ "$st" = 204 ] || fail "power-button: HTTP $st (ACPI is on by default)"
"$MICROVM" ctl "$SOCK" resume || fail "resume"
await_console '^dax: changed.bin after' "the guest did not go on after resume"
api PUT vm.shutdown || fail "shutdown"
wait_vm
expect_status 0
[ ! -e "$SOCK" ] || fail "socket left behind"
grep -q seccomp "$LAST.err" && fail "seccomp report: $(grep seccomp "$LAST.err")"
expect_backend_exit $VPID "$TMP/vfsd.log"
pass "control API under a Linux guest with DAX: live mappings match the guest's reads; pause/resume; shutdown"
