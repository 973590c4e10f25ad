// SPDX-License-Identifier: MIT
/*
 * Fuzz target: PCI configuration writes and BAR accesses against bus 0 with a virtio-pci
 * function (2 queues, one 2 MiB shared memory region) whose device model does nothing.
 *
 * Input: a sequence of 8-byte records {u8 op, u8 slot, u16 offset, u32 value}:
 *   op % 6 == 0: config write through 0xCF8/0xCFC (len 1/2/4 from op bits 4-5)
 *   op % 6 == 1: config read through 0xCF8/0xCFC
 *   op % 6 == 2: config write through ECAM
 *   op % 6 == 3: MMIO write into the function's BAR (op bits 4-6 pick the BAR) at offset
 *   op % 6 == 4: MMIO read from a BAR
 *   op % 6 == 5: raw 0xCF8 write (value) then a 0xCFC access
 * After every record the bus invariants are checked: a decoded BAR is where the config space
 * says, never over RAM, and the MMIO bus answers there.
 */
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/shm_region.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "kvm/vm.h"

#define RAM_SIZE (16 << 20)

static struct vm vm;
static void *shm_hva;
static struct shm_region shm;

static int nop_activate(struct virtio_device *dev) { (void)dev; return 0; }
static void nop_reset(struct virtio_device *dev) { (void)dev; }

static const struct virtio_device_ops nop_ops = { .activate = nop_activate, .reset = nop_reset };

static void pio(uint16_t port, uint32_t val, unsigned int len, int wr)
{
	uint8_t buf[4];

	memcpy(buf, &val, 4);
	bus_access(&vm.pio_bus, port, buf, len, wr);
}

static uint64_t bar_addr(struct pci_dev *p, int bar)
{
	uint64_t a = pci_le_get(&p->cfg[PCI_BASE_ADDRESS_0 + 4 * bar], 4) & ~0xfULL;

	if (p->bars[bar].type == PCI_BAR_MEM64_PREF)
		a |= (uint64_t)pci_le_get(&p->cfg[PCI_BASE_ADDRESS_0 + 4 * bar + 4], 4) << 32;
	return a;
}

static void check(struct pci_bus *bus)
{
	struct pci_dev *p = pci_bus_get_dev(bus, 1);

	for (int i = 0; p && i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &p->bars[i];
		struct bus_range r;

		if (b->type == PCI_BAR_NONE || b->mapped_gpa == PCI_BAR_UNMAPPED)
			continue;
		if (b->mapped_gpa != bar_addr(p, i) || b->mapped_gpa < RAM_SIZE ||
		    !bus_find(&vm.mmio_bus, b->mapped_gpa, &r) || r.opaque != b->opaque)
			abort();
	}
}

static void run_record(struct pci_bus *bus, const uint8_t *rec)
{
	uint8_t op = rec[0], slot = rec[1] & 0x1f;
	uint16_t off;
	uint32_t val;
	unsigned int len = 1u << ((op >> 4) & 3);
	struct pci_dev *p = pci_bus_get_dev(bus, 1);
	uint8_t buf[8];

	memcpy(&off, rec + 2, 2);
	memcpy(&val, rec + 4, 4);
	if (len > 4)
		len = 4;
	switch (op % 6) {
	case 0:
	case 1:
		off &= 0xff;
		off &= (uint16_t)~(len - 1);
		pio(PORT_PCI_CONFIG_ADDR, 0x80000000u | (uint32_t)slot << 11 | (off & 0xfc), 4, 1);
		pio((uint16_t)(PORT_PCI_CONFIG_DATA + (off & 3)), val, len, op % 6 == 0);
		break;
	case 2:
		memcpy(buf, &val, 4);
		bus_access(&vm.mmio_bus, LAYOUT_PCI_ECAM_BASE + ((uint64_t)slot << 15) + (off & 0xfff),
			   buf, len, true);
		break;
	case 3:
	case 4:
		if (!p)
			break;
		memcpy(buf, &val, 4);
		bus_access(&vm.mmio_bus, bar_addr(p, (op >> 4) % 6) + off, buf, len, op % 6 == 3);
		break;
	default:
		pio(PORT_PCI_CONFIG_ADDR, val, 4, 1);
		pio((uint16_t)(PORT_PCI_CONFIG_DATA + (off & 3)), val, len, off & 4);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_device dev;
	struct pci_bus *bus;

	if (!shm_hva) {
		log_set_level(LOG_ERROR);
		if (vm_init_harness(&vm, RAM_SIZE) < 0)
			abort();
		if (shm_region_init(&shm, 0, 2 << 20, 0, 0))
			abort();
		shm_hva = shm.hva;
	}
	memset(&dev, 0, sizeof(dev));
	dev.name = "fuzz";
	dev.device_id = 26;
	dev.host_features = 1ULL << VIRTIO_F_VERSION_1;
	dev.config_size = 8;
	dev.nr_queues = 2;
	dev.max_queue_size = 16;
	dev.ops = &nop_ops;
	dev.vm = &vm;
	dev.nr_shm = 1;
	dev.shm[0] = &shm;   /* guest accesses to the shm BAR reach the region */
	bus = pci_bus_create(&vm, NULL, 0);
	if (!bus || virtio_pci_add(bus, &dev, NULL, 0) < 0)
		abort();
	for (size_t i = 0; i + 8 <= size; i += 8) {
		run_record(bus, data + i);
		check(bus);
	}
	pci_bus_destroy(bus);
	return 0;
}
