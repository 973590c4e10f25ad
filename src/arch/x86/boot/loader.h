/* SPDX-License-Identifier: MIT */
/*
 * Private interface between boot.c and the kernel loaders (bzimage.c, elf_loader.c, pvh.c).
 * loader.c holds the helpers they share, so calls go one way: boot.c -> loaders -> loader.c.
 * Each loader first parses and validates the whole image against guest RAM (nothing written),
 * then, once boot.c has also placed the command line and initrd, copies it into guest RAM.
 */
#ifndef MICROVM_LOADER_H
#define MICROVM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "mm/guest_mem.h"
#include "util/err.h"
#include "arch/x86/boot/boot.h"

#define BOOT_PAGE_SIZE 0x1000ULL

/* What a loader found in the image. */
struct kernel_image {
	enum boot_protocol protocol;
	uint64_t entry;
	uint64_t start, end;		/* guest-physical range the kernel needs */
	uint64_t initrd_limit;		/* the initrd must end at or below this address */
	uint64_t cmdline_max;		/* longest accepted command line, NUL excluded */
	/* bzImage only */
	bool has_setup_header;
	struct setup_header hdr;	/* the image's setup header, zero-padded */
	uint64_t setup_size;		/* file offset of the protected-mode kernel */
};

/* End of RAM below 4 GiB (0 when there is none). */
uint64_t boot_low_ram_end(const struct guest_mem *gm);

bool bzimage_detect(const uint8_t *k, size_t size);
int bzimage_parse(const struct guest_mem *gm, const struct boot_config *bc,
		  struct kernel_image *ki, char *err, size_t errlen);
int bzimage_load(struct guest_mem *gm, const struct boot_config *bc, const struct kernel_image *ki);

bool elf_detect(const uint8_t *k, size_t size);
int elf_parse(const struct guest_mem *gm, const struct boot_config *bc, struct kernel_image *ki,
	      char *err, size_t errlen);
int elf_load(struct guest_mem *gm, const struct boot_config *bc);

/* Zero page for BOOT_LINUX64 at LAYOUT_ZERO_PAGE_ADDR: the image's setup header or a minimal one. */
int zero_page_setup(struct guest_mem *gm, const struct kernel_image *ki, uint64_t initrd_addr,
		    uint64_t initrd_size);

/* hvm_start_info + module list + memory map at LAYOUT_PVH_INFO_ADDR for BOOT_PVH. */
int pvh_setup(struct guest_mem *gm, uint64_t initrd_addr, uint64_t initrd_size);

#endif
