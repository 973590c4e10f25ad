#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the test guest under Debian's QEMU (TCG by default, ACCEL=kvm to use /dev/kvm) and checks
# its output: an independent reference for the boot paths, PCI scan and virtio-blk driver.
#   tests/guest/qemu-check.sh            (after `make test-guest`; BUILD=build by default)
set -u
BUILD=${BUILD:-build}
ACCEL=${ACCEL:-tcg}
ELF="$BUILD/tests/guest/testguest.elf"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

[ -f "$ELF" ] || { echo "FAIL: $ELF missing (make test-guest)"; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 missing"; exit 1; }

# qemu MACHINE OUT APPEND [extra args...]: runs with a 60 s bound, returns QEMU's status.
qemu() {
	local machine=$1 out=$2 append=$3
	shift 3
	timeout 60 qemu-system-x86_64 -M "$machine" -accel "$ACCEL" -m 128M -nographic -no-reboot \
		-kernel "$ELF" -append "$append" -device isa-debug-exit,iobase=0xf4 "$@" \
		</dev/null >"$out" 2>&1
}

expect() { grep -aq -- "$2" "$1" || fail "$3: no line matching '$2'"; }
refuse() { ! grep -aq -- "$2" "$1" || fail "$3: unexpected line matching '$2'"; }

# 1. PVH boot, e820, MP table, basic checks, unknown test, debug-exit.
qemu "microvm" "$TMP/basic" "test=memtest,unhandled-io,no-such exit=debugport" -smp 3
[ $? -eq 1 ] || fail "basic: isa-debug-exit status (want 1)"
expect "$TMP/basic" "^TESTGUEST boot=pvh" basic
expect "$TMP/basic" "^cmdline: test=memtest,unhandled-io,no-such exit=debugport" basic
expect "$TMP/basic" "^e820: 0x100000 0x8000000 1" basic
expect "$TMP/basic" "^mptable: cpus=3 ioapic=yes" basic
expect "$TMP/basic" "^PASS: memtest" basic
expect "$TMP/basic" "^PASS: unhandled-io" basic
expect "$TMP/basic" "^FAIL: unknown test no-such" basic
expect "$TMP/basic" "^TESTGUEST done" basic

# 2. q35 + modern virtio-blk: PCI scan, sector 0 CRC, write + read back.
head -c 1048576 /dev/urandom >"$TMP/disk.img"
printf 'microvm testdisk' | dd of="$TMP/disk.img" conv=notrunc status=none
crc=$(head -c 512 "$TMP/disk.img" | gzip -c | tail -c 8 | head -c 4 | od -An -tx4 | tr -d ' ')
qemu q35 "$TMP/blk" "test=pci-scan,blk-read,blk-write=5 exit=debugport" \
	-drive file="$TMP/disk.img",if=none,id=d,format=raw \
	-device virtio-blk-pci,drive=d,disable-legacy=on
[ $? -eq 1 ] || fail "blk: isa-debug-exit status (want 1)"
expect "$TMP/blk" "^pci: 00:03.0 1af4:1042 class=010000" blk
expect "$TMP/blk" "^pci-cap: cfg_type=1 bar=4 offset=0x0 length=0x1000" blk
expect "$TMP/blk" "^PASS: pci-scan" blk
expect "$TMP/blk" "^blk: capacity=2048" blk
expect "$TMP/blk" "^blk: sector0 crc32=0x$crc\$" blk
expect "$TMP/blk" "^blk: sector0 head=6d6963726f766d20746573746469736b" blk
expect "$TMP/blk" "^PASS: blk-read" blk
expect "$TMP/blk" "^PASS: blk-write" blk
[ "$(dd if="$TMP/disk.img" bs=512 skip=5 count=1 status=none | head -c 16)" = "MICROVM!MICROVM!" ] ||
	fail "blk: sector 5 does not hold the pattern"

# 3. Same under qboot, which leaves BARs unassigned: the guest sizes and places them itself.
qemu q35 "$TMP/qboot" "test=blk-read exit=debugport" -bios /usr/share/qemu/qboot.rom \
	-drive file="$TMP/disk.img",if=none,id=d,format=raw \
	-device virtio-blk-pci,drive=d,disable-legacy=on
[ $? -eq 1 ] || fail "qboot: isa-debug-exit status (want 1)"
expect "$TMP/qboot" "^pci-bar: 00:03.0 bar=4 assigned=0x" qboot
expect "$TMP/qboot" "^blk: sector0 crc32=0x$crc\$" qboot
expect "$TMP/qboot" "^PASS: blk-read" qboot

# 4. Triple fault: QEMU (-no-reboot) stops; the guest must not get past it.
qemu microvm "$TMP/tf" "test=triple-fault,memtest exit=debugport"
[ $? -eq 0 ] || fail "triple-fault: QEMU status (want 0: shutdown on triple fault)"
refuse "$TMP/tf" "TESTGUEST done" triple-fault
refuse "$TMP/tf" "FAIL: triple-fault" triple-fault

if [ $failures -ne 0 ]; then
	echo "--- outputs in order: basic, blk, qboot, tf"
	cat "$TMP/basic" "$TMP/blk" "$TMP/qboot" "$TMP/tf"
	exit 1
fi
echo "PASS: test guest under QEMU ($ACCEL)"
