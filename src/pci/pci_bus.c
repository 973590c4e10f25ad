// SPDX-License-Identifier: MIT
/* PCI bus 0: config-space access paths (type 1 and ECAM), host bridge, device slots. */
#include "pci/pci.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "util/err.h"
#include "kvm/vm.h"

#include "pci/msix.h"
#include "pci/pci_bar.h"

#define CF8_ENABLE 0x80000000u
#define PCI_CLASS_HOST_BRIDGE 0x060000u /* base class 06 (bridge), subclass 00 (host) */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

struct pci_dev *pci_bus_get_dev(struct pci_bus *bus, unsigned int slot)
{
	if (!bus || slot >= PCI_MAX_DEVICES)
		return NULL;
	return bus->devs[slot];
}

static void cfg_read_locked(struct pci_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	if (offset >= PCI_CFG_SIZE) {
		memset(data, 0, len);   /* no extended capabilities */
		return;
	}
	if (dev->ops && dev->ops->cfg_read && dev->ops->cfg_read(dev, offset, data, len))
		return;
	memcpy(data, &dev->cfg[offset], len);
}

static bool touches(uint32_t offset, uint32_t len, uint32_t start, uint32_t end)
{
	return offset < end && offset + len > start;
}

static void cfg_write_locked(struct pci_dev *dev, uint32_t offset, const void *data, uint32_t len)
{
	const uint8_t *src = data;

	if (offset >= PCI_CFG_SIZE)
		return;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t m = dev->wmask[offset + i];

		dev->cfg[offset + i] = (uint8_t)((dev->cfg[offset + i] & ~m) | (src[i] & m));
	}
	if (touches(offset, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    touches(offset, len, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_5 + 4))
		pci_dev_update_bars(dev);
	if (dev->msix)
		msix_cfg_written(dev->msix, offset, len);
	if (dev->ops && dev->ops->cfg_written)
		dev->ops->cfg_written(dev, offset, len);
}

void pci_cfg_access(struct pci_bus *bus, unsigned int slot, uint32_t offset, void *data,
		    uint32_t len, bool is_write)
{
	struct pci_dev *dev;

	/* Accesses are naturally aligned 1, 2 or 4 bytes inside the 4 KiB function space. */
	if ((len != 1 && len != 2 && len != 4) || (offset & (len - 1)) || offset >= 4096) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	dev = slot < PCI_MAX_DEVICES ? bus->devs[slot] : NULL;
	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
	} else if (is_write) {
		cfg_write_locked(dev, offset, data, len);
	} else {
		cfg_read_locked(dev, offset, data, len);
	}
	pthread_mutex_unlock(&bus->lock);
}

#if ARCH_HAS_PIO /* x86 only: arm64 reaches config space through ECAM alone */
/* 0xCF8: the address latch, 32-bit accesses only (byte accesses are other chipset ports). */
static void cf8_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct pci_bus *bus = opaque;

	if (offset != 0 || len != 4) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&bus->lock);
	pci_le_put(data, bus->config_addr, 4);
	pthread_mutex_unlock(&bus->lock);
}

static void cf8_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct pci_bus *bus = opaque;

	if (offset != 0 || len != 4)
		return;
	pthread_mutex_lock(&bus->lock);
	bus->config_addr = pci_le_get(data, 4) & 0x80fffffcu;
	pthread_mutex_unlock(&bus->lock);
}

static void cfc_access(struct pci_bus *bus, uint64_t offset, void *data, uint32_t len, bool wr)
{
	uint32_t addr;
	unsigned int busno, slot, fn;

	pthread_mutex_lock(&bus->lock);
	addr = bus->config_addr;
	pthread_mutex_unlock(&bus->lock);
	busno = (addr >> 16) & 0xff;
	slot = (addr >> 11) & 0x1f;
	fn = (addr >> 8) & 0x7;
	if (!(addr & CF8_ENABLE) || busno != 0 || fn != 0 || offset + len > 4) {
		if (!wr)
			memset(data, 0xff, len);
		return;
	}
	pci_cfg_access(bus, slot, (addr & 0xfc) + (uint32_t)offset, data, len, wr);
}

static void cfc_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	cfc_access(opaque, offset, data, len, false);
}

static void cfc_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	cfc_access(opaque, offset, (void *)data, len, true);
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };
static const struct bus_ops cfc_ops = { .read = cfc_read, .write = cfc_write };

static int register_pio(struct pci_bus *bus)
{
	if (bus_register(&bus->vm->pio_bus, PORT_PCI_CONFIG_ADDR, 4, &cf8_ops, bus, "pci-cf8") < 0 ||
	    bus_register(&bus->vm->pio_bus, PORT_PCI_CONFIG_DATA, 4, &cfc_ops, bus, "pci-cfc") < 0)
		return -1;
	return 0;
}

static void unregister_pio(struct pci_bus *bus)
{
	bus_unregister(&bus->vm->pio_bus, PORT_PCI_CONFIG_ADDR, bus);
	bus_unregister(&bus->vm->pio_bus, PORT_PCI_CONFIG_DATA, bus);
}
#else
static int register_pio(struct pci_bus *bus)
{
	(void)bus;
	return 0;
}

static void unregister_pio(struct pci_bus *bus)
{
	(void)bus;
}
#endif

static void ecam_access(struct pci_bus *bus, uint64_t offset, void *data, uint32_t len, bool wr)
{
	unsigned int slot = (offset >> 15) & 0x1f, fn = (offset >> 12) & 0x7;

	if (fn != 0) {
		if (!wr)
			memset(data, 0xff, len);
		return;
	}
	pci_cfg_access(bus, slot, offset & 0xfff, data, len, wr);
}

static void ecam_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	ecam_access(opaque, offset, data, len, false);
}

static void ecam_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	ecam_access(opaque, offset, (void *)data, len, true);
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	pci_le_put(&dev->cfg[PCI_VENDOR_ID], vendor, 2);
	pci_le_put(&dev->cfg[PCI_DEVICE_ID], device, 2);
	dev->cfg[PCI_REVISION_ID] = revision;
	pci_le_put(&dev->cfg[PCI_CLASS_PROG], class_code, 3);
	dev->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	pci_le_put(&dev->cfg[PCI_SUBSYSTEM_VENDOR_ID], subsys_vendor, 2);
	pci_le_put(&dev->cfg[PCI_SUBSYSTEM_ID], subsys_id, 2);
	/* Writable: command (I/O, memory, bus master, INTx disable), cache line, latency, irq line. */
	pci_le_put(&dev->wmask[PCI_COMMAND],
		   PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->cap_end = 0x40;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		dev->bars[i].mapped_gpa = PCI_BAR_UNMAPPED;
}

int pci_dev_add_cap(struct pci_dev *dev, const void *data, uint8_t len)
{
	unsigned int off = align_up(dev->cap_end, 4);

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(&dev->cfg[off], data, len);
	dev->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + PCI_CAP_LIST_NEXT] = (uint8_t)off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->last_cap = (uint8_t)off;
	dev->cap_end = (uint8_t)(off + len < PCI_CFG_SIZE ? off + len : 0xff);
	return (int)off;
}

static void host_bridge_init(struct pci_bus *bus)
{
	struct pci_dev *hb = &bus->host_bridge;

	pci_dev_init(hb, "host-bridge", PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE,
		     PCI_CLASS_HOST_BRIDGE, 0, 0, 0);
	hb->bus = bus;
	hb->slot = 0;
	pci_le_put(&hb->cfg[PCI_COMMAND], PCI_COMMAND_MEMORY, 2);
	bus->devs[0] = hb;
}

struct pci_bus *pci_bus_create(struct vm *vm, char *err, size_t errlen)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));

	if (!bus) {
		err_fmt(err, errlen, -ENOMEM, "out of memory for the PCI bus");
		return NULL;
	}
	bus->vm = vm;
	pthread_mutex_init(&bus->lock, NULL);
	bus->mmio32_next = LAYOUT_PCI_MMIO32_BASE;
	bus->mmio32_end = LAYOUT_PCI_MMIO32_BASE + LAYOUT_PCI_MMIO32_SIZE;
	pci_mmio64_window(guest_mem_end(&vm->mem), &bus->mmio64_base, &bus->mmio64_end);
	bus->mmio64_next = bus->mmio64_base;
	host_bridge_init(bus);
	if (register_pio(bus) < 0 ||
	    bus_register(&vm->mmio_bus, LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE, &ecam_ops, bus,
			 "pci-ecam") < 0) {
		err_fmt(err, errlen, -EBUSY, "its configuration ports (0xcf8, ECAM) are already taken");
		pci_bus_destroy(bus);
		return NULL;
	}
	return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 1; i < PCI_MAX_DEVICES; i++) {
		struct pci_dev *dev = bus->devs[i];

		if (!dev)
			continue;
		pci_bus_del_dev(bus, dev);
		if (dev->ops && dev->ops->destroy)
			dev->ops->destroy(dev);
	}
	unregister_pio(bus);
	bus_unregister(&bus->vm->mmio_bus, LAYOUT_PCI_ECAM_BASE, bus);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

uint64_t pci_bus_mmio64_base(const struct pci_bus *bus)
{
	return bus->mmio64_base;
}

uint64_t pci_bus_mmio64_size(const struct pci_bus *bus)
{
	return bus->mmio64_end - bus->mmio64_base;
}

int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *dev, const struct pci_dev_ops *ops,
		    void *opaque, char *err, size_t errlen)
{
	unsigned int slot;
	int ret;

	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_MAX_DEVICES && bus->devs[slot]; slot++)
		;
	if (slot == PCI_MAX_DEVICES) {
		pthread_mutex_unlock(&bus->lock);
		return err_fmt(err, errlen, -ENOSPC, "pci: no free slot (%u devices at most)",
			       PCI_MAX_DEVICES - 1);
	}
	dev->bus = bus;
	dev->slot = (uint8_t)slot;
	dev->ops = ops;
	dev->opaque = opaque;
	ret = pci_dev_place_bars(dev);
	if (ret == 0) {
		bus->devs[slot] = dev;
		pci_le_put(&dev->cfg[PCI_COMMAND], PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
		pci_dev_update_bars(dev);
	}
	pthread_mutex_unlock(&bus->lock);
	if (ret < 0)
		err_fmt(err, errlen, ret, "pci: cannot place the BARs: %s", strerror(-ret));
	return ret;
}

void pci_bus_del_dev(struct pci_bus *bus, struct pci_dev *dev)
{
	pthread_mutex_lock(&bus->lock);
	if (dev->slot && bus->devs[dev->slot] == dev) {
		pci_le_put(&dev->cfg[PCI_COMMAND], 0, 2);
		pci_dev_update_bars(dev);
		bus->devs[dev->slot] = NULL;
	}
	pthread_mutex_unlock(&bus->lock);
}
