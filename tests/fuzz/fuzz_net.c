// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the virtio-net TX-header and RX paths (net_tx_process, net_hdr_check,
 * net_rx_process) over guest-controlled rings, with a SOCK_SEQPACKET socketpair standing in
 * for the TAP (one message per frame, like a TAP fd with IFF_VNET_HDR).
 *
 * Input: byte 0 = negotiated feature bits (CSUM, HOST_TSO4, HOST_TSO6, HOST_UFO, MRG_RXBUF,
 * GUEST_CSUM, GUEST_TSO4, RING_EVENT_IDX), byte 1 = queue size exponent (1 << (b % 9)),
 * byte 2 = frames to inject for RX (% 8), bytes 3-4 = MTU (clamped to 68..65535), then 2 bytes
 * per injected frame (its length, header included, % 70000), the rest is guest RAM (64 KiB) at 0:
 * RX ring desc 0x0 / avail 0x1000 / used 0x2000, TX ring desc 0x3000 / avail 0x4000 / used
 * 0x5000; buffers anywhere. Every frame the device writes to the "TAP" must pass the header
 * check again and respect the length bounds; every used length must fit its chain.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mm/guest_mem.h"
#include "util/log.h"
#include "virtio/net_priv.h"
#include "virtio/virtio_dev.h"

#define RAM_SIZE (64 << 10)
#define F(b) (1ULL << (b))

static struct guest_mem mem;
static struct net net;
static int sv[2] = { -1, -1 };
static uint8_t frame[NET_HDR_LEN + 70000];

static const uint64_t feature_bits[8] = {
	F(VIRTIO_NET_F_CSUM), F(VIRTIO_NET_F_HOST_TSO4), F(VIRTIO_NET_F_HOST_TSO6),
	F(VIRTIO_NET_F_HOST_UFO), F(VIRTIO_NET_F_MRG_RXBUF), F(VIRTIO_NET_F_GUEST_CSUM),
	F(VIRTIO_NET_F_GUEST_TSO4), F(VIRTIO_RING_F_EVENT_IDX),
};

static void drain_peer(int fd, bool check)
{
	ssize_t r;

	while ((r = recv(fd, frame, sizeof(frame), MSG_DONTWAIT | MSG_TRUNC)) >= 0) {
		struct virtio_net_hdr_mrg_rxbuf in, out;
		const char *why;

		if (!check)
			continue;
		if ((size_t)r > sizeof(frame) || (size_t)r < NET_HDR_LEN + NET_ETH_HLEN)
			abort();       /* nothing shorter than a header + Ethernet reaches the TAP */
		memcpy(&in, frame, sizeof(in));
		if (in.num_buffers != 0 ||
		    net_hdr_check(&in, (uint64_t)r - NET_HDR_LEN, net.vdev.guest_features, net.mtu,
				  &out, &why) < 0)
			abort();       /* a header the device should have refused */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_queue rxq = { .desc_gpa = 0, .avail_gpa = 0x1000, .used_gpa = 0x2000,
				    .call_fd = -1 };
	struct virtio_queue txq = { .desc_gpa = 0x3000, .avail_gpa = 0x4000, .used_gpa = 0x5000,
				    .call_fd = -1 };
	struct net_pair *p = &net.pair[0];
	unsigned int nframes, mtu;
	uint64_t features = F(VIRTIO_F_VERSION_1);
	size_t off = 5;

	if (!mem.base) {
		log_set_level(LOG_ERROR);
		if (guest_mem_init(&mem, RAM_SIZE) < 0 ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
			abort();
		int sz = 1 << 20;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		net.vdev.name = net.name;
		strcpy(net.name, "fuzz-net");
		strcpy(net.tap, "fuzz");
	}
	if (size < 5)
		return 0;
	for (int i = 0; i < 8; i++)
		if (data[0] & (1u << i))
			features |= feature_bits[i];
	rxq.size = txq.size = (uint16_t)(1u << (data[1] % 9));
	nframes = data[2] % 8;
	mtu = (unsigned int)(data[3] | data[4] << 8);
	net.mtu = (uint16_t)(mtu < NET_MTU_MIN ? NET_MTU_MIN : mtu);
	net.vdev.guest_features = features;
	memset(net.stats, 0, sizeof(net.stats));
	drain_peer(sv[1], false);
	drain_peer(sv[0], false);

	/* frames for RX, written by the "host" into the TAP */
	for (unsigned int i = 0; i < nframes && off + 2 <= size; i++, off += 2) {
		size_t len = (size_t)(data[off] | data[off + 1] << 8) * 3 % 70000;

		memset(frame, (int)i, len < sizeof(frame) ? len : sizeof(frame));
		if (len && send(sv[1], frame, len, MSG_DONTWAIT) < 0)
			break;
	}
	memset(mem.base, 0, RAM_SIZE);
	if (off < size)
		memcpy(mem.base, data + off, size - off < RAM_SIZE ? size - off : RAM_SIZE);

	memset(p, 0, sizeof(*p));
	p->n = &net;
	p->tap_fd = sv[0];
	if (virtq_init(&p->rx, &mem, &rxq, features, "fuzz-rx") < 0 ||
	    virtq_init(&p->tx, &mem, &txq, features, "fuzz-tx") < 0)
		abort();
	if (virtq_elem_alloc(&p->elem, &p->tx) < 0 || virtq_elem_alloc(&p->relem, &p->rx) < 0)
		abort();
	for (int round = 0; round < 4; round++) {
		if (net_tx_process(p) <= 0)
			break;
	}
	drain_peer(sv[1], true);
	net_rx_process(p);
	/* every used element fits the buffers of its chain */
	for (uint16_t i = 0; i < p->rx.used_idx && i < rxq.size; i++) {
		const struct vring_used_elem *u = &p->rx.used->ring[i];

		if (u->id >= rxq.size || u->len > NET_HDR_LEN + 70000)
			abort();
	}
	net_rx_release(p);
	virtq_elem_free(&p->elem);
	virtq_elem_free(&p->relem);
	return 0;
}
