#!/usr/bin/env bash
# [machine] host_quirks: "auto" (default) detects the host's KVM at run time - kvm_pvm (this CI's
# nested KVM, /sys/module/kvm_pvm) gets the CPU-feature recipe "noxsave clearcpuid=..." appended
# to the guest command line, hardware KVM gets nothing - and -v reports the choice; "none" and
# "kvm_pvm" force it; a bad value is a file:line:col error. The test guest prints its command line.
source "$(dirname "$0")/lib.sh"
require_kvm
RECIPE='noxsave clearcpuid=59,151,141,145,298,297,580,534,312,308,295,288'
if [ -d /sys/module/kvm_pvm ]; then host=kvm_pvm; else host=none; fi

for q in auto none kvm_pvm; do
	write_config "$TMP/$q.toml" "$TESTGUEST"
	sed -i "s/^\[machine\]$/[machine]\nhost_quirks = \"$q\"/" "$TMP/$q.toml"
	run_vm "$q" 30 run --config "$TMP/$q.toml" --cmdline "test=memtest" -v
	expect_status 0
	want=$q; [ "$q" = auto ] && want=$host
	expect_err "host quirks: $want \\(host_quirks = \"$q\"\\)"
	if [ "$want" = kvm_pvm ]; then
		expect_console "^cmdline: test=memtest $RECIPE\$"
	else
		expect_console '^cmdline: test=memtest$'
	fi
	pass "host_quirks = \"$q\" on this host ($host): $want"
done

# No config key: the default is auto. A recipe already on the command line is not repeated.
write_config "$TMP/default.toml" "$TESTGUEST"
run_vm default 30 run --config "$TMP/default.toml" --cmdline "test=memtest $RECIPE" -v
expect_status 0
expect_err "host quirks: $host \\(host_quirks = \"auto\"\\)"
expect_console "^cmdline: test=memtest $RECIPE\$"
pass "default auto; the recipe is never added twice"

write_config "$TMP/bad.toml" "$TESTGUEST"
sed -i 's/^\[machine\]$/[machine]\nhost_quirks = "kvm-pvm"/' "$TMP/bad.toml"
run_vm bad 10 check --config "$TMP/bad.toml"
[ "$VM_STATUS" -ne 0 ] || fail "a bad host_quirks value was accepted"
expect_err "bad.toml:2:15: 'host_quirks' must be \"auto\", \"none\" or \"kvm_pvm\", got \"kvm-pvm\" \\(did you mean \"kvm_pvm\"\\?\\)"
pass "host_quirks = \"kvm-pvm\" is a file:line:col error with a suggestion"
