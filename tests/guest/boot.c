// SPDX-License-Identifier: MIT
/*
 * Test guest: reads what the VMM handed over (PVH hvm_start_info or Linux boot_params) into a
 * common form (e820 map, command line) and prints it.
 */
#include <asm/bootparam.h>

#include "guest.h"
#include "arch/x86/layout.h"

/* Xen public/arch-x86/hvm/start_info.h (not a Linux UAPI header). */
#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "boot_params layout");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "boot_params layout");
_Static_assert(offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "boot_params layout");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0xc8, "boot_params layout");

struct e820 e820_map[MAX_E820];
unsigned int e820_count;
char cmdline[4096];
static const char *boot_problem;

/* Pointers from the VMM must stay inside the boot-time identity map. */
static bool addr_ok(uint64_t addr, uint64_t len)
{
	return addr && addr + len > addr && addr + len <= 0x100000000ULL;
}

static void copy_cmdline(uint64_t addr)
{
	if (!addr)
		return;
	if (!addr_ok(addr, 1)) {
		boot_problem = "cmdline pointer out of range";
		return;
	}
	size_t max = sizeof(cmdline) - 1;

	if (0x100000000ULL - addr < max)
		max = 0x100000000ULL - addr;
	size_t n = strnlen((const char *)addr, max);

	memcpy(cmdline, (const char *)addr, n);
	cmdline[n] = '\0';
}

static void read_pvh(const struct hvm_start_info *si)
{
	if (!addr_ok((uint64_t)si, sizeof(*si))) {
		boot_problem = "hvm_start_info pointer out of range";
		return;
	}
	if (si->magic != HVM_START_MAGIC) {
		boot_problem = "hvm_start_info bad magic";
		return;
	}
	copy_cmdline(si->cmdline_paddr);
	if (si->version < 1 || !si->memmap_entries)
		return;
	uint32_t n = si->memmap_entries;

	if (n > MAX_E820) {
		boot_problem = "too many memmap entries";
		n = MAX_E820;
	}
	if (!addr_ok(si->memmap_paddr, (uint64_t)n * sizeof(struct hvm_memmap_table_entry))) {
		boot_problem = "memmap pointer out of range";
		return;
	}
	const struct hvm_memmap_table_entry *m = (const void *)si->memmap_paddr;

	for (uint32_t i = 0; i < n; i++) {
		e820_map[i].addr = m[i].addr;
		e820_map[i].size = m[i].size;
		e820_map[i].type = m[i].type;
	}
	e820_count = n;
}

static void read_boot_params(const struct boot_params *bp)
{
	if (!addr_ok((uint64_t)bp, sizeof(*bp))) {
		boot_problem = "boot_params pointer out of range";
		return;
	}
	copy_cmdline(bp->hdr.cmd_line_ptr | ((uint64_t)bp->ext_cmd_line_ptr << 32));
	unsigned int n = bp->e820_entries;

	if (n > ARRAY_SIZE(bp->e820_table)) {
		boot_problem = "too many e820 entries";
		n = ARRAY_SIZE(bp->e820_table);
	}
	for (unsigned int i = 0; i < n; i++) {
		e820_map[i].addr = bp->e820_table[i].addr;
		e820_map[i].size = bp->e820_table[i].size;
		e820_map[i].type = bp->e820_table[i].type;
	}
	e820_count = n;
}

void boot_info_read(void)
{
	if (boot_mode == BOOT_PVH)
		read_pvh((const struct hvm_start_info *)boot_info_ptr);
	else
		read_boot_params((const struct boot_params *)boot_info_ptr);
}

bool e820_is_ram(uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < e820_count; i++) {
		const struct e820 *e = &e820_map[i];

		if (e->type == 1 && addr >= e->addr && addr + len <= e->addr + e->size)
			return true;
	}
	return false;
}

void boot_info_print(void)
{
	uint64_t ram = 0;

	gprintf("TESTGUEST boot=%s\n", boot_mode == BOOT_PVH ? "pvh" : "linux64");
	if (boot_problem)
		gprintf("boot: problem: %s\n", boot_problem);
	gprintf("cmdline: %s\n", cmdline);
	gprintf("e820: %u entries\n", e820_count);
	for (unsigned int i = 0; i < e820_count; i++) {
		const struct e820 *e = &e820_map[i];

		gprintf("e820: 0x%lx 0x%lx %u\n", e->addr, e->addr + e->size, e->type);
		if (e->type == 1)
			ram += e->size;
	}
	mptable_print();
	gprintf("ram: %lu\n", ram);
}
