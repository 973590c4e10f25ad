// SPDX-License-Identifier: MIT
/* Split virtqueue, device side: chain walker, used ring, interrupt suppression. */
#include "virtio/virtqueue.h"

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "virtio/virtio_dev.h"
#include "util/log.h"

/*
 * Ring fields shared with the driver: atomic accesses (acquire on avail->idx, release on
 * used->idx, relaxed for the rest), which compile to plain moves on x86 and let tools such as
 * ThreadSanitizer see the ordering the explicit fences below also give.
 */
#define LOAD16(p, order) __atomic_load_n((uint16_t *)(p), order)
#define STORE16(p, v, order) __atomic_store_n((uint16_t *)(p), (uint16_t)(v), order)

static int ring_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align,
		    void **out)
{
	if (gpa & (align - 1))
		return -EINVAL;
	*out = guest_mem_ptr(mem, gpa, len);
	return *out ? 0 : -EINVAL;
}

int virtq_init(struct virtq *vq, const struct guest_mem *mem, const struct virtio_queue *q,
	       uint64_t features, const char *name)
{
	uint64_t n = q->size;
	void *d, *a, *u;

	memset(vq, 0, sizeof(*vq));
	vq->name = name ? name : "virtqueue";
	vq->call_fd = -1;
	if (n == 0 || n > 32768 || (n & (n - 1)))
		return err_fmt(vq->err, sizeof(vq->err), -EINVAL, "invalid queue size %llu",
			       (unsigned long long)n);
	if (ring_ptr(mem, q->desc_gpa, 16 * n, 16, &d) < 0 ||
	    ring_ptr(mem, q->avail_gpa, 6 + 2 * n, 2, &a) < 0 ||
	    ring_ptr(mem, q->used_gpa, 6 + 8 * n, 4, &u) < 0)
		return err_fmt(vq->err, sizeof(vq->err), -EINVAL,
			       "ring addresses outside guest RAM or misaligned");
	vq->mem = mem;
	vq->size = (uint16_t)n;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->call_fd = q->call_fd;
	return 0;
}

int virtq_elem_alloc(struct virtq_elem *elem, const struct virtq *vq)
{
	memset(elem, 0, sizeof(*elem));
	elem->iov = calloc(vq->size, sizeof(*elem->iov));
	if (!elem->iov)
		return -ENOMEM;
	elem->max = vq->size;
	return 0;
}

void virtq_elem_free(struct virtq_elem *elem)
{
	free(elem->iov);
	memset(elem, 0, sizeof(*elem));
}

static int bad_chain(struct virtq *vq, const char *why, unsigned int idx)
{
	if (!vq->broken)
		err_fmt(vq->err, sizeof(vq->err), 0, "malformed descriptor chain: %s (descriptor %u)",
			why, idx);
	vq->broken = true;
	return -EINVAL;
}

/* Adds one direct descriptor's buffer to elem. */
static int add_buf(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *d,
		   unsigned int idx)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (!writable && e->in_num)
		return bad_chain(vq, "readable buffer after a writable one", idx);
	p = guest_mem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return bad_chain(vq, "buffer outside guest RAM", idx);
	if (d->len == 0)
		return 0;
	if (e->out_num + e->in_num >= e->max)
		return bad_chain(vq, "too many buffers", idx);
	e->iov[e->out_num + e->in_num] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		e->in_num++;
		e->in_len += d->len;
	} else {
		e->out_num++;
		e->out_len += d->len;
	}
	return 0;
}

/* Switches the walk to the indirect table described by d. */
static int enter_indirect(struct virtq *vq, const struct vring_desc *d, unsigned int idx,
			  const uint8_t **table, unsigned int *table_size)
{
	if (!vq->indirect)
		return bad_chain(vq, "indirect descriptor not negotiated", idx);
	if (d->flags & VRING_DESC_F_NEXT)
		return bad_chain(vq, "indirect descriptor with NEXT", idx);
	if (d->len == 0 || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > vq->size)
		return bad_chain(vq, "bad indirect table length", idx);
	*table = guest_mem_ptr(vq->mem, d->addr, d->len);
	if (!*table)
		return bad_chain(vq, "indirect table outside guest RAM", idx);
	*table_size = d->len / sizeof(struct vring_desc);
	return 0;
}

static int walk_chain(struct virtq *vq, struct virtq_elem *e, uint16_t head)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	unsigned int table_size = vq->size, idx = head, count = 0;
	bool indirect = false;
	struct vring_desc d;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		/* One copy of the descriptor: the guest may change it under us. */
		memcpy(&d, table + (size_t)idx * sizeof(d), sizeof(d));
		atomic_signal_fence(memory_order_seq_cst);
		if (++count > table_size)
			return bad_chain(vq, "chain longer than the table (loop?)", idx);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				return bad_chain(vq, "nested indirect table", idx);
			if (count != 1)
				return bad_chain(vq, "indirect descriptor inside a chain", idx);
			if (enter_indirect(vq, &d, idx, &table, &table_size) < 0)
				return -EINVAL;
			indirect = true;
			idx = 0;
			count = 0;
			continue;
		}
		if (add_buf(vq, e, &d, idx) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		if (d.next >= table_size)
			return bad_chain(vq, "next index past the table", d.next);
		idx = d.next;
	}
}

/* The avail_event field sits right after the used ring entries. */
static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)((uint8_t *)vq->used + 4 + 8 * (size_t)vq->size);
}

int virtq_pop(struct virtq *vq, struct virtq_elem *elem)
{
	uint16_t avail_idx, head;

	if (vq->broken)
		return -EINVAL;
	avail_idx = LOAD16(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail) {
		if (vq->event_idx) {
			/* avail_event: kick us when anything past last_avail is added. */
			STORE16(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
			atomic_thread_fence(memory_order_seq_cst);
			avail_idx = LOAD16(&vq->avail->idx, __ATOMIC_ACQUIRE);
			if (avail_idx == vq->last_avail)
				return 0;
		} else {
			return 0;
		}
	}
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return bad_chain(vq, "available index moved by more than the queue size", avail_idx);
	/* Read the ring entry only after seeing the index. */
	atomic_thread_fence(memory_order_acquire);
	head = LOAD16(&vq->avail->ring[vq->last_avail & (vq->size - 1)], __ATOMIC_RELAXED);
	vq->last_avail++;
	if (head >= vq->size)
		return bad_chain(vq, "head index past the table", head);
	return walk_chain(vq, elem, head);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	volatile struct vring_used_elem *u = &vq->used->ring[vq->used_idx & (vq->size - 1)];

	u->id = head;
	u->len = len;
	/* The element must be visible before the index that publishes it. */
	atomic_thread_fence(memory_order_release);
	vq->used_idx++;
	STORE16(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, new, event;
	bool valid;

	/* Order the used index store before reading the driver's suppression fields. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!vq->event_idx)
		return !(LOAD16(&vq->avail->flags, __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	new = vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	event = LOAD16(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
	return !valid || (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool virtq_notify(struct virtq *vq)
{
	uint64_t one = 1;

	if (vq->call_fd < 0 || !virtq_should_notify(vq))
		return false;
	return write(vq->call_fd, &one, sizeof(one)) == sizeof(one);
}

bool virtq_avail_pending(struct virtq *vq)
{
	return !vq->broken && LOAD16(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

void virtq_set_notify(struct virtq *vq, bool on)
{
	if (vq->event_idx) {
		if (on)
			STORE16(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
	} else {
		STORE16(&vq->used->flags, on ? 0 : VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	}
	if (on)
		atomic_thread_fence(memory_order_seq_cst);
}

/* Copies len bytes between buf and iov[0..n) from byte off of the iovecs; the bytes copied. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off, uint8_t *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		uint8_t *p = iov[i].iov_base;
		size_t c;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		c = iov[i].iov_len - off;
		if (c > len - done)
			c = len - done;
		if (to_iov)
			memcpy(p + off, buf + done, c);
		else
			memcpy(buf + done, p + off, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf, size_t len)
{
	return iov_copy(iov, n, off, (uint8_t *)buf, len, true);
}

int iov_slice(const struct iovec *iov, unsigned int n, size_t off, size_t len, struct iovec *out,
	      unsigned int max)
{
	unsigned int cnt = 0;

	for (unsigned int i = 0; i < n && len > 0; i++) {
		size_t c;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		if (cnt == max)
			return -1;
		c = iov[i].iov_len - off;
		if (c > len)
			c = len;
		out[cnt++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, c };
		len -= c;
		off = 0;
	}
	return len == 0 ? (int)cnt : -1;
}
