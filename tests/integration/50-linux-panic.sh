#!/usr/bin/env bash
# A Linux boot with a wrong command line (no init anywhere) must end, not hang: the kernel panics
# ("Kernel panic - not syncing"), panic=-1 + reboot=k reset the guest at once, and microvm exits
# with the guest-reset status (0, see src/util/exit_codes.h) within the timeout.
source "$(dirname "$0")/lib.sh"
require_kvm
# ~8-40 s on this CI's nested KVM depending on load (guest kernel mode is emulated); well under
# 1 s on hardware KVM.
T=${LINUX_BOOT_TIMEOUT:-150}

make -s -C "$ROOT" guest-kit >"$TMP/guest-kit.log" 2>&1 ||
	{ tail -n 30 "$TMP/guest-kit.log"; fail "make guest-kit failed"; }
# No initrd: the panic comes sooner (no initramfs to unpack) and is the same "no root, no init".
sed -e "s|\"\.\./|\"$ROOT/|" \
    -e "/^initrd = /d" \
    -e "s|rdinit=/init|rdinit=/nonexistent init=/nonexistent|" \
    "$ROOT/configs/default.toml" >"$TMP/vm.toml"
grep -q 'init=/nonexistent' "$TMP/vm.toml" || fail "could not derive a config from configs/default.toml"

run_vm linux-panic "$T" run --config "$TMP/vm.toml"
expect_console 'Kernel panic'
expect_no_console 'MICROVM-INIT-START'
expect_status 0
pass "init=/nonexistent: kernel panic, guest reset, microvm exited 0"
