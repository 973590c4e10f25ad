#!/usr/bin/env bash
# The arm64 lane (README.md here): boots L1 (Debian's stock arm64 kernel, KVM built in, under
# `qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -accel
# tcg`) once, runs every tests/arm64/tests/t-*.sh in it against L1's /dev/kvm with the arm64
# microvm build, and prints one PASS/FAIL line per test and "arm64: N passed, N failed". Never
# skips: a missing arm64 build, no KVM in L1, an L1 that hangs (ARM64_TIMEOUT, default 840 s)
# or a test without a result counts as a failure.
#   ARM64_FILTER=substr   only the tests whose name contains substr
#   ARM64_TESTS=GLOB      the scripts of tests/arm64/tests to run (default t-*.sh; make
#                         bench-arm64 runs b-*.sh)
#   ARM64_BUILD=DIR       the arm64 microvm build (default $BUILD/arm64: make ARCH=arm64)
#   ARM64_WORK=DIR        kit, plan, console and logs (default $BUILD/arm64-lane)
#   ARM64_SHOW=1          print every test's output, not only a failing test's tail
#   ARM64_MACHINE=M       QEMU's -M (default virt,virtualization=on,gic-version=3; without
#                         virtualization=on L1 has no KVM and every test must fail)
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
abuild=${ARM64_BUILD:-$BUILD/arm64}
work=${ARM64_WORK:-$BUILD/arm64-lane}
t0=$SECONDS
pass=0; fail=0
result() { # PASS|FAIL name secs [tail file]
	echo "$1 arm64/$2 ($3s)"
	if [ -n "${ARM64_SHOW:-}" ] && [ -n "${4:-}" ]; then sed 's/^/    /' "$4"; fi
	if [ "$1" = PASS ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		[ -z "${4:-}" ] || [ -n "${ARM64_SHOW:-}" ] || tail -n 60 "$4" | sed 's/^/    /'
	fi
}
finish() {
	echo "arm64: lane wall time $((SECONDS - t0)) s (TCG)"
	echo "arm64: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

mkdir -p "$work" && rm -rf "$work/run" && mkdir -p "$work/run"
run=$work/run
if ! tests/arm64/build-kit.sh "$work/kit" >"$run/kit.log" 2>&1; then
	result FAIL l1-kit 0 "$run/kit.log"
	finish
fi
for b in microvm microvm-virtiofsd; do
	if ! readelf -h "$abuild/$b" 2>/dev/null | grep -q 'Machine:.*AArch64'; then
		echo "$abuild/$b is not an arm64 build (make ARCH=arm64)" >"$run/build.log"
		result FAIL arm64-build 0 "$run/build.log"
		finish
	fi
done

# The per-run archive, appended to the cached base (the kernel unpacks both): /lane/bin (the
# arm64 builds and, for a dynamic build, their libraries from the cross toolchain and the
# arm64 sysroot), /lane/tests, lib.sh, l1-run.sh, the plan, l2-config.
st=$run/stage
mkdir -p "$st/lane/bin" "$st/lane/tests" "$st/lib"
cp "$abuild/microvm" "$abuild/microvm-virtiofsd" "$st/lane/bin/"
libdirs="/usr/aarch64-linux-gnu/lib $(ls -d "${MICROVM_CACHE:-/var/cache/microvm}"/arm64-sysroot-*/usr/lib/aarch64-linux-gnu 2>/dev/null | tr '\n' ' ')"
copy_libs() { # ELF: its NEEDED libraries (recursively) into $st/lib
	local n d
	for n in $(readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$st/lib/$n" ] && continue
		for d in $libdirs; do
			if [ -e "$d/$n" ]; then cp -L "$d/$n" "$st/lib/$n"; copy_libs "$st/lib/$n"; break; fi
		done
		[ -e "$st/lib/$n" ] || echo "arm64: no $n for $1 in $libdirs" >&2
	done
}
for b in "$st"/lane/bin/*; do
	if readelf -l "$b" | grep -q 'Requesting program interpreter'; then
		copy_libs "$b"
		cp -L /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$st/lib/" 2>/dev/null
	fi
done
cp tests/arm64/lib.sh tests/arm64/l1-run.sh "$st/lane/"
cp -L "$work/kit/l2-config" "$st/lane/l2-config"
: >"$st/lane/plan"
for t in tests/arm64/tests/${ARM64_TESTS:-t-*.sh}; do
	n=${t##*/}
	[ -z "${ARM64_FILTER:-}" ] || [[ $n == *"$ARM64_FILTER"* ]] || continue
	cp "$t" "$st/lane/tests/"
	echo "$n" >>"$st/lane/plan"
done
(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$run/run.cpio"
cat "$work/kit/base.cpio" "$run/run.cpio" >"$run/l1.cpio"

console=$run/console
l1=$SECONDS
timeout --foreground -k 10 "${ARM64_TIMEOUT:-840}" qemu-system-aarch64 \
	-M "${ARM64_MACHINE:-virt,virtualization=on,gic-version=3}" -cpu max,pauth-impdef=on -accel tcg -smp 1 -m 2G \
	-nographic -no-reboot -kernel "$work/kit/Image" -initrd "$run/l1.cpio" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 quiet" \
	</dev/null >"$console" 2>"$run/qemu.err" &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT INT TERM

section() { # test -> its console lines into $run/tail
	tr -d '\r' <"$console" | awk -v t="$1" '$0 == "ARM64-BEGIN " t { on = 1; next }
		on && index($0, "ARM64-RESULT ") == 1 { on = 0 } on' >"$run/tail"
}
seen_kvm=0
while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	*ARM64-KVM-OK*) seen_kvm=1; result PASS l1-kvm $((SECONDS - l1)); echo "    ${line#*ARM64-KVM-OK }" ;;
	*ARM64-L1-FAIL:*) seen_kvm=1; result FAIL l1-kvm $((SECONDS - l1)) "$console" ;;
	ARM64-RESULT\ *)
		read -r _ res name secs _ <<<"$line"
		section "$name"
		grep -E '^(time to init|exits|bench)' "$run/tail" | sed 's/^/    /'
		result "$res" "$name" "$secs" "$run/tail"
		echo "$name" >>"$run/done" ;;
	esac
done < <(tail -n +1 -F --pid=$qpid "$console" 2>/dev/null)
wait "$qpid"; qrc=$?
[ "$seen_kvm" = 1 ] || result FAIL l1-kvm $((SECONDS - l1)) "$console"
[ "$qrc" -ne 124 ] || echo "arm64: L1 did not finish within ${ARM64_TIMEOUT:-840} s"
touch "$run/done"
while read -r t; do
	grep -qxF "$t" "$run/done" || {
		section "$t"
		result FAIL "$t" - "$run/tail"
		echo "    no result (L1 ended first: qemu status $qrc)"
	}
done <"$st/lane/plan"
finish
