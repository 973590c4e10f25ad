/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: host bridge at 00:00.0, type-1 configuration access (ports 0xCF8/0xCFC), ECAM
 * for bus 0 at LAYOUT_PCI_ECAM_BASE, and endpoint devices with a 256-byte configuration space,
 * capability lists and memory BARs.
 *
 * BARs are placed by the VMM when the device is added (32-bit window for small BARs, 64-bit
 * prefetchable window above RAM for large ones; power-of-two sizes, natural alignment) and
 * memory decoding is enabled, as firmware would leave them. The guest may size and move them:
 * the bus keeps the MMIO bus registration in sync with the command register and BAR values
 * and tells the device (pci_dev_ops.bar_moved) so it can move ioeventfds and memslots.
 *
 * Locking: one mutex per bus serialises configuration accesses; device hooks run with it held.
 * Lock order: pci bus lock -> device locks. BAR MMIO handlers never take the bus lock.
 */
#ifndef MICROVM_PCI_H
#define MICROVM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm/bus.h"

#define PCI_MAX_DEVICES 32       /* slots on bus 0; slot 0 is the host bridge */
#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_BAR_UNMAPPED (~0ULL)

#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x0d57

struct vm;
struct pci_dev;
struct msix;

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_MEM32,           /* 32-bit memory BAR in the 32-bit window */
	PCI_BAR_MEM64_PREF,      /* 64-bit prefetchable memory BAR (uses two BAR slots) */
};

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;           /* power of two, >= 4 KiB */
	const struct bus_ops *ops; /* MMIO handler for the BAR range (offset relative to BAR) */
	void *opaque;
	uint64_t mapped_gpa;     /* where the range is registered, PCI_BAR_UNMAPPED if not */
};

struct pci_dev_ops {
	/*
	 * A BAR's decoded address changed (guest reprogrammed it, toggled memory decoding, or the
	 * device was added/removed). old/new are PCI_BAR_UNMAPPED when not decoded. Bus lock held.
	 */
	void (*bar_moved)(struct pci_dev *dev, int bar, uint64_t old_gpa, uint64_t new_gpa);
	/* After a guest write to config space [offset, offset + len) was applied. Bus lock held. */
	void (*cfg_written)(struct pci_dev *dev, uint32_t offset, uint32_t len);
	/* Optional: override a config read (e.g. a data window). Return true if handled. */
	bool (*cfg_read)(struct pci_dev *dev, uint32_t offset, void *data, uint32_t len);
	/* Called by pci_bus_destroy after the device is detached from the bus. Optional. */
	void (*destroy)(struct pci_dev *dev);
};

struct pci_dev {
	struct pci_bus *bus;
	uint8_t slot;            /* device number on bus 0 (function 0 only) */
	char name[32];
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t cap_end;               /* next free config offset for a capability */
	uint8_t last_cap;              /* offset of the last capability (0 = none) */
	struct pci_bar bars[PCI_NUM_BARS];
	struct msix *msix;             /* set by msix_init, NULL otherwise */
	const struct pci_dev_ops *ops;
	void *opaque;
};

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;
	uint32_t config_addr;    /* 0xCF8 latch */
	struct pci_dev host_bridge;
	struct pci_dev *devs[PCI_MAX_DEVICES];
	uint64_t mmio32_next, mmio32_end;
	uint64_t mmio64_base, mmio64_next, mmio64_end;
};

/*
 * Creates bus 0 with the host bridge and registers 0xCF8/0xCFC and ECAM. NULL on failure, with
 * the reason in err.
 */
struct pci_bus *pci_bus_create(struct vm *vm, char *err, size_t errlen);
/* Unmaps and destroys every device (pci_dev_ops.destroy), then the bus. NULL is fine. */
void pci_bus_destroy(struct pci_bus *bus);
/*
 * Placement rules (pci_window.c), shared by the bus and the config-time check: the size a BAR
 * of size bytes takes (power of two, at least 4 KiB); first-fit naturally aligned allocation
 * of size at *next below end (0 or -ENOSPC); the 64-bit window for RAM ending at ram_end.
 */
uint64_t pci_bar_size(uint64_t size);
int pci_window_alloc(uint64_t *next, uint64_t end, uint64_t size, uint64_t *out);
void pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *end);
/* The 64-bit prefetchable window [base, base + size), for firmware tables. */
uint64_t pci_bus_mmio64_base(const struct pci_bus *bus);
uint64_t pci_bus_mmio64_size(const struct pci_bus *bus);

/* Device setup, before pci_bus_add_dev. class_code is 24 bits (class << 16 | sub << 8 | prog-if). */
void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor, uint16_t subsys_id);
/* Appends a capability of len bytes (data starts with the id; next pointer is filled in). Returns
 * its config offset or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *dev, const void *data, uint8_t len);
/* Declares a memory BAR (size rounded up to a power of two, at least 4 KiB). 0 or -errno. */
int pci_dev_set_bar(struct pci_dev *dev, int bar, enum pci_bar_type type, uint64_t size,
		    const struct bus_ops *ops, void *opaque);
/*
 * Places the BARs, enables memory decoding and plugs the device into a free slot. 0 or -errno,
 * the reason in err.
 */
int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *dev, const struct pci_dev_ops *ops,
		    void *opaque, char *err, size_t errlen);
/* Unplugs a device: unmaps its BARs (bar_moved to PCI_BAR_UNMAPPED), frees its slot. */
void pci_bus_del_dev(struct pci_bus *bus, struct pci_dev *dev);
/* Device at slot, or NULL. */
struct pci_dev *pci_bus_get_dev(struct pci_bus *bus, unsigned int slot);

/* Configuration access as the guest does it (slot, offset in 0..4095). Takes the bus lock. */
void pci_cfg_access(struct pci_bus *bus, unsigned int slot, uint32_t offset, void *data,
		    uint32_t len, bool is_write);

/* Little-endian helpers for config space and registers. */
static inline uint32_t pci_le_get(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline void pci_le_put(uint8_t *p, uint32_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
