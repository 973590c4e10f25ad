// SPDX-License-Identifier: MIT
/* virtio-pci modern transport: features, status machine, queue registers, reset, notifications. */
#include <check.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "pci/msix.h"
#include "virtio/virtio_pci.h"

#define MiB (1ULL << 20)
#define V1 (1ULL << VIRTIO_F_VERSION_1)
#define ACK_DRV (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)

static struct harness *h;
static struct hdummy *d;
static struct hvirtio v;
static int slot;

static void setup(void)
{
	h = harness_create_dummy(16 * MiB, 3, &d, &slot, &v);
	ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
	harness_destroy_dummy(h, &v);
}

static uint32_t common(uint32_t off, unsigned int len)
{
	return hvirtio_common_read(&v, off, len);
}

static void set_common(uint32_t off, uint32_t val, unsigned int len)
{
	hvirtio_common_write(&v, off, val, len);
}

START_TEST(test_device_features)
{
	/* The dummy also sets RING_RESET (40): a transport feature this transport lacks. */
	ck_assert_uint_eq(d->dev.host_features & (1ULL << 40), 1ULL << 40);
	ck_assert_uint_eq(hvirtio_device_features(&v), V1 | 1ULL);
	set_common(VIRTIO_PCI_COMMON_DFSELECT, 2, 4);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_DF, 4), 0);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_NUMQ, 2), 3);
	/* Wrong-width accesses to a field are ignored / read 0. */
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_NUMQ, 1), 0);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_SELECT, 4), 0);
}
END_TEST

START_TEST(test_features_ok_checks)
{
	ck_assert_int_eq(hvirtio_negotiate(&v, V1 | 1), 0);
	ck_assert_uint_eq(d->features, V1 | 1);
	ck_assert_uint_eq(d->dev.guest_features, V1 | 1);
	/* Features are frozen after FEATURES_OK. */
	set_common(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	set_common(VIRTIO_PCI_COMMON_GF, 0, 4);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_GF, 4), 1);

	ck_assert_int_eq(hvirtio_negotiate(&v, 1), -EIO);             /* no VERSION_1 */
	ck_assert_uint_eq(hvirtio_get_status(&v), ACK_DRV);
	ck_assert_int_eq(hvirtio_negotiate(&v, V1 | 1ULL << 3), -EIO); /* not offered */
	ck_assert_int_eq(hvirtio_negotiate(&v, V1 | 1ULL << 50), -EIO);
	d->refuse_features = true;
	ck_assert_int_eq(hvirtio_negotiate(&v, V1), -EIO);
	d->refuse_features = false;
	ck_assert_int_eq(hvirtio_negotiate(&v, V1 | 1ULL << 40), -EIO);  /* hidden RING_RESET */
	ck_assert_int_eq(hvirtio_negotiate(&v, V1 | 1), 0);
}
END_TEST

START_TEST(test_driver_ok_activates_once)
{
	ck_assert_int_eq(hvirtio_start(&v, V1, 3), 0);
	ck_assert_int_eq(d->activated, 1);
	hvirtio_driver_ok(&v);
	hvirtio_set_status(&v, hvirtio_get_status(&v));
	ck_assert_int_eq(d->activated, 1);
	/* Clearing bits other than by reset is ignored. */
	hvirtio_set_status(&v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ck_assert_uint_eq(hvirtio_get_status(&v), ACK_DRV | VIRTIO_CONFIG_S_FEATURES_OK |
			  VIRTIO_CONFIG_S_DRIVER_OK);
	/* Queue setup is frozen after DRIVER_OK. */
	set_common(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	set_common(VIRTIO_PCI_COMMON_Q_DESCLO, 0x5000, 4);
	ck_assert_uint_eq(d->dev.queues[0].desc_gpa, v.vq[0].desc);
}
END_TEST

START_TEST(test_driver_ok_without_features_ok)
{
	ck_assert_int_eq(hvirtio_reset(&v), 0);
	ck_assert_uint_eq(hvirtio_set_config_vector(&v, 0), 0);
	hvirtio_set_status(&v, ACK_DRV);
	hvirtio_set_status(&v, ACK_DRV | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_int_eq(d->activated, 0);
	ck_assert(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(hvirtio_vector_fired(&v, 0));
}
END_TEST

START_TEST(test_activate_failure_needs_reset)
{
	d->fail_activate = true;
	ck_assert_int_eq(hvirtio_start(&v, V1, 1), -EIO);
	ck_assert(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(hvirtio_vector_fired(&v, 0));
	d->fail_activate = false;
	ck_assert_int_eq(hvirtio_start(&v, V1, 1), 0);
	ck_assert(!(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

START_TEST(test_queue_registers)
{
	struct virtio_queue *q = &d->dev.queues[1];

	ck_assert_int_eq(hvirtio_negotiate(&v, V1), 0);
	set_common(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	ck_assert_int_eq(q->call_fd, -1);
	set_common(VIRTIO_PCI_COMMON_Q_MSIX, 3, 2);                  /* only 4 vectors: 0..3 */
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_MSIX, 2), 3);
	ck_assert_int_eq(q->call_fd, msix_vector_fd(v.pdev->msix, 3));
	set_common(VIRTIO_PCI_COMMON_Q_MSIX, 4, 2);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	ck_assert_int_eq(q->call_fd, -1);
	set_common(VIRTIO_PCI_COMMON_Q_DESCLO, 0x11223340, 4);
	set_common(VIRTIO_PCI_COMMON_Q_DESCHI, 0x1, 4);
	set_common(VIRTIO_PCI_COMMON_Q_AVAILLO, 0x2000, 4);
	set_common(VIRTIO_PCI_COMMON_Q_USEDLO, 0x3000, 4);
	ck_assert_uint_eq(q->desc_gpa, 0x111223340ULL);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_DESCHI, 4), 1);
	ck_assert_uint_eq(q->avail_gpa, 0x2000);
	ck_assert_uint_eq(q->used_gpa, 0x3000);
	set_common(VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
	set_common(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	ck_assert(q->enabled);
	ck_assert_uint_eq(q->size, 16);
	/* Enabled queues are frozen. */
	set_common(VIRTIO_PCI_COMMON_Q_SIZE, 32, 2);
	ck_assert_uint_eq(q->size, 16);
	/* Out-of-range queue select. */
	set_common(VIRTIO_PCI_COMMON_Q_SELECT, 3, 2);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	set_common(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	/* Invalid queue size at enable: NEEDS_RESET, queue stays disabled. */
	set_common(VIRTIO_PCI_COMMON_Q_SELECT, 2, 2);
	set_common(VIRTIO_PCI_COMMON_Q_SIZE, 48, 2);
	set_common(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	ck_assert(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

START_TEST(test_reset_restores_initial_state)
{
	uint64_t cnt;
	int resets;

	ck_assert_int_eq(hvirtio_start(&v, V1 | 1, 3), 0);
	resets = d->resets;
	hvq_kick(&v, 2);                                 /* leave a stale kick */
	virtio_device_needs_reset(&d->dev);
	ck_assert_int_eq(hvirtio_reset(&v), 0);
	ck_assert_int_eq(d->resets, resets + 1);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_STATUS, 1), 0);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	set_common(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_GF, 4), 0);
	ck_assert_uint_eq(d->dev.guest_features, 0);
	for (unsigned int i = 0; i < 3; i++) {
		set_common(VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
		ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
		ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		ck_assert_uint_eq(common(VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
		ck_assert_int_eq(d->dev.queues[i].call_fd, -1);
		ck_assert_int_eq(read(d->dev.queues[i].kick_fd, &cnt, 8), -1);   /* drained */
	}
	ck_assert(!hvirtio_vector_fired(&v, 0));         /* stale config interrupt drained */
	/* The device works again after reset. */
	ck_assert_int_eq(hvirtio_start(&v, V1, 3), 0);
	ck_assert_int_eq(d->activated, 2);
}
END_TEST

START_TEST(test_config_space_and_generation)
{
	uint8_t gen;

	ck_assert_int_eq(hvirtio_start(&v, V1, 1), 0);
	hvirtio_config_write(&v, 4, 0xdeadbeef, 4);
	ck_assert_uint_eq(hvirtio_config_read(&v, 4, 4), 0xdeadbeef);
	ck_assert_uint_eq(hvirtio_config_read(&v, 5, 1), 0xbe);
	ck_assert_uint_eq(hvirtio_config_read(&v, 62, 2), 0);
	ck_assert_uint_eq(hvirtio_config_read(&v, 63, 2), 0);           /* crosses the end */
	ck_assert_uint_eq(hvirtio_config_read(&v, 200, 4), 0);
	gen = hvirtio_config_generation(&v);
	harness_mmio_read(h, v.isr, 1);                                 /* clear */
	virtio_device_config_changed(&d->dev);
	ck_assert_uint_ne(hvirtio_config_generation(&v), gen);
	ck_assert(hvirtio_vector_fired(&v, 0));
	ck_assert_uint_eq(harness_mmio_read(h, v.isr, 1), VIRTIO_PCI_ISR_CONFIG);
	ck_assert_uint_eq(harness_mmio_read(h, v.isr, 1), 0);           /* read clears */
	/* NEEDS_RESET from the device side. */
	virtio_device_needs_reset(&d->dev);
	ck_assert(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(hvirtio_vector_fired(&v, 0));
}
END_TEST

START_TEST(test_queue_interrupt_path)
{
	uint64_t one = 1;

	ck_assert_int_eq(hvirtio_start(&v, V1, 3), 0);
	for (unsigned int q = 0; q < 3; q++) {
		ck_assert_int_eq(write(d->dev.queues[q].call_fd, &one, 8), 8);
		ck_assert(hvirtio_wait_vector(&v, (uint16_t)(q + 1), 1000));
	}
	ck_assert(!hvirtio_wait_vector(&v, 1, 10));
}
END_TEST

START_TEST(test_pci_cfg_window)
{
	unsigned int pos = 0;
	uint32_t data_off;

	for (pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, 0); pos;
	     pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, pos))
		if (pci_cfg_read(h, slot, pos + 3, 1) == VIRTIO_PCI_CAP_PCI_CFG)
			break;
	ck_assert_uint_ne(pos, 0);
	data_off = pos + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_BAR, 2, 1);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_OFFSET, VIRTIO_PCI_COMMON_NUMQ, 4);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_LENGTH, 2, 4);
	ck_assert_uint_eq(pci_cfg_read(h, slot, data_off, 4), 3);
	/* Write through the window: device status. */
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_OFFSET, VIRTIO_PCI_COMMON_STATUS, 4);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_LENGTH, 1, 4);
	pci_cfg_write(h, slot, data_off, VIRTIO_CONFIG_S_ACKNOWLEDGE, 4);
	ck_assert_uint_eq(hvirtio_get_status(&v), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	/* Other BARs and bad lengths never reach a BAR. */
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_BAR, 1, 1);
	pci_cfg_write(h, slot, data_off, 0, 4);
	ck_assert_uint_eq(hvirtio_get_status(&v), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_BAR, 2, 1);
	pci_cfg_write(h, slot, pos + VIRTIO_PCI_CAP_LENGTH, 3, 4);
	pci_cfg_write(h, slot, data_off, 0, 4);
	ck_assert_uint_eq(hvirtio_get_status(&v), VIRTIO_CONFIG_S_ACKNOWLEDGE);
}
END_TEST

static Suite *virtio_pci_suite(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_device_features);
	tcase_add_test(tc, test_features_ok_checks);
	tcase_add_test(tc, test_driver_ok_activates_once);
	tcase_add_test(tc, test_driver_ok_without_features_ok);
	tcase_add_test(tc, test_activate_failure_needs_reset);
	tcase_add_test(tc, test_queue_registers);
	tcase_add_test(tc, test_reset_restores_initial_state);
	tcase_add_test(tc, test_config_space_and_generation);
	tcase_add_test(tc, test_queue_interrupt_path);
	tcase_add_test(tc, test_pci_cfg_window);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
