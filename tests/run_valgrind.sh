#!/usr/bin/env bash
# valgrind memcheck on each unit-test binary: any error or definite/indirect leak fails.
# Tests run forked (CK_FORK=yes: tests that expect a signal need it; valgrind follows fork),
# with Check's per-test timeouts multiplied (valgrind runs code 10-50x slower).
# Test cases tagged "no-valgrind" are excluded: they need what valgrind does not provide (more
# live mappings than its address-space manager supports, a lowered RLIMIT_NOFILE, real thread
# concurrency: valgrind runs one thread at a time); the unit and ASan phases run them.
set -u
pass=0; fail=0
for t in "$@"; do
	name=$(basename "$t")
	log=$(mktemp)
	t0=$SECONDS
	if CK_FORK=yes CK_EXCLUDE_TAGS=no-valgrind CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-6} timeout 900 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$t" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "PASS valgrind/$name ($((SECONDS - t0)) s)"
	else
		fail=$((fail + 1)); echo "FAIL valgrind/$name ($((SECONDS - t0)) s)"
		# The failing checks and valgrind's own report first (CI shows only part of the log).
		grep -E ':[EF]:|==[0-9]+== (Invalid|Conditional|Syscall|Mismatched|[0-9,]+ bytes in)|definitely|indirectly' "$log" |
			head -n 12 | sed 's/^/    /'
		tail -n 30 "$log" | sed 's/^/    /'
	fi
	rm -f "$log"
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
