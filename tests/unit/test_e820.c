// SPDX-License-Identifier: MIT
/* Unit tests: the e820 map for several RAM sizes, around the PCI hole and above 4 GiB. */
#include <asm/e820.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

struct want {
	uint64_t addr, size;
	uint32_t type;
};

/* The ECAM is reserved so that Linux accepts the MCFG. */
#define ECAM { LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE, E820_RESERVED }

static const struct want legacy[3] = {
	{ 0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xe0000, 0x20000, E820_RESERVED },	/* ACPI tables, BIOS area */
};

static void check_map(uint64_t ram, const struct want *rest, int nr_rest)
{
	struct guest_mem gm;
	struct boot_e820_entry tab[16];
	uint64_t total = 0;
	int n;

	ck_assert_int_eq(guest_mem_init(&gm, ram), 0);
	n = e820_build(&gm, tab, 16);
	ck_assert_int_eq(n, 3 + nr_rest);
	for (int i = 0; i < n; i++) {
		const struct want *w = i < 3 ? &legacy[i] : &rest[i - 3];

		ck_assert_msg(tab[i].addr == w->addr && tab[i].size == w->size && tab[i].type == w->type,
			      "RAM %llu: entry %d is [0x%llx, +0x%llx) type %u, want [0x%llx, +0x%llx) type %u",
			      (unsigned long long)ram, i, (unsigned long long)tab[i].addr,
			      (unsigned long long)tab[i].size, tab[i].type, (unsigned long long)w->addr,
			      (unsigned long long)w->size, w->type);
		if (i > 0)
			ck_assert_uint_ge(tab[i].addr, tab[i - 1].addr + tab[i - 1].size);
		if (tab[i].type == E820_RAM) {
			ck_assert_ptr_nonnull(guest_mem_ptr(&gm, tab[i].addr, tab[i].size));
			total += tab[i].size;
		}
	}
	/* all RAM is listed except the EBDA and the 1 MiB legacy hole */
	ck_assert_uint_eq(total, ram - (LAYOUT_HIGH_MEM_START - LAYOUT_EBDA_ADDR));
	/* too small a table is an error, never a truncated map */
	ck_assert_int_eq(e820_build(&gm, tab, (unsigned int)n - 1), -1);
	guest_mem_destroy(&gm);
}

START_TEST(ram_16m)
{
	static const struct want w[] = { { MiB, 15 * MiB, E820_RAM }, ECAM };

	check_map(16 * MiB, w, 2);
}
END_TEST

START_TEST(ram_256m)
{
	static const struct want w[] = { { MiB, 255 * MiB, E820_RAM }, ECAM };

	check_map(256 * MiB, w, 2);
}
END_TEST

START_TEST(ram_3g)
{
	static const struct want w[] = { { MiB, 3 * GiB - MiB, E820_RAM }, ECAM };

	check_map(3 * GiB, w, 2);
}
END_TEST

START_TEST(ram_3g_4k)
{
	static const struct want w[] = {
		{ MiB, 3 * GiB - MiB, E820_RAM },
		ECAM,
		{ 4 * GiB, 4096, E820_RAM },
	};

	check_map(3 * GiB + 4096, w, 3);
}
END_TEST

START_TEST(ram_8g)
{
	static const struct want w[] = {
		{ MiB, 3 * GiB - MiB, E820_RAM },
		ECAM,
		{ 4 * GiB, 5 * GiB, E820_RAM },
	};

	check_map(8 * GiB, w, 3);
}
END_TEST

START_TEST(no_ram_above_pci_hole)
{
	struct guest_mem gm;
	struct boot_e820_entry tab[16];
	int n;

	ck_assert_int_eq(guest_mem_init(&gm, 8 * GiB), 0);
	n = e820_build(&gm, tab, 16);
	for (int i = 0; i < n; i++) {
		uint64_t end = tab[i].addr + tab[i].size;

		if (tab[i].type == E820_RAM)
			ck_assert(end <= LAYOUT_PCI_MMIO32_BASE || tab[i].addr >= LAYOUT_HIGH_RAM_START);
	}
	guest_mem_destroy(&gm);
}
END_TEST

static Suite *e820_suite(void)
{
	Suite *s = suite_create("e820");
	TCase *tc = tcase_create("e820");

	tcase_add_test(tc, ram_16m);
	tcase_add_test(tc, ram_256m);
	tcase_add_test(tc, ram_3g);
	tcase_add_test(tc, ram_3g_4k);
	tcase_add_test(tc, ram_8g);
	tcase_add_test(tc, no_ram_above_pci_hole);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(e820_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
