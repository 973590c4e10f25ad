#!/usr/bin/env bash
# [[net]] config errors: each gives one line on stderr and status 2 (a missing TAP microvm may
# not create, no permission on an existing TAP, a TAP with other flags, bad MACs, MTU and
# queues out of range, a too long name); a good [[net]] boots the test guest. Everything runs
# in a network namespace of this test (re-executed under unshare -n).
if [ -z "${NET_TEST_NETNS:-}" ]; then
	exec env NET_TEST_NETNS=1 unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
require_kvm

# Without CAP_NET_ADMIN (root keeps its other capabilities, so /dev/kvm still opens).
NOADMIN=(setpriv --inh-caps=-net_admin --ambient-caps=-net_admin --bounding-set=-net_admin)

bad() { # name, expected stderr regex, config lines... (env PREFIX: command before microvm)
	local name=$1 re=$2; shift 2
	write_config "$TMP/$name.toml" "$TESTGUEST" "$@"
	LAST="$TMP/$name"
	timeout -k 5 20 ${PREFIX:-} "$MICROVM" run --config "$TMP/$name.toml" </dev/null \
		>"$LAST.console" 2>"$LAST.err"
	VM_STATUS=$?
	expect_status 2
	expect_err "$re"
	[ "$(grep -c . "$LAST.err")" -eq 1 ] || fail "$name: not exactly one line on stderr"
	pass "$name"
}

ip link show mvcfg0 >/dev/null 2>&1 && fail "mvcfg0 exists in a fresh namespace"
PREFIX="${NOADMIN[*]}" bad tap-missing-no-create "tap 'mvcfg0' does not exist and microvm may not create it" \
	'[[net]]' 'tap = "mvcfg0"'
ip tuntap add mvown0 mode tap user 12345 vnet_hdr || fail "ip tuntap add"
PREFIX="${NOADMIN[*]}" bad tap-no-permission "tap 'mvown0': no permission" '[[net]]' 'tap = "mvown0"'
ip tuntap add mvsq0 mode tap vnet_hdr || fail "ip tuntap add"
bad tap-wrong-flags "tap 'mvsq0': exists but is not a TAP with these flags" '[[net]]' \
	'tap = "mvsq0"' 'queues = 2'
bad mac-syntax "mac: 'zz:00:00:00:00:01' is not a MAC address" '[[net]]' 'tap = "mvcfg1"' \
	'mac = "zz:00:00:00:00:01"'
bad mac-multicast "mac: '03:00:00:00:00:01' is a multicast address" '[[net]]' 'tap = "mvcfg1"' \
	'mac = "03:00:00:00:00:01"'
bad mac-short "mac: '02:00:00:00:01' is not a MAC address" '[[net]]' 'tap = "mvcfg1"' 'mac = "02:00:00:00:01"'
bad mac-long "'mac' is too long" '[[net]]' 'tap = "mvcfg1"' 'mac = "02:00:00:00:00:01:02"'
bad mtu-low "'mtu' = 67 is out of range \(68..65535\)" '[[net]]' 'tap = "mvcfg1"' 'mtu = 67'
bad mtu-high "'mtu' = 65536 is out of range \(68..65535\)" '[[net]]' 'tap = "mvcfg1"' 'mtu = 65536'
bad queues-zero "'queues' = 0 is out of range \(1..8\)" '[[net]]' 'tap = "mvcfg1"' 'queues = 0'
bad queues-high "'queues' = 9 is out of range \(1..8\)" '[[net]]' 'tap = "mvcfg1"' 'queues = 9'
bad tap-name-long "'tap'" '[[net]]' 'tap = "abcdefghijklmnopq"'
bad tap-missing-key "tap" '[[net]]' 'mtu = 1500'
bad tap-duplicate "tap" '[[net]]' 'tap = "mvcfg1"' '[[net]]' 'tap = "mvcfg1"'

# A good one: microvm creates the TAP (as root) and the test guest runs to its end.
write_config "$TMP/ok.toml" "$TESTGUEST" '[[net]]' 'tap = "mvcfg2"' 'queues = 2' 'mtu = 9000'
run_vm ok 30 run --config "$TMP/ok.toml"
expect_status 0
pass "good [[net]] (created TAP, 2 queue pairs)"
