# make bench-arm64: the stock arm64 Image and the lane's DAX kernel (/lane/Image-dax, built from
# Debian's linux-source-6.1, tests/arm64/l2-dax.config) to init under microvm in L1, 1 vCPU, 3
# boots each, alternated: time from microvm's start to L2's init marker (TCG) and L1's per-VM
# KVM counters at that point (L2 waits at init until L1 has read them). Prints "bench:" lines;
# run.sh shows them.
. /lane/lib.sh
require_kvm
runs=3
write_config "$TMP/stock.toml" 1 256M
KERNEL=$DAX_KERNEL INITRD=$DAX_INITRD write_config "$TMP/dax.toml" 1 256M
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
: >"$TMP/res.stock"
: >"$TMP/res.dax"
for i in $(seq 1 $runs); do
	for k in stock dax; do
		VM_STDIN=$TMP/in start_vm "b$k$i" "$TMP/$k.toml" "l2.test=boot l2.wait=1"
		await_console '^L2-WAIT'
		line="$AWAIT_SECS"
		for s in exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfi_exit_stat; do
			v=$(cat /sys/kernel/debug/kvm/*-*/$s 2>/dev/null | head -n1)
			line="$line ${v:--}"
		done
		echo "$line" >>"$TMP/res.$k"
		echo go >&3
		wait_vm
		expect_status 0
		echo "bench: run $i $k: $line"
	done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || a == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
echo "bench: | stock arm64 L2, 1 vCPU, medians of $runs | microvm | BRIEF s.8 test VMM | ratio |"
col=1
for n in "time to init (s)" exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfi_exit_stat; do
	m=$(cut -d' ' -f$col "$TMP/res.stock" | median)
	case "$n" in
	"time to init (s)") ref=7.5 ;; mmio_exit_user) ref=1500 ;; *) ref=- ;;
	esac
	echo "bench: | $n | $m | $ref | $(ratio "$m" "$ref") |"
	col=$((col + 1))
done
echo "bench: | L2 kernel under microvm, 1 vCPU, medians of $runs | DAX kernel (Image-dax) | stock Image | ratio |"
col=1
for n in "time to init (s)" exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfi_exit_stat; do
	d=$(cut -d' ' -f$col "$TMP/res.dax" | median)
	m=$(cut -d' ' -f$col "$TMP/res.stock" | median)
	echo "bench: | $n | $d | $m | $(ratio "$d" "$m") |"
	col=$((col + 1))
done
