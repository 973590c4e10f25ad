# net: virtio-net over the host's TAP: link up, an address, ping the host, a TCP transfer each
# way with sha256 compared on both sides (the host side is tests/integration/lib_net.py).
#   microvm.net.addr=10.0.2.2/24   guest address (default)
#   microvm.net.host=10.0.2.1      host address on the TAP (default)
#   microvm.net.bytes=N            bytes the guest sends (default 1 MiB)
. /lib/microvm.sh
getarg addr microvm.net.addr 10.0.2.2/24
getarg host microvm.net.host 10.0.2.1
getarg bytes microvm.net.bytes 1048576
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -e /sys/class/net/eth0 ]; then
	fail "network interface eth0 missing"
	done_test
fi
pass "network interface eth0 present"
read -r mac < /sys/class/net/eth0/address
read -r mtu < /sys/class/net/eth0/mtu
read -r feat < /sys/class/net/eth0/device/features
echo "net: eth0 mac $mac mtu $mtu"
echo "net: features $feat"
ip link set lo up
ip link set eth0 up
ip addr add "$addr" dev eth0
i=0
while ! ping -c 1 -W 2 "$host" >/dev/null 2>&1 && [ $i -lt 5 ]; do i=$((i + 1)); done
check "ping $host" ping -c 3 -W 5 "$host"
# guest -> host: the host answers the sha256 of what it received
dd if=/dev/urandom of=/tmp/tx bs=4096 count=$((bytes / 4096)) 2>/dev/null
set -- $(sha256sum /tmp/tx)
echo "net: tx sha256 $1"
txsum=$1
# -w 120: the guest's first TCP connect runs its kernel's cold TCP paths, every instruction
# emulated on this CI (guest/README.md): it can take longer than 10 s there.
reply=$(nc -w 120 "$host" 5555 < /tmp/tx)
echo "net: host received sha256 $reply"
check "TCP guest->host: the host got the same bytes" test "$reply" = "$txsum"
# host -> guest
nc -w 120 "$host" 5556 < /dev/null > /tmp/rx
set -- $(sha256sum /tmp/rx)
echo "net: rx sha256 $1 bytes $(wc -c < /tmp/rx)"
check "TCP host->guest: data arrived" test -s /tmp/rx
read -r rxp < /sys/class/net/eth0/statistics/rx_packets
read -r txp < /sys/class/net/eth0/statistics/tx_packets
echo "net: eth0 rx_packets $rxp tx_packets $txp"
done_test
