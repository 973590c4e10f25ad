# cpus: the vCPUs the guest brought online and its CPU feature flags.
#   microvm.cpus.want=N        exactly N CPUs online (/sys/devices/system/cpu/online, /proc/cpuinfo)
#   microvm.cpus.flags=a,b     each of these /proc/cpuinfo flags must be present
#   microvm.cpus.then=NAME     then run guest test NAME (e.g. blk) in the same boot
. /lib/microvm.sh
read -r online < /sys/devices/system/cpu/online
n=0
flags=
while read -r key rest; do
	case "$key" in
	processor) n=$((n + 1)) ;;
	flags) [ -n "$flags" ] || flags=${rest#: } ;;
	esac
done < /proc/cpuinfo
echo "cpus: online $online processors $n"
echo "cpus: flags $flags"
dmesg | grep -E 'XSAVE|xstate|x86/fpu' | sed 's/^/cpus: dmesg: /'
case " $MICROVM_CMDLINE " in *" noxsave "* | *" clearcpuid="*) echo "cpus: cmdline hides CPU features" ;; esac
getarg want microvm.cpus.want
if [ -n "$want" ]; then
	check "$want vCPUs online ($online)" test "$n" = "$want"
	last=$((want - 1))
	[ "$want" = 1 ] && exp=0 || exp=0-$last
	check "cpu online mask $exp" test "$online" = "$exp"
fi
getarg want_flags microvm.cpus.flags
for f in $(echo "$want_flags" | tr ',' ' '); do
	case " $flags " in
	*" $f "*) pass "cpu flag $f" ;;
	*) fail "cpu flag $f" ;;
	esac
done
getarg then microvm.cpus.then
[ -z "$then" ] || . "/tests/$then.sh"
done_test
