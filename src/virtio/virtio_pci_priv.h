/* SPDX-License-Identifier: MIT */
/* virtio-pci transport state shared by virtio_pci.c (setup) and virtio_pci_regs.c (registers). */
#ifndef MICROVM_VIRTIO_PCI_PRIV_H
#define MICROVM_VIRTIO_PCI_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"
#include "virtio/virtio_dev.h"

struct msix;

struct virtio_pci {
	struct pci_dev pdev;
	struct virtio_device *vdev;
	struct vm *vm;
	struct msix *msix;
	pthread_mutex_t lock;        /* register state below; device ops run with it held */
	uint32_t dfselect, gfselect;
	uint64_t driver_features;    /* written by the driver, checked at FEATURES_OK */
	uint8_t status;
	uint16_t queue_sel;
	bool active;                 /* ops->activate succeeded */
	/* Touched by the lock-free notification helpers (device threads). */
	atomic_uint isr;
	atomic_uint generation;
	atomic_bool needs_reset;
	_Atomic uint16_t msix_config;
	/* Where BARs are decoded now. */
	uint64_t modern_gpa, shm_gpa;
	/* Shared memory BAR: per dev->shm[i], its offset in the BAR, memslot, repair cookie. */
	uint64_t shm_bar_off[VIRTIO_MAX_SHM_REGIONS];
	int shm_slots[VIRTIO_MAX_SHM_REGIONS];
	struct vp_shm_owner {
		struct virtio_pci *vp;
		unsigned int idx;
	} shm_owner[VIRTIO_MAX_SHM_REGIONS];
	atomic_uint shm_repairs, shm_failures; /* log limiting (counts are in the region stats) */
	int pci_cfg_cap;             /* config offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
};

extern const struct bus_ops virtio_pci_modern_ops;
extern const struct bus_ops virtio_pci_shm_ops;

/* vm memory owner hook of each shm region's memslot (virtio_pci_shm.c); opaque: vp_shm_owner. */
int virtio_pci_shm_repair(void *opaque, uint64_t offset);

/* Sets dev->transport (vp, or NULL before vp is freed) against the notification helpers. */
void virtio_pci_publish(struct virtio_device *dev, struct virtio_pci *vp);
/* Resets the transport and the device (status 0). Caller holds vp->lock. */
void virtio_pci_reset_locked(struct virtio_pci *vp);

#endif
