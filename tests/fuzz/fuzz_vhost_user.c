// SPDX-License-Identifier: MIT
/*
 * Fuzz target: everything a vhost-user back-end can send to the front-end.
 *   data[0] even: reply parsing. data[1] picks the request the front-end sent; the rest of the
 *                 input is the back-end's byte stream (vu_call with REPLY_ACK on or off).
 *   data[0] odd:  backend-channel requests. The rest is the stream the backend-channel thread reads;
 *                 each message goes through vu_chan_handle (table dispatch, SHMEM handlers,
 *                 REPLY_ACK answers) exactly as in the VMM.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mm/shm_region.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"

static struct vu_dev *dev;

static void init_once(void)
{
	struct vu_options opt = { .socket = "/nonexistent" };
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS] = { [0] = 2u << 20 };
	char err[128];

	if (dev)
		return;
	log_set_level(LOG_ERROR);
	dev = vu_dev_new(NULL, &opt, "fuzz", NULL, err, sizeof(err));
	dev->protocol_features = (1ull << VHOST_USER_PROTOCOL_F_SHMEM) |
				 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				 (1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ) |
				 (1ull << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD);
	vu_shmem_add_regions(dev, sizes, err, sizeof(err));
}

static void fuzz_reply(int fd, uint8_t sel)
{
	static const uint32_t reqs[] = {
		VHOST_USER_GET_FEATURES, VHOST_USER_GET_PROTOCOL_FEATURES, VHOST_USER_GET_QUEUE_NUM,
		VHOST_USER_GET_VRING_BASE, VHOST_USER_GET_CONFIG, VHOST_USER_GET_SHMEM_CONFIG,
		VHOST_USER_GET_MAX_MEM_SLOTS, VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_OWNER,
	};
	struct vu_conn c = { .fd = fd, .timeout_ms = 1, .name = "fuzz", .reply_ack = sel & 0x80 };
	struct vu_msg req, rep;
	uint32_t r = reqs[(sel & 0x7f) % (sizeof(reqs) / sizeof(reqs[0]))];
	uint32_t size = 0;
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS];
	unsigned int n;
	char err[128];

	if (r == VHOST_USER_GET_VRING_BASE || r == VHOST_USER_SET_VRING_ADDR)
		size = r == VHOST_USER_SET_VRING_ADDR ? 40 : 8;
	if (r == VHOST_USER_GET_CONFIG)
		size = 12 + 16;
	vu_msg_init(&req, r, size);
	if (r == VHOST_USER_GET_CONFIG)
		req.payload.config.size = 16;
	if (vu_call(&c, &req, &rep) == 0 && r == VHOST_USER_GET_SHMEM_CONFIG)
		vu_parse_shmem_config(&rep.payload, rep.hdr.size, sizes, &n, err, sizeof(err));
}

static void fuzz_channel(int fd)
{
	struct vu_conn c = { .fd = fd, .timeout_ms = 1, .name = "fuzz-chan" };
	struct vu_msg m;
	int r;

	for (int i = 0; i < 64; i++) {
		r = vu_msg_recv(&c, &m, 1);
		if (r == -ETOOMANYREFS)
			continue;
		if (r || vu_chan_handle(dev, &c, &m))
			break;
	}
	vu_shmem_reset(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];

	if (size < 2 || size > 60000)
		return 0;
	init_once();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (write(sv[1], data + 2, size - 2) != (ssize_t)(size - 2)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	if (data[0] & 1)
		fuzz_channel(sv[0]);
	else
		fuzz_reply(sv[0], data[1]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
