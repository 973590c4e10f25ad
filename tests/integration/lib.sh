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
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
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

# run_vm NAME TIMEOUT_S microvm-args...: runs microvm with stdin from /dev/null; sets VM_STATUS.
run_vm() {
	local name=$1 t=$2; shift 2
	LAST="$TMP/$name"
	timeout -k 5 "$t" "$MICROVM" "$@" </dev/null >"$LAST.console" 2>"$LAST.err"
	VM_STATUS=$?
	[ "$VM_STATUS" -ne 124 ] || fail "$name: microvm did not stop within ${t}s"
}

expect_status() { [ "$VM_STATUS" -eq "$1" ] || fail "expected exit status $1, got $VM_STATUS"; }
expect_console() { grep -Eq -- "$1" "$LAST.console" || fail "console lacks /$1/"; }
expect_no_console() { ! grep -Eq -- "$1" "$LAST.console" || fail "console unexpectedly has /$1/"; }
expect_err() { grep -Eq -- "$1" "$LAST.err" || fail "stderr lacks /$1/"; }
console_value() { sed -n -E "s/$1/\\1/p" "$LAST.console" | head -n 1 | tr -d '\r'; }
