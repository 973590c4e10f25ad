/* SPDX-License-Identifier: MIT */
/* virtio-blk internals shared by blk.c (device) and blk_req.c (request handling). */
#ifndef MICROVM_VIRTIO_BLK_PRIV_H
#define MICROVM_VIRTIO_BLK_PRIV_H

#include <linux/virtio_blk.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/blk.h"
#include "virtio/virtqueue.h"

#define BLK_STOP_TOKEN 0xffffffffu
#define BLK_MAX_DISCARD_SECTORS (1u << 22)   /* 2 GiB per discard/write-zeroes segment */

struct blk {
	struct virtio_device vdev;
	struct vm *vm;
	char name[32];
	int fd;
	bool readonly;
	uint64_t capacity;            /* sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config cfg;
	/* I/O thread state, valid while running. */
	bool running;
	atomic_bool stopping;         /* reset requested: finish the current request, then stop */
	pthread_t thread;
	int stop_fd, epfd;
	struct virtq vqs[VIRTIO_BLK_MAX_QUEUES];
	struct virtq_elem elem;
	/* Counters (control API vm.counters): written by the I/O thread, read by anyone. */
	struct {
		atomic_uint_fast64_t ops[VIRTIO_BLK_STAT_OPS];
		atomic_uint_fast64_t read_bytes, write_bytes, io_errors;
	} stats;
};

/*
 * Executes one request chain. *written = bytes written to the guest (data + status).
 * Returns 0, or -EINVAL when the chain has no writable status byte (malformed).
 */
int blk_handle_request(struct blk *b, const struct virtq_elem *e, uint32_t *written);

#endif
