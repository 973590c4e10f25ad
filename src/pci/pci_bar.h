/* SPDX-License-Identifier: MIT */
/* BAR placement and decoding (internal to src/pci; the bus lock is held by callers). */
#ifndef MICROVM_PCI_BAR_H
#define MICROVM_PCI_BAR_H

#include <stdint.h>

struct pci_dev;

/* Assigns addresses in the bus windows to every declared BAR. 0 or -ENOSPC. */
int pci_dev_place_bars(struct pci_dev *dev);
/* Syncs MMIO bus registrations with the command register and BAR values. */
void pci_dev_update_bars(struct pci_dev *dev);
/* Address programmed in BAR bar (not necessarily decoded). */
uint64_t pci_bar_addr(const struct pci_dev *dev, int bar);

#endif
