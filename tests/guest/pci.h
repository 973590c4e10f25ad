/* SPDX-License-Identifier: MIT */
/* Test guest: PCI configuration access (type 1, 0xcf8/0xcfc) and BAR handling. */
#ifndef TESTGUEST_PCI_H
#define TESTGUEST_PCI_H

#include "guest.h"

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class; /* class << 16 | subclass << 8 | prog-if */
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg);
uint16_t pci_read16(const struct pci_dev *d, uint8_t reg);
uint8_t pci_read8(const struct pci_dev *d, uint8_t reg);
void pci_write32(const struct pci_dev *d, uint8_t reg, uint32_t v);

/* Calls fn for every function on bus 0; stops early when fn returns true. */
typedef bool (*pci_visit_fn)(struct pci_dev *d, void *ctx);
void pci_for_each(pci_visit_fn fn, void *ctx);

/* Sizes and assigns the BARs that read 0 (others are left alone). */
void pci_assign_bars(const struct pci_dev *d);
/* Enables memory + I/O decoding and bus mastering. */
void pci_enable(const struct pci_dev *d);
/* Base address of BAR bar (memory BARs only, 64-bit aware); 0 if unassigned or invalid. */
uint64_t pci_bar_base(const struct pci_dev *d, unsigned int bar);

/* First capability pointer (0 if none) and the next one; bounded walk. */
uint8_t pci_cap_first(const struct pci_dev *d);
uint8_t pci_cap_next(const struct pci_dev *d, uint8_t pos);

#endif
