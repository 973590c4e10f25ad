# boot: kernel version, RAM seen by the guest, PCI devices. Extra checks from the cmdline:
#   microvm.boot.mem_mb=N   MemTotal must be within [N-64, N] MiB
. /lib/microvm.sh
kver=$(uname -r)
echo "kernel: $kver"
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
echo "MemTotal: $mem_kb kB"
npci=$(ls /sys/bus/pci/devices 2>/dev/null | wc -l)
echo "pci devices: $npci"
echo "cpus: $(grep -c ^processor /proc/cpuinfo)"

check "kernel version $kver" test -n "$kver"
check "MemTotal $mem_kb kB" test "${mem_kb:-0}" -gt 0
check "pci bus ($npci devices)" test -d /sys/bus/pci/devices
want=$(cmdline_arg microvm.boot.mem_mb)
if [ -n "$want" ]; then
	mb=$((mem_kb / 1024))
	check "MemTotal ${mb} MiB close to ${want} MiB" \
		test "$mb" -le "$want" -a "$mb" -ge $((want - 64))
fi
done_test
