// SPDX-License-Identifier: MIT
/* Test guest: blk-read / blk-write through the polling virtio-blk (1af4:1042) driver. */
#include <linux/virtio_blk.h>

#include "virtio.h"

#define VIRTIO_BLK_DEVICE_ID	0x1042
#define SECTOR			512

static struct virtio_blk_outhdr req_hdr __attribute__((aligned(16)));
static uint8_t req_data[SECTOR] __attribute__((aligned(512)));
static volatile uint8_t req_status;

static uint64_t blk_capacity(struct vdev *v)
{
	uint64_t off = v->device + offsetof(struct virtio_blk_config, capacity);

	return mmio_read32(off) | (uint64_t)mmio_read32(off + 4) << 32;
}

static int blk_rw(struct vdev *v, uint32_t type, uint64_t sector)
{
	void *const bufs[3] = { &req_hdr, req_data, (void *)&req_status };
	const uint32_t lens[3] = { sizeof(req_hdr), SECTOR, 1 };

	req_hdr.type = type;
	req_hdr.ioprio = 0;
	req_hdr.sector = sector;
	req_status = 0xff;
	if (vq_submit_wait(v, bufs, lens, 3, type == VIRTIO_BLK_T_OUT ? 2 : 1))
		return -1;
	if (req_status != VIRTIO_BLK_S_OK) {
		test_fail("%s sector %lu: status %u", type == VIRTIO_BLK_T_OUT ? "write" : "read",
			  sector, req_status);
		return -1;
	}
	return 0;
}

/* Finds and starts the device; prints its capacity. */
static int blk_open(struct vdev *v, uint64_t *capacity)
{
	if (vdev_find(v, VIRTIO_BLK_DEVICE_ID) || vdev_start(v))
		return -1;
	*capacity = blk_capacity(v);
	gprintf("blk: capacity=%lu\n", *capacity);
	return 0;
}

int test_blk_read(const char *arg)
{
	struct vdev v;
	uint64_t cap;
	int ret = -1;

	(void)arg;
	if (blk_open(&v, &cap))
		return -1;
	if (!cap) {
		test_fail("capacity is 0");
		goto out;
	}
	memset(req_data, 0, SECTOR);
	if (blk_rw(&v, VIRTIO_BLK_T_IN, 0))
		goto out;
	gprintf("blk: sector0 crc32=0x%08x\n", crc32(req_data, SECTOR));
	puts_serial("blk: sector0 head=");
	for (int i = 0; i < 16; i++)
		gprintf("%02x", req_data[i]);
	puts_serial("\n");
	ret = 0;
out:
	vdev_reset(&v);
	return ret;
}

static void fill_pattern(uint8_t *buf)
{
	for (int i = 0; i < SECTOR; i++)
		buf[i] = "MICROVM!"[i % 8];
}

int test_blk_write(const char *arg)
{
	static uint8_t expect[SECTOR];
	struct vdev v;
	uint64_t lba, cap;
	int ret = -1;

	if (!arg || !parse_u64(arg, strlen(arg), 10, &lba)) {
		test_fail("usage: blk-write=<lba>");
		return -1;
	}
	if (blk_open(&v, &cap))
		return -1;
	if (lba >= cap) {
		test_fail("lba %lu beyond capacity %lu", lba, cap);
		goto out;
	}
	fill_pattern(expect);
	memcpy(req_data, expect, SECTOR);
	if (blk_rw(&v, VIRTIO_BLK_T_OUT, lba))
		goto out;
	memset(req_data, 0, SECTOR);
	if (blk_rw(&v, VIRTIO_BLK_T_IN, lba))
		goto out;
	if (memcmp(req_data, expect, SECTOR)) {
		test_fail("read back of lba %lu differs", lba);
		goto out;
	}
	gprintf("blk: wrote lba=%lu\n", lba);
	ret = 0;
out:
	vdev_reset(&v);
	return ret;
}
