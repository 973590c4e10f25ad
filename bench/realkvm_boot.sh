#!/usr/bin/env bash
# `make bench` section: microvm vs `qemu-system-x86_64 -M microvm,acpi=on -enable-kvm` in the
# real-KVM lane (L1 = Debian's kernel with kvm_amd under QEMU TCG, tests/realkvm): exits per boot
# by reason from L1's per-VM KVM counters and TCG wall time to the init marker, on Debian's stock
# kernel (linux-image-amd64) and its cloud flavour (linux-image-cloud-amd64), same kernel,
# initramfs and command line for both VMMs (bench/realkvm_boot_l1.sh does the boots in L1).
# REALKVM_BENCH=0 skips it (~15 minutes of one core on a quiet host: 13 boots in one L1).
set -u
cd "$(dirname "$0")/.."
[ "${REALKVM_BENCH:-1}" != 0 ] || { echo "skipped (REALKVM_BENCH=0)"; exit 0; }
[ -n "${REALKVM_SKIP_KIT:-}" ] || make --no-print-directory guest-kit-stock >/dev/null ||
	{ echo "make guest-kit-stock failed"; exit 1; }
[ -n "${REALKVM_SKIP_KIT:-}" ] || guest/scripts/build-stock.sh build/guest/stock-cloud linux-image-cloud-amd64 >/dev/null ||
	{ echo "the cloud kernel kit failed to build"; exit 1; }
REALKVM_SKIP_KIT=1 REALKVM_WORK=$PWD/build/realkvm/bench REALKVM_SHOW=1 REALKVM_TIMEOUT=${REALKVM_BENCH_L1_TIMEOUT:-2500} \
	REALKVM_PLAN="bench/realkvm_boot_l1.sh 2400" tests/realkvm/run.sh |
	grep -v -E '^realkvm: [0-9]+ passed' | sed -E 's/^    //'
