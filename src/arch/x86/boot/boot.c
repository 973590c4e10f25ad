// SPDX-License-Identifier: MIT
/*
 * boot_setup: validates the kernel (bzImage or ELF), places the command line and initrd, then
 * writes the GDT, identity page tables, kernel, initrd, MP table and zero page / PVH start info.
 */
#include <string.h>

#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"
#include "arch/x86/boot/loader.h"

#define PTE_PRESENT 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL		/* 2 MiB page in a PD entry */
#define PT_ENTRIES 512
#define PD_COUNT 4		/* 4 x 1 GiB */
#define PAGE_2M 0x200000ULL

/* Flat segments: base 0, limit 0xfffff pages, present, DPL 0. */
static const uint64_t boot_gdt[BOOT_GDT_ENTRIES] = {
	0,
	0x00cf9b000000ffffULL,	/* 0x08: 32-bit code, D=1 */
	0x00af9b000000ffffULL,	/* 0x10: 64-bit code, L=1 */
	0x00cf93000000ffffULL,	/* 0x18: data, read/write */
};

static int write_gdt(struct guest_mem *gm, struct boot_entry *out)
{
	out->gdt_base = LAYOUT_GDT_ADDR;
	out->gdt_limit = sizeof(boot_gdt) - 1;
	return guest_mem_write(gm, LAYOUT_GDT_ADDR, boot_gdt, sizeof(boot_gdt));
}

/* PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs of 2 MiB pages: identity map of [0, 4 GiB). */
static int write_page_tables(struct guest_mem *gm, struct boot_entry *out)
{
	uint64_t *pml4 = guest_mem_ptr(gm, LAYOUT_PML4_ADDR, BOOT_PAGE_SIZE);
	uint64_t *pdpt = guest_mem_ptr(gm, LAYOUT_PDPT_ADDR, BOOT_PAGE_SIZE);
	uint64_t *pd = guest_mem_ptr(gm, LAYOUT_PD_ADDR, PD_COUNT * BOOT_PAGE_SIZE);

	if (!pml4 || !pdpt || !pd)
		return -1;
	memset(pml4, 0, BOOT_PAGE_SIZE);
	memset(pdpt, 0, BOOT_PAGE_SIZE);
	pml4[0] = LAYOUT_PDPT_ADDR | PTE_PRESENT | PTE_RW;
	for (unsigned int i = 0; i < PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD_ADDR + i * BOOT_PAGE_SIZE) | PTE_PRESENT | PTE_RW;
	for (unsigned int i = 0; i < PD_COUNT * PT_ENTRIES; i++)
		pd[i] = (i * PAGE_2M) | PTE_PRESENT | PTE_RW | PTE_PS;
	out->cr3 = LAYOUT_PML4_ADDR;
	return 0;
}

static int check_config(const struct guest_mem *gm, const struct boot_config *bc, char *err,
			size_t errlen)
{
	if (!bc->kernel || bc->kernel_size == 0)
		return err_fmt(err, errlen, -1, "file is empty");
	if (!bc->initrd && bc->initrd_size)
		return err_fmt(err, errlen, -1, "initrd of %zu bytes has no data", bc->initrd_size);
	if (bc->nr_vcpus == 0 || bc->nr_vcpus > BOOT_MAX_VCPUS)
		return err_fmt(err, errlen, -1, "%u vCPUs: the MP table describes 1 to %u",
				bc->nr_vcpus, BOOT_MAX_VCPUS);
	if (boot_low_ram_end(gm) <= LAYOUT_HIGH_MEM_START)
		return err_fmt(err, errlen, -1, "guest RAM of %llu bytes is too small to boot a kernel",
				(unsigned long long)gm->size);
	return 0;
}

static int parse_kernel(const struct guest_mem *gm, const struct boot_config *bc,
			struct kernel_image *ki, char *err, size_t errlen)
{
	const uint8_t *k = bc->kernel;

	if (bzimage_detect(k, bc->kernel_size))
		return bzimage_parse(gm, bc, ki, err, errlen);
	if (elf_detect(k, bc->kernel_size))
		return elf_parse(gm, bc, ki, err, errlen);
	if (bc->kernel_size < 4)
		return err_fmt(err, errlen, -1, "not a bzImage or ELF kernel (file of %zu bytes)",
				bc->kernel_size);
	return err_fmt(err, errlen, -1,
			"not a bzImage or ELF kernel (magic %02x %02x %02x %02x, no \"HdrS\" at 0x202)",
			k[0], k[1], k[2], k[3]);
}

/* Highest page-aligned address below min(limit, low RAM end) and above the kernel. */
static int place_initrd(const struct guest_mem *gm, const struct boot_config *bc,
			const struct kernel_image *ki, uint64_t *addr, char *err, size_t errlen)
{
	uint64_t limit = ki->initrd_limit, low_end = boot_low_ram_end(gm);
	uint64_t kernel_end = (ki->end + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);

	*addr = 0;
	if (!bc->initrd_size)
		return 0;
	if (limit > low_end)
		limit = low_end;
	if (bc->initrd_size > limit || ((limit - bc->initrd_size) & ~(BOOT_PAGE_SIZE - 1)) < kernel_end)
		return err_fmt(err, errlen, -1,
				"initrd of %zu bytes does not fit below 0x%llx above the kernel (which ends at 0x%llx)",
				bc->initrd_size, (unsigned long long)limit,
				(unsigned long long)kernel_end);
	*addr = (limit - bc->initrd_size) & ~(BOOT_PAGE_SIZE - 1);
	return 0;
}

static int write_cmdline(struct guest_mem *gm, const char *cmdline, size_t len)
{
	uint8_t *p = guest_mem_ptr(gm, LAYOUT_CMDLINE_ADDR, LAYOUT_CMDLINE_MAX);

	if (!p)
		return -1;
	memset(p, 0, LAYOUT_CMDLINE_MAX);
	memcpy(p, cmdline, len);
	return 0;
}

static int write_all(struct guest_mem *gm, const struct boot_config *bc,
		     const struct kernel_image *ki, const char *cmdline, size_t cmdline_len,
		     struct boot_entry *out, char *err, size_t errlen)
{
	int ret;

	if (write_gdt(gm, out) || write_cmdline(gm, cmdline, cmdline_len))
		return err_fmt(err, errlen, -1, "guest RAM too small for the boot structures");
	if (mptable_setup(gm, bc->nr_vcpus, err, errlen))
		return -1;
	if (bc->initrd_size && guest_mem_write(gm, out->initrd_addr, bc->initrd, bc->initrd_size))
		return err_fmt(err, errlen, -1, "cannot copy the initrd to 0x%llx",
				(unsigned long long)out->initrd_addr);
	if (ki->protocol == BOOT_PVH) {
		ret = elf_load(gm, bc);
		if (!ret)
			ret = pvh_setup(gm, out->initrd_addr, bc->initrd_size);
		out->rbx = LAYOUT_PVH_INFO_ADDR;
	} else {
		ret = ki->has_setup_header ? bzimage_load(gm, bc, ki) : elf_load(gm, bc);
		if (!ret)
			ret = write_page_tables(gm, out);
		if (!ret)
			ret = zero_page_setup(gm, ki, out->initrd_addr, bc->initrd_size);
		out->rsi = LAYOUT_ZERO_PAGE_ADDR;
	}
	if (ret)
		return err_fmt(err, errlen, -1, "cannot write the kernel into guest RAM");
	return 0;
}

int boot_setup(struct guest_mem *gm, const struct boot_config *bc, struct boot_entry *out,
	       char *err, size_t errlen)
{
	const char *cmdline = bc->cmdline ? bc->cmdline : "";
	size_t cmdline_len = strlen(cmdline);
	struct kernel_image ki;
	uint64_t initrd_addr;

	memset(out, 0, sizeof(*out));
	memset(&ki, 0, sizeof(ki));
	if (check_config(gm, bc, err, errlen) || parse_kernel(gm, bc, &ki, err, errlen))
		return -1;
	if (cmdline_len >= LAYOUT_CMDLINE_MAX || cmdline_len > ki.cmdline_max)
		return err_fmt(err, errlen, -1,
				"command line of %zu bytes is longer than the kernel accepts (%llu)",
				cmdline_len,
				(unsigned long long)(ki.cmdline_max < LAYOUT_CMDLINE_MAX - 1 ?
						     ki.cmdline_max : LAYOUT_CMDLINE_MAX - 1));
	if (place_initrd(gm, bc, &ki, &initrd_addr, err, errlen))
		return -1;

	out->protocol = ki.protocol;
	out->rip = ki.entry;
	out->kernel_start = ki.start;
	out->kernel_end = ki.end;
	out->initrd_addr = initrd_addr;
	out->initrd_size = bc->initrd_size;
	return write_all(gm, bc, &ki, cmdline, cmdline_len, out, err, errlen);
}
