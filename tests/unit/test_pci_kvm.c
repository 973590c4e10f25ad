// SPDX-License-Identifier: MIT
/*
 * The KVM objects behind the transport, on a real KVM VM (no vCPU): notify ioeventfds follow
 * BAR moves and memory-decode toggles, MSI-X irqfds follow masking, shm memslots follow the
 * shared-memory BAR. Each object is probed with the KVM ioctl that fails if it is (not) there.
 * Needs /dev/kvm: fails without it.
 */
#include <check.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "pci/msix.h"
#include "virtio/virtio_pci.h"
#include "arch/x86/layout.h"

#define MiB (1ULL << 20)
#define NOTIFY(bar, q) ((bar) + VIRTIO_PCI_NOTIFY_OFF + 4ULL * (q))

static struct harness *h;
static struct hdummy *d;
static int slot;

static void setup(void)
{
	uint64_t shm = 2 * MiB;

	ck_assert_msg(access("/dev/kvm", R_OK | W_OK) == 0, "/dev/kvm is required");
	h = harness_create_kvm(64 * MiB);
	ck_assert_ptr_nonnull(h);
	slot = harness_add_dummy(h, 2, 1, &shm, &d);
	ck_assert_int_gt(slot, 0);
}

static void teardown(void)
{
	harness_destroy(h);
}

/* An ioeventfd is registered at addr for fd iff deassigning it succeeds (then restore it). */
static bool has_ioeventfd(uint64_t addr, int fd)
{
	if (vm_ioeventfd(&h->vm, addr, 2, fd, false, false) < 0)
		return false;
	ck_assert_int_eq(vm_ioeventfd(&h->vm, addr, 2, fd, false, true), 0);
	return true;
}

/* The region's memslot covers gpa iff a new slot over it is refused with EEXIST. */
static bool has_memslot(uint64_t gpa)
{
	int s = vm_memslot_alloc(&h->vm), ret;

	ret = vm_memslot_set(&h->vm, s, gpa, 4096, harness_ptr(h, 0x100000, 4096), false);
	if (ret == 0)
		vm_memslot_set(&h->vm, s, gpa, 0, NULL, false);
	vm_memslot_free(&h->vm, s);
	ck_assert(ret == 0 || ret == -EEXIST);
	return ret == -EEXIST;
}

START_TEST(test_notify_ioeventfds_follow_bar)
{
	uint64_t old = harness_pci_bar_addr(h, slot, 2), newa = LAYOUT_PCI_MMIO32_BASE + 0x1000000;
	uint16_t cmd;

	for (unsigned int q = 0; q < 2; q++)
		ck_assert(has_ioeventfd(NOTIFY(old, q), d->dev.queues[q].kick_fd));
	harness_pci_bar_move(h, slot, 2, newa);
	for (unsigned int q = 0; q < 2; q++) {
		ck_assert(!has_ioeventfd(NOTIFY(old, q), d->dev.queues[q].kick_fd));
		ck_assert(has_ioeventfd(NOTIFY(newa, q), d->dev.queues[q].kick_fd));
	}
	cmd = (uint16_t)pci_cfg_read(h, slot, PCI_COMMAND, 2);
	pci_cfg_write(h, slot, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	ck_assert(!has_ioeventfd(NOTIFY(newa, 0), d->dev.queues[0].kick_fd));
	pci_cfg_write(h, slot, PCI_COMMAND, cmd, 2);
	ck_assert(has_ioeventfd(NOTIFY(newa, 0), d->dev.queues[0].kick_fd));
}
END_TEST

START_TEST(test_shm_memslot_follows_bar)
{
	uint64_t bar = harness_pci_bar_addr(h, slot, 4), newa = 0x3000000000ULL;

	ck_assert(has_memslot(bar));
	ck_assert(has_memslot(bar + 2 * MiB - 4096));
	harness_pci_bar_move(h, slot, 4, newa);
	ck_assert(!has_memslot(bar));
	ck_assert(has_memslot(newa));
}
END_TEST

START_TEST(test_irqfd_follows_mask)
{
	struct hvirtio v;
	struct msix *m;
	int fd, gsi;

	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
	m = v.pdev->msix;
	fd = msix_vector_fd(m, 1);
	gsi = m->v[1].gsi;
	/* Live: the irqfd is attached (a second assign of the same fd is refused). */
	ck_assert_int_eq(vm_irqfd(&h->vm, fd, gsi, true), -EBUSY);
	harness_mmio_write(h, v.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 1, 4);
	ck_assert(!msix_vector_live(m, 1));
	/* Masked: detached, so assigning it here succeeds (undo that). */
	ck_assert_int_eq(vm_irqfd(&h->vm, fd, gsi, true), 0);
	ck_assert_int_eq(vm_irqfd(&h->vm, fd, gsi, false), 0);
	harness_mmio_write(h, v.msix_table + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	ck_assert_int_eq(vm_irqfd(&h->vm, fd, gsi, true), -EBUSY);
	hvirtio_cleanup(&v);
}
END_TEST

static Suite *pci_kvm_suite(void)
{
	Suite *s = suite_create("pci-kvm");
	TCase *tc = tcase_create("kvm objects");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_notify_ioeventfds_follow_bar);
	tcase_add_test(tc, test_shm_memslot_follows_bar);
	tcase_add_test(tc, test_irqfd_follows_mask);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pci_kvm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
