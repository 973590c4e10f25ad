// SPDX-License-Identifier: MIT
/* PCI bus tests: config access paths, host bridge, BAR sizing/moves, capability walks. */
#include <check.h>
#include <cpuid.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "mm/shm_region.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"
#include "arch/x86/layout.h"
#include "kvm/vm.h"

#define MiB (1ULL << 20)

/* A virtio device with no behaviour: enough to inspect the transport. */
struct dummy {
	struct virtio_device dev;
	int activated, resets;
};

static int dummy_activate(struct virtio_device *dev)
{
	((struct dummy *)dev->priv)->activated++;
	return 0;
}

static void dummy_reset(struct virtio_device *dev)
{
	((struct dummy *)dev->priv)->resets++;
}

static const struct virtio_device_ops dummy_ops = {
	.activate = dummy_activate, .reset = dummy_reset,
};

static struct dummy *dummy_new(struct harness *h, unsigned int nr_shm, const uint64_t *sizes)
{
	struct dummy *d = calloc(1, sizeof(*d));

	d->dev = (struct virtio_device){
		.name = "dummy", .device_id = 26, .host_features = 1ULL << VIRTIO_F_VERSION_1,
		.config_size = 16, .nr_queues = 2, .max_queue_size = 64, .ops = &dummy_ops,
		.priv = d, .vm = &h->vm, .nr_shm = nr_shm,
	};
	for (unsigned int i = 0; i < nr_shm; i++) {
		d->dev.shm[i] = calloc(1, sizeof(struct shm_region));
		ck_assert_int_eq(shm_region_init(d->dev.shm[i], (uint8_t)(i == 0 ? 0 : 5 + i),
						 sizes[i], 0, 0), 0);
	}
	return d;
}

static void dummy_free(struct virtio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		shm_region_destroy(dev->shm[i]);
		free(dev->shm[i]);
	}
	free(dev->priv);
}

START_TEST(test_type1_latch_and_host_bridge)
{
	struct harness *h = harness_create(16 * MiB);

	/* Linux's pci_check_type1(): the latch reads back what was written. */
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, 0x80000000u, 4);
	ck_assert_uint_eq(harness_pio_read(h, PORT_PCI_CONFIG_ADDR, 4), 0x80000000u);
	ck_assert_uint_eq(pci_cfg_read(h, 0, PCI_VENDOR_ID, 2), PCI_HOST_BRIDGE_VENDOR);
	ck_assert_uint_eq(pci_cfg_read(h, 0, PCI_DEVICE_ID, 2), PCI_HOST_BRIDGE_DEVICE);
	ck_assert_uint_eq(pci_cfg_read(h, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	ck_assert_uint_eq(pci_cfg_read(h, 0, PCI_HEADER_TYPE, 1), 0);
	/* Byte and word reads at every offset of the data port. */
	ck_assert_uint_eq(pci_cfg_read(h, 0, 0, 1), 0x86);
	ck_assert_uint_eq(pci_cfg_read(h, 0, 1, 1), 0x80);
	ck_assert_uint_eq(pci_cfg_read(h, 0, 2, 2), PCI_HOST_BRIDGE_DEVICE);
	ck_assert_uint_eq(pci_cfg_read(h, 0, 3, 1), PCI_HOST_BRIDGE_DEVICE >> 8);
	/* Empty slots, other functions and buses read all-ones. */
	ck_assert_uint_eq(pci_cfg_read(h, 5, 0, 4), 0xffffffffu);
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, 0x80000100u, 4);   /* 00:00.1 */
	ck_assert_uint_eq(harness_pio_read(h, PORT_PCI_CONFIG_DATA, 4), 0xffffffffu);
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, 0x80010000u, 4);   /* bus 1 */
	ck_assert_uint_eq(harness_pio_read(h, PORT_PCI_CONFIG_DATA, 4), 0xffffffffu);
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, 0x00000000u, 4);   /* disabled */
	ck_assert_uint_eq(harness_pio_read(h, PORT_PCI_CONFIG_DATA, 4), 0xffffffffu);
	/* Byte access to 0xCF8 is not the latch. */
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, 0x80000000u, 4);
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR + 3, 0x01, 1);
	ck_assert_uint_eq(harness_pio_read(h, PORT_PCI_CONFIG_ADDR, 4), 0x80000000u);
	/* The host bridge's IDs are read-only. */
	pci_cfg_write(h, 0, PCI_VENDOR_ID, 0x1234, 2);
	ck_assert_uint_eq(pci_cfg_read(h, 0, PCI_VENDOR_ID, 2), PCI_HOST_BRIDGE_VENDOR);
	/* ECAM agrees, extended space reads 0. */
	ck_assert_uint_eq(pci_ecam_read(h, 0, 0, 4), pci_cfg_read(h, 0, 0, 4));
	ck_assert_uint_eq(pci_ecam_read(h, 0, 0x100, 4), 0);
	ck_assert_uint_eq(pci_ecam_read(h, 7, 0, 4), 0xffffffffu);
	harness_destroy(h);
}
END_TEST

START_TEST(test_virtio_identity_and_bars)
{
	struct harness *h = harness_create(64 * MiB);
	uint64_t sizes[] = { 4 * MiB, 2 * MiB };
	struct dummy *d = dummy_new(h, 2, sizes);
	int slot = harness_add_virtio(h, &d->dev, dummy_free);
	uint64_t a1, a2, a4;
	struct pci_dev *p;

	ck_assert_int_eq(slot, 1);
	ck_assert_int_eq(harness_pci_find(h, 0x1af4, 0x1040 + 26, 0), 1);
	ck_assert_uint_eq(pci_cfg_read(h, slot, PCI_REVISION_ID, 1), 1);
	ck_assert_uint_eq(pci_cfg_read(h, slot, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	ck_assert_uint_ge(pci_cfg_read(h, slot, PCI_SUBSYSTEM_ID, 2), 0x40);
	ck_assert_uint_eq(pci_cfg_read(h, slot, PCI_INTERRUPT_PIN, 1), 0);
	ck_assert(pci_cfg_read(h, slot, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	/* Sizing protocol. */
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 0), 0);
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 1), 4096);
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 2), VIRTIO_PCI_MODERN_BAR_SIZE);
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 3), 0);
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 4), 8 * MiB);   /* 6 MiB rounded up */
	ck_assert_uint_eq(pci_cfg_read(h, slot, PCI_BASE_ADDRESS_4, 4) & 0xf,
			  PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	ck_assert_uint_eq(pci_cfg_read(h, slot, PCI_BASE_ADDRESS_2, 4) & 0xf, 0);
	/* The sizing left the addresses intact; placement windows and natural alignment. */
	a1 = harness_pci_bar_addr(h, slot, 1);
	a2 = harness_pci_bar_addr(h, slot, 2);
	a4 = harness_pci_bar_addr(h, slot, 4);
	ck_assert_uint_ge(a1, LAYOUT_PCI_MMIO32_BASE);
	ck_assert_uint_lt(a1, LAYOUT_PCI_MMIO32_BASE + LAYOUT_PCI_MMIO32_SIZE);
	ck_assert_uint_eq(a1 % 4096, 0);
	ck_assert_uint_eq(a2 % VIRTIO_PCI_MODERN_BAR_SIZE, 0);
	ck_assert_uint_eq(a4, pci_bus_mmio64_base(h->pci));
	ck_assert_uint_ge(a4, LAYOUT_HIGH_RAM_START);
	ck_assert_uint_eq(a4 % (8 * MiB), 0);
	/* the shm BAR's bus handler completes accesses from the region object (a hole here) */
	*(volatile uint32_t *)(d->dev.shm[0]->hva + 8) = 0x5a5a1234;
	ck_assert_uint_eq(harness_mmio_read(h, a4 + 8, 4), 0x5a5a1234);
	p = pci_bus_get_dev(h->pci, slot);
	ck_assert_uint_eq(p->bars[2].mapped_gpa, a2);
	harness_destroy(h);
}
END_TEST

/*
 * #12.3: a 130 GiB shared-memory region is a 256 GiB BAR at a 256 GiB boundary; the 256 GiB
 * window that started at 4 GiB could not hold it ("cannot place the BARs ... -28"). The bus
 * now places it where machine_check_config (pci_window.c) says it goes.
 */
START_TEST(test_large_shm_bar)
{
	struct harness *h = harness_create(64 * MiB);
	struct dummy *d = dummy_new(h, 1, (uint64_t[]){ 130ULL << 30 });
	unsigned int eax, ebx, ecx, edx;
	uint64_t base, end, next, want;
	int slot;

	pci_mmio64_window(64 * MiB, &base, &end);
	ck_assert_uint_eq(base, pci_bus_mmio64_base(h->pci));
	ck_assert_uint_eq(end - base, pci_bus_mmio64_size(h->pci));
	if (!__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx) || (eax & 0xff) < 40) {
		harness_destroy(h);	/* the guest could not address 512 GiB anyway */
		return;
	}
	next = base;
	ck_assert_int_eq(pci_window_alloc(&next, end, pci_bar_size(130ULL << 30), &want), 0);
	ck_assert_uint_eq(want, 256ULL << 30);
	slot = harness_add_virtio(h, &d->dev, dummy_free);
	ck_assert_int_ge(slot, 1);
	ck_assert_uint_eq(harness_pci_bar_size(h, slot, 4), 256ULL << 30);
	ck_assert_uint_eq(harness_pci_bar_addr(h, slot, 4), want);
	harness_destroy(h);
}
END_TEST

START_TEST(test_bar_move_and_decode)
{
	struct harness *h = harness_create(64 * MiB);
	struct dummy *d = dummy_new(h, 1, (uint64_t[]){ 2 * MiB });
	int slot = harness_add_virtio(h, &d->dev, dummy_free);
	struct hvirtio v;
	uint64_t old, newa = LAYOUT_PCI_MMIO32_BASE + 0x1000000, shm_new = 0x2000000000ULL, shm_old;
	uint16_t cmd;

	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
	old = harness_pci_bar_addr(h, slot, 2);
	shm_old = harness_pci_bar_addr(h, slot, 4);
	*(volatile uint32_t *)(d->dev.shm[0]->hva + 0x1000) = 0x77665544;
	ck_assert_uint_eq(harness_mmio_read(h, shm_old + 0x1000, 4), 0x77665544);
	ck_assert_uint_eq(hvirtio_common_read(&v, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	/* Memory decoding off: the BAR disappears from the MMIO bus. */
	cmd = (uint16_t)pci_cfg_read(h, slot, PCI_COMMAND, 2);
	pci_cfg_write(h, slot, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	ck_assert_uint_eq(harness_mmio_read(h, old + VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	ck_assert_uint_eq(harness_mmio_read(h, shm_old + 0x1000, 4), 0xffffffff);
	pci_cfg_write(h, slot, PCI_COMMAND, cmd, 2);
	ck_assert_uint_eq(harness_mmio_read(h, old + VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	/* Move BAR 2: old address unclaimed, new one answers. */
	harness_pci_bar_move(h, slot, 2, newa);
	ck_assert_uint_eq(harness_pci_bar_addr(h, slot, 2), newa);
	ck_assert_uint_eq(harness_mmio_read(h, old + VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	ck_assert_uint_eq(harness_mmio_read(h, newa + VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	/* Move the 64-bit shm BAR: the region answers at the new address only. */
	harness_pci_bar_move(h, slot, 4, shm_new);
	ck_assert_uint_eq(harness_pci_bar_addr(h, slot, 4), shm_new);
	ck_assert_uint_eq(harness_mmio_read(h, shm_new + 0x1000, 4), 0x77665544);
	ck_assert_uint_eq(harness_mmio_read(h, shm_old + 0x1000, 4), 0xffffffff);
	/* A BAR programmed over RAM is not decoded. */
	harness_pci_bar_move(h, slot, 2, 0x100000);
	ck_assert_uint_eq(pci_bus_get_dev(h->pci, slot)->bars[2].mapped_gpa, PCI_BAR_UNMAPPED);
	harness_pci_bar_move(h, slot, 2, newa);
	ck_assert_uint_eq(harness_mmio_read(h, newa + VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	hvirtio_cleanup(&v);
	harness_destroy(h);
}
END_TEST

START_TEST(test_notify_after_bar_move)
{
	struct harness *h = harness_create(64 * MiB);
	struct dummy *d = dummy_new(h, 0, NULL);
	int slot = harness_add_virtio(h, &d->dev, dummy_free);
	struct hvirtio v;
	uint64_t cnt;

	harness_pci_bar_move(h, slot, 2, LAYOUT_PCI_MMIO32_BASE + 0x800000);
	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
	ck_assert_uint_eq(v.common, LAYOUT_PCI_MMIO32_BASE + 0x800000);
	ck_assert_int_eq(hvirtio_start(&v, 1ULL << VIRTIO_F_VERSION_1, 2), 0);
	ck_assert_int_eq(d->activated, 1);
	hvq_kick(&v, 1);
	ck_assert_int_eq(read(d->dev.queues[1].kick_fd, &cnt, 8), 8);
	ck_assert_int_eq(read(d->dev.queues[0].kick_fd, &cnt, 8), -1);
	hvirtio_cleanup(&v);
	harness_destroy(h);
}
END_TEST

/* Walks the capabilities as Linux's virtio_pci_modern_probe + vp_get_shm_region would. */
START_TEST(test_capability_walk)
{
	struct harness *h = harness_create(64 * MiB);
	uint64_t sizes[] = { 2 * MiB, 4 * MiB, 2 * MiB };
	struct dummy *d = dummy_new(h, 3, sizes);
	int slot = harness_add_virtio(h, &d->dev, dummy_free);
	unsigned int seen[9] = { 0 }, pos, n = 0;
	struct hvirtio v;
	uint64_t expect_off = 0, bar4 = harness_pci_bar_size(h, slot, 4);

	ck_assert(pci_cfg_read(h, slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, 0); pos;
	     pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, pos)) {
		uint8_t type = (uint8_t)pci_cfg_read(h, slot, pos + 3, 1);
		uint8_t len = (uint8_t)pci_cfg_read(h, slot, pos + 2, 1);

		ck_assert_uint_eq(pos % 4, 0);
		ck_assert_uint_lt(type, 9);
		seen[type]++;
		if (type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG)
			ck_assert_uint_eq(len, sizeof(struct virtio_pci_cap64));
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			ck_assert_uint_eq(len, sizeof(struct virtio_pci_notify_cap));
		else if (type == VIRTIO_PCI_CAP_PCI_CFG)
			ck_assert_uint_eq(len, sizeof(struct virtio_pci_cfg_cap));
		else
			ck_assert_uint_eq(len, sizeof(struct virtio_pci_cap));
		n++;
	}
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_COMMON_CFG], 1);
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_NOTIFY_CFG], 1);
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_ISR_CFG], 1);
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_DEVICE_CFG], 1);
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_PCI_CFG], 1);
	ck_assert_uint_eq(seen[VIRTIO_PCI_CAP_SHARED_MEMORY_CFG], 3);
	ck_assert_uint_ne(harness_pci_find_cap(h, slot, PCI_CAP_ID_MSIX, 0), 0);
	/* The driver's view. */
	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
	ck_assert_uint_eq(v.notify_mult, 4);
	ck_assert_uint_eq(v.device_len, 16);
	ck_assert_uint_eq(v.nr_vectors, 3);
	ck_assert_uint_eq(v.nr_shm, 3);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(v.shm[i].bar, 4);
		ck_assert_uint_eq(v.shm[i].id, d->dev.shm[i]->id);
		ck_assert_uint_eq(v.shm[i].offset, expect_off);
		ck_assert_uint_eq(v.shm[i].offset % (2 * MiB), 0);
		ck_assert_uint_eq(v.shm[i].length, sizes[i]);
		expect_off += sizes[i];
	}
	ck_assert_uint_eq(bar4, 8 * MiB);
	/* The shm BAR holds nothing else: no other structure points at BAR 4. */
	for (pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, 0); pos;
	     pos = harness_pci_find_cap(h, slot, PCI_CAP_ID_VNDR, pos)) {
		if (pci_cfg_read(h, slot, pos + 3, 1) != VIRTIO_PCI_CAP_SHARED_MEMORY_CFG)
			ck_assert_uint_ne(pci_cfg_read(h, slot, pos + 4, 1), 4);
	}
	/* Shared memory reads through the MMIO path (no memslot in harness mode) are completed
	 * from the region: a hole reads 0. */
	ck_assert_uint_eq(harness_mmio_read(h, harness_pci_bar_addr(h, slot, 4) + 8, 4), 0);
	hvirtio_cleanup(&v);
	harness_destroy(h);
}
END_TEST

/*
 * The transport owns guest accesses to its shm BAR and the repair after KVM_RUN EFAULT: a file
 * mapped into the region is truncated by the host; an access through the bus (an MMIO exit on
 * this CI's KVM) reads zeros there, and so does the memory after vm_repair_memory (what the
 * vCPU loop calls on EFAULT), with or without the faulting GPA.
 */
START_TEST(test_shm_bar_repairs)
{
	struct harness *h = harness_create(64 * MiB);
	struct dummy *d = dummy_new(h, 1, (uint64_t[]){ 8 * MiB });
	int slot = harness_add_virtio(h, &d->dev, dummy_free);
	struct shm_region *r = d->dev.shm[0];
	struct shm_region_stats st;
	uint64_t bar;
	int fd = memfd_create("pci-shm", MFD_CLOEXEC);

	ck_assert_int_ge(slot, 0);
	bar = harness_pci_bar_addr(h, slot, 4);
	ck_assert_int_eq(ftruncate(fd, 16 * 4096), 0);
	ck_assert_int_eq(pwrite(fd, "\x11\x22\x33\x44", 4, 5 * 4096), 4);
	ck_assert_int_eq(pwrite(fd, "\x55\x66\x77\x88", 4, 9 * 4096), 4);
	ck_assert_int_eq(shm_region_map(r, 0, 2 * MiB, fd, 0, true, NULL, 0), 0);
	ck_assert_int_eq(shm_region_map(r, 4 * MiB, 2 * MiB, fd, 0, true, NULL, 0), 0);
	ck_assert_uint_eq(harness_mmio_read(h, bar + 5 * 4096, 4), 0x44332211);
	/* nothing to repair yet: only the unbacked tails past 64 KiB, never touched */
	ck_assert_int_eq(ftruncate(fd, 8 * 4096), 0);   /* the host shrinks the file */
	/* MMIO path: the bus -> shm BAR handler -> the region repairs and completes */
	ck_assert_uint_eq(harness_mmio_read(h, bar + 9 * 4096, 4), 0);
	ck_assert_uint_eq(harness_mmio_read(h, bar + 5 * 4096, 4), 0x44332211);
	harness_mmio_write(h, bar + 9 * 4096 + 8, 0xabcd, 4);    /* lands in scratch */
	ck_assert_uint_eq(harness_mmio_read(h, bar + 9 * 4096 + 8, 4), 0xabcd);
	/* EFAULT path with the GPA (KVM_EXIT_MEMORY_FAULT): the second mapping */
	ck_assert_int_eq(vm_repair_memory(&h->vm, bar + 4 * MiB + 9 * 4096), 1);
	ck_assert_int_eq(vm_repair_memory(&h->vm, bar + 4 * MiB + 9 * 4096), 0);
	ck_assert_uint_eq(*(volatile uint32_t *)(r->hva + 4 * MiB + 9 * 4096), 0);
	/* EFAULT without an address (Linux 6.1): every mapping checked, nothing left */
	ck_assert_int_eq(vm_repair_memory(&h->vm, UINT64_MAX), 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	ck_assert_int_eq(vm_repair_memory(&h->vm, UINT64_MAX), 2);
	ck_assert_uint_eq(*(volatile uint32_t *)(r->hva + 4 * MiB + 5 * 4096), 0);
	ck_assert_int_eq(vm_repair_memory(&h->vm, 0x1000), 0);  /* RAM: no owner */
	shm_region_get_stats(r, &st);
	ck_assert_uint_eq(st.repairs, 4);
	ck_assert_uint_eq(st.live, 2);
	close(fd);
	harness_destroy(h);
}
END_TEST

START_TEST(test_invalid_devices_rejected)
{
	struct harness *h = harness_create(16 * MiB);
	struct dummy *d = dummy_new(h, 0, NULL);
	struct shm_region small = { .id = 0, .size = 4096, .hva = (uint8_t *)0x1000 };
	struct shm_region twin[2] = { { .id = 3, .size = 2 * MiB, .hva = (uint8_t *)0x1000 },
				      { .id = 3, .size = 2 * MiB, .hva = (uint8_t *)0x1000 } };

	d->dev.host_features = 0;                 /* no VERSION_1 */
	ck_assert_int_lt(virtio_pci_add(h->pci, &d->dev, NULL, 0), 0);
	d->dev.host_features = 1ULL << VIRTIO_F_VERSION_1;
	d->dev.max_queue_size = 100;              /* not a power of two */
	ck_assert_int_lt(virtio_pci_add(h->pci, &d->dev, NULL, 0), 0);
	d->dev.max_queue_size = 64;
	d->dev.nr_shm = 1;
	d->dev.shm[0] = &small;                   /* not a multiple of 2 MiB */
	ck_assert_int_lt(virtio_pci_add(h->pci, &d->dev, NULL, 0), 0);
	d->dev.nr_shm = 2;
	d->dev.shm[0] = &twin[0];                 /* duplicate ids */
	d->dev.shm[1] = &twin[1];
	ck_assert_int_lt(virtio_pci_add(h->pci, &d->dev, NULL, 0), 0);
	d->dev.nr_shm = 4;                        /* more than fit next to a device config */
	ck_assert_int_eq(virtio_pci_shm_room(16), 3);
	ck_assert_int_eq(virtio_pci_shm_room(0), 4);
	ck_assert_int_eq(virtio_pci_add(h->pci, &d->dev, NULL, 0), -ENOSPC);
	d->dev.nr_shm = 0;
	ck_assert_int_eq(harness_pci_find(h, 0x1af4, 0xffff, 0), -ENOENT);
	free(d);
	harness_destroy(h);
}
END_TEST

START_TEST(test_slots_full)
{
	struct harness *h = harness_create(16 * MiB);
	struct dummy *d[PCI_MAX_DEVICES];

	/* Slot 0 is the host bridge: 31 functions fit, the 32nd gets -ENOSPC. */
	for (int i = 0; i < PCI_MAX_DEVICES; i++) {
		d[i] = dummy_new(h, 0, NULL);
		ck_assert_int_eq(virtio_pci_add(h->pci, &d[i]->dev, NULL, 0), i < PCI_MAX_DEVICES - 1 ? 0 : -ENOSPC);
	}
	ck_assert_ptr_nonnull(pci_bus_get_dev(h->pci, PCI_MAX_DEVICES - 1));
	pci_bus_destroy(h->pci);
	h->pci = NULL;
	for (int i = 0; i < PCI_MAX_DEVICES; i++)
		ck_assert_int_eq(d[i]->resets, 2);   /* at plug and at unplug */
	for (int i = 0; i < PCI_MAX_DEVICES; i++)
		free(d[i]);
	harness_destroy(h);
}
END_TEST

static Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("bus");

	tcase_add_test(tc, test_type1_latch_and_host_bridge);
	tcase_add_test(tc, test_virtio_identity_and_bars);
	tcase_add_test(tc, test_bar_move_and_decode);
	tcase_add_test(tc, test_notify_after_bar_move);
	tcase_add_test(tc, test_capability_walk);
	tcase_add_test(tc, test_shm_bar_repairs);
	tcase_add_test(tc, test_invalid_devices_rejected);
	tcase_add_test(tc, test_slots_full);
	suite_add_tcase(s, tc);
	/*
	 * A 130 GiB region reserves 130 GiB of host address space, more than valgrind's address
	 * space manager gives a process (shm_region_init gets EINVAL there): tagged no-valgrind,
	 * the unit, ASan and TSan phases run it.
	 */
	tc = tcase_create("large_bar");
	tcase_set_tags(tc, "no-valgrind");
	tcase_add_test(tc, test_large_shm_bar);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
