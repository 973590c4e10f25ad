// SPDX-License-Identifier: MIT
/*
 * Inode table: one entry per (dev, ino) the guest knows, holding an O_PATH|O_NOFOLLOW fd.
 * Node ids are never reused (64-bit counter); a node id the guest sends is looked up in a hash
 * and refused when unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtiofsd/vfsd_priv.h"
#include "util/log.h"

static unsigned int key_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (unsigned int)(h >> 20) % VFSD_HASH_BUCKETS;
}

static unsigned int id_hash(uint64_t id)
{
	return (unsigned int)(id % VFSD_HASH_BUCKETS);
}

void vfsd_fd_name(int fd, char buf[16])
{
	snprintf(buf, 16, "%d", fd);
}

int vfsd_stat_inode(struct vfsd_inode *ino, struct stat *st)
{
	if (fstatat(ino->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int vfsd_inode_open(struct vfsd *fs, struct vfsd_inode *ino, int flags)
{
	char name[16];
	int fd;

	if (S_ISLNK(ino->type))
		return -ELOOP;
	if (!S_ISREG(ino->type) && !S_ISDIR(ino->type))
		return -ENXIO;
	vfsd_fd_name(ino->fd, name);
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_PATH);
	fd = openat(fs->proc_fd, name, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void add_locked(struct vfsd *fs, struct vfsd_inode *ino)
{
	unsigned int k = key_hash(ino->dev, ino->ino), i = id_hash(ino->nodeid);

	ino->next_key = fs->by_key[k];
	fs->by_key[k] = ino;
	ino->next_id = fs->by_id[i];
	fs->by_id[i] = ino;
	fs->nr_inodes++;
}

static void unlink_locked(struct vfsd *fs, struct vfsd_inode *ino)
{
	struct vfsd_inode **p;

	for (p = &fs->by_key[key_hash(ino->dev, ino->ino)]; *p; p = &(*p)->next_key) {
		if (*p == ino) {
			*p = ino->next_key;
			break;
		}
	}
	for (p = &fs->by_id[id_hash(ino->nodeid)]; *p; p = &(*p)->next_id) {
		if (*p == ino) {
			*p = ino->next_id;
			break;
		}
	}
	fs->nr_inodes--;
}

static struct vfsd_inode *find_key_locked(struct vfsd *fs, dev_t dev, ino_t ino)
{
	struct vfsd_inode *p;

	for (p = fs->by_key[key_hash(dev, ino)]; p; p = p->next_key)
		if (p->dev == dev && p->ino == ino)
			return p;
	return NULL;
}

static struct vfsd_inode *find_id_locked(struct vfsd *fs, uint64_t id)
{
	struct vfsd_inode *p;

	for (p = fs->by_id[id_hash(id)]; p; p = p->next_id)
		if (p->nodeid == id)
			return p;
	return NULL;
}

/* Frees ino if unreferenced; called with ilock held. */
static void maybe_free_locked(struct vfsd *fs, struct vfsd_inode *ino)
{
	if (ino == fs->root || ino->nlookup || ino->refs)
		return;
	unlink_locked(fs, ino);
	vfsd_dax_fd_forget(fs, ino->nodeid);   /* lock order: ilock, then the DAX lock */
	close(ino->fd);
	free(ino);
}

int vfsd_inodes_init(struct vfsd *fs)
{
	struct vfsd_inode *root;
	struct stat st;

	pthread_mutex_init(&fs->ilock, NULL);
	if (fstatat(fs->root_fd, "", &st, AT_EMPTY_PATH) < 0)
		return -errno;
	root = calloc(1, sizeof(*root));
	if (!root)
		return -ENOMEM;
	root->nodeid = FUSE_ROOT_ID;
	root->dev = st.st_dev;
	root->ino = st.st_ino;
	root->type = st.st_mode & S_IFMT;
	root->fd = fs->root_fd;
	root->nlookup = 1;
	fs->root = root;
	fs->next_nodeid = FUSE_ROOT_ID + 1;
	add_locked(fs, root);
	return 0;
}

void vfsd_inodes_destroy(struct vfsd *fs)
{
	for (unsigned int b = 0; b < VFSD_HASH_BUCKETS; b++) {
		struct vfsd_inode *p = fs->by_id[b], *n;

		for (; p; p = n) {
			n = p->next_id;
			if (p != fs->root)
				close(p->fd);
			free(p);
		}
		fs->by_id[b] = NULL;
		fs->by_key[b] = NULL;
	}
	fs->root = NULL;
	fs->nr_inodes = 0;
	pthread_mutex_destroy(&fs->ilock);
}

struct vfsd_inode *vfsd_inode_get(struct vfsd *fs, uint64_t nodeid)
{
	struct vfsd_inode *ino;

	pthread_mutex_lock(&fs->ilock);
	ino = find_id_locked(fs, nodeid);
	if (ino && !ino->nlookup && ino != fs->root)
		ino = NULL;      /* forgotten: the kernel must not use it any more */
	if (ino)
		ino->refs++;
	pthread_mutex_unlock(&fs->ilock);
	return ino;
}

void vfsd_inode_put(struct vfsd *fs, struct vfsd_inode *ino)
{
	if (!ino)
		return;
	pthread_mutex_lock(&fs->ilock);
	ino->refs--;
	maybe_free_locked(fs, ino);
	pthread_mutex_unlock(&fs->ilock);
}

void vfsd_inode_forget(struct vfsd *fs, uint64_t nodeid, uint64_t n)
{
	struct vfsd_inode *ino;

	pthread_mutex_lock(&fs->ilock);
	ino = find_id_locked(fs, nodeid);
	if (ino && ino != fs->root) {
		ino->nlookup = n > ino->nlookup ? 0 : ino->nlookup - n;
		maybe_free_locked(fs, ino);
	}
	pthread_mutex_unlock(&fs->ilock);
}

void vfsd_inode_forget_all(struct vfsd *fs)
{
	pthread_mutex_lock(&fs->ilock);
	for (unsigned int b = 0; b < VFSD_HASH_BUCKETS; b++) {
		struct vfsd_inode *p = fs->by_id[b], *n;

		for (; p; p = n) {
			n = p->next_id;
			p->nlookup = 0;
			maybe_free_locked(fs, p);
		}
	}
	pthread_mutex_unlock(&fs->ilock);
}

void vfsd_fill_attr(struct fuse_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = st->st_atim.tv_nsec;
	a->mtimensec = st->st_mtim.tv_nsec;
	a->ctimensec = st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = st->st_rdev;
	a->blksize = st->st_blksize;
}

static void fill_entry(struct vfsd *fs, struct fuse_entry_out *e, uint64_t nodeid,
		       const struct stat *st)
{
	uint64_t sec = (uint64_t)fs->timeout_s;
	uint32_t nsec = (uint32_t)((fs->timeout_s - (double)sec) * 1e9);

	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid;
	e->entry_valid = e->attr_valid = sec;
	e->entry_valid_nsec = e->attr_valid_nsec = nsec;
	vfsd_fill_attr(&e->attr, st);
}

/* Adds a lookup for the object behind fd (O_PATH, ownership passes). */
static int add_lookup(struct vfsd *fs, int fd, struct fuse_entry_out *e, bool must_exist)
{
	struct vfsd_inode *ino, *nino;
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	nino = calloc(1, sizeof(*nino));
	pthread_mutex_lock(&fs->ilock);
	ino = find_key_locked(fs, st.st_dev, st.st_ino);
	if (!ino && must_exist) {
		pthread_mutex_unlock(&fs->ilock);
		free(nino);
		close(fd);
		return -ENOENT;
	}
	if (ino) {
		close(fd);
		free(nino);
	} else {
		if (!nino) {
			pthread_mutex_unlock(&fs->ilock);
			close(fd);
			return -ENOMEM;
		}
		ino = nino;
		ino->nodeid = fs->next_nodeid++;
		ino->dev = st.st_dev;
		ino->ino = st.st_ino;
		ino->type = st.st_mode & S_IFMT;
		ino->fd = fd;
		add_locked(fs, ino);
	}
	if (ino != fs->root)
		ino->nlookup++;
	fill_entry(fs, e, ino->nodeid, &st);
	pthread_mutex_unlock(&fs->ilock);
	return 0;
}

int vfsd_do_lookup(struct vfsd *fs, struct vfsd_inode *parent, const char *name,
		   struct fuse_entry_out *e)
{
	bool dotdot = strcmp(name, "..") == 0;
	int fd;

	if (!S_ISDIR(parent->type))
		return -ENOTDIR;
	if (strcmp(name, ".") == 0 || (dotdot && parent == fs->root))
		fd = openat(parent->fd, ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	else
		fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * ".." below the root: only accepted when the kernel already knows the parent, so a
	 * directory moved out of the tree on the host cannot lead the guest outside.
	 */
	return add_lookup(fs, fd, e, dotdot && parent != fs->root);
}

int vfsd_lookup_fd(struct vfsd *fs, int fd, struct fuse_entry_out *e)
{
	char name[16];
	int pfd;

	vfsd_fd_name(fd, name);
	pfd = openat(fs->proc_fd, name, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	return add_lookup(fs, pfd, e, false);
}
