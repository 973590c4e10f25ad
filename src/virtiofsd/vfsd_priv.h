/* SPDX-License-Identifier: MIT */
/* microvm-virtiofsd internals: inode and handle tables, request context, opcode handlers. */
#ifndef MICROVM_VIRTIOFSD_VFSD_PRIV_H
#define MICROVM_VIRTIOFSD_VFSD_PRIV_H

#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "virtiofsd/vfsd.h"

#define VFSD_HASH_BUCKETS 4096u
#define VFSD_MAX_WRITE (1u << 20)        /* max_write answered to INIT */
#define VFSD_MAX_PAGES 256u
#define VFSD_REQ_SLACK 4096u             /* header + write_in + names */
#define VFSD_DAX_CHUNK (2ull << 20)
#define VFSD_DAX_SHIFT 21

struct vfsd_inode {
	uint64_t nodeid;
	dev_t dev;
	ino_t ino;
	mode_t type;                 /* S_IFMT bits */
	int fd;                      /* O_PATH|O_NOFOLLOW */
	uint64_t nlookup;            /* kernel references (LOOKUP/CREATE... minus FORGET) */
	unsigned int refs;           /* in-flight requests using it */
	struct vfsd_inode *next_key, *next_id;
};

struct vfsd_handle {
	int fd;                      /* -1: slot free */
	uint32_t gen;
	bool dir;
	bool closing;
	unsigned int refs;
	struct vfsd_inode *inode;    /* holds one ref */
	pthread_mutex_t lock;        /* directory position (READDIR) */
};

/* An fd SETUPMAPPING opened for an inode, kept for its next chunks (dax_fds.c). */
#define VFSD_DAX_FDS 16
struct vfsd_dax_fd {
	uint64_t nodeid;
	uint64_t used;               /* fd_clock at the last use: least recent is evicted */
	int fd;                      /* -1: free */
	bool rw;                     /* opened O_RDWR (else O_RDONLY) */
};

struct vfsd_dax {
	uint64_t nr_chunks;
	/* start_of[c]: chunk index of the mapping covering chunk c, or UINT64_MAX. */
	uint64_t *start_of;
	/* len_at[c]: length of the mapping starting at chunk c (valid when start_of[c] == c). */
	uint64_t *len_at;
	bool *rw_at;
	atomic_bool warned_size;     /* cache_size mismatch reported once */
	struct vfsd_dax_fd fds[VFSD_DAX_FDS];
	uint64_t fd_clock;
	pthread_mutex_t lock;        /* everything above; lock is the last member */
};

struct vfsd {
	int root_fd;                 /* O_PATH of the shared directory */
	int proc_fd;                 /* O_PATH of /proc/self/fd */
	bool readonly;
	atomic_bool initialized;     /* INIT answered (read by every queue's worker) */
	uint32_t proto_minor;
	double timeout_s;
	uint64_t window_size;
	const struct vfsd_dax_ops *dax_ops;
	struct vfsd_dax dax;

	pthread_mutex_t ilock;       /* inode table */
	struct vfsd_inode *root;
	uint64_t next_nodeid;
	unsigned long nr_inodes;
	struct vfsd_inode *by_key[VFSD_HASH_BUCKETS];
	struct vfsd_inode *by_id[VFSD_HASH_BUCKETS];

	pthread_mutex_t hlock;       /* handle table */
	struct vfsd_handle **handles;
	uint32_t nr_slots;
	unsigned long nr_handles;

	struct vfsd_stats stats;
};

/* One request being served. */
struct vfsd_req {
	struct vfsd *fs;
	const struct fuse_in_header *hdr;
	const uint8_t *arg;          /* after the header */
	size_t arg_len;
	const struct iovec *out;
	unsigned int out_n;
	size_t out_cap;
	size_t reply_len;            /* bytes written, set by the reply helpers */
	bool replied;
};

/* inode.c */
int vfsd_inodes_init(struct vfsd *fs);
void vfsd_inodes_destroy(struct vfsd *fs);
/* Takes a request reference on nodeid, NULL if unknown. */
struct vfsd_inode *vfsd_inode_get(struct vfsd *fs, uint64_t nodeid);
void vfsd_inode_put(struct vfsd *fs, struct vfsd_inode *ino);
/* Drops n kernel lookups; frees the inode when nothing references it. */
void vfsd_inode_forget(struct vfsd *fs, uint64_t nodeid, uint64_t n);
/* Forgets every inode but the root (DESTROY). */
void vfsd_inode_forget_all(struct vfsd *fs);
/*
 * Looks name up in parent (O_PATH|O_NOFOLLOW, single component already validated), adds one
 * kernel lookup and fills e. "." and ".." are resolved without leaving the tree.
 */
int vfsd_do_lookup(struct vfsd *fs, struct vfsd_inode *parent, const char *name,
		   struct fuse_entry_out *e);
/* Same, for an fd of the new object itself (CREATE): O_PATH reopened from it. */
int vfsd_lookup_fd(struct vfsd *fs, int fd, struct fuse_entry_out *e);
void vfsd_fill_attr(struct fuse_attr *a, const struct stat *st);
int vfsd_stat_inode(struct vfsd_inode *ino, struct stat *st);
/* Opens a real fd for the inode through /proc/self/fd (never for symlinks). */
int vfsd_inode_open(struct vfsd *fs, struct vfsd_inode *ino, int flags);
/* "/proc/self/fd" name of an inode's O_PATH fd. */
void vfsd_fd_name(int fd, char buf[16]);

/* handle.c */
int vfsd_handles_init(struct vfsd *fs);
void vfsd_handles_destroy(struct vfsd *fs);
/* Registers fd (ownership passes) with a ref on inode; returns the fh or -errno. */
int vfsd_handle_new(struct vfsd *fs, int fd, struct vfsd_inode *ino, bool dir, uint64_t *fh);
/* fh names an open handle of ino (a directory's when dir): get takes a ref (NULL if not). */
struct vfsd_handle *vfsd_handle_get(struct vfsd *fs, uint64_t fh, struct vfsd_inode *ino,
				    bool dir);
void vfsd_handle_put(struct vfsd *fs, struct vfsd_handle *h);
/* Closes handle fh of ino once its last ref is put: 0, or -EBADF if fh is not one. */
int vfsd_handle_release(struct vfsd *fs, uint64_t fh, struct vfsd_inode *ino, bool dir);
void vfsd_handle_release_all(struct vfsd *fs);
/* ops_file.c: fd (ownership passes) becomes a handle of ino, the reply to OPEN/OPENDIR. */
int vfsd_reply_open(struct vfsd_req *r, struct vfsd_inode *ino, int fd, bool dir);

/* dispatch.c: reply helpers. */
int vfsd_reply(struct vfsd_req *r, const void *body, size_t len);
/* Reply whose body (len bytes) was already written at offset sizeof(fuse_out_header). */
int vfsd_reply_written(struct vfsd_req *r, size_t len);
/*
 * Extracts a NUL-terminated name starting at *off in the arguments; checks it is one path
 * component (non-empty, no '/', < NAME_MAX + 1). allow_dots permits "." and "..".
 */
int vfsd_arg_name(struct vfsd_req *r, size_t *off, const char **name, bool allow_dots);

/* Handlers: return 0 after replying, or -errno for an error reply. */
typedef int (*vfsd_handler)(struct vfsd_req *r, struct vfsd_inode *ino);
/* The file policy (policy.c): 0 if the guest may do it, else the -errno to answer. */
enum vfsd_change {
	VFSD_CREATE,	/* type and mode of a new inode (CREATE, MKNOD, MKDIR, SYMLINK) */
	VFSD_CHMOD,	/* SETATTR mode of an inode of type */
	VFSD_RENAME,	/* RENAME2 flags */
	VFSD_LINK,	/* hard link to an inode of type */
	VFSD_OPEN,	/* OPEN, CREATE of an existing name, SETUPMAPPING */
};
int vfsd_policy(enum vfsd_change what, mode_t type, uint32_t mode, uint32_t flags);

int vfsd_op_init(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_destroy(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_lookup(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_forget(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_batch_forget(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_getattr(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_setattr(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_readlink(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_symlink(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_mknod(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_mkdir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_unlink(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_rmdir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_rename(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_rename2(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_link(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_access(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_statfs(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_open(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_create(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_read(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_write(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_release(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_flush(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_fsync(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_fallocate(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_lseek(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_opendir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_readdir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_readdirplus(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_releasedir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_fsyncdir(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_setupmapping(struct vfsd_req *r, struct vfsd_inode *ino);
int vfsd_op_removemapping(struct vfsd_req *r, struct vfsd_inode *ino);

/* dax.c */
int vfsd_dax_init(struct vfsd *fs);
void vfsd_dax_destroy(struct vfsd *fs);
void vfsd_dax_forget_all(struct vfsd *fs);

/* dax_fds.c: the fds SETUPMAPPING maps; all but _forget with the DAX lock held. */
void vfsd_dax_fds_init(struct vfsd_dax *d);
/* The cached fd for (ino, rw), opened on a miss; borrowed until the lock is dropped. */
int vfsd_dax_fd_get(struct vfsd *fs, struct vfsd_inode *ino, bool rw);
/* Closes nodeid's fds (the inode is being freed). Takes the DAX lock itself. */
void vfsd_dax_fd_forget(struct vfsd *fs, uint64_t nodeid);
void vfsd_dax_fds_drop_all(struct vfsd_dax *d);

#endif
