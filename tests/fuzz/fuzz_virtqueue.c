// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the split-virtqueue chain walker (virtq_pop / virtq_push / virtq_should_notify).
 *
 * Input: byte 0 = queue size exponent (size = 1 << (b % 9), 1..256), byte 1 = feature bits
 * (bit 0 INDIRECT_DESC, bit 1 EVENT_IDX) and bit 2 = hand each chain to the virtio-blk request
 * handler (1 MiB memfd image, read-only if bit 3), byte 2 = how many pops to try; the rest is copied to
 * guest RAM (64 KiB) at 0: descriptor table at 0x0, avail ring at 0x1000, used ring at 0x2000,
 * buffers and indirect tables anywhere. Every popped iovec is checked to lie inside guest RAM
 * and is fully read and written, so any escape is a crash.
 */
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <unistd.h>

#include "mm/guest_mem.h"
#include "virtio/blk_priv.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtqueue.h"
#include "util/log.h"

#define RAM_SIZE (64 << 10)

static struct guest_mem mem;
static struct blk blk;
static struct blk_slot slot;

static void init_blk(void)
{
	blk.fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (blk.fd < 0 || ftruncate(blk.fd, 1 << 20) < 0)
		abort();
	blk.capacity = (1 << 20) / 512;
	blk.vdev.name = "fuzz-blk";
	blk.io = &blk_sync_ops;
	blk.nr_queues = 1;
	blk.pools[0].slots = &slot;
	blk.pools[0].nr = 1;
	memcpy(blk.id, "fuzz", 4);
}

/* One chain through the request handler, as the I/O thread does: it completes and pushes it. */
static void blk_request(struct virtq_elem *e)
{
	struct blk_pool *p = &blk.pools[0];

	slot.elem = *e;
	slot.q = 0;
	p->free_head = 0xffff;
	p->in_flight = 1;
	if (blk_req_start(&blk, &slot) < 0)
		return;     /* no status byte: the thread marks the queue broken */
	if (p->in_flight != 0 || slot.written + 1 > e->in_len)
		abort();    /* a sync request finishes inside the call, never past its buffers */
}

static void touch(const struct virtq_elem *e)
{
	volatile uint8_t sink = 0;

	for (unsigned int i = 0; i < e->out_num + e->in_num; i++) {
		uint8_t *p = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len;

		if (p < mem.base || len > RAM_SIZE || p + len > mem.base + RAM_SIZE)
			abort();
		for (size_t k = 0; k < len; k++) {
			sink ^= p[k];
			if (i >= e->out_num)
				p[k] = (uint8_t)k;
		}
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_queue q = { .desc_gpa = 0, .avail_gpa = 0x1000, .used_gpa = 0x2000, .call_fd = -1 };
	struct virtq *vq = &blk.vqs[0];
	struct virtq_elem e;
	uint64_t features = 0;
	unsigned int pops;

	if (!mem.base) {
		log_set_level(LOG_ERROR);
		if (guest_mem_init(&mem, RAM_SIZE) < 0)
			abort();
		init_blk();
	}
	if (size < 3)
		return 0;
	q.size = (uint16_t)(1u << (data[0] % 9));
	if (data[1] & 1)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (data[1] & 2)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	pops = data[2];
	memset(mem.base, 0, RAM_SIZE);
	memcpy(mem.base, data + 3, size - 3 < RAM_SIZE ? size - 3 : RAM_SIZE);
	if (virtq_init(vq, &mem, &q, features, "fuzz") < 0)
		abort();   /* the fixed ring addresses are always valid */
	if (virtq_elem_alloc(&e, vq) < 0)
		abort();
	for (unsigned int i = 0; i < pops; i++) {
		int r = virtq_pop(vq, &e);

		if (r <= 0)
			break;
		if (e.head >= q.size || e.out_num + e.in_num > e.max)
			abort();
		touch(&e);
		if (data[1] & 4) {
			blk.readonly = data[1] & 8;
			blk_request(&e);
		} else {
			virtq_push(vq, e.head, (uint32_t)e.in_len);
		}
		virtq_should_notify(vq);
	}
	virtq_elem_free(&e);
	return 0;
}
