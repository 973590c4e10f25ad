#!/usr/bin/env bash
# Back-end death under a running Linux guest: Debian's virtiofsd serves a share the guest writes
# to in a loop; the host kills it (SIGKILL) mid-I/O. microvm logs the loss once, sets the device's
# DEVICE_NEEDS_RESET (the guest reads it from the status register), and keeps running: the guest
# reads /dev/vda (checksum compared with the host's) and writes a pattern the host finds in the
# image, then resets (without sync: Linux's virtio-fs waits forever for the lost write) and
# microvm exits 0.
source "$(dirname "$0")/lib.sh"
require_kvm
require_linux_kit
VIRTIOFSD=/usr/lib/qemu/virtiofsd
[ -x "$VIRTIOFSD" ] || fail "$VIRTIOFSD is missing (package qemu-system-common)"
OFF=777777
PAT=MICROVM-FSDEATH-$$

make_share 100000
python3 -c "import os,sys; open(sys.argv[1],'wb').write(os.urandom(8 << 20))" "$TMP/disk.img"
want=$(head -c 4096 "$TMP/disk.img" | sha256sum | cut -d' ' -f1)
"$VIRTIOFSD" --socket-path="$TMP/vfsd.sock" -o source="$TMP/share" -o cache=none \
	-o sandbox=chroot >"$TMP/virtiofsd.log" 2>&1 &
VFSD=$!
VM_PID=
trap 'kill -9 $VFSD $VM_PID 2>/dev/null; cleanup_tmp' EXIT

CMDLINE="$LINUX_CMDLINE microvm.test=fsdeath microvm.fs.tag=hostshare"
CMDLINE="$CMDLINE microvm.blk.offset=$OFF microvm.blk.pattern=$PAT"
MEMORY=256M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "hostshare"' \
	'[[disk]]' "path = \"$TMP/disk.img\""
start_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml"
await_console '^fsdeath: kill the back-end now' "the guest never got to the kill point"
kill -9 $VFSD; wait $VFSD 2>/dev/null
wait_vm
expect_console 'MICROVM-TEST-DONE'
expect_no_console '^FAIL'
for t in "mount virtiofs hostshare" "writes keep reaching the share" \
	"virtio-fs status shows DEVICE_NEEDS_RESET" \
	"write pattern to /dev/vda after the back-end died"; do
	expect_console "^PASS: $t"
done
expect_console "^fsdeath: vda first 4 KiB sha256 $want"
expect_status 0
lost=$(grep -c 'vhost-user back-end at .* lost: .*device needs reset' "$LAST.err")
[ "$lost" -eq 1 ] || fail "expected the loss logged once, found $lost lines"
grep 'lost:' "$LAST.err"
got=$(dd if="$TMP/disk.img" bs=1 skip=$OFF count=${#PAT} 2>/dev/null)
[ "$got" = "$PAT" ] || fail "the image lacks the guest's pattern at $OFF (found '$got')"
pass "virtiofsd killed under guest I/O: NEEDS_RESET seen by Linux, loss logged once, disk kept working, exit 0"
