#!/usr/bin/env bash
# [[vhost_user_net]] config errors: each gives one clear line on stderr and exit status 2, never
# a crash or a hang (bad MAC, queues and MTU out of range, no back-end at the socket).
source "$(dirname "$0")/lib.sh"
require_kvm

bad() { # name, expected stderr regex, vhost_user_net lines...
	local name=$1 re=$2; shift 2
	write_config "$TMP/$name.toml" "$TESTGUEST" '[[vhost_user_net]]' "$@"
	run_vm "$name" 20 run --config "$TMP/$name.toml"
	expect_status 2
	expect_err "$re"
	[ "$(grep -c . "$LAST.err")" -eq 1 ] || fail "$name: not exactly one line on stderr"
	pass "$name"
}

S="socket = \"$TMP/none.sock\""
bad mac-multicast "mac: .*multicast" "$S" 'mac = "01:00:5e:00:00:01"'
bad mac-zero "mac: " "$S" 'mac = "00:00:00:00:00:00"'
bad mac-not-hex "mac: " "$S" 'mac = "52:54:zz:12:34:56"'
bad mac-separator "mac: " "$S" 'mac = "52-54-00-12-34-56"'
bad mac-short "mac: " "$S" 'mac = "52:54:00:12:34"'
bad mac-long ":[0-9]+:[0-9]+: .*mac" "$S" 'mac = "52:54:00:12:34:56:78"'
bad queues-zero ":[0-9]+:[0-9]+: .*queues" "$S" 'queues = 0'
bad queues-many ":[0-9]+:[0-9]+: .*queues" "$S" 'queues = 17'
bad mtu-small ":[0-9]+:[0-9]+: .*mtu" "$S" 'mtu = 67'
bad mtu-big ":[0-9]+:[0-9]+: .*mtu" "$S" 'mtu = 65536'
bad queue-size ":[0-9]+:[0-9]+: .*queue_size" "$S" 'queue_size = 100'
bad no-socket ":[0-9]+:[0-9]+: .*socket" 'queues = 1'
bad socket-missing "vhost_user_net '.*none.sock': cannot connect .*No such file" "$S" \
	'connect_timeout_ms = 200'
touch "$TMP/plain"
bad socket-not-socket "vhost_user_net '.*plain': cannot connect" "socket = \"$TMP/plain\"" \
	'connect_timeout_ms = 200'
