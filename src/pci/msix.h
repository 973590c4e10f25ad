/* SPDX-License-Identifier: MIT */
/*
 * MSI-X for PCI devices: the capability, the table and PBA in a dedicated 4 KiB memory BAR
 * (table at 0, PBA at 0x800), one eventfd per vector.
 *
 * Each vector's eventfd is what the device writes to interrupt the guest. While the vector is
 * live (MSI-X enabled, function not masked, vector not masked) the eventfd is a KVM irqfd on a
 * GSI routed to the vector's MSI message. While it is not live the irqfd is detached and events
 * stay in the eventfd counter; they are latched into the pending bit when the PBA is read (or
 * msix_poll runs) and re-injected when the vector becomes live again. No watcher thread.
 */
#ifndef MICROVM_MSIX_H
#define MICROVM_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define MSIX_MAX_VECTORS 128
#define MSIX_BAR_SIZE 4096
#define MSIX_TABLE_OFFSET 0
#define MSIX_PBA_OFFSET 0x800

struct pci_dev;
struct vm;

struct msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;
	int fd;          /* eventfd */
	int gsi;         /* MSI route, -1 if none */
	bool live;       /* irqfd attached */
	bool routed;     /* route matches addr/data */
	bool pending;    /* latched while not live */
};

struct msix {
	struct vm *vm;
	struct pci_dev *pdev;
	pthread_mutex_t lock;
	unsigned int nr;
	int cap;         /* config offset of the capability */
	int bar;
	bool enabled, fmask;
	struct msix_vector *v;
};

/*
 * Adds the MSI-X capability and its BAR (bar, 32-bit) to pdev (before pci_bus_add_dev) and sets
 * pdev->msix. nr_vectors 1..MSIX_MAX_VECTORS. NULL on failure, the reason in err.
 */
struct msix *msix_init(struct pci_dev *pdev, struct vm *vm, unsigned int nr_vectors, int bar,
		       char *err, size_t errlen);
/* Detaches irqfds, frees GSIs, closes eventfds. NULL is fine. */
void msix_destroy(struct msix *m);
/* The eventfd of vector v (never changes while m lives), -1 if v is out of range. */
int msix_vector_fd(struct msix *m, unsigned int v);
/* Called by the PCI bus after a config write touching the device (bus lock held). */
void msix_cfg_written(struct msix *m, uint32_t offset, uint32_t len);
/*
 * Consumes events of vector v as the interrupt controller would: returns true if at least one
 * was delivered (vector live). Events of a non-live vector are latched as pending instead.
 * In harness mode this is how a test observes interrupts; with KVM the irqfd consumes them.
 */
bool msix_poll(struct msix *m, unsigned int v);
bool msix_pending(struct msix *m, unsigned int v);
bool msix_vector_live(struct msix *m, unsigned int v);
/* Drops every queued or pending event (device reset). */
void msix_drain(struct msix *m);

#endif
