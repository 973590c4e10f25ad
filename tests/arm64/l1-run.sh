#!/bin/sh
# Runs inside L1 (busybox sh): every test named in the plan file, one after the other, output on
# the console between markers parsed by tests/arm64/run.sh:
#   ARM64-BEGIN <test>
#   ARM64-RESULT PASS|FAIL <test> <seconds> [rc=N]
# usage: l1-run.sh PLAN   (one test a line: its name under /lane/tests [timeout in s])
plan=$1
export TMPDIR=/tmp LD_LIBRARY_PATH=/lib:/usr/lib
while read -r t tmo; do
	[ -n "$t" ] || continue
	echo "ARM64-BEGIN $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout -s KILL "${tmo:-600}" sh "/lane/tests/$t" </dev/null 2>&1
	rc=$?
	secs=$(awk -v s="$start" -v e="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", e - s }')
	if [ "$rc" -eq 0 ]; then st=PASS; else st=FAIL; fi
	echo "ARM64-RESULT $st $t $secs rc=$rc"
done <"$plan"
