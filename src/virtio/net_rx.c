// SPDX-License-Identifier: MIT
/*
 * virtio-net RX: TAP readable -> guest RX buffers. Chains are popped ahead until they can hold
 * the largest frame the guest accepts (with MRG_RXBUF spread over several chains, num_buffers
 * set), the TAP is read straight into them (readv), and the chains a frame did not use are kept
 * for the next one. When the guest has posted too few buffers, the thread stops polling the TAP
 * until the next RX kick, so a guest that posts none cannot make it spin.
 *
 * The readv gets the buffers with host-adjacent ones joined into one iovec: a Linux guest carves
 * its page-sized MRG_RXBUF buffers one after the other out of 32 KiB page frags, and the kernel
 * copies a 64 KiB TSO frame into a few long segments markedly faster than into 17 page-sized
 * ones (bench/net_bench.c). Joining only ever covers bytes of buffers the walker checked.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

#include "util/log.h"
#include "virtio/net_priv.h"

#define RX_BATCH 256            /* frames per call before TX gets a turn */
/*
 * Used chains between interrupt checks: counted in chains, not frames, so that a stream of
 * 64 KiB frames (17 page-sized buffers each) lets the guest recycle buffers while the device
 * goes on filling instead of running the ring dry first; EVENT_IDX suppresses the interrupts
 * the guest does not want (it is still polling).
 */
#define RX_NOTIFY_CHAINS 64

enum fill_end { FILL_ENOUGH, FILL_EMPTY, FILL_FULL, FILL_BAD };

/* Pops chains until space >= need or the ring or our tables run out. */
static enum fill_end fill(struct net_pair *p, uint64_t need, bool one)
{
	while (p->rx_space < need && !(one && p->nchains)) {
		struct virtq_elem *e = &p->relem;
		unsigned int cnt;
		uint64_t len = 0;
		int r;

		if (p->nchains == NET_RX_MAX_CHAINS || p->niov == NET_RX_MAX_IOV)
			return FILL_FULL;
		r = virtq_pop(&p->rx, e);
		if (r < 0)
			return FILL_BAD;
		if (r == 0)
			return FILL_EMPTY;
		if (e->out_num) {
			/* RX buffers must be device-writable only: a malformed queue. */
			pr_warn_rl("%s: RX chain %u has device-readable buffers", p->n->name, e->head);
			p->rx.broken = true;
			return FILL_BAD;
		}
		cnt = e->in_num;
		if (cnt > NET_RX_MAX_IOV - p->niov)
			cnt = NET_RX_MAX_IOV - p->niov;   /* the rest of the chain stays unused */
		for (unsigned int i = 0; i < cnt; i++) {
			p->riov[p->niov + i] = e->iov[i];
			len += e->iov[i].iov_len;
		}
		p->rchain[p->nchains++] = (struct net_rx_chain){
			.head = e->head, .iov_cnt = (uint16_t)cnt, .iov_start = p->niov,
			.len = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len),
		};
		p->niov += cnt;
		p->rx_space += len;
	}
	return FILL_ENOUGH;
}

/*
 * Copies iov[0, n) into out[] joining entries that continue one another in host memory (out has
 * room for n). Returns the count.
 */
static int join_adjacent(const struct iovec *iov, unsigned int n, struct iovec *out)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (m && (uint8_t *)out[m - 1].iov_base + out[m - 1].iov_len ==
			 (uint8_t *)iov[i].iov_base)
			out[m - 1].iov_len += iov[i].iov_len;
		else
			out[m++] = iov[i];
	}
	return (int)m;
}

/* Forgets the first k chains (used), moving the others and their iovecs to the front. */
static void consume(struct net_pair *p, unsigned int k)
{
	unsigned int first_iov;

	if (k >= p->nchains) {
		p->nchains = p->niov = 0;
		p->rx_space = 0;
		return;
	}
	first_iov = p->rchain[k].iov_start;
	for (unsigned int i = 0; i < k; i++)
		p->rx_space -= p->rchain[i].len;
	memmove(p->rchain, p->rchain + k, (p->nchains - k) * sizeof(p->rchain[0]));
	p->nchains -= k;
	memmove(p->riov, p->riov + first_iov, (p->niov - first_iov) * sizeof(p->riov[0]));
	p->niov -= first_iov;
	for (unsigned int i = 0; i < p->nchains; i++)
		p->rchain[i].iov_start -= first_iov;
}

/* Hands the frame of len bytes (header included) now in the first chains to the guest;
 * returns the number of chains it used. */
static unsigned int deliver(struct net_pair *p, uint64_t len, bool mrg, bool guest_csum)
{
	uint16_t nb = 0;
	uint64_t left = len;
	unsigned int k = 0;

	while (left && k < p->nchains) {
		left -= left < p->rchain[k].len ? left : p->rchain[k].len;
		k++;
	}
	nb = mrg ? (uint16_t)k : 1;
	iov_from_buf(p->riov, p->niov, offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers),
		     &nb, sizeof(nb));
	if (!guest_csum) {
		uint8_t flags = 0;   /* no DATA_VALID / NEEDS_CSUM without GUEST_CSUM */

		iov_from_buf(p->riov, p->niov, 0, &flags, 1);
	}
	left = len;
	for (unsigned int i = 0; i < k; i++) {
		uint32_t l = left < p->rchain[i].len ? (uint32_t)left : p->rchain[i].len;

		virtq_push(&p->rx, p->rchain[i].head, l);
		left -= l;
	}
	consume(p, k);
	return k;
}

int net_rx_process(struct net_pair *p)
{
	struct net *n = p->n;
	uint64_t f = n->vdev.guest_features;
	bool mrg = f & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	bool csum = f & (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	uint64_t max = net_rx_max_frame(f, n->mtu);
	unsigned int frames = 0, unsignalled = 0;   /* chains pushed since the last check */
	int ret = 1;

	/* bounded work per call: frames delivered, and also frames dropped / buffers refused */
	for (unsigned int iter = 0; frames < RX_BATCH && iter < 4 * RX_BATCH; iter++) {
		enum fill_end end = fill(p, max, !mrg);
		uint64_t cap;
		int cnt;
		ssize_t r;

		if (end == FILL_BAD) {
			ret = -1;
			break;
		}
		/*
		 * With MRG_RXBUF, wait (for the RX kick) until the posted buffers hold the largest
		 * frame: reading now could cut one short. Unless the guest's whole ring is already
		 * ours: then it cannot post more, and what does not fit is dropped.
		 */
		if (!p->nchains ||
		    (mrg && end == FILL_EMPTY && p->rx_space < max && p->nchains < p->rx.size)) {
			net_stat_add(n, NET_STAT_RX_NO_BUFFERS, 1);
			ret = 0;        /* wait for the guest's RX kick */
			break;
		}
		cnt = mrg ? (int)p->niov : p->rchain[0].iov_cnt;
		cap = mrg ? p->rx_space : p->rchain[0].len;
		if (cap < NET_HDR_LEN + NET_ETH_HLEN) {
			/* buffers that cannot hold a header and an Ethernet frame (a readv of nothing
			 * would return 0 forever): handed back empty without MRG_RXBUF; with it, all
			 * the guest's buffers are ours and too small: wait for its kick */
			net_stat_add(n, NET_STAT_RX_DROPPED, 1);
			if (mrg) {
				ret = 0;
				break;
			}
			virtq_push(&p->rx, p->rchain[0].head, 0);
			consume(p, 1);
			unsignalled++;
			frames++;
			continue;
		}
		cnt = join_adjacent(p->riov, (unsigned int)cnt, p->miov);
		do
			r = readv(p->tap_fd, p->miov, cnt);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			if (errno != EAGAIN)
				pr_warn_rl("%s: RX readv from tap '%s': %s", n->name, n->tap,
					   strerror(errno));
			break;
		}
		if ((uint64_t)r < NET_HDR_LEN + NET_ETH_HLEN || ((uint64_t)r >= cap && cap < max)) {
			/* runt, or perhaps cut short by the guest's buffers: dropped, chains kept */
			net_stat_add(n, NET_STAT_RX_DROPPED, 1);
			continue;
		}
		unsignalled += deliver(p, (uint64_t)r, mrg, csum);
		net_stat_add(n, NET_STAT_RX_FRAMES, 1);
		net_stat_add(n, NET_STAT_RX_BYTES, (uint64_t)r - NET_HDR_LEN);
		frames++;
		if (unsignalled >= RX_NOTIFY_CHAINS) {
			virtq_notify(&p->rx);
			unsignalled = 0;
		}
	}
	if (unsignalled)
		virtq_notify(&p->rx);
	return ret;
}

void net_rx_release(struct net_pair *p)
{
	p->nchains = p->niov = 0;
	p->rx_space = 0;
}
