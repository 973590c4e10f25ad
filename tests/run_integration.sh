#!/usr/bin/env bash
# Runs every tests/integration/*.sh (sorted); each exits 0 for pass. No skipping: a test that
# needs /dev/kvm fails when it is missing.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
pass=0; fail=0
filter=${INTEGRATION_FILTER:-}
for t in tests/integration/[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ -n "$filter" ] && [[ "$name" != *$filter* ]]; then continue; fi
	log=$(mktemp)
	start=$(date +%s.%N)
	if timeout 900 bash "$t" >"$log" 2>&1; then
		pass=$((pass + 1)); status=PASS
	else
		fail=$((fail + 1)); status=FAIL
	fi
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	echo "$status integration/$name (${secs}s)"
	if [ "$status" = FAIL ]; then tail -n 60 "$log" | sed 's/^/    /'; fi
	rm -f "$log"
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
