#!/usr/bin/env bash
# Everything `make test` runs, in order; the last line is "N passed, N failed" over all phases.
#   0. check-layers: every #include follows the layer table (scripts/check-layers.py)
#   1. unit + harness tests (Check), gcc build
#   2. integration tests: test guest and Linux guest under /dev/kvm, interop with real backends
#   3. the unit tests again under ASan+UBSan (SAN=1 build)
#   4. the threaded unit tests under ThreadSanitizer (SAN=thread build, tests/tsan.supp)
#   5. valgrind memcheck on the unit tests (zero leaks)
#   6. every fuzz target for FUZZ_SECONDS each
#   (after 2) the real-KVM lane: tests/realkvm in L1 (kvm_amd nested in QEMU TCG), <= 15 min
#   (after it) the arm64 lane: tests/arm64, make ARCH=arm64 under KVM in qemu-system-aarch64 TCG
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
MAKE="make --no-print-directory"
total_pass=0; total_fail=0
summary=(); failures=()

phase() { # name, command...
	local name=$1; shift
	local log; log=$(mktemp)
	local t0=$SECONDS
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | sed -E 's/.* ([0-9]+) failed.*/\1/')
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	summary+=("$name: $p passed, $f failed ($((SECONDS - t0)) s)")
	while IFS= read -r l; do failures+=("$l"); done < <(grep -E '^FAIL ' "$log" | cut -c1-160)
	if [ "$f" -gt 0 ] && ! grep -qE '^FAIL ' "$log"; then failures+=("FAIL $name (exit $rc, see its log above)"); fi
	rm -f "$log"
}

phase check-layers scripts/check-layers.py
UNIT_BINS=$(ls "$BUILD"/tests/test_* 2>/dev/null | grep -v '\.d$' | sort)
phase unit tests/run_unit.sh $UNIT_BINS
phase integration tests/run_integration.sh
phase realkvm tests/realkvm/run.sh
phase arm64 bash -c "$MAKE arm64-lane-bins >/dev/null && tests/arm64/run.sh"
if [ "${MICROVM_QUICK:-0}" != 1 ]; then
	phase sanitizers bash -c "$MAKE SAN=1 BUILD=build/san unit-test-bins >/dev/null && CK_TIMEOUT_MULTIPLIER=3 tests/run_unit.sh \$(ls build/san/tests/test_* | grep -v '\.d\$' | sort)"
	TSAN_TESTS="test_blk test_msix test_pci_kvm test_seccomp test_shm_region test_shmem_requests
		test_vhost_user_fake test_vhost_user_fs_cache test_vhost_user_generic
		test_vhost_user_harness test_vhost_user_msg test_vhost_user_virtiofsd test_virtio_pci
		test_virtiofsd test_virtiofsd_harness test_virtqueue test_vu_backend test_vcpu_pause
		test_worker test_net test_vhost_user_net"
	phase tsan bash -c "$MAKE SAN=thread BUILD=build/tsan unit-test-bins >/dev/null && tests/run_tsan.sh $(for t in $TSAN_TESTS; do printf 'build/tsan/tests/%s ' "$t"; done)"
	phase valgrind tests/run_valgrind.sh $UNIT_BINS
	phase fuzz bash -c "$MAKE fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-15}"  # 12 targets: keeps CI under 45 min
fi
echo "=== summary (${SECONDS} s)"
for s in "${summary[@]}"; do echo "  $s"; done
for s in "${failures[@]}"; do echo "  $s"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
