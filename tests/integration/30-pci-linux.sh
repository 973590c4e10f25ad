#!/usr/bin/env bash
# Linux guest PCI enumeration through 0xCF8/0xCFC: the host bridge 8086:0d57 (class 0x060000)
# at 00:00.0 and, with a [[disk]], the modern virtio-blk function 1af4:1042 bound to the
# virtio-pci driver (its capabilities, BARs and MSI-X were accepted by virtio_pci_modern).
source "$(dirname "$0")/lib.sh"
require_kvm
# Generous: a boot takes ~10 s on an idle host, minutes on a loaded 2-core CI box (BRIEF s.6).
T=${LINUX_BOOT_TIMEOUT:-300}

make -s -C "$ROOT" guest-kit >"$TMP/guest-kit.log" 2>&1 ||
	{ tail -n 30 "$TMP/guest-kit.log"; fail "make guest-kit failed"; }
truncate -s 4M "$TMP/disk.img"

sed -e "s|\"\.\./|\"$ROOT/|" \
    -e "s|^\(cmdline = \".*\)\"$|\1 microvm.test=pci microvm.pci.expect=8086:0d57,1af4:1042\"|" \
    "$ROOT/configs/default.toml" >"$TMP/vm.toml"
printf '[[disk]]\npath = "%s"\n' "$TMP/disk.img" >>"$TMP/vm.toml"
run_vm pci "$T" run --config "$TMP/vm.toml"
expect_console '^pci: 0000:00:00.0 8086:0d57 class 0x060000'
expect_console '^pci: 0000:00:01.0 1af4:1042 class 0x018000 driver virtio-pci'
expect_console '^PASS: pci device 8086:0d57 present'
expect_console '^PASS: pci device 1af4:1042 present'
expect_no_console '^FAIL'
expect_status 0
pass "Linux enumerates the host bridge and binds virtio-pci to the virtio-blk function"
