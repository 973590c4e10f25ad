// SPDX-License-Identifier: MIT
/* e820 memory map of the guest, shared by the zero page and the PVH memory map. */
#include <asm/e820.h>

#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

static int e820_add(struct boot_e820_entry *tab, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return -1;
	tab[*n] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	(*n)++;
	return 0;
}

int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, unsigned int max)
{
	uint64_t low_end = 0;
	unsigned int n = 0;
	int ret = 0;

	if (gm->nr_regions > 0 && gm->regions[0].gpa == 0)
		low_end = gm->regions[0].size;
	/*
	 * Below the EBDA, then the reserved legacy areas (EBDA, ACPI tables and BIOS area), RAM from
	 * 1 MiB, the ECAM and RAM above 4 GiB.
	 */
	ret |= e820_add(tab, max, &n, 0, low_end < LAYOUT_EBDA_ADDR ? low_end : LAYOUT_EBDA_ADDR,
			E820_RAM);
	ret |= e820_add(tab, max, &n, LAYOUT_EBDA_ADDR, LAYOUT_LOW_MEM_END - LAYOUT_EBDA_ADDR,
			E820_RESERVED);
	ret |= e820_add(tab, max, &n, LAYOUT_ACPI_ADDR, LAYOUT_HIGH_MEM_START - LAYOUT_ACPI_ADDR,
			E820_RESERVED);
	if (low_end > LAYOUT_HIGH_MEM_START)
		ret |= e820_add(tab, max, &n, LAYOUT_HIGH_MEM_START,
				low_end - LAYOUT_HIGH_MEM_START, E820_RAM);
	/* The ECAM, so that Linux accepts the MCFG (it checks the MCFG region is reserved). */
	ret |= e820_add(tab, max, &n, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE, E820_RESERVED);
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		if (r->gpa != 0)
			ret |= e820_add(tab, max, &n, r->gpa, r->size, E820_RAM);
	}
	return ret ? -1 : (int)n;
}
