# power: checks the wall clock and the firmware tables, then stops the VM through the kernel's
# own power path (the command line has no reboot=k):
#   microvm.power=poweroff|reboot   busybox poweroff -f (ACPI S5) or reboot -f (ACPI reset
#                                   register with ACPI, the i8042 without)
#   microvm.power.acpi=1|0          whether /sys/firmware/acpi/tables/FACP must exist
#   microvm.power.now=SECONDS       host time at VM start: the guest's clock must be within 10 min
#   microvm.power.dmesg=1           print the kernel's ACPI/i8042/RTC lines as "dmesg: ..."
. /lib/microvm.sh
getarg how microvm.power poweroff
getarg dm microvm.power.dmesg 0
[ "$dm" != 1 ] || dmesg | grep -iE 'acpi|i8042|serio|rtc|clocksource' | sed 's/^/dmesg: /'
getarg acpi microvm.power.acpi 1
getarg now microvm.power.now
if [ "$acpi" = 1 ]; then
	check "ACPI tables in sysfs" test -e /sys/firmware/acpi/tables/FACP
else
	check "no ACPI tables (MP table only)" test ! -e /sys/firmware/acpi/tables/FACP
fi
t=$(date +%s)
echo "guest time: $t"
if [ -n "$now" ]; then
	check "wall clock $t within 600 s of the host's $now" \
		test "$t" -ge $((now - 600)) -a "$t" -le $((now + 600))
fi
echo "power: $how"
case "$how" in
poweroff) poweroff -f ;;
reboot) reboot -f ;;
*) fail "microvm.power=$how: want poweroff or reboot" ;;
esac
sleep 5
fail "$how -f returned"
done_test
