#!/usr/bin/env bash
# Real-KVM lane: Debian's cloud kernel (linux-image-cloud-amd64, build/guest/stock-cloud) on
# microvm. It has no MP-table parser: its CPUs and interrupts come from the ACPI tables alone.
# bzImage with 2 vCPUs and `quiet`: both CPUs online, ACPI tables in sysfs, no ACPI
# error/warning line in the guest log, no i8042/RTC probe, `poweroff -f` (ACPI S5) -> status 0.
# CLOUD_ACPI=false runs the same boot on the MP table alone: this test must then fail (the
# cloud kernel finds no second CPU without ACPI), which shows it tests the tables.
# A VM still running 20 s before its timeout is described by watch_vm (tests/realkvm/lib.sh):
# thread states and kernel stacks, L1's KVM counters, then SIGTERM for microvm's vCPU dump.
# HELD out of the lane (run.sh runs tests/realkvm/t-*.sh only): it hung twice, both times in a
# full-lane CI rehearsal (the second time L1 itself stopped answering), and did not hang in 37
# boots and two whole lanes since (tests/realkvm/README.md, "The t-acpi-cloud hang"). Run it in
# L1 by hand: REALKVM_PLAN=tests/realkvm/held/t-acpi-cloud.sh tests/realkvm/run.sh.
# CLOUD_VCPUS=1 is the lane's t-acpi-cloud-1cpu.sh (the same boot with one CPU, which never hung).
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib.sh"
V=${CLOUD_VCPUS:-2}
require_kvm
T=${STOCK_BOOT_TIMEOUT:-300}
CLOUD=$ROOT/build/guest/stock-cloud
[ -f "$CLOUD/vmlinuz" ] && [ -f "$CLOUD/initramfs.cpio.gz" ] ||
	fail "no cloud kit in $CLOUD (guest/scripts/build-stock.sh $CLOUD linux-image-cloud-amd64)"

cloud_vm() { # NAME ACPI(true|false)
	cat >"$TMP/$1.toml" <<EOT
[machine]
memory = "512M"
vcpus = $V
acpi = $2
[kernel]
path = "$CLOUD/vmlinuz"
initrd = "$CLOUD/initramfs.cpio.gz"
cmdline = "console=ttyS0 quiet panic=-1 rdinit=/init microvm.test=cpus microvm.cpus.want=$V microvm.cpus.then=power microvm.power=poweroff microvm.power.dmesg=1 microvm.power.now=$(date +%s)"
EOT
	start_vm "$1" "$T" run --config "$TMP/$1.toml" --verbose
	watch_vm $((T - 20))
	wait_vm
	[ ! -e "$LAST.hung" ] || fail "$1: the VM still ran after $((T - 20)) s (above: where it was)"
	grep -E 'exits by reason|guest init reached' "$LAST.err" | sed "s/^/$1: /"
}

cloud_vm cloud-acpi "${CLOUD_ACPI:-true}"
expect_console 'MICROVM-INIT-START'
expect_console "^PASS: $V vCPUs online"
expect_console '^PASS: ACPI tables in sysfs'
expect_console 'dmesg: .*ACPI: RSDP 0x00000000000E0000'
expect_no_console '^FAIL'
expect_no_console 'ACPI (BIOS )?(Error|Warning)|ACPI Exception'
expect_no_console "i8042: Can't read CTR|rtc_cmos.*(broken|not accessible)"
expect_status 0
expect_err 'guest powered off \(ACPI S5\)'
pass "cloud kernel, bzImage, $V vCPU(s): online from the MADT, no ACPI errors, poweroff -> S5, exit 0"
