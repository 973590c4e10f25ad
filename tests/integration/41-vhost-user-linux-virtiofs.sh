#!/usr/bin/env bash
# KVM + Linux guest kit: the guest mounts a virtio-fs share served by Debian 12's virtiofsd through
# [[vhost_user_fs]], sees a host file, creates, writes, reads back, appends, lists, renames and
# deletes files (guest/tests/virtiofs.sh), leaves one file behind; the host directory is compared
# after the guest exits.
source "$(dirname "$0")/lib.sh"
require_kvm
VIRTIOFSD=/usr/lib/qemu/virtiofsd
KERNEL="$GUEST_KIT/vmlinux"
INITRD="$GUEST_KIT/initramfs.cpio"   # uncompressed: inflate is minutes of emulated time
[ -x "$VIRTIOFSD" ] || fail "$VIRTIOFSD is missing (package qemu-system-common)"
[ -f "$KERNEL" ] && [ -f "$INITRD" ] || fail "guest kit not built (make guest-kit)"

mkdir -p "$TMP/share"
head -c 100000 /dev/urandom >"$TMP/share/host.bin"
want=$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)
"$VIRTIOFSD" --socket-path="$TMP/vfsd.sock" -o source="$TMP/share" -o cache=auto \
	-o sandbox=chroot >"$TMP/virtiofsd.log" 2>&1 &
VFSD=$!
trap 'kill -9 $VFSD 2>/dev/null; rm -rf "$TMP"' EXIT

BASE="$LINUX_CMDLINE"
CMDLINE="$BASE microvm.test=virtiofs microvm.fs.tag=hostshare microvm.fs.expect=host.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "hostshare"'
# initrd belongs to [kernel]: write_config puts extra lines after cmdline, still in [kernel].
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
# After the guest exits: only the host's file is left, unchanged.
[ "$(ls -A "$TMP/share")" = "host.bin" ] || fail "share holds: $(ls -A "$TMP/share" | tr '\n' ' ')"
[ "$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)" = "$want" ] || fail "host.bin changed"
pass "Linux guest used the virtiofsd share (create/write/read/append/list/rename/mkdir/delete)"
