// SPDX-License-Identifier: MIT
/*
 * The helpers of loader.h that every loader uses (bzimage.c, elf_loader.c, mptable.c):
 * kept out of boot.c so that boot.c calls the loaders and the loaders never call back into it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "arch/x86/boot/loader.h"

uint64_t boot_low_ram_end(const struct guest_mem *gm)
{
	if (gm->nr_regions == 0 || gm->regions[0].gpa != 0)
		return 0;
	return gm->regions[0].size;
}
