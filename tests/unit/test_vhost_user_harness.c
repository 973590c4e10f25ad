// SPDX-License-Identifier: MIT
/*
 * vhost-user-fs through the guest-driver harness and the real virtio-pci transport, against
 * Debian 12's virtiofsd: FUSE INIT, LOOKUP, GETATTR, OPEN, READ, WRITE, CREATE, READDIR, RELEASE
 * checked against the host directory; virtiofsd killed during I/O -> DEVICE_NEEDS_RESET with a
 * config interrupt while a virtio-blk device on the same bus keeps working; guest reset
 * reconnects to a restarted virtiofsd.
 */
#include <check.h>

#include "test_vhost_user_fuse.h"
#include "test_vhost_user_hfs.h"
#include "util/log.h"
#include "../harness/testfiles.h"

static struct tf_vfsd_dir td;
static pid_t vfsd;
static struct hfs fs;

static void setup(void)
{
	char err[256];

	ck_assert_int_eq(tf_vfsd_dir_create(&td, "/tmp/vu-hfs-XXXXXX"), 0);
	ck_assert_int_eq(tf_write_file(td.share, "hello.txt", "hello from the host\n", 20), 0);
	vfsd = virtiofsd_start(td.sock, td.share, td.vlog);
	ck_assert_int_gt(vfsd, 0);
	ck_assert_msg(hfs_open(&fs, td.sock, 1000, err, sizeof(err)) == 0, "open: %s", err);
}

static void teardown(void)
{
	hfs_close(&fs);
	virtiofsd_stop(vfsd);
	if (tf_rm_rf(td.dir))
		fprintf(stderr, "cleanup of %s failed\n", td.dir);
}

static void release(uint32_t opcode, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };
	int32_t err = -1;

	ck_assert_int_eq(hfs_call(&fs, opcode, nodeid, &in, sizeof(in), NULL, 0, 4096, &err), 16);
	ck_assert_int_eq(err, 0);
}

START_TEST(test_config_space)
{
	char tag[8] = { 0 };

	for (int i = 0; i < 8; i++)
		tag[i] = (char)hvirtio_config_read(&fs.v, (uint32_t)i, 1);
	ck_assert_str_eq(tag, "share");
	ck_assert_uint_eq(hvirtio_config_read(&fs.v, 36, 4), 1);
	ck_assert_uint_eq(fs.v.nr_queues, 2);
	ck_assert(!(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

START_TEST(test_fuse_ops)
{
	struct fuse_init_out init;
	struct fuse_entry_out e;
	struct fuse_attr_out attr;
	struct fuse_getattr_in gin = { 0 };
	struct fuse_read_in rin = { 0 };
	struct fuse_write_in win = { 0 };
	struct fuse_create_in cin = { .flags = O_RDWR, .mode = S_IFREG | 0644 };
	struct fuse_write_out wout;
	struct stat st;
	char path[160], buf[64];
	uint64_t node, fh;
	int32_t err = 0;
	int n, fd, found = 0;
	size_t off;

	ck_assert_int_eq(hfs_init(&fs, &init), 0);
	ck_assert_uint_eq(init.major, 7);

	node = hfs_lookup(&fs, "hello.txt", &e);
	ck_assert_uint_ne(node, 0);
	snprintf(path, sizeof(path), "%s/hello.txt", td.share);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(e.attr.ino, st.st_ino);
	n = hfs_call(&fs, FUSE_GETATTR, node, &gin, sizeof(gin), NULL, 0, 4096, &err);
	ck_assert_int_eq(n, 16 + (int)sizeof(attr));
	ck_assert_int_eq(err, 0);
	memcpy(&attr, fs.in + 16, sizeof(attr));
	ck_assert_uint_eq(attr.attr.size, 20);
	ck_assert_uint_eq(attr.attr.mode, st.st_mode);
	ck_assert_uint_eq(attr.attr.mtime, (uint64_t)st.st_mtime);

	fh = hfs_open_node(&fs, FUSE_OPEN, node, O_RDONLY);
	ck_assert_uint_ne(fh, ~0ull);
	rin.fh = fh;
	rin.size = 4096;
	n = hfs_call(&fs, FUSE_READ, node, &rin, sizeof(rin), NULL, 0, 8192, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(n, 16 + 20);
	ck_assert(!memcmp(fs.in + 16, "hello from the host\n", 20));
	release(FUSE_RELEASE, node, fh);

	n = hfs_call(&fs, FUSE_CREATE, FUSE_ROOT_ID, &cin, sizeof(cin), "made.txt", 9, 4096, &err);
	ck_assert_int_eq(err, 0);
	memcpy(&e, fs.in + 16, sizeof(e));
	memcpy(&fh, fs.in + 16 + sizeof(e), sizeof(fh));
	win.fh = fh;
	win.size = 14;
	n = hfs_call(&fs, FUSE_WRITE, e.nodeid, &win, sizeof(win), "from the guest", 14, 4096, &err);
	ck_assert_int_eq(err, 0);
	memcpy(&wout, fs.in + 16, sizeof(wout));
	ck_assert_uint_eq(wout.size, 14);
	release(FUSE_RELEASE, e.nodeid, fh);
	snprintf(path, sizeof(path), "%s/made.txt", td.share);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 14);
	ck_assert(!memcmp(buf, "from the guest", 14));
	close(fd);

	fh = hfs_open_node(&fs, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY);
	ck_assert_uint_ne(fh, ~0ull);
	memset(&rin, 0, sizeof(rin));
	rin.fh = fh;
	rin.size = 4096;
	n = hfs_call(&fs, FUSE_READDIR, FUSE_ROOT_ID, &rin, sizeof(rin), NULL, 0, 8192, &err);
	ck_assert_int_eq(err, 0);
	for (off = 16; off + FUSE_NAME_OFFSET <= (size_t)n;) {
		struct fuse_dirent *d = (struct fuse_dirent *)(fs.in + off);

		if ((d->namelen == 9 && !memcmp(d->name, "hello.txt", 9)) ||
		    (d->namelen == 8 && !memcmp(d->name, "made.txt", 8)))
			found++;
		off += FUSE_DIRENT_SIZE(d);
	}
	ck_assert_int_eq(found, 2);
	release(FUSE_RELEASEDIR, FUSE_ROOT_ID, fh);
}
END_TEST

START_TEST(test_kill_during_io)
{
	static char big[1 << 20], sector[4096];
	struct fuse_init_out init;
	struct fuse_entry_out e;
	struct fuse_read_in rin = { 0 };
	char *img = harness_temp_image(1 << 20, 7);
	struct hblk blk;
	int32_t err;
	uint64_t node;
	int slot, n, ok = 0;

	/* A second device on the same bus: must keep working after the back-end dies. */
	ck_assert_ptr_nonnull(img);
	slot = harness_add_blk(fs.h, img, false, "other");
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(hblk_init(&blk, fs.h, (unsigned int)slot, 1), 0);

	memset(big, 'y', sizeof(big));
	ck_assert_int_eq(tf_write_file(td.share, "big", big, sizeof(big)), 0);
	ck_assert_int_eq(hfs_init(&fs, &init), 0);
	node = hfs_lookup(&fs, "big", &e);
	rin.fh = hfs_open_node(&fs, FUSE_OPEN, node, O_RDONLY);
	rin.size = 128 * 1024;
	fs.timeout_ms = 500;
	hvirtio_vector_fired(&fs.v, 0);
	for (int i = 0; i < 100; i++) {
		if (i == 10)
			kill(vfsd, SIGKILL);
		rin.offset = (uint64_t)(i % 8) * 128 * 1024;
		n = hfs_call(&fs, FUSE_READ, node, &rin, sizeof(rin), NULL, 0, 256 * 1024, &err);
		if (n < 0)
			break;
		ok++;
	}
	ck_assert_int_ge(ok, 10);
	waitpid(vfsd, NULL, 0);
	vfsd = -1;
	for (int i = 0; i < 200 && !(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	ck_assert(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert(hvirtio_wait_vector(&fs.v, 0, 1000));
	ck_assert(vhost_user_backend_dead(fs.dev));

	/* The VMM and the other device live on. */
	ck_assert_int_eq(hblk_read(&blk, 0, 0, sector, sizeof(sector)), 0);
	ck_assert_uint_eq((uint8_t)sector[5], harness_pattern_byte(7, 5));
	/* Guest resets the fs device: no back-end, so it cannot start again. */
	ck_assert_int_eq(hvirtio_reset(&fs.v), 0);
	ck_assert_int_lt(hvirtio_start(&fs.v, hvirtio_device_features(&fs.v) &
				       ~(1ull << VIRTIO_RING_F_EVENT_IDX), 2), 0);
	hvirtio_cleanup(&blk.v);
	unlink(img);
	free(img);
}
END_TEST

START_TEST(test_reset_reconnects)
{
	struct fuse_init_out init;

	ck_assert_int_eq(hfs_init(&fs, &init), 0);
	virtiofsd_stop(vfsd);
	for (int i = 0; i < 200 && !(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	ck_assert(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	vfsd = virtiofsd_start(td.sock, td.share, td.vlog);
	usleep(100000);
	ck_assert_int_eq(hvirtio_reset(&fs.v), 0);
	hvirtio_cleanup(&fs.v);
	ck_assert_int_eq(hvirtio_init(&fs.v, fs.h, (unsigned int)fs.slot), 0);
	ck_assert_int_eq(hvirtio_start(&fs.v, hvirtio_device_features(&fs.v) &
				       ~(1ull << VIRTIO_RING_F_EVENT_IDX), 2), 0);
	ck_assert(!(hvirtio_get_status(&fs.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
	ck_assert_int_eq(hfs_init(&fs, &init), 0);
	ck_assert_uint_eq(init.major, 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_harness");
	TCase *tc = tcase_create("virtiofsd");
	SRunner *sr;
	int failed;

	if (access(VIRTIOFSD, X_OK)) {
		fprintf(stderr, "FAIL: %s is missing (package qemu-system-common)\n", VIRTIOFSD);
		return 1;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_config_space);
	tcase_add_test(tc, test_fuse_ops);
	tcase_add_test(tc, test_kill_during_io);
	tcase_add_test(tc, test_reset_reconnects);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
