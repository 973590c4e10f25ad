// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the vhost-user-net control-queue command parser (vu_net_ctrl_command, what the
 * VMM does with the device-readable bytes of a guest's control chain), on a device with 16
 * queue pairs whose back-end end is a socketpair (SET_VRING_ENABLE messages are sent and
 * drained, never answered: no REPLY_ACK).
 *
 * Input: byte 0 = {bit 0: MQ negotiated, bits 1-4: configured pairs - 1}, byte 1 = started
 * data-queue bitmap seed; the rest is the command {class, cmd, data...}. Checks: the ack is OK
 * or ERR, OK only for a well-formed VQ_PAIRS_SET in range, and curr_pairs stays in 1..pairs.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "vhost_user/net.h"
#include "util/log.h"

static struct vu_dev *dev;
static struct vu_net net;
static int peer = -1;

static void init_once(void)
{
	struct vu_options opt = { .socket = "/nonexistent" };
	char err[256];
	int sv[2];

	if (dev)
		return;
	log_set_level(LOG_ERROR);
	dev = vu_dev_new(NULL, &opt, "fuzz-net", NULL, err, sizeof(err));
	if (!dev || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	dev->conn.fd = sv[0];
	dev->conn.timeout_ms = 100;
	peer = sv[1];
	dev->kind_priv = &net;
	dev->backend_features = 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
}

static void drain_peer(void)
{
	char buf[4096];

	while (read(peer, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ack;

	init_once();
	if (size < 2)
		return 0;
	net.pairs = 1 + ((data[0] >> 1) & 15);
	net.curr_pairs = 1;
	dev->vdev.guest_features = (data[0] & 1) ? 1ull << VIRTIO_NET_F_MQ : 0;
	dev->vdev.nr_queues = 2 * net.pairs + 1;
	dev->started_queues = ((uint64_t)data[1] * 0x0101010101010101ull) &
			      ((1ull << (2 * net.pairs)) - 1);
	ack = vu_net_ctrl_command(dev, data + 2, size - 2);
	if (ack != VIRTIO_NET_OK && ack != VIRTIO_NET_ERR)
		abort();
	if (ack == VIRTIO_NET_OK) {
		uint16_t n;

		if (size != 6 || data[2] != VIRTIO_NET_CTRL_MQ ||
		    data[3] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !(data[0] & 1))
			abort();
		memcpy(&n, data + 4, 2);
		if (n < 1 || n > net.pairs || net.curr_pairs != n)
			abort();
	}
	if (net.curr_pairs < 1 || net.curr_pairs > net.pairs)
		abort();
	drain_peer();
	return 0;
}
