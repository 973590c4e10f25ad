#!/bin/bash
# Runs inside the real-KVM lane's L1 (bench/realkvm_boot.sh starts it): boots Debian's stock
# kernels (generic and cloud) with microvm and with `qemu-system-x86_64 -M microvm,acpi=on
# -enable-kvm` on the same kernel, initramfs and command line (guest test "idle": init prints
# MICROVM-INIT-START, then waits). For each boot: wall time to the init marker (TCG: not a
# hardware time) and L1's per-VM KVM counters (/sys/kernel/debug/kvm/<pid>-<fd>/, read once the
# marker is there, the same way for both VMMs). Prints one table with medians and ratios.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${REALKVM_BENCH_RUNS:-3}
# Per boot: a stock boot takes 25-60 s on a quiet host, several times that when the host is busy.
T=${REALKVM_BENCH_TIMEOUT:-420}
CMDLINE="$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' configs/linux-stock.toml) microvm.test=idle"
# The counters every 6.1 KVM keeps per VM (vCPU ones summed); the table shows all that are non-zero.
MAIN_STATS="exits exits_but_irq io_exits mmio_exits pf_fixed halt_exits irq_exits irq_window_exits insn_emulation"
# Besides the counters: ACPI error/warning lines in the guest console (the goal is none).
ACPI_ERR='ACPI (BIOS )?(Error|Warning)|ACPI Exception'

TMP=$(mktemp -d /tmp/microvm-bench.XXXXXX)
KVMDBG=/sys/kernel/debug/kvm
[ -d "$KVMDBG" ] || mount -t debugfs none /sys/kernel/debug
vmm_pid=

# boot VMM KIT N: one boot; appends "time_ms stat=value..." to $TMP/VMM-KIT, or "fail why".
boot() {
	local vmm=$1 kit=$2 dir=build/guest/$2 con=$TMP/$1-$2-$3.console t0 now d s line
	case "$vmm" in
	microvm|microvm-memfd)
		# microvm-memfd: guest RAM in a 4 KiB-page memfd (the backing vhost-user needs),
		# for the nested-paging faults that 2 MiB pages save.
		cat >"$TMP/vm.toml" <<EOT
[machine]
memory = "512M"
vcpus = 1
memory_backing = "$([ "$vmm" = microvm ] && echo auto || echo memfd)"
[kernel]
path = "$PWD/$dir/vmlinuz"
initrd = "$PWD/$dir/initramfs.cpio.gz"
cmdline = "$CMDLINE"
EOT
		t0=$(date +%s%N)
		"$BUILD/microvm" run --config "$TMP/vm.toml" -v </dev/null >"$con" 2>"$con.err" &
		;;
	qemu)
		t0=$(date +%s%N)
		qemu-system-x86_64 -M microvm,acpi=on -enable-kvm -cpu host -m 512M -smp 1 \
			-nographic -no-reboot -nodefaults -serial stdio \
			-kernel "$dir/vmlinuz" -initrd "$dir/initramfs.cpio.gz" -append "$CMDLINE" \
			</dev/null >"$con" 2>"$con.err" &
		;;
	esac
	vmm_pid=$!
	line="fail timeout"
	while :; do
		now=$(date +%s%N)
		if grep -q MICROVM-INIT-START "$con"; then
			sleep 1	# the marker's own exits; then the counters, before the VM goes away
			d=$(ls -d "$KVMDBG/$vmm_pid"-* 2>/dev/null | head -n1)
			line="$(( (now - t0) / 1000000 ))"
			for s in "$d"/*; do
				[ -f "$s" ] && line="$line ${s##*/}=$(cat "$s" 2>/dev/null || echo -)"
			done
			line="$line acpi_error_lines=$(tr -d '\r' <"$con" | grep -c -E "$ACPI_ERR")"
			# irq_exits are L1's own interrupts arriving while L2 runs: they grow with the
			# (TCG) wall time, not with what the VMM or guest do.
			s=$(awk 'NR == FNR { e = $1; next } { print e - $1 }' "$d/exits" "$d/irq_exits" 2>/dev/null)
			line="$line exits_but_irq=${s:--}"
			break
		fi
		kill -0 "$vmm_pid" 2>/dev/null || { line="fail exited"; break; }
		[ $(( (now - t0) / 1000000000 )) -lt "$T" ] || break
		sleep 0.1
	done
	# microvm -v prints its own exit breakdown on SIGTERM (kept for the last run's summary).
	kill -TERM "$vmm_pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$vmm_pid" 2>/dev/null || break; sleep 0.2; done
	kill -9 "$vmm_pid" 2>/dev/null; wait "$vmm_pid" 2>/dev/null; vmm_pid=
	[ "$vmm" = qemu ] || grep -E 'exits by reason|PIO exits|MMIO exits|memory:' "$con.err" \
		>"$TMP/$vmm-$kit.verbose"
	tr -d '\r' <"$con" | grep -E "$ACPI_ERR" | head -n 5 >"$TMP/$vmm-$kit.acpi"
	echo "$line" >>"$TMP/$vmm-$kit"
	echo "bench: $vmm $kit run $3: $line"
	[ "${line%% *}" != fail ] || { echo "--- $vmm $kit console tail"; tail -n 8 "$con" "$con.err"; }
}
trap '[ -z "$vmm_pid" ] || kill -9 $vmm_pid 2>/dev/null; rm -rf "$TMP"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
# col VMM KIT KEY: the median of KEY (time_ms or a counter) over the successful runs.
col() {
	[ -f "$TMP/$1-$2" ] || { echo -; return; }
	if [ "$3" = time_ms ]; then grep -v '^fail' "$TMP/$1-$2" | awk '{ print $1 }' | median
	else grep -v '^fail' "$TMP/$1-$2" | tr ' ' '\n' | sed -n "s/^$3=//p" | grep -E '^[0-9]+$' | median
	fi
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = "^[0-9]+([.][0-9]+)?$"
		if (a ~ n && b ~ n && b + 0 > 0) printf "%.2fx", a / b; else print "-" }'
}
ok_runs() { [ -f "$TMP/$1-$2" ] && grep -vc '^fail' "$TMP/$1-$2" || echo 0; }

for kit in stock stock-cloud; do
	[ -f "build/guest/$kit/vmlinuz" ] || { echo "bench: build/guest/$kit missing"; continue; }
	vmms="microvm qemu"
	[ "$kit" != stock ] || [ "${REALKVM_BENCH_MEMFD:-1}" = 0 ] || vmms="microvm microvm-memfd qemu"
	for vmm in $vmms; do
		n=$RUNS
		[ "$vmm" != microvm-memfd ] || n=${REALKVM_BENCH_MEMFD_RUNS:-1}
		for i in $(seq 1 "$n"); do
			boot "$vmm" "$kit" "$i"
			# A VMM that cannot boot this kernel at all: one failed run says it.
			[ "$i" = 1 ] && [ "$(ok_runs "$vmm" "$kit")" = 0 ] && break
		done
	done
done

echo
echo "## Real-KVM lane (kvm_amd in L1 under QEMU TCG): Debian kernels to the init marker, microvm vs qemu -M microvm,acpi=on, median of up to $RUNS runs"
echo "## times are TCG wall times (not hardware times); exit counts are L1's per-VM KVM counters; goals: exits <= 0.50x, time <= 0.70x"
# Rows: time, the main reasons, then the other exit/fault counters that are non-zero in a run.
others=
for k in $(cat "$TMP"/microvm-stock "$TMP"/microvm-stock-cloud "$TMP"/microvm-memfd-stock "$TMP"/qemu-stock "$TMP"/qemu-stock-cloud 2>/dev/null | tr ' ' '\n' | grep '=' | grep -v -E '=(0|-)$' |
	cut -d= -f1 | grep -E '_exits$|^pf_|^pages_|^insn_emulation|^irq_injections$|^hypercalls$' | sort -u); do
	case " $MAIN_STATS acpi_error_lines " in *" $k "*) ;; *) others="$others $k" ;; esac
done
# cell VMM KIT KEY: the median, or FAIL(why) when no run of VMM on KIT reached init.
cell() {
	[ -f "$TMP/$1-$2" ] || { echo -; return; }
	if [ "$(ok_runs "$1" "$2")" = 0 ]; then echo "FAIL($(head -n1 "$TMP/$1-$2" | cut -d' ' -f2))"
	else col "$1" "$2" "$3"; fi
}
# One table: stock (generic) and cloud kernels side by side; microvm(memfd) = microvm with
# 4 KiB-page memfd guest RAM (what vhost-user machines get), stock kernel only.
printf "%-26s | %9s %9s %7s %9s %7s | %9s %9s %7s\n" "metric" "stock:mv" "qemu" "mv/qemu" \
	"mv-memfd" "/qemu" "cloud:mv" "qemu" "mv/qemu"
for k in time_ms $MAIN_STATS acpi_error_lines $others; do
	a=$(cell microvm stock "$k"); b=$(cell qemu stock "$k"); c=$(cell microvm-memfd stock "$k")
	d=$(cell microvm stock-cloud "$k"); e=$(cell qemu stock-cloud "$k")
	n=$k; [ "$k" = time_ms ] && n="time_to_init_ms(TCG)"
	printf "%-26s | %9s %9s %7s %9s %7s | %9s %9s %7s\n" "$n" "$a" "$b" "$(ratio "$a" "$b")" \
		"$c" "$(ratio "$c" "$b")" "$d" "$e" "$(ratio "$d" "$e")"
done
for kit in stock stock-cloud; do
	sed "s/^microvm: info: /  $kit microvm -v (last run): /" "$TMP/microvm-$kit.verbose" 2>/dev/null
	for v in microvm qemu; do
		sed "s/^/  $kit $v ACPI line: /" "$TMP/$v-$kit.acpi" 2>/dev/null
	done
	for v in microvm microvm-memfd qemu; do
		[ ! -f "$TMP/$v-$kit" ] || echo "  runs ok: $kit $v $(ok_runs "$v" "$kit")/$(wc -l <"$TMP/$v-$kit")"
	done
done
