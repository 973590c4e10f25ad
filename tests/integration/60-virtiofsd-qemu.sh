#!/usr/bin/env bash
# Interop: QEMU (Debian's 7.2, TCG: it cannot boot a kernel on this KVM) as the vhost-user-fs
# front-end of microvm-virtiofsd. The Linux guest kit runs guest/tests/virtiofs.sh on the share
# (read a host file, create/write/append/rename/mkdir/delete); the host directory is compared
# afterwards and the daemon must exit 0 when QEMU disconnects. Guests of 256M (2 memory
# regions) and 3G (3 regions). No DAX: QEMU 7.2 predates the
# SHMEM protocol feature.
source "$(dirname "$0")/lib.sh"
VFSD="$BUILD/microvm-virtiofsd"
QEMU=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 missing (package qemu-system-x86)"
[ -x "$VFSD" ] || fail "$VFSD is not built"
require_linux_kit
make_share 100000
trap 'kill -9 $VPID 2>/dev/null; cleanup_tmp' EXIT
VPID=
# 256M: 2 memory regions; 3G: 3 (RAM split at 640K and at the PCI hole).
for mem in 256M 3G; do
	"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag hostshare \
		>"$TMP/vfsd-$mem.log" 2>&1 &
	VPID=$!
	for _ in $(seq 1 50); do [ -S "$TMP/vfsd.sock" ] && break; sleep 0.1; done

	BASE="$LINUX_CMDLINE"
	LAST="$TMP/qemu-$mem"
	timeout -k 5 "${LINUX_TIMEOUT:-600}" "$QEMU" -M q35 -accel tcg -m "$mem" \
		-object memory-backend-memfd,id=mem,size="$mem",share=on -numa node,memdev=mem \
		-chardev socket,id=vfs,path="$TMP/vfsd.sock" \
		-device vhost-user-fs-pci,chardev=vfs,tag=hostshare \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "$BASE microvm.test=virtiofs microvm.fs.tag=hostshare microvm.fs.expect=host.bin" \
		-nographic -no-reboot -display none -monitor none -serial "file:$LAST.console" \
		</dev/null >"$LAST.err" 2>&1
	VM_STATUS=$?
	[ "$VM_STATUS" -ne 124 ] || fail "QEMU did not stop in time"
	expect_virtiofs_ops hostshare
	expect_backend_exit $VPID "$TMP/vfsd-$mem.log"
	expect_share_untouched
done
pass "QEMU 7.2 vhost-user-fs-pci front-end (256M and 3G guests) used microvm-virtiofsd"
