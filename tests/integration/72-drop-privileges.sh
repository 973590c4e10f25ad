#!/usr/bin/env bash
# [security] uid/gid: microvm opens /dev/kvm and loads the kernel as root, then drops to the
# given user before any device is created: a root-only disk image can no longer be opened
# (clear error, status 2), a world-readable one boots; uid without gid is a config error.
source "$(dirname "$0")/lib.sh"
require_kvm
[ "$(id -u)" -eq 0 ] || fail "this test needs root (to drop from)"

chmod 0755 "$TMP"
head -c 1048576 /dev/zero >"$TMP/root-only.img"; chmod 0600 "$TMP/root-only.img"
head -c 1048576 /dev/zero >"$TMP/shared.img"; chmod 0666 "$TMP/shared.img"
cp "$TESTGUEST" "$TMP/guest.elf"; chmod 0600 "$TMP/guest.elf"   # loaded before the drop

write_config "$TMP/drop.toml" "$TMP/guest.elf" '[[disk]]' "path = \"$TMP/shared.img\"" \
	'[security]' 'uid = 65534' 'gid = 65534'
run_vm drop 30 run --config "$TMP/drop.toml" --cmdline "test=blk-read" -v
expect_status 0
expect_err 'running as uid 65534 gid 65534'
expect_console '^PASS: blk-read'
pass "dropped to 65534:65534 after loading a root-only kernel; the disk works"

write_config "$TMP/denied.toml" "$TMP/guest.elf" '[[disk]]' "path = \"$TMP/root-only.img\"" \
	'[security]' 'uid = 65534' 'gid = 65534'
run_vm denied 30 run --config "$TMP/denied.toml"
expect_status 2
expect_err "root-only.img.*Permission denied"
pass "a root-only disk cannot be opened after the drop"

write_config "$TMP/half.toml" "$TMP/guest.elf" '[security]' 'uid = 65534'
run_vm half 30 run --config "$TMP/half.toml"
expect_status 2
expect_err "needs both 'uid' and 'gid'"
pass "uid without gid is refused"
