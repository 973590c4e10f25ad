/* SPDX-License-Identifier: MIT */
/*
 * Device side of a split virtqueue over guest RAM.
 *
 * virtq_pop() walks one available descriptor chain into host iovecs with strict checks: head
 * and next indices inside the table, chain length <= queue size (which also catches loops),
 * indirect tables only if negotiated, only as the chain's only descriptor, a multiple of 16
 * bytes, inside RAM, never nested, never combined with NEXT; every buffer fully inside guest RAM
 * (guest_mem_ptr), writable buffers after readable ones; zero-length buffers are accepted and
 * skipped. Every descriptor is copied out of guest memory once before it is checked. A bad
 * chain (or a bad avail index) marks the queue broken: the caller then calls
 * virtio_device_needs_reset() and stops using the queue.
 */
#ifndef MICROVM_VIRTQUEUE_H
#define MICROVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mm/guest_mem.h"

struct virtio_queue;
struct vring_desc;
struct vring_avail;
struct vring_used;

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;
	struct vring_desc *desc;     /* host views of the rings (contents guest-controlled) */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;         /* next avail ring slot to consume */
	uint16_t used_idx;           /* next used ring slot to fill */
	uint16_t signalled_used;     /* used_idx at the last interrupt (event idx) */
	bool signalled_valid;
	bool indirect;               /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx;              /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool broken;
	int call_fd;                 /* eventfd to interrupt the guest, -1 = none */
	const char *name;            /* for messages */
	char err[96];                /* why init failed or the queue broke (the caller logs it) */
};

struct virtq_elem {
	uint16_t head;
	unsigned int out_num;        /* iov[0, out_num): device-readable */
	unsigned int in_num;         /* iov[out_num, out_num + in_num): device-writable */
	uint64_t out_len, in_len;    /* total bytes of each direction */
	unsigned int max;            /* capacity of iov */
	struct iovec *iov;
};

/*
 * Checks the ring addresses (alignment, inside RAM) of q and prepares vq. features are the
 * negotiated ones. 0 or -EINVAL with the reason in vq->err (not logged).
 */
int virtq_init(struct virtq *vq, const struct guest_mem *mem, const struct virtio_queue *q,
	       uint64_t features, const char *name);
/* Allocates elem->iov for chains of this queue (queue size entries). 0 or -ENOMEM. */
int virtq_elem_alloc(struct virtq_elem *elem, const struct virtq *vq);
void virtq_elem_free(struct virtq_elem *elem);
/*
 * 1 = a chain was popped into elem, 0 = ring empty, -EINVAL = malformed: the queue is now broken
 * and vq->err says why (the caller logs it, once).
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);
/* Returns a chain to the driver with len bytes written. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last one. */
bool virtq_should_notify(struct virtq *vq);
/* Writes call_fd if virtq_should_notify() (an eventfd write fails only on counter overflow);
 * true if it interrupted the guest. */
bool virtq_notify(struct virtq *vq);
/* Whether the driver made a chain available that virtq_pop has not taken (no side effects). */
bool virtq_avail_pending(struct virtq *vq);
/*
 * Kick suppression while the device processes or polls the ring: off sets VRING_USED_F_NO_NOTIFY
 * (without EVENT_IDX; with it, avail_event is simply left behind). on clears the flag or moves
 * avail_event to the next chain, then fences: the caller checks virtq_avail_pending() again
 * before it sleeps on the kick eventfd (a chain added meanwhile came without a kick).
 */
void virtq_set_notify(struct virtq *vq, bool on);

/* Copies between a flat buffer and an iovec list starting at byte offset off. Return bytes. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf, size_t len);
/*
 * Fills out[] with the sub-list covering [off, off + len) of iov (at most max entries).
 * Returns the entry count, or -1 if the range is not covered or does not fit.
 */
int iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len, struct iovec *out,
	      unsigned int max);

#endif
