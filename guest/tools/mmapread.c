// SPDX-License-Identifier: MIT
/*
 * mmapread FILE: reads all of FILE through a read-only shared mmap (MAP_POPULATE, then every
 * 64-bit word summed in user mode) and prints "mmapread: FILE BYTES bytes sum 0x...". The
 * mapping is placed 2 MiB aligned. Guest-side reader of the page-cache sharing benchmark
 * (bench/pagecache.sh): through a DAX mount the pages are the host's page cache in the window,
 * without DAX they are copies in guest RAM.
 *
 * Freestanding (no libc, raw x86-64 system calls), like mmapwrite.c.
 * Built with: gcc -static -nostdlib -fno-stack-protector -Os
 */
#include <asm/unistd.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

typedef unsigned long ulong;

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static void say(int fd, const char *s)
{
	ulong n = 0;

	while (s[n])
		n++;
	sys(__NR_write, fd, (long)s, n, 0, 0, 0);
}

/* v in base 10 or 16 into the end of buf; returns the start. */
static char *num(char *end, ulong v, unsigned int base)
{
	*--end = 0;
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

static int fail(const char *what, long err)
{
	char buf[24];

	say(2, "mmapread: ");
	say(2, what);
	say(2, " failed: errno ");
	say(2, num(buf + sizeof(buf), (ulong)-err, 10));
	say(2, "\n");
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
		say(2, "usage: mmapread FILE\n");
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
	say(1, "mmapread: ");
	say(1, argv[1]);
	say(1, " ");
	say(1, num(buf + sizeof(buf), (ulong)st.st_size, 10));
	say(1, " bytes sum 0x");
	say(1, num(buf + sizeof(buf), sum, 16));
	say(1, "\n");
	return 0;
}

/* Entry point: argc at (%rsp), argv after it. */
__attribute__((used)) static void start_c(long *sp)
{
	int rc = run((int)sp[0], (char **)(sp + 1));

	sys(__NR_exit, rc, 0, 0, 0, 0, 0);
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
