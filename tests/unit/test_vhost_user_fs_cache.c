// SPDX-License-Identifier: MIT
/*
 * [[vhost_user_fs]] cache_size against the back-end's GET_SHMEM_CONFIG: equal sizes bring the
 * device up with region 0; a different size, an extra region or a malformed reply fail device
 * setup with a clear message; a back-end without SHMEM gets a warning and no check.
 * The back-end is tests/backends/vu_shm_backend.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "mm/shm_region.h"
#include "vhost_user/vhost_user.h"
#include "kvm/vm.h"

#define MiB (1ULL << 20)

static char tdir[64];
static char sock[128];

static pid_t start_backend(const char *sizes, const char *extra)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);
	pid_t pid;

	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	strcpy(strrchr(exe, '/'), "/backends/vu_shm_backend");
	ck_assert_msg(!access(exe, X_OK), "%s missing: run make unit-test-bins", exe);
	snprintf(sock, sizeof(sock), "%s/vu.sock", tdir);
	unlink(sock);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		/* virtio-fs with one request queue: hiprio + 1 */
		if (extra)
			execl(exe, exe, "--socket", sock, "--queues", "2", "--sizes", sizes, extra,
			      (char *)NULL);
		else
			execl(exe, exe, "--socket", sock, "--queues", "2", "--sizes", sizes, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static struct virtio_device *create_fs(struct vm *vm, uint64_t cache, char *err, size_t len)
{
	struct vhost_user_fs_config cfg = {
		.socket = sock, .tag = "share", .num_request_queues = 1, .queue_size = 128,
		.cache_size = cache, .connect_timeout_ms = 5000,
	};

	return vhost_user_fs_create(vm, &cfg, err, len);
}

static void stop_backend(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

static void setup(void)
{
	strcpy(tdir, "/tmp/fs-cache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static void teardown(void)
{
	unlink(sock);
	rmdir(tdir);
}

START_TEST(test_matching_window)
{
	struct vm vm;
	char err[256] = "";
	pid_t pid = start_backend("0=16M", NULL);
	struct virtio_device *dev;

	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	dev = create_fs(&vm, 16 * MiB, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert_uint_eq(dev->nr_shm, 1);
	ck_assert_uint_eq(dev->shm[0]->id, 0);
	ck_assert_uint_eq(dev->shm[0]->size, 16 * MiB);
	vhost_user_device_destroy(dev);
	stop_backend(pid);
	vm_destroy(&vm);
}
END_TEST

START_TEST(test_size_mismatch)
{
	struct vm vm;
	char err[256] = "";
	pid_t pid = start_backend("0=16M", NULL);

	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	ck_assert_ptr_null(create_fs(&vm, 32 * MiB, err, sizeof(err)));
	ck_assert_msg(strstr(err, "cache_size is 32 MiB but the back-end's DAX window"), "%s", err);
	ck_assert_msg(strstr(err, "is 16 MiB"), "%s", err);
	stop_backend(pid);
	vm_destroy(&vm);
}
END_TEST

START_TEST(test_extra_region)
{
	struct vm vm;
	char err[256] = "";
	pid_t pid = start_backend("0=16M,1=2M", NULL);

	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	ck_assert_ptr_null(create_fs(&vm, 16 * MiB, err, sizeof(err)));
	ck_assert_msg(strstr(err, "declares shared memory region 1"), "%s", err);
	stop_backend(pid);
	vm_destroy(&vm);
}
END_TEST

START_TEST(test_malformed_reply)
{
	struct vm vm;
	char err[256] = "";
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/vu.sock", tdir);
	pid = fork();
	if (pid == 0) {
		char exe[512];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);

		exe[n] = 0;
		strcpy(strrchr(exe, '/'), "/backends/vu_shm_backend");
		freopen("/dev/null", "w", stdout);
		unlink(sock);
		execl(exe, exe, "--socket", sock, "--queues", "2", "--sizes", "0=16M", "--bad-config",
		      "short", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	ck_assert_ptr_null(create_fs(&vm, 16 * MiB, err, sizeof(err)));
	ck_assert_msg(strstr(err, "GET_SHMEM_CONFIG"), "%s", err);
	stop_backend(pid);
	vm_destroy(&vm);
}
END_TEST

START_TEST(test_no_shmem_backend)
{
	struct vm vm;
	char err[256] = "";
	pid_t pid = start_backend("0=16M", "--no-shmem");
	struct virtio_device *dev;

	ck_assert_int_eq(vm_init_harness(&vm, 64 << 20), 0);
	dev = create_fs(&vm, 16 * MiB, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert_uint_eq(dev->nr_shm, 1);
	vhost_user_device_destroy(dev);
	stop_backend(pid);
	vm_destroy(&vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_fs_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_matching_window);
	tcase_add_test(tc, test_size_mismatch);
	tcase_add_test(tc, test_extra_region);
	tcase_add_test(tc, test_malformed_reply);
	tcase_add_test(tc, test_no_shmem_backend);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
