# make bench-arm64: the stock arm64 Image to init under microvm in L1, 1 vCPU, 3
# boots: time from microvm's start to L2's init marker (TCG) and L1's per-VM KVM counters at
# that point (L2 waits at init until L1 has read them). Prints "bench:" lines; run.sh shows them.
. /lane/lib.sh
require_kvm
runs=3
write_config "$TMP/b.toml" 1 256M
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
: >"$TMP/res"
for i in $(seq 1 $runs); do
	VM_STDIN=$TMP/in start_vm "b$i" "$TMP/b.toml" "l2.test=boot l2.wait=1"
	await_console '^L2-WAIT'
	line="$AWAIT_SECS"
	for s in exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfi_exit_stat; do
		v=$(cat /sys/kernel/debug/kvm/*-*/$s 2>/dev/null | head -n1)
		line="$line ${v:--}"
	done
	echo "$line" >>"$TMP/res"
	echo go >&3
	wait_vm
	expect_status 0
	echo "bench: run $i: $line"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "bench: | stock arm64 L2, 1 vCPU, medians of $runs | microvm | BRIEF s.8 test VMM | ratio |"
col=1
for n in "time to init (s)" exits mmio_exit_user mmio_exit_kernel hvc_exit_stat wfi_exit_stat; do
	m=$(cut -d' ' -f$col "$TMP/res" | median)
	case "$n" in
	"time to init (s)") ref=7.5 ;; mmio_exit_user) ref=1500 ;; *) ref=- ;;
	esac
	r=$(awk -v a="$m" -v b="$ref" 'BEGIN { if (b == "-" || a == "-" || b == 0) print "-"; else printf "%.2fx", a / b }')
	echo "bench: | $n | $m | $ref | $r |"
	col=$((col + 1))
done
