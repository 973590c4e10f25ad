// SPDX-License-Identifier: MIT
/*
 * virtio-net control queue (offered with MQ only): VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET attaches the
 * TAP queues of the pairs in use and detaches the others, so the TAP never queues frames for
 * an RX queue the driver does not serve. Every other command is answered VIRTIO_NET_ERR.
 */
#include <linux/virtio_net.h>
#include <string.h>

#include "util/log.h"
#include "virtio/net_priv.h"

static uint8_t set_pairs(struct net *n, const struct virtq_elem *e)
{
	uint16_t pairs;

	if (e->out_len != sizeof(struct virtio_net_ctrl_hdr) + sizeof(pairs))
		return VIRTIO_NET_ERR;
	iov_to_buf(e->iov, e->out_num, sizeof(struct virtio_net_ctrl_hdr), &pairs, sizeof(pairs));
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->pairs)
		return VIRTIO_NET_ERR;
	for (unsigned int i = 0; i < n->pairs; i++) {
		int r = net_tap_queue_enable(n->pair[i].tap_fd, i < pairs);

		if (r < 0) {
			pr_warn_rl("%s: tap '%s' queue %u %s: %s", n->name, n->tap, i,
				   i < pairs ? "attach" : "detach", strerror(-r));
			return VIRTIO_NET_ERR;
		}
	}
	n->active_pairs = pairs;
	return VIRTIO_NET_OK;
}

/* Executes one command; *written = bytes written to the guest. false: malformed chain. */
bool net_ctrl_handle(struct net *n, const struct virtq_elem *e, uint32_t *written)
{
	struct virtio_net_ctrl_hdr h;
	uint8_t ack = VIRTIO_NET_ERR;

	*written = 0;
	if (e->in_len < 1 || e->out_len < sizeof(h))
		return false;
	iov_to_buf(e->iov, e->out_num, 0, &h, sizeof(h));
	if (h.class == VIRTIO_NET_CTRL_MQ && h.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		ack = set_pairs(n, e);
	if (ack != VIRTIO_NET_OK)
		net_stat_add(n, NET_STAT_CTRL_ERRORS, 1);
	/* the ack is the last writable byte */
	iov_from_buf(e->iov + e->out_num, e->in_num, e->in_len - 1, &ack, 1);
	*written = 1;
	return true;
}
