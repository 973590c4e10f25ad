#!/usr/bin/env bash
# End to end, the headline: microvm boots the Linux guest kit with [[vhost_user_fs]] cache_size
# against microvm-virtiofsd --cache-size; the guest mounts with -o dax=always, /proc/mounts shows
# dax, it reads a host file (sha256 compared with the host's), writes a file with write() and
# through a shared mmap() (guest/tests/dax.sh), unmounts. Then: the daemon's counters show
# SETUPMAPPING and REMOVEMAPPING traffic and no live mapping left, and the host file is unchanged.
source "$(dirname "$0")/lib.sh"
require_kvm
require_linux_kit
make_share 5000000
# A file the host rewrites in place while the guest has it mapped through DAX.
head -c 3000000 /dev/urandom >"$TMP/share/changed.bin"
before=$(sha256sum "$TMP/share/changed.bin" | cut -d' ' -f1)
head -c 3000000 /dev/urandom >"$TMP/new.bin"
after=$(sha256sum "$TMP/new.bin" | cut -d' ' -f1)
start_dax_vfsd
trap 'kill -9 $VPID 2>/dev/null; cleanup_tmp' EXIT

BASE="$LINUX_CMDLINE"
CMDLINE="$BASE microvm.test=dax microvm.fs.tag=daxshare microvm.fs.expect=host.bin microvm.fs.changed=changed.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "daxshare"' 'cache_size = "256M"'
# Run in the background: when the guest says it waits, the host rewrites changed.bin in place.
start_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml" --cmdline "$CMDLINE" -v
await_console '^dax: waiting for host change of changed\.bin' "guest never waited for the host change"
dd if="$TMP/new.bin" of="$TMP/share/changed.bin" conv=notrunc status=none
touch "$TMP/share/changed.bin.ready"
wait_vm
expect_console "^dax: changed.bin before sha256 $before"
expect_console "^dax: changed.bin after sha256 $after"
rm -f "$TMP/share/changed.bin" "$TMP/share/changed.bin.ready"
# microvm's own counters: every DAX mapping was removed before the VM stopped.
expect_err 'shm region 0 at exit: 0 live mappings, [1-9][0-9]* maps, [1-9][0-9]* unmaps'
grep -o 'shm region 0 at exit: .*' "$LAST.err"
expect_console 'MICROVM-TEST-DONE'
expect_no_console '^FAIL'
expect_console '^PASS: mount virtiofs daxshare -o dax=always'
expect_console '^PASS: /proc/mounts shows dax'
expect_console "^dax: host.bin sha256 $SHARE_SUM"
for t in "write\\(\\)" "read back" "mmap write into" "read mmap-written data" "mmap write past" \
	"read data past" "delete" "umount /mnt"; do
	expect_console "^PASS: $t"
done
expect_status 0
# The daemon exits when microvm disconnects and prints its counters.
expect_backend_exit $VPID "$TMP/vfsd.log"
stats=$(grep 'stats:' "$TMP/vfsd.log") || fail "no stats line: $(tail -5 "$TMP/vfsd.log")"
echo "$stats"
setup=$(echo "$stats" | sed -E 's/.*setupmapping ([0-9]+).*/\1/')
removed=$(echo "$stats" | sed -E 's/.*removemapping ([0-9]+).*/\1/')
live=$(echo "$stats" | sed -E 's/.*live_mappings ([0-9]+).*/\1/')
[ "$setup" -gt 0 ] || fail "no SETUPMAPPING traffic"
[ "$removed" -gt 0 ] || fail "no REMOVEMAPPING traffic"
[ "$live" -eq 0 ] || fail "$live DAX mappings left after unmount"
expect_share_untouched
pass "Linux guest used microvm-virtiofsd with DAX ($setup SETUPMAPPING, $removed ranges removed)"
