// SPDX-License-Identifier: MIT
/*
 * Directory opcodes: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR. Offsets are the host's
 * getdents64 d_off cookies (valid lseek positions of the directory fd).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"

#define DENTS_BUF 32768

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int vfsd_op_opendir(struct vfsd_req *r, struct vfsd_inode *ino)
{
	int fd;

	if (!S_ISDIR(ino->type))
		return -ENOTDIR;
	fd = vfsd_inode_open(r->fs, ino, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	return vfsd_reply_open(r, ino, fd, true);
}

int vfsd_op_releasedir(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_release_in in;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_handle_release(r->fs, in.fh, ino, true);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

struct dir_fill {
	struct vfsd_req *r;
	struct vfsd_inode *dir;
	uint8_t *buf;        /* reply body */
	size_t cap, used;
	bool plus;
};

/* Appends one entry; 1 = added, 0 = full. */
static int add_entry(struct dir_fill *f, const struct linux_dirent64 *d)
{
	size_t namelen = strlen(d->d_name);
	size_t base = f->plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	size_t sz;
	struct fuse_dirent *de;
	struct fuse_entry_out e;

	sz = base + FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
	if (f->used + sz > f->cap)
		return 0;
	memset(f->buf + f->used, 0, sz);
	memset(&e, 0, sizeof(e));
	if (f->plus && strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
		/* A vanished entry keeps nodeid 0: the kernel then skips it. */
		if (vfsd_do_lookup(f->r->fs, f->dir, d->d_name, &e) < 0)
			memset(&e, 0, sizeof(e));
		memcpy(f->buf + f->used, &e, sizeof(e));
	}
	de = (struct fuse_dirent *)(f->buf + f->used + base);
	de->ino = e.nodeid ? e.attr.ino : d->d_ino;
	de->off = (uint64_t)d->d_off;
	de->namelen = (uint32_t)namelen;
	de->type = d->d_type;
	memcpy(de->name, d->d_name, namelen);
	f->used += sz;
	return 1;
}

static int fill_dir(struct dir_fill *f, int fd, uint64_t offset)
{
	char *dents = malloc(DENTS_BUF);
	int ret = 0;

	if (!dents)
		return -ENOMEM;
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		free(dents);
		return -errno;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, fd, dents, DENTS_BUF);
		long pos = 0;

		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		while (pos < n) {
			const struct linux_dirent64 *d = (const void *)(dents + pos);

			if (d->d_reclen == 0 || pos + d->d_reclen > n)
				goto out;
			if (!add_entry(f, d))
				goto out;
			pos += d->d_reclen;
		}
	}
out:
	free(dents);
	/* An error after some entries still returns those entries. */
	return f->used ? 0 : ret;
}

static int do_readdir(struct vfsd_req *r, struct vfsd_inode *ino, bool plus)
{
	size_t hdr = sizeof(struct fuse_out_header);
	struct fuse_read_in in;
	struct vfsd_handle *h;
	struct dir_fill f = { .r = r, .dir = ino, .plus = plus };
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	if (r->out_cap < hdr)
		return -EOVERFLOW;
	f.cap = in.size < r->out_cap - hdr ? in.size : r->out_cap - hdr;
	if (f.cap > VFSD_MAX_WRITE)
		f.cap = VFSD_MAX_WRITE;
	h = vfsd_handle_get(r->fs, in.fh, ino, true);
	if (!h)
		return -EBADF;
	f.buf = malloc(f.cap ? f.cap : 1);
	if (!f.buf) {
		vfsd_handle_put(r->fs, h);
		return -ENOMEM;
	}
	pthread_mutex_lock(&h->lock);
	ret = fill_dir(&f, h->fd, in.offset);
	pthread_mutex_unlock(&h->lock);
	vfsd_handle_put(r->fs, h);
	if (ret == 0)
		ret = vfsd_reply(r, f.buf, f.used);
	free(f.buf);
	return ret;
}

int vfsd_op_readdir(struct vfsd_req *r, struct vfsd_inode *ino)
{
	return do_readdir(r, ino, false);
}

int vfsd_op_readdirplus(struct vfsd_req *r, struct vfsd_inode *ino)
{
	return do_readdir(r, ino, true);
}
