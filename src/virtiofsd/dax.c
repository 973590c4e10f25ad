// SPDX-License-Identifier: MIT
/*
 * DAX window bookkeeping: FUSE_SETUPMAPPING / FUSE_REMOVEMAPPING on shm region 0.
 *
 * Window offsets are 2 MiB aligned (map_alignment 21); a mapping covers one or more whole
 * chunks' starts and is remembered at its first chunk. A SETUPMAPPING over live mappings first
 * unmaps them whole (the guest upgrades a read-only chunk by mapping it again with WRITE),
 * then maps. The guest is answered only after the front-end's reply to each MAP/UNMAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"
#include "util/log.h"

#define NONE UINT64_MAX
#define PAGE_MASK_4K 4095ull

int vfsd_dax_init(struct vfsd *fs)
{
	struct vfsd_dax *d = &fs->dax;

	pthread_mutex_init(&d->lock, NULL);
	vfsd_dax_fds_init(d);
	if (!fs->window_size)
		return 0;
	if (fs->window_size % VFSD_DAX_CHUNK)
		return -EINVAL;
	d->nr_chunks = fs->window_size / VFSD_DAX_CHUNK;
	d->start_of = malloc(d->nr_chunks * sizeof(*d->start_of));
	d->len_at = calloc(d->nr_chunks, sizeof(*d->len_at));
	d->rw_at = calloc(d->nr_chunks, sizeof(*d->rw_at));
	if (!d->start_of || !d->len_at || !d->rw_at)
		return -ENOMEM;
	for (uint64_t c = 0; c < d->nr_chunks; c++)
		d->start_of[c] = NONE;
	return 0;
}

void vfsd_dax_destroy(struct vfsd *fs)
{
	struct vfsd_dax *d = &fs->dax;

	vfsd_dax_fds_drop_all(d);
	free(d->start_of);
	free(d->len_at);
	free(d->rw_at);
	memset(d, 0, offsetof(struct vfsd_dax, lock));
	vfsd_dax_fds_init(d);
	pthread_mutex_destroy(&d->lock);
}

static uint64_t chunks_of(uint64_t len)
{
	return (len + VFSD_DAX_CHUNK - 1) / VFSD_DAX_CHUNK;
}

/*
 * Unmaps the live mapping starting at chunk s. The record is dropped even when the front-end
 * refuses: it then has no such mapping (e.g. it dropped them all at a reset we did not see).
 * Called with the lock held.
 */
static int unmap_locked(struct vfsd *fs, uint64_t s)
{
	struct vfsd_dax *d = &fs->dax;
	uint64_t len = d->len_at[s];
	int ret = fs->dax_ops->unmap(fs->dax_ops->opaque, s * VFSD_DAX_CHUNK, len);

	if (ret < 0)
		pr_warn_rl("virtiofsd: SHMEM_UNMAP at 0x%llx+0x%llx failed: %s",
			   (unsigned long long)(s * VFSD_DAX_CHUNK), (unsigned long long)len,
			   strerror(-ret));
	for (uint64_t c = s; c < s + chunks_of(len); c++)
		d->start_of[c] = NONE;
	d->len_at[s] = 0;
	atomic_fetch_sub(&fs->stats.live_mappings, 1);
	return ret;
}

static int check_range(struct vfsd *fs, uint64_t moffset, uint64_t len)
{
	if (!fs->window_size || !fs->dax_ops)
		return -ENOSYS;
	if (len == 0 || (len & PAGE_MASK_4K) || moffset % VFSD_DAX_CHUNK)
		return -EINVAL;
	if (moffset >= fs->window_size || len > fs->window_size - moffset)
		return -EINVAL;
	return 0;
}

static int setup_locked(struct vfsd *fs, int fd, const struct fuse_setupmapping_in *in,
			bool rw)
{
	struct vfsd_dax *d = &fs->dax;
	uint64_t c0 = in->moffset / VFSD_DAX_CHUNK, n = chunks_of(in->len);
	int ret;

	/* Replace (read-only -> read-write upgrade): a failed unmap means nothing is there. */
	for (uint64_t c = c0; c < c0 + n; c++)
		if (d->start_of[c] != NONE)
			unmap_locked(fs, d->start_of[c]);
	ret = fs->dax_ops->map(fs->dax_ops->opaque, fd, in->foffset, in->moffset, in->len, rw);
	if (ret < 0) {
		pr_warn_rl("virtiofsd: front-end refused SHMEM_MAP of 0x%llx bytes at window offset "
			   "0x%llx: %s (is its cache_size the same as --cache-size, 0x%llx?)",
			   (unsigned long long)in->len, (unsigned long long)in->moffset,
			   strerror(-ret), (unsigned long long)fs->window_size);
		return ret;
	}
	for (uint64_t c = c0; c < c0 + n; c++)
		d->start_of[c] = c0;
	d->len_at[c0] = in->len;
	d->rw_at[c0] = rw;
	atomic_fetch_add(&fs->stats.live_mappings, 1);
	return 0;
}

int vfsd_op_setupmapping(struct vfsd_req *r, struct vfsd_inode *ino)
{
	const uint64_t known = FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE;
	struct fuse_setupmapping_in in;
	struct vfsd *fs = r->fs;
	bool rw;
	int fd, ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = check_range(fs, in.moffset, in.len);
	if (ret == -EINVAL && in.moffset >= fs->window_size &&
	    !atomic_exchange(&fs->dax.warned_size, true)) {
		pr_warn_rl("virtiofsd: SETUPMAPPING at window offset 0x%llx beyond --cache-size "
			   "0x%llx: the front-end's window (cache_size) is larger than ours",
			   (unsigned long long)in.moffset, (unsigned long long)fs->window_size);
	}
	if (ret < 0)
		return ret;
	if ((in.flags & ~known) || (in.foffset & PAGE_MASK_4K) || in.foffset > INT64_MAX - in.len)
		return -EINVAL;
	rw = in.flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	if (rw && fs->readonly)
		return -EROFS;
	if (vfsd_policy(VFSD_OPEN, ino->type, 0, 0) < 0)
		return -EINVAL;
	/* fh is -1 from Linux: the mapping uses the inode, opened with the needed access. */
	pthread_mutex_lock(&fs->dax.lock);
	fd = vfsd_dax_fd_get(fs, ino, rw);
	ret = fd < 0 ? fd : setup_locked(fs, fd, &in, rw);
	pthread_mutex_unlock(&fs->dax.lock);
	if (ret < 0)
		return ret;
	atomic_fetch_add(&fs->stats.setupmapping, 1);
	return vfsd_reply(r, NULL, 0);
}

static int remove_one_locked(struct vfsd *fs, const struct fuse_removemapping_one *one)
{
	struct vfsd_dax *d = &fs->dax;
	uint64_t c0, end, c;
	int ret = check_range(fs, one->moffset, one->len);
	bool found = false;

	if (ret < 0)
		return ret;
	c0 = one->moffset / VFSD_DAX_CHUNK;
	end = c0 + chunks_of(one->len);
	/* Every mapping touched must lie wholly inside the range. */
	for (c = c0; c < end; c++) {
		uint64_t s = d->start_of[c];

		if (s == NONE)
			continue;
		if (s < c0 || s + chunks_of(d->len_at[s]) > end)
			return -EINVAL;
	}
	for (c = c0; c < end; c++) {
		if (d->start_of[c] != c)
			continue;
		ret = unmap_locked(fs, c);
		if (ret < 0)
			return ret;
		found = true;
		atomic_fetch_add(&fs->stats.removemapping, 1);
	}
	return found ? 0 : -ENOENT;
}

int vfsd_op_removemapping(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_removemapping_in in;
	struct fuse_removemapping_one one;
	struct vfsd *fs = r->fs;
	size_t off = sizeof(in);
	int ret = 0;

	(void)ino;
	memcpy(&in, r->arg, sizeof(in));
	if (!fs->window_size || !fs->dax_ops)
		return -ENOSYS;
	if (in.count == 0 || in.count > 256 || (r->arg_len - off) / sizeof(one) < in.count)
		return -EINVAL;
	pthread_mutex_lock(&fs->dax.lock);
	for (uint32_t i = 0; i < in.count && ret == 0; i++, off += sizeof(one)) {
		memcpy(&one, r->arg + off, sizeof(one));
		ret = remove_one_locked(fs, &one);
	}
	pthread_mutex_unlock(&fs->dax.lock);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

unsigned long vfsd_dax_drop_all(struct vfsd *fs)
{
	struct vfsd_dax *d = &fs->dax;
	unsigned long left = 0;

	if (!fs->window_size || !fs->dax_ops)
		return 0;
	pthread_mutex_lock(&d->lock);
	for (uint64_t c = 0; c < d->nr_chunks; c++) {
		if (d->start_of[c] != c)
			continue;
		if (unmap_locked(fs, c) < 0)
			left++;     /* refused: the front-end has no such mapping either */
	}
	pthread_mutex_unlock(&d->lock);
	return left;
}

/* Forgets the window's mappings without unmapping (the front-end already dropped them). */
void vfsd_dax_forget_all(struct vfsd *fs)
{
	struct vfsd_dax *d = &fs->dax;

	pthread_mutex_lock(&d->lock);
	for (uint64_t c = 0; c < d->nr_chunks; c++) {
		if (d->start_of[c] == c)
			atomic_fetch_sub(&fs->stats.live_mappings, 1);
		d->start_of[c] = NONE;
		d->len_at[c] = 0;
	}
	vfsd_dax_fds_drop_all(d);
	pthread_mutex_unlock(&d->lock);
}
