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
#   REALKVM_QEMU_ARGS="..." extra L1 QEMU options (L1's monitor is $REALKVM_WORK/l1-monitor.sock)
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


l1_timeout=${REALKVM_TIMEOUT:-840}
# An L1 that has stopped answering (no result line 60 s after a test's own timeout: the tests
# inside cannot end it, as in #14) is stopped and a new L1 runs the tests that remain, at most
# REALKVM_RESTARTS (default 1) times; the test it was running fails with L1's CPU state.
restarts=${REALKVM_RESTARTS:-1}
mon=$work/l1-monitor.sock
touch "$work/done"
section() { # test -> its console lines into $work/tail
	tr -d '\r' <"$console" | awk -v t="$1" '$0 == "REALKVM-BEGIN " t { on = 1; next }
		on && index($0, "REALKVM-RESULT ") == 1 { on = 0 } on' >"$work/tail"
}
test_timeout() { # test -> its timeout in L1 (the plan's second column, else l1-run.sh's 600 s)
	awk -v t="$1" '$1 == t && $2 != "" { print $2; f = 1; exit } END { if (!f) print 600 }' "$plan"
}
# watch_l1: every 5 s; writes $work/l1-state (QEMU monitor: registers incl. HLT=, local APIC)
# 15 s before the L1 timeout, or when the running test is 60 s past its timeout: then it also
# writes the test's name to $work/stalled and stops L1.
watch_l1() {
	local cur="" t0=0 tmo=600 last
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 5
		last=$(tr -d '\r' <"$console" | grep -a -E '^REALKVM-(BEGIN|RESULT) ' | tail -n 1)
		case "$last" in
		"REALKVM-BEGIN "*)
			if [ "${last#REALKVM-BEGIN }" != "$cur" ]; then
				cur=${last#REALKVM-BEGIN }; t0=$SECONDS; tmo=$(test_timeout "$cur")
			fi ;;
		*) cur="" ;;
		esac
		if [ -n "$cur" ] && [ $((SECONDS - t0)) -gt $((tmo + 60)) ]; then
			tests/realkvm/l1-monitor.py "$mon" "info registers" "info lapic" >"$work/l1-state" 2>&1
			echo "$cur" >"$work/stalled"
			kill "$qpid" 2>/dev/null
			return
		fi
		if [ $((SECONDS - l1)) -ge $((l1_timeout - 15)) ] && [ ! -s "$work/l1-state" ]; then
			tests/realkvm/l1-monitor.py "$mon" "info registers" "info lapic" >"$work/l1-state" 2>&1
		fi
	done
}

boot=0
plan=$work/plan
console=$work/console
while :; do
	l1=$SECONDS
	rm -f "$mon" "$work/stalled" "$work/l1-state"
	timeout --foreground -k 10 "$l1_timeout" qemu-system-x86_64 -accel tcg -M q35 \
		-cpu EPYC,+svm,+npt -smp "${REALKVM_SMP:-1}" -m 3G -nographic -no-reboot \
		-kernel "$BUILD/realkvm/vmlinuz" -initrd "$BUILD/realkvm/l1.cpio" \
		-append "console=ttyS0 rdinit=/init panic=-1 quiet realkvm.repo=$ROOT realkvm.plan=$plan realkvm.build=$BUILD" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-monitor "unix:$mon,server,nowait" ${REALKVM_QEMU_ARGS:-} </dev/null >"$console" 2>"$work/qemu.err" &
	qpid=$!
	watch_l1 &
	wpid=$!
	trap 'kill $qpid $wpid 2>/dev/null' EXIT INT TERM

	# Streams the results while L1 runs.
	seen_kvm=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		# (the firmware's terminal escapes may precede L1's first line)
		*REALKVM-KVM-OK*) seen_kvm=1
			[ "$boot" -gt 0 ] || { result PASS l1-kvm-amd $((SECONDS - l1)); echo "    ${line#*REALKVM-KVM-OK }"; } ;;
		*REALKVM-L1-FAIL:*) seen_kvm=1; result FAIL l1-kvm-amd $((SECONDS - l1)) "$console" ;;
		REALKVM-RESULT\ *)
			read -r _ st name secs _ <<<"$line"
			section "$name"
			result "$st" "$name" "$secs" "$work/tail"
			echo "$name" >>"$work/done" ;;
		esac
	done < <(tail -n +1 -F --pid=$qpid "$console" 2>/dev/null)
	wait "$qpid"; qrc=$?
	kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
	if [ "$seen_kvm" = 0 ]; then
		result FAIL l1-kvm-amd $((SECONDS - l1)) "$console"
	fi
	stalled=$(cat "$work/stalled" 2>/dev/null)
	if [ -n "$stalled" ]; then
		section "$stalled"
		result FAIL "$stalled" - "$work/tail"
		echo "    no result $(( $(test_timeout "$stalled") + 60 )) s after it began: L1 stopped answering; its CPU then:"
		sed 's/^/    /' "$work/l1-state" 2>/dev/null
		echo "$stalled" >>"$work/done"
	elif [ "$qrc" -eq 124 ]; then
		echo "realkvm: L1 did not finish within $l1_timeout s; its CPU 15 s before:"
		sed 's/^/    /' "$work/l1-state" 2>/dev/null
	fi
	# The tests without a result: run by a new L1 after a stall, else failed.
	while read -r t rest; do
		[ -f "$t" ] && ! grep -qxF "$t" "$work/done" && echo "$t $rest"
	done <"$plan" >"$work/plan.left"
	[ -s "$work/plan.left" ] || break
	if [ -n "$stalled" ] && [ "$boot" -lt "$restarts" ]; then
		boot=$((boot + 1))
		echo "realkvm: a new L1 for the $(wc -l <"$work/plan.left") tests left (console.$boot)"
		plan=$work/plan.$boot; mv "$work/plan.left" "$plan"
		console=$work/console.$boot
		continue
	fi
	while read -r t _; do
		section "$t"
		result FAIL "$t" - "$work/tail"
		echo "    no result (L1 ended first: qemu status $qrc)"
	done <"$work/plan.left"
	break
done
finish
