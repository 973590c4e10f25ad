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
 * Shared memory regions: the device owns its struct shm_region objects (src/mm/shm_region.h) and
 * lists them in shm[]; the transport reads id, size and hva, places them in its shm BAR, and
 * owns every guest access to that window that reaches the VMM (shm_region_access) and the
 * repair after KVM_RUN EFAULT (shm_region_repair). There is no other description of a region.
 *
 * Threads: ops are called from the vCPU thread that performed the guest access (or the harness
 * thread), with the transport's lock held, and must not call back into transport functions
 * other than the two notification helpers below. They may block: activate and reset of a
 * vhost-user device do round trips with the back-end (bounded by its reply timeout), and the
 * vCPU that wrote the status register waits for them.
 */
#ifndef MICROVM_VIRTIO_DEV_H
#define MICROVM_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_MAX_QUEUES 64
/*
 * Shared memory regions per device: one 24-byte capability each must fit in the 256-byte PCI
 * config space next to the transport's own capabilities. virtio_pci_shm_room() says how many
 * fit for a given device config size (3 with a device config space, 4 without).
 */
#define VIRTIO_MAX_SHM_REGIONS 4

struct vm;
struct virtio_device;
struct shm_region;

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
	unsigned int nr_shm;       /* published with a release store (regions may appear while
				      the back-end's channel already runs) */
	struct shm_region *shm[VIRTIO_MAX_SHM_REGIONS]; /* owned by the device; unique ids */
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
