#!/usr/bin/env bash
# KVM + Linux guest kit: the guest mounts a share served by microvm-virtiofsd (no DAX window),
# reads a host file (sha256 compared), creates, writes, reads back, appends, lists, renames,
# mkdir/rmdir and deletes files (guest/tests/virtiofs.sh); the host directory is compared after
# the guest exits and the daemon exits 0 when microvm disconnects.
source "$(dirname "$0")/lib.sh"
require_kvm
VFSD="$BUILD/microvm-virtiofsd"
KERNEL="$GUEST_KIT/vmlinux"
INITRD="$GUEST_KIT/initramfs.cpio"   # uncompressed: inflate is minutes of emulated time
[ -x "$VFSD" ] || fail "$VFSD is not built"
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || fail "guest kit not built (make guest-kit)"

mkdir -p "$TMP/share"
head -c 100000 /dev/urandom >"$TMP/share/host.bin"
want=$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)
"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag hostshare --threads 2 \
	>"$TMP/vfsd.log" 2>&1 &
VPID=$!
trap 'kill -9 $VPID 2>/dev/null; rm -rf "$TMP"' EXIT

BASE="$LINUX_CMDLINE"
CMDLINE="$BASE microvm.test=virtiofs microvm.fs.tag=hostshare microvm.fs.expect=host.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "hostshare"' \
	'num_request_queues = 2'
run_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml"
expect_console 'MICROVM-TEST-DONE'
expect_no_console '^FAIL'
expect_console '^PASS: mount virtiofs hostshare'
expect_console "^fs: host.bin sha256 $want"
for t in "create and write" "read back" "append to" "list shows" "rename" "new name present" \
	"mkdir" "rmdir" "delete renamed file" "umount /mnt"; do
	expect_console "^PASS: $t"
done
expect_status 0
for _ in $(seq 1 50); do kill -0 $VPID 2>/dev/null || break; sleep 0.1; done
kill -0 $VPID 2>/dev/null && fail "microvm-virtiofsd still running after microvm exited"
wait $VPID; st=$?
[ "$st" -eq 0 ] || { cat "$TMP/vfsd.log"; fail "microvm-virtiofsd exit status $st"; }
grep 'stats:' "$TMP/vfsd.log"
[ "$(ls -A "$TMP/share")" = "host.bin" ] || fail "share holds: $(ls -A "$TMP/share" | tr '\n' ' ')"
[ "$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)" = "$want" ] || fail "host.bin changed"
pass "Linux guest used the microvm-virtiofsd share (2 request queues)"
