// SPDX-License-Identifier: MIT
/*
 * The virtio-net control queue of a [[vhost_user_net]] device, served by the VMM (the back-end
 * never sees it). One thread per device, only while the guest's control queue runs (DRIVER_OK
 * with CTRL_VQ negotiated until reset): it waits on the queue's kick eventfd and a stop eventfd,
 * pops commands through the strict chain walker and answers each with an ack byte.
 *
 * Supported: VIRTIO_NET_CTRL_MQ / VQ_PAIRS_SET (1 <= pairs <= max_virtqueue_pairs), which
 * enables the first pairs on the back-end and disables the others (SET_VRING_ENABLE, as QEMU
 * does for vhost-user). Every other command (no CTRL_RX, CTRL_VLAN, ... is offered) is answered
 * VIRTIO_NET_ERR. A malformed chain breaks the queue: NEEDS_RESET, the thread stops reading it.
 * The worker (util/worker.h) runs the backend-channel role (its seccomp filter, applied by the
 * spawner's hook): it only polls eventfds, touches guest RAM and does main-socket transactions
 * (sendmsg/recvmsg/poll), as that thread does.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "vhost_user/net.h"
#include "util/log.h"
#include "kvm/vm.h"

#define CTRL_MAX_CMD 64     /* bytes of a command we read; VQ_PAIRS_SET needs 4 */

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static uint8_t set_pairs(struct vu_dev *dev, uint16_t pairs)
{
	struct vu_net *n = dev->kind_priv;
	int r = 0;

	if (!(dev->vdev.guest_features & (1ull << VIRTIO_NET_F_MQ)) ||
	    pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->pairs)
		return VIRTIO_NET_ERR;
	pthread_mutex_lock(&dev->lock);
	for (unsigned int i = 0; i < vu_net_ctrl_index(n) && r == 0; i++) {
		if (dev->started_queues & (1ull << i))
			r = vu_dev_vring_enable(dev, i, i / 2 < pairs);
	}
	if (r == 0)
		n->curr_pairs = pairs;
	pthread_mutex_unlock(&dev->lock);
	if (r)
		pr_err_rl("%s: VQ_PAIRS_SET %u: the back-end failed: %s", dev->name, pairs,
			  strerror(-r));
	return r ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

uint8_t vu_net_ctrl_command(struct vu_dev *dev, const uint8_t *out, size_t len)
{
	uint16_t pairs;

	if (len < sizeof(struct virtio_net_ctrl_hdr))
		return VIRTIO_NET_ERR;
	if (out[0] == VIRTIO_NET_CTRL_MQ && out[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
		if (len != sizeof(struct virtio_net_ctrl_hdr) + sizeof(struct virtio_net_ctrl_mq))
			return VIRTIO_NET_ERR;
		memcpy(&pairs, out + 2, sizeof(pairs));
		return set_pairs(dev, le16toh(pairs));
	}
	pr_debug_rl("%s: control command class %u cmd %u not supported", dev->name, out[0], out[1]);
	return VIRTIO_NET_ERR;
}

/* Serves every available command. false when the queue is broken. */
static bool serve_queue(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;
	struct virtq_elem *e = &n->elem;
	uint8_t cmd[CTRL_MAX_CMD], ack;
	size_t len;
	int r;

	while ((r = virtq_pop(&n->vq, e)) == 1) {
		if (e->in_len < 1) {
			/* nowhere to put the ack: a driver bug, give the chain back unanswered */
			virtq_push(&n->vq, e->head, 0);
			continue;
		}
		len = e->out_len < sizeof(cmd) ? (size_t)e->out_len : sizeof(cmd);
		len = iov_to_buf(e->iov, e->out_num, 0, cmd, len);
		ack = e->out_len > sizeof(cmd) ? VIRTIO_NET_ERR : vu_net_ctrl_command(dev, cmd, len);
		if (ack == VIRTIO_NET_OK)
			atomic_fetch_add(&n->ctrl_ok, 1);
		else
			atomic_fetch_add(&n->ctrl_err, 1);
		/* the ack is the last device-writable byte */
		iov_from_buf(e->iov + e->out_num, e->in_num, (size_t)e->in_len - 1, &ack, 1);
		virtq_push(&n->vq, e->head, 1);
	}
	virtq_notify(&n->vq);
	if (r < 0) {
		pr_err_rl("%s: control queue: %s: device needs reset", dev->name, n->vq.err);
		virtio_device_needs_reset(&dev->vdev);
		return false;
	}
	return true;
}

static void ctrl_thread(struct worker *w)
{
	struct vu_dev *dev = w->arg;
	struct vu_net *n = dev->kind_priv;
	struct pollfd pfd[2] = {
		{ .fd = w->stop_fd, .events = POLLIN },
		{ .fd = dev->vdev.queues[vu_net_ctrl_index(n)].kick_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err_rl("%s: control queue: poll: %s", dev->name, strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			drain(pfd[1].fd);
			if (!serve_queue(dev))
				pfd[1].fd = -1;     /* broken: ignore further kicks */
		}
	}
}

int vu_net_ctrl_start(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;
	unsigned int ci = vu_net_ctrl_index(n);
	const struct virtio_queue *q;
	int r;

	if (n->ctrl.running || ci >= dev->vdev.nr_queues ||
	    !(dev->vdev.guest_features & (1ull << VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	q = &dev->vdev.queues[ci];
	if (!q->enabled || !q->size || q->kick_fd < 0)
		return 0;
	r = virtq_init(&n->vq, &dev->vm->mem, q, dev->vdev.guest_features, dev->name);
	if (r) {
		pr_err_rl("%s: control queue: %s", dev->name, n->vq.err);
		return r;
	}
	r = virtq_elem_alloc(&n->elem, &n->vq);
	if (r)
		return r;
	r = worker_start(&n->ctrl, "vu-net ctrl", THREAD_ROLE_BACKEND_CHANNEL, ctrl_thread, dev);
	if (r)
		virtq_elem_free(&n->elem);
	return r;
}

void vu_net_ctrl_stop(struct vu_dev *dev)
{
	struct vu_net *n = dev->kind_priv;

	if (!n || !n->ctrl.running)
		return;
	worker_stop(&n->ctrl);
	virtq_elem_free(&n->elem);
	memset(&n->vq, 0, sizeof(n->vq));
}
