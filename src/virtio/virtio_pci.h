/* SPDX-License-Identifier: MIT */
/*
 * Modern (virtio 1.x only) virtio-pci transport.
 *
 * BAR layout: BAR 1 = MSI-X table and PBA (nr_queues + 1 vectors), BAR 2 = 16 KiB 32-bit memory
 * BAR with the common config (0x0000), ISR (0x1000), device config (0x2000) and notify area
 * (0x3000, one 4-byte address per queue, notify_off_multiplier 4, each an ioeventfd on the
 * queue's kick eventfd), BAR 4 = 64-bit prefetchable BAR holding only the shared memory regions
 * (back to back, one VIRTIO_PCI_CAP_SHARED_MEMORY_CFG virtio_pci_cap64 each, one memslot over
 * each region's hva; guest accesses that still reach the VMM there, and KVM_RUN EFAULTs inside
 * those memslots, go to the region: virtio_pci_shm.c). A VIRTIO_PCI_CAP_PCI_CFG window gives
 * config-space access to BAR 2.
 */
#ifndef MICROVM_VIRTIO_PCI_H
#define MICROVM_VIRTIO_PCI_H

#include <stddef.h>

#include "virtio/virtio_dev.h"

struct pci_bus;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_SUBSYS_ID 0x0040

#define VIRTIO_PCI_MSIX_BAR 1
#define VIRTIO_PCI_MODERN_BAR 2
#define VIRTIO_PCI_SHM_BAR 4
#define VIRTIO_PCI_MODERN_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_COMMON_LEN 0x40
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVCFG_OFF 0x2000
#define VIRTIO_PCI_DEVCFG_MAX 0x1000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_SHM_ALIGN (2ULL << 20)

/*
 * Transport features this transport does not implement; they are never offered even if the
 * device sets them: SR_IOV (37), NOTIFICATION_DATA (38), NOTIF_CONFIG_DATA (39), RING_RESET (40),
 * ADMIN_VQ (41). The driver only sees virtio_pci_offered_features(dev).
 */
#define VIRTIO_PCI_UNSUPPORTED_FEATURES (0x1fULL << 37)
uint64_t virtio_pci_offered_features(const struct virtio_device *dev);

/* How many shared memory capabilities fit next to this transport's own (config_size: device's). */
unsigned int virtio_pci_shm_room(uint32_t config_size);

/*
 * Guest-physical address of dev->shm[i] while the guest decodes the shm BAR, else ~0ULL. For
 * reports (control API); lock-free, any thread, once virtio_pci_add succeeded.
 */
uint64_t virtio_pci_shm_gpa(const struct virtio_device *dev, unsigned int i);

/*
 * Plugs dev into the bus as a virtio-pci function. dev must be filled in (device_id, features
 * with VIRTIO_F_VERSION_1, nr_queues 1..VIRTIO_MAX_QUEUES, max_queue_size a power of two <= 32768,
 * config_size, shm regions (sizes multiples of 2 MiB, unique ids), ops, vm). Sets
 * dev->transport and the queues' kick_fd (valid until the bus is destroyed). 0 or -errno.
 * The transport is freed by pci_bus_destroy (which calls ops->reset); destroy the device after.
 */
int virtio_pci_add(struct pci_bus *bus, struct virtio_device *dev, char *err, size_t errlen);

#endif
