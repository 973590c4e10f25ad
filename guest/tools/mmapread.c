// SPDX-License-Identifier: MIT
/*
 * mmapread FILE: reads all of FILE through a read-only shared mmap (MAP_POPULATE, then every
 * 64-bit word summed in user mode) and prints "mmapread: FILE BYTES bytes sum 0x...". The
 * mapping is placed 2 MiB aligned. Guest-side reader of the page-cache sharing benchmark
 * (bench/pagecache.sh): through a DAX mount the pages are the host's page cache in the window,
 * without DAX they are copies in guest RAM.
 *
 * Freestanding (sys.h).
 */
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "sys.h"

static int fail(const char *what, long err)
{
	char buf[24];

	say_fd(2, "mmapread: ");
	say_fd(2, what);
	say_fd(2, " failed: errno ");
	say_fd(2, fmt_num(buf + sizeof(buf), (ulong)-err, 10));
	say_fd(2, "\n");
	return 1;
}

static int run(int argc, char **argv)
{
	const long align = 2L << 20;
	struct stat st;
	long fd, ret, len, i;
	ulong sum = 0;
	const ulong *w;
	char buf[24];

	if (argc != 2) {
		say_fd(2, "usage: mmapread FILE\n");
		return 2;
	}
	fd = sys(__NR_open, (long)argv[1], O_RDONLY, 0, 0, 0, 0);
	if (fd < 0)
		return fail("open", fd);
	ret = sys(__NR_fstat, fd, (long)&st, 0, 0, 0, 0);
	if (ret < 0)
		return fail("fstat", ret);
	len = (st.st_size + 4095) & ~4095L;
	if (len) {
		/* reserve len + 2 MiB, map the file 2 MiB aligned over it */
		ret = sys(__NR_mmap, 0, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ret < 0 && ret > -4096)
			return fail("mmap reserve", ret);
		ret = sys(__NR_mmap, (ret + align - 1) & ~(align - 1), len, PROT_READ,
			  MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0);
		if (ret < 0 && ret > -4096)
			return fail("mmap", ret);
		w = (const ulong *)ret;
		for (i = 0; i < st.st_size / 8; i++)
			sum += w[i] ^ (ulong)i;
	}
	say_fd(1, "mmapread: ");
	say_fd(1, argv[1]);
	say_fd(1, " ");
	say_fd(1, fmt_num(buf + sizeof(buf), (ulong)st.st_size, 10));
	say_fd(1, " bytes sum 0x");
	say_fd(1, fmt_num(buf + sizeof(buf), sum, 16));
	say_fd(1, "\n");
	return 0;
}

/* Entry point: argc at (%rsp), argv after it. */
TOOL_MAIN;
