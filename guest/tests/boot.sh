# boot: kernel version, RAM seen by the guest, PCI devices (shell builtins only: no exec).
#   microvm.boot.mem_mb=N   MemTotal must be within [N-64, N] MiB
. /lib/microvm.sh
read -r _ _ kver _ < /proc/version
mem_kb=0
while read -r key val _; do
	[ "$key" = MemTotal: ] && mem_kb=$val
done < /proc/meminfo
npci=0
for d in /sys/bus/pci/devices/*; do
	[ -e "$d" ] && npci=$((npci + 1))
done
ncpu=0
while read -r key _; do
	[ "$key" = processor ] && ncpu=$((ncpu + 1))
done < /proc/cpuinfo
echo "kernel: $kver"
echo "MemTotal: $mem_kb kB"
echo "pci devices: $npci"
echo "cpus: $ncpu"

check "kernel version $kver" test -n "$kver"
check "MemTotal $mem_kb kB" test "$mem_kb" -gt 0
check "pci bus ($npci devices)" test -d /sys/bus/pci/devices
getarg want microvm.boot.mem_mb
if [ -n "$want" ]; then
	mb=$((mem_kb / 1024))
	check "MemTotal ${mb} MiB close to ${want} MiB" \
		test "$mb" -le "$want" -a "$mb" -ge $((want - 64))
fi
done_test
