// SPDX-License-Identifier: MIT
/*
 * Xen PVH start info (xen/include/public/arch-x86/hvm/start_info.h, version 1), which the PVH
 * entry receives in EBX: command line, the initrd as module 0 and the e820 memory map.
 * Layout at LAYOUT_PVH_INFO_ADDR: start info, module list, memory map, all inside one page.
 */
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/boot/loader.h"

#define HVM_START_MAGIC 0x336ec578
#define HVM_START_VERSION 1
#define PVH_MODLIST_OFFSET 0x40
#define PVH_MEMMAP_OFFSET 0x80
#define PVH_MAX_MEMMAP 16

/* The Xen ABI structs (not in the Linux UAPI headers). */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;	/* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;		/* e820 types */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(sizeof(struct hvm_start_info) <= PVH_MODLIST_OFFSET, "start info overlaps modlist");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry size");
_Static_assert(PVH_MODLIST_OFFSET + sizeof(struct hvm_modlist_entry) <= PVH_MEMMAP_OFFSET,
	       "modlist overlaps memmap");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");
_Static_assert(PVH_MEMMAP_OFFSET + PVH_MAX_MEMMAP * sizeof(struct hvm_memmap_table_entry) <=
	       LAYOUT_ZERO_PAGE_ADDR - LAYOUT_PVH_INFO_ADDR, "PVH info overlaps the zero page");

static int write_memmap(struct guest_mem *gm, uint32_t *entries)
{
	struct boot_e820_entry e820[PVH_MAX_MEMMAP];
	struct hvm_memmap_table_entry map[PVH_MAX_MEMMAP];
	int n = e820_build(gm, e820, PVH_MAX_MEMMAP);

	if (n < 0)
		return -1;
	memset(map, 0, sizeof(map));
	for (int i = 0; i < n; i++) {
		map[i].addr = e820[i].addr;
		map[i].size = e820[i].size;
		map[i].type = e820[i].type;
	}
	*entries = (uint32_t)n;
	return guest_mem_write(gm, LAYOUT_PVH_INFO_ADDR + PVH_MEMMAP_OFFSET, map,
			       (uint64_t)n * sizeof(map[0]));
}

int pvh_setup(struct guest_mem *gm, uint64_t initrd_addr, uint64_t initrd_size)
{
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = LAYOUT_CMDLINE_ADDR,
		.memmap_paddr = LAYOUT_PVH_INFO_ADDR + PVH_MEMMAP_OFFSET,
	};
	struct hvm_modlist_entry mod = { .paddr = initrd_addr, .size = initrd_size };
	void *page = guest_mem_ptr(gm, LAYOUT_PVH_INFO_ADDR, BOOT_PAGE_SIZE);

	if (!page)
		return -1;
	memset(page, 0, BOOT_PAGE_SIZE);
	if (initrd_size) {
		si.nr_modules = 1;
		si.modlist_paddr = LAYOUT_PVH_INFO_ADDR + PVH_MODLIST_OFFSET;
		if (guest_mem_write(gm, si.modlist_paddr, &mod, sizeof(mod)))
			return -1;
	}
	if (write_memmap(gm, &si.memmap_entries))
		return -1;
	return guest_mem_write(gm, LAYOUT_PVH_INFO_ADDR, &si, sizeof(si));
}
