// SPDX-License-Identifier: MIT
/*
 * [[vhost_user_net]]: virtio-net (virtio id 1) whose data path is a vhost-user back-end, for
 * example DPDK's vhost PMD (dpdk-testpmd --vdev net_vhost0,iface=SOCK).
 *
 * The config space helpers (virtio/net_config.c) are the built-in TAP device's.
 * Split of the device, as in QEMU's vhost-user-net: the back-end gets the data queues (RX 2k,
 * TX 2k+1 for pair k) and processes them in guest RAM. The VMM owns
 *  - the config space {mac, status = LINK_UP, max_virtqueue_pairs, mtu} (back-ends such as
 *    DPDK have no CONFIG protocol feature for net),
 *  - the features MAC, STATUS, MTU, CTRL_VQ: offered by the VMM, never sent in SET_FEATURES;
 *    MQ is offered when queues > 1 and the back-end has it, and is sent (DPDK's vhost library
 *    frees the vrings of every pair but the first on a SET_FEATURES without MQ),
 *  - the control queue (index 2 * queues, only with queues > 1): VQ_PAIRS_SET becomes
 *    SET_VRING_ENABLE on the back-end's queue pairs (net_ctrl.c). DPDK 22.11's vhost library
 *    does not process a control queue for vhost-user; it expects the front-end to do it.
 * Data-path features (checksum, TSO/UFO, MRG_RXBUF) and the ring features are the back-end's,
 * passed through when it offers them. GET_QUEUE_NUM counts queue pairs for net (QEMU compares
 * it with its pairs; DPDK 22.11 answers its build maximum, not queues=), so the session compares
 * it with queues.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "vhost_user/net.h"
#include "virtio/net_config.h"
#include "util/log.h"

/* Data-path features the back-end implements and the guest may use (bits 0..23). */
#define NET_BACKEND_FEATURES ((1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) | \
			      (1ull << VIRTIO_NET_F_GUEST_TSO4) | \
			      (1ull << VIRTIO_NET_F_GUEST_TSO6) | \
			      (1ull << VIRTIO_NET_F_GUEST_ECN) | (1ull << VIRTIO_NET_F_GUEST_UFO) | \
			      (1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) | \
			      (1ull << VIRTIO_NET_F_HOST_ECN) | (1ull << VIRTIO_NET_F_HOST_UFO) | \
			      (1ull << VIRTIO_NET_F_MRG_RXBUF))
/* Features the VMM implements (config space, control queue). */
#define NET_LOCAL_FEATURES ((1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) | \
			    (1ull << VIRTIO_NET_F_MTU) | (1ull << VIRTIO_NET_F_CTRL_VQ))
#define DEVICE_BITS ((1ull << 24) - 1)

static void vun_config_read(struct vu_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct vu_net *n = dev->kind_priv;

	net_config_read(&n->cfg, offset, data, len);
}

static void vun_config_write(struct vu_dev *dev, uint32_t offset, const void *data, uint32_t len)
{
	(void)data;
	/* mac is writable only for legacy drivers; the modern transport has none. */
	pr_debug_rl("%s: ignoring write of %u bytes at %u to the read-only virtio-net config",
		    dev->name, len, offset);
}

static bool net_want_protocol(struct vu_dev *dev, unsigned int bit)
{
	struct vu_net *n = dev->kind_priv;

	return bit == VHOST_USER_PROTOCOL_F_MTU && n->mtu;
}

static uint32_t net_backend_queues_needed(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;

	return n->pairs;
}

static bool net_backend_queue(struct vu_dev *dev, unsigned int i)
{
	struct vu_net *n = dev->kind_priv;

	return i < vu_net_ctrl_index(n);
}

static bool net_queue_enabled(struct vu_dev *dev, unsigned int i)
{
	struct vu_net *n = dev->kind_priv;

	return i / 2 < n->curr_pairs;
}

/*
 * After each negotiation: what the guest is offered, and whether this back-end can serve the
 * configured device. Also tells an MTU-aware back-end the MTU (VHOST_USER_NET_SET_MTU).
 */
static int net_negotiated(struct vu_dev *dev, char *err, size_t errlen)
{
	struct vu_net *n = dev->kind_priv;
	uint64_t f = dev->vdev.host_features & (~DEVICE_BITS | NET_BACKEND_FEATURES);
	struct vu_msg m;
	int r;

	f |= (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS);
	if (n->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	if (n->pairs > 1) {
		if (!(dev->backend_features & (1ull << VIRTIO_NET_F_MQ)) ||
		    !vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_MQ)) {
			snprintf(err, errlen, "%s: queues = %u needs a back-end with VIRTIO_NET_F_MQ "
				 "and VHOST_USER_PROTOCOL_F_MQ (features 0x%llx, protocol 0x%llx)",
				 dev->name, n->pairs, (unsigned long long)dev->backend_features,
				 (unsigned long long)dev->protocol_features);
			return -EINVAL;
		}
		f |= (1ull << VIRTIO_NET_F_MQ) | (1ull << VIRTIO_NET_F_CTRL_VQ);
	}
	dev->vdev.host_features = f;
	if (n->mtu && vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_MTU)) {
		vu_msg_init(&m, VHOST_USER_NET_SET_MTU, 8);
		m.payload.u64 = n->mtu;
		r = vu_dev_call(dev, &m, NULL);
		if (r) {
			snprintf(err, errlen, "%s: the back-end refused MTU %u: %s", dev->name, n->mtu,
				 dev->conn.err[0] ? dev->conn.err : strerror(-r));
			return r;
		}
	}
	return 0;
}

static int net_start(struct vu_dev *dev)
{
	return vu_net_ctrl_start(dev);
}

static void net_stop(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;

	vu_net_ctrl_stop(dev);
	pthread_mutex_lock(&dev->lock);
	n->curr_pairs = 1;
	pthread_mutex_unlock(&dev->lock);
}

static void net_destroy(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;

	if (!n)
		return;
	vu_net_ctrl_stop(dev);
	free(n);
	dev->kind_priv = NULL;
}

static const struct vu_dev_kind net_kind = {
	.name = "virtio-net",
	.config_read = vun_config_read,
	.config_write = vun_config_write,
	.want_protocol = net_want_protocol,
	.destroy = net_destroy,
	.local_features = NET_LOCAL_FEATURES,
	.backend_queues_needed = net_backend_queues_needed,
	.backend_queue = net_backend_queue,
	.queue_enabled = net_queue_enabled,
	.negotiated = net_negotiated,
	.start = net_start,
	.stop = net_stop,
};

static int net_check(const struct vhost_user_net_config *cfg, uint8_t mac[NET_MAC_LEN],
		     char *err, size_t errlen)
{
	char why[128];

	if (!cfg->socket || !cfg->socket[0]) {
		snprintf(err, errlen, "vhost_user_net: socket is required");
		return -EINVAL;
	}
	if (cfg->mac && net_mac_parse(cfg->mac, mac, why, sizeof(why))) {
		snprintf(err, errlen, "mac: %s", why);
		return -EINVAL;
	}
	if (!cfg->mac)
		net_mac_default(cfg->socket, 0, mac);
	if (cfg->queues < 1 || cfg->queues > VU_NET_MAX_PAIRS) {
		snprintf(err, errlen, "queues must be 1 to %d (queue pairs)", VU_NET_MAX_PAIRS);
		return -EINVAL;
	}
	if (!cfg->queue_size || (cfg->queue_size & (cfg->queue_size - 1)) ||
	    cfg->queue_size > 32768) {
		snprintf(err, errlen, "queue_size %u is not a power of two <= 32768", cfg->queue_size);
		return -EINVAL;
	}
	if (cfg->mtu && (cfg->mtu < NET_MTU_MIN || cfg->mtu > NET_MTU_MAX)) {
		snprintf(err, errlen, "mtu %u is not in %d..%d", cfg->mtu, NET_MTU_MIN, NET_MTU_MAX);
		return -EINVAL;
	}
	return 0;
}

struct virtio_device *vhost_user_net_create(struct vm *vm, const struct vhost_user_net_config *cfg,
					    char *err, size_t errlen)
{
	struct vu_options opt = {
		.socket = cfg->socket,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.reconnect_ms = cfg->reconnect_ms,
	};
	const char *base;
	struct vu_dev *dev;
	struct vu_net *n;
	uint8_t mac[NET_MAC_LEN];
	char name[48];

	if (net_check(cfg, mac, err, errlen))
		return NULL;
	base = strrchr(cfg->socket, '/');
	snprintf(name, sizeof(name), "vhost-user-net(%.24s)", base ? base + 1 : cfg->socket);
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	net_config_build(&n->cfg, mac, (uint16_t)cfg->queues, (uint16_t)cfg->mtu);
	n->pairs = cfg->queues;
	n->mtu = cfg->mtu;
	n->curr_pairs = 1;
	dev = vu_dev_new(vm, &opt, name, &net_kind, err, errlen);
	if (!dev) {
		free(n);
		return NULL;
	}
	dev->kind_priv = n;
	dev->vdev.device_id = VIRTIO_ID_NET;
	dev->vdev.config_size = sizeof(n->cfg);
	/* With one pair there is no control queue (no CTRL_VQ offered). */
	dev->vdev.nr_queues = cfg->queues > 1 ? 2 * cfg->queues + 1 : 2;
	dev->vdev.max_queue_size = (uint16_t)(cfg->queue_size > 32768 ? 32768 : cfg->queue_size);
	if (vu_dev_connect(dev, err, errlen)) {
		vu_dev_free(dev);
		return NULL;
	}
	return &dev->vdev;
}
