// SPDX-License-Identifier: MIT
/* virtio-blk through the guest-driver harness: data paths, flush, read-only, reset, multiqueue. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/magic.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "pci/msix.h"
#include "util/clock.h"
#include "virtio/blk.h"

#define MiB (1ULL << 20)
#define DISK_SIZE (8 * MiB)
#define SEED 0x1234

static struct harness *h;
static char *img;
static struct hblk blk;

static void setup_disk_cfg(bool readonly, const char *id, unsigned int nq, bool ring_features)
{
	struct disk_config cfg = { .readonly = readonly, .id = (char *)id,
				   .ring_features = ring_features };
	int slot;

	h = harness_create(64 * MiB);
	ck_assert_ptr_nonnull(h);
	img = harness_temp_image(DISK_SIZE, SEED);
	ck_assert_ptr_nonnull(img);
	cfg.path = img;
	slot = harness_add_blk_cfg(h, &cfg, nq);
	ck_assert_int_gt(slot, 0);
	ck_assert_int_eq(hblk_init(&blk, h, (unsigned int)slot, nq), 0);
}

static void setup_disk(bool readonly, const char *id, unsigned int nq)
{
	setup_disk_cfg(readonly, id, nq, false);
}

static void teardown_disk(void)
{
	hvirtio_cleanup(&blk.v);
	harness_destroy(h);
	unlink(img);
	free(img);
	h = NULL;
}

static void host_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(img, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = harness_pattern_byte(seed, i);
}

/* What the image holds at off (harness_temp_image / disk_image pattern). */
static void fill_at(uint8_t *buf, size_t len, uint32_t seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = harness_pattern_byte(seed, off + i);
}

START_TEST(test_capacity_and_features)
{
	uint64_t f;

	setup_disk(false, "serial-123", 1);
	ck_assert_uint_eq(blk.capacity, DISK_SIZE / 512);
	f = hvirtio_device_features(&blk.v);
	ck_assert(f & (1ULL << VIRTIO_F_VERSION_1));
	ck_assert(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	ck_assert(!(f & (1ULL << VIRTIO_BLK_F_RO)));
	/* the minimal split ring unless [[disk]] ring_features = true */
	ck_assert(!(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC)));
	ck_assert(!(f & (1ULL << VIRTIO_RING_F_EVENT_IDX)));
	ck_assert(!(f & (1ULL << VIRTIO_F_ACCESS_PLATFORM)));
	teardown_disk();
	setup_disk_cfg(true, NULL, 1, true);
	f = hvirtio_device_features(&blk.v);
	ck_assert(f & (1ULL << VIRTIO_BLK_F_RO));
	ck_assert(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	ck_assert(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	ck_assert(!(f & (1ULL << VIRTIO_F_ACCESS_PLATFORM)));
	teardown_disk();
}
END_TEST

START_TEST(test_read_initial_pattern)
{
	static uint8_t buf[65536], want[65536];

	setup_disk(false, NULL, 1);
	ck_assert_int_eq(hblk_read(&blk, 0, 7, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
	host_read(7 * 512, want, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(buf));
	teardown_disk();
}
END_TEST

START_TEST(test_write_patterns)
{
	static const uint32_t sizes[] = { 512, 1024, 4096, 4608, 65536, 131072, 1048576 };
	static uint8_t buf[1048576], back[1048576], host[1048576];
	uint64_t sector = 0;

	setup_disk(false, NULL, 1);
	for (unsigned int i = 0; i < 40; i++) {
		uint32_t len = sizes[i % 7];

		sector = (sector * 7919 + 13 + i) % (DISK_SIZE / 512 - len / 512);
		fill(buf, len, 100 + i);
		ck_assert_int_eq(hblk_write(&blk, 0, sector, buf, len), VIRTIO_BLK_S_OK);
		ck_assert_int_eq(hblk_read(&blk, 0, sector, back, len), VIRTIO_BLK_S_OK);
		ck_assert_mem_eq(buf, back, len);
		host_read(sector * 512, host, len);
		ck_assert_mem_eq(buf, host, len);
	}
	/* Last sector exactly, and first sector. */
	fill(buf, 512, 7);
	ck_assert_int_eq(hblk_write(&blk, 0, DISK_SIZE / 512 - 1, buf, 512), VIRTIO_BLK_S_OK);
	host_read(DISK_SIZE - 512, host, 512);
	ck_assert_mem_eq(buf, host, 512);
	ck_assert_int_eq(hblk_flush(&blk, 0), VIRTIO_BLK_S_OK);
	teardown_disk();
}
END_TEST

START_TEST(test_out_of_range_and_misaligned)
{
	static uint8_t buf[8192];

	setup_disk(false, NULL, 1);
	ck_assert_int_eq(hblk_read(&blk, 0, DISK_SIZE / 512, buf, 512), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_read(&blk, 0, DISK_SIZE / 512 - 1, buf, 1024), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_write(&blk, 0, ~0ULL, buf, 512), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_write(&blk, 0, ~0ULL / 512, buf, 8192), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_read(&blk, 0, 0, buf, 100), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_write(&blk, 0, 0, buf, 513), VIRTIO_BLK_S_IOERR);
	/* Device still healthy. */
	ck_assert_int_eq(hblk_read(&blk, 0, 0, buf, 512), VIRTIO_BLK_S_OK);
	ck_assert(!(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown_disk();
}
END_TEST

START_TEST(test_get_id_and_unsupported)
{
	char id[20];
	int head;
	uint8_t status;

	setup_disk(false, "serial-123", 1);
	ck_assert_int_eq(hblk_get_id(&blk, 0, id), VIRTIO_BLK_S_OK);
	ck_assert_str_eq(id, "serial-123");
	head = hblk_submit(&blk, 0, 77, 0, blk.bounce, 512);
	ck_assert_int_ge(head, 0);
	ck_assert_int_eq(hblk_complete(&blk, 0, 5000, &status), head);
	ck_assert_int_eq(status, VIRTIO_BLK_S_UNSUPP);
	teardown_disk();
}
END_TEST

START_TEST(test_discard_write_zeroes)
{
	static uint8_t buf[65536], zero[65536];

	setup_disk(false, NULL, 1);
	ck_assert_int_eq(hblk_discard(&blk, 0, 64, 128, true, false), VIRTIO_BLK_S_OK);
	host_read(64 * 512, buf, 65536);
	ck_assert_mem_eq(buf, zero, 65536);
	ck_assert_int_eq(hblk_discard(&blk, 0, 256, 8, true, true), VIRTIO_BLK_S_OK);
	host_read(256 * 512, buf, 4096);
	ck_assert_mem_eq(buf, zero, 4096);
	ck_assert_int_eq(hblk_discard(&blk, 0, 1024, 8, false, false), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(hblk_discard(&blk, 0, 1024, 8, false, true), VIRTIO_BLK_S_UNSUPP);
	ck_assert_int_eq(hblk_discard(&blk, 0, DISK_SIZE / 512 - 4, 8, true, false),
			 VIRTIO_BLK_S_IOERR);
	teardown_disk();
}
END_TEST

START_TEST(test_readonly)
{
	static uint8_t buf[4096], before[4096], after[4096];
	uint64_t f;

	setup_disk(true, NULL, 1);
	f = blk.v.features;
	ck_assert(f & (1ULL << VIRTIO_BLK_F_RO));
	ck_assert(!(hvirtio_device_features(&blk.v) & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES)));
	host_read(4096, before, sizeof(before));
	fill(buf, sizeof(buf), 9);
	ck_assert_int_eq(hblk_write(&blk, 0, 8, buf, sizeof(buf)), VIRTIO_BLK_S_IOERR);
	ck_assert_int_eq(hblk_discard(&blk, 0, 8, 8, true, false), VIRTIO_BLK_S_IOERR);
	host_read(4096, after, sizeof(after));
	ck_assert_mem_eq(before, after, sizeof(after));
	ck_assert_int_eq(hblk_read(&blk, 0, 8, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(buf, before, sizeof(buf));
	ck_assert_int_eq(hblk_flush(&blk, 0), VIRTIO_BLK_S_OK);
	teardown_disk();
}
END_TEST

START_TEST(test_queue_depth)
{
	const unsigned int depth = 64;
	uint64_t data = 0;
	unsigned int done = 0;

	setup_disk(false, NULL, 1);
	data = harness_alloc(h, depth * 4096ULL, 4096);
	ck_assert_uint_ne(data, 0);
	for (unsigned int i = 0; i < depth; i++) {
		uint8_t *p = harness_ptr(h, data + i * 4096ULL, 4096);

		fill(p, 4096, 500 + i);
		ck_assert_int_ge(hblk_submit(&blk, 0, VIRTIO_BLK_T_OUT, i * 8, data + i * 4096ULL, 4096), 0);
	}
	while (done < depth) {
		uint8_t status;

		ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
		ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
		done++;
	}
	for (unsigned int i = 0; i < depth; i++) {
		uint8_t want[4096], got[4096];

		fill(want, 4096, 500 + i);
		host_read(i * 4096ULL, got, 4096);
		ck_assert_mem_eq(want, got, 4096);
	}
	teardown_disk();
}
END_TEST

/* Polls (up to ms) until get() of queue 0 - used index or avail_event - reads idx. */
static bool wait_ring_u16(uint16_t (*get)(struct hvirtio *, unsigned int), uint16_t idx, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (get(&blk.v, 0) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

static bool wait_used_idx(uint16_t idx, int ms)
{
	return wait_ring_u16(hvq_used_idx, idx, ms);
}

static bool wait_avail_event(uint16_t idx, int ms)
{
	return wait_ring_u16(hvq_avail_event, idx, ms);
}

/*
 * VIRTIO_RING_F_EVENT_IDX negotiated: the device interrupts only when the used index passes the
 * driver's used_event, and asks for the next kick through avail_event when it runs dry.
 */
START_TEST(test_event_idx)
{
	uint64_t data;
	uint8_t status;
	uint8_t sector[512];

	setup_disk_cfg(false, NULL, 1, true);
	ck_assert(blk.v.features & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	data = harness_alloc(h, 8 * 4096ULL, 4096);
	/* first completion: always signalled (nothing signalled before) */
	ck_assert_int_eq(hblk_read(&blk, 0, 0, sector, sizeof(sector)), VIRTIO_BLK_S_OK);
	ck_assert(wait_avail_event(1, 5000));
	/* used_event far ahead: 8 completions, no interrupt */
	hvq_set_used_event(&blk.v, 0, 1000);
	while (hvirtio_vector_fired(&blk.v, 1))
		;
	for (unsigned int i = 0; i < 8; i++)
		ck_assert_int_ge(hblk_submit(&blk, 0, VIRTIO_BLK_T_IN, i * 8, data + i * 4096ULL,
					     4096), 0);
	ck_assert(wait_used_idx(9, 5000));
	ck_assert_msg(wait_avail_event(9, 5000), "avail_event %u, want 9",
		      hvq_avail_event(&blk.v, 0));
	usleep(20000);
	ck_assert_msg(!hvirtio_vector_fired(&blk.v, 1), "interrupt despite used_event");
	for (unsigned int i = 0; i < 8; i++) {
		ck_assert_int_ge(hblk_complete(&blk, 0, 1000, &status), 0);
		ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	}
	/* used_event = the next element: the next completion interrupts */
	hvq_set_used_event(&blk.v, 0, 9);
	ck_assert_int_ge(hblk_submit(&blk, 0, VIRTIO_BLK_T_IN, 0, data, 4096), 0);
	ck_assert(hvirtio_wait_vector(&blk.v, 1, 5000));
	ck_assert_int_ge(hblk_complete(&blk, 0, 1000, &status), 0);
	ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	teardown_disk();
}
END_TEST

/* VIRTIO_RING_F_INDIRECT_DESC: a whole request (header, 16 data segments, status) in one slot. */
START_TEST(test_indirect_request)
{
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN, .sector = 3 };
	struct vring_desc *t;
	uint64_t table, hdr_gpa, data, st;
	uint8_t want[16 * 512], status = 0xff;
	unsigned int n = 18;
	int head;

	setup_disk_cfg(false, NULL, 1, true);
	ck_assert(blk.v.features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	table = harness_alloc(h, 16ULL * n, 16);
	hdr_gpa = harness_alloc(h, 4096, 4096);
	data = harness_alloc(h, 16 * 512, 4096);
	st = hdr_gpa + 64;
	harness_memwrite(h, hdr_gpa, &hdr, sizeof(hdr));
	harness_memwrite(h, st, &status, 1);
	t = harness_ptr(h, table, 16ULL * n);
	t[0] = (struct vring_desc){ hdr_gpa, sizeof(hdr), VRING_DESC_F_NEXT, 1 };
	for (unsigned int i = 1; i <= 16; i++)
		t[i] = (struct vring_desc){ data + (i - 1) * 512ULL, 512,
					    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)(i + 1) };
	t[17] = (struct vring_desc){ st, 1, VRING_DESC_F_WRITE, 0 };
	head = hvq_add_indirect(&blk.v, 0, table, n);   /* one ring slot */
	ck_assert_int_ge(head, 0);
	hvq_kick(&blk.v, 0);
	ck_assert_int_eq(hvq_wait_used(&blk.v, 0, 5000, NULL), head);
	harness_memread(h, st, &status, 1);
	ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	host_read(3 * 512, want, sizeof(want));
	ck_assert_mem_eq(harness_ptr(h, data, sizeof(want)), want, sizeof(want));
	ck_assert(!(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown_disk();
}
END_TEST

/* The same indirect request to a disk that did not offer INDIRECT_DESC: a malformed chain. */
START_TEST(test_indirect_not_offered)
{
	uint64_t table, buf;
	struct vring_desc *t;
	int head;

	setup_disk(false, NULL, 1);
	ck_assert(!(blk.v.features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC)));
	table = harness_alloc(h, 16 * 2, 16);
	buf = harness_alloc(h, 4096, 4096);
	t = harness_ptr(h, table, 16 * 2);
	t[0] = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	t[1] = (struct vring_desc){ buf + 64, 1, VRING_DESC_F_WRITE, 0 };
	head = hvq_add_indirect(&blk.v, 0, table, 2);
	ck_assert_int_ge(head, 0);
	hvq_kick(&blk.v, 0);
	ck_assert(hvirtio_wait_vector(&blk.v, 0, 5000));          /* config change */
	ck_assert(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	teardown_disk();
}
END_TEST

START_TEST(test_multiqueue)
{
	static uint8_t a[8192], b[8192], back[8192];

	setup_disk(false, NULL, 2);
	ck_assert_uint_eq(hvirtio_config_read(&blk.v, offsetof(struct virtio_blk_config, num_queues), 2), 2);
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	ck_assert_int_eq(hblk_write(&blk, 0, 100, a, sizeof(a)), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(hblk_write(&blk, 1, 200, b, sizeof(b)), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(hblk_read(&blk, 1, 100, back, sizeof(back)), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(a, back, sizeof(a));
	ck_assert_int_eq(hblk_read(&blk, 0, 200, back, sizeof(back)), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(b, back, sizeof(b));
	teardown_disk();
}
END_TEST

START_TEST(test_reset_mid_io)
{
	static uint8_t buf[65536], back[65536];
	uint64_t data;

	setup_disk(false, NULL, 1);
	data = harness_alloc(h, 32 * 65536ULL, 4096);
	for (unsigned int round = 0; round < 5; round++) {
		for (unsigned int i = 0; i < 32; i++)
			hblk_submit(&blk, 0, i % 2 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, i * 128,
				    data + i * 65536ULL, 65536);
		/* Reset while the I/O thread is busy with the batch. */
		ck_assert_int_eq(hvirtio_reset(&blk.v), 0);
		ck_assert_int_eq(hvirtio_get_status(&blk.v), 0);
		ck_assert_int_eq(hvirtio_start(&blk.v, blk.v.features ? blk.v.features :
					       (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH), 1), 0);
	}
	fill(buf, sizeof(buf), 77);
	ck_assert_int_eq(hblk_write(&blk, 0, 1000, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(hblk_read(&blk, 0, 1000, back, sizeof(back)), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(buf, back, sizeof(buf));
	teardown_disk();
}
END_TEST

START_TEST(test_image_locked)
{
	char err[256];
	struct disk_config cfg;
	struct virtio_device *dev;

	setup_disk(false, NULL, 1);
	cfg = (struct disk_config){ .path = img };
	dev = virtio_blk_create(&h->vm, &cfg, err, sizeof(err));
	ck_assert_ptr_null(dev);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	cfg.path = "/nonexistent/disk.img";
	ck_assert_ptr_null(virtio_blk_create(&h->vm, &cfg, err, sizeof(err)));
	teardown_disk();
}
END_TEST


/* ---- back-ends, batching, O_DIRECT, reset with requests in flight (#17.1) ---- */

static const struct { enum disk_io io; enum disk_cache cache; const char *name; } modes[] = {
	{ DISK_IO_SYNC, DISK_CACHE_HOST, "sync" },
	{ DISK_IO_URING, DISK_CACHE_HOST, "io_uring" },
	{ DISK_IO_SYNC, DISK_CACHE_DIRECT, "sync+direct" },
	{ DISK_IO_URING, DISK_CACHE_DIRECT, "io_uring+direct" },
};

/* The image's lock goes with the device, at once: io_uring drops its registered reference in
 * a kernel worker later, so a VMM started right after the last one exits found the image
 * "in use" (80-api-testguest in CI). */
START_TEST(test_lock_released_on_destroy)
{
	struct disk_config cfg = { .io = DISK_IO_URING, .cache = DISK_CACHE_HOST };
	struct virtio_device *dev;
	char err[256];

	h = harness_create(64 * MiB);
	ck_assert_ptr_nonnull(h);
	img = harness_temp_image(DISK_SIZE, SEED);
	ck_assert_ptr_nonnull(img);
	cfg.path = img;
	for (unsigned int i = 0; i < 50; i++) {
		dev = virtio_blk_create(&h->vm, &cfg, err, sizeof(err));
		ck_assert_msg(dev, "round %u: %s", i, err);
		virtio_blk_destroy(dev);
	}
	harness_destroy(h);
	unlink(img);
	free(img);
	h = NULL;
}
END_TEST

/* An image for O_DIRECT: on a disk (BLK_TEST_DISK_DIR, default /var/tmp), never tmpfs. */
static char *disk_image(uint64_t size, uint32_t seed)
{
	const char *dir = getenv("BLK_TEST_DISK_DIR") ? getenv("BLK_TEST_DISK_DIR") : "/var/tmp";
	static uint8_t buf[65536];
	struct statfs sf;
	char *path;
	int fd;

	ck_assert_msg(statfs(dir, &sf) == 0 && sf.f_type != TMPFS_MAGIC,
		      "%s is tmpfs or missing: set BLK_TEST_DISK_DIR to a disk", dir);
	ck_assert_int_gt(asprintf(&path, "%s/microvm-blktest-XXXXXX", dir), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = harness_pattern_byte(seed, off + i);
		ck_assert_int_eq(pwrite(fd, buf, sizeof(buf), (off_t)off), (ssize_t)sizeof(buf));
	}
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	return path;
}

static struct virtio_device *blk_dev;
static bool mode_ring_features;
static uint32_t mode_poll_us;

static void setup_mode(unsigned int m, uint64_t ram, uint64_t disk_size)
{
	struct disk_config cfg = { .io = modes[m].io, .cache = modes[m].cache,
				   .ring_features = mode_ring_features, .poll_us = mode_poll_us };
	int slot;

	h = harness_create(ram);
	ck_assert_ptr_nonnull(h);
	img = modes[m].cache == DISK_CACHE_DIRECT ? disk_image(disk_size, SEED) :
	      harness_temp_image(disk_size, SEED);
	ck_assert_ptr_nonnull(img);
	cfg.path = img;
	slot = harness_add_blk_cfg(h, &cfg, 1);
	ck_assert_int_gt(slot, 0);
	blk_dev = h->devs[h->nr_devs - 1].dev;
	ck_assert_int_eq(hblk_init(&blk, h, (unsigned int)slot, 1), 0);
}

static struct virtio_blk_stats stats(void)
{
	struct virtio_blk_stats st;

	virtio_blk_get_stats(blk_dev, &st);
	return st;
}

/* 64 writes, then 64 reads in flight at once, in every mode: the data is what was written. */
START_TEST(test_modes_queue_depth)
{
	const unsigned int depth = 64;
	uint64_t data;
	unsigned int done;

	setup_mode((unsigned int)_i, 64 * MiB, DISK_SIZE);
	data = harness_alloc(h, 2 * depth * 4096ULL, 4096);
	ck_assert_uint_ne(data, 0);
	for (int pass = 0; pass < 2; pass++) {
		uint32_t type = pass ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
		uint64_t base = data + (pass ? depth * 4096ULL : 0);

		for (unsigned int i = 0; i < depth; i++) {
			if (!pass)
				fill(harness_ptr(h, base + i * 4096ULL, 4096), 4096, 900 + i);
			/* scattered sectors: completions come back in any order */
			ck_assert_int_ge(hblk_submit(&blk, 0, type, ((i * 37) % depth) * 8,
						     base + i * 4096ULL, 4096), 0);
		}
		for (done = 0; done < depth; done++) {
			uint8_t status;

			ck_assert_int_ge(hblk_complete(&blk, 0, 10000, &status), 0);
			ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
		}
	}
	for (unsigned int i = 0; i < depth; i++) {
		uint8_t want[4096];

		fill(want, sizeof(want), 900 + i);
		ck_assert_msg(!memcmp(harness_ptr(h, data + (depth + i) * 4096ULL, 4096), want, 4096),
			      "%s: block %u", modes[_i].name, i);
	}
	ck_assert_uint_eq(stats().in_flight, 0);
	teardown_disk();
}
END_TEST

/*
 * The I/O thread waits on the kick fds edge-triggered and never reads them (one syscall fewer
 * per wake-up): n requests, each kicked and waited for, leave the kick counter at n, and no
 * wake-up is lost, also after someone else drained the counter.
 */
START_TEST(test_kick_not_read)
{
	const unsigned int n = 50;
	uint64_t data, cnt = 0;
	uint8_t status;
	int kfd;

	setup_mode((unsigned int)_i, 64 * MiB, DISK_SIZE);
	data = harness_alloc(h, 4096, 4096);
	kfd = blk_dev->queues[0].kick_fd;
	ck_assert_int_ge(kfd, 0);
	for (unsigned int i = 0; i < n; i++) {
		ck_assert_int_ge(hblk_queue(&blk, 0, VIRTIO_BLK_T_IN, i * 8, data, 4096), 0);
		hvq_kick(&blk.v, 0);
		ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
		ck_assert_uint_eq(status, VIRTIO_BLK_S_OK);
	}
	ck_assert_int_eq(read(kfd, &cnt, sizeof(cnt)), sizeof(cnt));
	ck_assert_uint_eq(cnt, n);
	ck_assert_int_ge(hblk_queue(&blk, 0, VIRTIO_BLK_T_IN, 0, data, 4096), 0);
	hvq_kick(&blk.v, 0);
	ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
	ck_assert_uint_eq(status, VIRTIO_BLK_S_OK);
	teardown_disk();
}
END_TEST

/* N chains made available before one kick: one round, one interrupt for all N. */
START_TEST(test_batch_one_interrupt)
{
	const unsigned int n = 16;
	int vfd;
	uint64_t data, cnt = 0;

	setup_mode((unsigned int)_i, 64 * MiB, DISK_SIZE);
	data = harness_alloc(h, n * 4096ULL, 4096);
	vfd = msix_vector_fd(blk.v.pdev->msix, blk.v.vq[0].vector);
	ck_assert_int_ge(vfd, 0);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_ge(hblk_queue(&blk, 0, VIRTIO_BLK_T_IN, i * 8, data + i * 4096ULL, 4096), 0);
	hvq_kick(&blk.v, 0);
	ck_assert(wait_used_idx((uint16_t)n, 10000));
	usleep(20000);         /* a second interrupt, if any, would be there by now */
	ck_assert_int_eq(read(vfd, &cnt, sizeof(cnt)), sizeof(cnt));
	ck_assert_uint_eq(cnt, 1);
	ck_assert_uint_eq(stats().interrupts, 1);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t want[4096];

		fill_at(want, sizeof(want), SEED, i * 4096ULL);
		ck_assert(!memcmp(harness_ptr(h, data + i * 4096ULL, 4096), want, 4096));
	}
	teardown_disk();
}
END_TEST

/*
 * cache = "direct": the guest is told the O_DIRECT block size; buffers the kernel cannot DMA to
 * (address or segment length not aligned) go through the bounce buffer and still read and write
 * the right bytes.
 */
START_TEST(test_direct_alignment)
{
	uint64_t gpa, hdr, data;
	uint8_t buf[8192], back[8192], want[4096], status;
	struct virtio_blk_outhdr oh = { .type = VIRTIO_BLK_T_IN, .sector = 16 };
	uint32_t bsz;
	int head;

	setup_mode(3, 64 * MiB, DISK_SIZE);
	bsz = hvirtio_config_read(&blk.v, offsetof(struct virtio_blk_config, blk_size), 4);
	ck_assert(bsz >= 512 && bsz <= 4096 && !(bsz & (bsz - 1)));
	/* aligned */
	ck_assert_int_eq(hblk_read(&blk, 0, 8, buf, 4096), VIRTIO_BLK_S_OK);
	fill_at(want, sizeof(want), SEED, 8 * 512);
	ck_assert_mem_eq(buf, want, 4096);
	/* misaligned guest address: bounced */
	gpa = harness_alloc(h, 3 * 4096, 4096) + 8;
	ck_assert_int_ge(hblk_submit(&blk, 0, VIRTIO_BLK_T_IN, 8, gpa, 4096), 0);
	ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
	ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(harness_ptr(h, gpa, 4096), want, 4096);
	fill(buf, sizeof(buf), 4242);
	harness_memwrite(h, gpa, buf, sizeof(buf));
	ck_assert_int_ge(hblk_submit(&blk, 0, VIRTIO_BLK_T_OUT, 64, gpa, sizeof(buf)), 0);
	ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
	ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	ck_assert_int_eq(hblk_read(&blk, 0, 64, back, sizeof(back)), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(buf, back, sizeof(back));
	/* segments of 100 and 3996 bytes (lengths not block multiples): bounced */
	hdr = harness_alloc(h, 4096, 4096);
	data = harness_alloc(h, 8192, 4096);
	harness_memwrite(h, hdr, &oh, sizeof(oh));
	head = hvq_add(&blk.v, 0, (struct hvbuf[]){ { hdr, sizeof(oh), false },
		       { data, 100, true }, { data + 4096, 3996, true }, { hdr + 64, 1, true } }, 4);
	ck_assert_int_ge(head, 0);
	hvq_kick(&blk.v, 0);
	ck_assert_int_eq(hvq_wait_used(&blk.v, 0, 5000, NULL), head);
	harness_memread(h, hdr + 64, &status, 1);
	ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
	fill_at(want, sizeof(want), SEED, 16 * 512);
	ck_assert_mem_eq(harness_ptr(h, data, 100), want, 100);
	ck_assert_mem_eq(harness_ptr(h, data + 4096, 3996), want + 100, 3996);
	teardown_disk();
}
END_TEST

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * Reset while io_uring requests are in flight (O_DIRECT reads from a disk): the reset returns
 * only once none is left, nothing writes guest memory or the used ring afterwards, the device
 * starts again, and no fd is left behind.
 */
START_TEST(test_reset_in_flight)
{
	const unsigned int n = 64, len = 512 * 1024;
	int fds = count_fds();
	uint64_t data;

	setup_mode(3, 128 * MiB, 64 * MiB);
	data = harness_alloc(h, (uint64_t)n * len, 4096);
	ck_assert_uint_ne(data, 0);
	for (int round = 0; round < 3; round++) {
		uint8_t *p = harness_ptr(h, data, (uint64_t)n * len);
		uint16_t used;
		bool seen = false;

		/* On a loaded host this thread may miss a whole batch: then another one. */
		for (int tries = 0; tries < 50 && !seen; tries++) {
			for (unsigned int i = 0; i < n; i++)
				ck_assert_int_ge(hblk_queue(&blk, 0, VIRTIO_BLK_T_IN,
							    (uint64_t)i * (len / 512),
							    data + (uint64_t)i * len, len), 0);
			hvq_kick(&blk.v, 0);
			for (int64_t end = monotonic_ms() + 10000; !seen && monotonic_ms() < end &&
			     hvq_used_idx(&blk.v, 0) != blk.v.vq[0].avail_idx;)
				seen = stats().in_flight > 0;
			if (!seen) {
				ck_assert(wait_used_idx(blk.v.vq[0].avail_idx, 10000));
				while (hvq_get_used(&blk.v, 0, NULL) >= 0)
					;
			}
		}
		ck_assert_msg(seen, "no request was ever in flight (reads %llu)",
			      (unsigned long long)stats().ops[VIRTIO_BLK_STAT_READ]);
		ck_assert_int_eq(hvirtio_reset(&blk.v), 0);
		ck_assert_uint_eq(stats().in_flight, 0);
		/* After the reset: nothing may land in guest memory any more. */
		used = hvq_used_idx(&blk.v, 0);
		memset(p, 0xa5, (size_t)n * len);
		usleep(100000);
		for (size_t off = 0; off < (size_t)n * len; off += 512)
			ck_assert_msg(p[off] == 0xa5 && p[off + 511] == 0xa5,
				      "guest memory written after the reset (offset %zu)", off);
		ck_assert_uint_eq(hvq_used_idx(&blk.v, 0), used);
		ck_assert_int_eq(hblk_init(&blk, h, blk.v.slot, 1), 0);
		{
			uint8_t buf[4096], want[4096];

			ck_assert_int_eq(hblk_read(&blk, 0, 8, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
			fill_at(want, sizeof(want), SEED, 8 * 512);
			ck_assert_mem_eq(buf, want, sizeof(want));
		}
	}
	teardown_disk();
	ck_assert_int_eq(count_fds(), fds);
}
END_TEST

/*
 * A driver that republishes heads it has not got back (against the spec) as soon as the device
 * has popped everything (EVENT_IDX: avail_event caught up with avail->idx) cannot get more
 * requests in flight than the queue has entries: the device stops popping at a full slot pool,
 * and every published chain is still answered.
 */
START_TEST(test_in_flight_bound)
{
	const unsigned int n = 64, len = 256 * 1024;
	unsigned int published = 0;
	uint16_t size;
	int heads[64];
	uint64_t data, max = 0;
	int64_t end;

	mode_ring_features = true;
	setup_mode(3, 128 * MiB, 64 * MiB);
	mode_ring_features = false;
	size = blk.v.vq[0].size;
	data = harness_alloc(h, (uint64_t)n * len, 4096);
	for (unsigned int i = 0; i < n; i++) {
		heads[i] = hblk_queue(&blk, 0, VIRTIO_BLK_T_IN, (uint64_t)i * (len / 512),
				      data + (uint64_t)i * len, len);
		ck_assert_int_ge(heads[i], 0);
	}
	published = n;
	hvq_kick(&blk.v, 0);
	for (end = monotonic_ms() + 1500; monotonic_ms() < end;) {
		uint64_t f = stats().in_flight;

		max = f > max ? f : max;
		if (hvq_avail_event(&blk.v, 0) != blk.v.vq[0].avail_idx || published > 40 * n)
			continue;
		for (unsigned int i = 0; i < n; i++)
			hvq_publish(&blk.v, 0, (uint16_t)heads[i]);
		published += n;
		hvq_kick(&blk.v, 0);
	}
	ck_assert(wait_used_idx((uint16_t)published, 30000));
	ck_assert_uint_le(max, size);
	ck_assert_uint_eq(stats().ops[VIRTIO_BLK_STAT_READ], published);
	ck_assert_uint_eq(stats().in_flight, 0);
	ck_assert(!(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
	teardown_disk();
}
END_TEST

/*
 * poll_us: while the I/O thread polls after work it suppresses kicks (the driver finds
 * VRING_USED_F_NO_NOTIFY, or with EVENT_IDX an avail_event behind it, and does not kick); once
 * idle past the window it sleeps with kicks enabled again, so a later request still gets
 * through.
 */
START_TEST(test_polling)
{
	unsigned int kicks = 0;
	const unsigned int n = 200;
	uint64_t data;

	mode_poll_us = 1000;
	mode_ring_features = _i == 1;
	setup_mode(1, 64 * MiB, DISK_SIZE);
	mode_poll_us = 0;
	mode_ring_features = false;
	data = harness_alloc(h, 4096, 4096);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t status, want[4096];

		ck_assert_int_ge(hblk_queue(&blk, 0, VIRTIO_BLK_T_IN, (i % 64) * 8, data, 4096), 0);
		kicks += hvq_notify(&blk.v, 0);
		ck_assert_int_ge(hblk_complete(&blk, 0, 5000, &status), 0);
		ck_assert_int_eq(status, VIRTIO_BLK_S_OK);
		fill_at(want, sizeof(want), SEED, (i % 64) * 4096ULL);
		ck_assert_mem_eq(harness_ptr(h, data, 4096), want, 4096);
	}
	ck_assert_msg(kicks < n, "every request kicked (%u): kicks were never suppressed", kicks);
	usleep(50000);           /* idle past the window: the thread sleeps, kicks enabled */
	{
		uint8_t buf[4096];

		ck_assert_int_eq(hblk_read(&blk, 0, 0, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
	}
	teardown_disk();
}
END_TEST

/* io_uring_setup refused (seccomp here): io = "io_uring" fails with the reason, io unset falls
 * back to sync. In a child: the filter must not outlive the test. */
static int refused_child(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct disk_config cfg = { .io = DISK_IO_URING };
	struct virtio_device *dev;
	char err[512];
	struct harness *hh;
	char *path;

	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) ||
	    seccomp_load(ctx))
		return 10;
	seccomp_release(ctx);
	hh = harness_create(16 * MiB);
	path = harness_temp_image(MiB, 0);
	if (!hh || !path)
		return 11;
	cfg.path = path;
	dev = virtio_blk_create(&hh->vm, &cfg, err, sizeof(err));
	if (dev || !strstr(err, "io_uring_setup failed: Operation not permitted") ||
	    !strstr(err, "io = \"sync\"") || strchr(err, '\n'))
		return 12;
	cfg.io = DISK_IO_AUTO;
	dev = virtio_blk_create(&hh->vm, &cfg, err, sizeof(err));
	if (!dev)
		return 13;
	virtio_blk_destroy(dev);
	unlink(path);
	free(path);
	harness_destroy(hh);
	return 0;
}

START_TEST(test_io_uring_refused)
{
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(refused_child());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}
END_TEST

static Suite *blk_suite(void)
{
	Suite *s = suite_create("virtio-blk");
	TCase *tc = tcase_create("harness");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_capacity_and_features);
	tcase_add_test(tc, test_read_initial_pattern);
	tcase_add_test(tc, test_write_patterns);
	tcase_add_test(tc, test_out_of_range_and_misaligned);
	tcase_add_test(tc, test_get_id_and_unsupported);
	tcase_add_test(tc, test_discard_write_zeroes);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_queue_depth);
	tcase_add_test(tc, test_event_idx);
	tcase_add_test(tc, test_indirect_request);
	tcase_add_test(tc, test_indirect_not_offered);
	tcase_add_test(tc, test_multiqueue);
	tcase_add_test(tc, test_reset_mid_io);
	tcase_add_test(tc, test_image_locked);
	tcase_add_test(tc, test_lock_released_on_destroy);
	tcase_add_loop_test(tc, test_modes_queue_depth, 0, 4);
	tcase_add_test(tc, test_direct_alignment);
	tcase_add_test(tc, test_reset_in_flight);
	tcase_add_test(tc, test_in_flight_bound);
	tcase_add_loop_test(tc, test_polling, 0, 2);
	tcase_add_loop_test(tc, test_kick_not_read, 0, 2);
	suite_add_tcase(s, tc);
	/* valgrind cannot run a seccomp filter (syscall 317 unhandled): the other phases do */
	tc = tcase_create("seccomp");
	tcase_set_tags(tc, "no-valgrind");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_io_uring_refused);
	suite_add_tcase(s, tc);
	/* interrupt coalescing depends on the device thread seeing the batch at once (io_uring:
	 * completions reaped together); valgrind serialises threads and splits the round, so
	 * this runs in the plain, ASan and TSan phases only */
	tc = tcase_create("batching");
	tcase_set_tags(tc, "no-valgrind");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_batch_one_interrupt, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(blk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
