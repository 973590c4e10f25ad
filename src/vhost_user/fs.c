// SPDX-License-Identifier: MIT
/*
 * [[vhost_user_fs]]: virtio-fs (virtio id 26) with an external back-end such as virtiofsd.
 * The config space {tag[36], le32 num_request_queues} is answered by the VMM (virtiofsd has no
 * CONFIG protocol feature). Queues: 1 high-priority + num_request_queues request queues. A
 * non-zero cache_size declares shared memory region 0, the DAX window.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "mm/shm_region.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"

struct vu_fs {
	struct virtio_fs_config cfg;
	bool has_cache;
};

static void fs_config_read(struct vu_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct vu_fs *fs = dev->kind_priv;

	if (offset > sizeof(fs->cfg) || len > sizeof(fs->cfg) - offset) {
		memset(data, 0, len);
		return;
	}
	memcpy(data, (const uint8_t *)&fs->cfg + offset, len);
}

static void fs_config_write(struct vu_dev *dev, uint32_t offset, const void *data, uint32_t len)
{
	(void)data;
	pr_debug_rl("%s: ignoring write of %u bytes at %u to the read-only virtio-fs config", dev->name,
		    len, offset);
}

static bool fs_want_protocol(struct vu_dev *dev, unsigned int bit)
{
	struct vu_fs *fs = dev->kind_priv;

	return bit == VHOST_USER_PROTOCOL_F_SHMEM && fs->has_cache;
}

static void fs_destroy(struct vu_dev *dev)
{
	struct vu_fs *fs = dev->kind_priv;

	if (!fs)
		return;
	free(fs);
	dev->kind_priv = NULL;
}

static const struct vu_dev_kind fs_kind = {
	.name = "virtio-fs",
	.config_read = fs_config_read,
	.config_write = fs_config_write,
	.want_protocol = fs_want_protocol,
	.destroy = fs_destroy,
};

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int fs_check(const struct vhost_user_fs_config *cfg, char *err, size_t errlen)
{
	if (!cfg->tag || !cfg->tag[0] || strlen(cfg->tag) > sizeof(((struct virtio_fs_config *)0)->tag)) {
		snprintf(err, errlen, "vhost_user_fs: tag must be 1 to 36 bytes");
		return -EINVAL;
	}
	if (cfg->num_request_queues < 1 || cfg->num_request_queues > VIRTIO_MAX_QUEUES - 1) {
		snprintf(err, errlen, "vhost_user_fs %s: num_request_queues must be 1 to %d", cfg->tag,
			 VIRTIO_MAX_QUEUES - 1);
		return -EINVAL;
	}
	if (!is_pow2(cfg->queue_size) || cfg->queue_size > 32768) {
		snprintf(err, errlen, "vhost_user_fs %s: queue_size %u is not a power of two <= 32768",
			 cfg->tag, cfg->queue_size);
		return -EINVAL;
	}
	if (cfg->cache_size % SHM_REGION_ALIGN || cfg->cache_size > SHM_REGION_MAX_SIZE) {
		snprintf(err, errlen, "vhost_user_fs %s: cache_size must be a multiple of 2 MiB "
			 "(at most 1 TiB)", cfg->tag);
		return -EINVAL;
	}
	return 0;
}

/* Shared memory region 0 is the DAX window (regions live in shmem.c). */
static int fs_setup_cache(struct vu_dev *dev, struct vu_fs *fs, uint64_t size, char *err,
			  size_t errlen)
{
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS] = { [VIRTIO_FS_SHMCAP_ID_CACHE] = size };
	int r = vu_shmem_add_regions(dev, sizes, err, errlen);

	if (r == 0)
		fs->has_cache = true;
	return r;
}

/*
 * The backend's view of the DAX window must match cache_size: a backend that maps past the end
 * of a smaller window gets errors, one with a smaller window wastes guest address space. A
 * backend without SHMEM cannot use the window at all (the guest's DAX mappings then fail).
 */
static int fs_check_cache(struct vu_dev *dev, uint64_t cache_size, char *err, size_t errlen)
{
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS];
	unsigned int n;
	int ret = vu_shmem_fetch_config(dev, sizes, &n, err, errlen);

	if (ret < 0)
		return ret;
	if (ret == 0) {
		pr_warn_rl("%s: the back-end does not support VHOST_USER_PROTOCOL_F_SHMEM: the %llu MiB "
			   "DAX window stays empty and guest DAX mappings will fail", dev->name,
			   (unsigned long long)(cache_size >> 20));
		return 0;
	}
	for (unsigned int id = 1; id < VHOST_USER_MAX_SHM_REGIONS; id++) {
		if (sizes[id]) {
			snprintf(err, errlen, "%s: the back-end declares shared memory region %u, "
				 "virtio-fs has only the DAX window (region 0)", dev->name, id);
			return -EINVAL;
		}
	}
	if (sizes[VIRTIO_FS_SHMCAP_ID_CACHE] != cache_size) {
		snprintf(err, errlen, "%s: cache_size is %llu MiB but the back-end's DAX window "
			 "(GET_SHMEM_CONFIG region 0) is %llu MiB: configure both the same", dev->name,
			 (unsigned long long)(cache_size >> 20),
			 (unsigned long long)(sizes[VIRTIO_FS_SHMCAP_ID_CACHE] >> 20));
		return -EINVAL;
	}
	return 0;
}

struct virtio_device *vhost_user_fs_create(struct vm *vm, const struct vhost_user_fs_config *cfg,
					   char *err, size_t errlen)
{
	struct vu_options opt = {
		.socket = cfg->socket,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.reconnect_ms = cfg->reconnect_ms,
	};
	struct vu_dev *dev;
	struct vu_fs *fs;
	char name[48];

	if (fs_check(cfg, err, errlen))
		return NULL;
	snprintf(name, sizeof(name), "virtio-fs(%s)", cfg->tag);
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	memcpy(fs->cfg.tag, cfg->tag, strlen(cfg->tag));
	fs->cfg.num_request_queues = htole32(cfg->num_request_queues);
	dev = vu_dev_new(vm, &opt, name, &fs_kind, err, errlen);
	if (!dev) {
		free(fs);
		return NULL;
	}
	dev->kind_priv = fs;
	dev->vdev.device_id = VIRTIO_ID_FS;
	dev->vdev.config_size = sizeof(fs->cfg);
	dev->vdev.nr_queues = 1 + cfg->num_request_queues;
	dev->vdev.max_queue_size = (uint16_t)(cfg->queue_size > 32768 ? 32768 : cfg->queue_size);
	if (cfg->cache_size && fs_setup_cache(dev, fs, cfg->cache_size, err, errlen))
		goto fail;
	if (vu_dev_connect(dev, err, errlen))
		goto fail;
	if (cfg->cache_size && fs_check_cache(dev, cfg->cache_size, err, errlen))
		goto fail;
	return &dev->vdev;
fail:
	vu_dev_free(dev);
	return NULL;
}
