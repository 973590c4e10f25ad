# Helpers for /init and the guest tests (sourced). Written with shell builtins only: every
# fork+exec costs a lot of guest kernel time on a KVM that emulates kernel mode.

read -r MICROVM_CMDLINE < /proc/cmdline

# getarg VAR KEY [DEFAULT]: sets VAR to the value of KEY=value on the kernel command line.
getarg() {
	local w v=$3
	for w in $MICROVM_CMDLINE; do
		case "$w" in
		"$2="*) v=${w#*=} ;;
		esac
	done
	eval "$1=\$v"
}

MICROVM_FAILS=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; MICROVM_FAILS=$((MICROVM_FAILS + 1)); }
# check WHAT CMD...: runs CMD, PASS/FAIL with its name.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
# done_test: ends a test; its exit status is the number of failures.
done_test() { exit "$MICROVM_FAILS"; }
