// SPDX-License-Identifier: MIT
/* Guest-driver harness: a virtio-net driver on top of struct hvirtio. */
#include "harness.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "virtio/net.h"

#define TX_AREA (128u << 10)

int harness_add_net(struct harness *h, const struct net_config *cfg)
{
	char err[256];
	struct virtio_device *dev = virtio_net_create(&h->vm, cfg, "harness", 0, err, sizeof(err));

	if (!dev) {
		fprintf(stderr, "harness: %s\n", err);
		return -EINVAL;
	}
	return harness_add_virtio(h, dev, virtio_net_destroy);
}

int hnet_init(struct hnet *n, struct harness *h, unsigned int slot, uint64_t features,
	      unsigned int nr_queues)
{
	int ret;

	memset(n, 0, sizeof(*n));
	ret = hvirtio_init(&n->v, h, slot);
	if (ret < 0)
		return ret;
	if ((features & hvirtio_device_features(&n->v)) != features)
		return -ENOTSUP;
	n->nr_queues = nr_queues;
	n->tx_area = harness_alloc(h, TX_AREA, 4096);
	if (!n->tx_area)
		return -ENOMEM;
	return hvirtio_start(&n->v, features, nr_queues);
}

void hnet_cleanup(struct hnet *n)
{
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		free(n->rx_gpa[q]);
	hvirtio_cleanup(&n->v);
}

int hnet_post_rx(struct hnet *n, unsigned int q, unsigned int count, uint32_t size)
{
	uint64_t base = harness_alloc(n->v.h, (uint64_t)count * size, 4096);

	if (!base)
		return -ENOMEM;
	if (!n->rx_gpa[q]) {
		n->rx_gpa[q] = calloc(n->v.vq[q].size, sizeof(uint64_t));
		if (!n->rx_gpa[q])
			return -ENOMEM;
	}
	n->rx_size[q] = size;
	for (unsigned int i = 0; i < count; i++) {
		struct hvbuf b = { base + (uint64_t)i * size, size, true };
		int head = hvq_add(&n->v, q, &b, 1);

		if (head < 0)
			return head;
		n->rx_gpa[q][head] = b.gpa;
	}
	hvq_kick(&n->v, q);
	return 0;
}

int hnet_recv(struct hnet *n, unsigned int q, struct virtio_net_hdr_mrg_rxbuf *hdr, void *buf,
	      size_t max, int timeout_ms)
{
	size_t got = 0;
	uint16_t nb;
	uint32_t len;
	int head = hvq_wait_used(&n->v, q, timeout_ms, &len);

	if (head < 0)
		return head;
	if (len < sizeof(*hdr))
		return -EPROTO;
	harness_memread(n->v.h, n->rx_gpa[q][head], hdr, sizeof(*hdr));
	len -= sizeof(*hdr);
	if (len > max)
		return -EMSGSIZE;
	harness_memread(n->v.h, n->rx_gpa[q][head] + sizeof(*hdr), buf, len);
	got = len;
	nb = hdr->num_buffers;
	for (unsigned int i = 1; i < nb; i++) {
		head = hvq_wait_used(&n->v, q, timeout_ms, &len);
		if (head < 0)
			return head;
		if (got + len > max)
			return -EMSGSIZE;
		harness_memread(n->v.h, n->rx_gpa[q][head], (uint8_t *)buf + got, len);
		got += len;
	}
	return (int)got;
}

int hnet_send(struct hnet *n, unsigned int q, const struct virtio_net_hdr_mrg_rxbuf *hdr,
	      const void *frame, size_t len, unsigned int nsegs, int timeout_ms)
{
	struct hvbuf bufs[17];
	size_t seg, off = 0;
	int head;

	if (len + sizeof(*hdr) > TX_AREA || nsegs == 0 || nsegs > 16)
		return -EINVAL;
	harness_memwrite(n->v.h, n->tx_area, hdr, sizeof(*hdr));
	harness_memwrite(n->v.h, n->tx_area + sizeof(*hdr), frame, len);
	bufs[0] = (struct hvbuf){ n->tx_area, sizeof(*hdr), false };
	seg = (len + nsegs - 1) / nsegs;
	for (unsigned int i = 0; i < nsegs; i++) {
		size_t l = len - off < seg ? len - off : seg;

		bufs[1 + i] = (struct hvbuf){ n->tx_area + sizeof(*hdr) + off, (uint32_t)l, false };
		off += l;
	}
	head = hvq_add(&n->v, q, bufs, 1 + nsegs);
	if (head < 0)
		return head;
	hvq_kick(&n->v, q);
	head = hvq_wait_used(&n->v, q, timeout_ms, NULL);
	return head < 0 ? head : 0;
}
