#!/bin/sh
# microvm guest /init, shell stage: /init (guest/init/init.c) mounted /dev, /proc and /sys, put
# /dev/console on fds 0-2, printed MICROVM-INIT-START, wrote the boot-timer byte (I/O port 0x440)
# and exec'd this. Markers on the console, consumed by tests/integration/50-linux-*.sh:
#   MICROVM-INIT-START        init is running (printed by /init)
#   PASS: <what> / FAIL: <what>   results of the test named by microvm.test=NAME
#   MICROVM-TEST-DONE         the test finished; the guest then resets (reboot -f)
# Without microvm.test= it starts a shell on the console; `exit`, `reboot` or `poweroff` reset the
# guest, which ends the VMM (guest reset = exit status 0).
# Commands are busybox applets found without $PATH or /bin links (busybox-static is built with
# FEATURE_SH_STANDALONE): the initramfs carries only /bin/busybox and /bin/sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

. /lib/microvm.sh

# Stock-kernel initramfs: load the listed modules in dependency order.
if [ -f /etc/modules.order ]; then
	while read -r m; do
		insmod "/lib/modules/$m" || echo "init: insmod $m failed"
	done < /etc/modules.order
fi

shutdown_vm() {
	sync
	reboot -f
	sleep 5
	echo "init: reboot failed"
	exit 1
}

getarg test microvm.test
if [ -n "$test" ]; then
	script=/tests/$test.sh
	if [ ! -f "$script" ]; then
		echo "FAIL: no guest test named '$test'"
	else
		# A subshell, not `sh script`: saves an exec of busybox.
		(. "$script")
		rc=$?
		[ "$rc" = 0 ] || echo "FAIL: test $test exited with status $rc"
	fi
	echo MICROVM-TEST-DONE
	shutdown_vm
fi

# Interactive: busybox poweroff/halt/reboot signal PID 1 (USR2/USR1/TERM); the shell runs in
# the background so that `wait` returns when a signal arrives.
trap shutdown_vm USR1 USR2 TERM
echo "microvm guest shell: type 'reboot' or 'poweroff' (or exit) to stop the VM"
setsid cttyhack sh -l &
wait $!
shutdown_vm
