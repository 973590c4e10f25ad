// SPDX-License-Identifier: MIT
/*
 * mmapwrite FILE OFFSET STRING: writes STRING at byte OFFSET of FILE through a shared mmap
 * (busybox cannot), extending the file first when needed, then msync()s and checks the bytes
 * through the mapping. Guest-side helper for the virtio-fs DAX test.
 *
 * Freestanding (no libc, raw x86-64 system calls): the static glibc binary is ~700 KB, and
 * every initramfs byte costs boot time on a KVM that emulates guest kernel mode.
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

static ulong slen(const char *s)
{
	ulong n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys(__NR_write, 2, (long)s, slen(s), 0, 0, 0);
}

static int fail(const char *what, long err)
{
	static const char digits[] = "0123456789";
	char num[24];
	int i = sizeof(num) - 1;

	num[i] = 0;
	err = -err;
	do {
		num[--i] = digits[err % 10];
		err /= 10;
	} while (err && i > 0);
	say("mmapwrite: ");
	say(what);
	say(" failed: errno ");
	say(num + i);
	say("\n");
	return 1;
}

static int parse(const char *s, long *out)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (1L << 50))
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static int run(int argc, char **argv)
{
	struct stat st;
	long off, fd, ret, base, maplen, len, i;
	char *map;

	if (argc != 4 || parse(argv[2], &off) < 0) {
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
__attribute__((used)) static void start_c(long *sp)
{
	int rc = run((int)sp[0], (char **)(sp + 1));

	sys(__NR_exit, rc, 0, 0, 0, 0, 0);
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall start_c\n\thlt\n");
