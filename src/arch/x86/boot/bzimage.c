// SPDX-License-Identifier: MIT
/*
 * bzImage through the 64-bit boot protocol (Documentation/arch/x86/boot.rst), and the zero page
 * (struct boot_params) that both the bzImage and the ELF vmlinux 64-bit entries receive in RSI.
 */
#include <stddef.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/boot/loader.h"

#define SETUP_HDR_OFFSET 0x1f1
#define SETUP_MAGIC_OFFSET 0x202
#define SETUP_JUMP_END_OFFSET 0x201	/* the header ends at 0x202 + this byte */
#define SETUP_HDR_MAGIC 0x53726448	/* "HdrS" */
#define SETUP_BOOT_FLAG 0xaa55
#define BOOT_PROTO_64BIT 0x020c		/* 2.12: XLF_KERNEL_64 */
#define SECTOR_SIZE 512
#define DEFAULT_SETUP_SECTS 4
#define ENTRY64_OFFSET 0x200		/* startup_64 from the protected-mode load address */
#define LOADER_TYPE_UNDEFINED 0xff
#define HEAP_END_PTR 0xfe00
#define ELF_KERNEL_ALIGN 0x200000

bool bzimage_detect(const uint8_t *k, size_t size)
{
	return size >= SETUP_MAGIC_OFFSET + 4 && memcmp(k + SETUP_MAGIC_OFFSET, "HdrS", 4) == 0;
}

/* Copies the setup header (0x1f1 up to 0x202 + byte at 0x201, bounded by the file). */
static int read_header(const struct boot_config *bc, struct kernel_image *ki, char *err,
		       size_t errlen)
{
	size_t len = SETUP_MAGIC_OFFSET + bc->kernel[SETUP_JUMP_END_OFFSET] - SETUP_HDR_OFFSET;
	size_t need = offsetof(struct setup_header, handover_offset);
	uint16_t version = 0;

	if (len > sizeof(ki->hdr))
		len = sizeof(ki->hdr);
	if (len > bc->kernel_size - SETUP_HDR_OFFSET)
		len = bc->kernel_size - SETUP_HDR_OFFSET;
	if (bc->kernel_size >= SETUP_MAGIC_OFFSET + 6)
		memcpy(&version, bc->kernel + SETUP_MAGIC_OFFSET + 4, sizeof(version));
	if (version < BOOT_PROTO_64BIT)
		return err_fmt(err, errlen, -1,
				"bzImage boot protocol %u.%02u is too old: the 64-bit entry needs 2.12 or later",
				version >> 8, version & 0xff);
	if (len < need)
		return err_fmt(err, errlen, -1,
				"truncated bzImage setup header: %zu bytes, protocol %u.%02u needs %zu",
				len, version >> 8, version & 0xff, need);
	memcpy(&ki->hdr, bc->kernel + SETUP_HDR_OFFSET, len);
	return 0;
}

static int check_sizes(const struct boot_config *bc, struct kernel_image *ki, char *err,
		       size_t errlen)
{
	const struct setup_header *h = &ki->hdr;
	uint64_t sects = h->setup_sects ? h->setup_sects : DEFAULT_SETUP_SECTS;
	uint64_t pm_size;

	ki->setup_size = (sects + 1) * SECTOR_SIZE;
	if (ki->setup_size >= bc->kernel_size)
		return err_fmt(err, errlen, -1, "truncated bzImage: header says %llu bytes of setup, file has %zu",
				(unsigned long long)ki->setup_size, bc->kernel_size);
	pm_size = bc->kernel_size - ki->setup_size;
	if (h->syssize == 0)
		return err_fmt(err, errlen, -1, "bzImage header has syssize 0 (no protected-mode kernel)");
	if ((uint64_t)h->syssize * 16 > pm_size)
		return err_fmt(err, errlen, -1,
				"truncated bzImage: header says %llu bytes of kernel after %llu bytes of setup, file has %zu",
				(unsigned long long)h->syssize * 16,
				(unsigned long long)ki->setup_size, bc->kernel_size);
	return 0;
}

static int check_flags(const struct kernel_image *ki, char *err, size_t errlen)
{
	const struct setup_header *h = &ki->hdr;

	if (!(h->loadflags & LOADED_HIGH))
		return err_fmt(err, errlen, -1,
				"zImage kernels are not supported (loadflags 0x%02x lacks LOADED_HIGH)",
				h->loadflags);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return err_fmt(err, errlen, -1,
				"bzImage has no 64-bit entry point (xloadflags 0x%04x lacks XLF_KERNEL_64)",
				h->xloadflags);
	if (h->relocatable_kernel &&
	    (h->kernel_alignment < BOOT_PAGE_SIZE || (h->kernel_alignment & (h->kernel_alignment - 1))))
		return err_fmt(err, errlen, -1, "bzImage has an invalid kernel_alignment 0x%x",
				h->kernel_alignment);
	if (h->init_size == 0)
		return err_fmt(err, errlen, -1, "bzImage header has init_size 0");
	return 0;
}

/*
 * Load at pref_address when the kernel is relocatable and it is suitably aligned, else at 1 MiB.
 * The kernel decompresses itself to max(load address aligned up, pref_address) (head_64.S with
 * LOAD_PHYSICAL_ADDR == pref_address) and needs init_size bytes from there.
 */
static int place_kernel(const struct guest_mem *gm, const struct boot_config *bc,
			struct kernel_image *ki, char *err, size_t errlen)
{
	const struct setup_header *h = &ki->hdr;
	uint64_t low_end = boot_low_ram_end(gm), pm_size = bc->kernel_size - ki->setup_size;
	uint64_t load = LAYOUT_HIGH_MEM_START, run, end, pref = h->pref_address;

	if (h->relocatable_kernel && pref >= LAYOUT_HIGH_MEM_START &&
	    !(pref & (h->kernel_alignment - 1)) && pref < low_end && pm_size <= low_end - pref)
		load = pref;
	run = load;
	if (h->relocatable_kernel)
		run = (load + h->kernel_alignment - 1) & ~((uint64_t)h->kernel_alignment - 1);
	if (pref > run && pref < LAYOUT_HIGH_RAM_START)
		run = pref;
	end = run + h->init_size;
	if (load + pm_size > end)
		end = load + pm_size;
	if (end > low_end)
		return err_fmt(err, errlen, -1,
				"kernel needs RAM up to 0x%llx (init_size %u MiB at 0x%llx), but RAM below 4 GiB ends at 0x%llx",
				(unsigned long long)end, h->init_size >> 20, (unsigned long long)run,
				(unsigned long long)low_end);
	ki->start = load;
	ki->end = end;
	ki->entry = load + ENTRY64_OFFSET;
	return 0;
}

int bzimage_parse(const struct guest_mem *gm, const struct boot_config *bc,
		  struct kernel_image *ki, char *err, size_t errlen)
{
	if (read_header(bc, ki, err, errlen) || check_sizes(bc, ki, err, errlen) ||
	    check_flags(ki, err, errlen) || place_kernel(gm, bc, ki, err, errlen))
		return -1;
	ki->protocol = BOOT_LINUX64;
	ki->has_setup_header = true;
	ki->initrd_limit = (uint64_t)ki->hdr.initrd_addr_max + 1;
	ki->cmdline_max = ki->hdr.cmdline_size;
	return 0;
}

int bzimage_load(struct guest_mem *gm, const struct boot_config *bc, const struct kernel_image *ki)
{
	return guest_mem_write(gm, ki->start, bc->kernel + ki->setup_size,
			       bc->kernel_size - ki->setup_size);
}

/* ELF vmlinux: no setup header in the image, so give the kernel a minimal 2.12 one. */
static void minimal_header(struct setup_header *h)
{
	h->boot_flag = SETUP_BOOT_FLAG;
	h->header = SETUP_HDR_MAGIC;
	h->version = BOOT_PROTO_64BIT;
	h->loadflags = LOADED_HIGH;
	h->kernel_alignment = ELF_KERNEL_ALIGN;
	h->cmdline_size = LAYOUT_CMDLINE_MAX - 1;
}

int zero_page_setup(struct guest_mem *gm, const struct kernel_image *ki, uint64_t initrd_addr,
		    uint64_t initrd_size)
{
	struct boot_params *bp = guest_mem_ptr(gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	int n;

	if (!bp)
		return -1;
	memset(bp, 0, sizeof(*bp));
	if (ki->has_setup_header)
		bp->hdr = ki->hdr;
	else
		minimal_header(&bp->hdr);
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = HEAP_END_PTR;
	bp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE_ADDR >> 32);
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	n = e820_build(gm, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0)
		return -1;
	bp->e820_entries = (uint8_t)n;
	return 0;
}
