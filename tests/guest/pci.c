// SPDX-License-Identifier: MIT
/* Test guest: PCI bus 0 through 0xcf8/0xcfc (32-bit accesses only), BAR sizing/assignment. */
#include "pci.h"
#include "arch/x86/layout.h"

#define PCI_COMMAND		0x04
#define PCI_CMD_IO		0x1
#define PCI_CMD_MEM		0x2
#define PCI_CMD_MASTER		0x4
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_CAP_PTR		0x34
#define PCI_IO_BASE		0xc000
#define PCI_IO_END		0x10000

static uint64_t mmio_next = LAYOUT_PCI_MMIO32_BASE;
static uint64_t io_next = PCI_IO_BASE;

static uint32_t cfg_addr(const struct pci_dev *d, uint8_t reg)
{
	return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 |
	       (uint32_t)d->fn << 8 | (reg & 0xfc);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg)
{
	outl(PORT_PCI_CONFIG_ADDR, cfg_addr(d, reg));
	return inl(PORT_PCI_CONFIG_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t reg)
{
	return pci_read32(d, reg) >> ((reg & 2) * 8);
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t reg)
{
	return pci_read32(d, reg) >> ((reg & 3) * 8);
}

void pci_write32(const struct pci_dev *d, uint8_t reg, uint32_t v)
{
	outl(PORT_PCI_CONFIG_ADDR, cfg_addr(d, reg));
	outl(PORT_PCI_CONFIG_DATA, v);
}

static bool probe(struct pci_dev *d)
{
	uint32_t id = pci_read32(d, 0);

	if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
		return false;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	d->class = pci_read32(d, 0x08) >> 8;
	return true;
}

void pci_for_each(pci_visit_fn fn, void *ctx)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_dev d = { .bus = 0, .dev = dev, .fn = 0 };
		uint8_t nfn;

		if (!probe(&d))
			continue;
		nfn = (pci_read8(&d, PCI_HEADER_TYPE) & 0x80) ? 8 : 1;
		for (uint8_t fn_no = 0; fn_no < nfn; fn_no++) {
			d.fn = fn_no;
			if (fn_no && !probe(&d))
				continue;
			if (fn(&d, ctx))
				return;
		}
	}
}

/* Command register write with the status half 0 (its bits are write-1-to-clear). */
static void set_command(const struct pci_dev *d, uint16_t cmd)
{
	pci_write32(d, PCI_COMMAND, cmd);
}

static uint64_t alloc_range(uint64_t *next, uint64_t size, uint64_t limit)
{
	uint64_t base = ALIGN_UP(*next, size);

	if (base + size > limit || base + size < base)
		return 0;
	*next = base + size;
	return base;
}

/* Sizes BAR i (already known to read 0) and assigns it. Returns the number of slots used. */
static unsigned int assign_bar(const struct pci_dev *d, unsigned int i, uint32_t orig)
{
	uint8_t reg = PCI_BAR0 + 4 * i;
	bool io = orig & 1, is64 = !io && ((orig >> 1) & 3) == 2;
	uint64_t mask, size, base;

	pci_write32(d, reg, 0xffffffff);
	mask = pci_read32(d, reg) & (io ? ~3u : ~0xfu);
	if (is64) {
		pci_write32(d, reg + 4, 0xffffffff);
		mask |= (uint64_t)pci_read32(d, reg + 4) << 32;
	} else if (!io) {
		mask |= 0xffffffff00000000ULL;
	} else {
		mask |= 0xffffffffffff0000ULL;
	}
	pci_write32(d, reg, orig);
	if (is64)
		pci_write32(d, reg + 4, 0);
	if (!(mask & 0xffffffffULL))
		return is64 ? 2 : 1; /* unimplemented BAR */
	size = ~mask + 1;
	if (io)
		base = alloc_range(&io_next, size, PCI_IO_END);
	else
		base = alloc_range(&mmio_next, size, LAYOUT_PCI_MMIO32_BASE + LAYOUT_PCI_MMIO32_SIZE);
	if (!base) {
		gprintf("pci: %02x:%02x.%x bar%u: no room for 0x%lx bytes\n", d->bus, d->dev, d->fn,
			i, size);
		return is64 ? 2 : 1;
	}
	pci_write32(d, reg, (uint32_t)base | (orig & (io ? 3 : 0xf)));
	if (is64)
		pci_write32(d, reg + 4, base >> 32);
	gprintf("pci-bar: %02x:%02x.%x bar=%u assigned=0x%lx size=0x%lx%s\n", d->bus, d->dev, d->fn,
		i, base, size, io ? " io" : "");
	return is64 ? 2 : 1;
}

void pci_assign_bars(const struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	bool decoding_off = false;

	if ((pci_read8(d, PCI_HEADER_TYPE) & 0x7f) != 0)
		return; /* bridges: leave alone */
	for (unsigned int i = 0; i < 6;) {
		uint32_t orig = pci_read32(d, PCI_BAR0 + 4 * i);
		bool io = orig & 1, is64 = !io && ((orig >> 1) & 3) == 2;
		uint64_t addr = orig & (io ? ~3u : ~0xfu);

		if (is64 && i == 5)
			break;
		if (is64)
			addr |= (uint64_t)pci_read32(d, PCI_BAR0 + 4 * (i + 1)) << 32;
		if (addr) {
			i += is64 ? 2 : 1;
			continue;
		}
		if (!decoding_off) {
			set_command(d, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
			decoding_off = true;
		}
		i += assign_bar(d, i, orig);
	}
	if (decoding_off)
		set_command(d, cmd);
}

void pci_enable(const struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	uint16_t want = PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;

	if ((cmd & want) != want)
		set_command(d, cmd | want);
}

uint64_t pci_bar_base(const struct pci_dev *d, unsigned int bar)
{
	uint32_t lo;
	uint64_t base;

	if (bar > 5)
		return 0;
	lo = pci_read32(d, PCI_BAR0 + 4 * bar);
	if (lo & 1)
		return 0; /* I/O BAR */
	base = lo & ~0xfu;
	if (((lo >> 1) & 3) == 2) {
		if (bar == 5)
			return 0;
		base |= (uint64_t)pci_read32(d, PCI_BAR0 + 4 * (bar + 1)) << 32;
	}
	return base;
}

uint8_t pci_cap_first(const struct pci_dev *d)
{
	if (!(pci_read16(d, 0x06) & PCI_STATUS_CAP_LIST))
		return 0;
	return pci_read8(d, PCI_CAP_PTR) & 0xfc;
}

uint8_t pci_cap_next(const struct pci_dev *d, uint8_t pos)
{
	return pci_read8(d, pos + 1) & 0xfc;
}
