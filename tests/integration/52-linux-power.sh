#!/usr/bin/env bash
# Guest power without reboot=k: the microvm guest kit (ACPI kernel) runs `poweroff -f` (ACPI S5
# through the FADT sleep control register) and `reboot -f` (the FADT reset register); each ends
# microvm with status 0, logged as such. With [machine] acpi = false (MP table only) the guest
# sees no ACPI tables and `reboot -f` falls back to the i8042 reset. The guest's wall clock
# (kvmclock) must be the host's. `-v` prints the exit counts by reason, port and MMIO device.
source "$(dirname "$0")/lib.sh"
require_kvm
T=${LINUX_BOOT_TIMEOUT:-150}

make -s -C "$ROOT" guest-kit >"$TMP/guest-kit.log" 2>&1 ||
	{ tail -n 30 "$TMP/guest-kit.log"; fail "make guest-kit failed"; }

# power_vm NAME ACPI(true|false) HOW(poweroff|reboot)
power_vm() {
	local acpi=$2 how=$3 flag=1
	[ "$acpi" = true ] || flag=0
	sed -e "s|\"\.\./|\"$ROOT/|" \
	    -e "s|^\[machine\]$|[machine]\nacpi = $acpi|" \
	    -e "s| reboot=k | |" \
	    -e "s|^\(cmdline = \".*\)\"$|\1 microvm.test=power microvm.power=$how microvm.power.acpi=$flag microvm.power.now=$(date +%s)\"|" \
	    "$ROOT/configs/default.toml" >"$TMP/$1.toml"
	grep -q "^acpi = $acpi" "$TMP/$1.toml" && ! grep -q 'reboot=k' "$TMP/$1.toml" ||
		fail "could not derive a config from configs/default.toml"
	run_vm "$1" "$T" run --config "$TMP/$1.toml" --verbose
	expect_console 'MICROVM-INIT-START'
	expect_console "^power: $how"
	expect_no_console '^FAIL'
	# acpi = false: an ACPI kernel says "A valid RSDP was not found", as it should.
	[ "$acpi" = false ] || expect_no_console 'ACPI (BIOS )?(Error|Warning)|ACPI Exception'
	expect_status 0
	expect_err 'exits by reason: '
	expect_err 'PIO exits by port: .*0x3f8 \(serial0\)'
	expect_err 'MMIO exits by device: '
}

power_vm poweroff true poweroff
expect_console '^PASS: ACPI tables in sysfs'
expect_console '^PASS: wall clock'
expect_err 'guest powered off \(ACPI S5\)'
pass "poweroff -f: ACPI S5, exit 0 ($(console_value '^(guest time: [0-9]+)'))"

power_vm reboot true reboot
expect_err 'guest reset through the ACPI reset register'
pass "reboot -f without reboot=k: ACPI reset register, exit 0"

power_vm mptable false reboot
expect_console '^PASS: no ACPI tables \(MP table only\)'
expect_err 'guest reset through the i8042'
pass "acpi = false: MP table only, reboot -f through the i8042, exit 0"
