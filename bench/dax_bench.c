// SPDX-License-Identifier: MIT
/*
 * DAX benchmark: microvm's vhost-user-fs front-end + microvm-virtiofsd, driven through the
 * test-only virtio-fs driver over harness guest RAM (no vCPU). A 256 MiB file already in the
 * host page cache is read
 *   - by FUSE READ (1 MiB requests through the request queue, data copied out of guest RAM),
 *   - through DAX (SETUPMAPPING each 2 MiB chunk read-only, copy from the window),
 *   - through DAX with the chunks already mapped (copy only),
 * and SETUPMAPPING round trips (guest request -> daemon -> SHMEM_MAP -> front-end -> replies)
 * are timed one by one. Prints MB/s (median of RUNS) and latency median / p99.
 *
 * Needs $BUILD/microvm-virtiofsd (default build/; $VIRTIOFSD_BIN overrides).
 */
#include <math.h>

#include "../tests/unit/test_vhost_user_fuse.h"
#include "mm/shm_region.h"
#include "util/log.h"
#include "stats.h"

#define MiB (1ull << 20)
#define FILE_SIZE (256 * MiB)
#define CHUNK (2 * MiB)
#define WINDOW (512 * MiB)
#define RUNS 5

static struct fdrv d;
static char root[64], sock[96], logpath[96];

static pid_t start_daemon(void)
{
	const char *bin = microvm_virtiofsd_bin();

	if (!bin) {
		fprintf(stderr, "dax_bench: microvm-virtiofsd missing (run make)\n");
		return -1;
	}
	return microvm_virtiofsd_start(bin, sock, root, "512M", logpath);
}

static int open_frontend(void)
{
	struct vhost_user_fs_config cfg = {
		.socket = sock, .tag = "share", .num_request_queues = 1, .queue_size = 1024,
		.connect_timeout_ms = 5000, .cache_size = WINDOW,
	};
	struct {
		uint32_t major, minor, max_readahead, flags;
	} in = { 7, 31, 1 << 20, FUSE_MAP_ALIGNMENT };
	char err[256];
	int32_t e;

	memset(&d, 0, sizeof(d));
	if (vm_init_harness(&d.vm, FDRV_RAM))
		return -1;
	d.timeout_ms = 10000;
	d.dev = vhost_user_fs_create(&d.vm, &cfg, err, sizeof(err));
	if (!d.dev) {
		fprintf(stderr, "dax_bench: front-end: %s\n", err);
		return -1;
	}
	d.out = guest_mem_ptr(&d.vm.mem, FDRV_BUF_GPA, FDRV_BUF_SIZE);
	d.in = guest_mem_ptr(&d.vm.mem, FDRV_BUF_GPA + FDRV_BUF_SIZE, FDRV_BUF_SIZE);
	if (fdrv_start(&d))
		return -1;
	if (fdrv_call(&d, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, 4096, &e) < 16 || e)
		return -1;
	return 0;
}

static uint64_t lookup(const char *name)
{
	struct fuse_entry_out eo;
	int32_t e;

	if (fdrv_call(&d, FUSE_LOOKUP, FUSE_ROOT_ID, name, (uint32_t)strlen(name) + 1, NULL, 0,
		      4096, &e) < 16 || e)
		return 0;
	memcpy(&eo, d.in + 16, sizeof(eo));
	return eo.nodeid;
}

/* FUSE READ of the first len bytes in req-byte requests into dst. Returns seconds or -1. */
static double read_fuse(uint64_t nodeid, uint8_t *dst, uint64_t len, uint32_t req)
{
	struct fuse_open_in oi = { .flags = O_RDONLY };
	struct fuse_open_out oo;
	struct fuse_release_in rel = { 0 };
	double t0;
	int32_t e;

	if (fdrv_call(&d, FUSE_OPEN, nodeid, &oi, sizeof(oi), NULL, 0, 4096, &e) < 16 || e)
		return -1;
	memcpy(&oo, d.in + 16, sizeof(oo));
	t0 = bench_now_s();
	for (uint64_t off = 0; off < len; off += req) {
		struct fuse_read_in ri = { .fh = oo.fh, .offset = off, .size = req };
		int n = fdrv_call(&d, FUSE_READ, nodeid, &ri, sizeof(ri), NULL, 0, req + 16, &e);

		if (n != (int)(req + 16) || e) {
			fprintf(stderr, "dax_bench: READ at %llu: %d (error %d)\n",
				(unsigned long long)off, n, e);
			return -1;
		}
		memcpy(dst + off, d.in + 16, req);
	}
	t0 = bench_now_s() - t0;
	rel.fh = oo.fh;
	fdrv_call(&d, FUSE_RELEASE, nodeid, &rel, sizeof(rel), NULL, 0, 4096, &e);
	return t0;
}

static int setupmapping(uint64_t nodeid, uint64_t foff, uint64_t moff)
{
	struct fuse_setupmapping_in in = { .fh = UINT64_MAX, .foffset = foff, .len = CHUNK,
					   .flags = FUSE_SETUPMAPPING_FLAG_READ, .moffset = moff };
	int32_t e;

	if (fdrv_call(&d, FUSE_SETUPMAPPING, nodeid, &in, sizeof(in), NULL, 0, 4096, &e) < 16)
		return -EIO;
	return e;
}

static int remove_all(void)
{
	struct {
		struct fuse_removemapping_in in;
		struct fuse_removemapping_one one[128];
	} __attribute__((packed)) rm;
	int32_t e;

	rm.in.count = FILE_SIZE / CHUNK;
	for (unsigned int i = 0; i < rm.in.count; i++)
		rm.one[i] = (struct fuse_removemapping_one){ i * CHUNK, CHUNK };
	if (fdrv_call(&d, FUSE_REMOVEMAPPING, 0, &rm, sizeof(rm), NULL, 0, 4096, &e) < 16)
		return -EIO;
	return e;
}

/* Maps every chunk (latencies into lat[]) and copies from the window. Seconds or -1. */
static double read_dax(uint64_t nodeid, uint8_t *dst, const uint8_t *win, double *lat)
{
	double t0 = bench_now_s(), t;

	for (uint64_t i = 0; i < FILE_SIZE / CHUNK; i++) {
		t = bench_now_s();
		if (setupmapping(nodeid, i * CHUNK, i * CHUNK))
			return -1;
		lat[i] = bench_now_s() - t;
		memcpy(dst + i * CHUNK, win + i * CHUNK, CHUNK);
	}
	return bench_now_s() - t0;
}

int main(void)
{
	double fuse_s[RUNS], fuse4k_s[RUNS], dax_s[RUNS], mapped_s[RUNS], *lat;
	int nlat = 0, fd, ret = 1;
	uint8_t *src, *dst;
	uint64_t nodeid;
	pid_t pid;
	char p[160];

	log_set_level(LOG_ERROR);
	strcpy(root, "/tmp/dax-bench-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(sock, sizeof(sock), "%s.sock", root);
	snprintf(logpath, sizeof(logpath), "%s.log", root);
	snprintf(p, sizeof(p), "%s/big", root);
	src = malloc(FILE_SIZE);
	dst = malloc(FILE_SIZE);
	lat = malloc(sizeof(*lat) * RUNS * (FILE_SIZE / CHUNK));
	for (uint64_t i = 0; i < FILE_SIZE; i++)
		src[i] = (uint8_t)(i * 2654435761u >> 11);
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0 || write(fd, src, FILE_SIZE) != (ssize_t)FILE_SIZE)
		goto out;
	fsync(fd);
	close(fd);
	pid = start_daemon();
	if (pid < 0 || open_frontend() < 0)
		goto stop;
	nodeid = lookup("big");
	if (!nodeid)
		goto stop;
	for (int r = 0; r < RUNS; r++) {
		const uint8_t *win = d.dev->shm[0]->hva;

		fuse_s[r] = read_fuse(nodeid, dst, FILE_SIZE, MiB);
		if (fuse_s[r] < 0 || memcmp(src, dst, FILE_SIZE))
			goto stop;
		/*
		 * psync-like 4 KiB reads: 1/16 of the file, scaled (keeps the test driver's 16-bit
		 * used index below its wrap, which it mishandles).
		 */
		fuse4k_s[r] = read_fuse(nodeid, dst, FILE_SIZE / 16, 4096);
		if (fuse4k_s[r] < 0 || memcmp(src, dst, FILE_SIZE / 16))
			goto stop;
		fuse4k_s[r] *= 16;
		memset(dst, 0, FILE_SIZE);
		dax_s[r] = read_dax(nodeid, dst, win, lat + nlat);
		if (dax_s[r] < 0 || memcmp(src, dst, FILE_SIZE))
			goto stop;
		nlat += FILE_SIZE / CHUNK;
		mapped_s[r] = bench_now_s();
		memcpy(dst, win, FILE_SIZE);
		mapped_s[r] = bench_now_s() - mapped_s[r];
		if (remove_all())
			goto stop;
	}
	{
		double f4 = bench_median(fuse4k_s, RUNS);
		double f = bench_median(fuse_s, RUNS), x = bench_median(dax_s, RUNS), m = bench_median(mapped_s, RUNS);
		double mb = FILE_SIZE / 1e6;
		int p99;

		qsort(lat, nlat, sizeof(*lat), bench_cmp_double);
		p99 = (int)ceil(0.99 * nlat) - 1;
		printf("256 MiB file in the host page cache, median of %d runs\n", RUNS);
		printf("%-44s %10s\n", "path", "MB/s");
		printf("%-44s %10.0f\n", "FUSE READ (1 MiB requests)", mb / f);
		printf("%-44s %10.0f\n", "FUSE READ (4 KiB requests, psync-like)", mb / f4);
		printf("%-44s %10.0f  (%.1fx 1 MiB READ, %.1fx 4 KiB READ)\n",
		       "DAX: SETUPMAPPING 2 MiB + copy", mb / x, f / x, f4 / x);
		printf("%-44s %10.0f  (%.1fx 1 MiB READ, %.1fx 4 KiB READ)\n",
		       "DAX: already mapped, copy only", mb / m, f / m, f4 / m);
		printf("SETUPMAPPING round trip (%d samples): median %.1f us, p99 %.1f us\n", nlat,
		       lat[nlat / 2] * 1e6, lat[p99] * 1e6);
		ret = 0;
	}
stop:
	if (ret)
		fprintf(stderr, "dax_bench: failed (daemon log %s)\n", logpath);
	if (d.dev)
		fdrv_close(&d);
	if (pid > 0) {
		for (int i = 0; i < 300 && waitpid(pid, NULL, WNOHANG) == 0; i++)
			usleep(10000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
out:
	unlink(p);
	if (!ret)
		unlink(logpath);
	rmdir(root);
	free(src);
	free(dst);
	free(lat);
	return ret;
}
