// SPDX-License-Identifier: MIT
/*
 * Unit tests of the microvm-virtiofsd FUSE server (src/virtiofsd) without vhost-user: crafted
 * requests into vfsd_dispatch() against a temporary directory, compared with the host view.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "virtiofsd/vfsd.h"
#include "virtiofsd/vfsd_priv.h"
#include "../harness/testfiles.h"

#define MiB (1ULL << 20)
#define OUT_CAP (2 * MiB)

static char root[256];
static char outside[256];
static struct vfsd *fs;
static uint8_t *outbuf;
static uint64_t unique = 100;

/* ---- request building ---- */

struct reply {
	struct fuse_out_header h;
	uint8_t *body;
	size_t body_len;
	size_t total;        /* bytes dispatch wrote */
};

static struct reply call_raw(const void *req, size_t len, size_t out_cap)
{
	struct iovec iov = { outbuf, out_cap };
	struct reply r = { 0 };

	memset(outbuf, 0xee, out_cap < OUT_CAP ? out_cap : OUT_CAP);
	r.total = vfsd_dispatch(fs, req, len, &iov, 1);
	if (r.total >= sizeof(r.h)) {
		memcpy(&r.h, outbuf, sizeof(r.h));
		ck_assert_uint_eq(r.h.len, r.total);
		r.body = outbuf + sizeof(r.h);
		r.body_len = r.total - sizeof(r.h);
	}
	return r;
}

/* opcode, nodeid, argument struct, then up to two NUL-terminated strings. */
static struct reply call(uint32_t op, uint64_t nodeid, const void *arg, size_t arg_len,
			 const char *s1, const char *s2)
{
	uint8_t *buf = calloc(1, sizeof(struct fuse_in_header) + arg_len + 2 * 4200);
	struct fuse_in_header *h = (void *)buf;
	size_t len = sizeof(*h);
	struct reply r;

	if (arg_len)
		memcpy(buf + len, arg, arg_len);
	len += arg_len;
	if (s1) {
		memcpy(buf + len, s1, strlen(s1) + 1);
		len += strlen(s1) + 1;
	}
	if (s2) {
		memcpy(buf + len, s2, strlen(s2) + 1);
		len += strlen(s2) + 1;
	}
	h->len = (uint32_t)len;
	h->opcode = op;
	h->unique = ++unique;
	h->nodeid = nodeid;
	r = call_raw(buf, len, OUT_CAP);
	if (r.total)
		ck_assert_uint_eq(r.h.unique, unique);
	free(buf);
	return r;
}

static void do_init(uint32_t flags)
{
	struct fuse_init_in in = { .major = 7, .minor = 36, .max_readahead = 65536,
				   .flags = flags };
	struct reply r = call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);

	ck_assert_int_eq(r.h.error, 0);
}

static void new_fs(bool ro, uint64_t window, const struct vfsd_dax_ops *dax)
{
	struct vfsd_options o = { .shared_dir = root, .readonly = ro, .window_size = window,
				  .dax = dax };

	fs = vfsd_new(&o);
	ck_assert_ptr_nonnull(fs);
}

static void setup(void)
{
	char p[512];

	strcpy(root, "/tmp/vfsd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	strcpy(outside, "/tmp/vfsd-outside-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(outside));
	snprintf(p, sizeof(p), "%s/secret", outside);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_eq(tf_write_file(root, "hello.txt", "hello, world\n", 13), 0);
	snprintf(p, sizeof(p), "%s/sub", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(tf_write_file(root, "sub/inner", "inner", 5), 0);
	outbuf = malloc(OUT_CAP);
	new_fs(false, 0, NULL);
	do_init(FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS);
}

static void teardown(void)
{
	vfsd_destroy(fs);
	fs = NULL;
	free(outbuf);
	ck_assert_int_eq(tf_rm_rf(root), 0);
	ck_assert_int_eq(tf_rm_rf(outside), 0);
}

static uint64_t lookup(uint64_t parent, const char *name, struct fuse_entry_out *e, int *err)
{
	struct reply r = call(FUSE_LOOKUP, parent, NULL, 0, name, NULL);

	*err = r.h.error;
	if (r.h.error)
		return 0;
	ck_assert_uint_eq(r.body_len, sizeof(*e));
	memcpy(e, r.body, sizeof(*e));
	return e->nodeid;
}

static uint64_t must_lookup(uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	int err;
	uint64_t id = lookup(parent, name, e, &err);

	ck_assert_msg(err == 0, "lookup %s: %d", name, err);
	return id;
}

static uint64_t do_open(uint64_t nodeid, uint32_t flags, int *err)
{
	struct fuse_open_in in = { .flags = flags };
	struct reply r = call(FUSE_OPEN, nodeid, &in, sizeof(in), NULL, NULL);
	struct fuse_open_out o;

	*err = r.h.error;
	if (r.h.error)
		return 0;
	memcpy(&o, r.body, sizeof(o));
	return o.fh;
}

static struct reply do_read(uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };

	return call(FUSE_READ, nodeid, &in, sizeof(in), NULL, NULL);
}

/* ---- tests ---- */

START_TEST(test_init)
{
	struct fuse_init_in in = { .major = 7, .minor = 31, .flags = FUSE_MAP_ALIGNMENT |
				   FUSE_DO_READDIRPLUS | FUSE_POSIX_LOCKS };
	struct fuse_init_out o;
	struct reply r = call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);

	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(r.body_len, sizeof(o));
	memcpy(&o, r.body, sizeof(o));
	ck_assert_uint_eq(o.major, 7);
	ck_assert_uint_ge(o.minor, 31);
	ck_assert_uint_eq(o.max_write, 1 << 20);
	ck_assert(o.flags & FUSE_DO_READDIRPLUS);
	ck_assert(!(o.flags & FUSE_POSIX_LOCKS));          /* not ours: not answered */
	ck_assert(!(o.flags & FUSE_MAP_ALIGNMENT));        /* no window */
	ck_assert_uint_eq(o.map_alignment, 0);
	/* Too old a kernel. */
	in.minor = 12;
	r = call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EPROTO);
	/* Short INIT. */
	r = call(FUSE_INIT, 0, &in, 8, NULL, NULL);
	ck_assert_int_eq(r.h.error, -EINVAL);
}
END_TEST

START_TEST(test_before_init)
{
	struct fuse_entry_out e;
	int err;

	vfsd_destroy(fs);
	new_fs(false, 0, NULL);
	lookup(FUSE_ROOT_ID, "hello.txt", &e, &err);
	ck_assert_int_eq(err, -EIO);
	do_init(0);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
}
END_TEST

START_TEST(test_lookup_getattr)
{
	struct fuse_entry_out e, e2;
	struct fuse_getattr_in gin = { 0 };
	struct fuse_attr_out ao;
	char p[512];
	struct stat st;
	struct reply r;
	int err;

	snprintf(p, sizeof(p), "%s/hello.txt", root);
	ck_assert_int_eq(stat(p, &st), 0);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	ck_assert_uint_gt(e.nodeid, FUSE_ROOT_ID);
	ck_assert_uint_eq(e.attr.ino, st.st_ino);
	ck_assert_uint_eq(e.attr.size, 13);
	ck_assert_uint_eq(e.attr.mode, st.st_mode);
	/* Same object: same node id. */
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e2);
	ck_assert_uint_eq(e2.nodeid, e.nodeid);
	r = call(FUSE_GETATTR, e.nodeid, &gin, sizeof(gin), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	memcpy(&ao, r.body, sizeof(ao));
	ck_assert_uint_eq(ao.attr.size, 13);
	lookup(FUSE_ROOT_ID, "missing", &e, &err);
	ck_assert_int_eq(err, -ENOENT);
	/* Nested. */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	ck_assert(S_ISDIR(e.attr.mode));
	must_lookup(e.nodeid, "inner", &e2);
	ck_assert_uint_eq(e2.attr.size, 5);
	/* Lookup under a file. */
	lookup(e2.nodeid, "x", &e, &err);
	ck_assert_int_eq(err, -ENOTDIR);
}
END_TEST

START_TEST(test_forget)
{
	struct fuse_entry_out e;
	struct fuse_forget_in fin = { .nlookup = 2 };
	struct {
		struct fuse_batch_forget_in in;
		struct fuse_forget_one one[2];
	} bf = { { .count = 2 }, { { 0 } } };
	unsigned long base = vfsd_nr_inodes(fs);
	struct fuse_getattr_in gin = { 0 };
	struct reply r;

	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	ck_assert_uint_eq(vfsd_nr_inodes(fs), base + 1);
	r = call(FUSE_FORGET, e.nodeid, &fin, sizeof(fin), NULL, NULL);
	ck_assert_uint_eq(r.total, 0);                      /* no reply */
	ck_assert_uint_eq(vfsd_nr_inodes(fs), base);
	/* The forgotten node id is now refused. */
	r = call(FUSE_GETATTR, e.nodeid, &gin, sizeof(gin), NULL, NULL);
	ck_assert_int_eq(r.h.error, -ENOENT);
	/* Batch forget, including bogus ids and the root. */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	bf.one[0] = (struct fuse_forget_one){ e.nodeid, 1 };
	bf.one[1] = (struct fuse_forget_one){ FUSE_ROOT_ID, 100 };
	r = call(FUSE_BATCH_FORGET, 0, &bf, sizeof(bf), NULL, NULL);
	ck_assert_uint_eq(r.total, 0);
	ck_assert_uint_eq(vfsd_nr_inodes(fs), base);
	/* Root survives. */
	r = call(FUSE_GETATTR, FUSE_ROOT_ID, &gin, sizeof(gin), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	/* Count larger than the payload: ignored, no crash. */
	bf.in.count = 1000000;
	r = call(FUSE_BATCH_FORGET, 0, &bf, sizeof(bf), NULL, NULL);
	ck_assert_uint_eq(r.total, 0);
}
END_TEST

START_TEST(test_open_read)
{
	struct fuse_entry_out e;
	struct fuse_release_in rel = { 0 };
	uint64_t fh;
	struct reply r;
	int err;

	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	fh = do_open(e.nodeid, O_RDONLY, &err);
	ck_assert_int_eq(err, 0);
	r = do_read(e.nodeid, fh, 0, 4096);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(r.body_len, 13);
	ck_assert(memcmp(r.body, "hello, world\n", 13) == 0);
	r = do_read(e.nodeid, fh, 7, 5);
	ck_assert_uint_eq(r.body_len, 5);
	ck_assert(memcmp(r.body, "world", 5) == 0);
	r = do_read(e.nodeid, fh, 100, 10);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(r.body_len, 0);
	/* Wrong fh, fh of another inode, directory open. */
	r = do_read(e.nodeid, fh + 1, 0, 10);
	ck_assert_int_eq(r.h.error, -EBADF);
	r = do_read(e.nodeid, fh ^ (1ull << 32), 0, 10);
	ck_assert_int_eq(r.h.error, -EBADF);
	r = do_read(FUSE_ROOT_ID, fh, 0, 10);
	ck_assert_int_eq(r.h.error, -EBADF);
	do_open(FUSE_ROOT_ID, O_RDONLY, &err);
	ck_assert_int_eq(err, -EISDIR);
	/* A reply buffer smaller than asked: truncated read. */
	{
		struct fuse_read_in in = { .fh = fh, .offset = 0, .size = 13 };
		uint8_t req[sizeof(struct fuse_in_header) + sizeof(in)];
		struct fuse_in_header h = { .len = sizeof(req), .opcode = FUSE_READ,
					    .unique = 7, .nodeid = e.nodeid };

		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), &in, sizeof(in));
		r = call_raw(req, sizeof(req), sizeof(struct fuse_out_header) + 4);
		ck_assert_uint_eq(r.body_len, 4);
		r = call_raw(req, sizeof(req), 8);   /* not even a header */
		ck_assert_uint_eq(r.total, 0);
	}
	ck_assert_uint_eq(vfsd_nr_handles(fs), 1);
	rel.fh = fh;
	/* Released through another inode: refused, the handle stays open. */
	r = call(FUSE_RELEASE, FUSE_ROOT_ID, &rel, sizeof(rel), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EBADF);
	ck_assert_uint_eq(vfsd_nr_handles(fs), 1);
	r = call(FUSE_RELEASE, e.nodeid, &rel, sizeof(rel), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(vfsd_nr_handles(fs), 0);
	r = call(FUSE_RELEASE, e.nodeid, &rel, sizeof(rel), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EBADF);
	r = do_read(e.nodeid, fh, 0, 10);
	ck_assert_int_eq(r.h.error, -EBADF);
}
END_TEST

static uint64_t do_create(uint64_t parent, const char *name, uint32_t flags,
			  struct fuse_entry_out *e, int *err)
{
	struct fuse_create_in in = { .flags = flags, .mode = S_IFREG | 0640 };
	struct reply r = call(FUSE_CREATE, parent, &in, sizeof(in), name, NULL);
	struct fuse_open_out o;

	*err = r.h.error;
	if (r.h.error)
		return 0;
	ck_assert_uint_eq(r.body_len, sizeof(*e) + sizeof(o));
	memcpy(e, r.body, sizeof(*e));
	memcpy(&o, r.body + sizeof(*e), sizeof(o));
	return o.fh;
}

static struct reply do_write(uint64_t nodeid, uint64_t fh, uint64_t off, const void *data,
			     uint32_t len)
{
	uint8_t *buf = malloc(sizeof(struct fuse_write_in) + len);
	struct fuse_write_in in = { .fh = fh, .offset = off, .size = len };
	struct fuse_in_header *h;
	uint8_t *req = malloc(sizeof(*h) + sizeof(in) + len);
	struct reply r;

	h = (void *)req;
	*h = (struct fuse_in_header){ .len = (uint32_t)(sizeof(*h) + sizeof(in) + len),
				      .opcode = FUSE_WRITE, .unique = ++unique,
				      .nodeid = nodeid };
	memcpy(req + sizeof(*h), &in, sizeof(in));
	memcpy(req + sizeof(*h) + sizeof(in), data, len);
	r = call_raw(req, h->len, OUT_CAP);
	free(req);
	free(buf);
	return r;
}

START_TEST(test_create_write)
{
	struct fuse_entry_out e;
	struct fuse_write_out wo;
	char p[512], got[64] = { 0 };
	struct stat st;
	uint64_t fh;
	struct reply r;
	int err, fd;

	fh = do_create(FUSE_ROOT_ID, "new.txt", O_RDWR, &e, &err);
	ck_assert_int_eq(err, 0);
	r = do_write(e.nodeid, fh, 0, "guest data", 10);
	ck_assert_int_eq(r.h.error, 0);
	memcpy(&wo, r.body, sizeof(wo));
	ck_assert_uint_eq(wo.size, 10);
	r = do_write(e.nodeid, fh, 6, "DATA!", 5);
	ck_assert_int_eq(r.h.error, 0);
	snprintf(p, sizeof(p), "%s/new.txt", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_ino, e.attr.ino);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	fd = open(p, O_RDONLY);
	ck_assert_int_eq(read(fd, got, sizeof(got)), 11);
	close(fd);
	ck_assert_str_eq(got, "guest DATA!");
	/* WRITE whose size exceeds the payload. */
	{
		uint8_t req[sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in) + 4];
		struct fuse_write_in in = { .fh = fh, .size = 100 };
		struct fuse_in_header h = { .len = sizeof(req), .opcode = FUSE_WRITE,
					    .unique = 9, .nodeid = e.nodeid };

		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), &in, sizeof(in));
		r = call_raw(req, sizeof(req), OUT_CAP);
		ck_assert_int_eq(r.h.error, -EINVAL);
	}
	/* Existing name with O_EXCL. */
	do_create(FUSE_ROOT_ID, "new.txt", O_RDWR | O_EXCL, &e, &err);
	ck_assert_int_eq(err, -EEXIST);
	/* SETATTR truncate through the inode. */
	{
		struct fuse_setattr_in sa = { .valid = FATTR_SIZE, .size = 3 };
		struct fuse_attr_out ao;

		r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
		ck_assert_int_eq(r.h.error, 0);
		memcpy(&ao, r.body, sizeof(ao));
		ck_assert_uint_eq(ao.attr.size, 3);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(st.st_size, 3);
	}
}
END_TEST

START_TEST(test_mkdir_rename_unlink)
{
	struct fuse_mkdir_in mk = { .mode = 0750 };
	struct fuse_rename_in rn;
	struct fuse_entry_out e, d;
	char p[512];
	struct stat st;
	struct reply r;
	int err;

	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "newdir", NULL);
	ck_assert_int_eq(r.h.error, 0);
	memcpy(&d, r.body, sizeof(d));
	ck_assert(S_ISDIR(d.attr.mode));
	snprintf(p, sizeof(p), "%s/newdir", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "newdir", NULL);
	ck_assert_int_eq(r.h.error, -EEXIST);
	/* Move hello.txt into newdir under another name. */
	rn.newdir = d.nodeid;
	r = call(FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "hello.txt", "moved");
	ck_assert_int_eq(r.h.error, 0);
	snprintf(p, sizeof(p), "%s/newdir/moved", root);
	ck_assert_int_eq(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/hello.txt", root);
	ck_assert_int_eq(stat(p, &st), -1);
	/* RENAME2 with NOREPLACE onto an existing name. */
	{
		struct fuse_rename2_in r2 = { .newdir = FUSE_ROOT_ID, .flags = RENAME_NOREPLACE };

		r = call(FUSE_RENAME2, d.nodeid, &r2, sizeof(r2), "moved", "sub");
		ck_assert_int_eq(r.h.error, -EEXIST);
		r2.flags = 0x80;
		r = call(FUSE_RENAME2, d.nodeid, &r2, sizeof(r2), "moved", "x");
		ck_assert_int_eq(r.h.error, -EINVAL);
	}
	/* Rename to an unknown directory node. */
	rn.newdir = 999999;
	r = call(FUSE_RENAME, d.nodeid, &rn, sizeof(rn), "moved", "x");
	ck_assert_int_eq(r.h.error, -ENOENT);
	r = call(FUSE_UNLINK, d.nodeid, NULL, 0, "moved", NULL);
	ck_assert_int_eq(r.h.error, 0);
	snprintf(p, sizeof(p), "%s/newdir/moved", root);
	ck_assert_int_eq(stat(p, &st), -1);
	r = call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "newdir", NULL);
	ck_assert_int_eq(r.h.error, 0);
	lookup(FUSE_ROOT_ID, "newdir", &e, &err);
	ck_assert_int_eq(err, -ENOENT);
	r = call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "sub", NULL);
	ck_assert_int_eq(r.h.error, -ENOTEMPTY);
}
END_TEST

/* Collects the names of a READDIR(PLUS) listing until the end. */
static int list_dir(uint64_t nodeid, bool plus, char names[][64], int max)
{
	struct fuse_open_in oin = { 0 };
	struct fuse_open_out oo;
	struct fuse_release_in rel = { 0 };
	uint64_t off = 0;
	struct reply r;
	int n = 0;

	r = call(FUSE_OPENDIR, nodeid, &oin, sizeof(oin), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	memcpy(&oo, r.body, sizeof(oo));
	for (;;) {
		/* Small buffers: forces several requests and offset continuation. */
		struct fuse_read_in in = { .fh = oo.fh, .offset = off, .size = 200 };
		size_t pos = 0;

		r = call(plus ? FUSE_READDIRPLUS : FUSE_READDIR, nodeid, &in, sizeof(in), NULL,
			 NULL);
		ck_assert_int_eq(r.h.error, 0);
		if (r.body_len == 0)
			break;
		while (pos < r.body_len) {
			struct fuse_dirent *de;
			size_t base = plus ? offsetof(struct fuse_direntplus, dirent) : 0;

			de = (void *)(r.body + pos + base);
			ck_assert_int_lt(n, max);
			memcpy(names[n], de->name, de->namelen);
			names[n][de->namelen] = 0;
			n++;
			off = de->off;
			pos += base + FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + de->namelen);
		}
	}
	rel.fh = oo.fh;
	r = call(FUSE_RELEASEDIR, nodeid, &rel, sizeof(rel), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	return n;
}

static bool has_name(char names[][64], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return true;
	return false;
}

START_TEST(test_readdir)
{
	static char names[128][64];
	char p[512];
	DIR *d;
	struct dirent *de;
	int n, host = 0;

	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "file-with-a-long-name-%02d", i);
		ck_assert_int_eq(tf_write_file(root, p, "x", 1), 0);
	}
	for (int plus = 0; plus < 2; plus++) {
		n = list_dir(FUSE_ROOT_ID, plus, names, 128);
		host = 0;
		d = opendir(root);
		while ((de = readdir(d))) {
			ck_assert_msg(has_name(names, n, de->d_name), "missing %s", de->d_name);
			host++;
		}
		closedir(d);
		ck_assert_int_eq(n, host);
	}
	ck_assert_int_eq(host, 2 + 2 + 20);
	/* READDIR on a file handle / unknown handle. */
	{
		struct fuse_read_in in = { .fh = 12345, .size = 4096 };
		struct reply r = call(FUSE_READDIR, FUSE_ROOT_ID, &in, sizeof(in), NULL, NULL);

		ck_assert_int_eq(r.h.error, -EBADF);
	}
}
END_TEST

START_TEST(test_statfs)
{
	struct fuse_statfs_out o;
	struct statvfs sv;
	struct reply r = call(FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, NULL);

	ck_assert_int_eq(r.h.error, 0);
	memcpy(&o, r.body, sizeof(o));
	ck_assert_int_eq(statvfs(root, &sv), 0);
	ck_assert_uint_eq(o.st.blocks, sv.f_blocks);
	ck_assert_uint_eq(o.st.bsize, sv.f_bsize);
	ck_assert_uint_eq(o.st.namelen, sv.f_namemax);
	ck_assert_uint_eq(o.st.files, sv.f_files);
}
END_TEST

START_TEST(test_symlink_readlink)
{
	struct fuse_entry_out e;
	struct reply r;
	char p[512], t[64] = { 0 };

	r = call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "ln", "hello.txt");
	ck_assert_int_eq(r.h.error, 0);
	memcpy(&e, r.body, sizeof(e));
	ck_assert(S_ISLNK(e.attr.mode));
	snprintf(p, sizeof(p), "%s/ln", root);
	ck_assert_int_eq(readlink(p, t, sizeof(t)), 9);
	ck_assert_str_eq(t, "hello.txt");
	r = call(FUSE_READLINK, e.nodeid, NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(r.body_len, 9);
	ck_assert(memcmp(r.body, "hello.txt", 9) == 0);
	r = call(FUSE_READLINK, FUSE_ROOT_ID, NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* Missing target string. */
	r = call(FUSE_SYMLINK, FUSE_ROOT_ID, NULL, 0, "ln2", NULL);
	ck_assert_int_ne(r.h.error, 0);
}
END_TEST

START_TEST(test_escape_names)
{
	struct fuse_entry_out e;
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct reply r;
	int err;

	/* ".." at the root is the root. */
	must_lookup(FUSE_ROOT_ID, "..", &e);
	ck_assert_uint_eq(e.nodeid, FUSE_ROOT_ID);
	must_lookup(FUSE_ROOT_ID, ".", &e);
	ck_assert_uint_eq(e.nodeid, FUSE_ROOT_ID);
	/* ".." of a subdirectory is the known root. */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	must_lookup(e.nodeid, "..", &e);
	ck_assert_uint_eq(e.nodeid, FUSE_ROOT_ID);
	/* Multi-component and absolute names. */
	lookup(FUSE_ROOT_ID, "../etc", &e, &err);
	ck_assert_int_eq(err, -EINVAL);
	lookup(FUSE_ROOT_ID, "/etc/passwd", &e, &err);
	ck_assert_int_eq(err, -EINVAL);
	lookup(FUSE_ROOT_ID, "sub/inner", &e, &err);
	ck_assert_int_eq(err, -EINVAL);
	lookup(FUSE_ROOT_ID, "", &e, &err);
	ck_assert_int_eq(err, -EINVAL);
	/* Creation with dot names. */
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "..", NULL);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "a/b", NULL);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = call(FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "../x", NULL);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* Unknown node ids. */
	lookup(424242, "hello.txt", &e, &err);
	ck_assert_int_eq(err, -ENOENT);
	lookup(0, "hello.txt", &e, &err);
	ck_assert_int_eq(err, -ENOENT);
}
END_TEST

START_TEST(test_escape_symlinks)
{
	struct fuse_entry_out e, e2;
	struct fuse_create_in cin = { .flags = O_RDWR, .mode = 0644 };
	char p[512], q[512];
	struct reply r;
	int err;

	/* Absolute symlinks to outside: stay links, never followed. */
	snprintf(p, sizeof(p), "%s/abs", root);
	ck_assert_int_eq(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/absfile", root);
	snprintf(q, sizeof(q), "%s/secret", outside);
	ck_assert_int_eq(symlink(q, p), 0);
	must_lookup(FUSE_ROOT_ID, "abs", &e);
	ck_assert(S_ISLNK(e.attr.mode));
	lookup(e.nodeid, "secret", &e2, &err);
	ck_assert_int_eq(err, -ENOTDIR);
	must_lookup(FUSE_ROOT_ID, "absfile", &e);
	ck_assert(S_ISLNK(e.attr.mode));
	do_open(e.nodeid, O_RDONLY, &err);
	ck_assert_int_eq(err, -ELOOP);
	/* CREATE over a symlink name must not create/open the target. */
	r = call(FUSE_CREATE, FUSE_ROOT_ID, &cin, sizeof(cin), "absfile", NULL);
	ck_assert_int_eq(r.h.error, -ELOOP);
	/* Symlink swap: a looked-up directory replaced by a link to outside. */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	snprintf(p, sizeof(p), "%s/sub", root);
	snprintf(q, sizeof(q), "%s/sub-old", root);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(symlink(outside, p), 0);
	/* The old node still means the original directory, not the link's target. */
	lookup(e.nodeid, "secret", &e2, &err);
	ck_assert_int_eq(err, -ENOENT);
	must_lookup(e.nodeid, "inner", &e2);
	/* A fresh lookup sees the link, which cannot be walked. */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	ck_assert(S_ISLNK(e.attr.mode));
	lookup(e.nodeid, "secret", &e2, &err);
	ck_assert_int_eq(err, -ENOTDIR);
	r = call(FUSE_OPENDIR, e.nodeid, &cin, sizeof(struct fuse_open_in), NULL, NULL);
	ck_assert_int_eq(r.h.error, -ENOTDIR);
}
END_TEST

START_TEST(test_escape_links)
{
	struct fuse_entry_out e;
	struct fuse_link_in li = { 0 };
	char p[512], q[512];
	struct stat st, st2;
	struct reply r;

	/* The guest cannot name an inode it never reached: outside files have no node id. */
	li.oldnodeid = 777777;
	r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "stolen", NULL);
	ck_assert_int_eq(r.h.error, -ENOENT);
	/* Linking a symlink to outside links the symlink itself. */
	snprintf(p, sizeof(p), "%s/absfile", root);
	snprintf(q, sizeof(q), "%s/secret", outside);
	ck_assert_int_eq(symlink(q, p), 0);
	must_lookup(FUSE_ROOT_ID, "absfile", &e);
	li.oldnodeid = e.nodeid;
	r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "stolen", NULL);
	if (r.h.error == 0) {
		snprintf(p, sizeof(p), "%s/stolen", root);
		ck_assert_int_eq(lstat(p, &st), 0);
		ck_assert(S_ISLNK(st.st_mode));
		ck_assert_int_eq(stat(q, &st2), 0);
		ck_assert_uint_eq(st2.st_nlink, 1);
	} else {
		ck_assert_int_eq(r.h.error, -EPERM);
	}
	/* A normal hard link inside the tree works. */
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	li.oldnodeid = e.nodeid;
	r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "hello2", NULL);
	ck_assert_int_eq(r.h.error, 0);
	snprintf(p, sizeof(p), "%s/hello2", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_ino, e.attr.ino);
	/* Directories cannot be hard-linked. */
	li.oldnodeid = FUSE_ROOT_ID;
	r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "loop", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	/* mknod of a device node is refused. */
	{
		struct fuse_mknod_in mn = { .mode = S_IFCHR | 0666, .rdev = makedev(1, 3) };

		r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "null", NULL);
		ck_assert_int_eq(r.h.error, -EPERM);
		mn.mode = S_IFIFO | 0600;
		r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "fifo", NULL);
		ck_assert_int_eq(r.h.error, 0);
	}
}
END_TEST

/*
 * #12.6: the file policy (src/virtiofsd/policy.c, docs/SECURITY.md). Every refused case
 * leaves nothing in the share. Before the fix RENAME2(RENAME_WHITEOUT) succeeded and left a
 * 0:0 character device under the old name.
 */
static void assert_absent(const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	ck_assert_msg(lstat(p, &st) < 0, "%s exists (mode 0%o)", name, st.st_mode);
}

static void assert_no_device_in_share(void)
{
	char names[64][64];
	char p[8192];
	struct stat st;
	int n = list_dir(FUSE_ROOT_ID, false, names, 64);

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, names[i]);
		if (lstat(p, &st) == 0)
			ck_assert_msg(!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode),
				      "device node %s in the share", names[i]);
	}
}

START_TEST(test_file_policy)
{
	struct fuse_rename2_in r2 = { .newdir = FUSE_ROOT_ID };
	struct fuse_create_in cr = { .flags = O_WRONLY, .mode = S_IFREG | 0644 };
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct fuse_mknod_in mn = { 0 };
	struct fuse_setattr_in sa = { .valid = FATTR_MODE };
	struct fuse_link_in li = { 0 };
	struct fuse_entry_out e;
	char p[512];
	struct stat st;
	struct reply r;

	/* RENAME2: WHITEOUT (alone or with NOREPLACE), NOREPLACE|EXCHANGE, unknown bits */
	static const uint32_t bad_flags[] = { RENAME_WHITEOUT, RENAME_WHITEOUT | RENAME_NOREPLACE,
					      RENAME_NOREPLACE | RENAME_EXCHANGE, 1u << 3 };
	for (unsigned int i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		r2.flags = bad_flags[i];
		r = call(FUSE_RENAME2, FUSE_ROOT_ID, &r2, sizeof(r2), "hello.txt", "wh");
		ck_assert_msg(r.h.error == -EINVAL, "flags 0x%x: %d", r2.flags, r.h.error);
		assert_absent("wh");
		snprintf(p, sizeof(p), "%s/hello.txt", root);
		ck_assert_int_eq(lstat(p, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
	}
	/* EXCHANGE and NOREPLACE still work */
	r2.flags = RENAME_EXCHANGE;
	r = call(FUSE_RENAME2, FUSE_ROOT_ID, &r2, sizeof(r2), "hello.txt", "sub");
	ck_assert_int_eq(r.h.error, 0);
	r = call(FUSE_RENAME2, FUSE_ROOT_ID, &r2, sizeof(r2), "hello.txt", "sub");
	ck_assert_int_eq(r.h.error, 0);
	r2.flags = RENAME_NOREPLACE;
	r = call(FUSE_RENAME2, FUSE_ROOT_ID, &r2, sizeof(r2), "hello.txt", "renamed");
	ck_assert_int_eq(r.h.error, 0);

	/* MKNOD: char and block devices (also the 0:0 whiteout), type 0 */
	static const mode_t bad_nodes[] = { S_IFCHR | 0600, S_IFBLK | 0600, S_IFCHR, 0600,
					    S_IFDIR | 0755, S_IFLNK | 0777 };
	for (unsigned int i = 0; i < sizeof(bad_nodes) / sizeof(bad_nodes[0]); i++) {
		mn.mode = bad_nodes[i];
		r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "node", NULL);
		ck_assert_msg(r.h.error == -EPERM, "mknod 0%o: %d", mn.mode, r.h.error);
		assert_absent("node");
	}
	/* setuid never, setgid only on directories: CREATE, MKNOD, MKDIR */
	cr.mode = S_IFREG | S_ISUID | 0755;
	r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "suid", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	assert_absent("suid");
	cr.mode = S_IFREG | S_ISGID | 0755;
	r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "sgid", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	assert_absent("sgid");
	mn.mode = S_IFREG | S_ISUID | 0755;
	r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "suid", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	assert_absent("suid");
	mn.mode = S_IFIFO | S_ISGID | 0600;
	r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "sgid", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	mk.mode = S_ISUID | 0755;
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "suiddir", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	assert_absent("suiddir");
	mk.mode = S_ISGID | 0755;		/* group inheritance: allowed */
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "sgiddir", NULL);
	ck_assert_int_eq(r.h.error, 0);

	/* SETATTR mode: setuid on a file, setgid on a file; setgid on a directory is fine */
	must_lookup(FUSE_ROOT_ID, "renamed", &e);
	sa.mode = S_ISUID | 0755;
	r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	sa.mode = S_ISGID | 0755;
	r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	snprintf(p, sizeof(p), "%s/renamed", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & (S_ISUID | S_ISGID), 0);
	sa.mode = 01777;			/* sticky + permissions: allowed */
	r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	sa.mode = S_ISGID | 0755;
	r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);

	/* LINK of a device node the host put in the share (or a directory): refused */
	must_lookup(FUSE_ROOT_ID, "sub", &e);
	li.oldnodeid = e.nodeid;
	r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "dirlink", NULL);
	ck_assert_int_eq(r.h.error, -EPERM);
	snprintf(p, sizeof(p), "%s/hostnull", root);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0) {	/* needs CAP_MKNOD */
		must_lookup(FUSE_ROOT_ID, "hostnull", &e);
		li.oldnodeid = e.nodeid;
		r = call(FUSE_LINK, FUSE_ROOT_ID, &li, sizeof(li), "nulllink", NULL);
		ck_assert_int_eq(r.h.error, -EPERM);
		assert_absent("nulllink");
		/* neither OPEN nor CREATE of the existing name opens it */
		r = call(FUSE_OPEN, e.nodeid, &(struct fuse_open_in){ .flags = O_RDONLY },
			 sizeof(struct fuse_open_in), NULL, NULL);
		ck_assert_int_eq(r.h.error, -ENXIO);
		cr.mode = S_IFREG | 0644;
		r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "hostnull", NULL);
		ck_assert_int_eq(r.h.error, -ENXIO);
		unlink(p);
	}

	/* CREATE of an existing FIFO's name: refused without blocking (used to hang the worker) */
	mn.mode = S_IFIFO | 0600;
	r = call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "fifo", NULL);
	ck_assert_int_eq(r.h.error, 0);
	cr.mode = S_IFREG | 0644;
	cr.flags = O_RDONLY;
	r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "fifo", NULL);
	ck_assert_int_eq(r.h.error, -ENXIO);
	must_lookup(FUSE_ROOT_ID, "fifo", &e);
	r = call(FUSE_OPEN, e.nodeid, &(struct fuse_open_in){ .flags = O_RDONLY },
		 sizeof(struct fuse_open_in), NULL, NULL);
	ck_assert_int_eq(r.h.error, -ENXIO);
	/* a plain CREATE still works */
	r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "plain", NULL);
	ck_assert_int_eq(r.h.error, 0);
	/* CREATE of an existing file opens it and keeps its owner (as root it used to chown it) */
	snprintf(p, sizeof(p), "%s/plain", root);
	if (geteuid() == 0 && chown(p, 1234, 1234) == 0) {
		r = call(FUSE_CREATE, FUSE_ROOT_ID, &cr, sizeof(cr), "plain", NULL);
		ck_assert_int_eq(r.h.error, 0);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(st.st_uid, 1234);
	}
	assert_no_device_in_share();
}
END_TEST

START_TEST(test_malformed)
{
	uint8_t buf[256] = { 0 };
	struct fuse_in_header *h = (void *)buf;
	struct reply r;

	/* Short header. */
	r = call_raw(buf, 10, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = call_raw(buf, 0, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* len mismatch (header claims more than the buffer, and less). */
	*h = (struct fuse_in_header){ .len = 200, .opcode = FUSE_GETATTR, .unique = 5,
				      .nodeid = FUSE_ROOT_ID };
	r = call_raw(buf, sizeof(*h) + 16, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	ck_assert_uint_eq(r.h.unique, 5);
	h->len = 10;
	r = call_raw(buf, sizeof(*h) + 16, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* Unknown opcodes. */
	for (uint32_t op = 0; op < 200; op += 7) {
		if (op == FUSE_FORGET || op == FUSE_INTERRUPT || op == FUSE_BATCH_FORGET)
			continue;
		*h = (struct fuse_in_header){ .len = sizeof(*h), .opcode = op == 0 ? 0 : op + 100,
					      .unique = op, .nodeid = FUSE_ROOT_ID };
		r = call_raw(buf, sizeof(*h), OUT_CAP);
		ck_assert_int_eq(r.h.error, -ENOSYS);
	}
	/* Argument too short for the opcode. */
	*h = (struct fuse_in_header){ .len = sizeof(*h) + 4, .opcode = FUSE_READ, .unique = 6,
				      .nodeid = FUSE_ROOT_ID };
	r = call_raw(buf, sizeof(*h) + 4, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* Name not NUL-terminated. */
	memset(buf + sizeof(*h), 'a', 20);
	*h = (struct fuse_in_header){ .len = sizeof(*h) + 20, .opcode = FUSE_LOOKUP, .unique = 6,
				      .nodeid = FUSE_ROOT_ID };
	r = call_raw(buf, sizeof(*h) + 20, OUT_CAP);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* REMOVEMAPPING without a window. */
	{
		struct fuse_removemapping_in rm = { .count = 1 };
		struct fuse_removemapping_one one = { 0, 2 * MiB };
		uint8_t req[sizeof(*h) + sizeof(rm) + sizeof(one)];

		*h = (struct fuse_in_header){ .len = sizeof(req), .opcode = FUSE_REMOVEMAPPING,
					      .unique = 8 };
		memcpy(req, h, sizeof(*h));
		memcpy(req + sizeof(*h), &rm, sizeof(rm));
		memcpy(req + sizeof(*h) + sizeof(rm), &one, sizeof(one));
		r = call_raw(req, sizeof(req), OUT_CAP);
		ck_assert_int_eq(r.h.error, -ENOSYS);
	}
}
END_TEST

START_TEST(test_readonly)
{
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct fuse_entry_out e;
	struct fuse_setattr_in sa = { .valid = FATTR_SIZE };
	uint64_t fh;
	struct reply r;
	int err;

	vfsd_destroy(fs);
	new_fs(true, 0, NULL);
	do_init(0);
	r = call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "d", NULL);
	ck_assert_int_eq(r.h.error, -EROFS);
	r = call(FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "hello.txt", NULL);
	ck_assert_int_eq(r.h.error, -EROFS);
	do_create(FUSE_ROOT_ID, "n", O_RDWR, &e, &err);
	ck_assert_int_eq(err, -EROFS);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	do_open(e.nodeid, O_RDWR, &err);
	ck_assert_int_eq(err, -EROFS);
	do_open(e.nodeid, O_RDONLY | O_TRUNC, &err);
	ck_assert_int_eq(err, -EROFS);
	fh = do_open(e.nodeid, O_RDONLY, &err);
	ck_assert_int_eq(err, 0);
	r = do_write(e.nodeid, fh, 0, "x", 1);
	ck_assert_int_eq(r.h.error, -EROFS);
	r = call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, NULL);
	ck_assert_int_eq(r.h.error, -EROFS);
	r = do_read(e.nodeid, fh, 0, 100);
	ck_assert_uint_eq(r.body_len, 13);
}
END_TEST

/* fd exhaustion (every known inode holds an fd): errors to the guest, recovery after FORGET. */
START_TEST(test_fd_exhaustion)
{
	struct rlimit rl = { 64, 64 };
	struct fuse_entry_out e;
	struct fuse_forget_in fin = { .nlookup = 1 };
	uint64_t ids[200];
	int n = 0, err = 0;
	char name[32];

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		ck_assert_int_eq(tf_write_file(root, name, "x", 1), 0);
	}
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "f%03d", i);
		ids[n] = lookup(FUSE_ROOT_ID, name, &e, &err);
		if (err) {
			ck_assert_int_eq(err, -EMFILE);
			break;
		}
		n++;
	}
	ck_assert_int_lt(n, 200);
	ck_assert_int_gt(n, 10);
	for (int i = 0; i < n; i++)
		call(FUSE_FORGET, ids[i], &fin, sizeof(fin), NULL, NULL);
	must_lookup(FUSE_ROOT_ID, "f199", &e);
}
END_TEST

/* ---- concurrency: the request queues' worker threads share the tables ---- */

static void *hammer(void *arg)
{
	uint8_t *out = malloc(64 * 1024), req[256];
	struct fuse_in_header *h = (void *)req;
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 2000; i++) {
		struct iovec iov = { out, 64 * 1024 };
		struct fuse_out_header oh;
		struct fuse_entry_out e;
		struct fuse_open_out o;
		struct fuse_open_in oin = { .flags = O_RDONLY };
		struct fuse_read_in rin = { .size = 100 };
		struct fuse_release_in rel = { 0 };
		struct fuse_forget_in fin = { .nlookup = 1 };

		*h = (struct fuse_in_header){ .len = sizeof(*h) + 10, .opcode = FUSE_LOOKUP,
					      .unique = 1, .nodeid = FUSE_ROOT_ID };
		memcpy(req + sizeof(*h), "hello.txt", 10);
		vfsd_dispatch(fs, req, h->len, &iov, 1);
		memcpy(&oh, out, sizeof(oh));
		if (oh.error) {
			bad++;
			continue;
		}
		memcpy(&e, out + sizeof(oh), sizeof(e));
		*h = (struct fuse_in_header){ .len = sizeof(*h) + sizeof(oin), .opcode = FUSE_OPEN,
					      .unique = 2, .nodeid = e.nodeid };
		memcpy(req + sizeof(*h), &oin, sizeof(oin));
		vfsd_dispatch(fs, req, h->len, &iov, 1);
		memcpy(&oh, out, sizeof(oh));
		memcpy(&o, out + sizeof(oh), sizeof(o));
		bad += oh.error != 0;
		rin.fh = rel.fh = o.fh;
		*h = (struct fuse_in_header){ .len = sizeof(*h) + sizeof(rin), .opcode = FUSE_READ,
					      .unique = 3, .nodeid = e.nodeid };
		memcpy(req + sizeof(*h), &rin, sizeof(rin));
		vfsd_dispatch(fs, req, h->len, &iov, 1);
		memcpy(&oh, out, sizeof(oh));
		bad += oh.error != 0 || oh.len != sizeof(oh) + 13;
		*h = (struct fuse_in_header){ .len = sizeof(*h) + sizeof(rel),
					      .opcode = FUSE_RELEASE, .unique = 4,
					      .nodeid = e.nodeid };
		memcpy(req + sizeof(*h), &rel, sizeof(rel));
		vfsd_dispatch(fs, req, h->len, &iov, 1);
		*h = (struct fuse_in_header){ .len = sizeof(*h) + sizeof(fin), .opcode = FUSE_FORGET,
					      .unique = 5, .nodeid = e.nodeid };
		memcpy(req + sizeof(*h), &fin, sizeof(fin));
		vfsd_dispatch(fs, req, h->len, &iov, 1);
	}
	free(out);
	return (void *)bad;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	void *bad;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		ck_assert_int_eq((long)bad, 0);
	}
	ck_assert_uint_eq(vfsd_nr_handles(fs), 0);
	ck_assert_uint_eq(vfsd_nr_inodes(fs), 1);
}
END_TEST

/* ---- DAX with an in-process fake window (what the front-end does with MAP_FIXED) ---- */

static uint8_t *window;
static uint64_t window_size;
static int fake_maps, fake_unmaps, fake_fail, fake_unmap_fail;

static int fake_map_fd, fake_map_acc;   /* the last map's fd and its access mode */
static ino_t fake_map_ino;

static int fake_map(void *opaque, int fd, uint64_t fd_off, uint64_t shm_off, uint64_t len,
		    bool rw)
{
	struct stat st;

	(void)opaque;
	if (fake_fail)
		return -ENOMEM;
	fake_map_fd = fd;
	fake_map_acc = fcntl(fd, F_GETFL) & O_ACCMODE;
	fake_map_ino = fstat(fd, &st) ? 0 : st.st_ino;
	if (mmap(window + shm_off, len, PROT_READ | (rw ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED, fd, (off_t)fd_off) == MAP_FAILED)
		return -errno;
	fake_maps++;
	return 0;
}

static int fake_unmap(void *opaque, uint64_t shm_off, uint64_t len)
{
	(void)opaque;
	if (fake_unmap_fail)
		return -EIO;
	if (mmap(window + shm_off, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		return -errno;
	fake_unmaps++;
	return 0;
}

static const struct vfsd_dax_ops fake_dax = { fake_map, fake_unmap, NULL };

static void dax_fs(uint64_t size)
{
	vfsd_destroy(fs);
	window_size = size;
	window = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(window, MAP_FAILED);
	fake_maps = fake_unmaps = fake_fail = fake_unmap_fail = 0;
	new_fs(false, size, &fake_dax);
	do_init(FUSE_MAP_ALIGNMENT);
}

static struct reply setupmapping(uint64_t nodeid, uint64_t foff, uint64_t moff, uint64_t len,
				 uint64_t flags)
{
	struct fuse_setupmapping_in in = { .fh = UINT64_MAX, .foffset = foff, .len = len,
					   .flags = flags, .moffset = moff };

	return call(FUSE_SETUPMAPPING, nodeid, &in, sizeof(in), NULL, NULL);
}

static struct reply removemapping(uint64_t moff, uint64_t len, uint32_t count)
{
	struct {
		struct fuse_removemapping_in in;
		struct fuse_removemapping_one one;
	} __attribute__((packed)) rm = { { count }, { moff, len } };

	return call(FUSE_REMOVEMAPPING, 0, &rm, sizeof(rm), NULL, NULL);
}

START_TEST(test_dax)
{
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ, W = FUSE_SETUPMAPPING_FLAG_WRITE;
	struct fuse_init_in in = { .major = 7, .minor = 36, .flags = FUSE_MAP_ALIGNMENT };
	struct fuse_init_out o;
	struct fuse_entry_out e;
	char p[512], big[4 * MiB / 1024];
	const struct vfsd_stats *s;
	struct reply r;
	int fd;

	dax_fs(2000 * MiB);
	r = call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);
	memcpy(&o, r.body, sizeof(o));
	ck_assert(o.flags & FUSE_MAP_ALIGNMENT);
	ck_assert_uint_eq(o.map_alignment, 21);
	/* A 4 MiB file with a pattern. */
	snprintf(p, sizeof(p), "%s/big", root);
	fd = open(p, O_CREAT | O_RDWR, 0644);
	for (int i = 0; i < 1024; i++) {
		memset(big, 'A' + i % 26, sizeof(big));
		ck_assert_int_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	}
	must_lookup(FUSE_ROOT_ID, "big", &e);
	/* Map the second 2 MiB of the file read-only at window chunk 3. */
	r = setupmapping(e.nodeid, 2 * MiB, 6 * MiB, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_int_eq(window[6 * MiB], 'A' + 512 % 26);
	ck_assert_int_eq(window[8 * MiB - 1], 'A' + 1023 % 26);
	/* Upgrade to RW at the same offset: unmap then map. */
	r = setupmapping(e.nodeid, 2 * MiB, 6 * MiB, 2 * MiB, R | W);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_int_eq(fake_unmaps, 1);
	ck_assert_int_eq(fake_maps, 2);
	window[6 * MiB] = 'z';
	ck_assert_int_eq(pread(fd, big, 1, 2 * MiB), 1);
	ck_assert_int_eq(big[0], 'z');
	s = vfsd_get_stats(fs);
	ck_assert_uint_eq(s->live_mappings, 1);
	/* Remove: no longer mapped. */
	r = removemapping(6 * MiB, 2 * MiB, 1);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(s->live_mappings, 0);
	r = removemapping(6 * MiB, 2 * MiB, 1);
	ck_assert_int_eq(r.h.error, -ENOENT);
	/* Past EOF of a small file. */
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	r = setupmapping(e.nodeid, 0, 0, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert(memcmp(window, "hello, world\n", 13) == 0);
	r = setupmapping(e.nodeid, 64 * MiB, 2 * MiB, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, 0);
	/* Bad ranges and flags. */
	r = setupmapping(e.nodeid, 0, 1 * MiB, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(e.nodeid, 0, 2000 * MiB, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(e.nodeid, 0, 1998 * MiB, 4 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(e.nodeid, 100, 0, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(e.nodeid, 0, 0, 2 * MiB, 4);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(e.nodeid, UINT64_MAX - 4095, 0, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = setupmapping(FUSE_ROOT_ID, 0, 0, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -EINVAL);
	r = removemapping(0, 2 * MiB, 300);
	ck_assert_int_eq(r.h.error, -EINVAL);
	/* Front-end failure is reported to the guest. */
	fake_fail = 1;
	r = setupmapping(e.nodeid, 0, 10 * MiB, 2 * MiB, R);
	ck_assert_int_eq(r.h.error, -ENOMEM);
	fake_fail = 0;
	/* 1,000 chunks at once. */
	for (uint64_t i = 0; i < 1000; i++) {
		r = setupmapping(e.nodeid, 0, i * 2 * MiB, 2 * MiB, R);
		ck_assert_int_eq(r.h.error, 0);
	}
	ck_assert_uint_eq(s->live_mappings, 1000);
	ck_assert_int_eq(window[999 * 2 * MiB + 4], 'o');
	/* DESTROY drops everything. */
	r = call(FUSE_DESTROY, 0, NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(s->live_mappings, 0);
	close(fd);
	munmap(window, window_size);
}
END_TEST

/* The front-end dropped mappings behind our back (reset): records must not wedge the window. */
START_TEST(test_dax_stale_records)
{
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ;
	struct fuse_init_in in = { .major = 7, .minor = 36, .flags = FUSE_MAP_ALIGNMENT };
	const struct vfsd_stats *s;
	struct fuse_entry_out e;
	struct reply r;

	dax_fs(16 * MiB);
	s = vfsd_get_stats(fs);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	ck_assert_int_eq(setupmapping(e.nodeid, 0, 0, 2 * MiB, R).h.error, 0);
	ck_assert_int_eq(setupmapping(e.nodeid, 0, 4 * MiB, 2 * MiB, R).h.error, 0);
	fake_unmap_fail = 1;
	/* Replacing over a mapping the front-end no longer has still works. */
	r = setupmapping(e.nodeid, 0, 0, 2 * MiB, R | FUSE_SETUPMAPPING_FLAG_WRITE);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(s->live_mappings, 2);
	/* An explicit REMOVEMAPPING reports the refusal but forgets the record. */
	r = removemapping(4 * MiB, 2 * MiB, 1);
	ck_assert_int_eq(r.h.error, -EIO);
	ck_assert_uint_eq(s->live_mappings, 1);
	/* A new session (INIT) drops every record. */
	fake_unmap_fail = 0;
	r = call(FUSE_INIT, 0, &in, sizeof(in), NULL, NULL);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(s->live_mappings, 0);
	munmap(window, window_size);
}
END_TEST

START_TEST(test_dax_readonly)
{
	struct fuse_entry_out e;
	struct reply r;

	vfsd_destroy(fs);
	window_size = 8 * MiB;
	window = mmap(NULL, window_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	new_fs(true, window_size, &fake_dax);
	do_init(FUSE_MAP_ALIGNMENT);
	must_lookup(FUSE_ROOT_ID, "hello.txt", &e);
	r = setupmapping(e.nodeid, 0, 0, 2 * MiB,
			 FUSE_SETUPMAPPING_FLAG_READ | FUSE_SETUPMAPPING_FLAG_WRITE);
	ck_assert_int_eq(r.h.error, -EROFS);
	r = setupmapping(e.nodeid, 0, 0, 2 * MiB, FUSE_SETUPMAPPING_FLAG_READ);
	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_eq(vfsd_dax_drop_all(fs), 0);
	munmap(window, window_size);
}
END_TEST

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * SETUPMAPPING keeps the fd it opened for the inode's next chunks (dax_fds.c): the same fd,
 * of the right file and access mode, at most VFSD_DAX_FDS of them, closed when the inode is
 * forgotten and at reset.
 */
START_TEST(test_dax_fd_cache)
{
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ, W = FUSE_SETUPMAPPING_FLAG_WRITE;
	struct fuse_forget_in fin = { .nlookup = 1 };
	struct fuse_entry_out e[VFSD_DAX_FDS + 4];
	int base, first;

	dax_fs(2 * (VFSD_DAX_FDS + 4) * 2 * MiB);
	for (unsigned int i = 0; i < VFSD_DAX_FDS + 4; i++) {
		char p[512], name[16];
		int fd;

		snprintf(name, sizeof(name), "dax%u", i);
		snprintf(p, sizeof(p), "%s/%s", root, name);
		fd = open(p, O_CREAT | O_RDWR, 0644);
		ck_assert_int_eq(ftruncate(fd, 4 * MiB), 0);
		close(fd);
		must_lookup(FUSE_ROOT_ID, name, &e[i]);
	}
	base = open_fds();
	/* two chunks of one file: one open, the same fd; read-write is another fd, O_RDWR */
	ck_assert_int_eq(setupmapping(e[0].nodeid, 0, 0, 2 * MiB, R).h.error, 0);
	first = fake_map_fd;
	ck_assert_uint_eq(fake_map_ino, e[0].attr.ino);
	ck_assert_int_eq(fake_map_acc, O_RDONLY);
	ck_assert_int_eq(removemapping(0, 2 * MiB, 1).h.error, 0);
	ck_assert_int_eq(setupmapping(e[0].nodeid, 2 * MiB, 2 * MiB, 2 * MiB, R).h.error, 0);
	ck_assert_int_eq(fake_map_fd, first);
	ck_assert_int_eq(open_fds(), base + 1);
	ck_assert_int_eq(setupmapping(e[0].nodeid, 0, 0, 2 * MiB, R | W).h.error, 0);
	ck_assert_int_ne(fake_map_fd, first);
	ck_assert_int_eq(fake_map_acc, O_RDWR);
	ck_assert_uint_eq(fake_map_ino, e[0].attr.ino);
	ck_assert_int_eq(open_fds(), base + 2);
	/* more files than the cache: bounded, each map still gets its own file */
	for (unsigned int i = 1; i < VFSD_DAX_FDS + 4; i++) {
		ck_assert_int_eq(setupmapping(e[i].nodeid, 0, 2 * i * 2 * MiB, 2 * MiB, R).h.error,
				 0);
		ck_assert_uint_eq(fake_map_ino, e[i].attr.ino);
		ck_assert_int_le(open_fds(), base + VFSD_DAX_FDS);
	}
	ck_assert_int_eq(open_fds(), base + VFSD_DAX_FDS);
	/* the least recently used went first: file 0's fds; the newest is still cached */
	ck_assert_int_eq(setupmapping(e[VFSD_DAX_FDS + 3].nodeid, 2 * MiB,
				      2 * (VFSD_DAX_FDS + 3) * 2 * MiB + 2 * MiB, 2 * MiB, R).h.error, 0);
	ck_assert_int_eq(open_fds(), base + VFSD_DAX_FDS);
	/* forgetting an inode closes its cached fd with its O_PATH fd (no deleted file kept) */
	call(FUSE_FORGET, e[VFSD_DAX_FDS + 3].nodeid, &fin, sizeof(fin), NULL, NULL);
	ck_assert_int_eq(open_fds(), base + VFSD_DAX_FDS - 2);
	/* reset: no cached fd left (nor the inodes' O_PATH fds, which base counted) */
	vfsd_reset(fs);
	ck_assert_int_eq(open_fds(), base - (VFSD_DAX_FDS + 4));
	munmap(window, window_size);
}
END_TEST

static Suite *virtiofsd_suite(void)
{
	Suite *s = suite_create("virtiofsd");
	TCase *tc = tcase_create("fuse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_before_init);
	tcase_add_test(tc, test_lookup_getattr);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_open_read);
	tcase_add_test(tc, test_create_write);
	tcase_add_test(tc, test_mkdir_rename_unlink);
	tcase_add_test(tc, test_readdir);
	tcase_add_test(tc, test_statfs);
	tcase_add_test(tc, test_symlink_readlink);
	tcase_add_test(tc, test_escape_names);
	tcase_add_test(tc, test_escape_symlinks);
	tcase_add_test(tc, test_escape_links);
	tcase_add_test(tc, test_file_policy);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_dax);
	tcase_add_test(tc, test_dax_stale_records);
	tcase_add_test(tc, test_dax_readonly);
	tcase_add_test(tc, test_dax_fd_cache);
	suite_add_tcase(s, tc);
	/* valgrind refuses the setrlimit(RLIMIT_NOFILE) this needs: tests/run_valgrind.sh skips it. */
	tc = tcase_create("fd-exhaustion");
	tcase_set_tags(tc, "no-valgrind");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fd_exhaustion);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtiofsd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
