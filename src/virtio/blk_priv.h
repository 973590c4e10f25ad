/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk internals shared by blk.c (device), blk_thread.c (I/O thread), blk_req.c (request
 * validation and execution) and the I/O back-ends (blk_sync.c, blk_uring.c).
 *
 * A request lives in a slot from its queue's pool from the pop to the push. The pool has as many
 * slots as the queue has entries, so at most queue-size requests of a queue are in flight
 * whatever the guest puts in its ring (a driver that republishes heads it has not got back
 * waits for a free slot).
 */
#ifndef MICROVM_VIRTIO_BLK_PRIV_H
#define MICROVM_VIRTIO_BLK_PRIV_H

#include <linux/virtio_blk.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/blk.h"
#include "virtio/virtqueue.h"
#include "util/fd_loop.h"
#include "util/worker.h"

#define BLK_MAX_DISCARD_SECTORS (1u << 22)   /* 2 GiB per discard/write-zeroes segment */
#define BLK_URING_TOKEN 0x100u               /* fd_loop token of the io_uring eventfd */
#define BLK_BOUNCE_SIZE (1u << 20)           /* O_DIRECT bounce buffer (misaligned memory) */

struct blk;

struct blk_slot {
	struct virtq_elem elem;
	uint16_t q;                   /* queue index */
	uint8_t op;                   /* VIRTIO_BLK_STAT_* */
	bool wr;
	uint8_t *status;              /* the chain's status byte (host pointer into guest RAM) */
	struct iovec *data;           /* data buffers, sliced in place inside elem.iov */
	int ndata;
	uint64_t off, len;            /* image byte offset and length of a read/write */
	uint32_t written;             /* bytes written to the guest, status excluded */
	uint16_t next_free;
};

struct blk_pool {
	struct blk_slot *slots;
	uint16_t nr, free_head, in_flight;
};

/* An I/O back-end: how a read or write slot reaches the image. */
struct blk_io_ops {
	const char *name;
	/* Starts the I/O of s: 1 = done (blk_req_finish already called), 0 = queued. */
	int (*submit)(struct blk *b, struct blk_slot *s);
	/* After a batch of submits: hand them to the kernel. */
	void (*flush)(struct blk *b);
	/* Finishes every completed request (blk_req_finish); returns how many. */
	unsigned int (*reap)(struct blk *b);
	/* Whether completions are waiting (cheap: for polling). */
	bool (*ready)(struct blk *b);
	/* Stop: cancel what is in flight and wait until nothing is (no guest memory touched after). */
	void (*drain)(struct blk *b);
};

extern const struct blk_io_ops blk_sync_ops;
extern const struct blk_io_ops blk_uring_ops;

struct blk_uring;

struct blk {
	struct virtio_device vdev;
	struct vm *vm;
	char name[32];
	int fd;
	bool readonly, direct;
	uint32_t dio_mem_align, dio_off_align;   /* cache = "direct": O_DIRECT alignment */
	uint32_t poll_ns;             /* busy-poll budget after work, 0 = none */
	uint64_t capacity;            /* sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config cfg;
	const struct blk_io_ops *io;
	struct blk_uring *uring;      /* io = "io_uring": set up at creation, lives with the device */
	uint8_t *bounce;              /* cache = "direct": BLK_BOUNCE_SIZE, aligned */
	/* I/O thread state, valid while running. */
	struct worker worker;
	atomic_bool stopping;         /* reset requested: stop popping, drain, return */
	struct fd_loop loop;
	unsigned int nr_queues;
	struct virtq vqs[VIRTIO_BLK_MAX_QUEUES];
	struct blk_pool pools[VIRTIO_BLK_MAX_QUEUES];
	bool pushed[VIRTIO_BLK_MAX_QUEUES];  /* used entries since the last notify */
	/* Counters (control API vm.counters): written by the I/O thread, read by anyone. */
	struct {
		atomic_uint_fast64_t ops[VIRTIO_BLK_STAT_OPS];
		atomic_uint_fast64_t read_bytes, write_bytes, io_errors, in_flight, interrupts;
	} stats;
};

/*
 * Validates the chain in s and starts it. 1 = done (status written, ready to push), 0 = its
 * read/write is queued in the back-end (blk_req_finish follows), -EINVAL = malformed chain (no
 * writable status byte): the queue is broken.
 */
int blk_req_start(struct blk *b, struct blk_slot *s);
/* A queued read/write ended with res (bytes, or -errno): finish it, push it, free the slot. */
void blk_req_finish(struct blk *b, struct blk_slot *s, int64_t res);
/* Full preadv/pwritev of iov[0..n) at off (iov is modified): 0 or -errno. */
int blk_rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool wr);

/* Slot pools (blk_thread.c). */
void blk_slot_release(struct blk *b, struct blk_slot *s);

/* The I/O thread body (blk_thread.c). */
void blk_io_thread(struct worker *w);

/* io_uring back-end (blk_uring.c): created with the device. 0 or -errno with err set. */
int blk_uring_create(struct blk *b, unsigned int entries, char *err, size_t errlen);
void blk_uring_destroy(struct blk *b);
int blk_uring_fd(const struct blk *b);   /* the completion eventfd, -1 without io_uring */

#endif
