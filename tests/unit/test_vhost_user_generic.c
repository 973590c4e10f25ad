// SPDX-License-Identifier: MIT
/*
 * [[vhost_user]] generic device through the guest-driver harness and the virtio-pci transport,
 * against tests/backends/fake_backend: the guest's config space reads and writes travel as
 * GET_CONFIG / SET_CONFIG, the back-end's GET_SHMEM_CONFIG region shows up as a shared-memory
 * capability, and a CONFIG_CHANGE_MSG sent while the front-end waits on the main socket is
 * answered (no deadlock) and reaches the guest as a config interrupt.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../harness/harness.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"
#include "../harness/testfiles.h"

static char dir[64], sock[96], blog[96], backend[512];
static pid_t fake = -1;
static struct harness *h;
static struct hvirtio v;
static int slot;

static void setup(void)
{
	struct vhost_user_config cfg = { .virtio_id = 4, .num_queues = 2, .queue_size = 64,
					 .config_size = 16, .connect_timeout_ms = 3000 };
	struct virtio_device *dev;
	char self[512], err[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert_int_gt(n, 0);
	self[n] = 0;
	snprintf(backend, sizeof(backend), "%s/backends/fake_backend", dirname(self));
	strcpy(dir, "/tmp/vu-gen-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(blog, sizeof(blog), "%s/backend.log", dir);
	fake = fork();
	if (fake == 0) {
		execl(backend, backend, "--socket", sock, "--log", blog, "--chan", "config-on-start",
		      (char *)NULL);
		_exit(127);
	}
	h = harness_create(64ull << 20);
	ck_assert_ptr_nonnull(h);
	cfg.socket = sock;
	dev = vhost_user_generic_create(&h->vm, &cfg, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	slot = harness_add_virtio(h, dev, vhost_user_device_destroy);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
}

static void teardown(void)
{
	hvirtio_cleanup(&v);
	harness_destroy(h);
	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	if (tf_rm_rf(dir))
		fprintf(stderr, "cleanup failed\n");
}

START_TEST(test_pci_identity_and_shm)
{
	ck_assert_uint_eq(pci_cfg_read(h, (unsigned int)slot, 0, 2), 0x1af4);
	ck_assert_uint_eq(pci_cfg_read(h, (unsigned int)slot, 2, 2), 0x1040 + 4);
	ck_assert_uint_eq(v.nr_queues, 2);
	/* GET_SHMEM_CONFIG: shmid 1, 2 MiB */
	ck_assert_uint_eq(v.nr_shm, 1);
	ck_assert_uint_eq(v.shm[0].id, 1);
	ck_assert_uint_eq(v.shm[0].length, 2u << 20);
	ck_assert(hvirtio_device_features(&v) & (1ull << VIRTIO_F_VERSION_1));
}
END_TEST

START_TEST(test_config_through_backend)
{
	hvirtio_config_write(&v, 4, 0xdeadbeef, 4);
	ck_assert_uint_eq(hvirtio_config_read(&v, 4, 4), 0xdeadbeef);
	ck_assert_uint_eq(hvirtio_config_read(&v, 5, 1), 0xbe);
	ck_assert_int_ge(tf_count(blog, "REQ GET_CONFIG size=13 "), 1);
	ck_assert_int_eq(tf_count(blog, "REQ SET_CONFIG size=16 fds=0 flags=0x9"), 1);
}
END_TEST

START_TEST(test_config_change_during_start)
{
	uint64_t features = hvirtio_device_features(&v) & ~(1ull << VIRTIO_RING_F_EVENT_IDX);
	uint8_t gen0 = hvirtio_config_generation(&v);
	char got[9] = { 0 };

	ck_assert_int_eq(hvirtio_start(&v, features, 2), 0);
	ck_assert(hvirtio_wait_vector(&v, 0, 2000));
	ck_assert_uint_ne(hvirtio_config_generation(&v), gen0);
	for (int i = 0; i < 8; i++)
		got[i] = (char)hvirtio_config_read(&v, (uint32_t)i, 1);
	ck_assert_str_eq(got, "CHANGED!");
	/* the back-end logs the reply after the VMM raised the interrupt: wait for it */
	ck_assert(tf_wait(blog, "CHAN reply config_change_on_start status=0", 5000));
	ck_assert_int_eq(tf_count(blog, "CHAN reply config_change_on_start status=0"), 1);
	ck_assert(!(hvirtio_get_status(&v) & VIRTIO_CONFIG_S_NEEDS_RESET));
	/* Guest reset: the back-end lets go of the rings. */
	ck_assert_int_eq(hvirtio_reset(&v), 0);
	ck_assert_int_eq(tf_count(blog, "REQ GET_VRING_BASE"), 2);
	ck_assert_int_eq(tf_count(blog, "REQ RESET_DEVICE"), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_generic");
	TCase *tc = tcase_create("generic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pci_identity_and_shm);
	tcase_add_test(tc, test_config_through_backend);
	tcase_add_test(tc, test_config_change_during_start);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
