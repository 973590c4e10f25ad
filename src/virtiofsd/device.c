// SPDX-License-Identifier: MIT
/*
 * virtio-fs over the vhost-user back-end library: queue 0 is the high-priority queue, queues
 * 1..N the request queues; every chain is one FUSE request (device-readable part flattened
 * into the queue's buffer) answered in its device-writable part. DAX map/unmap requests
 * become SHMEM_MAP/SHMEM_UNMAP on shm region 0.
 */
#include <errno.h>
#include <linux/virtio_fs.h>
#include <stdlib.h>
#include <string.h>

#include "virtiofsd/vfsd_device.h"
#include "util/log.h"

static uint32_t fs_process(void *opaque, unsigned int q, const struct virtq_elem *e)
{
	struct vfsd_device *d = opaque;
	size_t max = vfsd_max_request(d->fs), len;
	uint8_t *buf;

	if (q >= VUB_MAX_QUEUES)
		return 0;
	if (!d->bufs[q]) {
		d->bufs[q] = malloc(max);
		if (!d->bufs[q])
			return 0;
	}
	buf = d->bufs[q];
	/* Longer than any valid request: pass the truncated length so the header check fails. */
	len = iov_to_buf(e->iov, e->out_num, 0, buf, e->out_len < max ? e->out_len : max);
	if (e->out_len > max)
		len = max;
	return (uint32_t)vfsd_dispatch(d->fs, buf, len, e->iov + e->out_num, e->in_num);
}

static void fs_reset(void *opaque)
{
	struct vfsd_device *d = opaque;

	vfsd_reset(d->fs);
}

static int dax_map(void *opaque, int fd, uint64_t fd_offset, uint64_t shm_offset, uint64_t len,
		   bool writable)
{
	struct vfsd_device *d = opaque;

	return vub_shmem_map(d->vub, 0, fd, fd_offset, shm_offset, len,
			     writable ? VHOST_USER_FLAG_MAP_RW : 0);
}

static int dax_unmap(void *opaque, uint64_t shm_offset, uint64_t len)
{
	struct vfsd_device *d = opaque;

	return vub_shmem_unmap(d->vub, 0, shm_offset, len);
}

int vfsd_device_init(struct vfsd_device *d, const struct vfsd_device_options *o)
{
	struct vfsd_options fo = { .shared_dir = o->shared_dir, .readonly = o->readonly,
				   .window_size = o->cache_size, .dax = NULL };
	struct vub_device vd = { 0 };
	size_t tlen = strlen(o->tag);

	memset(d, 0, sizeof(*d));
	if (!tlen || tlen > sizeof(d->config.tag) || !o->threads ||
	    o->threads > VUB_MAX_QUEUES - 1 || o->cache_size % (2u << 20))
		return -EINVAL;
	d->dax_ops = (struct vfsd_dax_ops){ dax_map, dax_unmap, d };
	if (o->cache_size)
		fo.dax = &d->dax_ops;
	d->fs = vfsd_new(&fo);
	if (!d->fs)
		return -errno;
	memcpy(d->config.tag, o->tag, tlen);
	d->config.num_request_queues = htole32(o->threads);
	vd.name = "microvm-virtiofsd";
	vd.nr_queues = 1 + o->threads;
	vd.config = &d->config;
	vd.config_size = sizeof(d->config);
	vd.shm_size[0] = o->cache_size;
	vd.process = fs_process;
	vd.reset = fs_reset;
	vd.opaque = d;
	d->vub = vub_new(&vd);
	if (!d->vub) {
		vfsd_destroy(d->fs);
		return -ENOMEM;
	}
	return 0;
}

void vfsd_device_destroy(struct vfsd_device *d)
{
	vub_free(d->vub);
	vfsd_destroy(d->fs);
	for (unsigned int i = 0; i < VUB_MAX_QUEUES; i++)
		free(d->bufs[i]);
	memset(d, 0, sizeof(*d));
}
