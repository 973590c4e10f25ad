/* SPDX-License-Identifier: MIT */
/*
 * The contract between a virtio device model (built-in virtio-blk, vhost-user devices) and the
 * virtio-pci transport (src/virtio/virtio_pci.c).
 *
 * The transport owns: PCI config space and BARs, the common/notify/ISR/device-config capabilities,
 * MSI-X, the status state machine, feature negotiation checks, queue registers, and one kick
 * eventfd per queue (a KVM ioeventfd on the queue's notify address) and one call eventfd per
 * MSI-X vector (a KVM irqfd). The device only sees fds and ring addresses, so a built-in device
 * thread and an external vhost-user backend are driven the same way.
 *
 * Threads: ops are called from the vCPU thread that performed the guest access (or the harness
 * thread), with the transport's lock held: they must not block for long and must not call back
 * into transport functions other than the two notification helpers below.
 */
#ifndef MICROVM_VIRTIO_DEV_H
#define MICROVM_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_MAX_QUEUES 64
#define VIRTIO_MAX_SHM_REGIONS 256

struct vm;
struct virtio_device;

struct virtio_queue {
	uint16_t size;       /* negotiated queue size (power of two) */
	bool enabled;        /* queue_enable written 1 by the driver */
	uint64_t desc_gpa;   /* descriptor table */
	uint64_t avail_gpa;  /* driver (available) ring */
	uint64_t used_gpa;   /* device (used) ring */
	uint16_t msix_vector;/* VIRTIO_MSI_NO_VECTOR when none */
	int kick_fd;         /* eventfd: readable when the guest notified this queue */
	int call_fd;         /* eventfd: write 1 to interrupt the guest for this queue; -1 if no vector */
};

struct virtio_shm_region {
	uint8_t id;          /* shmid, unique per device */
	uint64_t size;       /* bytes, multiple of 2 MiB */
	void *hva;           /* host range backing the region (reserved, never unmapped) */
	uint64_t bar_offset; /* set by the transport: offset inside the shared-memory BAR */
};

struct virtio_device_ops {
	/* Device-specific configuration space (after the common config). Bounds already checked. */
	void (*config_read)(struct virtio_device *dev, uint32_t offset, void *data, uint32_t len);
	void (*config_write)(struct virtio_device *dev, uint32_t offset, const void *data, uint32_t len);
	/* FEATURES_OK: the driver's features (already checked to be a subset). <0 refuses. */
	int (*set_features)(struct virtio_device *dev, uint64_t features);
	/* DRIVER_OK: start processing dev->queues[]. <0 puts the device into DEVICE_NEEDS_RESET. */
	int (*activate)(struct virtio_device *dev);
	/* Device reset (status 0) or VM teardown: stop, release everything activate took. */
	void (*reset)(struct virtio_device *dev);
	/* The shared-memory BAR moved (or was first placed) at bar_gpa; ~0ULL means unmapped. Optional. */
	void (*shm_bar_moved)(struct virtio_device *dev, uint64_t bar_gpa);
};

struct virtio_device {
	const char *name;          /* "virtio-blk0", for messages */
	uint16_t device_id;        /* VIRTIO_ID_* */
	uint64_t host_features;    /* offered; must include VIRTIO_F_VERSION_1 */
	uint64_t guest_features;   /* accepted at FEATURES_OK */
	uint32_t config_size;      /* bytes of device config space */
	unsigned int nr_queues;
	uint16_t max_queue_size;
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
	unsigned int nr_shm;
	struct virtio_shm_region shm[VIRTIO_MAX_SHM_REGIONS];
	const struct virtio_device_ops *ops;
	void *priv;                /* device model state */
	void *transport;           /* set by the transport */
	struct vm *vm;
};

/* Raise a configuration-change interrupt (config space changed). Thread-safe. */
void virtio_device_config_changed(struct virtio_device *dev);
/* Set DEVICE_NEEDS_RESET and raise a configuration-change interrupt. Thread-safe. */
void virtio_device_needs_reset(struct virtio_device *dev);

#endif
