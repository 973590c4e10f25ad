# Shared helpers for integration tests (source it). Each test is a bash script that exits 0 on
# success; helpers print the console/stderr tail on failure.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
MICROVM="$BUILD/microvm"
GUEST_KIT="$ROOT/build/guest"   # the Linux guest kit is always built there (make guest-kit)
# The Linux command line of configs/default.toml (the recipe for this host's KVM, BRIEF s.6).
LINUX_CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' "$ROOT/configs/default.toml")
TESTGUEST="$BUILD/tests/guest/testguest.elf"
TESTGUEST64="$BUILD/tests/guest/testguest64.elf"
TMP=$(mktemp -d /tmp/microvm-test.XXXXXX)
# cleanup_tmp: removes $TMP unless KEEP_TMP is set (to read consoles after a run). Tests that
# start back-ends put it in their own EXIT trap after killing them.
cleanup_tmp() { [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"; }
trap cleanup_tmp EXIT
LAST=""

fail() {
	echo "FAIL: $*"
	if [ -n "$LAST" ]; then
		echo "--- console tail ($LAST.console)"; tail -n 30 "$LAST.console" 2>/dev/null
		echo "--- stderr tail"; tail -n 20 "$LAST.err" 2>/dev/null
	fi
	exit 1
}

pass() { echo "PASS: $*"; }

require_kvm() {
	[ -c /dev/kvm ] || fail "/dev/kvm is missing: KVM-level tests need it"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || fail "/dev/kvm is not accessible to $(id -un)"
	[ -x "$MICROVM" ] || fail "$MICROVM is not built"
}

# write_config FILE KERNEL [extra toml lines...]: a minimal vm.toml.
write_config() {
	local file=$1 kernel=$2; shift 2
	{
		echo "[machine]"
		echo "memory = \"${MEMORY:-64M}\""
		echo "vcpus = ${VCPUS:-1}"
		echo "[kernel]"
		echo "path = \"$kernel\""
		echo "cmdline = \"${CMDLINE:-}\""
		for l in "$@"; do echo "$l"; done
	} >"$file"
}

# start_vm NAME TIMEOUT_S microvm-args...: starts microvm in the background with stdin from
# /dev/null (VM_PID); console and stderr go to $LAST.console / $LAST.err. End with wait_vm.
start_vm() {
	local name=$1
	VM_TIMEOUT=$2
	shift 2
	LAST="$TMP/$name"
	timeout -k 5 "$VM_TIMEOUT" "$MICROVM" "$@" </dev/null >"$LAST.console" 2>"$LAST.err" &
	VM_PID=$!
}

# wait_vm: waits for the microvm of start_vm; sets VM_STATUS.
wait_vm() {
	wait "$VM_PID"
	VM_STATUS=$?
	VM_PID=
	[ "$VM_STATUS" -ne 124 ] || fail "${LAST##*/}: microvm did not stop within ${VM_TIMEOUT}s"
}

# await_console REGEX WHAT: waits (up to 600 s) for a console line of the running microvm;
# fails with WHAT if it stops first.
await_console() {
	for _ in $(seq 1 1200); do
		grep -Eq -- "$1" "$LAST.console" && return 0
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.5
	done
	grep -Eq -- "$1" "$LAST.console" || { wait "$VM_PID"; fail "$2"; }
}

# run_vm NAME TIMEOUT_S microvm-args...: start_vm + wait_vm.
run_vm() {
	start_vm "$@"
	wait_vm
}

expect_status() { [ "$VM_STATUS" -eq "$1" ] || fail "expected exit status $1, got $VM_STATUS"; }
expect_console() { grep -Eq -- "$1" "$LAST.console" || fail "console lacks /$1/"; }
expect_no_console() { ! grep -Eq -- "$1" "$LAST.console" || fail "console unexpectedly has /$1/"; }
expect_err() { grep -Eq -- "$1" "$LAST.err" || fail "stderr lacks /$1/"; }
console_value() { sed -n -E "s/$1/\\1/p" "$LAST.console" | head -n 1 | tr -d '\r'; }

# --- Linux guest kit + virtio-fs shares (the 41-* and 60-* tests) ---

# require_linux_kit: sets KERNEL and INITRD (uncompressed: inflate is minutes of emulated time).
# LINUX_KIT=stock (bzImage) or stock-elf (its extracted vmlinux) picks Debian's stock kernel
# kit instead (make guest-kit-stock; hardware KVM or the real-KVM lane, tests/realkvm) and the
# command line of configs/linux-stock.toml.
require_linux_kit() {
	case "${LINUX_KIT:-kit}" in
	stock | stock-elf)
		KERNEL="$GUEST_KIT/stock/vmlinuz"
		[ "$LINUX_KIT" = stock ] || KERNEL="$GUEST_KIT/stock/vmlinux"
		INITRD="$GUEST_KIT/stock/initramfs.cpio.gz"
		LINUX_CMDLINE=$(sed -n -E 's/^cmdline = "(.*)"$/\1/p' "$ROOT/configs/linux-stock.toml")
		[ -f "$KERNEL" ] && [ -f "$INITRD" ] || fail "stock kit not built (make guest-kit-stock)"
		return ;;
	kit) ;;
	*) fail "LINUX_KIT=$LINUX_KIT: must be kit, stock or stock-elf" ;;
	esac
	KERNEL="$GUEST_KIT/vmlinux"
	INITRD="$GUEST_KIT/initramfs.cpio"
	[ -f "$KERNEL" ] && [ -f "$INITRD" ] || fail "guest kit not built (make guest-kit)"
}

# make_share BYTES: $TMP/share holding host.bin of BYTES random bytes; SHARE_SUM = its sha256.
make_share() {
	mkdir -p "$TMP/share"
	head -c "$1" /dev/urandom >"$TMP/share/host.bin"
	SHARE_SUM=$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)
}

# expect_virtiofs_ops TAG: the guest ran guest/tests/virtiofs.sh on share TAG and every step passed.
# start_dax_vfsd: microvm-virtiofsd serving $TMP/share (tag daxshare, 256 MiB DAX window) on
# $TMP/vfsd.sock, its log in $TMP/vfsd.log; VFSD is the binary, VPID the daemon's pid.
start_dax_vfsd() {
	VFSD="$BUILD/microvm-virtiofsd"
	[ -x "$VFSD" ] || fail "$VFSD is not built"
	"$VFSD" --socket-path "$TMP/vfsd.sock" --shared-dir "$TMP/share" --tag daxshare \
		--cache-size 256M >"$TMP/vfsd.log" 2>&1 &
	VPID=$!
}

expect_virtiofs_ops() {
	expect_console 'MICROVM-TEST-DONE'
	expect_no_console '^FAIL'
	expect_console "^PASS: mount virtiofs $1"
	expect_console "^fs: host.bin sha256 $SHARE_SUM"
	for t in "create and write" "read back" "append to" "list shows" "rename" \
		"new name present" "mkdir" "rmdir" "delete renamed file" "umount /mnt"; do
		expect_console "^PASS: $t"
	done
}

# expect_share_untouched: after the guest, only the host's file is left, byte for byte.
expect_share_untouched() {
	[ "$(ls -A "$TMP/share")" = "host.bin" ] ||
		fail "share holds: $(ls -A "$TMP/share" | tr '\n' ' ')"
	[ "$(sha256sum "$TMP/share/host.bin" | cut -d' ' -f1)" = "$SHARE_SUM" ] ||
		fail "host.bin changed"
}

# expect_backend_exit PID LOG: the back-end exits 0 within 5 s once its front-end has gone.
expect_backend_exit() {
	local pid=$1 log=$2 st
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "back-end $pid still running after its front-end exited"
	wait "$pid"; st=$?
	[ "$st" -eq 0 ] || { cat "$log"; fail "back-end exit status $st"; }
}
