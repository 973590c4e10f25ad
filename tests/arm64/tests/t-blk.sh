# virtio-blk (virtio-pci, MSI-X through the GICv3 ITS) with the stock virtio_blk module: the
# guest's sha256 of the disk equals L1's, the guest writes a pattern at an odd offset and reads
# it back, and the image holds it afterwards; poweroff -> status 0.
. /lane/lib.sh
require_kvm
SIZE=$((4 << 20)) OFF=1234567 PAT=MICROVM-ARM64-$$
dd if=/dev/urandom of="$TMP/disk.img" bs=1M count=4 2>/dev/null
want=$(sha256sum "$TMP/disk.img" | cut -d' ' -f1)
write_config "$TMP/blk.toml" 1 256M '[[disk]]' "path = \"$TMP/disk.img\""
run_vm blk "$TMP/blk.toml" "l2.test=blk l2.blk.size=$SIZE l2.blk.offset=$OFF l2.blk.pattern=$PAT"
l2_ok
expect_console "^l2: vda sha256 $want"
expect_console '^PASS: read back pattern'
expect_status 0
got=$(dd if="$TMP/disk.img" bs=1 skip=$OFF count=${#PAT} 2>/dev/null)
[ "$got" = "$PAT" ] || fail "the image lacks the guest's pattern at $OFF (found '$got')"
pass "virtio-blk: 4 MiB sha256 matches, guest write at $OFF reached the image ($VM_SECS s)"
