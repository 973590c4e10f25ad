// SPDX-License-Identifier: MIT
/* virtio-net TX: guest chains -> checked header + frame -> writev to the TAP. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "util/log.h"
#include "virtio/net_priv.h"

/* One chain (pushed back with length 0 by the caller: TX buffers are read-only). */
static void tx_one(struct net_pair *p, const struct virtq_elem *e)
{
	struct net *n = p->n;
	struct virtio_net_hdr_mrg_rxbuf in, out;
	const char *why;
	uint64_t frame_len;
	int cnt;
	ssize_t r;

	if (e->in_num) {
		net_stat_add(n, NET_STAT_TX_BAD_CHAIN, 1);
		pr_warn_rl("%s: TX chain %u has device-writable buffers: dropped", n->name, e->head);
		return;
	}
	if (e->out_len < NET_HDR_LEN ||
	    e->out_len - NET_HDR_LEN > NET_GSO_MAX + NET_ETH_HLEN + NET_VLAN_HLEN) {
		net_stat_add(n, NET_STAT_TX_BAD_LEN, 1);
		pr_warn_rl("%s: TX chain of %llu bytes: dropped", n->name,
			   (unsigned long long)e->out_len);
		return;
	}
	frame_len = e->out_len - NET_HDR_LEN;
	/* One copy of the header: the guest may rewrite it while we look. */
	iov_to_buf(e->iov, e->out_num, 0, &in, sizeof(in));
	if (net_hdr_check(&in, frame_len, n->vdev.guest_features, n->mtu, &out, &why) < 0) {
		net_stat_add(n, frame_len < NET_ETH_HLEN ? NET_STAT_TX_BAD_LEN : NET_STAT_TX_BAD_HDR, 1);
		pr_warn_rl("%s: TX header refused (%s): frame dropped", n->name, why);
		return;
	}
	p->tiov[0] = (struct iovec){ .iov_base = &out, .iov_len = sizeof(out) };
	cnt = iov_slice(e->iov, e->out_num, NET_HDR_LEN, frame_len, p->tiov + 1, NET_RX_MAX_IOV);
	if (cnt < 0) {
		net_stat_add(n, NET_STAT_TX_BAD_LEN, 1);
		return;
	}
	do
		r = writev(p->tap_fd, p->tiov, cnt + 1);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		/* EAGAIN (TAP queue full), EIO (link down), EINVAL (the kernel's own checks). */
		net_stat_add(n, NET_STAT_TX_ERRORS, 1);
		if (errno != EAGAIN && errno != EIO)
			pr_warn_rl("%s: TX writev to tap '%s': %s", n->name, n->tap, strerror(errno));
		return;
	}
	net_stat_add(n, NET_STAT_TX_FRAMES, 1);
	net_stat_add(n, NET_STAT_TX_BYTES, frame_len);
}

int net_tx_process(struct net_pair *p)
{
	struct virtq *vq = &p->tx;
	unsigned int done = 0;
	int r = 0;

	while (done < NET_TX_BATCH && (r = virtq_pop(vq, &p->elem)) > 0) {
		tx_one(p, &p->elem);
		virtq_push(vq, p->elem.head, 0);
		done++;
	}
	if (done)
		virtq_notify(vq);
	if (r < 0)
		return -1;
	return done == NET_TX_BATCH;   /* 1: maybe more (a full batch), RX gets a turn first */
}
