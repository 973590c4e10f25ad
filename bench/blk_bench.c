// SPDX-License-Identifier: MIT
/*
 * blk_bench: virtio-blk throughput through the guest-driver harness (virtio-pci transport,
 * split ring in guest RAM, the device's I/O thread, MSI-X eventfd completions), against the
 * host's raw pread() on the same file as the ceiling.
 *
 *   4 KiB random reads (IOPS) and 1 MiB sequential reads (MB/s), queue depth 1 and 32,
 *   one queue; the default disk (minimal split ring) beside one with ring_features = true
 *   (EVENT_IDX + INDIRECT_DESC offered and negotiated), runs interleaved. The image (256 MiB of random data) sits in the page cache, so the numbers
 *   measure the VMM's per-request path, not a disk. Median of RUNS runs of ~0.5 s each.
 *
 * Usage: blk_bench [runs (default 5)]
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/harness/harness.h"
#include "config/config.h"

#define MiB (1ULL << 20)
#define IMG_SIZE (256 * MiB)
#define RUN_NS 500000000LL
#define MAX_DEPTH 32

struct pattern {
	const char *name;
	uint32_t bs;
	bool random;
	bool mbps;      /* report MB/s instead of IOPS */
};

static const struct pattern patterns[] = {
	{ "4k-randread", 4096, true, false },
	{ "1M-seqread", 1 << 20, false, true },
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t next_off(const struct pattern *p, uint64_t *state, uint64_t *seq)
{
	uint64_t blocks = IMG_SIZE / p->bs;

	if (!p->random) {
		uint64_t off = (*seq % blocks) * p->bs;

		(*seq)++;
		return off;
	}
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((*state >> 33) % blocks) * p->bs;
}

/* Requests per second through the harness at this depth. */
static double run_virtio(struct hblk *b, const struct pattern *p, unsigned int depth,
			 uint64_t data)
{
	uint64_t rng = 42, seq = 0, done = 0;
	int slot_of[1024];
	int64_t start = now_ns(), end = start + RUN_NS, t;
	unsigned int inflight = 0;

	for (unsigned int i = 0; i < depth; i++) {
		int head = hblk_submit(b, 0, VIRTIO_BLK_T_IN, next_off(p, &rng, &seq) / 512,
				       data + (uint64_t)i * p->bs, p->bs);

		if (head < 0)
			return -1;
		slot_of[head] = (int)i;
		inflight++;
	}
	while (inflight) {
		uint8_t status;
		int head = hblk_complete(b, 0, 5000, &status), slot;

		if (head < 0 || status != VIRTIO_BLK_S_OK)
			return -1;
		slot = slot_of[head];
		inflight--;
		done++;
		if (now_ns() < end) {
			head = hblk_submit(b, 0, VIRTIO_BLK_T_IN, next_off(p, &rng, &seq) / 512,
					   data + (uint64_t)slot * p->bs, p->bs);
			if (head < 0)
				return -1;
			slot_of[head] = slot;
			inflight++;
		}
	}
	t = now_ns() - start;
	return (double)done * 1e9 / (double)t;
}

static double run_pread(int fd, const struct pattern *p, uint8_t *buf)
{
	uint64_t rng = 42, seq = 0, done = 0;
	int64_t start = now_ns(), t;

	do {
		for (int k = 0; k < 16; k++) {
			if (pread(fd, buf, p->bs, (off_t)next_off(p, &rng, &seq)) != (ssize_t)p->bs)
				return -1;
			done++;
		}
	} while (now_ns() - start < RUN_NS);
	t = now_ns() - start;
	return (double)done * 1e9 / (double)t;
}

/* Floor of a QD1 request: one eventfd wake-up each way between two threads (kick, call). */
static int pp_fd[2];

static void *pong(void *arg)
{
	uint64_t v;

	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = pp_fd[0], .events = POLLIN };

		poll(&p, 1, -1);
		if (read(pp_fd[0], &v, 8) != 8)
			continue;
		if (v == 2)
			return NULL;
		v = 1;
		if (write(pp_fd[1], &v, 8) != 8)
			return NULL;
	}
}

static double pingpong_us(void)
{
	const int n = 5000;
	pthread_t t;
	uint64_t v;
	int64_t start;
	double us;

	pp_fd[0] = eventfd(0, EFD_NONBLOCK);
	pp_fd[1] = eventfd(0, EFD_NONBLOCK);
	pthread_create(&t, NULL, pong, NULL);
	start = now_ns();
	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = pp_fd[1], .events = POLLIN };

		v = 1;
		if (write(pp_fd[0], &v, 8) != 8)
			break;
		poll(&p, 1, -1);
		if (read(pp_fd[1], &v, 8) != 8)
			break;
	}
	us = (double)(now_ns() - start) / n / 1000.0;
	v = 2;
	if (write(pp_fd[0], &v, 8) == 8)
		pthread_join(t, NULL);
	close(pp_fd[0]);
	close(pp_fd[1]);
	return us;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double unit(const struct pattern *p, double rps)
{
	return p->mbps ? rps * p->bs / 1e6 : rps;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	static const unsigned int depths[] = { 1, 32 };
	struct harness *h;
	struct hblk b[2];        /* [0] default ring, [1] ring_features = true */
	char *img;
	uint8_t *buf;
	uint64_t data;
	int fd;

	if (runs < 1 || runs > 100)
		runs = 5;
	img = harness_temp_image(IMG_SIZE, 7);
	h = img ? harness_create(256 * MiB) : NULL;
	if (!h) {
		fprintf(stderr, "blk_bench: cannot create the image or the harness\n");
		return 1;
	}
	for (int k = 0; k < 2; k++) {
		struct disk_config cfg = { .path = img, .readonly = true, .ring_features = k == 1 };
		int slot = harness_add_blk_cfg(h, &cfg, 1);

		if (slot < 0 || hblk_init(&b[k], h, (unsigned int)slot, 1) < 0) {
			fprintf(stderr, "blk_bench: cannot start virtio-blk\n");
			return 1;
		}
	}
	data = harness_alloc(h, MAX_DEPTH * MiB, 4096);
	fd = open(img, O_RDONLY);
	buf = malloc(MiB);
	if (!data || fd < 0 || !buf)
		return 1;
	printf("virtio-blk through the harness vs host pread on the same file (page cache), "
	       "median of %d runs\n", runs);
	printf("%-14s %5s %6s %12s %14s %12s %8s\n", "pattern", "depth", "unit", "virtio-blk",
	       "+ring_features", "host pread", "ratio");
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		const struct pattern *p = &patterns[i];
		double ceiling, vals[2][100];

		for (int r = 0; r < runs; r++)
			vals[0][r] = unit(p, run_pread(fd, p, buf));
		ceiling = median(vals[0], runs);
		for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
			double m[2];

			for (int r = 0; r < runs; r++)
				for (int k = 0; k < 2; k++)
					vals[k][r] = unit(p, run_virtio(&b[k], p, depths[d], data));
			for (int k = 0; k < 2; k++)
				m[k] = median(vals[k], runs);
			printf("%-14s %5u %6s %12.0f %14.0f %12.0f %7.2fx\n", p->name, depths[d],
			       p->mbps ? "MB/s" : "IOPS", m[0], m[1], ceiling, m[0] / ceiling);
		}
	}
	printf("ratio: default disk / host pread. +ring_features: EVENT_IDX + INDIRECT_DESC "
	       "negotiated\n");
	printf("floor: eventfd round trip between two threads on this host = %.1f us "
	       "(a QD1 request needs one: kick + completion)\n", pingpong_us());
	close(fd);
	free(buf);
	for (int k = 0; k < 2; k++)
		hvirtio_cleanup(&b[k].v);
	harness_destroy(h);
	unlink(img);
	free(img);
	return 0;
}
