// SPDX-License-Identifier: MIT
/*
 * Unit tests: what boot_setup leaves in guest RAM for the vCPU code and the kernel: GDT, page
 * tables, zero page (cmd_line_ptr, ramdisk, e820), hvm_start_info for PVH, MP table.
 */
#include <asm/e820.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

#include "boot_images.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)
#define CMDLINE "console=ttyS0 reboot=k panic=-1 \"quoted arg\""

/* Xen ABI (start_info.h), as the guest reads it. */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static struct guest_mem gm;
static char err[256];
static struct boot_entry be;
static uint8_t initrd[10000];

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

static void boot_ok(uint64_t ram, struct test_image *img, unsigned int nr_vcpus)
{
	struct boot_config bc = {
		.kernel = img->data, .kernel_size = img->size, .initrd = initrd,
		.initrd_size = sizeof(initrd), .cmdline = CMDLINE, .nr_vcpus = nr_vcpus,
	};

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(guest_mem_init(&gm, ram), 0);
	ck_assert_msg(boot_setup(&gm, &bc, &be, err, sizeof(err)) == 0, "%s", err);
}

static void check_e820(const struct boot_e820_entry *got, unsigned int n)
{
	struct boot_e820_entry want[16];
	int nw = e820_build(&gm, want, 16);

	ck_assert_int_eq((int)n, nw);
	ck_assert_int_eq(memcmp(got, want, n * sizeof(want[0])), 0);
}

static void check_common(void)
{
	uint64_t gdt[BOOT_GDT_ENTRIES];

	ck_assert_uint_eq(be.gdt_base, LAYOUT_GDT_ADDR);
	ck_assert_uint_eq(be.gdt_limit, BOOT_GDT_ENTRIES * 8 - 1);
	ck_assert_int_eq(guest_mem_read(&gm, LAYOUT_GDT_ADDR, gdt, sizeof(gdt)), 0);
	ck_assert_uint_eq(gdt[0], 0);
	ck_assert_uint_eq(gdt[BOOT_GDT_CODE32 / 8], 0x00cf9b000000ffffULL);
	ck_assert_uint_eq(gdt[BOOT_GDT_CODE64 / 8], 0x00af9b000000ffffULL);
	ck_assert_uint_eq(gdt[BOOT_GDT_DATA / 8], 0x00cf93000000ffffULL);
	ck_assert_str_eq((char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR, sizeof(CMDLINE)), CMDLINE);
	ck_assert_uint_eq(be.initrd_size, sizeof(initrd));
	ck_assert_uint_eq(be.initrd_addr & 0xfff, 0);
	ck_assert_uint_ge(be.initrd_addr, be.kernel_end);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, be.initrd_addr, sizeof(initrd)), initrd,
				sizeof(initrd)), 0);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, LAYOUT_EBDA_ADDR, 4), "_MP_", 4), 0);
}

static void check_page_tables(void)
{
	const uint64_t *pml4 = guest_mem_ptr(&gm, LAYOUT_PML4_ADDR, 4096);
	const uint64_t *pdpt = guest_mem_ptr(&gm, LAYOUT_PDPT_ADDR, 4096);
	const uint64_t *pd = guest_mem_ptr(&gm, LAYOUT_PD_ADDR, 4 * 4096);

	ck_assert_uint_eq(be.cr3, LAYOUT_PML4_ADDR);
	ck_assert_uint_eq(pml4[0], LAYOUT_PDPT_ADDR | 3);
	for (int i = 1; i < 512; i++)
		ck_assert_uint_eq(pml4[i], 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(pdpt[i], (LAYOUT_PD_ADDR + i * 4096ULL) | 3);
	ck_assert_uint_eq(pdpt[4], 0);
	/* 2048 2 MiB pages map [0, 4 GiB) one to one */
	for (uint64_t i = 0; i < 2048; i++)
		ck_assert_uint_eq(pd[i], (i << 21) | 0x83);
}

START_TEST(bzimage_zero_page)
{
	struct test_image img = test_bzimage_small(0x20000, 0x800000);
	struct boot_params *bp;

	boot_ok(256 * MiB, &img, 2);
	check_common();
	check_page_tables();
	ck_assert_uint_eq(be.rsi, LAYOUT_ZERO_PAGE_ADDR);
	bp = guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, be.initrd_addr);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert(bp->hdr.loadflags & CAN_USE_HEAP);
	ck_assert_uint_ne(bp->hdr.heap_end_ptr, 0);
	ck_assert_uint_eq(bp->sentinel, 0);
	check_e820(bp->e820_table, bp->e820_entries);
	ck_assert_uint_eq(bp->e820_entries, 5);	/* + the reserved ECAM */
	ck_assert_uint_eq(bp->e820_table[3].addr + bp->e820_table[3].size, 256 * MiB);
	test_image_free(&img);
}
END_TEST

START_TEST(bzimage_8g_e820_and_initrd_below_4g)
{
	struct test_image img = test_bzimage_small(0x20000, 0x800000);
	struct boot_params *bp;

	boot_ok(8 * GiB, &img, 4);
	bp = guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->e820_entries, 6);
	ck_assert_uint_eq(bp->e820_table[5].addr, 4 * GiB);
	ck_assert_uint_eq(bp->e820_table[5].size, 5 * GiB);
	ck_assert_uint_eq(bp->e820_table[5].type, E820_RAM);
	/* initrd_addr_max 0x7fffffff of the Debian header */
	ck_assert_uint_eq(be.initrd_addr, (0x80000000 - sizeof(initrd)) & ~0xfffULL);
	test_image_free(&img);
}
END_TEST

START_TEST(elf_zero_page)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);
	struct boot_params *bp;

	boot_ok(32 * MiB, &img, 1);
	check_common();
	check_page_tables();
	ck_assert_uint_eq(be.initrd_addr, (32 * MiB - sizeof(initrd)) & ~0xfffULL);
	bp = guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, be.initrd_addr);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	check_e820(bp->e820_table, bp->e820_entries);
	test_image_free(&img);
}
END_TEST

START_TEST(pvh_start_info)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	struct hvm_memmap_table_entry map[8];
	struct boot_e820_entry e820[8];
	int n;

	o.pvh_desc_size = 4;
	img = test_elf(&o);
	boot_ok(5 * GiB, &img, 2);
	check_common();
	ck_assert_int_eq(be.protocol, BOOT_PVH);
	ck_assert_uint_eq(be.rbx, LAYOUT_PVH_INFO_ADDR);
	ck_assert_int_eq(guest_mem_read(&gm, be.rbx, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.magic, 0x336ec578);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.flags, 0);
	ck_assert_uint_eq(si.cmdline_paddr, LAYOUT_CMDLINE_ADDR);
	ck_assert_uint_eq(si.rsdp_paddr, 0);
	ck_assert_uint_eq(si.nr_modules, 1);
	ck_assert_int_eq(guest_mem_read(&gm, si.modlist_paddr, &mod, sizeof(mod)), 0);
	ck_assert_uint_eq(mod.paddr, be.initrd_addr);
	ck_assert_uint_eq(mod.size, sizeof(initrd));
	ck_assert_uint_eq(mod.cmdline_paddr, 0);
	/* initrd at the top of RAM below the PCI hole */
	ck_assert_uint_eq(be.initrd_addr, (3 * GiB - sizeof(initrd)) & ~0xfffULL);
	n = e820_build(&gm, e820, 8);
	ck_assert_int_eq(n, 6);
	ck_assert_uint_eq(si.memmap_entries, (uint32_t)n);
	ck_assert_int_eq(guest_mem_read(&gm, si.memmap_paddr, map, n * sizeof(map[0])), 0);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(map[i].addr, e820[i].addr);
		ck_assert_uint_eq(map[i].size, e820[i].size);
		ck_assert_uint_eq(map[i].type, e820[i].type);
		ck_assert_uint_eq(map[i].reserved, 0);
	}
	/* none of it overlaps the zero page, the GDT or the command line */
	ck_assert_uint_le(si.memmap_paddr + n * sizeof(map[0]), LAYOUT_ZERO_PAGE_ADDR);
	ck_assert_uint_ge(si.modlist_paddr, LAYOUT_PVH_INFO_ADDR + sizeof(si));
	test_image_free(&img);
}
END_TEST

START_TEST(pvh_without_initrd)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;
	struct boot_config bc = { .nr_vcpus = 1 };
	struct hvm_start_info si;

	o.pvh_desc_size = 8;
	img = test_elf(&o);
	bc.kernel = img.data;
	bc.kernel_size = img.size;
	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB), 0);
	memset(guest_mem_ptr(&gm, LAYOUT_PVH_INFO_ADDR, 4096), 0xaa, 4096);
	ck_assert_msg(boot_setup(&gm, &bc, &be, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(guest_mem_read(&gm, be.rbx, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
	ck_assert_uint_eq(si.reserved, 0);
	ck_assert_uint_eq(*(char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR, 1), '\0');
	test_image_free(&img);
}
END_TEST

/* A second boot_setup on the same RAM (a reused VM, or the fuzzer) leaves no stale state. */
START_TEST(setup_twice_same_ram)
{
	struct test_image a = test_bzimage_small(0x20000, 0x800000);
	struct test_elf_opts o = test_elf_defaults();
	struct test_image b = test_elf(&o);
	struct boot_config bc = { .kernel = b.data, .kernel_size = b.size, .cmdline = "x",
				  .nr_vcpus = 1 };
	struct boot_params *bp;

	boot_ok(64 * MiB, &a, 2);
	ck_assert_msg(boot_setup(&gm, &bc, &be, err, sizeof(err)) == 0, "%s", err);
	bp = guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(bp->hdr.version, 0x020c);
	ck_assert_str_eq((char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR, 2), "x");
	ck_assert_uint_eq(*(char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR + 2, 1), '\0');
	test_image_free(&a);
	test_image_free(&b);
}
END_TEST

START_TEST(failed_setup_leaves_ram_untouched)
{
	struct test_image img = test_bzimage_small(0x20000, 0x800000);
	struct boot_config bc = { .kernel = img.data, .kernel_size = img.size, .nr_vcpus = 1,
				  .initrd = initrd, .initrd_size = 64 * MiB };
	uint8_t *low;

	/* validation happens before anything is written */
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB), 0);
	ck_assert_int_eq(boot_setup(&gm, &bc, &be, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "initrd of 67108864 bytes does not fit"), "%s", err);
	low = guest_mem_ptr(&gm, 0, 32 * MiB);
	for (uint64_t i = 0; i < 32 * MiB; i += 4096)
		ck_assert_uint_eq(low[i], 0);
	ck_assert_int_eq(memcmp(low, low + 1, 32 * MiB - 1), 0);
	test_image_free(&img);
}
END_TEST

static Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("boot");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bzimage_zero_page);
	tcase_add_test(tc, bzimage_8g_e820_and_initrd_below_4g);
	tcase_add_test(tc, elf_zero_page);
	tcase_add_test(tc, pvh_start_info);
	tcase_add_test(tc, pvh_without_initrd);
	tcase_add_test(tc, setup_twice_same_ram);
	tcase_add_test(tc, failed_setup_leaves_ram_untouched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(boot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
