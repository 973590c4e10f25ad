// SPDX-License-Identifier: MIT
/*
 * FUSE request dispatch: header checks, the opcode table (handler, minimum argument size,
 * write-type flag), node id validation, reply writing into the device-writable buffers.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "virtio/virtqueue.h"
#include "virtiofsd/vfsd_priv.h"
#include "util/log.h"

enum {
	OP_WRITE = 1 << 0,    /* modifies the tree: EROFS with --readonly */
	OP_NOREPLY = 1 << 1,  /* the kernel expects no reply */
	OP_NOINODE = 1 << 2,  /* header nodeid is not used */
	OP_PREINIT = 1 << 3,  /* allowed before INIT */
};

struct op_info {
	const char *name;
	vfsd_handler fn;
	uint32_t min_arg;
	unsigned int flags;
};

#define OP(code, n, f, sz, fl) [code] = { n, f, sz, fl }

static const struct op_info op_table[] = {
	OP(FUSE_LOOKUP, "LOOKUP", vfsd_op_lookup, 2, 0),
	OP(FUSE_FORGET, "FORGET", vfsd_op_forget, sizeof(struct fuse_forget_in),
	   OP_NOREPLY | OP_NOINODE),
	OP(FUSE_GETATTR, "GETATTR", vfsd_op_getattr, sizeof(struct fuse_getattr_in), 0),
	OP(FUSE_SETATTR, "SETATTR", vfsd_op_setattr, sizeof(struct fuse_setattr_in), OP_WRITE),
	OP(FUSE_READLINK, "READLINK", vfsd_op_readlink, 0, 0),
	OP(FUSE_SYMLINK, "SYMLINK", vfsd_op_symlink, 4, OP_WRITE),
	OP(FUSE_MKNOD, "MKNOD", vfsd_op_mknod, sizeof(struct fuse_mknod_in) + 2, OP_WRITE),
	OP(FUSE_MKDIR, "MKDIR", vfsd_op_mkdir, sizeof(struct fuse_mkdir_in) + 2, OP_WRITE),
	OP(FUSE_UNLINK, "UNLINK", vfsd_op_unlink, 2, OP_WRITE),
	OP(FUSE_RMDIR, "RMDIR", vfsd_op_rmdir, 2, OP_WRITE),
	OP(FUSE_RENAME, "RENAME", vfsd_op_rename, sizeof(struct fuse_rename_in) + 4, OP_WRITE),
	OP(FUSE_LINK, "LINK", vfsd_op_link, sizeof(struct fuse_link_in) + 2, OP_WRITE),
	OP(FUSE_OPEN, "OPEN", vfsd_op_open, sizeof(struct fuse_open_in), 0),
	OP(FUSE_READ, "READ", vfsd_op_read, sizeof(struct fuse_read_in), 0),
	OP(FUSE_WRITE, "WRITE", vfsd_op_write, sizeof(struct fuse_write_in), OP_WRITE),
	OP(FUSE_STATFS, "STATFS", vfsd_op_statfs, 0, 0),
	OP(FUSE_RELEASE, "RELEASE", vfsd_op_release, sizeof(struct fuse_release_in), 0),
	OP(FUSE_FSYNC, "FSYNC", vfsd_op_fsync, sizeof(struct fuse_fsync_in), 0),
	OP(FUSE_FLUSH, "FLUSH", vfsd_op_flush, sizeof(struct fuse_flush_in), 0),
	OP(FUSE_INIT, "INIT", vfsd_op_init, 16, OP_NOINODE | OP_PREINIT),
	OP(FUSE_OPENDIR, "OPENDIR", vfsd_op_opendir, sizeof(struct fuse_open_in), 0),
	OP(FUSE_READDIR, "READDIR", vfsd_op_readdir, sizeof(struct fuse_read_in), 0),
	OP(FUSE_RELEASEDIR, "RELEASEDIR", vfsd_op_releasedir, sizeof(struct fuse_release_in), 0),
	OP(FUSE_FSYNCDIR, "FSYNCDIR", vfsd_op_fsyncdir, sizeof(struct fuse_fsync_in), 0),
	OP(FUSE_ACCESS, "ACCESS", vfsd_op_access, sizeof(struct fuse_access_in), 0),
	OP(FUSE_CREATE, "CREATE", vfsd_op_create, sizeof(struct fuse_create_in) + 2, OP_WRITE),
	OP(FUSE_INTERRUPT, "INTERRUPT", NULL, 0, OP_NOREPLY | OP_NOINODE),
	OP(FUSE_DESTROY, "DESTROY", vfsd_op_destroy, 0, OP_NOINODE),
	OP(FUSE_BATCH_FORGET, "BATCH_FORGET", vfsd_op_batch_forget,
	   sizeof(struct fuse_batch_forget_in), OP_NOREPLY | OP_NOINODE),
	OP(FUSE_FALLOCATE, "FALLOCATE", vfsd_op_fallocate, sizeof(struct fuse_fallocate_in),
	   OP_WRITE),
	OP(FUSE_READDIRPLUS, "READDIRPLUS", vfsd_op_readdirplus, sizeof(struct fuse_read_in), 0),
	OP(FUSE_RENAME2, "RENAME2", vfsd_op_rename2, sizeof(struct fuse_rename2_in) + 4,
	   OP_WRITE),
	OP(FUSE_LSEEK, "LSEEK", vfsd_op_lseek, sizeof(struct fuse_lseek_in), 0),
	OP(FUSE_SETUPMAPPING, "SETUPMAPPING", vfsd_op_setupmapping,
	   sizeof(struct fuse_setupmapping_in), 0),
	OP(FUSE_REMOVEMAPPING, "REMOVEMAPPING", vfsd_op_removemapping,
	   sizeof(struct fuse_removemapping_in), OP_NOINODE),
};

#define NR_OPS (sizeof(op_table) / sizeof(op_table[0]))

static size_t write_out(struct vfsd_req *r, size_t off, const void *buf, size_t len)
{
	return iov_from_buf(r->out, r->out_n, off, buf, len);
}

static int send_reply(struct vfsd_req *r, int error, size_t body_len)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(sizeof(oh) + body_len),
		.error = error,
		.unique = r->hdr->unique,
	};

	if (sizeof(oh) + body_len > r->out_cap)
		return -EOVERFLOW;
	write_out(r, 0, &oh, sizeof(oh));
	r->reply_len = sizeof(oh) + body_len;
	r->replied = true;
	return 0;
}

int vfsd_reply(struct vfsd_req *r, const void *body, size_t len)
{
	if (sizeof(struct fuse_out_header) + len > r->out_cap)
		return -EOVERFLOW;
	if (len)
		write_out(r, sizeof(struct fuse_out_header), body, len);
	return send_reply(r, 0, len);
}

int vfsd_reply_written(struct vfsd_req *r, size_t len)
{
	return send_reply(r, 0, len);
}

int vfsd_arg_name(struct vfsd_req *r, size_t *off, const char **name, bool allow_dots)
{
	const char *s = (const char *)r->arg + *off;
	size_t max = r->arg_len - *off, len;

	if (*off >= r->arg_len)
		return -EINVAL;
	len = strnlen(s, max);
	if (len == max)
		return -EINVAL;        /* not NUL-terminated inside the request */
	if (len == 0 || len > NAME_MAX || memchr(s, '/', len))
		return -EINVAL;
	if (!allow_dots && (strcmp(s, ".") == 0 || strcmp(s, "..") == 0))
		return -EINVAL;
	*name = s;
	*off += len + 1;
	return 0;
}

static size_t error_reply(struct vfsd_req *r, int err)
{
	atomic_fetch_add(&r->fs->stats.errors, 1);
	if (err >= 0 || err < -4095)
		err = -EIO;
	return send_reply(r, err, 0) < 0 ? 0 : r->reply_len;
}

static const struct op_info *find_op(uint32_t opcode)
{
	if (opcode >= NR_OPS || !op_table[opcode].name)
		return NULL;
	return &op_table[opcode];
}

static int run_op(struct vfsd_req *r, const struct op_info *op)
{
	struct vfsd *fs = r->fs;
	struct vfsd_inode *ino = NULL;
	int ret;

	if (!fs->initialized && !(op->flags & OP_PREINIT))
		return -EIO;
	if (r->arg_len < op->min_arg)
		return -EINVAL;
	if (fs->readonly && (op->flags & OP_WRITE))
		return -EROFS;
	if (!op->fn)
		return -ENOSYS;
	if (!(op->flags & OP_NOINODE)) {
		ino = vfsd_inode_get(fs, r->hdr->nodeid);
		if (!ino)
			return -ENOENT;
	}
	ret = op->fn(r, ino);
	vfsd_inode_put(fs, ino);
	return ret;
}

size_t vfsd_dispatch(struct vfsd *fs, const void *in, size_t in_len, const struct iovec *out,
		     unsigned int out_n)
{
	struct fuse_in_header hdr = { 0 };
	struct vfsd_req r = { .fs = fs, .hdr = &hdr, .out = out, .out_n = out_n };
	const struct op_info *op;
	int ret;

	for (unsigned int i = 0; i < out_n; i++)
		r.out_cap += out[i].iov_len;
	atomic_fetch_add(&fs->stats.requests, 1);
	if (in_len < sizeof(hdr)) {
		pr_debug_rl("virtiofsd: short FUSE request (%zu bytes)", in_len);
		return error_reply(&r, -EINVAL);
	}
	memcpy(&hdr, in, sizeof(hdr));
	op = find_op(hdr.opcode);
	if (op && (op->flags & OP_NOREPLY)) {
		/* No reply possible: still validate before acting. */
		if (hdr.len == in_len && in_len - sizeof(hdr) >= op->min_arg && op->fn &&
		    fs->initialized) {
			r.arg = (const uint8_t *)in + sizeof(hdr);
			r.arg_len = in_len - sizeof(hdr);
			op->fn(&r, NULL);
		}
		return 0;
	}
	if (hdr.len != in_len) {
		pr_debug_rl("virtiofsd: FUSE header len %u != request %zu", hdr.len, in_len);
		return error_reply(&r, -EINVAL);
	}
	if (!op) {
		pr_debug_rl("virtiofsd: unsupported opcode %u", hdr.opcode);
		return error_reply(&r, -ENOSYS);
	}
	r.arg = (const uint8_t *)in + sizeof(hdr);
	r.arg_len = in_len - sizeof(hdr);
	ret = run_op(&r, op);
	if (ret < 0 || !r.replied)
		return error_reply(&r, ret < 0 ? ret : -EIO);
	return r.reply_len;
}
