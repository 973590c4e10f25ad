#!/usr/bin/env bash
# KVM level: the seccomp profile of each thread role in the real microvm binary.
#  - the test guest with a [[disk]] boots under seccomp = "enforce" (default), "log" and "off";
#  - under gdb, each role's thread is stopped right after it installed its filter (main, vCPU,
#    virtio-blk I/O thread, vhost-user backend-channel thread with Debian's virtiofsd), the
#    number of stacked filters of that thread is checked (device I/O: 2, its own on top of the
#    vCPU's it inherited), and the thread is made to call getppid(), which no role allows:
#    enforce -> "microvm: seccomp: <role> thread made forbidden syscall getppid (110)", exit 1;
#    without a vhost-user device that may reconnect, a vCPU's socket() traps the same way;
#    log -> the call returns and the guest finishes normally (exit 0), no message.
source "$(dirname "$0")/lib.sh"
require_kvm
command -v gdb >/dev/null || fail "gdb is missing (package gdb)"
VIRTIOFSD=/usr/lib/qemu/virtiofsd
[ -x "$VIRTIOFSD" ] || fail "$VIRTIOFSD is missing (package qemu-system-common)"

head -c 1048576 /dev/urandom >"$TMP/disk.img"
DISK=('[[disk]]' "path = \"$TMP/disk.img\"")
TESTS="test=pci-scan,blk-read,blk-write=3"

for mode in enforce log off; do
	write_config "$TMP/$mode.toml" "$TESTGUEST" "${DISK[@]}" '[security]' "seccomp = \"$mode\""
	run_vm "boot-$mode" 60 run --config "$TMP/$mode.toml" --cmdline "$TESTS"
	expect_status 0
	expect_console '^PASS: blk-read'
	expect_console '^PASS: blk-write'
	grep -q seccomp "$LAST.err" && fail "seccomp message in a clean $mode boot"
done
write_config "$TMP/default.toml" "$TESTGUEST" "${DISK[@]}"
run_vm boot-default 60 run --config "$TMP/default.toml" --cmdline "$TESTS"
expect_status 0
pass "test guest + virtio-blk boots under seccomp enforce (default), log and off"

# gdb_role NAME ROLE CONFIG [CALL]: stops a thread of the role right after it entered its
# seccomp filter (main: the line after worker_enter_role(THREAD_ROLE_MAIN) in machine.c; a worker:
# the entry of its body, which util/worker.c calls once the init hook has applied the filter),
# prints its filter count, calls CALL (default getppid()) there, continues.
gdb_role() {
	local name=$1 role=$2 cfg=$3 call=${4:-getppid()} where
	case $role in
	THREAD_ROLE_MAIN)
		where=$(grep -n "worker_enter_role($role)" "$ROOT/src/vmm/machine.c" | head -n 1 | cut -d: -f1)
		[ -n "$where" ] || fail "src/vmm/machine.c has no worker_enter_role($role)"
		where="machine.c:$((where + 1))" ;;
	THREAD_ROLE_VCPU) where=vcpu_thread ;;
	THREAD_ROLE_DEVICE_IO) where=blk_io_thread ;;
	THREAD_ROLE_API) where=api_thread ;;
	THREAD_ROLE_BACKEND_CHANNEL) where=chan_thread_main ;;
	*) fail "gdb_role: no thread body known for $role" ;;
	esac
	LAST="$TMP/gdb-$name"
	: >"$LAST.console"
	# gdb itself sometimes dumps core when the inferior dies in a called function: keep none
	(cd "$TMP" && ulimit -c 0 && timeout -k 5 90 gdb -q -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex 'handle SIGUSR1 nostop noprint pass' \
		-ex "break $where" \
		-ex "run run --config $cfg --cmdline $TESTS </dev/null >$LAST.console" \
		-ex 'python t = gdb.selected_thread().ptid[1]; print("FILTERS", [l.split()[1] for l in open("/proc/%d/status" % t) if l.startswith("Seccomp_filters")][0])' \
		-ex "call (int)$call" -ex 'continue' "$MICROVM" >"$LAST.err" 2>&1)
}

expect_trap() { # name role-name filters [syscall nr]
	local sc=${4:-getppid} nr=${5:-110}
	expect_err "^FILTERS $3\$"
	expect_err "^microvm: seccomp: $2 thread made forbidden syscall $sc \\($nr\\)\$"
	# gdb often loses the status when a non-main thread ends the process ("No unwaited-for
	# children left", "Couldn't get registers"); when it reports one, it must be 1. The
	# status itself is checked without gdb by tests/unit/test_seccomp.c.
	grep -q 'exited normally\]' "$LAST.err" && fail "$2: the process exited normally"
	grep 'exited with code' "$LAST.err" | grep -qv 'code 01\]' && fail "$2: wrong exit status"
	pass "$2 thread: $3 filter(s); forbidden $sc -> SIGSYS report, exit (status 1)"
}

gdb_role main THREAD_ROLE_MAIN "$TMP/enforce.toml"
expect_trap main main 1
gdb_role vcpu THREAD_ROLE_VCPU "$TMP/enforce.toml"
expect_trap vcpu vCPU 1
gdb_role blk THREAD_ROLE_DEVICE_IO "$TMP/enforce.toml"
expect_trap blk "device I/O" 2
# The control API thread (created by main before main's filter): its own filter only.
write_config "$TMP/api.toml" "$TESTGUEST" "${DISK[@]}" '[api]' "socket = \"$TMP/api.sock\""
gdb_role api THREAD_ROLE_API "$TMP/api.toml"
expect_trap api API 1
# No vhost-user device with reconnect_ms: a vCPU may not open a socket (AF_UNIX = 1).
gdb_role vcpu-socket THREAD_ROLE_VCPU "$TMP/enforce.toml" 'socket(1, 1, 0)'
expect_trap vcpu-socket vCPU 1 socket 41

mkdir -p "$TMP/share"
"$VIRTIOFSD" --socket-path="$TMP/vfsd.sock" -o source="$TMP/share" -o cache=auto \
	-o sandbox=chroot >"$TMP/virtiofsd.log" 2>&1 &
VFSD=$!
trap 'kill -9 $VFSD 2>/dev/null; cleanup_tmp' EXIT
write_config "$TMP/fs.toml" "$TESTGUEST" '[[vhost_user_fs]]' "socket = \"$TMP/vfsd.sock\"" \
	'tag = "share"' 'connect_timeout_ms = 5000'
gdb_role chan THREAD_ROLE_BACKEND_CHANNEL "$TMP/fs.toml"
expect_trap chan backend-channel 1

gdb_role vcpu-log THREAD_ROLE_VCPU "$TMP/log.toml"
expect_err '^FILTERS 1$'
expect_err 'exited normally\]'
grep -q 'forbidden syscall' "$LAST.err" && fail "log mode reported a forbidden syscall"
pass "log mode: the forbidden call returns, the guest finishes (exit 0)"

gdb_role vcpu-off THREAD_ROLE_VCPU "$TMP/off.toml"
expect_err '^FILTERS 0$'
expect_err 'exited normally\]'
pass "off: no filter installed"
