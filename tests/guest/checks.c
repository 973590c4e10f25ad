// SPDX-License-Identifier: MIT
/* Test guest: CPU/memory checks (memtest, triple-fault, exec-mmio, unhandled-io). */
#include "guest.h"

#define MIB		0x100000UL
#define MEMTEST_DEFAULT_MIB 4
#define MEMTEST_MAX_MIB	1024
#define EXEC_MMIO_ADDR	0xd0000000UL
#define UNOWNED_PORT	0x2f8

static void fill(uint64_t *p, size_t n, uint64_t pat)
{
	asm volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(pat) : "memory");
}

/* Returns the first qword != pat, or NULL. */
static uint64_t *verify(uint64_t *p, size_t n, uint64_t pat)
{
	bool differ;

	if (!n)
		return NULL;
	asm volatile("repe scasq" : "+D"(p), "+c"(n), "=@ccne"(differ) : "a"(pat) : "memory");
	return differ ? p - 1 : NULL;
}

static int pattern_pass(uint64_t *base, size_t qwords, uint64_t pat)
{
	uint64_t *bad;

	fill(base, qwords, pat);
	bad = verify(base, qwords, pat);
	if (bad) {
		test_fail("at 0x%lx: wrote 0x%lx read 0x%lx", (uint64_t)bad, pat, *bad);
		return -1;
	}
	return 0;
}

/* Address tags at both ends of each 4 KiB page catch aliasing that flat patterns miss. */
static int tag_pass(uint64_t base, uint64_t len)
{
	for (uint64_t a = base; a < base + len; a += 4096) {
		*(volatile uint64_t *)a = a ^ 0x5a5a5a5a00000000ULL;
		*(volatile uint64_t *)(a + 4088) = ~a;
	}
	for (uint64_t a = base; a < base + len; a += 4096) {
		uint64_t lo = *(volatile uint64_t *)a, hi = *(volatile uint64_t *)(a + 4088);

		if (lo != (a ^ 0x5a5a5a5a00000000ULL) || hi != ~a) {
			test_fail("address tag mismatch in page 0x%lx", a);
			return -1;
		}
	}
	return 0;
}

/* "<MiB>" or "<MiB>@<hex address>" */
static bool parse_memtest(const char *arg, uint64_t *mib, uint64_t *base)
{
	size_t n = strlen(arg), at = 0;

	while (at < n && arg[at] != '@')
		at++;
	if (!parse_u64(arg, at, 10, mib) || !*mib || *mib > MEMTEST_MAX_MIB)
		return false;
	if (at == n)
		return true;
	return parse_u64(arg + at + 1, n - at - 1, 16, base) && !(*base & 4095) &&
	       *base >= (uint64_t)__image_end;
}

int test_memtest(const char *arg)
{
	uint64_t mib = MEMTEST_DEFAULT_MIB;
	uint64_t base = ALIGN_UP((uint64_t)__image_end, MIB);
	uint64_t len;

	if (arg && !parse_memtest(arg, &mib, &base)) {
		test_fail("bad argument '%s' (<MiB 1-%u>[@<hex address above the image>])", arg,
			  MEMTEST_MAX_MIB);
		return -1;
	}
	len = mib * MIB;
	if (!e820_is_ram(base, len)) {
		test_fail("0x%lx-0x%lx is not e820 RAM", base, base + len);
		return -1;
	}
	if (map_identity(base, len)) {
		test_fail("cannot map 0x%lx-0x%lx", base, base + len);
		return -1;
	}
	/* One flat pass (CPL0 string ops are emulated on some hosts: ~0.25 s/MiB) + tags. */
	if (pattern_pass((uint64_t *)base, len / 8, 0xa55aa55a5aa55aa5ULL) || tag_pass(base, len))
		return -1;
	gprintf("memtest: 0x%lx-0x%lx ok\n", base, base + len);
	return 0;
}

int test_triple_fault(const char *arg)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	(void)arg;
	/* #UD cannot be delivered (limit 0) -> #GP -> #DF -> triple fault. */
	asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
	idt_init();
	test_fail("still running");
	return -1;
}

int test_exec_mmio(const char *arg)
{
	void (*fn)(void) = (void (*)(void))EXEC_MMIO_ADDR;

	(void)arg;
	fn();
	test_fail("returned from code at 0x%lx", EXEC_MMIO_ADDR);
	return -1;
}

int test_unhandled_io(const char *arg)
{
	uint32_t v;

	(void)arg;
	for (uint16_t p = UNOWNED_PORT; p < UNOWNED_PORT + 8; p++) {
		outb(p, 0x55);
		v = inb(p);
		if (v != 0xff) {
			test_fail("inb 0x%x = 0x%x, want 0xff", p, v);
			return -1;
		}
	}
	v = inw(UNOWNED_PORT);
	if (v != 0xffff) {
		test_fail("inw 0x%x = 0x%x, want 0xffff", UNOWNED_PORT, v);
		return -1;
	}
	outl(UNOWNED_PORT + 4, 0x12345678);
	v = inl(UNOWNED_PORT + 4);
	if (v != 0xffffffff) {
		test_fail("inl 0x%x = 0x%x, want 0xffffffff", UNOWNED_PORT + 4, v);
		return -1;
	}
	return 0;
}

/*
 * int3 at CPL0 with a #BP handler installed: the handler must run once and see RIP just past
 * the int3 byte (a trap), then execution resumes after it.
 */
int test_int3(const char *arg)
{
	uint64_t target = (uint64_t)deliberate_int3;

	(void)arg;
	bp_hits = 0;
	bp_expected = 1;
	deliberate_int3();
	bp_expected = 0;
	if (bp_hits != 1) {
		test_fail("#BP handler ran %u times", bp_hits);
		return -1;
	}
	if (bp_rip != target + 1) {
		test_fail("#BP frame rip 0x%lx, want 0x%lx", bp_rip, target + 1);
		return -1;
	}
	gprintf("int3: #BP delivered, rip 0x%lx\n", bp_rip);
	return 0;
}

/* fwait with no pending x87 exception: a no-op that must not stop the guest. */
int test_fwait(const char *arg)
{
	(void)arg;
	if (deliberate_fwait() != 1) {
		test_fail("execution did not continue after fwait");
		return -1;
	}
	gprintf("fwait: continued\n");
	return 0;
}
