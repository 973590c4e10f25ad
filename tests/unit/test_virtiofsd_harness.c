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

#include "test_vhost_user_fuse.h"
#include "vhost_user/shmem.h"
#include "virtiofsd/vfsd_device.h"

#define MiB (1ull << 20)
#define WINDOW (2048 * MiB)

static char root[64];
static char sock[96];
static char logpath[96];
static pid_t daemon_pid;
static struct fdrv d;

/* The program if built ($VIRTIOFSD_BIN, $BUILD/, build/), else NULL. */
static const char *daemon_bin(void)
{
	static char path[300];
	const char *b = getenv("BUILD");

	if (getenv("VIRTIOFSD_BIN"))
		return getenv("VIRTIOFSD_BIN");
	snprintf(path, sizeof(path), "%s/microvm-virtiofsd", b ? b : "build");
	return access(path, X_OK) == 0 ? path : NULL;
}

/* Without the program (make unit-test before make all): the same library code in a child. */
static void __attribute__((noreturn)) daemon_child(uint64_t cache_size)
{
	struct vfsd_device_options o = { .shared_dir = root, .tag = "share",
					 .cache_size = cache_size, .threads = 1 };
	struct vfsd_device dev;
	int lfd, cfd;

	if (vfsd_device_init(&dev, &o) < 0)
		_exit(1);
	lfd = vub_listen(sock);
	cfd = lfd < 0 ? -1 : vub_accept(lfd);
	if (cfd < 0)
		_exit(1);
	close(lfd);
	_exit(vub_serve(dev.vub, cfd) < 0 ? 1 : 0);
}

static pid_t daemon_start(uint64_t cache_size)
{
	const char *bin = daemon_bin();
	char cs[32];
	pid_t pid;

	snprintf(cs, sizeof(cs), "%lluM", (unsigned long long)(cache_size >> 20));
	pid = fork();
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (!bin)
			daemon_child(cache_size);
		execl(bin, bin, "--socket-path", sock, "--shared-dir", root, "--tag", "share",
		      "--cache-size", cs, (char *)NULL);
		_exit(127);
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

static void host_write(const char *rel, const void *data, size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
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
	host_write("hello.txt", "hello, world\n", 13);
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
	char cmd[400];
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
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", root, sock, logpath);
	ck_assert_int_eq(system(cmd), 0);
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
	ck_assert_uint_eq(d.dev->shm[0].size, WINDOW);
	win = d.dev->shm[0].hva;
	for (uint64_t i = 0; i < 4 * MiB; i++)
		data[i] = (uint8_t)((i * 0x9e3779b1u) >> 13 ^ i);
	host_write("big", data, 4 * MiB);
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
	char err[256], want[64], cmd[400];
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
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", root, sock, logpath);
		ck_assert_int_eq(system(cmd), 0);
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
