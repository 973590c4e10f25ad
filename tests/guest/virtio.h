/* SPDX-License-Identifier: MIT */
/* Test guest: virtio 1.x modern PCI transport (polling, one split queue, no MSI-X). */
#ifndef TESTGUEST_VIRTIO_H
#define TESTGUEST_VIRTIO_H

#include <linux/virtio_ring.h>

#include "pci.h"

#define VIRTIO_VENDOR	0x1af4
#define VQ_SIZE		8

/* One virtio vendor capability, 64-bit offset/length for cfg_type 8 (virtio_pci_cap64). */
struct vcap {
	uint8_t cfg_type, bar, id, cap_len;
	uint64_t offset, length;
	uint32_t notify_mult; /* cfg_type 2 only */
};

struct vqueue {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t size;
	uint16_t last_used;
	uint64_t notify;
};

struct vdev {
	struct pci_dev pci;
	uint64_t common, notify, device;
	uint32_t notify_mult;
	uint64_t notify_len;
	struct vqueue vq;
};

/* Reads the vendor capability at pos; false if it is not one or is malformed. */
bool vcap_read(const struct pci_dev *d, uint8_t pos, struct vcap *c);
/* Calls fn for each virtio vendor capability (bounded walk); stops when fn returns true. */
typedef bool (*vcap_fn)(const struct pci_dev *d, const struct vcap *c, void *ctx);
void vcap_for_each(const struct pci_dev *d, vcap_fn fn, void *ctx);

/* Finds the first device vendor:device, assigns BARs, enables it, maps its structures. */
int vdev_find(struct vdev *v, uint16_t device_id);
/* reset, ACK|DRIVER, VERSION_1 only, FEATURES_OK, queue 0 set up, DRIVER_OK. 0 or -1 (FAIL printed). */
int vdev_start(struct vdev *v);
void vdev_reset(struct vdev *v);
/* Puts a descriptor chain on queue 0 (n buffers, the first `out` device-readable), notifies
 * and polls the used ring with a bound. 0 or -1 (FAIL printed). */
int vq_submit_wait(struct vdev *v, void *const bufs[], const uint32_t lens[], unsigned int n,
		   unsigned int out);

#endif
