/* SPDX-License-Identifier: MIT */
/*
 * The freestanding runtime of the guest tools (no libc): raw x86-64 system calls, string
 * output, and the process entry. A tool includes this, defines
 *
 *	static int run(int argc, char **argv);
 *
 * and ends with TOOL_MAIN. The static glibc binary would be ~700 KB, and every initramfs byte
 * costs boot time on a KVM that emulates guest kernel mode.
 * Built with: gcc -static -nostdlib -ffreestanding -fno-stack-protector -Os
 */
#ifndef MICROVM_GUEST_TOOLS_SYS_H
#define MICROVM_GUEST_TOOLS_SYS_H

#include <asm/unistd.h>

typedef unsigned long ulong;

static inline long sys(long nr, long a, long b, long c, long d, long e, long f)
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

static inline ulong slen(const char *s)
{
	ulong n = 0;

	while (s[n])
		n++;
	return n;
}

static inline void say_fd(int fd, const char *s)
{
	sys(__NR_write, fd, (long)s, (long)slen(s), 0, 0, 0);
}

/* v in base 10 or 16, written backwards into the end of buf (NUL-terminated); the start. */
static inline char *fmt_num(char *end, ulong v, unsigned int base)
{
	*--end = 0;
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

/* A decimal number up to 2^50: 0, or -1 if s is empty or not one. */
static inline int parse_num(const char *s, long *out)
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

/* The entry: argc and argv from the initial stack, run(), exit with its status. */
#define TOOL_MAIN								\
	__attribute__((used)) static void start_c(long *sp)			\
	{									\
		int rc = run((int)sp[0], (char **)(sp + 1));			\
										\
		sys(__NR_exit, rc, 0, 0, 0, 0, 0);				\
	}									\
	__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"	\
		"\tand $-16, %rsp\n\tcall start_c\n\thlt\n")

#endif
