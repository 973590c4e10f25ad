# Helpers for the arm64 lane's tests, which run in L1 under busybox sh (source it).
# The L1 initramfs holds: /lane/bin/microvm, /lane/bin/microvm-virtiofsd (the arm64 builds),
# /lane/Image (Debian's stock arm64 kernel, also L2's), /lane/l2.cpio (L2's initramfs,
# tests/arm64/l2-init), /lane/Image-dax + /lane/l2-dax.cpio (t-virtiofs-dax's L2: an arm64
# kernel with FUSE_DAX built from Debian's linux-source-6.1, its initramfs without modules),
# /lane/l2-config (FUSE_DAX=y|n of the stock kernel, DAX_KERNEL_ID: which kernel Image-dax is).
MICROVM=/lane/bin/microvm
VFSD=/lane/bin/microvm-virtiofsd
KERNEL=/lane/Image
INITRD=/lane/l2.cpio
DAX_KERNEL=/lane/Image-dax
DAX_INITRD=/lane/l2-dax.cpio
. /lane/l2-config
L2_CMDLINE="console=ttyS0 quiet panic=-1 rdinit=/init"
# One L2 boot is 6-14 s in L1 on an idle host (BRIEF s.8); generous for a loaded one.
VM_TIMEOUT=${VM_TIMEOUT:-240}
TMP=$(mktemp -d /tmp/arm64.XXXXXX)
LAST=

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	if [ -n "$LAST" ]; then
		echo "--- ${LAST##*/} console (tail)"; tail -n 40 "$LAST.console" 2>/dev/null
		echo "--- ${LAST##*/} stderr (tail)"; tail -n 20 "$LAST.err" 2>/dev/null
	fi
	[ -z "${VM_PID:-}" ] || kill -9 "$VM_PID" 2>/dev/null
	exit 1
}
require_kvm() {
	[ -c /dev/kvm ] || fail "/dev/kvm is missing in L1"
	[ -x "$MICROVM" ] || fail "$MICROVM missing (make ARCH=arm64)"
}

# write_config FILE VCPUS MEMORY [toml lines...]: the L2 machine with $KERNEL and $INITRD (the
# stock Image and L2's initramfs unless the test sets them).
write_config() {
	f=$1 cpus=$2 mem=$3
	shift 3
	{
		echo "[machine]"
		echo "memory = \"$mem\""
		echo "vcpus = $cpus"
		echo "[kernel]"
		echo "path = \"$KERNEL\""
		echo "initrd = \"$INITRD\""
		echo "cmdline = \"$L2_CMDLINE\""
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# start_vm NAME CONFIG L2-ARGS: microvm in the background (VM_PID, VM_T0); console in
# $LAST.console, stderr in $LAST.err; stdin from $VM_STDIN (default /dev/null).
start_vm() {
	LAST=$TMP/$1
	VM_T0=$(now)
	timeout -s KILL "$VM_TIMEOUT" "$MICROVM" run --config "$2" -v --cmdline "$L2_CMDLINE $3" \
		<"${VM_STDIN:-/dev/null}" >"$LAST.console" 2>"$LAST.err" &
	VM_PID=$!
}
# wait_vm: VM_STATUS, VM_SECS (start to exit).
wait_vm() {
	wait "$VM_PID"
	VM_STATUS=$?
	VM_PID=
	VM_SECS=$(since "$VM_T0")
	[ "$VM_STATUS" -ne 137 ] || fail "${LAST##*/}: microvm did not stop within ${VM_TIMEOUT}s"
}
# run_vm NAME CONFIG L2-ARGS: start_vm + wait_vm.
run_vm() { start_vm "$@"; wait_vm; }
# await_console RE: waits (VM_TIMEOUT) until the console matches; AWAIT_SECS since start.
await_console() {
	while ! grep -q -E "$1" "$LAST.console" 2>/dev/null; do
		kill -0 "$VM_PID" 2>/dev/null || fail "${LAST##*/} ended before '$1'"
		sleep 0.2
	done
	AWAIT_SECS=$(since "$VM_T0")
}
expect_console() { tr -d '\r' <"$LAST.console" | grep -q -E -- "$1" || fail "console lacks '$1'"; }
expect_no_console() { ! tr -d '\r' <"$LAST.console" | grep -q -E -- "$1" || fail "console has '$1'"; }
expect_err() { grep -q -E -- "$1" "$LAST.err" || fail "microvm stderr lacks '$1'"; }
expect_status() { [ "$VM_STATUS" = "$1" ] || fail "microvm exited $VM_STATUS, expected $1"; }
console_value() { tr -d '\r' <"$LAST.console" | sed -n "s/^$1 //p" | head -n1; }
l2_ok() { # the common checks of an L2 run that ended with poweroff/reboot
	expect_console '^L2-INIT-START'
	echo "${LAST##*/}: guest $(tr -d '\r' <"$LAST.console" | grep -m1 '^L2-INIT-START'), microvm ran $VM_SECS s"
	expect_console '^L2-DONE'
	expect_no_console '^FAIL'
}
