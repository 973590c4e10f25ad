// SPDX-License-Identifier: MIT
/*
 * blk_bench: virtio-blk through the guest-driver harness (virtio-pci transport, split ring in
 * guest RAM, the device's I/O thread, MSI-X eventfd completions) beside its ceiling, for both
 * back-ends (io = "sync", "io_uring") and both cache modes, measured interleaved in one run:
 *
 *   cache = "host"   (image in the page cache): ceiling = the host's own pread() loop on the
 *                    same file into the same buffer footprint (depth x block size);
 *   cache = "direct" (O_DIRECT, image on a disk, not tmpfs): ceiling = fio on the same file,
 *                    direct=1, same block size and queue depth, ioengine psync for the sync rows
 *                    (a synchronous engine has depth 1 whatever is asked) and io_uring for the
 *                    io_uring rows.
 *
 * Rows: 4 KiB random reads (IOPS) at depth 1 and 32, 1 MiB sequential reads (MB/s) at depth 1
 * and 32; below the 4k depth-1 row, its floor (run_floor: a null device thread that pays only the
 * two wake-ups and the pread). Median of RUNS runs of 0.2 s each, the configurations of a row taking turns. The device runs with the default poll_us; the
 * driver kicks as Linux does (not while the device suppresses kicks) and sleeps on its MSI-X
 * vector's eventfd for every completion it has not found in the used ring.
 *
 * Usage: blk_bench [runs (default 9)]. Environment: BLK_BENCH_DIR, the directory of the
 * O_DIRECT image (default /var/tmp; refused on tmpfs); BLK_BENCH_POLL_US, the device's poll_us;
 * BLK_BENCH_HALT_POLL_NS, let the driver spin on the used ring that long before it sleeps (as
 * KVM's halt polling does for a halted vCPU); BLK_BENCH_ONLY_HOST=1, skip the O_DIRECT rows;
 * BLK_BENCH_ONLY_ROW=N, run only pattern N (0-3, the order of the table: for perf and strace);
 * BLK_BENCH_RING_FEATURES=1, the devices offer EVENT_IDX and INDIRECT_DESC ([[disk]]
 * ring_features) and the driver uses EVENT_IDX as Linux does.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/virtio_blk.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "../tests/harness/harness.h"
#include "config/config.h"
#include "stats.h"

#define MiB (1ULL << 20)
#define IMG_SIZE (256 * MiB)
#define RUN_NS 200000000LL    /* short runs, interleaved: load on a shared host hits all alike */
#define MAX_DEPTH 32

struct pattern {
	const char *name;
	uint32_t bs;
	bool random;
	unsigned int depth;
};

static const struct pattern patterns[] = {
	{ "4k-randread", 4096, true, 1 },
	{ "4k-randread", 4096, true, 32 },
	{ "1M-seqread", 1 << 20, false, 1 },
	{ "1M-seqread", 1 << 20, false, 32 },
};
#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

/*
 * How long the driver (the harness thread playing the guest's vCPU) spins on the used ring
 * before it sleeps on the interrupt eventfd: what KVM does for a vCPU that halts waiting for the
 * completion (halt polling; 200 us is x86 KVM's default halt_poll_ns). BLK_BENCH_HALT_POLL_NS
 * sets it; 0 = a host with halt polling off (the driver sleeps at once).
 */
#define KVM_HALT_POLL_NS_DEFAULT 200000
static int64_t halt_poll_ns = KVM_HALT_POLL_NS_DEFAULT;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t next_off(const struct pattern *p, uint64_t *state, uint64_t *seq)
{
	uint64_t blocks = IMG_SIZE / p->bs;

	if (!p->random)
		return ((*seq)++ % blocks) * p->bs;
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((*state >> 33) % blocks) * p->bs;
}

/* A completion the way a halted vCPU gets its interrupt: halt polling, then sleep. */
static int complete(struct hblk *b, bool poll, uint8_t *status)
{
	if (poll && halt_poll_ns > 0) {
		int64_t end = now_ns() + halt_poll_ns;

		do {
			int head = hvq_get_used(&b->v, 0, NULL);

			if (head >= 0) {
				harness_memread(b->v.h, b->hdr_area + (uint64_t)head * 32 + 16, status, 1);
				return head;
			}
			if (head != -EAGAIN)
				return head;
		} while (now_ns() < end);
	}
	return hblk_complete(b, 0, 5000, status);
}

/* Each run reads other blocks (no cache below O_DIRECT serves a repeat): a global stream. */
static uint64_t run_seed = 42, run_seq;

/* Requests per second through the harness. */
static double run_virtio(struct hblk *b, const struct pattern *p, uint64_t data, bool poll)
{
	uint64_t rng = run_seed++, seq = run_seq, done = 0;
	int slot_of[1024];
	int64_t start = now_ns(), end = start + RUN_NS;
	unsigned int inflight = 0;

	for (unsigned int i = 0; i < p->depth; i++) {
		int head = hblk_submit(b, 0, VIRTIO_BLK_T_IN, next_off(p, &rng, &seq) / 512,
				       data + (uint64_t)i * p->bs, p->bs);

		if (head < 0)
			return -1;
		slot_of[head] = (int)i;
		inflight++;
	}
	while (inflight) {
		uint8_t status;
		int head = complete(b, poll, &status), slot;

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
	run_seq = seq;
	return (double)done * 1e9 / (double)(now_ns() - start);
}

/* The host's own reads, into depth rotating buffers (the footprint the device writes). */
static double run_pread(int fd, const struct pattern *p, uint8_t *buf)
{
	uint64_t rng = run_seed++, seq = run_seq, done = 0;
	int64_t start = now_ns();

	do {
		for (int k = 0; k < 16; k++, done++)
			if (pread(fd, buf + (done % p->depth) * p->bs, p->bs,
				  (off_t)next_off(p, &rng, &seq)) != (ssize_t)p->bs)
				return -1;
	} while (now_ns() - start < RUN_NS);
	run_seq = seq;
	return (double)done * 1e9 / (double)(now_ns() - start);
}

/*
 * The floor of any device thread at depth 1: the least a request costs when it must wake
 * another thread and be woken back. A "null device" thread waits for a kick eventfd (epoll,
 * edge-triggered, as the I/O thread does), does the one pread() of the request and signals a
 * completion eventfd, on which the caller sleeps (poll + read, as the harness driver does).
 * Requests per second.
 */
struct floor_dev {
	int kick, irq, fd, stop;
	uint8_t *buf;
	const struct pattern *p;
	uint64_t rng;
};

static void *floor_thread(void *arg)
{
	struct floor_dev *d = arg;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t seq = 0, one = 1;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d->kick, &ev) < 0)
		return NULL;
	while (epoll_wait(ep, &ev, 1, -1) >= 0 && !__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		if (pread(d->fd, d->buf, d->p->bs, (off_t)next_off(d->p, &d->rng, &seq)) < 0 ||
		    write(d->irq, &one, sizeof(one)) < 0)
			break;
	}
	close(ep);
	return NULL;
}

static double run_floor(int fd, const struct pattern *p, uint8_t *buf)
{
	struct floor_dev d = { .fd = fd, .buf = buf, .p = p, .rng = run_seed++ };
	uint64_t one = 1, cnt, done = 0;
	int64_t start;
	pthread_t t;
	bool ok = true;

	d.kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d.irq = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d.kick < 0 || d.irq < 0 || pthread_create(&t, NULL, floor_thread, &d)) {
		close(d.kick);
		close(d.irq);
		return -1;
	}
	start = now_ns();
	do {
		struct pollfd pfd = { .fd = d.irq, .events = POLLIN };

		ok = write(d.kick, &one, sizeof(one)) == sizeof(one) && poll(&pfd, 1, 5000) == 1 &&
		     read(d.irq, &cnt, sizeof(cnt)) == sizeof(cnt);
		done++;
	} while (ok && now_ns() - start < RUN_NS);
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
	if (write(d.kick, &one, sizeof(one)) < 0)
		ok = false;
	pthread_join(t, NULL);
	close(d.kick);
	close(d.irq);
	return ok ? (double)done * 1e9 / (double)(now_ns() - start) : -1;
}

/* fio on the same file, O_DIRECT: requests per second (terse v3: field 8 = read IOPS). */
static double run_fio(const char *path, const struct pattern *p, const char *engine)
{
	char cmd[1024], line[4096];
	double iops = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "fio --name=ceiling --filename=%s --direct=1 --rw=%s --bs=%u "
		 "--iodepth=%u --ioengine=%s --runtime=%lldms --time_based --norandommap "
		 "--randrepeat=0 --output-format=terse --terse-version=3 2>/dev/null", path,
		 p->random ? "randread" : "read", p->bs, p->depth, engine, RUN_NS / 1000000LL);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tok = strtok(line, ";");

		for (int i = 1; tok && i < 8; i++)
			tok = strtok(NULL, ";");
		if (tok)
			iops = atof(tok);
	}
	return pclose(f) == 0 ? iops : -1;
}

static double unit(const struct pattern *p, double rps)
{
	return p->bs >= MiB ? rps * p->bs / 1e6 : rps;
}

/* A 256 MiB image of random bytes on a disk (not tmpfs), written through and synced. */
static char *disk_image(void)
{
	const char *dir = getenv("BLK_BENCH_DIR") ? getenv("BLK_BENCH_DIR") : "/var/tmp";
	char *path;
	struct statfs sf;
	uint8_t *buf = malloc(MiB);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int fd;

	if (!buf || statfs(dir, &sf) < 0 || sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC) {
		fprintf(stderr, "blk_bench: %s is not on a disk (tmpfs?): set BLK_BENCH_DIR\n", dir);
		free(buf);
		return NULL;
	}
	if (asprintf(&path, "%s/microvm-blkbench-XXXXXX", dir) < 0)
		return NULL;
	fd = mkstemp(path);
	for (uint64_t off = 0; fd >= 0 && off < IMG_SIZE; off += MiB) {
		for (size_t i = 0; i < MiB / 8; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			((uint64_t *)buf)[i] = x;
		}
		if (pwrite(fd, buf, MiB, (off_t)off) != (ssize_t)MiB) {
			close(fd);
			fd = -1;
		}
	}
	free(buf);
	if (fd < 0 || fsync(fd) < 0) {
		fprintf(stderr, "blk_bench: cannot write the O_DIRECT image in %s\n", dir);
		unlink(path);
		free(path);
		return NULL;
	}
	/* Drop its cached pages (O_DIRECT reads would bypass them anyway). */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return path;
}

enum { C_HOST, C_DIRECT, NCACHE };
enum { IO_SYNC, IO_URING, NIO };
static const char *const io_names[NIO] = { "sync", "io_uring" };
static const char *const cache_names[NCACHE] = { "host", "direct" };

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 9;
	uint32_t poll_us = DISK_POLL_US_DEFAULT;
	struct harness *h;
	struct hblk b[NCACHE][NIO];
	char *img[NCACHE];
	uint8_t *buf;
	uint64_t data;
	int fd;
	if (getenv("BLK_BENCH_HALT_POLL_NS"))
		halt_poll_ns = atoll(getenv("BLK_BENCH_HALT_POLL_NS"));
	if (getenv("BLK_BENCH_POLL_US"))
		poll_us = (uint32_t)atoi(getenv("BLK_BENCH_POLL_US"));
	if (runs < 1 || runs > 100)
		runs = 9;
	img[C_HOST] = harness_temp_image(IMG_SIZE, 7);
	img[C_DIRECT] = disk_image();
	h = img[C_HOST] && img[C_DIRECT] ? harness_create(256 * MiB + MAX_DEPTH * MiB) : NULL;
	if (!h) {
		fprintf(stderr, "blk_bench: cannot create the images or the harness\n");
		return 1;
	}
	for (int c = 0; c < NCACHE; c++) {
		for (int k = 0; k < NIO; k++) {
			struct disk_config cfg = {
				.path = img[c], .readonly = true, .poll_us = poll_us,
				.ring_features = getenv("BLK_BENCH_RING_FEATURES") != NULL,
				.io = k == IO_SYNC ? DISK_IO_SYNC : DISK_IO_URING,
				.cache = c == C_DIRECT ? DISK_CACHE_DIRECT : DISK_CACHE_HOST,
			};
			int slot = harness_add_blk_cfg(h, &cfg, 1);

			if (slot < 0 || hblk_init(&b[c][k], h, (unsigned int)slot, 1) < 0) {
				fprintf(stderr, "blk_bench: cannot start virtio-blk (%s, %s)\n",
					io_names[k], cache_names[c]);
				return 1;
			}
		}
	}
	data = harness_alloc(h, MAX_DEPTH * MiB, 4096);
	fd = open(img[C_HOST], O_RDONLY);
	buf = aligned_alloc(4096, MAX_DEPTH * MiB);
	if (!data || fd < 0 || !buf)
		return 1;
	printf("virtio-blk through the harness beside its ceiling, median of %d runs of %lld ms; "
	       "device poll_us = %u, driver spins %lld us before sleeping (KVM halt polling)\n", runs, RUN_NS / 1000000,
	       poll_us, (long long)(halt_poll_ns / 1000));
	printf("%-6s %-12s %5s %5s | %10s %10s %6s | %10s %10s %6s\n", "cache", "pattern",
	       "depth", "unit", "sync", "ceiling", "ratio", "io_uring", "ceiling", "ratio");
	for (int c = 0; c < NCACHE; c++) {
		if (getenv("BLK_BENCH_ONLY_HOST") && c == C_DIRECT)
			break;
		for (size_t i = 0; i < NPAT; i++) {
			const struct pattern *p = &patterns[i];
			double v[NIO][100], ceil[NIO][100], fl[100], m[NIO], cm[NIO];
			bool floor_row = c == C_HOST && p->depth == 1 && p->random;

			if (getenv("BLK_BENCH_ONLY_ROW") &&
			    (size_t)atoi(getenv("BLK_BENCH_ONLY_ROW")) != i)
				continue;

			for (int r = 0; r < runs; r++) {
				if (floor_row)
					fl[r] = run_floor(fd, p, buf);
				for (int k = 0; k < NIO; k++) {
					v[k][r] = unit(p, run_virtio(&b[c][k], p, data, true));
					if (c == C_HOST)
						ceil[k][r] = k ? ceil[0][r] : unit(p, run_pread(fd, p, buf));
					else
						ceil[k][r] = unit(p, run_fio(img[C_DIRECT], p,
									  k ? "io_uring" : "psync"));
				}
			}
			for (int k = 0; k < NIO; k++) {
				m[k] = bench_median(v[k], runs);
				cm[k] = bench_median(ceil[k], runs);
			}
			printf("%-6s %-12s %5u %5s | %10.0f %10.0f %5.2fx | %10.0f %10.0f %5.2fx\n",
			       cache_names[c], p->name, p->depth, p->bs >= MiB ? "MB/s" : "IOPS",
			       m[0], cm[0], m[0] / cm[0], m[1], cm[1], m[1] / cm[1]);
			if (floor_row) {
				double f = bench_median(fl, runs);

				printf("%-6s %-12s %5u %5s | %10.0f %10.0f %5.2fx |   (floor: two "
				       "cross-thread wake-ups + one pread per request)\n",
				       "", "floor", p->depth, "IOPS", f, cm[0], f / cm[0]);
			}
			fflush(stdout);
		}
	}
	printf("ceilings: host = pread() loop on the same file (page cache); direct = fio "
	       "direct=1 on the same file, sync rows psync, io_uring rows io_uring, same depth\n");
	close(fd);
	free(buf);
	for (int c = 0; c < NCACHE; c++)
		for (int k = 0; k < NIO; k++)
			hvirtio_cleanup(&b[c][k].v);
	harness_destroy(h);
	for (int c = 0; c < NCACHE; c++) {
		unlink(img[c]);
		free(img[c]);
	}
	return 0;
}
