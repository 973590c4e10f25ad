// SPDX-License-Identifier: MIT
/* PIO/MMIO bus: registration, overlap refusal, lookup at range edges, dispatch, unregister. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/bus.h"

struct fake_dev {
	uint64_t last_off;
	uint32_t last_len;
	uint32_t writes, reads;
	uint8_t last_data[8];
};

static void fake_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_len = len;
	memset(data, 0xab, len);
}

static void fake_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_len = len;
	memcpy(d->last_data, data, len);
}

static const struct bus_ops fake_ops = { fake_read, fake_write };

START_TEST(test_register_and_overlap)
{
	struct bus bus;
	struct fake_dev a = { 0 }, b = { 0 };

	bus_init(&bus, "test");
	ck_assert_int_eq(bus_register(&bus, 0x1000, 0x100, &fake_ops, &a, "a"), 0);
	ck_assert_int_eq(bus_register(&bus, 0x1100, 0x100, &fake_ops, &b, "b"), 0);
	/* overlaps: inside, straddling the start, straddling the end, covering */
	ck_assert_int_eq(bus_register(&bus, 0x1010, 0x10, &fake_ops, &b, "x"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x0ff0, 0x20, &fake_ops, &b, "x"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x11ff, 0x10, &fake_ops, &b, "x"), -EEXIST);
	ck_assert_int_eq(bus_register(&bus, 0x0000, 0x10000, &fake_ops, &b, "x"), -EEXIST);
	/* invalid: empty, wrapping */
	ck_assert_int_eq(bus_register(&bus, 0x5000, 0, &fake_ops, &b, "x"), -EINVAL);
	ck_assert_int_eq(bus_register(&bus, UINT64_MAX - 4, 0x10, &fake_ops, &b, "x"), -EINVAL);
	/* the very top of the address space is fine */
	ck_assert_int_eq(bus_register(&bus, UINT64_MAX - 0xf, 0x10, &fake_ops, &b, "top"), 0);
	bus_destroy(&bus);
}
END_TEST

START_TEST(test_lookup_edges)
{
	struct bus bus;
	struct fake_dev a = { 0 };
	struct bus_range r;

	bus_init(&bus, "test");
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, &fake_ops, &a, "serial"), 0);
	ck_assert(!bus_find(&bus, 0x3f7, &r));
	ck_assert(bus_find(&bus, 0x3f8, &r));
	ck_assert_uint_eq(r.base, 0x3f8);
	ck_assert(bus_find(&bus, 0x3ff, &r));
	ck_assert(!bus_find(&bus, 0x400, &r));
	bus_destroy(&bus);
}
END_TEST

START_TEST(test_dispatch)
{
	struct bus bus;
	struct fake_dev a = { 0 };
	uint32_t v = 0x12345678;
	uint8_t buf[4];

	bus_init(&bus, "test");
	ck_assert_int_eq(bus_register(&bus, 0xc000, 0x40, &fake_ops, &a, "dev"), 0);
	ck_assert(bus_access(&bus, 0xc010, &v, 4, true));
	ck_assert_uint_eq(a.writes, 1);
	ck_assert_uint_eq(a.last_off, 0x10);
	ck_assert_uint_eq(a.last_len, 4);
	ck_assert_mem_eq(a.last_data, &v, 4);
	ck_assert(bus_access(&bus, 0xc03c, buf, 4, false));
	ck_assert_uint_eq(a.reads, 1);
	ck_assert_uint_eq(buf[0], 0xab);
	/* straddling the end of the range: not dispatched, reads all-ones */
	ck_assert(!bus_access(&bus, 0xc03e, buf, 4, false));
	ck_assert_uint_eq(buf[0], 0xff);
	ck_assert_uint_eq(a.reads, 1);
	/* unowned: reads all-ones, writes dropped */
	ck_assert(!bus_access(&bus, 0xd000, buf, 2, false));
	ck_assert_uint_eq(buf[1], 0xff);
	ck_assert(!bus_access(&bus, 0xd000, &v, 4, true));
	ck_assert_uint_eq(a.writes, 1);
	bus_destroy(&bus);
}
END_TEST

START_TEST(test_unregister_and_many)
{
	struct bus bus;
	struct fake_dev devs[100];
	struct bus_range r;

	bus_init(&bus, "test");
	/* registered in reverse order: the table stays sorted */
	for (int i = 99; i >= 0; i--)
		ck_assert_int_eq(bus_register(&bus, 0x10000 + i * 0x100, 0x80, &fake_ops, &devs[i], "d"), 0);
	for (int i = 0; i < 100; i++) {
		ck_assert(bus_find(&bus, 0x10000 + i * 0x100 + 0x7f, &r));
		ck_assert_ptr_eq(r.opaque, &devs[i]);
		ck_assert(!bus_find(&bus, 0x10000 + i * 0x100 + 0x80, &r));
	}
	ck_assert_int_eq(bus_unregister(&bus, 0x10000 + 50 * 0x100, &devs[49]), -ENOENT);
	ck_assert_int_eq(bus_unregister(&bus, 0x10000 + 50 * 0x100, &devs[50]), 0);
	ck_assert(!bus_find(&bus, 0x10000 + 50 * 0x100, &r));
	ck_assert(bus_find(&bus, 0x10000 + 51 * 0x100, &r));
	/* the freed range can be taken again (a BAR move) */
	ck_assert_int_eq(bus_register(&bus, 0x10000 + 50 * 0x100, 0x80, &fake_ops, &devs[50], "d"), 0);
	bus_destroy(&bus);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("bus");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_register_and_overlap);
	tcase_add_test(tc, test_lookup_edges);
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_unregister_and_many);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
