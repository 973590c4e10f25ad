# Debian's stock arm64 kernel boots to init under microvm on L1's KVM:
#  1. 1 vCPU: the init marker, 1 CPU online; while L2 waits at init, L1's per-VM KVM counters
#     (/sys/kernel/debug/kvm/<pid>-<fd>/) are printed ("exits" line); a line typed on the console
#     lets it go on; the guest's poweroff (PSCI SYSTEM_OFF) ends microvm with status 0.
#  2. 2 vCPUs (the second started through PSCI CPU_ON): both online, poweroff -> status 0.
. /lane/lib.sh
require_kvm

write_config "$TMP/one.toml" 1 256M
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
VM_STDIN=$TMP/in start_vm one "$TMP/one.toml" "l2.test=boot l2.wait=1"
await_console '^L2-WAIT'
t_init=$AWAIT_SECS
stats=
for d in /sys/kernel/debug/kvm/*-*; do
	[ -d "$d" ] || continue
	for s in exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfe_exit_stat wfi_exit_stat \
		signal_exits halt_wakeup; do
		[ -f "$d/$s" ] && stats="$stats $s=$(cat "$d/$s")"
	done
done
echo "exits (L1 KVM, boot to init):${stats:- none (no /sys/kernel/debug/kvm/<vm>)}"
echo go >&3
wait_vm
exec 3>&-
l2_ok
expect_console '^l2: online 0$'
expect_status 0
echo "time to init: 1 vCPU $t_init s (TCG, from microvm start)"
pass "stock arm64 Image, 1 vCPU: init in $t_init s, 1 CPU online, poweroff -> status 0"

write_config "$TMP/two.toml" 2 256M
run_vm two "$TMP/two.toml" "l2.test=boot"
l2_ok
expect_console '^l2: online 0-1$'
expect_status 0
pass "stock arm64 Image, 2 vCPUs: both online, poweroff -> status 0 ($VM_SECS s)"
