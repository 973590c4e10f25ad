# pci: lists every PCI device as "pci: BDF vendor:device class driver" (builtins only).
#   microvm.pci.expect=1af4:1042,1af4:105a   each vendor:device must be present
. /lib/microvm.sh
n=0
found=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/vendor" ] || continue
	read -r v < "$d/vendor"
	read -r id < "$d/device"
	read -r c < "$d/class"
	drv=none
	[ -e "$d/driver" ] && cd -P "$d/driver" && drv=${PWD##*/} && cd /
	echo "pci: ${d##*/} ${v#0x}:${id#0x} class $c driver $drv"
	found="$found ${v#0x}:${id#0x}"
	n=$((n + 1))
done
pass "listed $n PCI devices"
getarg expect microvm.pci.expect
IFS=, 
set -- $expect
unset IFS
for want in "$@"; do
	case " $found " in
	*" $want "*) pass "pci device $want present" ;;
	*) fail "pci device $want missing" ;;
	esac
done
done_test
