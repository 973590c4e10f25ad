#!/usr/bin/env bash
# ThreadSanitizer on the threaded unit tests (SAN=thread build, e.g. build/tsan/tests/test_*):
# each binary given on the command line runs once; a failed check or any TSan report fails it.
# Tests run forked (CK_FORK=yes), each child reports its own races and exits 66 on any
# (exitcode=66, halt_on_error=0: every report of the child is printed). Check's timeouts are
# multiplied (TSan runs code 5-15x slower). tests/tsan.supp lists the only suppressed reports
# (guest-memory accesses TSan cannot see the ordering of), each with why it is safe.
set -u
cd "$(dirname "$0")/.."
supp=$PWD/tests/tsan.supp
pass=0; fail=0
for t in "$@"; do
	name=$(basename "$t")
	log=$(mktemp); rdir=$(mktemp -d)
	# log_path: reports of the test and of every TSan-built process it starts (back-ends, tests
	# that send stderr to a file) land in $rdir/tsan.<pid>.
	if CK_FORK=yes CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-5} \
		TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1 suppressions=$supp log_path=$rdir/tsan ${TSAN_OPTIONS:-}" \
		timeout 900 "$t" >"$log" 2>&1 && ! grep -qs 'WARNING: ThreadSanitizer' "$rdir"/tsan.*; then
		pass=$((pass + 1))
		echo "PASS tsan/$name: $(grep -E '^[0-9]+%: Checks' "$log" | tail -1)"
	else
		fail=$((fail + 1)); echo "FAIL tsan/$name"
		if grep -qs 'WARNING: ThreadSanitizer' "$rdir"/tsan.*; then
			# the first report in full, then the one-line summary of every report
			cat "$rdir"/tsan.* | sed -n '/WARNING: ThreadSanitizer/,/^SUMMARY: ThreadSanitizer/p' |
				sed -n '1,/^SUMMARY/p' | head -n 60 | sed 's/^/    /'
			cat "$rdir"/tsan.* | grep '^SUMMARY: ThreadSanitizer' | sort | uniq -c | sed 's/^/    /'
		fi
		tail -n 20 "$log" | sed 's/^/    /'
	fi
	rm -rf "$log" "$rdir"
done
echo "tsan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
