/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk over a raw image file ([[disk]] in vm.toml): read, write, flush, get-id, discard,
 * write-zeroes; read-only disks (VIRTIO_BLK_F_RO) answer VIRTIO_BLK_S_IOERR to writes, discards
 * and write-zeroes. I/O runs on one thread per device (util/worker, blk_thread.c) that waits in
 * an fd_loop on the queues' kick eventfds (and the io_uring completion eventfd), batches what
 * the rings hold, busy-polls for a bounded time after work, and interrupts through each queue's
 * call eventfd. Back-ends ([[disk]] io): io_uring (default) or sync; cache = "direct" opens the
 * image O_DIRECT.
 * The image is locked with flock (exclusive, or shared when read-only).
 */
#ifndef MICROVM_VIRTIO_BLK_H
#define MICROVM_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_MAX_QUEUES 8

struct vm;

/* One request queue. NULL on error with a message in err. Add it with virtio_pci_add(). */
struct virtio_device *virtio_blk_create(struct vm *vm, const struct disk_config *cfg, char *err,
					size_t errlen);
/* Same with nr_queues request queues (1..VIRTIO_BLK_MAX_QUEUES, VIRTIO_BLK_F_MQ). */
struct virtio_device *virtio_blk_create_mq(struct vm *vm, const struct disk_config *cfg,
					   unsigned int nr_queues, char *err, size_t errlen);
/* Requests by type (index), bytes moved, requests that ended in VIRTIO_BLK_S_IOERR. */
enum { VIRTIO_BLK_STAT_READ, VIRTIO_BLK_STAT_WRITE, VIRTIO_BLK_STAT_FLUSH,
       VIRTIO_BLK_STAT_GET_ID, VIRTIO_BLK_STAT_DISCARD, VIRTIO_BLK_STAT_WRITE_ZEROES,
       VIRTIO_BLK_STAT_UNSUPPORTED, VIRTIO_BLK_STAT_OPS };
struct virtio_blk_stats {
	uint64_t ops[VIRTIO_BLK_STAT_OPS];
	uint64_t read_bytes, write_bytes, io_errors;
	uint64_t in_flight;          /* io_uring requests submitted and not completed */
	uint64_t interrupts;         /* call eventfd writes (one per batch at most) */
};
/* Snapshot of the counters of a device made by virtio_blk_create*. */
void virtio_blk_get_stats(struct virtio_device *dev, struct virtio_blk_stats *out);

/* Stops the I/O thread and closes the image. Call after the transport is gone (pci_bus_destroy). */
void virtio_blk_destroy(struct virtio_device *dev);

#endif
