// SPDX-License-Identifier: MIT
/*
 * l2-mmap FILE OFFSET STRING: the DAX L2's shared-mmap check (t-virtiofs-dax, in l2-dax.cpio
 * only). Maps all of FILE MAP_SHARED read-write, prints the first 16 bytes read through the
 * mapping in hex, copies STRING into the mapping at OFFSET (inside the file) and msync()s it:
 * "l2-mmap: FILE head <32 hex digits>, wrote N bytes at OFFSET". On a dax=always virtio-fs
 * mount the mapping is the DAX window itself (the host file's pages mapped by the VMM), so the
 * bytes reach the host without a FUSE WRITE. Exits 1 with "l2-mmap: <step> failed <errno>".
 * Freestanding (raw aarch64 system calls, no libc), built by tests/arm64/build-kit.sh like
 * kvm-probe.c.
 */
#include <stddef.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "sys.h"

static char out[256];
static size_t olen;

static void put(const char *s)
{
	while (*s && olen < sizeof(out) - 1)
		out[olen++] = *s++;
}

static void put_num(unsigned long v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i < 23);
	while (i--) {
		char c[2] = { b[i], 0 };

		put(c);
	}
}

static void __attribute__((noreturn)) done(int ok)
{
	put("\n");
	sys6(NR_WRITE, 1, (long)out, (long)olen, 0, 0, 0);
	sys6(NR_EXIT_GROUP, ok ? 0 : 1, 0, 0, 0, 0, 0);
	for (;;)
		;
}

static void __attribute__((noreturn)) bad(const char *step, long rc)
{
	olen = 0;
	put("l2-mmap: ");
	put(step);
	put(" failed ");
	put_num((unsigned long)-rc);
	done(0);
}

static unsigned long parse(const char *s)
{
	unsigned long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	return v;
}

void __attribute__((used)) cmain(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	static const char hex[] = "0123456789abcdef";
	unsigned long off, len, size;
	const char *str;
	long fd, rc;
	unsigned char *m;
	int i;

	if (argc != 4)
		bad("usage: l2-mmap FILE OFFSET STRING;", -22);
	off = parse(argv[2]);
	str = argv[3];
	for (len = 0; str[len]; len++)
		;
	fd = sys6(NR_OPENAT, AT_FDCWD, (long)argv[1], O_RDWR, 0, 0, 0);
	if (fd < 0)
		bad("open", fd);
	rc = sys6(NR_LSEEK, fd, 0, 2 /* SEEK_END */, 0, 0, 0);
	if (rc < 0)
		bad("lseek", rc);
	size = (unsigned long)rc;
	if (size < 16 || off > size || len > size - off)
		bad("size check (file too small)", -22);
	rc = sys6(NR_MMAP, 0, (long)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rc < 0 && rc > -4096)
		bad("mmap", rc);
	m = (unsigned char *)rc;
	put("l2-mmap: ");
	put(argv[1]);
	put(" head ");
	for (i = 0; i < 16; i++) {
		char c[3] = { hex[m[i] >> 4], hex[m[i] & 15], 0 };

		put(c);
	}
	for (i = 0; (unsigned long)i < len; i++)
		((volatile unsigned char *)m)[off + (unsigned long)i] = (unsigned char)str[i];
	rc = sys6(NR_MSYNC, (long)m, (long)size, MS_SYNC, 0, 0, 0);
	if (rc < 0)
		bad("msync", rc);
	rc = sys6(NR_MUNMAP, (long)m, (long)size, 0, 0, 0, 0);
	if (rc < 0)
		bad("munmap", rc);
	put(", wrote ");
	put_num(len);
	put(" bytes at ");
	put_num(off);
	done(1);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	mov x29, #0\n"
	"	bl cmain\n"
	"	b .\n");
