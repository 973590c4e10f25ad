# Helpers for the real-KVM lane's stock-guest tests (source it; it sources the integration lib).
# STOCK_BZ / STOCK_ELF / STOCK_INITRD: Debian's stock kernel kit (make guest-kit-stock).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
STOCK_DIR="$GUEST_KIT/stock"
STOCK_BZ="$STOCK_DIR/vmlinuz"
STOCK_ELF="$STOCK_DIR/vmlinux"
STOCK_INITRD="$STOCK_DIR/initramfs.cpio.gz"
STOCK_CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' "$ROOT/configs/linux-stock.toml")
# Generous: a stock boot is 16-33 s in the lane when the host is idle, ~2x when it is busy.
STOCK_TIMEOUT=${STOCK_TIMEOUT:-300}

require_stock_kit() {
	require_kvm
	for f in "$STOCK_BZ" "$STOCK_ELF" "$STOCK_INITRD"; do
		[ -f "$f" ] || fail "$f missing: make guest-kit-stock"
	done
}

# host_flags: the CPU flags of the host (L1 in the lane), one line.
host_flags() { sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n1; }

# watch_vm SECS: in the background, if the microvm of start_vm still runs after SECS (set it a
# little below the VM's own timeout), prints where it is: each thread's state, wchan and kernel
# stack, L1's per-VM KVM counters and L1's latest kernel messages, then sends SIGTERM (microvm
# -v prints every vCPU's MP state and registers as it stops) and creates $LAST.hung. It ends
# within 1 s of the VM.
watch_vm() {
	local secs=$1 pid=$VM_PID hung=$LAST.hung
	rm -f "$hung"
	(
		for _ in $(seq 1 "$secs"); do
			sleep 1
			kill -0 "$pid" 2>/dev/null || exit 0
		done
		echo "--- watch_vm: microvm (pid $pid) still runs after ${secs}s: L1 uptime $(cut -d' ' -f1 /proc/uptime)s, load $(cut -d' ' -f1-3 /proc/loadavg)"
		for t in /proc/"$pid"/task/*; do
			[ -d "$t" ] || continue
			echo "  thread ${t##*/} $(cat "$t/comm" 2>/dev/null): state $(awk '{ print $3, "utime " $14, "stime " $15 }' "$t/stat" 2>/dev/null), wchan $(cat "$t/wchan" 2>/dev/null)"
			sed 's/^/    /' "$t/stack" 2>/dev/null | head -n 12
		done
		for d in /sys/kernel/debug/kvm/"$pid"-*; do
			[ -d "$d" ] || continue
			s=""
			for f in exits halt_exits halt_wakeup io_exits mmio_exits irq_exits irq_window_exits \
				irq_injections nmi_injections hypercalls insn_emulation signal_exits; do
				[ -f "$d/$f" ] && s="$s $f=$(cat "$d/$f")"
			done
			echo "  L1 KVM:$s"
		done
		dmesg 2>/dev/null | tail -n 8 | sed 's/^/  L1 dmesg: /'
		: >"$hung"
		kill -TERM "$pid" 2>/dev/null
	) &
	WATCH_PID=$!
}
