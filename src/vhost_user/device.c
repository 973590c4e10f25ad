// SPDX-License-Identifier: MIT
/*
 * vhost-user device ops for the virtio-pci transport: config space, feature acceptance,
 * start on DRIVER_OK (memory table + vrings to the back-end), stop on reset.
 */
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "vhost_user/vhost_user.h"
#include "util/log.h"
#include "kvm/vm.h"

#include "mm/shm_region.h"
#include "vhost_user/shmem.h"

static int send_vring_state(struct vu_dev *dev, uint32_t request, unsigned int idx,
			    unsigned int num)
{
	struct vu_msg m;

	vu_msg_init(&m, request, sizeof(struct vhost_vring_state));
	m.payload.state.index = idx;
	m.payload.state.num = num;
	return vu_dev_call(dev, &m, NULL);
}

static int send_vring_fd(struct vu_dev *dev, uint32_t request, unsigned int idx, int fd)
{
	struct vu_msg m;

	vu_msg_init(&m, request, 8);
	m.payload.u64 = idx & VHOST_USER_VRING_IDX_MASK;
	if (fd >= 0) {
		m.fds[0] = fd;
		m.nr_fds = 1;
	} else {
		m.payload.u64 |= VHOST_USER_VRING_NOFD_MASK;
	}
	return vu_dev_call(dev, &m, NULL);
}

static int fill_region(struct vu_dev *dev, unsigned int i, struct vhost_user_memory_region *r)
{
	const struct guest_mem_region *g = &dev->vm->mem.regions[i];

	r->guest_phys_addr = g->gpa;
	r->memory_size = g->size;
	r->userspace_addr = (uint64_t)(uintptr_t)g->hva;
	r->mmap_offset = g->fd_offset;
	return 0;
}

/* Guest RAM to the back-end: ADD_MEM_REG per region, or one SET_MEM_TABLE. */
static int send_mem_table(struct vu_dev *dev)
{
	const struct guest_mem *gm = &dev->vm->mem;
	struct vu_msg m;
	int r;

	if (gm->fd < 0 || gm->nr_regions == 0 || gm->nr_regions > VHOST_USER_MEMORY_MAX_NREGIONS) {
		pr_err_rl("%s: guest RAM is not shareable (fd %d, %u regions)", dev->name, gm->fd,
			  gm->nr_regions);
		return -EINVAL;
	}
	if (vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
		for (unsigned int i = 0; i < gm->nr_regions; i++) {
			if (dev->mem_regions_added & (1u << i))
				continue;   /* a failed start may have added some already */
			vu_msg_init(&m, VHOST_USER_ADD_MEM_REG, sizeof(struct vhost_user_mem_reg));
			fill_region(dev, i, &m.payload.mem_reg.region);
			m.fds[0] = gm->fd;
			m.nr_fds = 1;
			r = vu_dev_call(dev, &m, NULL);
			if (r)
				return r;
			dev->mem_regions_added |= 1u << i;
		}
		return 0;
	}
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + gm->nr_regions * 32);
	m.payload.memory.nregions = gm->nr_regions;
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		fill_region(dev, i, &m.payload.memory.regions[i]);
		m.fds[i] = gm->fd;
	}
	m.nr_fds = gm->nr_regions;
	return vu_dev_call(dev, &m, NULL);
}

/* Ring addresses as front-end virtual addresses (what vhost-user expects). */
static int ring_hvas(struct vu_dev *dev, const struct virtio_queue *q, struct vhost_vring_addr *a)
{
	const struct guest_mem *gm = &dev->vm->mem;
	void *desc = guest_mem_ptr(gm, q->desc_gpa, 16ull * q->size);
	void *avail = guest_mem_ptr(gm, q->avail_gpa, 6 + 2ull * q->size);
	void *used = guest_mem_ptr(gm, q->used_gpa, 6 + 8ull * q->size);

	if (!desc || !avail || !used)
		return -EFAULT;
	a->desc_user_addr = (uint64_t)(uintptr_t)desc;
	a->avail_user_addr = (uint64_t)(uintptr_t)avail;
	a->used_user_addr = (uint64_t)(uintptr_t)used;
	a->log_guest_addr = 0;
	a->flags = 0;
	return 0;
}

static int start_vring(struct vu_dev *dev, unsigned int i)
{
	struct virtio_queue *q = &dev->vdev.queues[i];
	struct vu_msg m;
	int r;

	vu_msg_init(&m, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_vring_addr));
	m.payload.addr.index = i;
	if (ring_hvas(dev, q, &m.payload.addr)) {
		pr_err_rl("%s: queue %u rings (desc 0x%llx avail 0x%llx used 0x%llx, size %u) are not "
			  "in guest RAM", dev->name, i, (unsigned long long)q->desc_gpa,
			  (unsigned long long)q->avail_gpa, (unsigned long long)q->used_gpa, q->size);
		return -EFAULT;
	}
	r = send_vring_state(dev, VHOST_USER_SET_VRING_NUM, i, q->size);
	if (!r)
		r = send_vring_state(dev, VHOST_USER_SET_VRING_BASE, i, 0);
	if (!r)
		r = vu_dev_call(dev, &m, NULL);
	if (!r)
		r = send_vring_fd(dev, VHOST_USER_SET_VRING_KICK, i, q->kick_fd);
	if (!r)
		r = send_vring_fd(dev, VHOST_USER_SET_VRING_CALL, i, q->call_fd);
	if (!r)
		r = send_vring_fd(dev, VHOST_USER_SET_VRING_ERR, i, dev->err_fds[i]);
	if (r)
		return r;
	dev->started_queues |= 1ull << i;
	return vu_dev_vring_enable(dev, i, !(dev->kind && dev->kind->queue_enabled) ||
				   dev->kind->queue_enabled(dev, i));
}

int vu_dev_vring_enable(struct vu_dev *dev, unsigned int i, bool enable)
{
	if (!(dev->backend_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	return send_vring_state(dev, VHOST_USER_SET_VRING_ENABLE, i, enable);
}

static bool backend_queue(struct vu_dev *dev, unsigned int i)
{
	return !(dev->kind && dev->kind->backend_queue) || dev->kind->backend_queue(dev, i);
}

static uint64_t features_to_send(struct vu_dev *dev)
{
	uint64_t f = dev->vdev.guest_features & ~(dev->kind ? dev->kind->local_features : 0);

	if (dev->backend_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
		f |= 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
	return f;
}

static int vu_activate_locked(struct vu_dev *dev)
{
	struct vu_msg m;
	int r;

	if (vu_dead(dev) && vu_dev_reconnect(dev))
		return -ENOTCONN;
	vu_msg_init(&m, VHOST_USER_SET_FEATURES, 8);
	m.payload.u64 = features_to_send(dev);
	r = vu_dev_call(dev, &m, NULL);
	if (r)
		return r;
	if (!dev->mem_sent) {
		r = send_mem_table(dev);
		if (r)
			return r;
		dev->mem_sent = true;
	}
	dev->started = true;
	for (unsigned int i = 0; i < dev->vdev.nr_queues; i++) {
		const struct virtio_queue *q = &dev->vdev.queues[i];

		if (!q->enabled || !q->size || !backend_queue(dev, i))
			continue;
		r = start_vring(dev, i);
		if (r)
			return r;
	}
	return 0;
}

static int vu_activate(struct virtio_device *vdev)
{
	struct vu_dev *dev = to_vu_dev(vdev);
	int r;

	pthread_mutex_lock(&dev->lock);
	r = vu_activate_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	if (!r && dev->kind && dev->kind->start)
		r = dev->kind->start(dev);
	if (r)
		pr_err_rl("%s: cannot start the vhost-user device: %s", dev->name, strerror(-r));
	else
		pr_debug_rl("%s: started (queues 0x%llx)", dev->name,
			    (unsigned long long)dev->started_queues);
	return r;
}

/* Stops every started vring: GET_VRING_BASE makes the back-end let go of the rings. */
static void stop_vrings(struct vu_dev *dev)
{
	struct vu_msg m, rep;

	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (!(dev->started_queues & (1ull << i)))
			continue;
		vu_msg_init(&m, VHOST_USER_GET_VRING_BASE, sizeof(struct vhost_vring_state));
		m.payload.state.index = i;
		if (vu_dev_call(dev, &m, &rep) == 0)
			dev->last_avail[i] = (uint16_t)rep.payload.state.num;
	}
	dev->started_queues = 0;
	if (vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_RESET_DEVICE) && !vu_dead(dev)) {
		vu_msg_init(&m, VHOST_USER_RESET_DEVICE, 0);
		vu_dev_call(dev, &m, NULL);
	}
}

/* The device stops (dev->lock held): a live back-end's vrings first, then nothing is started. */
static void vu_stop_locked(struct vu_dev *dev)
{
	if (dev->started && !vu_dead(dev))
		stop_vrings(dev);
	dev->started = false;
	dev->started_queues = 0;
}

static void vu_reset(struct virtio_device *vdev)
{
	struct vu_dev *dev = to_vu_dev(vdev);

	if (dev->kind && dev->kind->stop)
		dev->kind->stop(dev);
	pthread_mutex_lock(&dev->lock);
	vu_stop_locked(dev);
	/* Spec: the front-end drops every mapping of a device on reset. */
	vu_shmem_reset(dev);
	if (vu_dead(dev))
		vu_dev_reconnect(dev);
	pthread_mutex_unlock(&dev->lock);
}

static int vu_set_features(struct virtio_device *vdev, uint64_t features)
{
	struct vu_dev *dev = to_vu_dev(vdev);

	if (features & ~vdev->host_features)
		return -EINVAL;
	if (vu_dead(dev) && !dev->reconnect_ms)
		return -ENOTCONN;
	return 0;
}

/* GET_CONFIG / SET_CONFIG on the back-end for kinds without a local config space. */
static void backend_config_read(struct vu_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct vu_msg m, rep;
	int r;

	memset(data, 0xff, len);
	if (len > VHOST_USER_MAX_CONFIG_SIZE)
		return;
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, VHOST_USER_CONFIG_HDR_SIZE + len);
	m.payload.config.offset = offset;
	m.payload.config.size = len;
	pthread_mutex_lock(&dev->lock);
	r = vu_dev_call(dev, &m, &rep);
	pthread_mutex_unlock(&dev->lock);
	if (r)
		return;
	if (rep.payload.config.offset != offset || rep.payload.config.size != len) {
		pr_err_rl("%s: GET_CONFIG reply for offset %u size %u, asked %u/%u", dev->name,
			  rep.payload.config.offset, rep.payload.config.size, offset, len);
		return;
	}
	memcpy(data, rep.payload.config.region, len);
}

static void backend_config_write(struct vu_dev *dev, uint32_t offset, const void *data,
				 uint32_t len)
{
	struct vu_msg m;

	if (len > VHOST_USER_MAX_CONFIG_SIZE)
		return;
	vu_msg_init(&m, VHOST_USER_SET_CONFIG, VHOST_USER_CONFIG_HDR_SIZE + len);
	m.payload.config.offset = offset;
	m.payload.config.size = len;
	m.payload.config.flags = VHOST_SET_CONFIG_TYPE_FRONTEND;
	memcpy(m.payload.config.region, data, len);
	pthread_mutex_lock(&dev->lock);
	vu_dev_call(dev, &m, NULL);
	pthread_mutex_unlock(&dev->lock);
}

static void vu_config_read(struct virtio_device *vdev, uint32_t offset, void *data, uint32_t len)
{
	struct vu_dev *dev = to_vu_dev(vdev);

	if (dev->kind && dev->kind->config_read)
		dev->kind->config_read(dev, offset, data, len);
	else
		backend_config_read(dev, offset, data, len);
}

static void vu_config_write(struct virtio_device *vdev, uint32_t offset, const void *data,
			    uint32_t len)
{
	struct vu_dev *dev = to_vu_dev(vdev);

	if (dev->kind && dev->kind->config_write)
		dev->kind->config_write(dev, offset, data, len);
	else if (!(dev->kind && dev->kind->config_read))
		backend_config_write(dev, offset, data, len);
}

const struct virtio_device_ops vu_dev_ops = {
	.config_read = vu_config_read,
	.config_write = vu_config_write,
	.set_features = vu_set_features,
	.activate = vu_activate,
	.reset = vu_reset,
};

void vhost_user_device_destroy(struct virtio_device *vdev)
{
	struct vu_dev *dev;

	if (!vdev)
		return;
	dev = to_vu_dev(vdev);
	if (dev->kind && dev->kind->stop)
		dev->kind->stop(dev);
	pthread_mutex_lock(&dev->lock);
	vu_stop_locked(dev);
	pthread_mutex_unlock(&dev->lock);
	vu_dev_free(dev);
}
