// SPDX-License-Identifier: MIT
/* MSI-X: table, PBA, vector and function masking, pending latch, GSI routes. */
#include <check.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <stdint.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "pci/msix.h"

#define MiB (1ULL << 20)

static struct harness *h;
static struct hdummy *d;
static struct hvirtio v;
static int slot;

static void setup(void)
{
	h = harness_create_dummy(16 * MiB, 2, &d, &slot, &v);
	ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
	harness_destroy_dummy(h, &v);
}

static void fire(unsigned int vec)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(msix_vector_fd(v.pdev->msix, vec), &one, 8), 8);
}

static uint64_t entry(unsigned int vec, unsigned int field)
{
	return v.msix_table + 16ULL * vec + field;
}

static uint32_t pba(void)
{
	uint32_t t = pci_cfg_read(h, slot, v.msix_cap + PCI_MSIX_PBA, 4);

	return (uint32_t)harness_mmio_read(h, harness_pci_bar_addr(h, slot, t & 7) + (t & ~7u), 4);
}

static void set_mask(unsigned int vec, bool masked)
{
	harness_mmio_write(h, entry(vec, PCI_MSIX_ENTRY_VECTOR_CTRL), masked, 4);
}

static void set_ctrl(uint16_t flags)
{
	pci_cfg_write(h, slot, v.msix_cap + PCI_MSIX_FLAGS, flags, 2);
}

START_TEST(test_capability)
{
	uint16_t flags = (uint16_t)pci_cfg_read(h, slot, v.msix_cap + PCI_MSIX_FLAGS, 2);
	uint32_t table = pci_cfg_read(h, slot, v.msix_cap + PCI_MSIX_TABLE, 4);

	ck_assert_uint_eq(flags & PCI_MSIX_FLAGS_QSIZE, 2);     /* 3 vectors: config + 2 queues */
	ck_assert_uint_eq(table & PCI_MSIX_TABLE_BIR, 1);
	ck_assert_uint_eq(v.nr_vectors, 3);
	/* The table size field is read-only. */
	set_ctrl(PCI_MSIX_FLAGS_ENABLE | 0x7ff);
	ck_assert_uint_eq(pci_cfg_read(h, slot, v.msix_cap + PCI_MSIX_FLAGS, 2),
			  PCI_MSIX_FLAGS_ENABLE | 2);
}
END_TEST

START_TEST(test_table_and_routes)
{
	struct msix *m = v.pdev->msix;
	struct kvm_irq_routing_entry *r;

	ck_assert_uint_eq(harness_mmio_read(h, entry(1, PCI_MSIX_ENTRY_LOWER_ADDR), 4), 0xfee00000u);
	ck_assert_uint_eq(harness_mmio_read(h, entry(1, PCI_MSIX_ENTRY_DATA), 4), 0x4001);
	ck_assert_uint_eq(harness_mmio_read(h, entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 4), 0);
	/* 8-byte access to the address pair. */
	ck_assert_uint_eq(harness_mmio_read(h, entry(1, 0), 8), 0xfee00000u);
	/* Past the table: reads 0, writes ignored. */
	ck_assert_uint_eq(harness_mmio_read(h, entry(3, 0), 4), 0);
	harness_mmio_write(h, entry(3, 0), 0x1234, 4);
	/* The route of a live vector follows its message. */
	r = &h->vm.routes[m->v[1].gsi];
	ck_assert_uint_eq(r->type, KVM_IRQ_ROUTING_MSI);
	ck_assert_uint_eq(r->u.msi.address_lo, 0xfee00000u);
	ck_assert_uint_eq(r->u.msi.data, 0x4001);
	harness_mmio_write(h, entry(1, PCI_MSIX_ENTRY_DATA), 0x4031, 4);
	ck_assert_uint_eq(r->u.msi.data, 0x4031);
	ck_assert(msix_vector_live(m, 1));
	ck_assert_int_ne(m->v[0].gsi, m->v[1].gsi);
}
END_TEST

START_TEST(test_delivery_and_vector_mask)
{
	fire(1);
	ck_assert(hvirtio_vector_fired(&v, 1));
	ck_assert(!hvirtio_vector_fired(&v, 1));
	ck_assert_uint_eq(pba(), 0);

	set_mask(1, true);
	ck_assert(!msix_vector_live(v.pdev->msix, 1));
	fire(1);
	ck_assert(!hvirtio_vector_fired(&v, 1));      /* latched, not delivered */
	ck_assert_uint_eq(pba(), 1u << 1);
	ck_assert_uint_eq(pba(), 1u << 1);            /* reading does not clear */
	set_mask(1, false);
	ck_assert_uint_eq(pba(), 0);
	ck_assert(hvirtio_vector_fired(&v, 1));       /* delivered on unmask */
	ck_assert(!hvirtio_vector_fired(&v, 1));
	/* Masked with nothing pending: unmask delivers nothing. */
	set_mask(2, true);
	set_mask(2, false);
	ck_assert(!hvirtio_vector_fired(&v, 2));
}
END_TEST

START_TEST(test_event_while_masked_without_pba_read)
{
	set_mask(0, true);
	fire(0);
	fire(0);
	/* No PBA read in between: the eventfd counter itself is the latch. */
	set_mask(0, false);
	ck_assert(hvirtio_vector_fired(&v, 0));
	ck_assert(!hvirtio_vector_fired(&v, 0));
}
END_TEST

START_TEST(test_function_mask_and_disable)
{
	set_ctrl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned int i = 0; i < 3; i++)
		ck_assert(!msix_vector_live(v.pdev->msix, i));
	fire(2);
	ck_assert(!hvirtio_vector_fired(&v, 2));
	ck_assert_uint_eq(pba(), 1u << 2);
	set_ctrl(PCI_MSIX_FLAGS_ENABLE);
	ck_assert(hvirtio_vector_fired(&v, 2));
	ck_assert_uint_eq(pba(), 0);

	set_ctrl(0);                                   /* MSI-X disabled */
	fire(1);
	ck_assert(!hvirtio_vector_fired(&v, 1));
	set_ctrl(PCI_MSIX_FLAGS_ENABLE);
	ck_assert(hvirtio_vector_fired(&v, 1));
}
END_TEST

START_TEST(test_pba_read_only)
{
	uint32_t t = pci_cfg_read(h, slot, v.msix_cap + PCI_MSIX_PBA, 4);
	uint64_t pba_addr = harness_pci_bar_addr(h, slot, t & 7) + (t & ~7u);

	set_mask(0, true);
	fire(0);
	harness_mmio_write(h, pba_addr, 0, 4);
	ck_assert_uint_eq(pba(), 1);
	/* Device reset drops queued and pending events. */
	hvirtio_set_status(&v, 0);
	ck_assert_uint_eq(pba(), 0);
}
END_TEST

static Suite *msix_suite(void)
{
	Suite *s = suite_create("msix");
	TCase *tc = tcase_create("msix");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_capability);
	tcase_add_test(tc, test_table_and_routes);
	tcase_add_test(tc, test_delivery_and_vector_mask);
	tcase_add_test(tc, test_event_while_masked_without_pba_read);
	tcase_add_test(tc, test_function_mask_and_disable);
	tcase_add_test(tc, test_pba_read_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msix_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
