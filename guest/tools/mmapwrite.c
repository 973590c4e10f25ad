// SPDX-License-Identifier: MIT
/*
 * mmapwrite FILE OFFSET STRING: writes STRING at byte OFFSET of FILE through a shared mmap
 * (busybox cannot), extending the file first when needed, then msync()s. Guest-side helper for
 * the virtio-fs DAX test; built with gcc -static.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "mmapwrite: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	char *end, *map;
	off_t off, base;
	size_t len, maplen;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: mmapwrite FILE OFFSET STRING\n");
		return 2;
	}
	errno = 0;
	off = strtoll(argv[2], &end, 0);
	if (errno || *end || off < 0) {
		fprintf(stderr, "mmapwrite: bad offset '%s'\n", argv[2]);
		return 2;
	}
	len = strlen(argv[3]);
	fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return fail("open");
	if (fstat(fd, &st) < 0)
		return fail("fstat");
	if (st.st_size < off + (off_t)len && ftruncate(fd, off + len) < 0)
		return fail("ftruncate");
	base = off & ~(off_t)(page - 1);
	maplen = off - base + len;
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	if (map == MAP_FAILED)
		return fail("mmap");
	memcpy(map + (off - base), argv[3], len);
	if (msync(map, maplen, MS_SYNC) < 0)
		return fail("msync");
	if (memcmp(map + (off - base), argv[3], len) != 0) {
		fprintf(stderr, "mmapwrite: readback through the mapping differs\n");
		return 1;
	}
	munmap(map, maplen);
	if (close(fd) < 0)
		return fail("close");
	return 0;
}
