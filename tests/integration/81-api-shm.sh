#!/usr/bin/env bash
# KVM level, control API vm.shm / vm.counters with a live shared memory region: a generic
# [[vhost_user]] device backed by vu_shm_backend (shmid 0 = 16 MiB) maps two memfds (RW at 0,
# RO at 4 MiB, RW at 8 MiB from fd offset 2 MiB) and sends two requests the region refuses
# (overlap, unmap of nothing). vm.shm must list exactly those mappings (offsets, lengths, modes,
# the memfds' dev/ino, fd offsets), the region's GPA as the guest found it, and the counters
# (maps, refusals by reason); after the back-end unmaps one, vm.shm follows.
source "${LIBSH:-$(dirname "$0")/lib.sh}"
require_kvm
BACKEND="$BUILD/tests/backends/vu_shm_backend"
[ -x "$BACKEND" ] || fail "$BACKEND is not built"
SOCK="$TMP/api.sock"

cat >"$TMP/script" <<EOT
memfd a 4M 0x1111
memfd b 2M 0x2222
map 0 0 0x200000 a 0 rw ok 10000
map 0 0x400000 0x200000 b 0 ro
map 0 0x800000 0x200000 a 0x200000 rw
map 0 0x100000 0x200000 b 0 rw fail
unmap 0 0xc00000 0x200000 fail
touch $TMP/mapped
wait-file $TMP/checked 60000
unmap 0 0x400000 0x200000
touch $TMP/unmapped
EOT
"$BACKEND" --socket "$TMP/vu.sock" --sizes 0=16M --script "$TMP/script" >"$TMP/backend.out" 2>&1 &
BPID=$!
trap 'kill -9 $BPID 2>/dev/null; cleanup_tmp' EXIT
for i in $(seq 100); do [ -S "$TMP/vu.sock" ] && break; sleep 0.05; done

write_config "$TMP/vm.toml" "$TESTGUEST" '[[vhost_user]]' "socket = \"$TMP/vu.sock\"" \
	'virtio_id = 42' 'num_queues = 1' '[api]' "socket = \"$SOCK\""
start_vm shm 120 run --config "$TMP/vm.toml" --cmdline "test=shm-read=0:1000,tick"
await_console '^tick: 3$' "the guest did not start ticking"
for i in $(seq 200); do [ -e "$TMP/mapped" ] && break; sleep 0.05; done
[ -e "$TMP/mapped" ] || fail "the back-end did not finish its mappings: $(cat "$TMP/backend.out")"
base=$(console_value '^shm: id=0 base=(0x[0-9a-f]+) .*')
[ -n "$base" ] || fail "the guest did not report the region's base"

# memfd dev/ino, from the back-end's descriptors
ids() {
	for f in /proc/$BPID/fd/*; do
		case "$(readlink "$f")" in "/memfd:$1 "*) stat -L -c '%d %i' "$f"; return ;; esac
	done
}
read -r dev_a ino_a <<<"$(ids a)"
read -r dev_b ino_b <<<"$(ids b)"
[ -n "$ino_a" ] && [ -n "$ino_b" ] || fail "cannot find the back-end's memfds"

check_shm() { # check_shm JSON EXPECTED-MAPPINGS EXPECTED-UNMAPS
	python3 - "$1" "$2" "$3" "$base" <<'EOF' || fail "vm.shm: $1"
import json, sys
j, want, unmaps, base = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 16)
devs = j["devices"]
assert len(devs) == 1 and devs[0]["device"].startswith("vhost-user"), devs
(r,) = devs[0]["regions"]
assert r["shm_id"] == 0 and r["size"] == 16 << 20 and r["gpa"] == base, r
got = [[m["shm_offset"], m["len"], m["mode"], m["dev"], m["ino"], m["fd_offset"]] for m in r["mappings"]]
assert got == want, "mappings %s, want %s" % (got, want)
c = r["counters"]
assert c["maps"] == 3 and c["unmaps"] == unmaps and c["live"] == len(want), c
assert c["refused"] == 2 and c["refused_by_reason"]["overlap"] == 1, c
assert c["refused_by_reason"]["no_mapping"] == 1, c
EOF
}
M=2097152
want="[[0,$M,\"rw\",$dev_a,$ino_a,0],[$((2 * M)),$M,\"ro\",$dev_b,$ino_b,0],[$((4 * M)),$M,\"rw\",$dev_a,$ino_a,$M]]"
out=$(curl -s --max-time 10 --unix-socket "$SOCK" http://localhost/api/v1/vm.shm) || fail "curl vm.shm"
check_shm "$out" "$want" 0
"$MICROVM" ctl "$SOCK" shm | tee "$TMP/ctl.out"
grep -Eq "^vhost-user[^ ]+ +0 +$base +0x1000000 +maps=3 unmaps=0 live=3 refused=2 \(overlap=1 no_mapping=1\)$" \
	"$TMP/ctl.out" || fail "ctl shm table"
[ "$(grep -c ' rw \| ro ' "$TMP/ctl.out")" -eq 3 ] || fail "ctl shm: not 3 mapping rows"
out=$(curl -s --max-time 10 --unix-socket "$SOCK" http://localhost/api/v1/vm.counters) ||
	fail "curl vm.counters"
python3 -c "
import json, sys
d = [v for k, v in json.loads(sys.argv[1])['devices'].items() if k.startswith('vhost-user')][0]
assert d['vhost_user']['state'] == 'connected', d
assert d['vhost_user']['backend_requests'] >= 5 and d['vhost_user']['refused'] >= 2, d
assert d['shm'][0]['live'] == 3, d" "$out" || fail "vm.counters: $out"

touch "$TMP/checked"
for i in $(seq 200); do [ -e "$TMP/unmapped" ] && break; sleep 0.05; done
[ -e "$TMP/unmapped" ] || fail "the back-end did not unmap"
want="[[0,$M,\"rw\",$dev_a,$ino_a,0],[$((4 * M)),$M,\"rw\",$dev_a,$ino_a,$M]]"
out=$(curl -s --max-time 10 --unix-socket "$SOCK" http://localhost/api/v1/vm.shm) || fail "curl vm.shm"
check_shm "$out" "$want" 1

curl -s -X PUT --max-time 10 --unix-socket "$SOCK" http://localhost/api/v1/vm.shutdown ||
	fail "shutdown"
wait_vm
expect_status 0
wait "$BPID"; BSTATUS=$?
[ "$BSTATUS" -eq 0 ] || fail "back-end script failed ($BSTATUS): $(cat "$TMP/backend.out")"
pass "vm.shm lists the back-end's live mappings (offsets, modes, dev/ino, fd offsets), GPA and refusals"
