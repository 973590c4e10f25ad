// SPDX-License-Identifier: MIT
/* Memory BARs: declaration, placement in the bus windows, sizing masks, decoding changes. */
#include "pci/pci.h"
#include "pci/pci_bar.h"

#include <errno.h>
#include <linux/pci_regs.h>

#include "util/log.h"
#include "kvm/vm.h"

static uint32_t bar_reg(int bar)
{
	return PCI_BASE_ADDRESS_0 + 4 * (uint32_t)bar;
}

int pci_dev_set_bar(struct pci_dev *dev, int bar, enum pci_bar_type type, uint64_t size,
		    const struct bus_ops *ops, void *opaque)
{
	struct pci_bar *b;
	uint32_t flags, lo_mask;

	if (bar < 0 || bar >= PCI_NUM_BARS || !ops || size == 0 || size > (1ULL << 40))
		return -EINVAL;
	if (type == PCI_BAR_MEM64_PREF && (bar == PCI_NUM_BARS - 1 || dev->bars[bar + 1].type))
		return -EINVAL;
	if (type != PCI_BAR_MEM32 && type != PCI_BAR_MEM64_PREF)
		return -EINVAL;
	if (type == PCI_BAR_MEM32 && size > (1ULL << 31))
		return -EINVAL;
	if (dev->bars[bar].type != PCI_BAR_NONE)
		return -EBUSY;
	size = pci_bar_size(size);
	b = &dev->bars[bar];
	b->type = type;
	b->size = size;
	b->ops = ops;
	b->opaque = opaque;
	b->mapped_gpa = PCI_BAR_UNMAPPED;
	flags = PCI_BASE_ADDRESS_SPACE_MEMORY;
	if (type == PCI_BAR_MEM64_PREF)
		flags |= PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH;
	lo_mask = (uint32_t)~(size - 1) & (uint32_t)PCI_BASE_ADDRESS_MEM_MASK;
	pci_le_put(&dev->cfg[bar_reg(bar)], flags, 4);
	pci_le_put(&dev->wmask[bar_reg(bar)], lo_mask, 4);
	if (type == PCI_BAR_MEM64_PREF) {
		/* The upper half: reserved for the high dword, never a BAR of its own. */
		dev->bars[bar + 1].type = PCI_BAR_NONE;
		pci_le_put(&dev->wmask[bar_reg(bar + 1)], (uint32_t)~((size - 1) >> 32), 4);
	}
	return 0;
}

uint64_t pci_bar_addr(const struct pci_dev *dev, int bar)
{
	uint64_t addr = pci_le_get(&dev->cfg[bar_reg(bar)], 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (dev->bars[bar].type == PCI_BAR_MEM64_PREF)
		addr |= (uint64_t)pci_le_get(&dev->cfg[bar_reg(bar + 1)], 4) << 32;
	return addr;
}

static void bar_write_addr(struct pci_dev *dev, int bar, uint64_t addr)
{
	uint32_t lo = pci_le_get(&dev->cfg[bar_reg(bar)], 4) & ~(uint32_t)PCI_BASE_ADDRESS_MEM_MASK;

	pci_le_put(&dev->cfg[bar_reg(bar)], lo | (uint32_t)addr, 4);
	if (dev->bars[bar].type == PCI_BAR_MEM64_PREF)
		pci_le_put(&dev->cfg[bar_reg(bar + 1)], (uint32_t)(addr >> 32), 4);
}

/* Places the largest BARs first to limit alignment holes. */
int pci_dev_place_bars(struct pci_dev *dev)
{
	struct pci_bus *bus = dev->bus;
	bool done[PCI_NUM_BARS] = { false };

	for (;;) {
		int best = -1;
		uint64_t addr;
		int ret;

		for (int i = 0; i < PCI_NUM_BARS; i++) {
			if (dev->bars[i].type && !done[i] &&
			    (best < 0 || dev->bars[i].size > dev->bars[best].size))
				best = i;
		}
		if (best < 0)
			return 0;
		done[best] = true;
		if (dev->bars[best].type == PCI_BAR_MEM32)
			ret = pci_window_alloc(&bus->mmio32_next, bus->mmio32_end,
					       dev->bars[best].size, &addr);
		else
			ret = pci_window_alloc(&bus->mmio64_next, bus->mmio64_end,
					       dev->bars[best].size, &addr);
		if (ret < 0)
			return ret;
		bar_write_addr(dev, best, addr);
	}
}

static bool overlaps_ram(const struct guest_mem *gm, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return true;
	}
	return false;
}

/* Where BAR bar should be decoded now, PCI_BAR_UNMAPPED if nowhere. */
static uint64_t bar_target(const struct pci_dev *dev, int bar)
{
	const struct pci_bar *b = &dev->bars[bar];
	uint16_t cmd = (uint16_t)pci_le_get(&dev->cfg[PCI_COMMAND], 2);
	uint64_t addr = pci_bar_addr(dev, bar);

	if (!(cmd & PCI_COMMAND_MEMORY) || !dev->bus || addr == 0 || addr + b->size < addr ||
	    addr + b->size > (1ULL << 52))
		return PCI_BAR_UNMAPPED;
	if (overlaps_ram(&dev->bus->vm->mem, addr, b->size))
		return PCI_BAR_UNMAPPED;
	return addr;
}

void pci_dev_update_bars(struct pci_dev *dev)
{
	struct bus *mmio = &dev->bus->vm->mmio_bus;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		uint64_t target, old;

		if (b->type == PCI_BAR_NONE)
			continue;
		target = bar_target(dev, i);
		if (target == b->mapped_gpa)
			continue;
		old = b->mapped_gpa;
		if (old != PCI_BAR_UNMAPPED)
			bus_unregister(mmio, old, b->opaque);
		if (target != PCI_BAR_UNMAPPED &&
		    bus_register(mmio, target, b->size, b->ops, b->opaque, dev->name) < 0) {
			pr_debug_rl("pci: %s BAR %d at 0x%llx overlaps another range: not decoded",
				    dev->name, i, (unsigned long long)target);
			target = PCI_BAR_UNMAPPED;
		}
		b->mapped_gpa = target;
		if (old != target && dev->ops && dev->ops->bar_moved)
			dev->ops->bar_moved(dev, i, old, target);
	}
}
