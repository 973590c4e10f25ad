# Helpers for /init and the guest tests (sourced).

# cmdline_arg KEY [DEFAULT]: value of KEY=value on the kernel command line.
cmdline_arg() {
	local w
	for w in $(cat /proc/cmdline); do
		case "$w" in
		"$1="*) echo "${w#*=}"; return 0 ;;
		esac
	done
	[ $# -ge 2 ] && echo "$2"
	return 0
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
# done_test: exit status of a test script = number of failures.
done_test() { exit "$MICROVM_FAILS"; }
