// SPDX-License-Identifier: MIT
/*
 * Name-space opcodes: LOOKUP, FORGET, BATCH_FORGET, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD,
 * MKDIR, UNLINK, RMDIR, RENAME, RENAME2, LINK, ACCESS, STATFS. Every name is one component
 * resolved against the parent's O_PATH fd; nothing is ever followed on the host side.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"

static int reply_entry(struct vfsd_req *r, struct vfsd_inode *parent, const char *name)
{
	struct fuse_entry_out e;
	int ret = vfsd_do_lookup(r->fs, parent, name, &e);

	if (ret < 0)
		return ret;
	ret = vfsd_reply(r, &e, sizeof(e));
	if (ret < 0)
		vfsd_inode_forget(r->fs, e.nodeid, 1);
	return ret;
}

/* New object: owned by the guest caller when we can (running as root), then its entry. */
static int reply_new_entry(struct vfsd_req *r, struct vfsd_inode *parent, const char *name)
{
	if (geteuid() == 0)
		fchownat(parent->fd, name, r->hdr->uid, r->hdr->gid, AT_SYMLINK_NOFOLLOW);
	return reply_entry(r, parent, name);
}

int vfsd_op_lookup(struct vfsd_req *r, struct vfsd_inode *dir)
{
	size_t off = 0;
	const char *name;
	int ret = vfsd_arg_name(r, &off, &name, true);

	if (ret < 0)
		return ret;
	return reply_entry(r, dir, name);
}

int vfsd_op_forget(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_forget_in in;

	(void)ino;
	memcpy(&in, r->arg, sizeof(in));
	vfsd_inode_forget(r->fs, r->hdr->nodeid, in.nlookup);
	return 0;
}

int vfsd_op_batch_forget(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_batch_forget_in in;
	struct fuse_forget_one one;
	size_t off = sizeof(in);

	(void)ino;
	memcpy(&in, r->arg, sizeof(in));
	if ((r->arg_len - off) / sizeof(one) < in.count)
		return -EINVAL;
	for (uint32_t i = 0; i < in.count; i++, off += sizeof(one)) {
		memcpy(&one, r->arg + off, sizeof(one));
		vfsd_inode_forget(r->fs, one.nodeid, one.nlookup);
	}
	return 0;
}

static int reply_attr(struct vfsd_req *r, const struct stat *st)
{
	struct fuse_attr_out out = { 0 };

	out.attr_valid = (uint64_t)r->fs->timeout_s;
	out.attr_valid_nsec = (uint32_t)((r->fs->timeout_s - (double)out.attr_valid) * 1e9);
	vfsd_fill_attr(&out.attr, st);
	return vfsd_reply(r, &out, sizeof(out));
}

int vfsd_op_getattr(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct stat st;
	int ret = vfsd_stat_inode(ino, &st);

	return ret < 0 ? ret : reply_attr(r, &st);
}

static int set_size(struct vfsd *fs, struct vfsd_inode *ino, const struct fuse_setattr_in *in)
{
	struct vfsd_handle *h = NULL;
	int fd, ret = 0;

	if (in->valid & FATTR_FH) {
		h = vfsd_handle_get(fs, in->fh, ino, false);
		if (!h)
			return -EBADF;
		fd = h->fd;
	} else {
		if (!S_ISREG(ino->type))
			return S_ISDIR(ino->type) ? -EISDIR : -EINVAL;
		fd = vfsd_inode_open(fs, ino, O_WRONLY);
		if (fd < 0)
			return fd;
	}
	if (ftruncate(fd, (off_t)in->size) < 0)
		ret = -errno;
	if (h)
		vfsd_handle_put(fs, h);
	else
		close(fd);
	return ret;
}

static int set_times(struct vfsd *fs, struct vfsd_inode *ino, const struct fuse_setattr_in *in)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	char name[16];

	if (in->valid & FATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_ATIME)
		ts[0] = (struct timespec){ (time_t)in->atime, in->atimensec };
	if (in->valid & FATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_MTIME)
		ts[1] = (struct timespec){ (time_t)in->mtime, in->mtimensec };
	for (int i = 0; i < 2; i++)
		if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
		    ts[i].tv_nsec >= 1000000000)
			return -EINVAL;
	if (S_ISLNK(ino->type))
		return -EOPNOTSUPP;
	vfsd_fd_name(ino->fd, name);
	return utimensat(fs->proc_fd, name, ts, 0) < 0 ? -errno : 0;
}

int vfsd_op_setattr(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_setattr_in in;
	struct vfsd *fs = r->fs;
	char name[16];
	struct stat st;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	vfsd_fd_name(ino->fd, name);
	if (in.valid & FATTR_MODE) {
		ret = vfsd_policy(VFSD_CHMOD, ino->type, in.mode, 0);
		if (ret < 0)
			return ret;
		if (fchmodat(fs->proc_fd, name, in.mode & 07777, 0) < 0)
			return -errno;
	}
	if (in.valid & (FATTR_UID | FATTR_GID)) {
		uid_t uid = (in.valid & FATTR_UID) ? in.uid : (uid_t)-1;
		gid_t gid = (in.valid & FATTR_GID) ? in.gid : (gid_t)-1;

		if (fchownat(ino->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (in.valid & FATTR_SIZE) {
		ret = set_size(fs, ino, &in);
		if (ret < 0)
			return ret;
	}
	if (in.valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)) {
		ret = set_times(fs, ino, &in);
		if (ret < 0)
			return ret;
	}
	ret = vfsd_stat_inode(ino, &st);
	return ret < 0 ? ret : reply_attr(r, &st);
}

int vfsd_op_readlink(struct vfsd_req *r, struct vfsd_inode *ino)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (!S_ISLNK(ino->type))
		return -EINVAL;
	n = readlinkat(ino->fd, "", buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return vfsd_reply(r, buf, (size_t)n);
}

int vfsd_op_symlink(struct vfsd_req *r, struct vfsd_inode *dir)
{
	const char *name, *target;
	size_t off = 0, tlen;
	int ret = vfsd_arg_name(r, &off, &name, false);

	if (ret < 0)
		return ret;
	/* The target is an arbitrary string: stored, never followed by the host. */
	target = (const char *)r->arg + off;
	if (off >= r->arg_len)
		return -EINVAL;
	tlen = strnlen(target, r->arg_len - off);
	if (tlen == r->arg_len - off || tlen == 0 || tlen >= PATH_MAX)
		return -EINVAL;
	ret = vfsd_policy(VFSD_CREATE, S_IFLNK, 0777, 0);
	if (ret < 0)
		return ret;
	if (symlinkat(target, dir->fd, name) < 0)
		return -errno;
	return reply_new_entry(r, dir, name);
}

int vfsd_op_mknod(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct fuse_mknod_in in;
	size_t off = sizeof(in);
	const char *name;
	mode_t type;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_arg_name(r, &off, &name, false);
	if (ret < 0)
		return ret;
	type = in.mode & S_IFMT;
	/* Directories and symlinks have their own opcodes; the policy refuses device nodes. */
	if (S_ISDIR(type) || S_ISLNK(type))
		return -EPERM;
	ret = vfsd_policy(VFSD_CREATE, type, in.mode, 0);
	if (ret < 0)
		return ret;
	if (mknodat(dir->fd, name, in.mode & (S_IFMT | 07777), 0) < 0)
		return -errno;
	return reply_new_entry(r, dir, name);
}

int vfsd_op_mkdir(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct fuse_mkdir_in in;
	size_t off = sizeof(in);
	const char *name;
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_arg_name(r, &off, &name, false);
	if (ret == 0)
		ret = vfsd_policy(VFSD_CREATE, S_IFDIR, in.mode, 0);
	if (ret < 0)
		return ret;
	if (mkdirat(dir->fd, name, in.mode & 07777) < 0)
		return -errno;
	return reply_new_entry(r, dir, name);
}

static int do_unlink(struct vfsd_req *r, struct vfsd_inode *dir, int flags)
{
	size_t off = 0;
	const char *name;
	int ret = vfsd_arg_name(r, &off, &name, false);

	if (ret < 0)
		return ret;
	if (unlinkat(dir->fd, name, flags) < 0)
		return -errno;
	return vfsd_reply(r, NULL, 0);
}

int vfsd_op_unlink(struct vfsd_req *r, struct vfsd_inode *dir)
{
	return do_unlink(r, dir, 0);
}

int vfsd_op_rmdir(struct vfsd_req *r, struct vfsd_inode *dir)
{
	return do_unlink(r, dir, AT_REMOVEDIR);
}

static int do_rename(struct vfsd_req *r, struct vfsd_inode *dir, uint64_t newdir, size_t off,
		     unsigned int flags)
{
	const char *oldname, *newname;
	struct vfsd_inode *nd;
	int ret;

	/* RENAME_WHITEOUT would leave a 0:0 character device in the share: refused. */
	ret = vfsd_policy(VFSD_RENAME, 0, 0, flags);
	if (ret < 0)
		return ret;
	ret = vfsd_arg_name(r, &off, &oldname, false);
	if (ret == 0)
		ret = vfsd_arg_name(r, &off, &newname, false);
	if (ret < 0)
		return ret;
	nd = vfsd_inode_get(r->fs, newdir);
	if (!nd)
		return -ENOENT;
	if (!S_ISDIR(nd->type) || !S_ISDIR(dir->type))
		ret = -ENOTDIR;
	else if (renameat2(dir->fd, oldname, nd->fd, newname, flags) < 0)
		ret = -errno;
	vfsd_inode_put(r->fs, nd);
	return ret < 0 ? ret : vfsd_reply(r, NULL, 0);
}

int vfsd_op_rename(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct fuse_rename_in in;

	memcpy(&in, r->arg, sizeof(in));
	return do_rename(r, dir, in.newdir, sizeof(in), 0);
}

int vfsd_op_rename2(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct fuse_rename2_in in;

	memcpy(&in, r->arg, sizeof(in));
	return do_rename(r, dir, in.newdir, sizeof(in), in.flags);
}

int vfsd_op_link(struct vfsd_req *r, struct vfsd_inode *dir)
{
	struct fuse_link_in in;
	struct vfsd_inode *src;
	size_t off = sizeof(in);
	const char *name;
	char pname[16];
	int ret;

	memcpy(&in, r->arg, sizeof(in));
	ret = vfsd_arg_name(r, &off, &name, false);
	if (ret < 0)
		return ret;
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	/* The source can only be an inode the guest reached inside the tree. */
	src = vfsd_inode_get(r->fs, in.oldnodeid);
	if (!src)
		return -ENOENT;
	ret = vfsd_policy(VFSD_LINK, src->type, 0, 0);
	if (ret == 0 && S_ISLNK(src->type)) {
		/* The link itself, never its target (needs CAP_DAC_READ_SEARCH). */
		if (linkat(src->fd, "", dir->fd, name, AT_EMPTY_PATH) < 0)
			ret = -errno;
	} else if (ret == 0) {
		vfsd_fd_name(src->fd, pname);
		if (linkat(r->fs->proc_fd, pname, dir->fd, name, AT_SYMLINK_FOLLOW) < 0)
			ret = -errno;
	}
	vfsd_inode_put(r->fs, src);
	return ret < 0 ? ret : reply_entry(r, dir, name);
}

int vfsd_op_access(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_access_in in;
	char name[16];

	memcpy(&in, r->arg, sizeof(in));
	if (in.mask & ~(unsigned int)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if ((in.mask & W_OK) && r->fs->readonly)
		return -EROFS;
	if (S_ISLNK(ino->type))
		return vfsd_reply(r, NULL, 0);
	vfsd_fd_name(ino->fd, name);
	if (faccessat(r->fs->proc_fd, name, (int)in.mask, 0) < 0)
		return -errno;
	return vfsd_reply(r, NULL, 0);
}

int vfsd_op_statfs(struct vfsd_req *r, struct vfsd_inode *ino)
{
	struct fuse_statfs_out out = { 0 };
	struct statvfs sv;

	if (fstatvfs(ino->fd, &sv) < 0)
		return -errno;
	out.st.blocks = sv.f_blocks;
	out.st.bfree = sv.f_bfree;
	out.st.bavail = sv.f_bavail;
	out.st.files = sv.f_files;
	out.st.ffree = sv.f_ffree;
	out.st.bsize = (uint32_t)sv.f_bsize;
	out.st.namelen = (uint32_t)sv.f_namemax;
	out.st.frsize = (uint32_t)sv.f_frsize;
	return vfsd_reply(r, &out, sizeof(out));
}
