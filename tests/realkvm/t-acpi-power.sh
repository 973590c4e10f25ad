#!/usr/bin/env bash
# Real-KVM lane (run inside L1, BRIEF section 7): Debian's stock kernel (build/guest/stock) on
# microvm's ACPI tables. No ACPI error line in the guest log, no i8042 or CMOS RTC probe (the FADT
# says both are absent), the wall clock right (kvmclock), and `poweroff -f` (ACPI S5) and
# `reboot -f` (ACPI reset register; no reboot=k) each end microvm with status 0.
source "$(dirname "$0")/../integration/lib.sh"
require_kvm
T=${STOCK_BOOT_TIMEOUT:-300}
STOCK=$ROOT/build/guest/stock
[ -f "$STOCK/vmlinux" ] && [ -f "$STOCK/initramfs.cpio.gz" ] || fail "no stock kit in $STOCK"

# stock_power NAME HOW. The extracted vmlinux with 2 vCPUs (t-stock-boot boots the bzImage with
# 1, t-acpi-cloud the cloud bzImage with 2). A stock bzImage with 2 vCPUs under ACPI and `quiet`
# hung once before init (vCPU 0 halted after 147 exits); 9 more such boots in the lane since then
# (2026-12-01: 5 on 2 MiB-page, 4 on 4 KiB-page memfd guest RAM) and the cloud bzImage with 2
# vCPUs reached init: not reproduced (recorded in the ACPI issue).
stock_power() {
	cat >"$TMP/$1.toml" <<EOT
[machine]
memory = "512M"
vcpus = 2
[kernel]
path = "$STOCK/vmlinux"
initrd = "$STOCK/initramfs.cpio.gz"
cmdline = "console=ttyS0 quiet panic=-1 rdinit=/init microvm.test=power microvm.power=$2 microvm.power.dmesg=1 microvm.power.now=$(date +%s)"
EOT
	run_vm "$1" "$T" run --config "$TMP/$1.toml" --verbose
	expect_console 'MICROVM-INIT-START'
	expect_console "^power: $2"
	expect_console '^PASS: ACPI tables in sysfs'
	expect_console '^PASS: wall clock'
	expect_console 'dmesg: .*ACPI: RSDP 0x00000000000E0000'
	expect_no_console '^FAIL'
	expect_no_console 'ACPI (BIOS )?(Error|Warning)|ACPI Exception'
	expect_no_console "i8042: Can't read CTR|rtc_cmos.*(broken|not accessible)"
	expect_status 0
	grep -E 'exits by reason|PIO exits|MMIO exits|guest init reached' "$LAST.err" | sed "s/^/$1: /"
}

stock_power stock-poweroff poweroff
expect_err 'guest powered off \(ACPI S5\)'
pass "stock kernel: no ACPI errors, no i8042/RTC probe, poweroff -f -> ACPI S5, exit 0"

stock_power stock-reboot reboot
expect_err 'guest reset through the ACPI reset register'
pass "stock kernel: reboot -f without reboot=k -> ACPI reset register, exit 0"
