// SPDX-License-Identifier: MIT
/*
 * Interop with a real back-end nobody here wrote: Debian 12's virtiofsd (QEMU 7.2,
 * /usr/lib/qemu/virtiofsd). Session level (features, protocol features, queues, memory slots),
 * then FUSE requests through the rings (INIT, LOOKUP, GETATTR, OPEN, READ, WRITE, CREATE,
 * OPENDIR/READDIR, RELEASE) checked against the host directory, then back-end death during I/O
 * (NEEDS_RESET, the process lives, one log line) and reconnection on reset.
 */
#include <check.h>
#include <dirent.h>
#include <valgrind/valgrind.h>

#include "test_vhost_user_fuse.h"
#include "security/seccomp.h"
#include "util/log.h"
#include "../harness/testfiles.h"

static struct tf_vfsd_dir td;
static char errlog[96];
static pid_t vfsd;
static struct fdrv drv;
static int saved_stderr = -1;

/* Sends stderr (the VMM log) to a file the test can grep. */
static void capture_log(void)
{
	int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/*
 * reconnect_ms is read by the device's backend-channel thread (when it marks the back-end dead), so
 * it is set at creation, never written while that thread runs.
 */
static void setup_with(uint32_t reconnect_ms)
{
	char err[256];

	ck_assert_int_eq(tf_vfsd_dir_create(&td, "/tmp/vu-vfsd-XXXXXX"), 0);
	snprintf(errlog, sizeof(errlog), "%s/vmm.log", td.dir);
	ck_assert_int_eq(tf_write_file(td.share, "hello.txt", "hello from the host\n", 20), 0);
	capture_log();
	vfsd = virtiofsd_start(td.sock, td.share, td.vlog);
	ck_assert_int_gt(vfsd, 0);
	ck_assert_msg(fdrv_open(&drv, td.sock, reconnect_ms, err, sizeof(err)) == 0, "open: %s",
		      err);
}

static void setup(void)
{
	setup_with(3000);
}

static void setup_no_reconnect(void)
{
	setup_with(0);
}

static void teardown(void)
{
	fdrv_close(&drv);
	virtiofsd_stop(vfsd);
	if (tf_rm_rf(td.dir))
		fprintf(stderr, "cleanup of %s failed\n", td.dir);
	if (saved_stderr >= 0)
		dup2(saved_stderr, 2);
}

START_TEST(test_negotiation)
{
	struct vu_dev *dev = to_vu_dev(drv.dev);

	ck_assert_uint_eq(dev->backend_features, 0x175000000ull);
	/* offered 0x8c2b; we take MQ, REPLY_ACK, BACKEND_REQ, BACKEND_SEND_FD, CONFIGURE_MEM_SLOTS */
	ck_assert_uint_eq(dev->protocol_features, 0x8429ull);
	ck_assert_uint_eq(dev->backend_queues, 2);
	ck_assert_uint_eq(dev->max_mem_slots, 32);
	ck_assert_uint_eq(drv.dev->nr_queues, 2);
	ck_assert_uint_eq(drv.dev->device_id, 26);
	ck_assert(drv.dev->host_features & (1ull << 32));
	ck_assert(!(drv.dev->host_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)));
	ck_assert(dev->mem_sent);
	ck_assert_uint_eq(dev->started_queues, 3);
	ck_assert(!vhost_user_backend_dead(drv.dev));
}
END_TEST

START_TEST(test_config_space)
{
	uint8_t tag[36];
	uint32_t nrq;

	drv.dev->ops->config_read(drv.dev, 0, tag, sizeof(tag));
	ck_assert_str_eq((char *)tag, "share");
	drv.dev->ops->config_read(drv.dev, 36, &nrq, 4);
	ck_assert_uint_eq(nrq, 1);
}
END_TEST

static uint64_t lookup(const char *name, struct fuse_entry_out *e)
{
	int32_t err = 0;
	int n = fdrv_call(&drv, FUSE_LOOKUP, FUSE_ROOT_ID, name, strlen(name) + 1, NULL, 0, 4096,
			  &err);

	ck_assert_int_ge(n, 0);
	if (err)
		return 0;
	memcpy(e, drv.in + sizeof(struct fuse_out_header), sizeof(*e));
	return e->nodeid;
}

static uint64_t open_node(uint32_t opcode, uint64_t nodeid, uint32_t flags)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out out;
	int32_t err = 0;

	ck_assert_int_ge(fdrv_call(&drv, opcode, nodeid, &in, sizeof(in), NULL, 0, 4096, &err), 0);
	ck_assert_int_eq(err, 0);
	memcpy(&out, drv.in + sizeof(struct fuse_out_header), sizeof(out));
	return out.fh;
}

static void release(uint32_t opcode, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };
	int32_t err = 0;

	ck_assert_int_eq(fdrv_call(&drv, opcode, nodeid, &in, sizeof(in), NULL, 0, 4096, &err),
			 sizeof(struct fuse_out_header));
	ck_assert_int_eq(err, 0);
}

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
	int32_t err;
	int n, fd;

	ck_assert_int_eq(fdrv_init(&drv, &init), 0);
	ck_assert_uint_eq(init.major, 7);
	ck_assert_uint_ge(init.minor, 31);

	/* LOOKUP + GETATTR against stat(2) on the host */
	node = lookup("hello.txt", &e);
	ck_assert_uint_ne(node, 0);
	snprintf(path, sizeof(path), "%s/hello.txt", td.share);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(e.attr.size, 20);
	ck_assert_uint_eq(e.attr.ino, st.st_ino);
	n = fdrv_call(&drv, FUSE_GETATTR, node, &gin, sizeof(gin), NULL, 0, 4096, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(n, sizeof(struct fuse_out_header) + sizeof(attr));
	memcpy(&attr, drv.in + sizeof(struct fuse_out_header), sizeof(attr));
	ck_assert_uint_eq(attr.attr.mode, st.st_mode);
	ck_assert_uint_eq(attr.attr.size, st.st_size);
	ck_assert_int_eq(lookup("missing", &e), 0);

	/* OPEN + READ + RELEASE */
	fh = open_node(FUSE_OPEN, node, O_RDONLY);
	rin.fh = fh;
	rin.size = 4096;
	n = fdrv_call(&drv, FUSE_READ, node, &rin, sizeof(rin), NULL, 0, 8192, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(n, sizeof(struct fuse_out_header) + 20);
	ck_assert(!memcmp(drv.in + sizeof(struct fuse_out_header), "hello from the host\n", 20));
	release(FUSE_RELEASE, node, fh);

	/* CREATE + WRITE + RELEASE, then the host sees the data */
	n = fdrv_call(&drv, FUSE_CREATE, FUSE_ROOT_ID, &cin, sizeof(cin), "new.txt", 8, 4096, &err);
	ck_assert_int_eq(err, 0);
	memcpy(&e, drv.in + sizeof(struct fuse_out_header), sizeof(e));
	memcpy(&fh, drv.in + sizeof(struct fuse_out_header) + sizeof(e), sizeof(fh));
	win.fh = fh;
	win.size = 11;
	n = fdrv_call(&drv, FUSE_WRITE, e.nodeid, &win, sizeof(win), "guest wrote", 11, 4096, &err);
	ck_assert_int_eq(err, 0);
	memcpy(&wout, drv.in + sizeof(struct fuse_out_header), sizeof(wout));
	ck_assert_uint_eq(wout.size, 11);
	release(FUSE_RELEASE, e.nodeid, fh);
	snprintf(path, sizeof(path), "%s/new.txt", td.share);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 11);
	ck_assert(!memcmp(buf, "guest wrote", 11));
	close(fd);

	/* OPENDIR + READDIR: both files listed */
	fh = open_node(FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY);
	rin.fh = fh;
	rin.size = 4096;
	rin.offset = 0;
	n = fdrv_call(&drv, FUSE_READDIR, FUSE_ROOT_ID, &rin, sizeof(rin), NULL, 0, 8192, &err);
	ck_assert_int_eq(err, 0);
	{
		int found = 0;
		size_t off = sizeof(struct fuse_out_header);

		while (off + FUSE_NAME_OFFSET <= (size_t)n) {
			struct fuse_dirent *d = (struct fuse_dirent *)(drv.in + off);

			if ((d->namelen == 9 && !memcmp(d->name, "hello.txt", 9)) ||
			    (d->namelen == 7 && !memcmp(d->name, "new.txt", 7)))
				found++;
			off += FUSE_DIRENT_SIZE(d);
		}
		ck_assert_int_eq(found, 2);
	}
	release(FUSE_RELEASEDIR, FUSE_ROOT_ID, fh);
}
END_TEST

static void wait_dead(int ms)
{
	for (int i = 0; i < ms / 10 && !vhost_user_backend_dead(drv.dev); i++)
		usleep(10000);
	ck_assert(vhost_user_backend_dead(drv.dev));
}

START_TEST(test_kill_during_io)
{
	static char big[1 << 20];
	struct fuse_init_out init;
	struct fuse_entry_out e;
	struct fuse_read_in rin = { 0 };
	uint64_t node;
	int32_t err;
	int n, ok = 0;

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(tf_write_file(td.share, "big", big, sizeof(big)), 0);
	ck_assert_int_eq(fdrv_init(&drv, &init), 0);
	node = lookup("big", &e);
	rin.fh = open_node(FUSE_OPEN, node, O_RDONLY);
	rin.size = 128 * 1024;
	drv.timeout_ms = 500;
	for (int i = 0; i < 200; i++) {
		if (i == 20)
			kill(vfsd, SIGKILL);
		rin.offset = (i % 8) * 128 * 1024;
		n = fdrv_call(&drv, FUSE_READ, node, &rin, sizeof(rin), NULL, 0, 256 * 1024, &err);
		if (n < 0)
			break;
		ok++;
	}
	ck_assert_int_ge(ok, 20);
	waitpid(vfsd, NULL, 0);
	vfsd = -1;
	wait_dead(2000);
	/* Logged once (just after it is marked dead), unusable until reset, the process goes on. */
	ck_assert(tf_wait(errlog, "back-end at", 5000));
	ck_assert_int_eq(tf_count(errlog, "back-end at"), 1);
	drv.dev->ops->reset(drv.dev);
	ck_assert_int_lt(drv.dev->ops->activate(drv.dev), 0);
	drv.dev->ops->reset(drv.dev);
	ck_assert_int_eq(tf_count(errlog, "back-end at"), 1);
}
END_TEST

/*
 * A guest reset and restart as a vCPU thread does them: under the vCPU seccomp filter of a
 * machine with a device that may reconnect (new socket, socketpair, backend-channel thread).
 * A syscall missing from that filter ends the test process with a SIGSYS report.
 */
struct vcpu_reset_job {
	int installed, dead_after_reset, started;
};

static void *vcpu_reset(void *arg)
{
	struct vcpu_reset_job *job = arg;

	seccomp_set_reconnect(true);
	/* valgrind refuses seccomp filters: there the same path runs unfiltered (leak check) */
	job->installed = RUNNING_ON_VALGRIND ? 0 : seccomp_install(THREAD_ROLE_VCPU,
								  SECCOMP_ENFORCE);
	if (job->installed)
		return NULL;
	drv.dev->ops->reset(drv.dev);
	job->dead_after_reset = vhost_user_backend_dead(drv.dev);
	job->started = fdrv_start(&drv);
	return NULL;
}

START_TEST(test_reconnect)
{
	struct vcpu_reset_job job = { -1, -1, -1 };
	struct fuse_init_out init;
	pthread_t t;

	ck_assert_int_eq(fdrv_init(&drv, &init), 0);
	virtiofsd_stop(vfsd);
	wait_dead(2000);
	vfsd = virtiofsd_start(td.sock, td.share, td.vlog);
	/* Guest reset: the device reconnects; the driver starts it again. */
	ck_assert_int_eq(pthread_create(&t, NULL, vcpu_reset, &job), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(job.installed, 0);
	ck_assert_msg(!job.dead_after_reset, "still dead after reset");
	ck_assert_int_eq(job.started, 0);
	ck_assert_int_eq(fdrv_init(&drv, &init), 0);
	ck_assert_uint_eq(init.major, 7);
	ck_assert_int_eq(tf_count(errlog, "reconnected to"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_virtiofsd");
	TCase *tc = tcase_create("virtiofsd");
	TCase *tc_kill = tcase_create("kill");   /* no reconnect after the back-end dies */
	SRunner *sr;
	int failed;

	if (access(VIRTIOFSD, X_OK)) {
		fprintf(stderr, "FAIL: %s is missing (package qemu-system-common)\n", VIRTIOFSD);
		return 1;
	}
	log_set_level(LOG_INFO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_negotiation);
	tcase_add_test(tc, test_config_space);
	tcase_add_test(tc, test_fuse_ops);
	tcase_add_test(tc, test_reconnect);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tc_kill, setup_no_reconnect, teardown);
	tcase_set_timeout(tc_kill, 30);
	tcase_add_test(tc_kill, test_kill_during_io);
	suite_add_tcase(s, tc_kill);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
