#!/usr/bin/env bash
# Runs each Check unit-test binary given on the command line; prints one PASS/FAIL line each.
set -u
pass=0; fail=0; failed=()
for t in "$@"; do
	name=$(basename "$t")
	log=$(mktemp)
	if CK_FORK=yes timeout 900 "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS unit/$name: $(grep -E '^[0-9]+%: Checks' "$log" | tail -1)"
	else
		fail=$((fail + 1)); failed+=("unit/$name")
		echo "FAIL unit/$name"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
	rm -f "$log"
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
