#!/usr/bin/env bash
# KVM + Linux guest kit: virtio-net through [[vhost_user_net]] against Debian's DPDK
# (dpdk-testpmd, vhost PMD, --no-huge, macswap forwarding), 2 queue pairs (the guest's virtio_net
# driver talks to the VMM's control queue). The guest sends raw frames (AF_PACKET) and checks
# each came back macswapped and intact, and eth0's counters (guest/tests/vunet.sh); testpmd's own
# counters are checked after.
source "$(dirname "$0")/lib.sh"
require_kvm
TESTPMD=/usr/bin/dpdk-testpmd
[ -x "$TESTPMD" ] || fail "$TESTPMD is missing (scripts/deps.sh: dpdk-dev librte-net-vhost23)"
require_linux_kit
COUNT=8
MAC=52:54:00:12:34:56
PREFIX=microvm-it-$$
RUNDIR=/var/run/dpdk; [ "$(id -u)" = 0 ] || RUNDIR=${XDG_RUNTIME_DIR:-/tmp}/dpdk
mkfifo "$TMP/pmd.in"
# testpmd exits when its stdin says "enter": keep the fifo open on fd 3 until we stop it. Its
# forwarding lcore polls: nice 19, so it only takes idle CPU.
nice -n 19 "$TESTPMD" -l 0-1 --no-huge -m 64 --no-pci --no-shconf --no-telemetry --file-prefix "$PREFIX" \
	--vdev "net_vhost0,iface=$TMP/vhost.sock,queues=2,client=0" -- --forward-mode=macswap \
	--nb-cores=1 --rxq=2 --txq=2 --total-num-mbufs=4096 <"$TMP/pmd.in" >"$TMP/testpmd.log" 2>&1 &
PMD=$!
exec 3>"$TMP/pmd.in"
trap 'kill -9 $PMD 2>/dev/null; rmdir "$RUNDIR/$PREFIX" 2>/dev/null; cleanup_tmp' EXIT
for _ in $(seq 1 200); do [ -S "$TMP/vhost.sock" ] && break; sleep 0.1; done
[ -S "$TMP/vhost.sock" ] || { cat "$TMP/testpmd.log"; fail "testpmd did not create its socket"; }

CMDLINE="$LINUX_CMDLINE microvm.test=vunet microvm.vunet.mac=$MAC microvm.vunet.count=$COUNT"
MEMORY=128M write_config "$TMP/vm.toml" "$KERNEL" "initrd = \"$INITRD\"" \
	'[[vhost_user_net]]' "socket = \"$TMP/vhost.sock\"" "mac = \"$MAC\"" 'queues = 2' \
	'mtu = 1500'
run_vm linux "${LINUX_TIMEOUT:-600}" run --config "$TMP/vm.toml"
expect_console "PASS: eth0 has the configured MAC $MAC"
expect_console "PASS: the $COUNT frames came back intact"
expect_console "PASS: eth0 counted $COUNT sent"
expect_console "PASS: eth0 counted $COUNT received"
expect_console "PASS: link is up"
expect_no_console "FAIL:"
expect_status 0
# testpmd's view: stop it (SIGINT prints the accumulated forward statistics).
kill -INT $PMD
wait $PMD
# The last RX-packets line is the accumulated one.
rx=$(grep -E 'RX-packets:' "$TMP/testpmd.log" | tail -n 1 | sed -E 's/.*RX-packets: *([0-9]+).*/\1/')
[ -n "$rx" ] && [ "$rx" -ge "$COUNT" ] ||
	{ tail -n 30 "$TMP/testpmd.log"; fail "testpmd forwarded ${rx:-no} packets"; }
pass "Linux guest's frames went through dpdk-testpmd and came back ($(console_value '.*vunet: (tx [0-9]+ rx [0-9]+) packets.*'), testpmd RX $rx)"
