#!/usr/bin/env bash
# KVM + Linux guest kit: the guest mounts a virtio-fs share served by Debian 12's virtiofsd through
# [[vhost_user_fs]], sees a host file, creates, writes, reads back, appends, lists, renames and
# deletes files (guest/tests/virtiofs.sh), leaves one file behind; the host directory is compared
# after the guest exits.
source "$(dirname "$0")/lib.sh"
require_kvm
VIRTIOFSD=/usr/lib/qemu/virtiofsd
[ -x "$VIRTIOFSD" ] || fail "$VIRTIOFSD is missing (package qemu-system-common)"
require_linux_kit
make_share 100000
"$VIRTIOFSD" --socket-path="$TMP/vfsd.sock" -o source="$TMP/share" -o cache=auto \
	-o sandbox=chroot >"$TMP/virtiofsd.log" 2>&1 &
VFSD=$!
trap 'kill -9 $VFSD 2>/dev/null; cleanup_tmp' EXIT

BASE="$LINUX_CMDLINE"
CMDLINE="$BASE microvm.test=virtiofs microvm.fs.tag=hostshare microvm.fs.expect=host.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "hostshare"'
# initrd belongs to [kernel]: write_config puts extra lines after cmdline, still in [kernel].
run_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml"
expect_virtiofs_ops hostshare
expect_status 0
expect_share_untouched
pass "Linux guest used the virtiofsd share (create/write/read/append/list/rename/mkdir/delete)"
