// SPDX-License-Identifier: MIT
/* Guest-driver harness: a virtio-blk driver on top of struct hvirtio. */
#include "harness.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <string.h>

#define HDR_SLOT 32                      /* 16-byte header + status byte, per head */
#define BOUNCE_SIZE (4ULL << 20)

int hblk_init(struct hblk *b, struct harness *h, unsigned int slot, unsigned int nr_queues)
{
	uint64_t want;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = hvirtio_init(&b->v, h, slot);
	if (ret < 0)
		return ret;
	want = hvirtio_device_features(&b->v) &
	       (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_RO | 1ULL << VIRTIO_BLK_F_MQ |
		1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES |
		1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	ret = hvirtio_start(&b->v, want, nr_queues);
	if (ret < 0)
		return ret;
	b->capacity = hvirtio_config_read(&b->v, offsetof(struct virtio_blk_config, capacity), 4) |
		      (uint64_t)hvirtio_config_read(&b->v, offsetof(struct virtio_blk_config, capacity) + 4, 4) << 32;
	b->hdr_area = harness_alloc(h, (uint64_t)HDR_SLOT * VIRTIO_MAX_QUEUES * 1024, 4096);
	b->bounce = harness_alloc(h, BOUNCE_SIZE, 4096);
	b->bounce_size = BOUNCE_SIZE;
	return b->hdr_area && b->bounce ? 0 : -ENOMEM;
}

static uint64_t hdr_slot(struct hblk *b, unsigned int q, unsigned int head)
{
	return b->hdr_area + ((uint64_t)q * 1024 + head) * HDR_SLOT;
}

/* Chain: header (RO), data (RO for writes, WO for reads), status (WO). */
static int submit(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector,
		  uint64_t data_gpa, uint32_t len, bool data_write)
{
	struct hvq *vq = &b->v.vq[q];
	struct virtio_blk_outhdr hdr = { .type = type, .sector = sector };
	uint16_t head = vq->free_head;       /* hvq_add uses the free head as the chain head */
	uint64_t slot = hdr_slot(b, q, head);
	struct hvbuf bufs[3];
	unsigned int n = 0;

	if (head >= 1024)
		return -ENOSPC;
	harness_memwrite(b->v.h, slot, &hdr, sizeof(hdr));
	harness_memwrite(b->v.h, slot + 16, &(uint8_t){ 0xff }, 1);
	bufs[n++] = (struct hvbuf){ slot, sizeof(hdr), false };
	if (len)
		bufs[n++] = (struct hvbuf){ data_gpa, len, data_write };
	bufs[n++] = (struct hvbuf){ slot + 16, 1, true };
	return hvq_add(&b->v, q, bufs, n);
}

int hblk_submit(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector, uint64_t data_gpa,
		uint32_t len)
{
	int head = submit(b, q, type, sector, data_gpa, len, type != VIRTIO_BLK_T_OUT &&
			  type != VIRTIO_BLK_T_DISCARD && type != VIRTIO_BLK_T_WRITE_ZEROES);

	if (head >= 0)
		hvq_notify(&b->v, q);    /* kicks unless the device suppresses kicks */
	return head;
}

int hblk_queue(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector, uint64_t data_gpa,
	       uint32_t len)
{
	return submit(b, q, type, sector, data_gpa, len, type != VIRTIO_BLK_T_OUT &&
		      type != VIRTIO_BLK_T_DISCARD && type != VIRTIO_BLK_T_WRITE_ZEROES);
}

int hblk_complete(struct hblk *b, unsigned int q, int timeout_ms, uint8_t *status)
{
	int head = hvq_wait_used(&b->v, q, timeout_ms, NULL);

	if (head >= 0 && status)
		harness_memread(b->v.h, hdr_slot(b, q, (unsigned int)head) + 16, status, 1);
	return head;
}

static int sync_req(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector, uint32_t len)
{
	uint8_t status;
	int head = hblk_submit(b, q, type, sector, b->bounce, len);

	if (head < 0)
		return head;
	if (hblk_complete(b, q, HARNESS_TIMEOUT_MS, &status) < 0)
		return -ETIMEDOUT;
	b->last_status = status;
	return status;
}

int hblk_read(struct hblk *b, unsigned int q, uint64_t sector, void *buf, uint32_t len)
{
	int ret;

	if (len > b->bounce_size)
		return -E2BIG;
	ret = sync_req(b, q, VIRTIO_BLK_T_IN, sector, len);
	if (ret == VIRTIO_BLK_S_OK)
		harness_memread(b->v.h, b->bounce, buf, len);
	return ret;
}

int hblk_write(struct hblk *b, unsigned int q, uint64_t sector, const void *buf, uint32_t len)
{
	if (len > b->bounce_size)
		return -E2BIG;
	harness_memwrite(b->v.h, b->bounce, buf, len);
	return sync_req(b, q, VIRTIO_BLK_T_OUT, sector, len);
}

int hblk_flush(struct hblk *b, unsigned int q)
{
	return sync_req(b, q, VIRTIO_BLK_T_FLUSH, 0, 0);
}

int hblk_get_id(struct hblk *b, unsigned int q, char id[20])
{
	int ret;

	memset(harness_ptr(b->v.h, b->bounce, VIRTIO_BLK_ID_BYTES), 0, VIRTIO_BLK_ID_BYTES);
	ret = sync_req(b, q, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
	if (ret == VIRTIO_BLK_S_OK)
		harness_memread(b->v.h, b->bounce, id, VIRTIO_BLK_ID_BYTES);
	return ret;
}

int hblk_discard(struct hblk *b, unsigned int q, uint64_t sector, uint32_t nr_sectors,
		 bool write_zeroes, bool unmap)
{
	struct virtio_blk_discard_write_zeroes seg = {
		.sector = sector, .num_sectors = nr_sectors,
		.flags = unmap ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0,
	};

	harness_memwrite(b->v.h, b->bounce, &seg, sizeof(seg));
	return sync_req(b, q, write_zeroes ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD, 0,
			sizeof(seg));
}
