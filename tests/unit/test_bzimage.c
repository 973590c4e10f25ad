// SPDX-License-Identifier: MIT
/*
 * Unit tests: bzImage validation and loading through boot_setup, with the real setup header of
 * Debian's 6.1 kernel and a small synthetic image, each corrupted one field at a time.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

#include "boot_images.h"

#define MiB (1024ULL * 1024)
#define DEBIAN_INIT_SIZE 0x3f98000ULL
#define DEBIAN_SETUP_SIZE (40 * 512)

static struct guest_mem gm;
static char err[256];
static struct boot_entry be;

static void ram(uint64_t size)
{
	ck_assert_int_eq(guest_mem_init(&gm, size), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

static int boot(struct test_image *img, const char *cmdline, const void *initrd, size_t initrd_size)
{
	struct boot_config bc = {
		.kernel = img->data, .kernel_size = img->size, .initrd = initrd,
		.initrd_size = initrd_size, .cmdline = cmdline, .nr_vcpus = 1,
	};

	err[0] = '\0';
	return boot_setup(&gm, &bc, &be, err, sizeof(err));
}

static void expect_error(struct test_image *img, const char *cmdline, size_t initrd_size,
			 const char *needle)
{
	void *initrd = initrd_size ? calloc(1, initrd_size) : NULL;

	ck_assert_int_eq(boot(img, cmdline, initrd, initrd_size), -1);
	ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	ck_assert_msg(!strchr(err, '\n'), "error has a newline: %s", err);
	free(initrd);
	test_image_free(img);
}

static struct boot_params *zero_page(void)
{
	return guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(struct boot_params));
}

START_TEST(debian_header_loads_at_pref_address)
{
	struct test_image img = test_bzimage_debian();
	static const char initrd[] = "070701 initrd contents";
	struct boot_params *bp;

	ram(256 * MiB);
	ck_assert_msg(boot(&img, "console=ttyS0", initrd, sizeof(initrd)) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_LINUX64);
	ck_assert_uint_eq(be.kernel_start, 16 * MiB);
	ck_assert_uint_eq(be.rip, 16 * MiB + 0x200);
	ck_assert_uint_eq(be.kernel_end, 16 * MiB + DEBIAN_INIT_SIZE);
	ck_assert_uint_eq(be.rsi, LAYOUT_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(be.cr3, LAYOUT_PML4_ADDR);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, 16 * MiB, img.size - DEBIAN_SETUP_SIZE),
				img.data + DEBIAN_SETUP_SIZE, img.size - DEBIAN_SETUP_SIZE), 0);
	/* initrd: page aligned, as high as possible below RAM end, above the kernel */
	ck_assert_uint_eq(be.initrd_addr, 256 * MiB - 0x1000);
	ck_assert_uint_eq(be.initrd_size, sizeof(initrd));
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, be.initrd_addr, sizeof(initrd)), initrd,
				sizeof(initrd)), 0);
	bp = zero_page();
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.setup_sects, 39);
	ck_assert_uint_eq(bp->hdr.init_size, DEBIAN_INIT_SIZE);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, be.initrd_addr);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	ck_assert_str_eq((char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR, 1), "console=ttyS0");
	test_image_free(&img);
}
END_TEST

START_TEST(debian_header_needs_80_mib)
{
	struct test_image img = test_bzimage_debian();

	ram(64 * MiB);
	expect_error(&img, "", 0, "kernel needs RAM up to 0x4f98000");
}
END_TEST

START_TEST(small_image_loads)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);

	ram(64 * MiB);
	ck_assert_msg(boot(&img, NULL, NULL, 0) == 0, "%s", err);
	ck_assert_uint_eq(be.rip, 16 * MiB + 0x200);
	ck_assert_uint_eq(be.kernel_end, 20 * MiB);
	ck_assert_uint_eq(be.initrd_addr, 0);
	ck_assert_uint_eq(zero_page()->hdr.ramdisk_image, 0);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, 16 * MiB, 0x10000), img.data + 5 * 512, 0x10000), 0);
	test_image_free(&img);
}
END_TEST

START_TEST(setup_sects_zero_means_four)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);

	test_bz_hdr(&img)->setup_sects = 0;
	ram(64 * MiB);
	ck_assert_msg(boot(&img, NULL, NULL, 0) == 0, "%s", err);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, 16 * MiB, 0x10000), img.data + 5 * 512, 0x10000), 0);
	test_image_free(&img);
}
END_TEST

START_TEST(not_relocatable_loads_at_1mib)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);

	test_bz_hdr(&img)->relocatable_kernel = 0;
	ram(64 * MiB);
	ck_assert_msg(boot(&img, NULL, NULL, 0) == 0, "%s", err);
	ck_assert_uint_eq(be.kernel_start, 1 * MiB);
	ck_assert_uint_eq(be.rip, 1 * MiB + 0x200);
	/* it still decompresses at pref_address (LOAD_PHYSICAL_ADDR) */
	ck_assert_uint_eq(be.kernel_end, 20 * MiB);
	test_image_free(&img);
}
END_TEST

START_TEST(misaligned_pref_address_loads_at_1mib)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);

	test_bz_hdr(&img)->pref_address = 16 * MiB + 0x1000;
	ram(64 * MiB);
	ck_assert_msg(boot(&img, NULL, NULL, 0) == 0, "%s", err);
	ck_assert_uint_eq(be.kernel_start, 1 * MiB);
	test_image_free(&img);
}
END_TEST

START_TEST(initrd_below_initrd_addr_max)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);
	static uint8_t initrd[5000];

	test_bz_hdr(&img)->initrd_addr_max = 0x1fffffff;
	ram(1024 * MiB);
	ck_assert_msg(boot(&img, NULL, initrd, sizeof(initrd)) == 0, "%s", err);
	ck_assert_uint_eq(be.initrd_addr, (0x20000000 - sizeof(initrd)) & ~0xfffULL);
	ck_assert_uint_eq(zero_page()->hdr.ramdisk_image, be.initrd_addr);
	test_image_free(&img);
}
END_TEST

START_TEST(initrd_fills_ram_exactly)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);
	size_t size = 64 * MiB - 20 * MiB;
	uint8_t *initrd = calloc(1, size);

	ram(64 * MiB);
	ck_assert_msg(boot(&img, NULL, initrd, size) == 0, "%s", err);
	ck_assert_uint_eq(be.initrd_addr, 20 * MiB);
	free(initrd);
	test_image_free(&img);
}
END_TEST

START_TEST(initrd_too_big)
{
	struct test_image img = test_bzimage_small(0x10000, 0x400000);

	ram(64 * MiB);
	expect_error(&img, NULL, 64 * MiB - 20 * MiB + 1, "initrd of 46137345 bytes does not fit below 0x4000000");
}
END_TEST

START_TEST(initrd_larger_than_ram)
{
	struct test_image img = test_bzimage_debian();

	ram(256 * MiB);
	expect_error(&img, NULL, 300 * MiB, "initrd of 314572800 bytes does not fit");
}
END_TEST

START_TEST(bad_magic)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	memcpy(img.data + 0x202, "HdrX", 4);
	img.data[0] = 0x4d;
	img.data[1] = 0x5a;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "not a bzImage or ELF kernel (magic 4d 5a 00 00");
}
END_TEST

START_TEST(old_protocol)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->version = 0x020b;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "boot protocol 2.11 is too old: the 64-bit entry needs 2.12");
}
END_TEST

START_TEST(no_kernel_64)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "no 64-bit entry point (xloadflags 0x0002 lacks XLF_KERNEL_64)");
}
END_TEST

START_TEST(not_loaded_high)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->loadflags = 0;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "lacks LOADED_HIGH");
}
END_TEST

START_TEST(truncated_setup)
{
	struct test_image img = test_bzimage_debian();

	img.size = 0x3000;
	ram(256 * MiB);
	expect_error(&img, NULL, 0, "truncated bzImage: header says 20480 bytes of setup, file has 12288");
}
END_TEST

START_TEST(truncated_kernel)
{
	struct test_image img = test_bzimage_debian();

	img.size = 4 * MiB;
	ram(256 * MiB);
	expect_error(&img, NULL, 0,
		     "truncated bzImage: header says 8225280 bytes of kernel after 20480 bytes of setup, file has 4194304");
}
END_TEST

START_TEST(setup_sects_huge)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->setup_sects = 255;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "truncated bzImage: header says 131072 bytes of setup, file has 6656");
}
END_TEST

START_TEST(syssize_zero)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->syssize = 0;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "syssize 0");
}
END_TEST

START_TEST(truncated_header)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	img.data[0x201] = 0x20;	/* header would end at 0x222, before init_size */
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "truncated bzImage setup header: 49 bytes");
}
END_TEST

START_TEST(file_ends_in_header)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	img.size = 0x208;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "truncated bzImage setup header: 23 bytes");
}
END_TEST

START_TEST(init_size_too_big)
{
	struct test_image img = test_bzimage_small(0x1000, 0x0f001000);

	ram(256 * MiB);
	expect_error(&img, NULL, 0,
		     "kernel needs RAM up to 0x10001000 (init_size 240 MiB at 0x1000000), but RAM below 4 GiB ends at 0x10000000");
}
END_TEST

START_TEST(init_size_too_big_for_3g)
{
	struct test_image img = test_bzimage_small(0x1000, 0xc0000000);

	/* RAM above 4 GiB does not help: init_size must fit below the PCI hole */
	ram(8192 * MiB);
	expect_error(&img, NULL, 0, "but RAM below 4 GiB ends at 0xc0000000");
}
END_TEST

START_TEST(init_size_zero)
{
	struct test_image img = test_bzimage_small(0x1000, 0);

	ram(64 * MiB);
	expect_error(&img, NULL, 0, "init_size 0");
}
END_TEST

START_TEST(bad_kernel_alignment)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);

	test_bz_hdr(&img)->kernel_alignment = 0x3000;
	ram(64 * MiB);
	expect_error(&img, NULL, 0, "invalid kernel_alignment 0x3000");
}
END_TEST

START_TEST(cmdline_limit)
{
	struct test_image img = test_bzimage_debian();
	char *cmdline = malloc(2049);

	memset(cmdline, 'a', 2048);
	cmdline[2047] = '\0';
	ram(256 * MiB);
	ck_assert_msg(boot(&img, cmdline, NULL, 0) == 0, "%s", err);
	ck_assert_str_eq((char *)guest_mem_ptr(&gm, LAYOUT_CMDLINE_ADDR, 2048), cmdline);
	cmdline[2047] = 'a';
	cmdline[2048] = '\0';
	expect_error(&img, cmdline, 0, "command line of 2048 bytes is longer than the kernel accepts (2047)");
	free(cmdline);
}
END_TEST

START_TEST(empty_and_tiny_files)
{
	struct test_image img = { .data = calloc(1, 16), .size = 0 };

	ram(64 * MiB);
	ck_assert_int_eq(boot(&img, NULL, NULL, 0), -1);
	ck_assert_str_eq(err, "file is empty");
	img.size = 3;
	expect_error(&img, NULL, 0, "not a bzImage or ELF kernel (file of 3 bytes)");
}
END_TEST

START_TEST(bad_vcpus_and_ram)
{
	struct test_image img = test_bzimage_small(0x1000, 0x400000);
	struct boot_config bc = { .kernel = img.data, .kernel_size = img.size, .nr_vcpus = 0 };

	ram(64 * MiB);
	ck_assert_int_eq(boot_setup(&gm, &bc, &be, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "0 vCPUs"), "%s", err);
	bc.nr_vcpus = 255;
	ck_assert_int_eq(boot_setup(&gm, &bc, &be, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "255 vCPUs"), "%s", err);
	guest_mem_destroy(&gm);
	ram(1 * MiB);
	bc.nr_vcpus = 1;
	ck_assert_int_eq(boot_setup(&gm, &bc, &be, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too small"), "%s", err);
	test_image_free(&img);
}
END_TEST

static Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *tc = tcase_create("bzimage");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, debian_header_loads_at_pref_address);
	tcase_add_test(tc, debian_header_needs_80_mib);
	tcase_add_test(tc, small_image_loads);
	tcase_add_test(tc, setup_sects_zero_means_four);
	tcase_add_test(tc, not_relocatable_loads_at_1mib);
	tcase_add_test(tc, misaligned_pref_address_loads_at_1mib);
	tcase_add_test(tc, initrd_below_initrd_addr_max);
	tcase_add_test(tc, initrd_fills_ram_exactly);
	tcase_add_test(tc, initrd_too_big);
	tcase_add_test(tc, initrd_larger_than_ram);
	tcase_add_test(tc, bad_magic);
	tcase_add_test(tc, old_protocol);
	tcase_add_test(tc, no_kernel_64);
	tcase_add_test(tc, not_loaded_high);
	tcase_add_test(tc, truncated_setup);
	tcase_add_test(tc, truncated_kernel);
	tcase_add_test(tc, setup_sects_huge);
	tcase_add_test(tc, syssize_zero);
	tcase_add_test(tc, truncated_header);
	tcase_add_test(tc, file_ends_in_header);
	tcase_add_test(tc, init_size_too_big);
	tcase_add_test(tc, init_size_too_big_for_3g);
	tcase_add_test(tc, init_size_zero);
	tcase_add_test(tc, bad_kernel_alignment);
	tcase_add_test(tc, cmdline_limit);
	tcase_add_test(tc, empty_and_tiny_files);
	tcase_add_test(tc, bad_vcpus_and_ram);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bzimage_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
