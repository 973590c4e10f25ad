// SPDX-License-Identifier: MIT
/*
 * microvm's vhost-user-fs front-end (src/vhost_user) talking to the microvm-virtiofsd program
 * over a real socket, driven by the test-only virtio-fs driver of test_vhost_user_fuse.h over
 * harness guest RAM: a FUSE session compared with the host directory, and DAX through the
 * front-end's shm region 0 (the host range the guest sees through the window's memslot).
 *
 * Runs the microvm-virtiofsd program ($VIRTIOFSD_BIN, $BUILD/ or build/); before it is built,
 * the same library code (vfsd_device + vub_serve) in a forked child.
 */
#include <check.h>
#include <dirent.h>
#include <sys/statvfs.h>

#include "mm/shm_region.h"
#include "test_vhost_user_fuse.h"
#include "../harness/testfiles.h"
#include "vhost_user/shmem.h"
#include "virtiofsd/vfsd_device.h"

#define MiB (1ull << 20)
#define WINDOW (2048 * MiB)

static char root[64];
static char sock[96];
static char logpath[96];
static pid_t daemon_pid;
static struct fdrv d;

/* Without the program (make unit-test before make all): the same library code in a child. */
static void __attribute__((noreturn)) daemon_child(uint64_t cache_size)
{
	struct vfsd_device_options o = { .shared_dir = root, .tag = "share",
					 .cache_size = cache_size, .threads = 1 };
	struct vfsd_device dev;
	int lfd, cfd;

	if (vfsd_device_init(&dev, &o) < 0)
		_exit(1);
	lfd = vub_listen(sock, NULL, 0);
	cfd = lfd < 0 ? -1 : vub_accept(lfd);
	if (cfd < 0)
		_exit(1);
	close(lfd);
	_exit(vub_serve(dev.vub, cfd) < 0 ? 1 : 0);
}

static pid_t daemon_start(uint64_t cache_size)
{
	const char *bin = microvm_virtiofsd_bin();
	char cs[32];
	pid_t pid;

	snprintf(cs, sizeof(cs), "%lluM", (unsigned long long)(cache_size >> 20));
	if (bin)
		return microvm_virtiofsd_start(bin, sock, root, cs, logpath);
	pid = fork();
	if (pid == 0) {
		daemon_log_to(logpath);
		daemon_child(cache_size);
	}
	return pid;
}

/* fdrv_open with a DAX window. */
static int open_dax(uint64_t cache_size, char *err, size_t errlen)
{
	struct vhost_user_fs_config cfg = {
		.socket = sock, .tag = "share", .num_request_queues = 1, .queue_size = 1024,
		.connect_timeout_ms = 5000, .cache_size = cache_size,
	};
	int r;

	memset(&d, 0, sizeof(d));
	r = vm_init_harness(&d.vm, FDRV_RAM);
	if (r)
		return r;
	d.timeout_ms = 5000;
	d.dev = vhost_user_fs_create(&d.vm, &cfg, err, errlen);
	if (!d.dev)
		return -EIO;
	d.out = guest_mem_ptr(&d.vm.mem, FDRV_BUF_GPA, FDRV_BUF_SIZE);
	d.in = guest_mem_ptr(&d.vm.mem, FDRV_BUF_GPA + FDRV_BUF_SIZE, FDRV_BUF_SIZE);
	return fdrv_start(&d);
}

static void setup(void)
{
	char err[256] = "";
	struct fuse_init_out io;
	struct {
		uint32_t major, minor, max_readahead, flags;
	} in = { 7, 31, 1 << 20, FUSE_MAP_ALIGNMENT | FUSE_DO_READDIRPLUS };
	int32_t e;

	strcpy(root, "/tmp/vfsd-h-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(sock, sizeof(sock), "%s.sock", root);
	snprintf(logpath, sizeof(logpath), "%s.log", root);
	ck_assert_int_eq(tf_write_file(root, "hello.txt", "hello, world\n", 13), 0);
	daemon_pid = daemon_start(WINDOW);
	ck_assert_msg(open_dax(WINDOW, err, sizeof(err)) == 0, "front-end: %s", err);
	ck_assert_int_ge(fdrv_call(&d, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, 4096, &e), 16);
	ck_assert_int_eq(e, 0);
	memcpy(&io, d.in + sizeof(struct fuse_out_header), sizeof(io));
	ck_assert(io.flags & FUSE_MAP_ALIGNMENT);
	ck_assert_uint_eq(io.map_alignment, 21);
}

static void teardown(void)
{
	int status;

	fdrv_close(&d);
	/* The daemon exits 0 when the front-end disconnects. */
	for (int i = 0; i < 500 && waitpid(daemon_pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(daemon_pid, &status, WNOHANG) == 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, &status, 0);
		ck_abort_msg("microvm-virtiofsd did not exit after disconnect");
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(tf_rm_rf(root), 0);
	ck_assert_int_eq(tf_rm_rf(sock), 0);
	ck_assert_int_eq(tf_rm_rf(logpath), 0);
}

static void *body(void)
{
	return d.in + sizeof(struct fuse_out_header);
}

static uint64_t lookup(uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	int32_t err;
	int n = fdrv_call(&d, FUSE_LOOKUP, parent, name, (uint32_t)strlen(name) + 1, NULL, 0,
			  4096, &err);

	ck_assert_int_ge(n, 16);
	ck_assert_msg(err == 0, "lookup %s: %d", name, err);
	memcpy(e, body(), sizeof(*e));
	return e->nodeid;
}

static uint64_t open_fh(uint64_t nodeid, uint32_t flags)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out o;
	int32_t err;

	ck_assert_int_ge(fdrv_call(&d, FUSE_OPEN, nodeid, &in, sizeof(in), NULL, 0, 4096, &err),
			 16);
	ck_assert_int_eq(err, 0);
	memcpy(&o, body(), sizeof(o));
	return o.fh;
}

START_TEST(test_fuse_session)
{
	struct fuse_entry_out e, dir;
	struct fuse_read_in rd = { 0 };
	char p[256], buf[64] = { 0 };
	struct stat st;
	int32_t err;
	int n;

	/* LOOKUP + OPEN + READ */
	lookup(FUSE_ROOT_ID, "hello.txt", &e);
	snprintf(p, sizeof(p), "%s/hello.txt", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(e.attr.ino, st.st_ino);
	rd.fh = open_fh(e.nodeid, O_RDONLY);
	rd.size = 4096;
	n = fdrv_call(&d, FUSE_READ, e.nodeid, &rd, sizeof(rd), NULL, 0, 8192, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(n, 16 + 13);
	ck_assert(memcmp(body(), "hello, world\n", 13) == 0);
	/* MKDIR, CREATE + WRITE inside it */
	{
		struct fuse_mkdir_in mk = { .mode = 0755 };

		n = fdrv_call(&d, FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "dir", 4, 4096, &err);
		ck_assert_int_eq(err, 0);
		memcpy(&dir, body(), sizeof(dir));
	}
	{
		struct fuse_create_in ci = { .flags = O_RDWR, .mode = 0644 };
		struct fuse_write_in wi = { .size = 5 };
		uint8_t wbuf[sizeof(wi) + 5];
		struct fuse_open_out oo;

		n = fdrv_call(&d, FUSE_CREATE, dir.nodeid, &ci, sizeof(ci), "f", 2, 4096, &err);
		ck_assert_int_eq(err, 0);
		memcpy(&e, body(), sizeof(e));
		memcpy(&oo, (uint8_t *)body() + sizeof(e), sizeof(oo));
		wi.fh = oo.fh;
		memcpy(wbuf, &wi, sizeof(wi));
		memcpy(wbuf + sizeof(wi), "guest", 5);
		n = fdrv_call(&d, FUSE_WRITE, e.nodeid, wbuf, sizeof(wbuf), NULL, 0, 4096, &err);
		ck_assert_int_eq(err, 0);
		snprintf(p, sizeof(p), "%s/dir/f", root);
		ck_assert_int_eq(open(p, O_RDONLY) >= 0, 1);
		{
			int fd = open(p, O_RDONLY);

			ck_assert_int_eq(read(fd, buf, sizeof(buf)), 5);
			close(fd);
		}
		ck_assert_str_eq(buf, "guest");
	}
	/* RENAME dir/f -> g, UNLINK g */
	{
		struct fuse_rename_in rn = { .newdir = FUSE_ROOT_ID };

		n = fdrv_call(&d, FUSE_RENAME, dir.nodeid, &rn, sizeof(rn), "f\0g", 4, 4096, &err);
		ck_assert_int_eq(err, 0);
		snprintf(p, sizeof(p), "%s/g", root);
		ck_assert_int_eq(stat(p, &st), 0);
		n = fdrv_call(&d, FUSE_UNLINK, FUSE_ROOT_ID, "g", 2, NULL, 0, 4096, &err);
		ck_assert_int_eq(err, 0);
		ck_assert_int_eq(stat(p, &st), -1);
	}
	/* READDIR vs host listing */
	{
		struct fuse_open_in oi = { 0 };
		struct fuse_open_out oo;
		struct fuse_read_in ri = { .size = 4096 };
		int count = 0, host = 0;
		size_t pos = 0;
		DIR *dd;

		n = fdrv_call(&d, FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), NULL, 0, 4096, &err);
		ck_assert_int_eq(err, 0);
		memcpy(&oo, body(), sizeof(oo));
		ri.fh = oo.fh;
		n = fdrv_call(&d, FUSE_READDIR, FUSE_ROOT_ID, &ri, sizeof(ri), NULL, 0, 8192, &err);
		ck_assert_int_eq(err, 0);
		while (pos < (size_t)n - 16) {
			struct fuse_dirent *de = (void *)((uint8_t *)body() + pos);

			count++;
			pos += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + de->namelen);
		}
		dd = opendir(root);
		while (readdir(dd))
			host++;
		closedir(dd);
		ck_assert_int_eq(count, host);
	}
	/* STATFS */
	{
		struct fuse_statfs_out so;
		struct statvfs sv;

		n = fdrv_call(&d, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, 0, 4096, &err);
		ck_assert_int_eq(err, 0);
		memcpy(&so, body(), sizeof(so));
		ck_assert_int_eq(statvfs(root, &sv), 0);
		ck_assert_uint_eq(so.st.blocks, sv.f_blocks);
	}
	/* An escape attempt through the real transport */
	n = fdrv_call(&d, FUSE_LOOKUP, FUSE_ROOT_ID, "../etc", 7, NULL, 0, 4096, &err);
	ck_assert_int_eq(err, -EINVAL);
}
END_TEST

/* One request that must succeed; returns the reply length. */
static int ok_call(uint32_t opcode, uint64_t nodeid, const void *arg, uint32_t len,
		   const void *arg2, uint32_t len2, const char *what)
{
	int32_t err = 0;
	int n = fdrv_call(&d, opcode, nodeid, arg, len, arg2, len2, 8192, &err);

	ck_assert_msg(n >= 16 && err == 0, "%s: reply %d, error %d (daemon log: %s)", what, n, err,
		      tf_count(logpath, "forbidden syscall") ? "seccomp trap" : "no trap");
	return n;
}

static uint64_t fh_of_reply(size_t off)
{
	struct fuse_open_out oo;

	memcpy(&oo, (uint8_t *)body() + off, sizeof(oo));
	return oo.fh;
}

/*
 * Every request type that reaches the file system, through the real program, which runs under
 * its seccomp profile (enforce by default): a syscall missing from the profile ends the daemon
 * and the request times out. Host-side effects are checked where a syscall could be faked.
 */
START_TEST(test_every_opcode_under_seccomp)
{
	struct fuse_entry_out e, c, dir;
	struct fuse_getattr_in ga = { 0 };
	struct fuse_setattr_in sa = { .valid = FATTR_MODE | FATTR_SIZE | FATTR_ATIME | FATTR_MTIME,
				      .mode = S_IFREG | 0600, .size = 5, .atime = 1000,
				      .mtime = 2000 };
	struct fuse_access_in ac = { .mask = R_OK };
	struct fuse_mknod_in mn = { .mode = S_IFIFO | 0644 };
	struct fuse_link_in ln;
	struct fuse_create_in ci = { .flags = O_RDWR, .mode = 0644 };
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct fuse_rename2_in rn = { .newdir = FUSE_ROOT_ID, .flags = RENAME_NOREPLACE };
	struct fuse_open_in oi = { 0 };
	struct fuse_read_in rd = { .size = 4096 };
	char p[256], target[64];
	struct stat st;
	uint64_t fh, dfh;
	int n;

	lookup(FUSE_ROOT_ID, "hello.txt", &e);
	ok_call(FUSE_GETATTR, e.nodeid, &ga, sizeof(ga), NULL, 0, "GETATTR");
	if (geteuid() == 0) {
		sa.valid |= FATTR_UID | FATTR_GID;
		sa.uid = 1;
		sa.gid = 2;
	}
	ok_call(FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), NULL, 0, "SETATTR");
	snprintf(p, sizeof(p), "%s/hello.txt", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_int_eq(st.st_mtime, 2000);
	if (geteuid() == 0)
		ck_assert(st.st_uid == 1 && st.st_gid == 2);
	ok_call(FUSE_ACCESS, FUSE_ROOT_ID, &ac, sizeof(ac), NULL, 0, "ACCESS");
	ok_call(FUSE_MKNOD, FUSE_ROOT_ID, &mn, sizeof(mn), "fifo", 5, "MKNOD");
	snprintf(p, sizeof(p), "%s/fifo", root);
	ck_assert(stat(p, &st) == 0 && S_ISFIFO(st.st_mode));
	ok_call(FUSE_SYMLINK, FUSE_ROOT_ID, "sl\0hello.txt", 13, NULL, 0, "SYMLINK");
	memcpy(&c, body(), sizeof(c));
	n = ok_call(FUSE_READLINK, c.nodeid, NULL, 0, NULL, 0, "READLINK");
	ck_assert_int_eq(n - 16, 9);
	memcpy(target, body(), 9);
	ck_assert(memcmp(target, "hello.txt", 9) == 0);
	ln.oldnodeid = e.nodeid;
	ok_call(FUSE_LINK, FUSE_ROOT_ID, &ln, sizeof(ln), "hl", 3, "LINK");
	snprintf(p, sizeof(p), "%s/hl", root);
	ck_assert(stat(p, &st) == 0 && st.st_nlink == 2);

	/* a file's life: CREATE, WRITE, FLUSH, FSYNC, FALLOCATE, LSEEK, READ, RELEASE */
	ok_call(FUSE_CREATE, FUSE_ROOT_ID, &ci, sizeof(ci), "c", 2, "CREATE");
	memcpy(&c, body(), sizeof(c));
	fh = fh_of_reply(sizeof(c));
	{
		struct fuse_write_in wi = { .fh = fh, .size = 8 };
		struct fuse_flush_in fl = { .fh = fh };
		struct fuse_fsync_in fs = { .fh = fh };
		struct fuse_fallocate_in fa = { .fh = fh, .offset = 0, .length = 65536 };
		struct fuse_lseek_in ls = { .fh = fh, .offset = 0, .whence = SEEK_DATA };
		struct fuse_release_in rl = { .fh = fh };

		ok_call(FUSE_WRITE, c.nodeid, &wi, sizeof(wi), "8 bytes!", 8, "WRITE");
		ok_call(FUSE_FLUSH, c.nodeid, &fl, sizeof(fl), NULL, 0, "FLUSH");
		ok_call(FUSE_FSYNC, c.nodeid, &fs, sizeof(fs), NULL, 0, "FSYNC");
		fs.fsync_flags = 1;      /* datasync */
		ok_call(FUSE_FSYNC, c.nodeid, &fs, sizeof(fs), NULL, 0, "FSYNC datasync");
		ok_call(FUSE_FALLOCATE, c.nodeid, &fa, sizeof(fa), NULL, 0, "FALLOCATE");
		ok_call(FUSE_LSEEK, c.nodeid, &ls, sizeof(ls), NULL, 0, "LSEEK");
		rd.fh = fh;
		n = ok_call(FUSE_READ, c.nodeid, &rd, sizeof(rd), NULL, 0, "READ");
		ck_assert_int_eq(n - 16, 4096);
		ck_assert(memcmp(body(), "8 bytes!", 8) == 0);
		ok_call(FUSE_RELEASE, c.nodeid, &rl, sizeof(rl), NULL, 0, "RELEASE");
	}
	snprintf(p, sizeof(p), "%s/c", root);
	ck_assert(stat(p, &st) == 0 && st.st_size == 65536);
	ok_call(FUSE_RENAME2, FUSE_ROOT_ID, &rn, sizeof(rn), "c\0c2", 5, "RENAME2");

	/* directories: MKDIR, OPENDIR, READDIRPLUS, FSYNCDIR, RELEASEDIR, RMDIR */
	ok_call(FUSE_MKDIR, FUSE_ROOT_ID, &mk, sizeof(mk), "d", 2, "MKDIR");
	memcpy(&dir, body(), sizeof(dir));
	ok_call(FUSE_OPENDIR, FUSE_ROOT_ID, &oi, sizeof(oi), NULL, 0, "OPENDIR");
	dfh = fh_of_reply(0);
	{
		struct fuse_fsync_in fs = { .fh = dfh };
		struct fuse_release_in rl = { .fh = dfh };

		rd.fh = dfh;
		n = ok_call(FUSE_READDIRPLUS, FUSE_ROOT_ID, &rd, sizeof(rd), NULL, 0, "READDIRPLUS");
		ck_assert_int_gt(n, 16);
		ok_call(FUSE_FSYNCDIR, FUSE_ROOT_ID, &fs, sizeof(fs), NULL, 0, "FSYNCDIR");
		ok_call(FUSE_RELEASEDIR, FUSE_ROOT_ID, &rl, sizeof(rl), NULL, 0, "RELEASEDIR");
	}
	ok_call(FUSE_RMDIR, FUSE_ROOT_ID, "d", 2, NULL, 0, "RMDIR");
	ok_call(FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, 0, "STATFS");
	for (const char *const *name = (const char *const[]){ "fifo", "sl", "hl", "c2", NULL };
	     *name; name++)
		ok_call(FUSE_UNLINK, FUSE_ROOT_ID, *name, (uint32_t)strlen(*name) + 1, NULL, 0,
			"UNLINK");
	snprintf(p, sizeof(p), "%s/c2", root);
	ck_assert_int_eq(stat(p, &st), -1);
	ck_assert_int_eq(tf_count(logpath, "forbidden syscall"), 0);
}
END_TEST

static int setupmapping(uint64_t nodeid, uint64_t foff, uint64_t moff, uint64_t flags)
{
	struct fuse_setupmapping_in in = { .fh = UINT64_MAX, .foffset = foff, .len = 2 * MiB,
					   .flags = flags, .moffset = moff };
	int32_t err;
	int n = fdrv_call(&d, FUSE_SETUPMAPPING, nodeid, &in, sizeof(in), NULL, 0, 4096, &err);

	ck_assert_int_ge(n, 16);
	return err;
}

static int removemapping(uint64_t moff)
{
	struct {
		struct fuse_removemapping_in in;
		struct fuse_removemapping_one one;
	} __attribute__((packed)) rm = { { 1 }, { moff, 2 * MiB } };
	int32_t err;
	int n = fdrv_call(&d, FUSE_REMOVEMAPPING, 0, &rm, sizeof(rm), NULL, 0, 4096, &err);

	ck_assert_int_ge(n, 16);
	return err;
}

static uint64_t live(void)
{
	struct shm_region_stats s;

	ck_assert_int_eq(vu_shmem_get_stats(to_vu_dev(d.dev), 0, &s), 0);
	return s.live;
}

START_TEST(test_dax)
{
	const uint64_t R = FUSE_SETUPMAPPING_FLAG_READ, W = FUSE_SETUPMAPPING_FLAG_WRITE;
	struct fuse_entry_out e, small;
	uint8_t *win, *data = malloc(4 * MiB), got;
	char p[256];
	int fd;

	ck_assert_uint_eq(d.dev->nr_shm, 1);
	ck_assert_uint_eq(d.dev->shm[0]->size, WINDOW);
	win = d.dev->shm[0]->hva;
	for (uint64_t i = 0; i < 4 * MiB; i++)
		data[i] = (uint8_t)((i * 0x9e3779b1u) >> 13 ^ i);
	ck_assert_int_eq(tf_write_file(root, "big", data, 4 * MiB), 0);
	lookup(FUSE_ROOT_ID, "big", &e);
	/* Read-only chunk: the file's second 2 MiB at window offset 10 MiB. */
	ck_assert_int_eq(setupmapping(e.nodeid, 2 * MiB, 10 * MiB, R), 0);
	ck_assert(memcmp(win + 10 * MiB, data + 2 * MiB, 2 * MiB) == 0);
	ck_assert_uint_eq(live(), 1);
	/* Upgrade to read-write at the same offset, write through the window. */
	ck_assert_int_eq(setupmapping(e.nodeid, 2 * MiB, 10 * MiB, R | W), 0);
	ck_assert_uint_eq(live(), 1);
	memcpy(win + 10 * MiB + 100, "DAXWRITE", 8);
	snprintf(p, sizeof(p), "%s/big", root);
	fd = open(p, O_RDONLY);
	{
		char b[8];

		ck_assert_int_eq(pread(fd, b, 8, 2 * MiB + 100), 8);
		ck_assert(memcmp(b, "DAXWRITE", 8) == 0);
	}
	/* Host change visible through the shared mapping. */
	{
		int wfd = open(p, O_WRONLY);

		ck_assert_int_eq(pwrite(wfd, "HOST", 4, 3 * MiB), 4);
		close(wfd);
		ck_assert(memcmp(win + 11 * MiB, "HOST", 4) == 0);
	}
	/* REMOVEMAPPING: the window reads zeros there again. */
	ck_assert_int_eq(removemapping(10 * MiB), 0);
	ck_assert_uint_eq(live(), 0);
	got = win[10 * MiB + 100];
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(removemapping(10 * MiB), -ENOENT);
	/* A chunk past EOF of a small file. */
	lookup(FUSE_ROOT_ID, "hello.txt", &small);
	ck_assert_int_eq(setupmapping(small.nodeid, 0, 0, R), 0);
	ck_assert(memcmp(win, "hello, world\n", 13) == 0);
	/* Rest of the last page reads zeros (pages past EOF are never touched: SIGBUS on the
	 * host, like a guest access past EOF of any file mapping). */
	ck_assert_uint_eq(win[4095], 0);
	ck_assert_int_eq(setupmapping(small.nodeid, 64 * MiB, 2 * MiB, R), 0);
	/* Out of the window. */
	ck_assert_int_eq(setupmapping(small.nodeid, 0, WINDOW, R), -EINVAL);
	/* 1,000 chunks at once (2 already live). */
	for (uint64_t i = 2; i < 1002; i++)
		ck_assert_int_eq(setupmapping(e.nodeid, (i % 2) * 2 * MiB, i * 2 * MiB, R), 0);
	ck_assert_uint_eq(live(), 1002);
	ck_assert(memcmp(win + 1001 * 2 * MiB + 8192, data + 2 * MiB + 8192, 4096) == 0);
	ck_assert(memcmp(win + 1000 * 2 * MiB + 8192, data + 8192, 4096) == 0);
	/* DESTROY unmaps everything through the front-end. */
	{
		int32_t err;

		ck_assert_int_ge(fdrv_call(&d, FUSE_DESTROY, 0, NULL, 0, NULL, 0, 4096, &err), 16);
		ck_assert_int_eq(err, 0);
	}
	ck_assert_uint_eq(live(), 0);
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_dax_reset_drops)
{
	struct fuse_entry_out e;

	lookup(FUSE_ROOT_ID, "hello.txt", &e);
	for (uint64_t i = 0; i < 8; i++)
		ck_assert_int_eq(setupmapping(e.nodeid, 0, i * 2 * MiB, FUSE_SETUPMAPPING_FLAG_READ),
				 0);
	ck_assert_uint_eq(live(), 8);
	/* Device reset: the front-end drops every mapping (and tells the back-end). */
	d.dev->ops->reset(d.dev);
	ck_assert_uint_eq(live(), 0);
}
END_TEST

/*
 * --cache-size and the front-end's cache_size differ: the front-end compares its cache_size with
 * our GET_SHMEM_CONFIG answer and refuses the device with a message naming both; the daemon
 * then exits cleanly.
 */
START_TEST(test_window_mismatch)
{
	static const uint64_t sizes[2][2] = { { 64 * MiB, WINDOW }, { WINDOW, 64 * MiB } };
	char err[256], want[64];
	int status;

	for (int i = 0; i < 2; i++) {
		strcpy(root, "/tmp/vfsd-h-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(root));
		snprintf(sock, sizeof(sock), "%s.sock", root);
		snprintf(logpath, sizeof(logpath), "%s.log", root);
		daemon_pid = daemon_start(sizes[i][0]);
		err[0] = 0;
		ck_assert_int_ne(open_dax(sizes[i][1], err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "%llu MiB", (unsigned long long)(sizes[i][0] >> 20));
		ck_assert_msg(strstr(err, "cache_size") && strstr(err, want), "message: %s", err);
		vm_destroy(&d.vm);
		pid_t w = 0;

		for (int j = 0; j < 500 && (w = waitpid(daemon_pid, &status, WNOHANG)) == 0; j++)
			usleep(10000);
		ck_assert_int_eq(w, daemon_pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(tf_rm_rf(root), 0);
		ck_assert_int_eq(tf_rm_rf(sock), 0);
		ck_assert_int_eq(tf_rm_rf(logpath), 0);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtiofsd_harness");
	TCase *tc = tcase_create("frontend+daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuse_session);
	tcase_add_test(tc, test_every_opcode_under_seccomp);
	tcase_add_test(tc, test_dax);
	tcase_add_test(tc, test_dax_reset_drops);
	suite_add_tcase(s, tc);
	tc = tcase_create("window-mismatch");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window_mismatch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
