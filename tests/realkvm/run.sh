#!/usr/bin/env bash
# The real-KVM lane (README.md here): boots L1 (Debian's stock kernel with kvm_amd under
# `qemu-system-x86_64 -accel tcg` with an SVM CPU) once, runs every tests/realkvm/t-*.sh and the
# integration tests of tests/realkvm/integration.list in it against L1's /dev/kvm, and prints one
# PASS/FAIL line per test and "realkvm: N passed, N failed". Never skips: no KVM in L1, an L1 that
# hangs (REALKVM_TIMEOUT, default 840 s) or a test without a result counts as a failure.
#   REALKVM_FILTER=substr   only the tests whose name contains substr
#   REALKVM_SMP=N           L1 vCPUs (default 1)
#   REALKVM_PLAN="a.sh [timeout_s];b.sh"  run these scripts instead (make bench uses it)
#   REALKVM_WORK=DIR        plan, console and logs (default $BUILD/realkvm/run; under the repo)
#   REALKVM_SKIP_KIT=1      do not rebuild build/guest/stock (another lane run is reading it)
#   REALKVM_SHOW=1          print every test's output, not only a failing test's tail
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
t0=$SECONDS
pass=0; fail=0
result() { # PASS|FAIL name secs [tail file]
	echo "$1 realkvm/$2 ($3s)"
	if [ -n "${REALKVM_SHOW:-}" ] && [ -n "${4:-}" ]; then sed 's/^/    /' "$4"; fi
	if [ "$1" = PASS ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		[ -z "${4:-}" ] || [ -n "${REALKVM_SHOW:-}" ] || tail -n 60 "$4" | sed 's/^/    /'
	fi
}
finish() {
	echo "realkvm: lane wall time $((SECONDS - t0)) s (TCG)"
	echo "realkvm: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

work=${REALKVM_WORK:-$BUILD/realkvm/run}
rm -rf "$work" && mkdir -p "$work"
# (the cloud flavour: t-acpi-cloud; cached like the generic one)
if { [ -z "${REALKVM_SKIP_KIT:-}" ] && ! { make --no-print-directory guest-kit-stock &&
	guest/scripts/build-stock.sh "$ROOT/build/guest/stock-cloud" linux-image-cloud-amd64; } >"$work/kit.log" 2>&1; } ||
   ! tests/realkvm/build-l1.sh "$BUILD/realkvm" >>"$work/kit.log" 2>&1; then
	result FAIL l1-kit 0 "$work/kit.log"
	finish
fi

: >"$work/plan"
if [ -n "${REALKVM_PLAN:-}" ]; then
	echo "$REALKVM_PLAN" | tr ';' '\n' >"$work/plan"
else
	for t in tests/realkvm/t-*.sh; do
		[ -e "$t" ] && echo "$t" >>"$work/plan"
	done
	sed -e 's/#.*//' -e 's/[[:space:]]//g' tests/realkvm/integration.list | while read -r n; do
		[ -z "$n" ] || echo "tests/integration/$n.sh"
	done >>"$work/plan"
fi
if [ -n "${REALKVM_FILTER:-}" ]; then
	grep -F -- "$REALKVM_FILTER" "$work/plan" >"$work/plan.f" || true
	mv "$work/plan.f" "$work/plan"
fi
while read -r t _; do
	[ -f "$t" ] || { result FAIL "$t" 0; echo "    no such test"; }
done <"$work/plan"

console=$work/console
l1=$SECONDS
timeout --foreground -k 10 "${REALKVM_TIMEOUT:-840}" qemu-system-x86_64 -accel tcg -M q35 \
	-cpu EPYC,+svm,+npt -smp "${REALKVM_SMP:-1}" -m 3G -nographic -no-reboot \
	-kernel "$BUILD/realkvm/vmlinuz" -initrd "$BUILD/realkvm/l1.cpio" \
	-append "console=ttyS0 rdinit=/init panic=-1 quiet realkvm.repo=$ROOT realkvm.plan=$work/plan realkvm.build=$BUILD" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	</dev/null >"$console" 2>"$work/qemu.err" &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT INT TERM

# Streams the results while L1 runs.
section() { # test -> its console lines into $work/tail
	tr -d '\r' <"$console" | awk -v t="$1" '$0 == "REALKVM-BEGIN " t { on = 1; next }
		on && index($0, "REALKVM-RESULT ") == 1 { on = 0 } on' >"$work/tail"
}
seen_kvm=0
while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	# (the firmware's terminal escapes may precede L1's first line)
	*REALKVM-KVM-OK*) seen_kvm=1; result PASS l1-kvm-amd $((SECONDS - l1)); echo "    ${line#*REALKVM-KVM-OK }" ;;
	*REALKVM-L1-FAIL:*) seen_kvm=1; result FAIL l1-kvm-amd $((SECONDS - l1)) "$console" ;;
	REALKVM-RESULT\ *)
		read -r _ st name secs _ <<<"$line"
		section "$name"
		result "$st" "$name" "$secs" "$work/tail"
		echo "$name" >>"$work/done" ;;
	esac
done < <(tail -n +1 -F --pid=$qpid "$console" 2>/dev/null)
wait "$qpid"; qrc=$?
if [ "$seen_kvm" = 0 ]; then
	result FAIL l1-kvm-amd $((SECONDS - l1)) "$console"
fi
[ "$qrc" -ne 124 ] || echo "realkvm: L1 did not finish within ${REALKVM_TIMEOUT:-840} s"
touch "$work/done"
while read -r t _; do
	[ -f "$t" ] || continue
	grep -qxF "$t" "$work/done" || {
		section "$t"
		result FAIL "$t" - "$work/tail"
		echo "    no result (L1 ended first: qemu status $qrc)"
	}
done <"$work/plan"
finish
