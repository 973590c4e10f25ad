// SPDX-License-Identifier: MIT
/* File opcodes: OPEN, CREATE, READ, WRITE, RELEASE, FLUSH, FSYNC, FALLOCATE, LSEEK. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio/virtqueue.h"
#include "virtiofsd/vfsd_priv.h"

#define OPEN_FLAGS (O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | O_SYNC | O_DSYNC | O_NOATIME)

static int check_open_flags(struct vfsd *fs, uint32_t flags)
{
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (fs->readonly && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	return 0;
}

int vfsd_reply_open(struct vfsd_req *r, struct vfsd_inode *ino, int fd, bool dir)
{
	struct fuse_open_out out = { 0 };
	int ret = vfsd_handle_new(r->fs, fd, ino, dir, &out.fh);

	if (ret < 0)
		return ret;
	ret = vfsd_reply(r, &out, sizeof(out));
	if (ret < 0)
		vfsd_handle_release(r->fs, out.fh, ino, dir);
	return ret;
}

int vfsd_op_open(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_open_in in;
	int fd, ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = check_open_flags(r->fs, in.flags);
	if (ret < 0)
		return ret;
	ret = vfsd_policy(VFSD_OPEN, ino->type, 0, 0);
	if (ret < 0)
		return ret;
	fd = vfsd_inode_open(r->fs, ino, (int)(in.flags & OPEN_FLAGS));
	if (fd < 0 && fd == -EPERM && (in.flags & O_NOATIME))
		fd = vfsd_inode_open(r->fs, ino, (int)(in.flags & OPEN_FLAGS & ~O_NOATIME));
	if (fd < 0)
		return fd;
	return vfsd_reply_open(r, ino, fd, false);
}

/*
 * CREATE's open: a new name is created (O_EXCL, so never anything but a fresh regular file);
 * an existing name is opened only if the policy lets OPEN open it, through its O_PATH fd
 * (same inode, no race): a FIFO or device someone put there is refused, never opened, and a
 * symlink is refused (ELOOP), never followed.
 */
static int create_open(struct vfsd *fs, struct vfsd_inode *dir, const char *name,
		       uint32_t flags, uint32_t mode, bool *created)
{
	int oflags = (int)(flags & OPEN_FLAGS) | O_CLOEXEC;
	char pname[16];
	struct stat st;
	int fd, pfd, ret;

	fd = openat(dir->fd, name, oflags | O_CREAT | O_EXCL | O_NOFOLLOW, mode & 07777);
	*created = fd >= 0;
	if (fd >= 0 || errno != EEXIST || (flags & O_EXCL))
		return fd < 0 ? -errno : fd;
	pfd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	ret = fstat(pfd, &st) < 0 ? -errno : vfsd_policy(VFSD_OPEN, st.st_mode, 0, 0);
	if (ret == 0) {
		vfsd_fd_name(pfd, pname);
		fd = openat(fs->proc_fd, pname, oflags);
		ret = fd < 0 ? -errno : fd;
	}
	close(pfd);
	return ret;
}

int vfsd_op_create(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	struct fuse_create_in in;
	struct vfsd_inode *ino;
	size_t off = sizeof(in);
	const char *name;
	bool created;
	int fd, ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_arg_name(r, &off, &name, false);
	if (ret == 0)
		ret = check_open_flags(r->fs, in.flags);
	if (ret == 0)
		ret = vfsd_policy(VFSD_CREATE, S_IFREG, in.mode, 0);
	if (ret < 0)
		return ret;
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	fd = create_open(r->fs, dir, name, in.flags, in.mode, &created);
	if (fd < 0)
		return fd;
	/* a file that existed keeps its owner */
	if (created && geteuid() == 0 && fchown(fd, r->hdr->uid, r->hdr->gid) < 0)
		(void)0;
	memset(&out, 0, sizeof(out));
	ret = vfsd_lookup_fd(r->fs, fd, &out.e);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	ino = vfsd_inode_get(r->fs, out.e.nodeid);
	if (!ino) {
		close(fd);
		return -ENOENT;
	}
	ret = vfsd_handle_new(r->fs, fd, ino, false, &out.o.fh);
	vfsd_inode_put(r->fs, ino);
	if (ret == 0) {
		ret = vfsd_reply(r, &out, sizeof(out));
		if (ret < 0)
			vfsd_handle_release(r->fs, out.o.fh, ino, false);
	}
	if (ret < 0)
		vfsd_inode_forget(r->fs, out.e.nodeid, 1);
	return ret;
}

int vfsd_op_read(struct vfsd_req *r, struct vfsd_inode *ino)
{
	size_t hdr = sizeof(struct fuse_out_header);
	struct iovec iov[VFSD_MAX_PAGES + 8];
	struct fuse_read_in in;
	struct vfsd_handle *h;
	ssize_t n;
	int cnt;

	memcpy(&in, r->arg, sizeof(in));
	if (in.size > VFSD_MAX_WRITE || in.offset > INT64_MAX)
		return -EINVAL;
	if (r->out_cap < hdr)
		return -EOVERFLOW;
	if (hdr + in.size > r->out_cap)
		in.size = (uint32_t)(r->out_cap - hdr);
	h = vfsd_handle_get(r->fs, in.fh, ino, false);
	if (!h)
		return -EBADF;
	cnt = iov_slice(r->out, r->out_n, hdr, in.size, iov, VFSD_MAX_PAGES + 8);
	if (cnt < 0) {
		vfsd_handle_put(r->fs, h);
		return -EINVAL;
	}
	n = in.size ? preadv(h->fd, iov, cnt, (off_t)in.offset) : 0;
	vfsd_handle_put(r->fs, h);
	if (n < 0)
		return -errno;
	return vfsd_reply_written(r, (size_t)n);
}

int vfsd_op_write(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_write_out out = { 0 };
	struct fuse_write_in in;
	struct vfsd_handle *h;
	ssize_t n;

	memcpy(&in, r->arg, sizeof(in));
	if (in.size > VFSD_MAX_WRITE || in.size > r->arg_len - sizeof(in) ||
	    in.offset > INT64_MAX)
		return -EINVAL;
	h = vfsd_handle_get(r->fs, in.fh, ino, false);
	if (!h)
		return -EBADF;
	n = pwrite(h->fd, r->arg + sizeof(in), in.size, (off_t)in.offset);
	vfsd_handle_put(r->fs, h);
	if (n < 0)
		return -errno;
	out.size = (uint32_t)n;
	return vfsd_reply(r, &out, sizeof(out));
}

int vfsd_op_release(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_release_in in;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_handle_release(r->fs, in.fh, ino, false);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

int vfsd_op_flush(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_flush_in in;
	struct vfsd_handle *h;

	memcpy(&in, r->arg, sizeof(in));
	h = vfsd_handle_get(r->fs, in.fh, ino, false);
	if (!h)
		return -EBADF;
	vfsd_handle_put(r->fs, h);
	return vfsd_reply(r, NULL, 0);
}

static int do_fsync(struct vfsd_req *r, struct vfsd_inode *ino, bool dir)
{
	struct fuse_fsync_in in;
	struct vfsd_handle *h;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	h = vfsd_handle_get(r->fs, in.fh, ino, dir);
	if (!h)
		return -EBADF;
	ret = (in.fsync_flags & 1) ? fdatasync(h->fd) : fsync(h->fd);
	ret = ret < 0 ? -errno : 0;
	vfsd_handle_put(r->fs, h);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

int vfsd_op_fsync(struct vfsd_req *r, struct vfsd_inode *ino)
{
	return do_fsync(r, ino, false);
}

int vfsd_op_fsyncdir(struct vfsd_req *r, struct vfsd_inode *ino)
{
	return do_fsync(r, ino, true);
}

int vfsd_op_fallocate(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_fallocate_in in;
	struct vfsd_handle *h;
	int ret = 0;

	memcpy(&in, r->arg, sizeof(in));
	if (in.offset > INT64_MAX || in.length > INT64_MAX || in.length == 0)
		return -EINVAL;
	h = vfsd_handle_get(r->fs, in.fh, ino, false);
	if (!h)
		return -EBADF;
	if (fallocate(h->fd, (int)in.mode, (off_t)in.offset, (off_t)in.length) < 0)
		ret = -errno;
	vfsd_handle_put(r->fs, h);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

int vfsd_op_lseek(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_lseek_out out = { 0 };
	struct fuse_lseek_in in;
	struct vfsd_handle *h;
	off_t pos;

	memcpy(&in, r->arg, sizeof(in));
	if (in.whence != SEEK_DATA && in.whence != SEEK_HOLE && in.whence != SEEK_SET &&
	    in.whence != SEEK_CUR && in.whence != SEEK_END)
		return -EINVAL;
	if (in.offset > INT64_MAX)
		return -EINVAL;
	h = vfsd_handle_get(r->fs, in.fh, ino, false);
	if (!h)
		return -EBADF;
	pos = lseek(h->fd, (off_t)in.offset, (int)in.whence);
	vfsd_handle_put(r->fs, h);
	if (pos < 0)
		return -errno;
	out.offset = (uint64_t)pos;
	return vfsd_reply(r, &out, sizeof(out));
}
