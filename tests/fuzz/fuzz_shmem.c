// SPDX-License-Identifier: MIT
/*
 * Fuzz target: vhost-user SHMEM_MAP / SHMEM_UNMAP handling (vu_shmem_handle against two live
 * regions) and the GET_SHMEM_CONFIG reply parser.
 *
 * Input: byte 0 selects the target. Even: GET_SHMEM_CONFIG reply = the rest of the input (any
 * size; 2056 bytes is the valid one). Odd: a sequence of 44-byte records, each
 * {u8 request-selector, u8 fd-selector, u8 features-selector, u8 size, 40-byte VhostUserMMap},
 * run in order; all mappings are dropped at the end of the input. Mapped pages are never
 * touched (a mapping may lie past EOF of the 64 KiB memfd).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost_user/shmem.h"
#include "vmm/log.h"

#define REC_SIZE 44

static struct shm_region reg_a, reg_b;
static struct shm_region *regions[2];
static int memfd = -1;

static void init_once(void)
{
	if (memfd >= 0)
		return;
	log_set_level(LOG_ERROR);
	memfd = memfd_create("fuzz-shmem", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 64 << 10))
		abort();
	if (shm_region_init(&reg_a, 0, 8 << 20, 64, 0) || shm_region_init(&reg_b, 7, 2 << 20, 64, 0))
		abort();
	regions[0] = &reg_a;
	regions[1] = &reg_b;
}

static void run_record(const uint8_t *rec)
{
	static const int fd_choice[4] = { 0, 1, 1, 2 };
	struct vu_msg m;
	uint64_t features = rec[2] & 1 ? 0 : 1ULL << VHOST_USER_PROTOCOL_F_SHMEM;

	memset(&m, 0, sizeof(m));
	m.hdr.request = rec[0] & 0x80 ? rec[0] & 0x7f : 9 + (rec[0] & 1);
	m.hdr.flags = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK;
	m.hdr.size = rec[3] & 0x80 ? rec[3] & 0x7f : 40;
	memcpy(&m.payload.mmap, rec + 4, 40);
	m.nr_fds = fd_choice[rec[1] & 3];
	for (unsigned int i = 0; i < m.nr_fds; i++)
		m.fds[i] = rec[1] & 4 ? 1000 : memfd; /* 1000: not an open fd */
	vu_shmem_handle("fuzz", regions, 2, features, &m);
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
	shm_region_unmap_all(&reg_a);
	shm_region_unmap_all(&reg_b);
	return 0;
}
