/* SPDX-License-Identifier: MIT */
/* virtio-fs device = FUSE server (vfsd) + vhost-user back-end (vub). */
#ifndef MICROVM_VIRTIOFSD_DEVICE_H
#define MICROVM_VIRTIOFSD_DEVICE_H

#include <linux/virtio_fs.h>

#include "virtiofsd/vfsd.h"
#include "vu_backend/vu_backend.h"

struct vfsd_device_options {
	const char *shared_dir;
	const char *tag;
	uint64_t cache_size;     /* DAX window bytes (multiple of 2 MiB), 0 = none */
	bool readonly;
	unsigned int threads;    /* request queues, one worker thread each */
};

struct vfsd_device {
	struct vfsd *fs;
	struct vub *vub;
	struct vfsd_dax_ops dax_ops;
	struct virtio_fs_config config;
	uint8_t *bufs[VUB_MAX_QUEUES];  /* per-queue request buffer (one worker per queue) */
};

int vfsd_device_init(struct vfsd_device *d, const struct vfsd_device_options *o);
void vfsd_device_destroy(struct vfsd_device *d);

#endif
