#!/bin/bash
# Runs inside L1 (chrooted into the overlay of the host's root): every test named in the plan
# file, one after the other, output on the console between markers parsed by run.sh:
#   REALKVM-BEGIN <test>
#   REALKVM-RESULT PASS|FAIL <test> <seconds> [rc=N]
# usage: l1-run.sh PLAN   (one test per line: its path relative to the repo [timeout in s])
set -u
cd "$(dirname "$0")/../.."
plan=$1
export REALKVM=1 TMPDIR=/tmp
per_test=${REALKVM_TEST_TIMEOUT:-600}
# One VM's timeout, well inside the test's: a VM that hangs fails with its console tail.
export LINUX_TIMEOUT=${LINUX_TIMEOUT:-240} STOCK_TIMEOUT=${STOCK_TIMEOUT:-240}
while read -r t tmo; do
	[ -n "$t" ] || continue
	echo "REALKVM-BEGIN $t"
	start=$(date +%s.%N)
	timeout -k 5 "${tmo:-$per_test}" bash "$t" </dev/null 2>&1
	rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	if [ "$rc" -eq 0 ]; then st=PASS; else st=FAIL; fi
	echo "REALKVM-RESULT $st $t $secs rc=$rc"
done < "$plan"
