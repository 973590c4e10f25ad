# pci: lists every PCI device as "pci: BDF vendor:device class".
#   microvm.pci.expect=1af4:1042,1af4:105a   each vendor:device must be present
. /lib/microvm.sh
n=0
found=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/vendor" ] || continue
	v=$(cat "$d/vendor"); v=${v#0x}
	id=$(cat "$d/device"); id=${id#0x}
	c=$(cat "$d/class")
	echo "pci: ${d##*/} $v:$id class $c driver $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
	found="$found $v:$id"
	n=$((n + 1))
done
pass "listed $n PCI devices"
for want in $(cmdline_arg microvm.pci.expect | tr ',' ' '); do
	case " $found " in
	*" $want "*) pass "pci device $want present" ;;
	*) fail "pci device $want missing" ;;
	esac
done
done_test
