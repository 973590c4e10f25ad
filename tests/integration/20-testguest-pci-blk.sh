#!/usr/bin/env bash
# KVM level: the test guest enumerates PCI through 0xCF8/0xCFC, finds the virtio-blk function and
# its capabilities, reads sector 0 (CRC compared with the host's) and writes a sector that the
# host then finds in the image after exit.
source "$(dirname "$0")/lib.sh"
require_kvm

python3 - "$TMP/disk.img" <<'PY'
import os, sys
d = bytearray(os.urandom(1 << 20))
d[0:16] = b'MICROVM-DISK-0!!'
open(sys.argv[1], 'wb').write(d)
PY
crc=$(python3 -c "import zlib,sys; print('0x%08x' % zlib.crc32(open(sys.argv[1],'rb').read(512)))" "$TMP/disk.img")

write_config "$TMP/vm.toml" "$TESTGUEST" '[[disk]]' "path = \"$TMP/disk.img\"" 'id = "disk0"'
run_vm scan 30 run --config "$TMP/vm.toml" --cmdline "test=pci-scan,blk-read"
expect_status 0
expect_console '^pci: 00:00.0 8086:0d57 class=060000'
expect_console '^pci: 00:01.0 1af4:1042'
for t in 1 2 3 4; do expect_console "^pci-cap: cfg_type=$t bar=2"; done
expect_console '^PASS: pci-scan'
expect_console '^blk: capacity=2048'
expect_console "^blk: sector0 crc32=$crc"
expect_console '^PASS: blk-read'
pass "PCI scan and virtio-blk sector 0 (crc $crc)"

run_vm write 30 run --config "$TMP/vm.toml" --cmdline "test=blk-write=7"
expect_status 0
expect_console '^PASS: blk-write'
python3 - "$TMP/disk.img" <<'PY' || fail "sector 7 does not hold the guest's pattern"
import sys
d = open(sys.argv[1], 'rb').read()
assert d[7 * 512:8 * 512] == b'MICROVM!' * 64, d[7 * 512:7 * 512 + 16]
assert d[0:16] == b'MICROVM-DISK-0!!'
PY
pass "guest write reached the image"

write_config "$TMP/ro.toml" "$TESTGUEST" '[[disk]]' "path = \"$TMP/disk.img\"" 'readonly = true'
run_vm ro 30 run --config "$TMP/ro.toml" --cmdline "test=blk-write=9"
expect_status 0
expect_console '^FAIL: blk-write'
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); sys.exit(d[9*512:9*512+8] == b'MICROVM!')" "$TMP/disk.img" ||
	fail "read-only disk was written"
pass "read-only disk refuses the write"
