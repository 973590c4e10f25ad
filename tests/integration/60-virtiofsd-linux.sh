#!/usr/bin/env bash
# KVM + Linux guest kit: the guest mounts a share served by microvm-virtiofsd (no DAX window),
# reads a host file (sha256 compared), creates, writes, reads back, appends, lists, renames,
# mkdir/rmdir and deletes files (guest/tests/virtiofs.sh); the host directory is compared after
# the guest exits and the daemon exits 0 when microvm disconnects.
source "$(dirname "$0")/lib.sh"
require_kvm
VFSD="$BUILD/microvm-virtiofsd"
[ -x "$VFSD" ] || fail "$VFSD is not built"
require_linux_kit
make_share 100000
"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag hostshare --threads 2 \
	>"$TMP/vfsd.log" 2>&1 &
VPID=$!
trap 'kill -9 $VPID 2>/dev/null; cleanup_tmp' EXIT

BASE="$LINUX_CMDLINE"
CMDLINE="$BASE microvm.test=virtiofs microvm.fs.tag=hostshare microvm.fs.expect=host.bin"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "hostshare"' \
	'num_request_queues = 2'
run_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml"
expect_virtiofs_ops hostshare
expect_status 0
expect_backend_exit $VPID "$TMP/vfsd.log"
grep 'stats:' "$TMP/vfsd.log"
expect_share_untouched
pass "Linux guest used the microvm-virtiofsd share (2 request queues)"
