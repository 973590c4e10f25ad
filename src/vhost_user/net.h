/* SPDX-License-Identifier: MIT */
/*
 * [[vhost_user_net]] internals shared by net.c (the device kind: config space, features, queue
 * layout) and net_ctrl.c (the control virtqueue, which the VMM serves itself).
 */
#ifndef MICROVM_VHOST_USER_NET_H
#define MICROVM_VHOST_USER_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "util/worker.h"
#include "vhost_user/vhost_user.h"
#include "virtio/virtqueue.h"

#define VU_NET_MAX_PAIRS 16

struct vu_net {
	struct virtio_net_config cfg;   /* little endian, what the guest reads */
	uint32_t pairs;                 /* configured queue pairs (max_virtqueue_pairs) */
	uint32_t mtu;                   /* 0 = none */
	/*
	 * Pairs enabled on the back-end: 1 after every reset, VQ_PAIRS_SET changes it. Written by
	 * the control thread under dev->lock, read under dev->lock (start_vring via queue_enabled).
	 */
	uint32_t curr_pairs;
	/* control queue worker (net_ctrl.c), only while the guest's control queue runs */
	struct worker ctrl;
	struct virtq vq;
	struct virtq_elem elem;
	atomic_uint ctrl_ok, ctrl_err;  /* commands answered OK / ERR (tests) */
};

/* Index of the control queue: after the 2 * pairs data queues. */
static inline unsigned int vu_net_ctrl_index(const struct vu_net *n)
{
	return 2 * n->pairs;
}

/* Starts the control-queue thread if the guest negotiated CTRL_VQ and enabled that queue. */
int vu_net_ctrl_start(struct vu_dev *dev);
/* Stops and joins it (no-op when not running). dev->lock must NOT be held. */
void vu_net_ctrl_stop(struct vu_dev *dev);
/*
 * One control command: out = the device-readable bytes (class, command, data), returns the
 * ack byte (VIRTIO_NET_OK / VIRTIO_NET_ERR). Takes dev->lock for SET_VRING_ENABLE.
 * Exposed for unit tests.
 */
uint8_t vu_net_ctrl_command(struct vu_dev *dev, const uint8_t *out, size_t len);

#endif
