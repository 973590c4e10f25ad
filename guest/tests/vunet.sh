# vunet: virtio-net through [[vhost_user_net]] whose back-end sends every frame back with the
# MACs swapped (dpdk-testpmd macswap, tests/integration/43-vhost-user-net-linux.sh). The guest
# pings a static neighbour; each echo request comes back addressed to eth0 (and is dropped by IP:
# it is not for this host), so eth0's RX packet count grows by at least what it sent.
#   microvm.vunet.mac=MAC      eth0's expected address (the VMM's config space)
#   microvm.vunet.count=N      pings (default 8)
. /lib/microvm.sh
getarg mac microvm.vunet.mac
getarg count microvm.vunet.count 8
n=/sys/class/net/eth0
if [ ! -e $n ]; then
	fail "no eth0 (virtio_net)"
	done_test
fi
read -r addr < $n/address
check "eth0 has the configured MAC $mac" [ "$addr" = "$mac" ]
read -r mtu < $n/mtu
echo "vunet: eth0 $addr mtu $mtu"
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip neigh replace 10.0.2.2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent
read -r rx0 < $n/statistics/rx_packets
read -r tx0 < $n/statistics/tx_packets
ping -c "$count" -W 1 10.0.2.2 >/dev/null 2>&1
read -r rx1 < $n/statistics/rx_packets
read -r tx1 < $n/statistics/tx_packets
read -r rxb < $n/statistics/rx_bytes
echo "vunet: tx $((tx1 - tx0)) rx $((rx1 - rx0)) packets (rx_bytes $rxb)"
check "sent $count frames" [ $((tx1 - tx0)) -ge "$count" ]
check "the $count frames came back" [ $((rx1 - rx0)) -ge "$count" ]
read -r carrier < $n/carrier
check "link is up (VIRTIO_NET_S_LINK_UP)" [ "$carrier" = 1 ]
done_test
