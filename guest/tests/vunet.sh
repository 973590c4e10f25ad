# vunet: virtio-net through [[vhost_user_net]] whose back-end sends every frame back with the
# MACs swapped (dpdk-testpmd macswap, tests/integration/43-vhost-user-net-linux.sh). The guest
# sends raw frames through an AF_PACKET socket (guest/tools/rawnet.c: no IP stack needed) and
# checks that each came back addressed to eth0 with its payload intact; eth0's packet counters
# must agree.
#   microvm.vunet.mac=MAC      eth0's expected address (the VMM's config space)
#   microvm.vunet.count=N      frames (default 8)
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
read -r ifindex < $n/ifindex
echo "vunet: eth0 $addr mtu $mtu"
ip link set eth0 up
read -r rx0 < $n/statistics/rx_packets
read -r tx0 < $n/statistics/tx_packets
check "the $count frames came back intact" rawnet "$ifindex" "$addr" "$count"
read -r rx1 < $n/statistics/rx_packets
read -r tx1 < $n/statistics/tx_packets
echo "vunet: tx $((tx1 - tx0)) rx $((rx1 - rx0)) packets"
check "eth0 counted $count sent" [ $((tx1 - tx0)) -ge "$count" ]
check "eth0 counted $count received" [ $((rx1 - rx0)) -ge "$count" ]
read -r carrier < $n/carrier
check "link is up (VIRTIO_NET_S_LINK_UP)" [ "$carrier" = 1 ]
done_test
