// SPDX-License-Identifier: MIT
/*
 * The front-end against tests/backends/fake_backend: every request we send has the spec's exact
 * payload size (recorded by the back-end), and a misbehaving back-end (closes mid-negotiation,
 * garbage, silence, 253 fds, wrong replies, NACKs, backend-channel floods and garbage) never
 * crashes or hangs the VMM: each case ends in a clear error or log line.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mm/shm_region.h"
#include "vhost_user/vhost_user.h"
#include "util/clock.h"
#include "util/log.h"
#include "kvm/vm.h"
#include "../harness/testfiles.h"

static char dir[64], sock[96], blog[96], vlog[96], backend[512];
static pid_t fake = -1;
static struct vm vm;
static int saved_stderr = -1;

static void start_fake(const char *a1, const char *a2, const char *a3, const char *a4)
{
	fake = fork();
	if (fake == 0) {
		execl(backend, backend, "--socket", sock, "--log", blog, a1, a2, a3, a4,
		      (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(fake, 0);
}

static void setup(void)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd;

	ck_assert_int_gt(n, 0);
	self[n] = 0;
	snprintf(backend, sizeof(backend), "%s/backends/fake_backend", dirname(self));
	ck_assert_msg(access(backend, X_OK) == 0, "%s missing (make it)", backend);
	strcpy(dir, "/tmp/vu-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(blog, sizeof(blog), "%s/backend.log", dir);
	snprintf(vlog, sizeof(vlog), "%s/vmm.log", dir);
	fd = open(vlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	ck_assert_int_eq(vm_init_harness(&vm, 64ull << 20), 0);
}

static void teardown(void)
{
	char cmd[128];

	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	vm_destroy(&vm);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	dup2(saved_stderr, 2);
}

/* A device of no particular kind with a short reply timeout (internal API). */
static struct vu_dev *make_dev(uint32_t reply_timeout_ms, char *err, size_t errlen)
{
	struct vu_options opt = { .socket = sock, .connect_timeout_ms = 3000,
				  .reply_timeout_ms = reply_timeout_ms };
	struct vu_dev *dev = vu_dev_new(&vm, &opt, "fake0", NULL, err, errlen);

	ck_assert_ptr_nonnull(dev);
	dev->vdev.device_id = 4;
	dev->vdev.nr_queues = 2;
	dev->vdev.max_queue_size = 64;
	if (vu_dev_connect(dev, err, errlen)) {
		vu_dev_free(dev);
		return NULL;
	}
	return dev;
}

static void queues_setup(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < vdev->nr_queues; i++) {
		struct virtio_queue *q = &vdev->queues[i];
		uint64_t base = (1ull << 20) + i * 0x10000;

		q->size = 64;
		q->enabled = true;
		q->desc_gpa = base;
		q->avail_gpa = base + 0x4000;
		q->used_gpa = base + 0x8000;
		q->kick_fd = eventfd(0, EFD_CLOEXEC);
		q->call_fd = i ? eventfd(0, EFD_CLOEXEC) : -1;
	}
	vdev->guest_features = vdev->host_features;
	ck_assert_int_eq(vdev->ops->set_features(vdev, vdev->guest_features), 0);
}

static void queues_close(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < vdev->nr_queues; i++) {
		if (vdev->queues[i].kick_fd >= 0)
			close(vdev->queues[i].kick_fd);
		if (vdev->queues[i].call_fd >= 0)
			close(vdev->queues[i].call_fd);
		vdev->queues[i].kick_fd = vdev->queues[i].call_fd = -1;
	}
}

/* Spec payload sizes and descriptor counts, independent of msg.c's table. */
static const struct { const char *name; int size; int fds; bool ack; } spec[] = {
	{ "GET_FEATURES", 0, 0, false }, { "GET_PROTOCOL_FEATURES", 0, 0, false },
	{ "SET_PROTOCOL_FEATURES", 8, 0, false }, { "GET_QUEUE_NUM", 0, 0, false },
	{ "GET_MAX_MEM_SLOTS", 0, 0, false }, { "SET_BACKEND_REQ_FD", 0, 1, true },
	{ "SET_OWNER", 0, 0, true }, { "GET_SHMEM_CONFIG", 0, 0, false },
	{ "GET_CONFIG", 12 + 4, 0, false }, { "SET_CONFIG", 12 + 4, 0, true },
	{ "SET_FEATURES", 8, 0, true }, { "ADD_MEM_REG", 40, 1, true },
	{ "SET_VRING_NUM", 8, 0, true }, { "SET_VRING_BASE", 8, 0, true },
	{ "SET_VRING_ADDR", 40, 0, true }, { "SET_VRING_KICK", 8, 1, true },
	{ "SET_VRING_ERR", 8, 1, true }, { "SET_VRING_ENABLE", 8, 0, true },
	{ "GET_VRING_BASE", 8, 0, false }, { "RESET_DEVICE", 0, 0, true },
};

static void check_recorded(void)
{
	char line[160];

	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		snprintf(line, sizeof(line), "REQ %s size=%d fds=%d flags=0x%x", spec[i].name,
			 spec[i].size, spec[i].fds, spec[i].ack ? 0x9 : 0x1);
		ck_assert_msg(tf_count(blog, line) >= 1, "back-end never saw '%s'", line);
	}
	/* Queue 0 has no vector: SET_VRING_CALL with the NOFD flag; queue 1 with its eventfd. */
	ck_assert_int_eq(tf_count(blog, "REQ SET_VRING_CALL size=8 fds=0 flags=0x9"), 1);
	ck_assert_int_eq(tf_count(blog, "REQ SET_VRING_CALL size=8 fds=1 flags=0x9"), 1);
	/* Nothing else with a wrong size slipped through: the back-end rejected no message. */
	ck_assert_int_eq(tf_count(blog, "END fake: back-end closed the connection"), 1);
}

START_TEST(test_recorded_sizes)
{
	struct vhost_user_config cfg = { .socket = sock, .virtio_id = 4, .num_queues = 2,
					 .queue_size = 64, .config_size = 16,
					 .connect_timeout_ms = 3000 };
	struct virtio_device *vdev;
	char err[256];
	uint32_t v = 0x11223344, back = 0;

	start_fake(NULL, NULL, NULL, NULL);
	vdev = vhost_user_generic_create(&vm, &cfg, err, sizeof(err));
	ck_assert_msg(vdev != NULL, "%s", err);
	/* SHMEM negotiated: GET_SHMEM_CONFIG made shmid 1 of 2 MiB. */
	ck_assert_uint_eq(vdev->nr_shm, 1);
	ck_assert_uint_eq(vdev->shm[0]->id, 1);
	ck_assert_uint_eq(vdev->shm[0]->size, 2u << 20);
	vdev->ops->config_write(vdev, 4, &v, 4);
	vdev->ops->config_read(vdev, 4, &back, 4);
	ck_assert_uint_eq(back, v);
	queues_setup(vdev);
	ck_assert_int_eq(vdev->ops->activate(vdev), 0);
	vdev->ops->reset(vdev);
	queues_close(vdev);
	vhost_user_device_destroy(vdev);
	ck_assert(tf_wait(blog, "END fake", 2000));
	check_recorded();
}
END_TEST

START_TEST(test_set_mem_table_size)
{
	char err[256];
	struct vu_dev *dev;
	char line[96];

	/* No CONFIGURE_MEM_SLOTS: one SET_MEM_TABLE, 8 + 32 * nregions bytes, one fd each. */
	start_fake("--protocol", "0x2629", NULL, NULL);
	dev = make_dev(1000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	queues_setup(&dev->vdev);
	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), 0);
	snprintf(line, sizeof(line), "REQ SET_MEM_TABLE size=%u fds=%u flags=0x9",
		 8 + 32 * vm.mem.nr_regions, vm.mem.nr_regions);
	ck_assert_msg(tf_count(blog, line) == 1, "missing '%s'", line);
	ck_assert_int_eq(tf_count(blog, "ADD_MEM_REG"), 0);
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

static const struct {
	const char *fail;
	const char *error;
} negotiation_failures[] = {
	{ "GET_PROTOCOL_FEATURES:close", "back-end closed the connection" },
	{ "GET_FEATURES:garbage", "exceeds the 4096-byte limit" },
	{ "GET_QUEUE_NUM:silent", "did not answer within 300 ms" },
	{ "GET_FEATURES:fds253", "more than 8 file descriptors" },
	{ "GET_MAX_MEM_SLOTS:wrongid", "expected a reply to GET_MAX_MEM_SLOTS, got one to request 37" },
	{ "GET_FEATURES:noreply", "lacks the REPLY flag" },
	{ "GET_PROTOCOL_FEATURES:oversize", "exceeds the 4096-byte limit" },
	{ "GET_QUEUE_NUM:wrongsize", "has 4 payload bytes, expected 8" },
	{ "SET_OWNER:nack", "back-end rejected SET_OWNER (status 1)" },
	{ "SET_BACKEND_REQ_FD:close", "back-end closed the connection" },
};

START_TEST(test_negotiation_failures)
{
	const char *fail = negotiation_failures[_i].fail;
	struct timespec t0, t1;
	char err[256] = "";
	int before = tf_count_fds();
	struct vu_dev *dev;
	double secs;

	start_fake("--fail", fail, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dev = make_dev(300, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(dev == NULL, "%s: device created", fail);
	ck_assert_msg(strstr(err, negotiation_failures[_i].error), "%s: error '%s'", fail, err);
	ck_assert_msg(secs < 2.0, "%s took %.2f s", fail, secs);
	ck_assert_int_eq(tf_count_fds(), before);
}
END_TEST

static struct vu_dev *started_dev(const char *fail, uint32_t timeout)
{
	char err[256];
	struct vu_dev *dev;

	start_fake("--fail", fail, NULL, NULL);
	dev = make_dev(timeout, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	queues_setup(&dev->vdev);
	return dev;
}

START_TEST(test_silent_during_start)
{
	struct vu_dev *dev = started_dev("SET_VRING_ADDR:silent", 300);

	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), -ETIMEDOUT);
	ck_assert(vhost_user_backend_dead(&dev->vdev));
	/* marked dead before logged, possibly by the channel thread: wait for the line */
	ck_assert(tf_wait(vlog, "did not answer within 300 ms", 5000));
	ck_assert_int_eq(tf_count(vlog, "did not answer within 300 ms"), 1);
	/* Reset of a dead device: no traffic, no hang. */
	dev->vdev.ops->reset(&dev->vdev);
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_nack_during_start)
{
	struct vu_dev *dev = started_dev("ADD_MEM_REG:nack", 1000);

	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), -EIO);
	ck_assert(!vhost_user_backend_dead(&dev->vdev));
	ck_assert_int_eq(tf_count(vlog, "back-end rejected ADD_MEM_REG (status 1)"), 1);
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_close_during_start)
{
	struct vu_dev *dev = started_dev("SET_VRING_KICK:close", 1000);

	ck_assert_int_lt(dev->vdev.ops->activate(&dev->vdev), 0);
	ck_assert(vhost_user_backend_dead(&dev->vdev));
	ck_assert(tf_wait(vlog, "lost", 5000));
	ck_assert_int_eq(tf_count(vlog, "lost"), 1);
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_death_while_idle)
{
	struct vu_dev *dev = started_dev("NONE:close", 1000);

	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), 0);
	kill(fake, SIGKILL);
	waitpid(fake, NULL, 0);
	fake = -1;
	for (int i = 0; i < 500 && !vhost_user_backend_dead(&dev->vdev); i++)
		usleep(10000);
	ck_assert(vhost_user_backend_dead(&dev->vdev));
	/* the device is marked dead just before the line is logged: wait for it */
	ck_assert(tf_wait(vlog, "lost", 5000));
	ck_assert_int_eq(tf_count(vlog, "lost"), 1);
	dev->vdev.ops->reset(&dev->vdev);
	ck_assert_int_eq(tf_count(vlog, "lost"), 1);
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_channel_flood)
{
	char err[256];
	struct vu_dev *dev;

	int64_t t0 = monotonic_ms(), secs;
	int lines;

	start_fake("--flood", "20000", NULL, NULL);
	dev = make_dev(1000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert_msg(tf_wait(blog, "FLOOD replies=20001 failures=20000", 20000),
		      "flood not answered");
	secs = (monotonic_ms() - t0) / 1000;
	ck_assert_uint_eq(atomic_load(&dev->chan_requests), 40001);
	ck_assert_uint_eq(atomic_load(&dev->chan_failures), 20000);
	ck_assert(!vhost_user_backend_dead(&dev->vdev));
	/*
	 * Every failure is counted; the log is rate-limited (log.h): the burst of 10 lines, then at
	 * most one summary line a second while the flood lasts.
	 */
	lines = tf_count(vlog, "backend channel: unsupported request unknown(99)");
	ck_assert_msg(lines >= 10 && lines <= 10 + 1 + secs, "%d lines in %lld s", lines,
		      (long long)secs);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_channel_fds253)
{
	char err[256];
	struct vu_dev *dev;
	int before;

	start_fake("--chan", "fds253", NULL, NULL);
	before = tf_count_fds();
	dev = make_dev(1000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert(tf_wait(blog, "CHAN reply config_change status=0", 3000));
	ck_assert_int_eq(tf_count(blog, "CHAN reply fds253 status=0"), 0);
	ck_assert_int_eq(tf_count(blog, "CHAN reply fds253 status="), 1);
	ck_assert(!vhost_user_backend_dead(&dev->vdev));
	ck_assert_int_eq(tf_count(vlog, "Too many references"), 1);
	vhost_user_device_destroy(&dev->vdev);
	ck_assert_int_eq(tf_count_fds(), before);
}
END_TEST

START_TEST(test_channel_garbage)
{
	char err[256];
	struct vu_dev *dev;

	start_fake("--chan", "garbage", NULL, NULL);
	dev = make_dev(1000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	for (int i = 0; i < 200 && !vhost_user_backend_dead(&dev->vdev); i++)
		usleep(10000);
	ck_assert(vhost_user_backend_dead(&dev->vdev));
	ck_assert(tf_wait(vlog, "lost: backend channel:", 5000));
	ck_assert_int_eq(tf_count(vlog, "lost: backend channel:"), 1);
	ck_assert_int_eq(tf_count(vlog, "backend channel: message"), 0);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_channel_shmem_without_fd)
{
	char err[256];
	struct vu_dev *dev;

	start_fake("--chan", "shmem", NULL, NULL);
	dev = make_dev(1000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert(tf_wait(blog, "CHAN reply shmem_map_nofd status=", 3000));
	ck_assert_int_eq(tf_count(blog, "CHAN reply shmem_map_nofd status=0"), 0);
	ck_assert(!vhost_user_backend_dead(&dev->vdev));
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

START_TEST(test_config_needs_protocol)
{
	struct vhost_user_config cfg = { .socket = sock, .virtio_id = 4, .num_queues = 2,
					 .queue_size = 64, .config_size = 16,
					 .connect_timeout_ms = 3000 };
	char err[256];

	start_fake("--protocol", "0x8429", NULL, NULL);  /* no CONFIG */
	ck_assert_ptr_null(vhost_user_generic_create(&vm, &cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "needs the CONFIG protocol feature"));
}
END_TEST

START_TEST(test_nack_then_retry)
{
	struct vu_dev *dev = started_dev("SET_VRING_ENABLE:nack", 1000);

	/* Start fails after the memory table went out; a restart must not add RAM twice. */
	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), -EIO);
	dev->vdev.ops->reset(&dev->vdev);
	ck_assert_int_eq(dev->vdev.ops->activate(&dev->vdev), -EIO);
	ck_assert_int_eq(tf_count(blog, "REQ ADD_MEM_REG"), (int)vm.mem.nr_regions);
	ck_assert_int_eq(tf_count(blog, "REQ GET_VRING_BASE"), 1);  /* only queue 0 got going */
	queues_close(&dev->vdev);
	vhost_user_device_destroy(&dev->vdev);
}
END_TEST

static uint64_t fs_protocol(uint64_t cache_size, unsigned int *nr_shm)
{
	struct vhost_user_fs_config cfg = { .socket = sock, .tag = "t", .num_request_queues = 1,
					    .queue_size = 128, .cache_size = cache_size,
					    .connect_timeout_ms = 3000 };
	struct virtio_device *vdev;
	uint64_t p;
	char err[256];

	start_fake(NULL, NULL, NULL, NULL);
	vdev = vhost_user_fs_create(&vm, &cfg, err, sizeof(err));
	ck_assert_msg(vdev != NULL, "%s", err);
	p = to_vu_dev(vdev)->protocol_features;
	*nr_shm = vdev->nr_shm;
	ck_assert_uint_eq(vdev->device_id, 26);
	ck_assert_uint_eq(vdev->nr_queues, 2);
	vhost_user_device_destroy(vdev);
	waitpid(fake, NULL, 0);
	fake = -1;
	return p;
}

START_TEST(test_fs_shmem_only_with_cache)
{
	unsigned int nr_shm;
	uint64_t p;

	/* The back-end offers SHMEM; virtio-fs takes it only with a DAX window. */
	p = fs_protocol(0, &nr_shm);
	ck_assert(!(p & (1ull << VHOST_USER_PROTOCOL_F_SHMEM)));
	ck_assert_uint_eq(nr_shm, 0);
	/*
	 * With a window, SHMEM is negotiated and the back-end's GET_SHMEM_CONFIG answer is checked
	 * against cache_size: this fake declares region 1 (2 MiB), not a 4 MiB region 0, so device
	 * setup fails and says why.
	 */
	{
		struct vhost_user_fs_config cfg = { .socket = sock, .tag = "t",
						    .num_request_queues = 1, .queue_size = 128,
						    .cache_size = 4u << 20, .connect_timeout_ms = 3000 };
		char err[256] = "";

		start_fake(NULL, NULL, NULL, NULL);
		ck_assert_ptr_null(vhost_user_fs_create(&vm, &cfg, err, sizeof(err)));
		ck_assert_msg(strstr(err, "declares shared memory region 1"), "%s", err);
		waitpid(fake, NULL, 0);
		fake = -1;
		ck_assert_int_eq(tf_count(blog, "GET_SHMEM_CONFIG"), 1);
	}
}
END_TEST

START_TEST(test_connect_timeout)
{
	struct vhost_user_fs_config cfg = { .socket = sock, .tag = "t", .num_request_queues = 1,
					    .queue_size = 128, .connect_timeout_ms = 200 };
	char err[256];

	ck_assert_ptr_null(vhost_user_fs_create(&vm, &cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot connect to"));
	ck_assert_ptr_nonnull(strstr(err, "within 200 ms"));
	cfg.tag = "a-tag-that-is-longer-than-36-bytes-for-sure";
	ck_assert_ptr_null(vhost_user_fs_create(&vm, &cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "tag must be 1 to 36 bytes"));
	cfg.tag = "t";
	cfg.cache_size = 3 << 20;
	ck_assert_ptr_null(vhost_user_fs_create(&vm, &cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "multiple of 2 MiB"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_fake");
	TCase *tc = tcase_create("fake_backend");
	SRunner *sr;
	int failed;

	log_set_level(LOG_INFO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_recorded_sizes);
	tcase_add_test(tc, test_set_mem_table_size);
	tcase_add_loop_test(tc, test_negotiation_failures, 0,
			    sizeof(negotiation_failures) / sizeof(negotiation_failures[0]));
	tcase_add_test(tc, test_silent_during_start);
	tcase_add_test(tc, test_nack_during_start);
	tcase_add_test(tc, test_close_during_start);
	tcase_add_test(tc, test_death_while_idle);
	tcase_add_test(tc, test_channel_flood);
	tcase_add_test(tc, test_channel_fds253);
	tcase_add_test(tc, test_channel_garbage);
	tcase_add_test(tc, test_channel_shmem_without_fd);
	tcase_add_test(tc, test_config_needs_protocol);
	tcase_add_test(tc, test_nack_then_retry);
	tcase_add_test(tc, test_fs_shmem_only_with_cache);
	tcase_add_test(tc, test_connect_timeout);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
