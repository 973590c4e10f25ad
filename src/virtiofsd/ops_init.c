// SPDX-License-Identifier: MIT
/* FUSE_INIT / FUSE_DESTROY and the server object. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"
#include "util/log.h"
#include "util/safe_open.h"

#define MIN_MINOR 27   /* virtio-fs needs 7.27+ */

/* Capabilities we implement; answered as (ours & kernel's). */
#define OUR_FLAGS (FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS | \
		   FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES | \
		   FUSE_AUTO_INVAL_DATA)

int vfsd_op_init(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_init_in in = { 0 };
	struct fuse_init_out out = { 0 };
	struct vfsd *fs = r->fs;

	(void)ino;
	memcpy(&in, r->arg, r->arg_len < sizeof(in) ? r->arg_len : sizeof(in));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	if (in.major < 7 || (in.major == 7 && in.minor < MIN_MINOR)) {
		pr_err_rl("virtiofsd: FUSE protocol %u.%u too old (need 7.%u)", in.major, in.minor,
			  MIN_MINOR);
		return -EPROTO;
	}
	if (in.major > 7)  /* kernel will retry with our major */
		return vfsd_reply(r, &out, sizeof(out));
	fs->proto_minor = in.minor < FUSE_KERNEL_MINOR_VERSION ? in.minor :
			  FUSE_KERNEL_MINOR_VERSION;
	out.max_readahead = in.max_readahead;
	out.flags = in.flags & OUR_FLAGS;
	out.max_background = 64;
	out.congestion_threshold = 48;
	out.max_write = VFSD_MAX_WRITE;
	out.time_gran = 1;
	out.max_pages = VFSD_MAX_PAGES;
	if ((in.flags & FUSE_MAP_ALIGNMENT) && fs->window_size && fs->dax_ops) {
		/* SETUPMAPPING window offsets are tracked per 2 MiB chunk. */
		out.flags |= FUSE_MAP_ALIGNMENT;
		out.map_alignment = VFSD_DAX_SHIFT;
	}
	/*
	 * A new session: mappings of a previous one are gone from the guest's view. Drop any the
	 * front-end may still hold (it drops them itself at device reset; refusals are fine).
	 */
	vfsd_dax_drop_all(fs);
	fs->initialized = true;
	pr_info_rl("virtiofsd: FUSE %u.%u session, flags 0x%x%s", in.major, fs->proto_minor,
		   out.flags, out.map_alignment ? ", DAX window" : "");
	return vfsd_reply(r, &out, sizeof(out));
}

int vfsd_op_destroy(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct vfsd *fs = r->fs;

	(void)ino;
	vfsd_dax_drop_all(fs);
	vfsd_handle_release_all(fs);
	vfsd_inode_forget_all(fs);
	fs->initialized = false;
	return vfsd_reply(r, NULL, 0);
}

void vfsd_reset(struct vfsd *fs)
{
	vfsd_dax_forget_all(fs);
	vfsd_handle_release_all(fs);
	vfsd_inode_forget_all(fs);
	fs->initialized = false;
}

struct vfsd *vfsd_new(const struct vfsd_options *opt)
{
	struct vfsd *fs = calloc(1, sizeof(*fs));
	struct stat st;
	char why[128];
	int err;

	if (!fs)
		return NULL;
	fs->proc_fd = -1;
	/* A path that exists but is no directory is a usage error (EINVAL: exit status 2). */
	fs->root_fd = safe_open(opt->shared_dir, O_PATH, SAFE_OPEN_DIR, &st, why, sizeof(why));
	if (fs->root_fd < 0) {
		err = errno;
		pr_err("virtiofsd: shared directory %s: %s", opt->shared_dir, why);
		goto fail;
	}
	fs->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->proc_fd < 0) {
		err = errno;
		pr_err("virtiofsd: /proc/self/fd: %s (is /proc mounted?)", strerror(err));
		goto fail;
	}
	fs->readonly = opt->readonly;
	fs->timeout_s = opt->timeout_s > 0 ? opt->timeout_s : 1.0;
	fs->window_size = opt->dax ? opt->window_size : 0;
	fs->dax_ops = opt->dax;
	err = -vfsd_inodes_init(fs);
	if (!err)
		err = -vfsd_handles_init(fs);
	if (!err)
		err = -vfsd_dax_init(fs);
	if (err) {
		pr_err("virtiofsd: init: %s", strerror(err));
		goto fail;
	}
	return fs;
fail:
	if (fs->proc_fd >= 0)
		close(fs->proc_fd);
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	free(fs);
	errno = err;
	return NULL;
}

void vfsd_destroy(struct vfsd *fs)
{
	if (!fs)
		return;
	vfsd_dax_destroy(fs);
	vfsd_handles_destroy(fs);
	vfsd_inodes_destroy(fs);
	close(fs->proc_fd);
	close(fs->root_fd);
	free(fs);
}

size_t vfsd_max_request(const struct vfsd *fs)
{
	(void)fs;
	return VFSD_MAX_WRITE + VFSD_REQ_SLACK;
}

const struct vfsd_stats *vfsd_get_stats(const struct vfsd *fs)
{
	return &fs->stats;
}

unsigned long vfsd_nr_inodes(struct vfsd *fs)
{
	unsigned long n;

	pthread_mutex_lock(&fs->ilock);
	n = fs->nr_inodes;
	pthread_mutex_unlock(&fs->ilock);
	return n;
}

unsigned long vfsd_nr_handles(struct vfsd *fs)
{
	unsigned long n;

	pthread_mutex_lock(&fs->hlock);
	n = fs->nr_handles;
	pthread_mutex_unlock(&fs->hlock);
	return n;
}
