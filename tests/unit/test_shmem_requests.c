// SPDX-License-Identifier: MIT
/*
 * vhost-user SHMEM_MAP / SHMEM_UNMAP request handling (src/vhost_user/shmem.c): a table of
 * malformed requests, each refused with the mapping state unchanged, plus the GET_SHMEM_CONFIG
 * reply parser.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vhost_user/shmem.h"

#define MiB (1ULL << 20)
#define PAGE 4096ULL
#define F_SHMEM (1ULL << VHOST_USER_PROTOCOL_F_SHMEM)
#define F_ALL (F_SHMEM | (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
	       (1ULL << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) |      \
	       (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))

static struct shm_region reg0, reg3;
static struct shm_region *regions[2];
static int memfd, rofd, pipefd[2];

static int pattern_fd(uint64_t size, uint64_t seed)
{
	int fd = memfd_create("shmem-req", MFD_CLOEXEC);
	uint64_t *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = seed ^ (i * 8);
	munmap(p, size);
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

static int send_req(uint32_t request, uint8_t shmid, uint64_t fd_offset, uint64_t shm_offset,
		    uint64_t len, uint64_t flags, int fd)
{
	struct vu_msg m;

	msg_set(&m, request, shmid, fd_offset, shm_offset, len, flags, fd);
	return vu_shmem_handle("test-dev", regions, 2, F_ALL, &m);
}

static void setup(void)
{
	ck_assert_int_eq(shm_region_init(&reg0, 0, 16 * MiB, 0, 0), 0);
	ck_assert_int_eq(shm_region_init(&reg3, 3, 8 * MiB, 0, 0), 0);
	regions[0] = &reg0;
	regions[1] = &reg3;
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
	shm_region_destroy(&reg0);
	shm_region_destroy(&reg3);
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
	ret = vu_shmem_handle("test-dev", regions, 2, b->features, &m);
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
	ck_assert_uint_eq(*(uint64_t *)(reg0.hva + 2 * MiB + 8), 0xc0ffee ^ 8);
	ck_assert_uint_eq(*(uint64_t *)(reg0.hva + 8 * MiB), 0xc0ffee ^ (4 * MiB));
	ck_assert_uint_eq(*(uint64_t *)(reg3.hva + 16), 0xc0ffee ^ (6 * MiB + 16));
	*(uint64_t *)(reg0.hva + 2 * MiB) = 77; /* RW: reaches the file */
	ck_assert_int_eq(pread(memfd, &v, 8, 0), 8);
	ck_assert_uint_eq(v, 77);
	*(uint64_t *)(reg0.hva + 8 * MiB) = 78; /* RO: does not */
	ck_assert_int_eq(pread(memfd, &v, 8, 4 * MiB), 8);
	ck_assert_uint_eq(v, 0xc0ffee ^ (4 * MiB));
	/* flags on UNMAP are ignored, as QEMU does */
	ck_assert_int_eq(send_req(10, 3, 0, 0, 2 * MiB, 1, -2), 0);
	ck_assert_uint_eq(*(uint64_t *)(reg3.hva + 16), 0);
	/* the direct handlers */
	struct vhost_user_mmap req = { .shmid = 3, .shm_offset = 4 * MiB, .len = 2 * MiB,
				       .flags = RW };
	ck_assert_int_eq(vu_shmem_map_regions(regions, 2, &req, memfd), 0);
	ck_assert_int_eq(vu_shmem_map_regions(regions, 2, &req, memfd), -EEXIST);
	ck_assert_int_eq(vu_shmem_unmap_regions(regions, 2, &req), 0);
	ck_assert_int_eq(vu_shmem_unmap_regions(regions, 2, &req), -ENOENT);
	shm_region_get_stats(&reg3, &st);
	ck_assert_uint_eq(st.live, 0);
	ck_assert_uint_eq(st.total_maps, 2);
	ck_assert_uint_eq(st.total_unmaps, 2);
	ck_assert_uint_eq(st.failed, 2);
	ck_assert_ptr_eq(vu_shmem_find(regions, 2, 3), &reg3);
	ck_assert_ptr_null(vu_shmem_find(regions, 2, 4));
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
	cfg.memory_sizes[5] = 100ULL << 30;
	cfg.memory_sizes[0] = 100ULL << 30; /* total over the BAR window */
	ck_assert_int_eq(parse(2056), -EPROTO);
	cfg.memory_sizes[0] = 2 * MiB;
	cfg.memory_sizes[5] = 0;
	cfg.memory_sizes[255] = 2 * MiB;
	ck_assert_int_eq(parse(2056), 0);
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
	suite_add_tcase(s, tp);
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
