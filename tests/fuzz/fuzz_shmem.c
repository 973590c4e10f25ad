// SPDX-License-Identifier: MIT
/*
 * Fuzz target: vhost-user SHMEM_MAP / SHMEM_UNMAP handling exactly as the backend channel does
 * it (vu_chan_handle: the channel table's envelope check, then the typed handlers
 * vu_shmem_map/unmap) on a vhost-user device with two live regions, and the GET_SHMEM_CONFIG
 * reply parser.
 *
 * Input: byte 0 selects the target. Even: GET_SHMEM_CONFIG reply = the rest of the input (any
 * size; 2056 bytes is the valid one). Odd: a sequence of 44-byte records, each
 * {u8 request-selector, u8 fd-selector, u8 features/need-reply selector, u8 size,
 * 40-byte VhostUserMMap},
 * run in order; all mappings are dropped at the end of the input. Mapped pages are never
 * touched (a mapping may lie past EOF of the 64 KiB memfd).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"

#define REC_SIZE 44
#define F_CHAN ((1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
		(1ULL << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) | \
		(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))

static struct vu_dev *dev;
static struct vu_conn chan, peer;
static int memfd = -1;

static void init_once(void)
{
	struct vu_options opt = { .socket = "/nonexistent" };
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS] = { [0] = 8 << 20, [7] = 2 << 20 };
	char err[256];
	int sv[2];

	if (memfd >= 0)
		return;
	log_set_level(LOG_ERROR);
	memfd = memfd_create("fuzz-shmem", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 64 << 10))
		abort();
	dev = vu_dev_new(NULL, &opt, "fuzz", NULL, err, sizeof(err));
	if (!dev || vu_shmem_add_regions(dev, sizes, err, sizeof(err)) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	chan = (struct vu_conn){ .fd = sv[0], .timeout_ms = 100, .name = "fuzz",
				 .request_name = vu_backend_request_name };
	peer = (struct vu_conn){ .fd = sv[1], .timeout_ms = 100, .name = "fuzz-peer",
				 .request_name = vu_backend_request_name };
}

static void run_record(const uint8_t *rec)
{
	static const int fd_choice[4] = { 0, 1, 1, 2 };
	struct vu_msg m, rep;

	memset(&m, 0, sizeof(m));
	dev->protocol_features = F_CHAN | (rec[2] & 1 ? 0 : 1ULL << VHOST_USER_PROTOCOL_F_SHMEM);
	m.hdr.request = rec[0] & 0x80 ? rec[0] & 0x7f : 9 + (rec[0] & 1);
	m.hdr.flags = VHOST_USER_VERSION | (rec[2] & 2 ? VHOST_USER_NEED_REPLY_MASK : 0);
	m.hdr.size = rec[3] & 0x80 ? rec[3] & 0x7f : 40;
	memcpy(&m.payload.mmap, rec + 4, 40);
	m.nr_fds = fd_choice[rec[1] & 3];
	/* the channel closes what it received: dups (1000: not an open fd) */
	for (unsigned int i = 0; i < m.nr_fds; i++)
		m.fds[i] = rec[1] & 4 ? 1000 : fcntl(memfd, F_DUPFD_CLOEXEC, 3);
	vu_chan_handle(dev, &chan, &m);
	if (m.hdr.flags & VHOST_USER_NEED_REPLY_MASK && vu_msg_recv(&peer, &rep, 100) == 0)
		vu_msg_close_fds(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t sizes[256];
	unsigned int n;
	char err[200];

	init_once();
	if (!size)
		return 0;
	if (!(data[0] & 1)) {
		/* copy so that a size mismatch is caught by ASan, not hidden by the input buffer */
		void *buf = malloc(size - 1 ? size - 1 : 1);

		if (!buf)
			return 0;
		memcpy(buf, data + 1, size - 1);
		vu_parse_shmem_config(buf, size - 1, sizes, &n, err, sizeof(err));
		free(buf);
		return 0;
	}
	for (size_t off = 1; off + REC_SIZE <= size; off += REC_SIZE)
		run_record(data + off);
	vu_shmem_reset(dev);
	return 0;
}
