#!/usr/bin/env bash
# The `make run` experience, scripted: configs/default.toml without a test gives a shell on the
# console; commands piped into microvm's stdin reach it (held back until the guest's UART driver
# listens), their output comes back, and `poweroff` ends microvm with status 0.
source "$(dirname "$0")/lib.sh"
require_kvm
[ -f "$GUEST_KIT/vmlinux" ] && [ -f "$GUEST_KIT/initramfs.cpio" ] || fail "guest kit not built (make guest-kit)"

LAST="$TMP/console"
printf 'echo "sum=$((6 * 7))"\ncat /proc/cmdline\npoweroff\n' |
	timeout -k 5 "${LINUX_TIMEOUT:-300}" "$MICROVM" run --config "$ROOT/configs/default.toml" \
	>"$LAST.console" 2>"$LAST.err"
VM_STATUS=$?
[ "$VM_STATUS" -ne 124 ] || fail "microvm did not stop"
expect_console 'MICROVM-INIT-START'
expect_console '^sum=42'
expect_console 'rdinit=/init'
expect_status 0
pass "piped commands ran in the guest shell; poweroff ended microvm with status 0"
