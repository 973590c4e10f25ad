// SPDX-License-Identifier: MIT
/* virtio-net device model: TAP setup, features, activation, one I/O thread per queue pair. */
#include "virtio/net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kvm/vm.h"
#include "util/log.h"
#include "virtio/net_priv.h"

#define F(bit) (1ULL << (bit))

enum { TOK_STOP, TOK_RX_KICK, TOK_TX_KICK, TOK_TAP, TOK_CTRL_KICK };

static const char *const stat_names[NET_STAT_COUNT] = {
	[NET_STAT_TX_FRAMES] = "tx_frames", [NET_STAT_TX_BYTES] = "tx_bytes",
	[NET_STAT_RX_FRAMES] = "rx_frames", [NET_STAT_RX_BYTES] = "rx_bytes",
	[NET_STAT_TX_BAD_HDR] = "tx_bad_header", [NET_STAT_TX_BAD_LEN] = "tx_bad_length",
	[NET_STAT_TX_BAD_CHAIN] = "tx_bad_chain", [NET_STAT_TX_ERRORS] = "tx_errors",
	[NET_STAT_RX_DROPPED] = "rx_dropped", [NET_STAT_RX_NO_BUFFERS] = "rx_no_buffers",
	[NET_STAT_CTRL_ERRORS] = "ctrl_errors",
};

const char *virtio_net_stat_name(unsigned int i)
{
	return i < NET_STAT_COUNT ? stat_names[i] : "?";
}

static void drain(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0)
		return;
}

static void net_config_read_op(struct virtio_device *dev, uint32_t offset, void *data, uint32_t len)
{
	struct net *n = dev->priv;

	net_config_read(&n->cfg, offset, data, len);
}

/* Feature dependencies of virtio 1.2 5.1.3.1: a driver accepting one without the other is refused. */
static int net_set_features(struct virtio_device *dev, uint64_t f)
{
	static const struct { unsigned int feat, needs; } deps[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_UFO, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_VQ },
	};
	struct net *n = dev->priv;
	unsigned int off;
	int r;

	for (unsigned int i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if ((f & F(deps[i].feat)) && !(f & F(deps[i].needs)))
			return -EINVAL;
	off = net_tap_offloads_for(f) & n->tap_offloads;
	r = net_tap_set_offloads(n->pair[0].tap_fd, off);
	if (r < 0) {
		pr_warn_rl("%s: tap '%s': TUNSETOFFLOAD %#x: %s", n->name, n->tap, off, strerror(-r));
		return r;
	}
	atomic_store(&n->cur_offloads, off);
	return 0;
}

static void set_tap_polled(struct net_pair *p, bool on)
{
	if (p->tap_polled == on)
		return;
	if (on)
		p->tap_polled = fd_loop_add(&p->loop, p->tap_fd, EPOLLIN, TOK_TAP) == 0;
	else if (fd_loop_del(&p->loop, p->tap_fd) == 0)
		p->tap_polled = false;
}

static void queue_broken(struct net_pair *p, bool *ok, const char *which)
{
	*ok = false;
	pr_warn_rl("%s: %s queue of pair %u malformed: device needs reset", p->n->name, which, p->idx);
	virtio_device_needs_reset(&p->n->vdev);
}

static void ctrl_process(struct net *n, struct net_pair *p)
{
	uint32_t written;
	bool pushed = false;
	int r = 0;

	while (n->ctrl_ok && (r = virtq_pop(&n->ctrl, &p->elem)) > 0) {
		if (!net_ctrl_handle(n, &p->elem, &written)) {
			r = -1;
			break;
		}
		virtq_push(&n->ctrl, p->elem.head, written);
		pushed = true;
	}
	if (pushed)
		virtq_notify(&n->ctrl);
	if (n->ctrl_ok && r < 0) {
		n->ctrl.broken = true;
		queue_broken(p, &n->ctrl_ok, "control");
	}
}

/* The kick fds of the pair (and pair 0: the control queue) in the worker's loop. */
static int watch_queues(struct net_pair *p)
{
	struct net *n = p->n;
	struct virtio_device *dev = &n->vdev;
	int r = fd_loop_init(&p->loop, p->worker.stop_fd);

	if (r == 0 && p->rx_ok)
		r = fd_loop_add(&p->loop, dev->queues[2 * p->idx].kick_fd, EPOLLIN, TOK_RX_KICK);
	if (r == 0 && p->tx_ok)
		r = fd_loop_add(&p->loop, dev->queues[2 * p->idx + 1].kick_fd, EPOLLIN, TOK_TX_KICK);
	if (r == 0 && p->idx == 0 && n->ctrl_ok)
		r = fd_loop_add(&p->loop, dev->queues[2 * n->pairs].kick_fd, EPOLLIN, TOK_CTRL_KICK);
	return r;
}

/*
 * One worker per queue pair (role "net I/O"): each pair has its own TAP queue fd, so pairs
 * never share a lock or an fd; pair 0's worker also serves the control queue.
 */
static void io_thread(struct worker *w)
{
	struct net_pair *p = w->arg;
	struct net *n = p->n;
	bool tx_pending = true, rx_pending = true;
	int r = watch_queues(p);

	if (r < 0) {
		pr_err_rl("%s: I/O thread %u: epoll: %s", n->name, p->idx, strerror(-r));
		fd_loop_fini(&p->loop);
		virtio_device_needs_reset(&n->vdev);
		return;
	}
	if (p->idx == 0 && n->ctrl_ok)
		ctrl_process(n, p);
	for (;;) {
		struct epoll_event ev[8];
		int cnt;

		if (tx_pending && p->tx_ok) {
			r = net_tx_process(p);
			if (r < 0)
				queue_broken(p, &p->tx_ok, "TX");
			tx_pending = r > 0;
		}
		if (rx_pending && p->rx_ok) {
			r = net_rx_process(p);
			if (r < 0)
				queue_broken(p, &p->rx_ok, "RX");
			set_tap_polled(p, r > 0);
			rx_pending = false;
		}
		cnt = fd_loop_wait(&p->loop, ev, 8, tx_pending ? 0 : -1);
		if (cnt == -ECANCELED)
			break;
		if (cnt < 0) {
			pr_err_rl("%s: I/O thread %u: epoll_wait: %s", n->name, p->idx, strerror(-cnt));
			break;
		}
		for (int k = 0; k < cnt; k++) {
			switch (ev[k].data.u64) {
			case TOK_RX_KICK:
				drain(n->vdev.queues[2 * p->idx].kick_fd);
				rx_pending = true;
				break;
			case TOK_TX_KICK:
				drain(n->vdev.queues[2 * p->idx + 1].kick_fd);
				tx_pending = true;
				break;
			case TOK_TAP:
				rx_pending = true;
				break;
			case TOK_CTRL_KICK:
				drain(n->vdev.queues[2 * n->pairs].kick_fd);
				ctrl_process(n, p);
				break;
			}
		}
	}
	fd_loop_fini(&p->loop);
	p->tap_polled = false;
}

static void pair_stop(struct net_pair *p)
{
	worker_stop(&p->worker);
	p->tap_polled = false;
	virtq_elem_free(&p->elem);
	virtq_elem_free(&p->relem);
	net_rx_release(p);
	memset(&p->rx, 0, sizeof(p->rx));
	memset(&p->tx, 0, sizeof(p->tx));
	p->rx_ok = p->tx_ok = false;
}

static int pair_start(struct net *n, struct net_pair *p)
{
	struct virtio_device *dev = &n->vdev;
	struct virtio_queue *rxq = &dev->queues[2 * p->idx], *txq = &dev->queues[2 * p->idx + 1];
	char name[16];
	uint16_t maxq;
	int r = 0;

	if (!rxq->enabled && !txq->enabled)
		return 0;
	if (rxq->enabled) {
		r = virtq_init(&p->rx, &n->vm->mem, rxq, dev->guest_features, dev->name);
		p->rx_ok = r == 0;
	}
	if (r == 0 && txq->enabled) {
		r = virtq_init(&p->tx, &n->vm->mem, txq, dev->guest_features, dev->name);
		p->tx_ok = r == 0;
	}
	maxq = rxq->size > txq->size ? rxq->size : txq->size;
	if (p->idx == 0 && n->ctrl_ok && dev->queues[2 * n->pairs].size > maxq)
		maxq = dev->queues[2 * n->pairs].size;
	if (r == 0)
		r = virtq_elem_alloc(&p->elem, &(struct virtq){ .size = maxq });
	if (r == 0)
		r = virtq_elem_alloc(&p->relem, &(struct virtq){ .size = maxq });
	snprintf(name, sizeof(name), "net%.6s-q%u", n->name + strlen("virtio-net"), p->idx);
	if (r == 0)
		r = worker_start(&p->worker, name, THREAD_ROLE_NET_IO, io_thread, p);
	return r;
}

static void net_reset(struct virtio_device *dev)
{
	struct net *n = dev->priv;

	for (unsigned int i = 0; i < n->pairs; i++)
		pair_stop(&n->pair[i]);
	memset(&n->ctrl, 0, sizeof(n->ctrl));
	n->ctrl_ok = false;
	n->active_pairs = 1;
}

static int net_activate(struct virtio_device *dev)
{
	struct net *n = dev->priv;
	bool mq = dev->guest_features & F(VIRTIO_NET_F_MQ);
	int r = 0;

	n->active_pairs = 1;
	if (mq && dev->queues[2 * n->pairs].enabled) {
		r = virtq_init(&n->ctrl, &n->vm->mem, &dev->queues[2 * n->pairs], dev->guest_features,
			       dev->name);
		n->ctrl_ok = r == 0;
	}
	/* The driver starts with one pair (virtio 1.2 5.1.6.5.5): the other TAP queues detached. */
	for (unsigned int i = 0; i < n->pairs && r == 0 && n->pairs > 1; i++)
		r = net_tap_queue_enable(n->pair[i].tap_fd, i == 0);
	for (unsigned int i = 0; i < n->pairs && r == 0; i++)
		r = pair_start(n, &n->pair[i]);
	if (r == 0 && !n->pair[0].worker.running)
		r = -EINVAL;   /* pair 0 not enabled */
	if (r < 0)
		net_reset(dev);
	return r;
}

static const struct virtio_device_ops net_ops = {
	.config_read = net_config_read_op,
	.set_features = net_set_features,
	.activate = net_activate,
	.reset = net_reset,
};

static uint64_t offered_features(const struct net *n)
{
	uint64_t f = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) |
		     F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX) |
		     /* TX offloads: a TAP with IFF_VNET_HDR always takes GSO headers on write */
		     F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
		     F(VIRTIO_NET_F_HOST_UFO);

	/* RX offloads: what the TAP accepted in the TUNSETOFFLOAD probe */
	if (n->tap_offloads & TUN_F_CSUM)
		f |= F(VIRTIO_NET_F_GUEST_CSUM);
	if (n->tap_offloads & TUN_F_TSO4)
		f |= F(VIRTIO_NET_F_GUEST_TSO4);
	if (n->tap_offloads & TUN_F_TSO6)
		f |= F(VIRTIO_NET_F_GUEST_TSO6);
	if (n->tap_offloads & TUN_F_UFO)
		f |= F(VIRTIO_NET_F_GUEST_UFO);
	if (n->pairs > 1)
		f |= F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_CTRL_VQ);
	return f;
}

static void net_free(struct net *n)
{
	for (unsigned int i = 0; i < NET_MAX_PAIRS; i++) {
		if (n->pair[i].tap_fd >= 0)
			close(n->pair[i].tap_fd);
	}
	free(n);
}

struct virtio_device *virtio_net_create(struct vm *vm, const struct net_config *cfg,
					const char *seed, unsigned int index, char *err,
					size_t errlen)
{
	static unsigned int counter;
	int fds[NET_MAX_PAIRS];
	uint8_t mac[NET_MAC_LEN];
	char why[160];
	struct net *n;

	if (!cfg->tap || cfg->queues < 1 || cfg->queues > NET_MAX_PAIRS || cfg->mtu < NET_MTU_MIN ||
	    cfg->mtu > NET_MTU_MAX) {
		snprintf(err, errlen, "net: a tap, 1..%d queues and an mtu of %d..%d are required",
			 NET_MAX_PAIRS, NET_MTU_MIN, NET_MTU_MAX);
		return NULL;
	}
	if (cfg->mac) {
		if (net_mac_parse(cfg->mac, mac, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "mac: %s", why);
			return NULL;
		}
	} else {
		net_mac_default(seed, index, mac);
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned int i = 0; i < NET_MAX_PAIRS; i++) {
		n->pair[i] = (struct net_pair){ .n = n, .idx = i, .tap_fd = -1,
						.worker.stop_fd = -1 };
	}
	if (net_tap_open(cfg->tap, cfg->queues, fds, err, errlen) < 0) {
		net_free(n);
		return NULL;
	}
	n->pairs = cfg->queues;
	for (unsigned int i = 0; i < n->pairs; i++)
		n->pair[i].tap_fd = fds[i];
	n->vm = vm;
	n->mtu = (uint16_t)cfg->mtu;
	n->active_pairs = 1;
	snprintf(n->tap, sizeof(n->tap), "%s", cfg->tap);
	n->tap_offloads = net_tap_probe_offloads(fds[0]);
	net_config_build(&n->cfg, mac, (uint16_t)n->pairs, n->mtu);
	snprintf(n->name, sizeof(n->name), "virtio-net%u",
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	n->vdev = (struct virtio_device){
		.name = n->name, .device_id = VIRTIO_ID_NET,
		.host_features = offered_features(n),
		.config_size = sizeof(n->cfg),
		.nr_queues = 2 * n->pairs + (n->pairs > 1),
		.max_queue_size = VIRTIO_NET_QUEUE_SIZE, .ops = &net_ops, .priv = n, .vm = vm,
	};
	return &n->vdev;
}

void virtio_net_get_stats(struct virtio_device *dev, uint64_t out[NET_STAT_COUNT])
{
	struct net *n = dev->priv;

	for (unsigned int i = 0; i < NET_STAT_COUNT; i++)
		out[i] = atomic_load_explicit(&n->stats[i], memory_order_relaxed);
}

unsigned int virtio_net_tap_offloads(struct virtio_device *dev, unsigned int *now)
{
	struct net *n = dev->priv;

	if (now)
		*now = atomic_load(&n->cur_offloads);
	return n->tap_offloads;
}

void virtio_net_destroy(struct virtio_device *dev)
{
	if (!dev)
		return;
	net_reset(dev);
	net_free(dev->priv);
}
