#!/usr/bin/env bash
# Exit-status contract with the test guest: triple fault -> 3, emulation failure on fetching
# code from non-RAM -> 4 with RIP and instruction bytes, unowned ports read as 0xff, --timeout -> 6.
source "$(dirname "$0")/lib.sh"
require_kvm

write_config "$TMP/vm.toml" "$TESTGUEST"

run_vm triple 30 run --config "$TMP/vm.toml" --cmdline "test=triple-fault"
expect_status 3
expect_err "triple fault"
pass "triple fault -> exit 3"

run_vm mmio 30 run --config "$TMP/vm.toml" --cmdline "test=exec-mmio"
expect_status 4
expect_err "rip 0x"
expect_err "instruction bytes"
pass "exec from MMIO -> exit 4 with RIP and bytes"

run_vm io 30 run --config "$TMP/vm.toml" --cmdline "test=unhandled-io"
expect_status 0
expect_console "^PASS: unhandled-io"
pass "unowned I/O ports"

run_vm unknown 30 run --config "$TMP/vm.toml" --cmdline "test=no-such-check"
expect_status 0
expect_console "^FAIL: unknown test no-such-check"
pass "unknown check reported by the guest"

# int3 at CPL0: on hosts whose KVM emulates kernel mode, microvm completes it (RIP past the
# int3, #BP injected); on hardware KVM it runs natively. Either way the guest's handler runs once.
for guest in "$TESTGUEST" "$TESTGUEST64"; do
	run_vm int3 30 run --config "$TMP/vm.toml" --kernel "$guest" --cmdline "test=int3"
	expect_status 0
	expect_console '^PASS: int3'
done
pass "int3 with a #BP handler (PVH and 64-bit entry)"

run_vm fwait 30 run --config "$TMP/vm.toml" --cmdline "test=fwait"
expect_status 0
expect_console '^PASS: fwait'
pass "fwait with no pending x87 exception"
