// SPDX-License-Identifier: MIT
/*
 * Test guest: page tables beyond the boot-time 4 GiB identity map (64-bit BARs above 4 GiB)
 * and the exception IDT.
 */
#include "guest.h"

#define PTE_P		0x1ULL
#define PTE_W		0x2ULL
#define PTE_PS		0x80ULL
#define PTE_ADDR	0x000ffffffffff000ULL
#define PAGE_2M		0x200000ULL
#define POOL_PAGES	16
#define MAX_PHYS	(1ULL << 46)

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned int pool_used;

static uint64_t *next_level(uint64_t *table, unsigned int idx)
{
	uint64_t *page;

	if (table[idx] & PTE_P)
		return (uint64_t *)(table[idx] & PTE_ADDR);
	if (pool_used >= POOL_PAGES)
		return NULL;
	page = pool[pool_used++];
	memset(page, 0, 4096);
	table[idx] = (uint64_t)page | PTE_P | PTE_W;
	return page;
}

static int map_2m(uint64_t addr)
{
	uint64_t *pdpt, *pd;

	pdpt = next_level(pt_pml4, (addr >> 39) & 511);
	if (!pdpt)
		return -1;
	pd = next_level(pdpt, (addr >> 30) & 511);
	if (!pd)
		return -1;
	pd[(addr >> 21) & 511] = addr | PTE_P | PTE_W | PTE_PS;
	return 0;
}

int map_identity(uint64_t addr, uint64_t len)
{
	uint64_t a, end = addr + len;
	uint64_t cr3;

	if (!len || end < addr || end > MAX_PHYS)
		return -1;
	for (a = addr & ~(PAGE_2M - 1); a < end; a += PAGE_2M) {
		if (a < 0x100000000ULL)
			continue; /* boot-time identity map */
		if (map_2m(a))
			return -1;
	}
	asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
	return 0;
}

/* --- exceptions --- */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct exc_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

static struct idt_gate idt[32] __attribute__((aligned(16)));

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) desc = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned int i = 0; i < ARRAY_SIZE(idt); i++) {
		uint64_t h = (uint64_t)exc_stubs + 16 * i;

		idt[i].off_lo = h & 0xffff;
		idt[i].sel = 0x08;
		idt[i].ist = 0;
		idt[i].attr = 0x8e; /* present, DPL0, 64-bit interrupt gate */
		idt[i].off_mid = (h >> 16) & 0xffff;
		idt[i].off_hi = h >> 32;
		idt[i].zero = 0;
	}
	asm volatile("lidt %0" : : "m"(desc));
}

volatile int bp_expected;
volatile unsigned int bp_hits;
volatile uint64_t bp_rip;

int exception_handler(struct exc_frame *f);
int exception_handler(struct exc_frame *f)
{
	uint64_t cr2;

	if (f->vector == 3 && bp_expected) {
		bp_hits++;
		bp_rip = f->rip;
		return 1;
	}

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	gprintf("FAIL: exception vector=%lu error=0x%lx rip=0x%lx cr2=0x%lx\n",
		f->vector, f->error, f->rip, cr2);
	guest_reset();
}
