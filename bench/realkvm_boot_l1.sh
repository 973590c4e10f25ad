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
T=${REALKVM_BENCH_TIMEOUT:-150}
CMDLINE="$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' configs/linux-stock.toml) microvm.test=idle"
# The counters every 6.1 KVM keeps per VM (vCPU ones summed); the table shows all that are non-zero.
MAIN_STATS="exits io_exits mmio_exits pf_fixed halt_exits irq_exits irq_window_exits insn_emulation"
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
		for i in $(seq 1 "$RUNS"); do
			boot "$vmm" "$kit" "$i"
			# A VMM that cannot boot this kernel at all: one failed run says it.
			[ "$i" = 1 ] && [ "$(ok_runs "$vmm" "$kit")" = 0 ] && break
		done
	done
done

echo
echo "## Real-KVM lane (kvm_amd in L1 under QEMU TCG): Debian stock kernel to the init marker, median of up to $RUNS runs"
echo "## times are TCG wall times (not hardware times); exit counts are L1's per-VM KVM counters"
# Rows: time, the main reasons, then every other counter that is non-zero in some run.
others=
for k in $(cat "$TMP"/microvm-stock "$TMP"/microvm-stock-cloud "$TMP"/microvm-memfd-stock "$TMP"/qemu-stock "$TMP"/qemu-stock-cloud 2>/dev/null | tr ' ' '\n' | grep '=' | grep -v -E '=(0|-)$' |
	cut -d= -f1 | sort -u); do
	case " $MAIN_STATS acpi_error_lines " in *" $k "*) ;; *) others="$others $k" ;; esac
done
for kit in stock stock-cloud; do
	# The memfd column (stock only): microvm with 4 KiB-page guest RAM, for comparison.
	m=0; [ -f "$TMP/microvm-memfd-$kit" ] && m=1
	printf "%-28s %14s %14s %8s" "$kit: metric" "microvm" "qemu-microvm" "mv/qemu"
	[ "$m" = 0 ] && echo || printf " %14s %8s\n" "microvm(memfd)" "memfd/qemu"
	for k in time_ms $MAIN_STATS acpi_error_lines $others; do
		a=$(col microvm "$kit" "$k"); b=$(col qemu "$kit" "$k"); c=$(col microvm-memfd "$kit" "$k")
		[ "$(ok_runs microvm "$kit")" != 0 ] || a="FAIL($(head -n1 "$TMP/microvm-$kit" 2>/dev/null | cut -d' ' -f2))"
		[ "$(ok_runs qemu "$kit")" != 0 ] || b="FAIL($(head -n1 "$TMP/qemu-$kit" 2>/dev/null | cut -d' ' -f2))"
		[ "$k" = time_ms ] && k="time_to_init_ms(TCG)"
		printf "%-28s %14s %14s %8s" "$k" "$a" "$b" "$(ratio "$a" "$b")"
		[ "$m" = 0 ] && echo || printf " %14s %8s\n" "$c" "$(ratio "$c" "$b")"
	done
	sed 's/^microvm: info: /  microvm -v (last run): /' "$TMP/microvm-$kit.verbose" 2>/dev/null
	for v in microvm qemu; do
		sed "s/^/  $v ACPI line: /" "$TMP/$v-$kit.acpi" 2>/dev/null
	done
	[ "$m" = 0 ] || echo "  runs ok: microvm(memfd) $(ok_runs microvm-memfd "$kit")/$(wc -l <"$TMP/microvm-memfd-$kit")"
	echo "  runs ok: microvm $(ok_runs microvm "$kit")/$(wc -l <"$TMP/microvm-$kit" 2>/dev/null || echo 0), qemu $(ok_runs qemu "$kit")/$(wc -l <"$TMP/qemu-$kit" 2>/dev/null || echo 0)"
done
