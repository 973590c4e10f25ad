// SPDX-License-Identifier: MIT
/* virtio-blk device model: configuration, activation, I/O thread. Requests are in blk_req.c. */
#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk_priv.h"
#include "util/log.h"
#include "util/safe_open.h"
#include "kvm/vm.h"

static void blk_config_read(struct virtio_device *dev, uint32_t offset, void *data, uint32_t len)
{
	struct blk *b = dev->priv;

	memcpy(data, (const uint8_t *)&b->cfg + offset, len);
}

static void pools_free(struct blk *b)
{
	for (unsigned int i = 0; i < VIRTIO_BLK_MAX_QUEUES; i++) {
		struct blk_pool *p = &b->pools[i];

		for (unsigned int k = 0; p->slots && k < p->nr; k++)
			virtq_elem_free(&p->slots[k].elem);
		free(p->slots);
		memset(p, 0, sizeof(*p));
	}
}

/* Queue i's slots: one per ring entry with io_uring (the in-flight bound), one for sync. */
static int pool_alloc(struct blk *b, unsigned int i)
{
	struct blk_pool *p = &b->pools[i];
	uint16_t n = b->io == &blk_uring_ops ? b->vqs[i].size : 1;

	p->slots = calloc(n, sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	p->nr = n;
	for (uint16_t k = 0; k < n; k++) {
		if (virtq_elem_alloc(&p->slots[k].elem, &b->vqs[i]) < 0)
			return -ENOMEM;
		p->slots[k].next_free = k + 1 < n ? (uint16_t)(k + 1) : 0xffff;
	}
	p->free_head = 0;
	return 0;
}

static int blk_activate(struct virtio_device *dev)
{
	struct blk *b = dev->priv;
	bool any = false;
	int ret = 0;

	b->nr_queues = dev->nr_queues;
	for (unsigned int i = 0; i < dev->nr_queues && ret == 0; i++) {
		if (!dev->queues[i].enabled)
			continue;
		ret = virtq_init(&b->vqs[i], &b->vm->mem, &dev->queues[i], dev->guest_features,
				 dev->name);
		if (ret < 0)
			pr_warn_rl("%s: queue %u: %s", dev->name, i, b->vqs[i].err);
		if (ret == 0)
			ret = pool_alloc(b, i);
		any = true;
	}
	if (ret == 0 && !any)
		ret = -EINVAL;      /* no queue enabled */
	if (ret == 0)
		ret = worker_start(&b->worker, b->name, THREAD_ROLE_DEVICE_IO, blk_io_thread, b);
	if (ret < 0) {
		pools_free(b);
		memset(b->vqs, 0, sizeof(b->vqs));
		return ret;
	}
	return 0;
}

/*
 * Stops the I/O thread. It stops popping, cancels or waits out every request in flight (no
 * guest memory is written after this returns) and exits; then the slots go.
 */
static void blk_reset(struct virtio_device *dev)
{
	struct blk *b = dev->priv;

	if (!b->worker.running)
		return;
	atomic_store(&b->stopping, true);
	worker_stop(&b->worker);
	atomic_store(&b->stopping, false);
	pools_free(b);
	memset(b->vqs, 0, sizeof(b->vqs));
	memset(b->pushed, 0, sizeof(b->pushed));
}

static const struct virtio_device_ops blk_ops = {
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
};

/*
 * cache = "direct": the alignment O_DIRECT needs on this file (statx STATX_DIOALIGN). The
 * guest is told the offset alignment as its block size; buffers it places at addresses the
 * kernel cannot DMA to go through a bounce buffer (blk_req.c).
 */
static int dio_align(struct blk *b, const struct disk_config *cfg, char *err, size_t errlen)
{
	struct statx stx;

	if (statx(b->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0 ||
	    !(stx.stx_mask & STATX_DIOALIGN) || !stx.stx_dio_offset_align) {
		snprintf(err, errlen, "disk %s: cache = \"direct\": the file system does not "
			 "report O_DIRECT support (statx STATX_DIOALIGN); use cache = \"host\"",
			 cfg->path);
		return -1;
	}
	if (stx.stx_dio_offset_align > 4096 || stx.stx_dio_mem_align > 4096 ||
	    (stx.stx_dio_offset_align & (stx.stx_dio_offset_align - 1)) ||
	    (stx.stx_dio_mem_align & (stx.stx_dio_mem_align - 1))) {
		snprintf(err, errlen, "disk %s: cache = \"direct\": unsupported O_DIRECT "
			 "alignment (offset %u, memory %u; at most 4096)", cfg->path,
			 stx.stx_dio_offset_align, stx.stx_dio_mem_align);
		return -1;
	}
	b->dio_off_align = stx.stx_dio_offset_align < 512 ? 512 : stx.stx_dio_offset_align;
	b->dio_mem_align = stx.stx_dio_mem_align ? stx.stx_dio_mem_align : 1;
	b->direct = true;
	b->bounce = aligned_alloc(4096, BLK_BOUNCE_SIZE);
	if (!b->bounce) {
		snprintf(err, errlen, "disk %s: out of memory", cfg->path);
		return -1;
	}
	return 0;
}

static int open_image(struct blk *b, const struct disk_config *cfg, char *err, size_t errlen)
{
	struct stat st;
	char why[128];
	uint64_t size;

	b->fd = safe_open(cfg->path, (cfg->readonly ? O_RDONLY : O_RDWR) |
			  (cfg->cache == DISK_CACHE_DIRECT ? O_DIRECT : 0),
			  SAFE_OPEN_REG | SAFE_OPEN_BLK, &st, why, sizeof(why));
	if (b->fd < 0 && cfg->cache == DISK_CACHE_DIRECT && errno == EINVAL &&
	    stat(cfg->path, &st) == 0 && S_ISREG(st.st_mode)) {
		/* a regular file's open refused O_DIRECT (tmpfs before Linux 6.6) */
		snprintf(err, errlen, "disk %s: cache = \"direct\": the file system does not "
			 "report O_DIRECT support (open with O_DIRECT: %s); use cache = \"host\"",
			 cfg->path, why);
		return -1;
	}
	if (b->fd < 0) {
		snprintf(err, errlen, "disk %s: %s", cfg->path, why);
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			size = 0;
	} else {
		size = (uint64_t)st.st_size;
	}
	if (flock(b->fd, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		snprintf(err, errlen, "disk %s: image is in use by another process (flock: %s)",
			 cfg->path, strerror(errno));
		return -1;
	}
	if (cfg->cache == DISK_CACHE_DIRECT && dio_align(b, cfg, err, errlen) < 0)
		return -1;
	if (size % b->dio_off_align)
		pr_warn("disk %s: size is not a multiple of %u; the last %llu bytes are unused",
			cfg->path, b->dio_off_align, (unsigned long long)(size % b->dio_off_align));
	b->capacity = size / b->dio_off_align * (b->dio_off_align / 512);
	return 0;
}

/*
 * The image's lock, ring and fd, in that order: the ring's registered reference to the image is
 * dropped by a kernel worker after io_uring_queue_exit(), possibly after this process has
 * exited, so the lock must not wait for the last reference.
 */
static void close_image(struct blk *b)
{
	if (b->fd >= 0)
		flock(b->fd, LOCK_UN);
	blk_uring_destroy(b);
	if (b->fd >= 0)
		close(b->fd);
}

static void fill_config(struct blk *b, unsigned int nr_queues)
{
	struct virtio_blk_config *c = &b->cfg;

	c->capacity = b->capacity;
	c->seg_max = VIRTIO_BLK_QUEUE_SIZE - 2;
	c->blk_size = b->dio_off_align;
	c->num_queues = (uint16_t)nr_queues;
	c->max_discard_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_discard_seg = 1;
	c->discard_sector_alignment = 1;
	c->max_write_zeroes_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_write_zeroes_seg = 1;
	c->write_zeroes_may_unmap = 1;
}

static uint64_t features(bool readonly, bool ring_features)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_MQ;

	/*
	 * The transport's split ring is the minimal one by default: no EVENT_IDX, no
	 * INDIRECT_DESC (ACCESS_PLATFORM never). [[disk]] ring_features = true offers both:
	 * EVENT_IDX gives one interrupt per batch the driver asks for and one kick per batch we
	 * ask for (avail_event written whenever a queue runs dry); INDIRECT_DESC lets a request
	 * of any segment count (up to seg_max) take one ring slot. The walker validates both.
	 */
	if (ring_features)
		f |= 1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (readonly)
		return f | 1ULL << VIRTIO_BLK_F_RO;
	return f | 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

/* io: io_uring unless set to "sync"; not set, a refused io_uring falls back to sync. */
static int choose_io(struct blk *b, const struct disk_config *cfg, unsigned int nr_queues,
		     char *err, size_t errlen)
{
	char why[256];

	b->io = &blk_sync_ops;
	if (cfg->io == DISK_IO_SYNC)
		return 0;
	if (blk_uring_create(b, nr_queues * VIRTIO_BLK_QUEUE_SIZE, why, sizeof(why)) == 0) {
		b->io = &blk_uring_ops;
		return 0;
	}
	if (cfg->io == DISK_IO_URING) {
		snprintf(err, errlen, "disk %s: %s", cfg->path, why);
		return -1;
	}
	pr_warn("disk %s: %s; using io = \"sync\"", cfg->path, why);
	return 0;
}

struct virtio_device *virtio_blk_create_mq(struct vm *vm, const struct disk_config *cfg,
					   unsigned int nr_queues, char *err, size_t errlen)
{
	static unsigned int counter;
	struct blk *b;

	if (!cfg->path || nr_queues == 0 || nr_queues > VIRTIO_BLK_MAX_QUEUES) {
		snprintf(err, errlen, "disk: a path and 1..%d queues are required", VIRTIO_BLK_MAX_QUEUES);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "disk: out of memory");
		return NULL;
	}
	b->fd = -1;
	b->dio_off_align = 512;
	if (open_image(b, cfg, err, errlen) < 0)
		goto fail;
	if (choose_io(b, cfg, nr_queues, err, errlen) < 0)
		goto fail;
	b->poll_ns = (cfg->poll_us > DISK_POLL_US_MAX ? DISK_POLL_US_MAX : cfg->poll_us) * 1000u;
	b->vm = vm;
	b->readonly = cfg->readonly;
	if (cfg->id)
		memcpy(b->id, cfg->id, strnlen(cfg->id, sizeof(b->id))); /* no NUL at 20 bytes */
	fill_config(b, nr_queues);
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	b->vdev = (struct virtio_device){
		.name = b->name, .device_id = VIRTIO_ID_BLOCK,
		.host_features = features(b->readonly, cfg->ring_features),
		.config_size = sizeof(b->cfg), .nr_queues = nr_queues,
		.max_queue_size = VIRTIO_BLK_QUEUE_SIZE, .ops = &blk_ops, .priv = b, .vm = vm,
	};
	return &b->vdev;
fail:
	close_image(b);
	free(b->bounce);
	free(b);
	return NULL;
}

struct virtio_device *virtio_blk_create(struct vm *vm, const struct disk_config *cfg, char *err,
					size_t errlen)
{
	return virtio_blk_create_mq(vm, cfg, 1, err, errlen);
}

void virtio_blk_get_stats(struct virtio_device *dev, struct virtio_blk_stats *out)
{
	struct blk *b = dev->priv;

	for (unsigned int i = 0; i < VIRTIO_BLK_STAT_OPS; i++)
		out->ops[i] = atomic_load_explicit(&b->stats.ops[i], memory_order_relaxed);
	out->read_bytes = atomic_load_explicit(&b->stats.read_bytes, memory_order_relaxed);
	out->write_bytes = atomic_load_explicit(&b->stats.write_bytes, memory_order_relaxed);
	out->io_errors = atomic_load_explicit(&b->stats.io_errors, memory_order_relaxed);
	out->in_flight = atomic_load_explicit(&b->stats.in_flight, memory_order_relaxed);
	out->interrupts = atomic_load_explicit(&b->stats.interrupts, memory_order_relaxed);
}

void virtio_blk_destroy(struct virtio_device *dev)
{
	struct blk *b;

	if (!dev)
		return;
	b = dev->priv;
	blk_reset(dev);
	close_image(b);
	free(b->bounce);
	free(b);
}
