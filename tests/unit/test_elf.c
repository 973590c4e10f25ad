// SPDX-License-Identifier: MIT
/* Unit tests: ELF64 kernels (vmlinux-style 64-bit entry and Xen PVH note) through boot_setup. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

#include "boot_images.h"

#define MiB (1024ULL * 1024)

static struct guest_mem gm;
static char err[256];
static struct boot_entry be;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 64 * MiB), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

static int boot_initrd(struct test_image *img, const void *initrd, size_t initrd_size)
{
	struct boot_config bc = {
		.kernel = img->data, .kernel_size = img->size, .initrd = initrd,
		.initrd_size = initrd_size, .cmdline = "console=ttyS0", .nr_vcpus = 2,
	};

	err[0] = '\0';
	return boot_setup(&gm, &bc, &be, err, sizeof(err));
}

static int boot(struct test_image *img)
{
	return boot_initrd(img, NULL, 0);
}

static void expect_error(struct test_image *img, const char *needle)
{
	ck_assert_int_eq(boot(img), -1);
	ck_assert_msg(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
	test_image_free(img);
}

static Elf64_Ehdr *ehdr(struct test_image *img)
{
	return (Elf64_Ehdr *)img->data;
}

START_TEST(vmlinux_style_entry)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);
	struct boot_params *bp;
	uint8_t *seg = guest_mem_ptr(&gm, o.paddr, o.memsz);

	memset(seg, 0xff, o.memsz);	/* bss must come out zeroed */
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_LINUX64);
	ck_assert_uint_eq(be.rip, 0x100040);
	ck_assert_uint_eq(be.rsi, LAYOUT_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(be.cr3, LAYOUT_PML4_ADDR);
	ck_assert_uint_eq(be.kernel_start, 0x100000);
	ck_assert_uint_eq(be.kernel_end, 0x103000);
	ck_assert_int_eq(memcmp(seg, img.data + TEST_ELF_SEG_OFFSET, o.filesz), 0);
	for (uint32_t i = o.filesz; i < o.memsz; i++)
		ck_assert_uint_eq(seg[i], 0);
	bp = guest_mem_ptr(&gm, LAYOUT_ZERO_PAGE_ADDR, sizeof(*bp));
	ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.version, 0x020c);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	ck_assert_uint_eq(bp->hdr.kernel_alignment, 0x200000);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	ck_assert_uint_ge(bp->hdr.cmdline_size, strlen("console=ttyS0"));
	test_image_free(&img);
}
END_TEST

START_TEST(virtual_entry_translated)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.paddr = 0x1000000;
	o.vaddr = 0xffffffff81000000ULL;
	o.entry = o.vaddr + 0x80;
	img = test_elf(&o);
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_uint_eq(be.rip, 0x1000080);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, 0x1000000, o.filesz),
				img.data + TEST_ELF_SEG_OFFSET, o.filesz), 0);
	test_image_free(&img);
}
END_TEST

START_TEST(physical_entry_of_vmlinux)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	/* Linux's vmlinux: high virtual addresses, e_entry = physical startup_64 */
	o.paddr = 0x1000000;
	o.vaddr = 0xffffffff81000000ULL;
	o.entry = 0x1000000;
	img = test_elf(&o);
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_LINUX64);
	ck_assert_uint_eq(be.rip, 0x1000000);
	test_image_free(&img);
}
END_TEST

START_TEST(segment_above_4g_rejected)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	guest_mem_destroy(&gm);
	ck_assert_int_eq(guest_mem_init(&gm, 3 * 1024 * MiB + 64 * MiB), 0);
	o.paddr = 0x100000000ULL;
	o.entry = o.vaddr = o.paddr;
	img = test_elf(&o);
	expect_error(&img, "ELF segment 0 [0x100000000, +0x3000) is outside guest RAM below 4 GiB");
}
END_TEST

START_TEST(entry_outside_segments)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.entry = 0x200000;
	img = test_elf(&o);
	expect_error(&img, "ELF entry point 0x200000 is outside every loadable segment");
}
END_TEST

START_TEST(pvh_note_4_bytes)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.pvh_desc_size = 4;
	img = test_elf(&o);
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_PVH);
	ck_assert_uint_eq(be.rip, 0x100010);
	ck_assert_uint_eq(be.rbx, LAYOUT_PVH_INFO_ADDR);
	ck_assert_uint_eq(be.cr3, 0);
	ck_assert_uint_eq(be.gdt_base, LAYOUT_GDT_ADDR);
	test_image_free(&img);
}
END_TEST

START_TEST(pvh_note_8_bytes)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.pvh_desc_size = 8;
	o.pvh_entry = 0x100200;
	img = test_elf(&o);
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_PVH);
	ck_assert_uint_eq(be.rip, 0x100200);
	test_image_free(&img);
}
END_TEST

START_TEST(pvh_note_8_aligned)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	/* 8-byte aligned notes: name "Xen\0" padded to 8; descsz 8 */
	o.pvh_desc_size = 0;
	img = test_elf(&o);
	{
		Elf64_Phdr *note = test_elf_phdr(&img, 1);
		uint8_t *p = img.data + TEST_ELF_NOTE_OFFSET;
		Elf64_Nhdr xen = { .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
		uint64_t entry = 0x100100;

		memcpy(p, &xen, sizeof(xen));
		memcpy(p + 12, "Xen", 4);
		memset(p + 16, 0, 4);
		memcpy(p + 20, &entry, 8);
		note->p_align = 8;
		note->p_filesz = 28;
	}
	ck_assert_msg(boot(&img) == 0, "%s", err);
	ck_assert_int_eq(be.protocol, BOOT_PVH);
	ck_assert_uint_eq(be.rip, 0x100100);
	test_image_free(&img);
}
END_TEST

START_TEST(pvh_note_bad_size)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.pvh_desc_size = 2;
	img = test_elf(&o);
	expect_error(&img, "Xen PVH entry note has a 2-byte value (need 4 or 8)");
}
END_TEST

START_TEST(pvh_entry_outside_segments)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img;

	o.pvh_desc_size = 4;
	o.pvh_entry = 0x4000;
	img = test_elf(&o);
	expect_error(&img, "PVH entry point 0x4000 is outside every loadable segment");
}
END_TEST

START_TEST(note_malformed)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(img.data + TEST_ELF_NOTE_OFFSET);

	nh->n_descsz = 0xfffffff0;
	expect_error(&img, "malformed ELF note at file offset 0x800");
}
END_TEST

START_TEST(note_outside_file)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);

	test_elf_phdr(&img, 1)->p_offset = 0xffffffffffffff00ULL;
	expect_error(&img, "ELF segment 1 (offset 0xffffffffffffff00, 24 bytes) extends past the end");
}
END_TEST

START_TEST(initrd_at_top_of_ram)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);
	static const uint8_t initrd[3 * 4096 + 5] = { 1, 2, 3 };

	ck_assert_msg(boot_initrd(&img, initrd, sizeof(initrd)) == 0, "%s", err);
	ck_assert_uint_eq(be.initrd_addr, 64 * MiB - 4 * 4096);
	ck_assert_int_eq(memcmp(guest_mem_ptr(&gm, be.initrd_addr, sizeof(initrd)), initrd,
				sizeof(initrd)), 0);
	test_image_free(&img);
}
END_TEST

/* Malformed ELF headers: each case corrupts one field of a valid image. */
enum corruption {
	C_CLASS, C_DATA, C_VERSION, C_MACHINE, C_TYPE, C_PHENTSIZE, C_PHNUM0, C_PHNUM_BIG,
	C_PHOFF, C_PHOFF_OVERFLOW, C_FILESZ, C_OFFSET, C_LOW_PADDR, C_PADDR_RAM,
	C_PADDR_OVERFLOW, C_TRUNCATED, C_OVERLAP, C_NO_LOAD, C_COUNT
};

static const char *const corruption_msg[C_COUNT] = {
	[C_CLASS] = "ELF class 1 is not supported (need ELFCLASS64)",
	[C_DATA] = "ELF data encoding 2 is not little-endian",
	[C_VERSION] = "ELF version 0/1 is not EV_CURRENT",
	[C_MACHINE] = "ELF machine 3 is not x86_64 (62)",
	[C_TYPE] = "ELF type 3 is not an executable (ET_EXEC)",
	[C_PHENTSIZE] = "ELF e_phentsize 32 is not 56",
	[C_PHNUM0] = "ELF has 0 program headers (need 1 to 128)",
	[C_PHNUM_BIG] = "ELF has 1000 program headers (need 1 to 128)",
	[C_PHOFF] = "ELF program headers at offset 0x1400 (2 entries) extend past the end of the file (5120 bytes)",
	[C_PHOFF_OVERFLOW] = "ELF program headers at offset 0xfffffffffffffff8",
	[C_FILESZ] = "ELF segment 0 has p_filesz 16385 > p_memsz 16384",
	[C_OFFSET] = "ELF segment 0 (offset 0x1001, 1024 bytes) extends past the end of the file (5120 bytes)",
	[C_LOW_PADDR] = "ELF segment 0 at 0x80000 overlaps the boot structures below 1 MiB",
	[C_PADDR_RAM] = "ELF segment 0 [0x3fff000, +0x3000) is outside guest RAM below 4 GiB (ends at 0x4000000)",
	[C_PADDR_OVERFLOW] = "ELF segment 0 [0xfffffffffffff000, +0x3000) is outside guest RAM",
	[C_TRUNCATED] = "truncated ELF header: file has 40 bytes, need 64",
	[C_OVERLAP] = "ELF segments 0 and 1 overlap",
	[C_NO_LOAD] = "ELF has no loadable segment",
};

START_TEST(malformed)
{
	struct test_elf_opts o = test_elf_defaults();
	struct test_image img = test_elf(&o);
	Elf64_Phdr *load = test_elf_phdr(&img, 0), *note = test_elf_phdr(&img, 1);

	switch ((enum corruption)_i) {
	case C_CLASS: ehdr(&img)->e_ident[EI_CLASS] = ELFCLASS32; break;
	case C_DATA: ehdr(&img)->e_ident[EI_DATA] = ELFDATA2MSB; break;
	case C_VERSION: ehdr(&img)->e_ident[EI_VERSION] = 0; break;
	case C_MACHINE: ehdr(&img)->e_machine = EM_386; break;
	case C_TYPE: ehdr(&img)->e_type = ET_DYN; break;
	case C_PHENTSIZE: ehdr(&img)->e_phentsize = 32; break;
	case C_PHNUM0: ehdr(&img)->e_phnum = 0; break;
	case C_PHNUM_BIG: ehdr(&img)->e_phnum = 1000; break;
	case C_PHOFF: ehdr(&img)->e_phoff = img.size; break;
	case C_PHOFF_OVERFLOW: ehdr(&img)->e_phoff = 0xfffffffffffffff8ULL; break;
	case C_FILESZ: load->p_memsz = 0x4000; load->p_filesz = 0x4001; break;
	case C_OFFSET: load->p_offset = TEST_ELF_SEG_OFFSET + 1; break;
	case C_LOW_PADDR: load->p_paddr = 0x80000; break;
	case C_PADDR_RAM: load->p_paddr = 64 * MiB - 0x1000; break;
	case C_PADDR_OVERFLOW: load->p_paddr = 0xfffffffffffff000ULL; break;
	case C_TRUNCATED: img.size = 40; break;
	case C_OVERLAP:
		*note = *load;
		note->p_paddr += 0x2000;
		break;
	case C_NO_LOAD: load->p_type = PT_NULL; break;
	case C_COUNT: break;
	}
	expect_error(&img, corruption_msg[_i]);
}
END_TEST

static Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("elf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vmlinux_style_entry);
	tcase_add_test(tc, virtual_entry_translated);
	tcase_add_test(tc, physical_entry_of_vmlinux);
	tcase_add_test(tc, segment_above_4g_rejected);
	tcase_add_test(tc, entry_outside_segments);
	tcase_add_test(tc, pvh_note_4_bytes);
	tcase_add_test(tc, pvh_note_8_bytes);
	tcase_add_test(tc, pvh_note_8_aligned);
	tcase_add_test(tc, pvh_note_bad_size);
	tcase_add_test(tc, pvh_entry_outside_segments);
	tcase_add_test(tc, note_malformed);
	tcase_add_test(tc, note_outside_file);
	tcase_add_test(tc, initrd_at_top_of_ram);
	tcase_add_loop_test(tc, malformed, 0, C_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
