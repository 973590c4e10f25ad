#!/bin/bash
# Runs libFuzzer targets: tests/fuzz/run_fuzz.sh build/fuzz/fuzz_<name>...
# Each runs FUZZ_SECONDS (default 20) on a scratch copy of tests/fuzz/corpus/<name>/ (the
# checked-in corpus is never modified). Crash/leak/timeout inputs are kept in
# build/fuzz/artifacts/<name>/. tests/fuzz/<name>.dict, if present, is passed as -dict.
# Exits non-zero if any target fails.
set -u

secs=${FUZZ_SECONDS:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
npass=0
nfail=0

if [ $# -eq 0 ]; then
	echo "run_fuzz.sh: no fuzz targets given" >&2
	exit 1
fi

for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")
	artifacts=$root/build/fuzz/artifacts/$name
	log=$root/build/fuzz/fuzz_$name.log
	mkdir -p "$artifacts"
	if [ -d "$root/tests/fuzz/corpus/$name" ]; then
		cp -r "$root/tests/fuzz/corpus/$name/." "$scratch/"
	fi
	dict=()
	if [ -f "$root/tests/fuzz/$name.dict" ]; then
		dict=(-dict="$root/tests/fuzz/$name.dict")
	fi
	echo "fuzz: $name for ${secs}s (corpus $(ls "$scratch" | wc -l) files, log $log)"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		"${dict[@]}" -artifact_prefix="$artifacts/" "$scratch" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzz: $name FAILED (exit $rc); artifacts in $artifacts" >&2
		grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 >&2
		fail=1
		nfail=$((nfail + 1))
	else
		npass=$((npass + 1))
		echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
			grep -o '[0-9]*$') runs)"
	fi
	rm -rf "$scratch"
done
echo "fuzz: $npass passed, $nfail failed"
exit $fail
