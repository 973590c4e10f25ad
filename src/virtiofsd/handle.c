// SPDX-License-Identifier: MIT
/*
 * File handle table. fh = (generation << 32) | slot: a stale or forged fh from the guest names
 * either a free slot, a slot of the other kind (file/directory) or a wrong generation, and is
 * refused with EBADF.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"

#define MAX_HANDLES (1u << 20)

int vfsd_handles_init(struct vfsd *fs)
{
	pthread_mutex_init(&fs->hlock, NULL);
	fs->handles = NULL;
	fs->nr_slots = 0;
	fs->nr_handles = 0;
	return 0;
}

/* Closes a handle nobody can reach any more; the slot is reusable only at the end. */
static void free_handle(struct vfsd *fs, struct vfsd_handle *h)
{
	struct vfsd_inode *ino = h->inode;

	close(h->fd);
	vfsd_inode_put(fs, ino);
	pthread_mutex_lock(&fs->hlock);
	h->inode = NULL;
	h->fd = -1;
	pthread_mutex_unlock(&fs->hlock);
}

void vfsd_handles_destroy(struct vfsd *fs)
{
	vfsd_handle_release_all(fs);
	for (uint32_t i = 0; i < fs->nr_slots; i++) {
		pthread_mutex_destroy(&fs->handles[i]->lock);
		free(fs->handles[i]);
	}
	free(fs->handles);
	fs->handles = NULL;
	fs->nr_slots = 0;
	pthread_mutex_destroy(&fs->hlock);
}

static int grow_locked(struct vfsd *fs)
{
	uint32_t n = fs->nr_slots ? fs->nr_slots * 2 : 64;
	struct vfsd_handle **t;

	if (fs->nr_slots >= MAX_HANDLES)
		return -EMFILE;
	t = realloc(fs->handles, n * sizeof(*t));
	if (!t)
		return -ENOMEM;
	fs->handles = t;
	for (uint32_t i = fs->nr_slots; i < n; i++) {
		t[i] = calloc(1, sizeof(**t));
		if (!t[i]) {
			fs->nr_slots = i;
			return -ENOMEM;
		}
		t[i]->fd = -1;
		pthread_mutex_init(&t[i]->lock, NULL);
	}
	fs->nr_slots = n;
	return 0;
}

int vfsd_handle_new(struct vfsd *fs, int fd, struct vfsd_inode *ino, bool dir, uint64_t *fh)
{
	struct vfsd_handle *h = NULL;
	uint32_t i;
	int ret = 0;

	pthread_mutex_lock(&fs->hlock);
	for (;;) {
		for (i = 0; i < fs->nr_slots; i++) {
			if (fs->handles[i]->fd < 0 && !fs->handles[i]->refs) {
				h = fs->handles[i];
				break;
			}
		}
		if (h)
			break;
		ret = grow_locked(fs);
		if (ret < 0)
			break;
	}
	if (h) {
		/* The inode ref of the request is duplicated for the handle. */
		pthread_mutex_lock(&fs->ilock);
		ino->refs++;
		pthread_mutex_unlock(&fs->ilock);
		h->fd = fd;
		h->gen++;
		h->dir = dir;
		h->closing = false;
		h->refs = 1;
		h->inode = ino;
		fs->nr_handles++;
		*fh = ((uint64_t)h->gen << 32) | i;
	}
	pthread_mutex_unlock(&fs->hlock);
	if (!h)
		close(fd);
	return ret;
}

/* The open handle fh of ino (a directory handle when dir), or NULL. */
static struct vfsd_handle *lookup_locked(struct vfsd *fs, uint64_t fh, struct vfsd_inode *ino,
					 bool dir)
{
	uint32_t i = (uint32_t)fh, gen = (uint32_t)(fh >> 32);
	struct vfsd_handle *h;

	if (i >= fs->nr_slots)
		return NULL;
	h = fs->handles[i];
	if (h->fd < 0 || h->closing || h->gen != gen || h->dir != dir || h->inode != ino)
		return NULL;
	return h;
}

struct vfsd_handle *vfsd_handle_get(struct vfsd *fs, uint64_t fh, struct vfsd_inode *ino,
				    bool dir)
{
	struct vfsd_handle *h;

	pthread_mutex_lock(&fs->hlock);
	h = lookup_locked(fs, fh, ino, dir);
	if (h)
		h->refs++;
	pthread_mutex_unlock(&fs->hlock);
	return h;
}

void vfsd_handle_put(struct vfsd *fs, struct vfsd_handle *h)
{
	bool last;

	pthread_mutex_lock(&fs->hlock);
	last = --h->refs == 0;
	if (last)
		fs->nr_handles--;
	pthread_mutex_unlock(&fs->hlock);
	/* refs == 0: closing was set, nobody can find it, and fd >= 0 keeps the slot taken. */
	if (last)
		free_handle(fs, h);
}

int vfsd_handle_release(struct vfsd *fs, uint64_t fh, struct vfsd_inode *ino, bool dir)
{
	struct vfsd_handle *h;

	pthread_mutex_lock(&fs->hlock);
	h = lookup_locked(fs, fh, ino, dir);
	if (h)
		h->closing = true;
	pthread_mutex_unlock(&fs->hlock);
	if (!h)
		return -EBADF;
	vfsd_handle_put(fs, h);
	return 0;
}

void vfsd_handle_release_all(struct vfsd *fs)
{
	for (uint32_t i = 0;; i++) {
		struct vfsd_handle *h;

		pthread_mutex_lock(&fs->hlock);
		if (i >= fs->nr_slots) {
			pthread_mutex_unlock(&fs->hlock);
			break;
		}
		h = fs->handles[i];
		if (h->fd < 0 || h->closing) {
			pthread_mutex_unlock(&fs->hlock);
			continue;
		}
		h->closing = true;
		pthread_mutex_unlock(&fs->hlock);
		vfsd_handle_put(fs, h);
	}
}
