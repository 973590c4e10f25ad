#!/usr/bin/env bash
# Privilege checks of the real binary (src/security/privileges.c): as root, a world-writable
# config file, a config file in a world-writable directory without the sticky bit, and a
# vhost-user socket in such a directory are refused with exit status 2 and one clear error;
# the same files with safe modes (or a sticky directory such as /tmp) boot. As another user the
# checks do not apply and the unsafe config boots.
source "$(dirname "$0")/lib.sh"
require_kvm

D="$TMP/cfg"
mkdir -p "$D"
chmod 0755 "$D"
write_config "$D/vm.toml" "$TESTGUEST"
chmod 0644 "$D/vm.toml"
run_vm safe 30 run --config "$D/vm.toml" --cmdline "test=pci-scan"
expect_status 0
pass "config with safe modes boots"

chmod 0666 "$D/vm.toml"
run_vm ww-file 30 run --config "$D/vm.toml" --cmdline "test=pci-scan"
if [ "$(id -u)" -ne 0 ]; then
	expect_status 0
	pass "not root: a world-writable config is accepted"
	exit 0
fi
expect_status 2
expect_err "^microvm: error: config file $D/vm.toml is world-writable: refusing to run as root"
[ "$(grep -c '^microvm: error:' "$LAST.err")" -eq 1 ] || fail "more than one error line"
pass "root + world-writable config file: refused (status 2)"

chmod 0644 "$D/vm.toml"
chmod 0777 "$D"
run_vm ww-dir 30 run --config "$D/vm.toml" --cmdline "test=pci-scan"
expect_status 2
expect_err "is in the world-writable directory $D without the sticky bit"
chmod 01777 "$D"
run_vm sticky-dir 30 run --config "$D/vm.toml" --cmdline "test=pci-scan"
expect_status 0
chmod 0755 "$D"
pass "root + config in a world-writable directory: refused without the sticky bit, accepted with it"

S="$TMP/sockets"
mkdir -p "$S"
chmod 0777 "$S"
write_config "$D/fs.toml" "$TESTGUEST" '[[vhost_user_fs]]' "socket = \"$S/fs.sock\"" 'tag = "x"' \
	'connect_timeout_ms = 100'
chmod 0644 "$D/fs.toml"
run_vm ww-sock 30 run --config "$D/fs.toml" --cmdline "test=pci-scan"
expect_status 2
expect_err "^microvm: error: vhost_user_fs socket $S/fs.sock is in the world-writable directory $S without the sticky bit"
pass "root + vhost-user socket in a world-writable directory: refused before connecting"
