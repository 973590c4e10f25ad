// SPDX-License-Identifier: MIT
/* Guest RAM: layout around the PCI hole, bounds-checked translation, memfd sharing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/guest_mem.h"
#include "arch/x86/layout.h"

START_TEST(test_small_layout)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 64 << 20), 0);
	ck_assert_uint_eq(gm.nr_regions, 1);
	ck_assert_uint_eq(gm.regions[0].gpa, 0);
	ck_assert_uint_eq(gm.regions[0].size, 64 << 20);
	ck_assert_uint_eq(guest_mem_end(&gm), 64 << 20);
	ck_assert(gm.fd >= 0);
	guest_mem_destroy(&gm);
	ck_assert_int_eq(gm.fd, -1);
}
END_TEST

START_TEST(test_split_above_4g)
{
	struct guest_mem gm;
	uint64_t size = LAYOUT_LOW_RAM_MAX + (1ULL << 30);

	ck_assert_int_eq(guest_mem_init(&gm, size), 0);
	ck_assert_uint_eq(gm.nr_regions, 2);
	ck_assert_uint_eq(gm.regions[0].size, LAYOUT_LOW_RAM_MAX);
	ck_assert_uint_eq(gm.regions[1].gpa, LAYOUT_HIGH_RAM_START);
	ck_assert_uint_eq(gm.regions[1].size, 1ULL << 30);
	ck_assert_uint_eq(gm.regions[1].fd_offset, LAYOUT_LOW_RAM_MAX);
	ck_assert_uint_eq(guest_mem_end(&gm), LAYOUT_HIGH_RAM_START + (1ULL << 30));
	/* the PCI hole is not RAM */
	ck_assert_ptr_null(guest_mem_ptr(&gm, LAYOUT_PCI_MMIO32_BASE, 1));
	ck_assert_ptr_null(guest_mem_ptr(&gm, LAYOUT_LOW_RAM_MAX - 4, 8));
	ck_assert_ptr_nonnull(guest_mem_ptr(&gm, LAYOUT_HIGH_RAM_START, 4096));
	guest_mem_destroy(&gm);
}
END_TEST

START_TEST(test_bounds)
{
	struct guest_mem gm;
	uint64_t size = 16 << 20;
	uint8_t buf[16];

	ck_assert_int_eq(guest_mem_init(&gm, size), 0);
	ck_assert_ptr_nonnull(guest_mem_ptr(&gm, size - 16, 16));
	ck_assert_ptr_null(guest_mem_ptr(&gm, size - 16, 17));
	ck_assert_ptr_nonnull(guest_mem_ptr(&gm, size, 0));
	ck_assert_ptr_null(guest_mem_ptr(&gm, size + 1, 0));
	/* overflowing ranges never wrap into RAM */
	ck_assert_ptr_null(guest_mem_ptr(&gm, 0x1000, UINT64_MAX));
	ck_assert_ptr_null(guest_mem_ptr(&gm, UINT64_MAX, 2));
	ck_assert_ptr_null(guest_mem_ptr(&gm, UINT64_MAX - 0xfff, 0x2000));
	ck_assert_int_eq(guest_mem_write(&gm, size - 8, "abcdefgh", 8), 0);
	ck_assert_int_eq(guest_mem_read(&gm, size - 8, buf, 8), 0);
	ck_assert_mem_eq(buf, "abcdefgh", 8);
	ck_assert_int_eq(guest_mem_read(&gm, size - 8, buf, 9), -EFAULT);
	ck_assert_int_eq(guest_mem_write(&gm, size, buf, 1), -EFAULT);
	guest_mem_destroy(&gm);
}
END_TEST

START_TEST(test_invalid_sizes)
{
	struct guest_mem gm;

	ck_assert_int_eq(guest_mem_init(&gm, 0), -EINVAL);
	ck_assert_int_eq(guest_mem_init(&gm, 4097), -EINVAL);
}
END_TEST

START_TEST(test_memfd_shared)
{
	struct guest_mem gm;
	uint8_t *other;

	/* A backend mapping the memfd sees the guest's writes (vhost-user memory table). */
	ck_assert_int_eq(guest_mem_init(&gm, 16 << 20), 0);
	other = mmap(NULL, 16 << 20, PROT_READ, MAP_SHARED, gm.fd, 0);
	ck_assert(other != MAP_FAILED);
	ck_assert_int_eq(guest_mem_write(&gm, 0x123456, "shared", 6), 0);
	ck_assert_mem_eq(other + 0x123456, "shared", 6);
	munmap(other, 16 << 20);
	guest_mem_destroy(&gm);
}
END_TEST

/* Every backing maps RAM at a 2 MiB-aligned host address (KVM's 2 MiB nested-paging entries). */
START_TEST(test_backings)
{
	static const enum guest_mem_backing b[] = { GUEST_MEM_ANON, GUEST_MEM_MEMFD };
	struct guest_mem gm;
	uint8_t buf[4];

	for (unsigned int i = 0; i < 2; i++) {
		/* not a multiple of 2 MiB: the mapping is rounded up, the guest sees 17 MiB + 4K */
		ck_assert_int_eq(guest_mem_init_backed(&gm, (17 << 20) + 4096, b[i]), 0);
		ck_assert_int_eq(gm.backing, b[i]);
		ck_assert_uint_eq((uintptr_t)gm.base & ((2 << 20) - 1), 0);
		ck_assert_uint_eq(gm.map_size, 18 << 20);
		ck_assert_uint_eq(guest_mem_end(&gm), (17 << 20) + 4096);
		ck_assert(b[i] == GUEST_MEM_ANON ? gm.fd == -1 : gm.fd >= 0);
		ck_assert_uint_eq(guest_mem_resident_kib(&gm), 0);
		ck_assert_int_eq(guest_mem_write(&gm, 17 << 20, "ram!", 4), 0);
		ck_assert_int_eq(guest_mem_read(&gm, 17 << 20, buf, 4), 0);
		ck_assert_mem_eq(buf, "ram!", 4);
		ck_assert_uint_ge(guest_mem_resident_kib(&gm), 4);
		ck_assert_ptr_null(guest_mem_ptr(&gm, (17 << 20) + 4096, 1));
		guest_mem_destroy(&gm);
		ck_assert_int_eq(gm.fd, -1);
		ck_assert_ptr_null(gm.base);
	}
	ck_assert_int_eq(guest_mem_init_backed(&gm, 16 << 20, (enum guest_mem_backing)7), -EINVAL);
}
END_TEST

/* hugetlb: 2 MiB units only; without enough reserved pages mmap fails (-ENOMEM) instead of the
 * guest's first touch raising SIGBUS later. */
START_TEST(test_hugetlb)
{
	struct guest_mem gm;
	int ret;

	ck_assert_int_eq(guest_mem_init_backed(&gm, (16 << 20) + 4096, GUEST_MEM_HUGETLB), -EINVAL);
	ret = guest_mem_init_backed(&gm, 16 << 20, GUEST_MEM_HUGETLB);
	ck_assert_msg(ret == 0 || ret == -ENOMEM, "hugetlb init: %d", ret);
	if (ret == 0) {	/* the host has 8 free 2 MiB pages reserved */
		ck_assert(gm.fd >= 0);
		ck_assert_uint_eq((uintptr_t)gm.base & ((2 << 20) - 1), 0);
		ck_assert_int_eq(guest_mem_write(&gm, 0, "x", 1), 0);
	}
	guest_mem_destroy(&gm);
	ck_assert_ptr_null(gm.base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("guest_mem");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_small_layout);
	tcase_add_test(tc, test_split_above_4g);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_invalid_sizes);
	tcase_add_test(tc, test_memfd_shared);
	tcase_add_test(tc, test_backings);
	tcase_add_test(tc, test_hugetlb);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
