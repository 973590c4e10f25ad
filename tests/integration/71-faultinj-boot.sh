#!/usr/bin/env bash
# Fault injection over the boot and device setup path (src/security/faultinj.h). Builds microvm
# with FAULTINJ=1 and ASan+UBSan (build/faultinj), counts the malloc / calloc / mmap / sendmsg /
# ioctl calls of a clean run of the test guest with a [[disk]] and a [[vhost_user_fs]] with a DAX
# window (microvm-virtiofsd, started afresh for every run: it exits with its front-end), then makes the N-th call of each kind fail, for every N (ioctl: every call up to
# FI_IOCTL_ALL, then a stride over the KVM_RUN loop and the last calls, the teardown). Each run
# must end cleanly: status 0 (fault tolerated, guest done) or 1/2 with a "microvm: error:" line,
# never a signal, a hang, a sanitizer report or a leak.
# seccomp stays on (the default): error paths on vCPU, device and backend-channel threads run
# under their filters (in a sanitizer build the main thread skips its own, LeakSanitizer needs
# ptrace at exit).
source "$(dirname "$0")/lib.sh"
require_kvm
VFSD_BIN="$BUILD/microvm-virtiofsd"
[ -x "$VFSD_BIN" ] || fail "$VFSD_BIN is not built"
FI_BUILD=build/faultinj
FI="$ROOT/$FI_BUILD/microvm"
FI_IOCTL_ALL=${FI_IOCTL_ALL:-120}
FI_IOCTL_STRIDE=${FI_IOCTL_STRIDE:-97}

make -s -C "$ROOT" -j2 FAULTINJ=1 SAN=1 BUILD="$FI_BUILD" "$FI_BUILD/microvm" \
	"$FI_BUILD/tests/test_faultinj" >"$TMP/build.log" 2>&1 ||
	{ tail -n 30 "$TMP/build.log"; fail "FAULTINJ=1 build failed"; }
"$ROOT/$FI_BUILD/tests/test_faultinj" >"$TMP/unit.log" 2>&1 ||
	{ cat "$TMP/unit.log"; fail "the wrappers do not fail exactly the N-th call"; }
pass "wrappers: the N-th malloc/calloc/mmap/sendmsg/ioctl fails once with its errno"
MICROVM="$FI"
export ASAN_OPTIONS=exitcode=86:detect_leaks=1 UBSAN_OPTIONS=exitcode=87:print_stacktrace=1
export LSAN_OPTIONS=exitcode=88

head -c 1048576 /dev/urandom >"$TMP/disk.img"
mkdir -p "$TMP/share"
VFSD=""
trap 'kill -9 $VFSD 2>/dev/null; cleanup_tmp' EXIT
start_backend() {
	[ -n "$VFSD" ] && { kill -9 "$VFSD" 2>/dev/null; wait "$VFSD" 2>/dev/null; }
	rm -f "$TMP/vfsd.sock"
	"$VFSD_BIN" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag share \
		--cache-size 2M --sandbox none >"$TMP/virtiofsd.log" 2>&1 &
	VFSD=$!
	for _ in $(seq 100); do [ -S "$TMP/vfsd.sock" ] && return; sleep 0.02; done
	fail "microvm-virtiofsd did not create its socket"
}
write_config "$TMP/vm.toml" "$TESTGUEST" '[[disk]]' "path = \"$TMP/disk.img\"" \
	'[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" 'tag = "share"' 'cache_size = "2M"' \
	'connect_timeout_ms = 2000'
ARGS=(run --config "$TMP/vm.toml" --cmdline "test=pci-scan,blk-read,blk-write=3")

start_backend
MICROVM_FAULT_COUNT=1 run_vm clean 60 "${ARGS[@]}"
expect_status 0
expect_console '^PASS: blk-write'
declare -A total
for k in malloc calloc mmap sendmsg ioctl; do
	total[$k]=$(sed -n -E "s/^microvm: faultinj: calls $k=([0-9]+)$/\\1/p" "$LAST.err")
	[ -n "${total[$k]}" ] || fail "no call count for $k"
done
[ "${total[sendmsg]}" -gt 0 ] || fail "no sendmsg call: the vhost-user device was not set up"
echo "calls in a clean run: malloc=${total[malloc]} calloc=${total[calloc]} mmap=${total[mmap]}" \
	"sendmsg=${total[sendmsg]} ioctl=${total[ioctl]}"

runs=0 tolerated=0 errors=0 bad=0
check_run() { # kind n
	local what="$1:$2" nerr
	if grep -q 'forbidden syscall' "$LAST.err"; then
		echo "BAD $what: $(grep 'forbidden syscall' "$LAST.err")"; bad=$((bad + 1)); return
	fi
	if grep -Eq 'Sanitizer|runtime error:|==[0-9]+==' "$LAST.err"; then
		echo "BAD $what: sanitizer report"; sed -n '1,40p' "$LAST.err"; bad=$((bad + 1)); return
	fi
	case $VM_STATUS in
	0)
		grep -q "^microvm: faultinj: failing $1 call #$2\$" "$LAST.err" ||
			{ echo "BAD $what: the fault did not fire"; bad=$((bad + 1)); return; }
		tolerated=$((tolerated + 1)) ;;
	1|2)
		nerr=$(grep -c '^microvm: error: ' "$LAST.err")
		if [ "$nerr" -lt 1 ]; then
			echo "BAD $what: status $VM_STATUS without an error message"
			sed -n '1,20p' "$LAST.err"; bad=$((bad + 1)); return
		fi
		errors=$((errors + 1)) ;;
	*)
		echo "BAD $what: exit status $VM_STATUS"; tail -n 20 "$LAST.err"; bad=$((bad + 1)) ;;
	esac
}

inject() { # kind n
	start_backend
	MICROVM_FAULT="$1:$2" run_vm "fi-$1-$2" 60 "${ARGS[@]}"
	runs=$((runs + 1))
	check_run "$1" "$2"
	rm -f "$LAST.console" "$LAST.err"
}

for k in malloc calloc mmap sendmsg; do
	for n in $(seq 1 "${total[$k]}"); do inject "$k" "$n"; done
done
n_ioctl=${total[ioctl]}
for n in $(seq 1 $((n_ioctl < FI_IOCTL_ALL ? n_ioctl : FI_IOCTL_ALL))); do inject ioctl "$n"; done
for ((n = FI_IOCTL_ALL + FI_IOCTL_STRIDE; n <= n_ioctl; n += FI_IOCTL_STRIDE)); do
	inject ioctl "$n"
done
for ((n = n_ioctl - 5; n <= n_ioctl; n++)); do [ "$n" -gt "$FI_IOCTL_ALL" ] && inject ioctl "$n"; done
LAST=""
echo "fault injection: $runs runs, $errors clean error exits, $tolerated tolerated, $bad bad"
[ "$bad" -eq 0 ] || fail "$bad injected faults did not end cleanly"
pass "every injected malloc/calloc/mmap/sendmsg/ioctl failure ends cleanly ($runs runs)"
