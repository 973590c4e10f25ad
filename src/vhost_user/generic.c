// SPDX-License-Identifier: MIT
/*
 * [[vhost_user]]: a generic vhost-user device. The back-end defines the device: the VMM only
 * knows its virtio id, queue count/size and config size; config space goes through
 * GET_CONFIG/SET_CONFIG, shared memory regions come from GET_SHMEM_CONFIG when SHMEM is
 * negotiated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/shm_region.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"

static bool generic_want_protocol(struct vu_dev *dev, unsigned int bit)
{
	(void)dev;
	return bit == VHOST_USER_PROTOCOL_F_SHMEM;
}

static const struct vu_dev_kind generic_kind = {
	.name = "vhost-user",
	.want_protocol = generic_want_protocol,
};

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int generic_check(const struct vhost_user_config *cfg, char *err, size_t errlen)
{
	if (cfg->virtio_id == 0 || cfg->virtio_id > 0xffff) {
		snprintf(err, errlen, "vhost_user %s: virtio_id %u is invalid", cfg->socket,
			 cfg->virtio_id);
		return -EINVAL;
	}
	if (cfg->num_queues < 1 || cfg->num_queues > VIRTIO_MAX_QUEUES) {
		snprintf(err, errlen, "vhost_user %s: num_queues must be 1 to %d", cfg->socket,
			 VIRTIO_MAX_QUEUES);
		return -EINVAL;
	}
	if (!is_pow2(cfg->queue_size) || cfg->queue_size > 32768) {
		snprintf(err, errlen, "vhost_user %s: queue_size %u is not a power of two <= 32768",
			 cfg->socket, cfg->queue_size);
		return -EINVAL;
	}
	if (cfg->config_size > VHOST_USER_MAX_CONFIG_SIZE) {
		snprintf(err, errlen, "vhost_user %s: config_size %u exceeds %u", cfg->socket,
			 cfg->config_size, VHOST_USER_MAX_CONFIG_SIZE);
		return -EINVAL;
	}
	return 0;
}

/* GET_SHMEM_CONFIG (only when SHMEM was negotiated) creates the regions (shmem.c). */
static int generic_shmem(struct vu_dev *dev, char *err, size_t errlen)
{
	int r;

	pthread_mutex_lock(&dev->lock);
	r = vu_shmem_query_config(dev, err, errlen);
	pthread_mutex_unlock(&dev->lock);
	return r;
}

struct virtio_device *vhost_user_generic_create(struct vm *vm, const struct vhost_user_config *cfg,
						char *err, size_t errlen)
{
	struct vu_options opt = {
		.socket = cfg->socket,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.reconnect_ms = cfg->reconnect_ms,
	};
	const char *base;
	struct vu_dev *dev;
	char name[48];

	if (!cfg->socket) {
		snprintf(err, errlen, "vhost_user: socket is required");
		return NULL;
	}
	if (generic_check(cfg, err, errlen))
		return NULL;
	base = strrchr(cfg->socket, '/');
	snprintf(name, sizeof(name), "vhost-user%u(%.24s)", cfg->virtio_id,
		 base ? base + 1 : cfg->socket);
	dev = vu_dev_new(vm, &opt, name, &generic_kind, err, errlen);
	if (!dev)
		return NULL;
	dev->vdev.device_id = (uint16_t)cfg->virtio_id;
	dev->vdev.config_size = cfg->config_size;
	dev->vdev.nr_queues = cfg->num_queues;
	dev->vdev.max_queue_size = (uint16_t)cfg->queue_size;
	if (vu_dev_connect(dev, err, errlen) || generic_shmem(dev, err, errlen)) {
		vu_dev_free(dev);
		return NULL;
	}
	return &dev->vdev;
}
