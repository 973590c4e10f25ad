// SPDX-License-Identifier: MIT
/*
 * DAX fd cache: the files SETUPMAPPING maps, opened once and kept for the next chunks.
 *
 * A SETUPMAPPING names an inode (fh is -1 from Linux), so every chunk needs an fd opened from
 * the inode's O_PATH fd through /proc/self/fd: an openat() that walks a magic link, plus the
 * close, ~5 us here, more than the mmap the front-end does with it. A guest reading a file
 * through the window maps it chunk after chunk, so the last VFSD_DAX_FDS (inode, access) pairs
 * keep their fd. Entries are keyed by node id, which is never reused: a hit is always the file
 * the guest names. The cache holds at most VFSD_DAX_FDS descriptors; the least recently used
 * one is closed to make room, an inode's are closed when the inode is freed
 * (vfsd_dax_fd_forget), all of them at reset and teardown. An fd is what an open handle would
 * be: opened with the access the first mapping needed, checked by the host at that open.
 * Everything here runs under the DAX lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"

void vfsd_dax_fds_init(struct vfsd_dax *d)
{
	for (unsigned int i = 0; i < VFSD_DAX_FDS; i++)
		d->fds[i] = (struct vfsd_dax_fd){ .fd = -1 };
}

static void drop(struct vfsd_dax_fd *e)
{
	if (e->fd >= 0)
		close(e->fd);
	*e = (struct vfsd_dax_fd){ .fd = -1 };
}

int vfsd_dax_fd_get(struct vfsd *fs, struct vfsd_inode *ino, bool rw)
{
	struct vfsd_dax *d = &fs->dax;
	struct vfsd_dax_fd *victim = &d->fds[0];
	int fd;

	for (unsigned int i = 0; i < VFSD_DAX_FDS; i++) {
		struct vfsd_dax_fd *e = &d->fds[i];

		if (e->fd >= 0 && e->nodeid == ino->nodeid && e->rw == rw) {
			e->used = ++d->fd_clock;
			return e->fd;
		}
		if (e->fd < 0 || (victim->fd >= 0 && e->used < victim->used))
			victim = e;
	}
	fd = vfsd_inode_open(fs, ino, rw ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd;
	drop(victim);
	*victim = (struct vfsd_dax_fd){ .nodeid = ino->nodeid, .fd = fd, .rw = rw,
					.used = ++d->fd_clock };
	return fd;
}

void vfsd_dax_fd_forget(struct vfsd *fs, uint64_t nodeid)
{
	struct vfsd_dax *d = &fs->dax;

	if (!fs->window_size)
		return;
	pthread_mutex_lock(&d->lock);
	for (unsigned int i = 0; i < VFSD_DAX_FDS; i++)
		if (d->fds[i].fd >= 0 && d->fds[i].nodeid == nodeid)
			drop(&d->fds[i]);
	pthread_mutex_unlock(&d->lock);
}

void vfsd_dax_fds_drop_all(struct vfsd_dax *d)
{
	for (unsigned int i = 0; i < VFSD_DAX_FDS; i++)
		drop(&d->fds[i]);
}
