// SPDX-License-Identifier: MIT
/*
 * vhost-user SHMEM_MAP / SHMEM_UNMAP request handling: a table of malformed requests, each sent
 * through the backend channel's entry point (vu_chan_handle: the table's envelope check, then
 * the typed handlers of src/vhost_user/shmem.c) of a real vhost-user device with two regions,
 * each refused (failure reply) with the mapping state unchanged, plus the GET_SHMEM_CONFIG
 * reply parser and end-to-end runs with the vu_shm_backend process.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "../harness/pattern_fd.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "kvm/vm.h"
#include "../harness/testfiles.h"

#define MiB (1ULL << 20)
#define PAGE 4096ULL
#define F_SHMEM (1ULL << VHOST_USER_PROTOCOL_F_SHMEM)
#define F_ALL (F_SHMEM | (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
	       (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) |      \
	       (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))

static struct vu_dev *dev;
static struct shm_region *regions[2];   /* dev->vdev.shm[]: shmid 0 (16 MiB), 3 (8 MiB) */
static int memfd, rofd, pipefd[2], chan[2];

static int pattern_fd(uint64_t size, uint64_t seed)
{
	int fd = pattern_memfd("shmem-req", size, seed);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void msg_set(struct vu_msg *m, uint32_t request, uint8_t shmid, uint64_t fd_offset,
		    uint64_t shm_offset, uint64_t len, uint64_t flags, int fd)
{
	memset(m, 0, sizeof(*m));
	m->hdr.request = request;
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK;
	m->hdr.size = VU_SHMEM_MMAP_SIZE;
	m->payload.mmap = (struct vhost_user_mmap){ .shmid = shmid, .fd_offset = fd_offset,
						    .shm_offset = shm_offset, .len = len,
						    .flags = flags };
	if (fd != -2) {
		m->fds[0] = fd;
		m->nr_fds = 1;
	}
}

/*
 * Serves m on the device's backend channel as the monitor thread does (the channel closes the
 * fds it received: m carries dups) and returns minus the status of the REPLY_ACK reply.
 */
static int chan_send(struct vu_msg *m, uint64_t features)
{
	struct vu_conn c = { .fd = chan[0], .timeout_ms = 1000, .name = "test-chan",
			     .request_name = vu_backend_request_name };
	struct vu_conn peer = { .fd = chan[1], .timeout_ms = 1000, .name = "test-backend",
				.request_name = vu_backend_request_name };
	struct vu_msg rep;

	for (unsigned int i = 0; i < m->nr_fds; i++)
		m->fds[i] = m->fds[i] >= 0 && m->fds[i] < 1000 ? fcntl(m->fds[i], F_DUPFD_CLOEXEC, 3) :
			    m->fds[i];
	dev->protocol_features = features;
	ck_assert_int_eq(vu_chan_handle(dev, &c, m), 0);
	dev->protocol_features = F_ALL;
	ck_assert_int_eq(vu_msg_recv(&peer, &rep, 1000), 0);
	ck_assert(rep.hdr.flags & VHOST_USER_REPLY_MASK);
	ck_assert_uint_eq(rep.hdr.request, m->hdr.request);
	ck_assert_uint_eq(rep.hdr.size, 8);
	return -(int)rep.payload.u64;
}

static int send_req(uint32_t request, uint8_t shmid, uint64_t fd_offset, uint64_t shm_offset,
		    uint64_t len, uint64_t flags, int fd)
{
	struct vu_msg m;

	msg_set(&m, request, shmid, fd_offset, shm_offset, len, flags, fd);
	return chan_send(&m, F_ALL);
}

static void setup(void)
{
	struct vu_options opt = { .socket = "/nonexistent" };
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS] = { [0] = 16 * MiB, [3] = 8 * MiB };
	char err[256];

	dev = vu_dev_new(NULL, &opt, "test-dev", NULL, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	dev->protocol_features = F_ALL;
	ck_assert_msg(vu_shmem_add_regions(dev, sizes, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(dev->vdev.nr_shm, 2);
	regions[0] = dev->vdev.shm[0];
	regions[1] = dev->vdev.shm[1];
	ck_assert_uint_eq(regions[1]->id, 3);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan), 0);
	memfd = pattern_fd(8 * MiB, 0xc0ffee);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(rofd, 0);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	/* live state every bad request must leave alone */
	ck_assert_int_eq(send_req(9, 0, 0, 2 * MiB, 2 * MiB, VHOST_USER_FLAG_MAP_RW, memfd), 0);
	ck_assert_int_eq(send_req(9, 0, 4 * MiB, 8 * MiB, 2 * MiB, 0, memfd), 0);
	ck_assert_int_eq(send_req(9, 3, 6 * MiB, 0, 2 * MiB, 0, rofd), 0);
}

static void teardown(void)
{
	vu_dev_free(dev);
	close(chan[0]);
	close(chan[1]);
	close(memfd);
	close(rofd);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* What the guest could observe plus the bookkeeping. */
struct snapshot {
	uint64_t live[2], maps[2], unmaps[2];
	uint64_t chunk_map[2][8];  /* per 2 MiB chunk: mapping offset+1 or 0 */
	uint64_t chunk_word[2][8]; /* first and a middle word of each chunk */
};

static void snap(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 2; i++) {
		struct shm_region *r = regions[i];
		struct shm_region_stats st;

		shm_region_get_stats(r, &st);
		s->live[i] = st.live;
		s->maps[i] = st.total_maps;
		s->unmaps[i] = st.total_unmaps;
		for (uint64_t c = 0; c < r->size / (2 * MiB); c++) {
			uint64_t mo = 0, ml = 0;

			if (shm_region_find(r, c * 2 * MiB, 2 * MiB, &mo, &ml))
				s->chunk_map[i][c] = (mo + 1) ^ (ml << 32);
			s->chunk_word[i][c] = *(uint64_t *)(r->hva + c * 2 * MiB) ^
					      *(uint64_t *)(r->hva + c * 2 * MiB + MiB + 8);
		}
	}
}

enum fdk { FD_NONE, FD_MEM, FD_RO, FD_PIPE, FD_BADNUM, FD_TWO };

struct bad_req {
	const char *what;
	uint32_t request;
	uint64_t features;
	uint32_t size;
	enum fdk fdk;
	uint8_t shmid;
	uint64_t fd_offset, shm_offset, len, flags;
};

#define RW VHOST_USER_FLAG_MAP_RW
static const struct bad_req bad[] = {
	{ "MAP without SHMEM negotiated", 9, F_ALL & ~F_SHMEM, 40, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "UNMAP without SHMEM negotiated", 10, F_ALL & ~F_SHMEM, 40, FD_NONE, 0, 0, 2 * MiB,
	  2 * MiB, 0 },
	{ "MAP with no protocol features", 9, 0, 40, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "MAP truncated payload (39)", 9, F_ALL, 39, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "MAP truncated payload (32)", 9, F_ALL, 32, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "MAP empty payload", 9, F_ALL, 0, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "MAP oversized payload (48)", 9, F_ALL, 48, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "UNMAP truncated payload", 10, F_ALL, 24, FD_NONE, 0, 0, 2 * MiB, 2 * MiB, 0 },
	{ "MAP without fd", 9, F_ALL, 40, FD_NONE, 0, 0, 0, 2 * MiB, RW },
	{ "MAP with two fds", 9, F_ALL, 40, FD_TWO, 0, 0, 0, 2 * MiB, RW },
	{ "UNMAP with an fd", 10, F_ALL, 40, FD_MEM, 0, 0, 2 * MiB, 2 * MiB, 0 },
	{ "wrong request number", 8, F_ALL, 40, FD_MEM, 0, 0, 0, 2 * MiB, RW },
	{ "MAP unknown shmid 1", 9, F_ALL, 40, FD_MEM, 1, 0, 0, 2 * MiB, RW },
	{ "MAP unknown shmid 255", 9, F_ALL, 40, FD_MEM, 255, 0, 0, 2 * MiB, RW },
	{ "UNMAP unknown shmid", 10, F_ALL, 40, FD_NONE, 2, 0, 2 * MiB, 2 * MiB, 0 },
	{ "MAP flags bit 1", 9, F_ALL, 40, FD_MEM, 0, 0, 0, 2 * MiB, RW | 2 },
	{ "MAP flags bit 63", 9, F_ALL, 40, FD_MEM, 0, 0, 0, 2 * MiB, 1ULL << 63 },
	{ "MAP len 0", 9, F_ALL, 40, FD_MEM, 0, 0, 0, 0, RW },
	{ "MAP shm_offset unaligned", 9, F_ALL, 40, FD_MEM, 0, 0, 0x800, 2 * MiB, RW },
	{ "MAP len unaligned", 9, F_ALL, 40, FD_MEM, 0, 0, 0, 2 * MiB + 1, RW },
	{ "MAP fd_offset unaligned", 9, F_ALL, 40, FD_MEM, 0, 12, 0, 2 * MiB, RW },
	{ "MAP shm_offset+len overflows", 9, F_ALL, 40, FD_MEM, 0, 0, -PAGE, 2 * PAGE, RW },
	{ "MAP fd_offset+len overflows", 9, F_ALL, 40, FD_MEM, 0, -PAGE, 0, 2 * PAGE, RW },
	{ "MAP fd_offset past off_t", 9, F_ALL, 40, FD_MEM, 0, 1ULL << 63, 0, PAGE, RW },
	{ "MAP at the region end", 9, F_ALL, 40, FD_MEM, 0, 0, 16 * MiB, PAGE, RW },
	{ "MAP across the region end", 9, F_ALL, 40, FD_MEM, 3, 0, 6 * MiB, 4 * MiB, RW },
	{ "MAP len larger than the region", 9, F_ALL, 40, FD_MEM, 3, 0, 0, 32 * MiB, RW },
	{ "MAP same range as live mapping", 9, F_ALL, 40, FD_MEM, 0, 0, 2 * MiB, 2 * MiB, RW },
	{ "MAP overlapping the start", 9, F_ALL, 40, FD_MEM, 0, 0, MiB, 2 * MiB, RW },
	{ "MAP overlapping the end", 9, F_ALL, 40, FD_MEM, 0, 0, 9 * MiB, 2 * MiB, 0 },
	{ "MAP covering two mappings", 9, F_ALL, 40, FD_MEM, 0, 0, 0, 16 * MiB, RW },
	{ "MAP one page inside a mapping", 9, F_ALL, 40, FD_MEM, 3, 0, MiB, PAGE, 0 },
	{ "MAP RW of an O_RDONLY fd", 9, F_ALL, 40, FD_RO, 0, 0, 4 * MiB, 2 * MiB, RW },
	{ "MAP of a pipe", 9, F_ALL, 40, FD_PIPE, 0, 0, 4 * MiB, 2 * MiB, 0 },
	{ "MAP of a closed fd number", 9, F_ALL, 40, FD_BADNUM, 0, 0, 4 * MiB, 2 * MiB, 0 },
	{ "UNMAP sub-range of a mapping", 10, F_ALL, 40, FD_NONE, 0, 0, 2 * MiB, MiB, 0 },
	{ "UNMAP tail of a mapping", 10, F_ALL, 40, FD_NONE, 0, 0, 3 * MiB, MiB, 0 },
	{ "UNMAP superset of a mapping", 10, F_ALL, 40, FD_NONE, 0, 0, 0, 6 * MiB, 0 },
	{ "UNMAP where nothing is mapped", 10, F_ALL, 40, FD_NONE, 0, 0, 4 * MiB, 2 * MiB, 0 },
	{ "UNMAP len 0", 10, F_ALL, 40, FD_NONE, 0, 0, 2 * MiB, 0, 0 },
	{ "UNMAP past the region", 10, F_ALL, 40, FD_NONE, 3, 0, 8 * MiB, 2 * MiB, 0 },
	{ "UNMAP naming the wrong shmid", 10, F_ALL, 40, FD_NONE, 3, 0, 2 * MiB, 2 * MiB, 0 },
};

START_TEST(test_bad_request)
{
	const struct bad_req *b = &bad[_i];
	struct snapshot before, after;
	struct vu_msg m;
	int ret;

	snap(&before);
	msg_set(&m, b->request, b->shmid, b->fd_offset, b->shm_offset, b->len, b->flags, -2);
	m.hdr.size = b->size;
	switch (b->fdk) {
	case FD_NONE:
		break;
	case FD_MEM:
		m.fds[m.nr_fds++] = memfd;
		break;
	case FD_RO:
		m.fds[m.nr_fds++] = rofd;
		break;
	case FD_PIPE:
		m.fds[m.nr_fds++] = pipefd[0];
		break;
	case FD_BADNUM:
		m.fds[m.nr_fds++] = 1000;
		break;
	case FD_TWO:
		m.fds[m.nr_fds++] = memfd;
		m.fds[m.nr_fds++] = memfd;
		break;
	}
	ret = chan_send(&m, b->features);
	ck_assert_msg(ret < 0, "%s: accepted (ret %d)", b->what, ret);
	snap(&after);
	ck_assert_msg(!memcmp(&before, &after, sizeof(before)), "%s: state changed", b->what);
	/* the fds are still the caller's */
	ck_assert_int_ge(fcntl(memfd, F_GETFD), 0);
	ck_assert_int_ge(fcntl(rofd, F_GETFD), 0);
}
END_TEST

START_TEST(test_bad_request_count)
{
	ck_assert_uint_ge(sizeof(bad) / sizeof(bad[0]), 25);
}
END_TEST

START_TEST(test_double_unmap)
{
	struct snapshot before, after;

	snap(&before);
	ck_assert_int_eq(send_req(9, 0, 0, 12 * MiB, 2 * MiB, RW, memfd), 0);
	ck_assert_int_eq(send_req(10, 0, 0, 12 * MiB, 2 * MiB, 0, -2), 0);
	ck_assert_int_lt(send_req(10, 0, 0, 12 * MiB, 2 * MiB, 0, -2), 0);
	snap(&after);
	/* only the counters of the good pair moved */
	ck_assert_uint_eq(after.maps[0], before.maps[0] + 1);
	ck_assert_uint_eq(after.unmaps[0], before.unmaps[0] + 1);
	after.maps[0]--;
	after.unmaps[0]--;
	ck_assert(!memcmp(&before, &after, sizeof(before)));
}
END_TEST

START_TEST(test_good_requests)
{
	struct shm_region_stats st;
	uint64_t v;

	/* setup() mapped: reg0 [2M,4M) RW fd@0, [8M,10M) RO fd@4M; reg3 [0,2M) RO via rofd@6M */
	struct shm_region *reg0 = regions[0], *reg3 = regions[1];
	char why[320];

	ck_assert_uint_eq(*(uint64_t *)(reg0->hva + 2 * MiB + 8), 0xc0ffee ^ 8);
	ck_assert_uint_eq(*(uint64_t *)(reg0->hva + 8 * MiB), 0xc0ffee ^ (4 * MiB));
	ck_assert_uint_eq(*(uint64_t *)(reg3->hva + 16), 0xc0ffee ^ (6 * MiB + 16));
	*(uint64_t *)(reg0->hva + 2 * MiB) = 77; /* RW: reaches the file */
	ck_assert_int_eq(pread(memfd, &v, 8, 0), 8);
	ck_assert_uint_eq(v, 77);
	*(uint64_t *)(reg0->hva + 8 * MiB) = 78; /* RO: does not */
	ck_assert_int_eq(pread(memfd, &v, 8, 4 * MiB), 8);
	ck_assert_uint_eq(v, 0xc0ffee ^ (4 * MiB));
	/* flags on UNMAP are ignored, as QEMU does */
	ck_assert_int_eq(send_req(10, 3, 0, 0, 2 * MiB, 1, -2), 0);
	ck_assert_uint_eq(*(uint64_t *)(reg3->hva + 16), 0);
	/* the typed handlers the channel table calls, on the device's region set */
	struct vhost_user_mmap req = { .shmid = 3, .shm_offset = 4 * MiB, .len = 2 * MiB,
				       .flags = RW };
	ck_assert_int_eq(vu_shmem_map(dev->vdev.shm, 2, &req, memfd, why, sizeof(why)), 0);
	ck_assert_int_eq(vu_shmem_map(dev->vdev.shm, 2, &req, memfd, why, sizeof(why)), -EEXIST);
	ck_assert_str_eq(why, "SHMEM_MAP shmid=3 fd_offset=0x0 shm_offset=0x400000 len=0x200000 "
			      "flags=0x1: overlaps live mapping at 0x400000+0x200000");
	ck_assert_int_eq(vu_shmem_unmap(dev->vdev.shm, 2, &req, why, sizeof(why)), 0);
	ck_assert_int_eq(vu_shmem_unmap(dev->vdev.shm, 2, &req, why, sizeof(why)), -ENOENT);
	shm_region_get_stats(reg3, &st);
	ck_assert_uint_eq(st.live, 0);
	ck_assert_uint_eq(st.total_maps, 2);
	ck_assert_uint_eq(st.total_unmaps, 2);
	ck_assert_uint_eq(st.failed, 2);
	ck_assert_ptr_eq(vu_shmem_find(dev->vdev.shm, 2, 3), reg3);
	ck_assert_ptr_null(vu_shmem_find(dev->vdev.shm, 2, 4));
}
END_TEST

/* Issue 12.3: more regions than the transport's capabilities can describe: refused at once. */
START_TEST(test_region_count_limit)
{
	struct vu_options opt = { .socket = "/nonexistent" };
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS] = { 0 };
	struct vu_dev *d;
	char err[256];

	for (unsigned int i = 0; i < 5; i++)
		sizes[i * 40] = 2 * MiB;
	d = vu_dev_new(NULL, &opt, "five", NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(vu_shmem_add_regions(d, sizes, err, sizeof(err)), -ENOSPC);
	ck_assert_msg(strstr(err, "asks for 5 shared memory regions") &&
		      strstr(err, "at most 4"), "%s", err);
	ck_assert_uint_eq(d->vdev.nr_shm, 0);
	d->vdev.config_size = 8;                   /* with a device config space: 3 fit */
	sizes[160] = 0;
	ck_assert_int_eq(vu_shmem_add_regions(d, sizes, err, sizeof(err)), -ENOSPC);
	ck_assert_msg(strstr(err, "at most 3"), "%s", err);
	sizes[120] = 0;
	ck_assert_int_eq(vu_shmem_add_regions(d, sizes, err, sizeof(err)), 0);
	ck_assert_uint_eq(d->vdev.nr_shm, 3);
	vu_dev_free(d);
}
END_TEST

/* Issue 12.5: the backend channel names its own requests (not the front-end's table). */
START_TEST(test_channel_names_its_requests)
{
	struct vu_conn c = { .timeout_ms = 200, .name = "chan",
			     .request_name = vu_backend_request_name };
	struct vhost_user_hdr h = { .request = VHOST_USER_BACKEND_SHMEM_MAP,
				    .flags = VHOST_USER_VERSION, .size = 0xffffffff };
	struct vu_msg m;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c.fd = sv[0];
	ck_assert_int_eq(write(sv[1], &h, sizeof(h)), (ssize_t)sizeof(h));
	ck_assert_int_eq(vu_msg_recv(&c, &m, 200), -EPROTO);
	ck_assert_msg(strstr(c.err, "SHMEM_MAP: payload") && !strstr(c.err, "SET_VRING_ADDR"),
		      "%s", c.err);
	/* a reply the back-end never reads: named CONFIG_CHANGE_MSG, not SET_FEATURES */
	vu_msg_init(&m, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, 8);
	m.hdr.flags |= VHOST_USER_REPLY_MASK;
	{
		int big = 4096;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	for (int i = 0; i < 100000 && vu_msg_send(&c, &m) == 0; i++)
		;
	ck_assert_msg(strstr(c.err, "sending CONFIG_CHANGE_MSG: timed out") &&
		      !strstr(c.err, "SET_FEATURES"), "%s", c.err);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* GET_SHMEM_CONFIG reply parser */
static struct vhost_user_shmem_config cfg;

static int parse(size_t size)
{
	uint64_t sizes[256];
	unsigned int n = 1234;
	char err[200];

	return vu_parse_shmem_config(&cfg, size, sizes, &n, err, sizeof(err));
}

START_TEST(test_shmem_config)
{
	uint64_t sizes[256];
	unsigned int n;
	char err[200];

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(vu_parse_shmem_config(&cfg, sizeof(cfg), sizes, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);

	cfg.nregions = 2;
	cfg.memory_sizes[0] = 1ULL << 30;
	cfg.memory_sizes[5] = 4 * MiB;
	ck_assert_int_eq(vu_parse_shmem_config(&cfg, sizeof(cfg), sizes, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(sizes[0], 1ULL << 30);
	ck_assert_uint_eq(sizes[5], 4 * MiB);
	ck_assert_uint_eq(sizes[1], 0);

	ck_assert_int_eq(parse(2055), -EPROTO);
	ck_assert_int_eq(parse(2057), -EPROTO);
	ck_assert_int_eq(parse(8), -EPROTO);
	ck_assert_int_eq(vu_parse_shmem_config(NULL, 2056, sizes, &n, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "expected 2056"));
	cfg.nregions = 257;
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.nregions = 3; /* two non-zero sizes */
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.nregions = 1;
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.nregions = 2;
	cfg.memory_sizes[5] = 4 * MiB + PAGE; /* page multiple, not 2 MiB */
	ck_assert_int_eq(vu_parse_shmem_config(&cfg, 2056, sizes, &n, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "shmid 5"));
	cfg.memory_sizes[5] = 12345;
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.memory_sizes[5] = 2ULL << 40; /* too large */
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.memory_sizes[5] = 600ULL << 30;
	cfg.memory_sizes[0] = 600ULL << 30; /* total over the BAR window */
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.memory_sizes[0] = 2 * MiB;
	cfg.memory_sizes[5] = 0;
	cfg.memory_sizes[255] = 2 * MiB;
	ck_assert_int_eq(parse(2056), 0);
}
END_TEST

/*
 * End to end with the test back-end: a generic vhost-user device (GET_SHMEM_CONFIG creates the
 * regions), scripted MAP/UNMAP on the real backend channel, the "guest" side read and written
 * through the region's host range, malformed requests refused over the wire.
 */
static char tdir[64];

static void step_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tdir, name);
}

static void rm_tdir(void)
{
	static const char *names[] = { "sock", "script", "out", "ready", "mapped", "written",
				       "checked", "unmapped" };
	char p[128];

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		step_path(p, sizeof(p), names[i]);
		unlink(p);
	}
	rmdir(tdir);
}

static bool wait_step(const char *name, int ms)
{
	char p[128];

	step_path(p, sizeof(p), name);
	for (int i = 0; i < ms; i += 5) {
		if (!access(p, F_OK))
			return true;
		usleep(5000);
	}
	return false;
}

static void touch_step(const char *name)
{
	char p[128];
	int fd;

	step_path(p, sizeof(p), name);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static const char *script_text =
	"memfd a 4M 0x1111\n"
	"memfd b 2M 0x2222\n"
	"wait-file %1$s/ready 10000\n"
	"map 0 0x200000 0x200000 a 0x200000 rw\n"
	"map 3 0 0x200000 b 0 ro\n"
	"touch %1$s/mapped\n"
	"wait-word a 0x200008 0x77 10000\n"
	"expect b 0x8 0x222a\n"
	"write a 0x200010 0x99\n"
	"write b 0x100 0x55\n"
	"write b 0x1100 0x56\n"
	"touch %1$s/written\n"
	"wait-file %1$s/checked 10000\n"
	"map 0 0x300000 0x200000 a 0 rw fail\n"
	"map 1 0 0x200000 a 0 rw fail\n"
	"map 0 0xf00000 0x200000 a 0 rw fail\n"
	"map 0 0x400000 0x200000 a 0x1000 ro\n"
	"map 0 0x600000 0x1000 a 0x3 rw fail\n"
	"raw 9 40 1 0 0 0x800000 0x200000 2 fail\n"
	"raw 9 40 0 0 0 0x800000 0x200000 1 fail\n"
	"raw 9 40 2 0 0 0x800000 0x200000 1 fail\n"
	"raw 9 39 1 0 0 0x800000 0x200000 1 fail\n"
	"raw 10 40 1 0 0 0x200000 0x200000 0 fail\n"
	"raw 10 40 0 0 0 0x200000 0x100000 0 fail\n"
	"unmap 0 0x200000 0x200000\n"
	"unmap 0 0x200000 0x200000 fail\n"
	"touch %1$s/unmapped\n";

static pid_t start_backend_script(const char *sizes, const char *bad_mode, const char *text)
{
	char sock[128], script[128], out[128];
	FILE *f;
	pid_t pid;

	step_path(sock, sizeof(sock), "sock");
	step_path(script, sizeof(script), "script");
	step_path(out, sizeof(out), "out");
	f = fopen(script, "we");
	ck_assert_ptr_nonnull(f);
	fprintf(f, text, tdir);
	fclose(f);
	pid = tf_spawn_backend("vu_shm_backend", out, (const char *const[]){ "--socket", sock,
				"--sizes", sizes, bad_mode ? "--bad-config" : "--script",
				bad_mode ? bad_mode : script, NULL });
	ck_assert_msg(pid > 0, "cannot start vu_shm_backend (run make all): %s", strerror(errno));
	return pid;
}

static pid_t start_backend(const char *sizes, const char *bad_mode)
{
	return start_backend_script(sizes, bad_mode, script_text);
}

static struct virtio_device *create_generic(struct vm *vm, char *err, size_t errlen)
{
	char sock[128];
	struct vhost_user_config cfg = { .virtio_id = 42, .num_queues = 1, .queue_size = 256,
					 .connect_timeout_ms = 5000 };

	step_path(sock, sizeof(sock), "sock");
	cfg.socket = sock;
	return vhost_user_generic_create(vm, &cfg, err, errlen);
}

START_TEST(test_backend_end_to_end)
{
	struct virtio_device *vdev;
	struct shm_region_stats st;
	struct vm vm;
	char err[256], out[128], buf[8192];
	int status;
	pid_t pid;
	FILE *f;
	size_t n;

	strcpy(tdir, "/tmp/shmem-e2e.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	pid = start_backend("0=16M,3=2M", NULL);
	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	vdev = create_generic(&vm, err, sizeof(err));
	ck_assert_msg(vdev != NULL, "generic device: %s", err);
	ck_assert_uint_eq(vdev->nr_shm, 2);
	ck_assert_uint_eq(vdev->shm[0]->id, 0);
	ck_assert_uint_eq(vdev->shm[0]->size, 16 * MiB);
	ck_assert_uint_eq(vdev->shm[1]->id, 3);
	ck_assert_uint_eq(vdev->shm[1]->size, 2 * MiB);
	uint8_t *r0 = vdev->shm[0]->hva, *r3 = vdev->shm[1]->hva;

	touch_step("ready"); /* regions exist: the back-end may map now */

	ck_assert_msg(wait_step("mapped", 10000), "back-end never mapped");
	ck_assert_uint_eq(*(uint64_t *)(r0 + 2 * MiB), 0x1111 ^ (2 * MiB));
	ck_assert_uint_eq(*(uint64_t *)(r0 + 4 * MiB - 8), 0x1111 ^ (4 * MiB - 8));
	ck_assert_uint_eq(*(uint64_t *)(r3 + 8), 0x2222 ^ 8);
	ck_assert_uint_eq(*(uint64_t *)(r0), 0);                 /* hole */
	*(volatile uint64_t *)(r0 + 2 * MiB + 8) = 0x77;         /* guest write, RW: shared */
	*(volatile uint64_t *)(r3 + 8) = 0x88;                   /* RO: never reaches the file */
	ck_assert_msg(wait_step("written", 10000), "back-end did not see the write");
	ck_assert_uint_eq(*(uint64_t *)(r0 + 2 * MiB + 16), 0x99); /* back-end write: shared */
	/* RO: a page the guest wrote is its private copy now (documented), the others are shared */
	ck_assert_uint_eq(*(uint64_t *)(r3 + 0x100), 0x2222 ^ 0x100);
	ck_assert_uint_eq(*(uint64_t *)(r3 + 8), 0x88);
	ck_assert_uint_eq(*(uint64_t *)(r3 + 0x1100), 0x56);
	touch_step("checked");
	ck_assert_msg(wait_step("unmapped", 10000), "back-end script did not finish");
	ck_assert_uint_eq(*(uint64_t *)(r0 + 2 * MiB), 0);
	ck_assert_uint_eq(*(uint64_t *)(r0 + 4 * MiB), 0x1111 ^ 0x1000); /* the RO map at 4M */
	ck_assert_int_eq(vu_shmem_get_stats(to_vu_dev(vdev), 0, &st), 0);
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(st.total_maps, 2);
	ck_assert_uint_eq(st.total_unmaps, 1);
	ck_assert_uint_ge(st.failed, 6);
	/* device reset drops every mapping */
	vu_shmem_reset(to_vu_dev(vdev));
	ck_assert_uint_eq(*(uint64_t *)(r0 + 4 * MiB), 0);
	ck_assert_int_eq(vu_shmem_get_stats(to_vu_dev(vdev), 3, &st), 0);
	ck_assert_uint_eq(st.live, 0);

	vhost_user_device_destroy(vdev);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	step_path(out, sizeof(out), "out");
	f = fopen(out, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "back-end failed:\n%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "0 failures"));
	vm_destroy(&vm);
	rm_tdir();
}
END_TEST

/* A back-end whose GET_SHMEM_CONFIG reply is malformed: device setup fails with a clear error. */
START_TEST(test_backend_bad_config)
{
	static const char *modes[] = { "nregions", "unaligned" };
	struct vm vm;
	char err[256];
	int status;

	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	for (unsigned int i = 0; i < 2; i++) {
		strcpy(tdir, "/tmp/shmem-bad.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tdir));
		pid_t pid = start_backend("0=16M", modes[i]);
		err[0] = 0;
		ck_assert_ptr_null(create_generic(&vm, err, sizeof(err)));
		ck_assert_msg(strstr(err, "GET_SHMEM_CONFIG"), "%s: error '%s'", modes[i], err);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		rm_tdir();
	}
	vm_destroy(&vm);
}
END_TEST

/*
 * Through the virtio-pci transport in the harness: the driver finds one shared memory capability
 * per region (as Linux does), each inside the 64-bit shm BAR at the region's offset with its
 * length; the bytes at BAR + offset are the back-end's memfd after MAP.
 */
static const char *pci_script =
	"memfd a 2M 0x4444\n"
	"wait-file %1$s/ready 10000\n"
	"map 3 0x200000 0x200000 a 0 rw\n"
	"touch %1$s/mapped\n";

START_TEST(test_backend_pci_caps)
{
	struct virtio_device *vdev;
	struct harness *h;
	struct hvirtio v;
	char err[256];
	int slot, status;
	pid_t pid;

	strcpy(tdir, "/tmp/shmem-pci.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	pid = start_backend_script("0=4M,3=8M", NULL, pci_script);
	h = harness_create(64 << 20);
	ck_assert_ptr_nonnull(h);
	vdev = create_generic(&h->vm, err, sizeof(err));
	ck_assert_msg(vdev != NULL, "generic device: %s", err);
	slot = harness_add_virtio(h, vdev, vhost_user_device_destroy);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(hvirtio_init(&v, h, slot), 0);
	ck_assert_uint_eq(v.nr_shm, 2);
	for (unsigned int i = 0; i < 2; i++) {
		const struct shm_region *r = NULL;

		for (unsigned int j = 0; j < vdev->nr_shm; j++)
			if (vdev->shm[j]->id == v.shm[i].id)
				r = vdev->shm[j];
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(v.shm[i].length, r->size);
		ck_assert_uint_eq(v.shm[i].offset % (2 * MiB), 0);
		ck_assert_uint_eq(harness_pci_bar_addr(h, slot, v.shm[i].bar) % (2 * MiB), 0);
	}
	touch_step("ready");
	ck_assert_msg(wait_step("mapped", 10000), "back-end never mapped");
	for (unsigned int j = 0; j < vdev->nr_shm; j++) {
		const uint8_t *p = vdev->shm[j]->hva;

		if (vdev->shm[j]->id != 3)
			continue;
		ck_assert_uint_eq(*(const uint64_t *)(p + 2 * MiB + 64), 0x4444 ^ 64);
		ck_assert_uint_eq(*(const uint64_t *)p, 0);
	}
	harness_destroy(h); /* destroys the device: the back-end sees EOF */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rm_tdir();
}
END_TEST

static Suite *shmem_suite(void)
{
	Suite *s = suite_create("shmem_requests");
	TCase *tc = tcase_create("requests");
	TCase *tp = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_request, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_bad_request_count);
	tcase_add_test(tc, test_double_unmap);
	tcase_add_test(tc, test_good_requests);
	suite_add_tcase(s, tc);
	tcase_add_test(tp, test_shmem_config);
	tcase_add_test(tp, test_region_count_limit);
	tcase_add_test(tp, test_channel_names_its_requests);
	suite_add_tcase(s, tp);
	TCase *te = tcase_create("backend");
	tcase_set_timeout(te, 60);
	tcase_add_test(te, test_backend_end_to_end);
	tcase_add_test(te, test_backend_bad_config);
	tcase_add_test(te, test_backend_pci_caps);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shmem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
