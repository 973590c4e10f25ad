// SPDX-License-Identifier: MIT
/* Unit tests: MP floating pointer and configuration table (checksums, CPUs, IOAPIC, IRQs). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"

#define MiB (1024ULL * 1024)

static struct guest_mem gm;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&gm);
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

struct mp_seen {
	unsigned int cpus, bsps, buses, ioapics, intsrcs, lints, entries;
	int irq_pin[16];
};

static void walk(const uint8_t *e, const uint8_t *end, unsigned int nr, struct mp_seen *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		s->irq_pin[i] = -1;
	while (e < end) {
		s->entries++;
		switch (e[0]) {
		case 0:	/* processor */
			ck_assert_uint_eq(e[1], s->cpus);
			ck_assert(e[3] & 1);
			s->bsps += !!(e[3] & 2);
			if (e[3] & 2)
				ck_assert_uint_eq(e[1], 0);
			s->cpus++;
			e += 20;
			continue;
		case 1:
			ck_assert_int_eq(memcmp(e + 2, "ISA   ", 6), 0);
			s->buses++;
			break;
		case 2:
			ck_assert_uint_eq(e[1], nr);
			ck_assert_uint_eq(e[3] & 1, 1);
			ck_assert_uint_eq(rd32(e + 4), LAYOUT_IOAPIC_ADDR);
			s->ioapics++;
			break;
		case 3:
			ck_assert_uint_eq(e[6], nr);	/* destination IOAPIC id */
			ck_assert_uint_lt(e[5], 16);
			ck_assert_int_eq(s->irq_pin[e[5]], -1);
			s->irq_pin[e[5]] = e[7];
			s->intsrcs++;
			break;
		case 4:
			s->lints++;
			break;
		default:
			ck_abort_msg("unknown MP entry type %u", e[0]);
		}
		e += 8;
	}
	ck_assert_ptr_eq(e, end);
}

static void check_table(unsigned int nr)
{
	char err[128];
	const uint8_t *mpf, *mpc;
	uint32_t mpc_addr;
	uint16_t len;
	struct mp_seen s;

	ck_assert_msg(mptable_setup(&gm, nr, err, sizeof(err)) == 0, "%s", err);
	mpf = guest_mem_ptr(&gm, LAYOUT_EBDA_ADDR, 16);
	ck_assert_int_eq(memcmp(mpf, "_MP_", 4), 0);
	ck_assert_uint_eq(mpf[8], 1);	/* length in paragraphs */
	ck_assert_uint_eq(mpf[9], 4);	/* spec 1.4 */
	ck_assert_uint_eq(sum(mpf, 16), 0);
	ck_assert_uint_eq(mpf[11], 0);	/* feature1: config table present */
	mpc_addr = rd32(mpf + 4);
	mpc = guest_mem_ptr(&gm, mpc_addr, 44);
	ck_assert_ptr_nonnull(mpc);
	ck_assert_int_eq(memcmp(mpc, "PCMP", 4), 0);
	len = rd16(mpc + 4);
	ck_assert_ptr_nonnull(guest_mem_ptr(&gm, mpc_addr, len));
	ck_assert_uint_eq(sum(mpc, len), 0);
	ck_assert_uint_eq(rd32(mpc + 36), LAYOUT_LAPIC_ADDR);
	/* the table lives in e820-reserved memory: the EBDA or the BIOS area */
	ck_assert((mpc_addr >= LAYOUT_EBDA_ADDR && mpc_addr + len <= LAYOUT_LOW_MEM_END) ||
		  (mpc_addr >= LAYOUT_BIOS_ADDR && mpc_addr + len <= LAYOUT_HIGH_MEM_START));
	walk(mpc + 44, mpc + len, nr, &s);
	ck_assert_uint_eq(rd16(mpc + 34), s.entries);
	ck_assert_uint_eq(s.cpus, nr);
	ck_assert_uint_eq(s.bsps, 1);
	ck_assert_uint_eq(s.buses, 1);
	ck_assert_uint_eq(s.ioapics, 1);
	ck_assert_uint_eq(s.lints, 2);
	ck_assert_int_eq(s.irq_pin[0], 2);	/* PIT on pin 2 */
	ck_assert_int_eq(s.irq_pin[2], -1);	/* cascade */
	ck_assert_int_eq(s.irq_pin[4], 4);	/* COM1 */
	for (int irq = 1; irq < 16; irq++)
		if (irq != 2)
			ck_assert_int_eq(s.irq_pin[irq], irq);
	ck_assert_uint_eq(s.intsrcs, 15);
	/* BIOS data area points at the EBDA */
	ck_assert_uint_eq(rd16(guest_mem_ptr(&gm, 0x40e, 2)), LAYOUT_EBDA_ADDR >> 4);
}

START_TEST(cpus_1) { check_table(1); }
END_TEST
START_TEST(cpus_2) { check_table(2); }
END_TEST
START_TEST(cpus_4) { check_table(4); }
END_TEST
START_TEST(cpus_64) { check_table(64); }
END_TEST
START_TEST(cpus_254) { check_table(254); }
END_TEST

START_TEST(small_tables_in_ebda)
{
	char err[128];

	ck_assert_int_eq(mptable_setup(&gm, 4, err, sizeof(err)), 0);
	ck_assert_uint_eq(rd32(guest_mem_ptr(&gm, LAYOUT_EBDA_ADDR + 4, 4)), LAYOUT_EBDA_ADDR + 16);
	ck_assert_int_eq(mptable_setup(&gm, 64, err, sizeof(err)), 0);
	ck_assert_uint_eq(rd32(guest_mem_ptr(&gm, LAYOUT_EBDA_ADDR + 4, 4)), LAYOUT_BIOS_ADDR);
}
END_TEST

START_TEST(bad_cpu_counts)
{
	char err[128];

	ck_assert_int_eq(mptable_setup(&gm, 0, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "0 vCPUs"), "%s", err);
	ck_assert_int_eq(mptable_setup(&gm, 255, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "255 vCPUs do not fit in an MP table (1-254)"), "%s", err);
}
END_TEST

static Suite *mptable_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mptable");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cpus_1);
	tcase_add_test(tc, cpus_2);
	tcase_add_test(tc, cpus_4);
	tcase_add_test(tc, cpus_64);
	tcase_add_test(tc, cpus_254);
	tcase_add_test(tc, small_tables_in_ebda);
	tcase_add_test(tc, bad_cpu_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mptable_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
