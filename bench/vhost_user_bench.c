// SPDX-License-Identifier: MIT
/*
 * vhost_user_bench: virtio-fs through the guest-driver harness (virtio-pci transport, rings in
 * guest RAM, MSI-X irqfds) to Debian 12's virtiofsd (/usr/lib/qemu/virtiofsd, cache=auto).
 *
 *   READ  : a 64 MiB file in 128 KiB FUSE_READ requests, one in flight; MB/s per pass.
 *   GETATTR: round trip of one FUSE_GETATTR, one in flight (median, p99).
 *
 * These are the non-DAX baselines. Usage: vhost_user_bench [passes (7)] [getattr count (20000)]
 */
#include <math.h>

#include "../tests/unit/test_vhost_user_fuse.h"
#include "../tests/unit/test_vhost_user_hfs.h"
#include "util/log.h"
#include "stats.h"

#define FILE_SIZE (64u << 20)
#define CHUNK (128u << 10)

static int make_file(const char *path)
{
	static char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	for (unsigned int i = 0; i < FILE_SIZE / sizeof(buf); i++) {
		memset(buf, (int)i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int read_pass(struct hfs *f, uint64_t node, uint64_t fh, double *mbps)
{
	struct fuse_read_in rin = { .fh = fh, .size = CHUNK };
	double t0 = bench_now_s();
	int32_t err;

	for (uint64_t off = 0; off < FILE_SIZE; off += CHUNK) {
		rin.offset = off;
		if (hfs_call(f, FUSE_READ, node, &rin, sizeof(rin), NULL, 0, CHUNK + 16, &err) !=
		    (int)(CHUNK + 16) || err)
			return -1;
		if (f->in[16] != (uint8_t)(off >> 20) || f->in[16 + CHUNK - 1] != (uint8_t)(off >> 20))
			return -2;
	}
	*mbps = FILE_SIZE / 1e6 / (bench_now_s() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	int passes = argc > 1 ? atoi(argv[1]) : 7, count = argc > 2 ? atoi(argv[2]) : 20000;
	char dir[] = "/tmp/vu-bench-XXXXXX", share[64], sock[64], vlog[64], path[96], err[256];
	struct fuse_getattr_in gin = { 0 };
	struct fuse_init_out init;
	struct fuse_entry_out e;
	double *mbps, *lat;
	struct hfs f;
	uint64_t node, fh;
	int32_t ferr;
	int status = 1;
	pid_t pid;

	if (passes < 1 || count < 100 || !mkdtemp(dir))
		return 2;
	log_set_level(LOG_WARN);
	snprintf(share, sizeof(share), "%s/share", dir);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(vlog, sizeof(vlog), "%s/virtiofsd.log", dir);
	snprintf(path, sizeof(path), "%s/big", share);
	mkdir(share, 0755);
	if (make_file(path)) {
		fprintf(stderr, "cannot create %s\n", path);
		return 1;
	}
	pid = virtiofsd_start(sock, share, vlog);
	mbps = calloc((size_t)passes, sizeof(*mbps));
	lat = calloc((size_t)count, sizeof(*lat));
	if (hfs_open(&f, sock, 0, err, sizeof(err)) || hfs_init(&f, &init)) {
		fprintf(stderr, "setup failed: %s\n", err);
		goto out;
	}
	node = hfs_lookup(&f, "big", &e);
	fh = hfs_open_node(&f, FUSE_OPEN, node, O_RDONLY);
	if (!node || fh == ~0ull) {
		fprintf(stderr, "cannot open the file through virtiofsd\n");
		goto out;
	}
	for (int i = 0; i < passes; i++) {
		if (read_pass(&f, node, fh, &mbps[i])) {
			fprintf(stderr, "READ pass %d failed\n", i);
			goto out;
		}
	}
	for (int i = 0; i < count; i++) {
		double t0 = bench_now_s();

		if (hfs_call(&f, FUSE_GETATTR, node, &gin, sizeof(gin), NULL, 0, 4096, &ferr) < 0 ||
		    ferr) {
			fprintf(stderr, "GETATTR %d failed\n", i);
			goto out;
		}
		lat[i] = (bench_now_s() - t0) * 1e6;
	}
	qsort(mbps, (size_t)passes, sizeof(*mbps), bench_cmp_double);
	qsort(lat, (size_t)count, sizeof(*lat), bench_cmp_double);
	printf("virtio-fs via harness + virtio-pci -> Debian virtiofsd (cache=auto), one request in flight\n");
	printf("%-44s %10s %10s %10s\n", "metric", "median", "min", "max/p99");
	printf("%-44s %10.1f %10.1f %10.1f\n", "FUSE_READ 64 MiB in 128 KiB requests (MB/s)",
	       mbps[passes / 2], mbps[0], mbps[passes - 1]);
	printf("%-44s %10.1f %10.1f %10.1f\n", "FUSE_GETATTR round trip (us; last col p99)",
	       lat[count / 2], lat[0], lat[(int)floor(count * 0.99)]);
	printf("(%d READ passes, %d GETATTRs)\n", passes, count);
	status = 0;
out:
	hfs_close(&f);
	virtiofsd_stop(pid);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
	free(mbps);
	free(lat);
	return status;
}
