// SPDX-License-Identifier: MIT
/*
 * mmapwrite FILE OFFSET STRING: writes STRING at byte OFFSET of FILE through a shared mmap
 * (busybox cannot), extending the file first when needed, then msync()s and checks the bytes
 * through the mapping. Guest-side helper for the virtio-fs DAX test.
 *
 * Freestanding (sys.h).
 */
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "sys.h"

static void say(const char *s)
{
	say_fd(2, s);
}

static int fail(const char *what, long err)
{
	char num[24];

	say("mmapwrite: ");
	say(what);
	say(" failed: errno ");
	say(fmt_num(num + sizeof(num), (ulong)-err, 10));
	say("\n");
	return 1;
}

static int run(int argc, char **argv)
{
	struct stat st;
	long off, fd, ret, base, maplen, len, i;
	char *map;

	if (argc != 4 || parse_num(argv[2], &off) < 0) {
		say("usage: mmapwrite FILE OFFSET STRING (OFFSET in decimal bytes)\n");
		return 2;
	}
	len = slen(argv[3]);
	fd = sys(__NR_open, (long)argv[1], O_RDWR | O_CREAT, 0644, 0, 0, 0);
	if (fd < 0)
		return fail("open", fd);
	ret = sys(__NR_fstat, fd, (long)&st, 0, 0, 0, 0);
	if (ret < 0)
		return fail("fstat", ret);
	if (st.st_size < off + len) {
		ret = sys(__NR_ftruncate, fd, off + len, 0, 0, 0, 0);
		if (ret < 0)
			return fail("ftruncate", ret);
	}
	base = off & ~4095L;
	maplen = off - base + len;
	ret = sys(__NR_mmap, 0, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	if (ret < 0 && ret > -4096)
		return fail("mmap", ret);
	map = (char *)ret;
	for (i = 0; i < len; i++)
		map[off - base + i] = argv[3][i];
	ret = sys(__NR_msync, (long)map, maplen, MS_SYNC, 0, 0, 0);
	if (ret < 0)
		return fail("msync", ret);
	for (i = 0; i < len; i++) {
		if (map[off - base + i] != argv[3][i]) {
			say("mmapwrite: readback through the mapping differs\n");
			return 1;
		}
	}
	sys(__NR_munmap, (long)map, maplen, 0, 0, 0, 0);
	ret = sys(__NR_close, fd, 0, 0, 0, 0, 0);
	if (ret < 0)
		return fail("close", ret);
	return 0;
}

/* Entry point: argc at (%rsp), argv after it. */
TOOL_MAIN;
