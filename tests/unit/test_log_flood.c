// SPDX-License-Identifier: MIT
/*
 * #12.4 end to end: a hostile back-end (tests/backends/vu_shm_backend) sends 1,200 refused
 * SHMEM_UNMAP requests over the real backend channel of a generic vhost-user device. microvm's
 * log stays bounded (the burst, at most one line a second, one line at exit) and the count at
 * exit still shows all 1,200. The device runs in a child process whose stderr is a file, so
 * the atexit flush is part of what is checked.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vhost_user/vhost_user.h"
#include "util/log.h"
#include "kvm/vm.h"
#include "../harness/testfiles.h"

#define FLOOD 1200

static char tdir[64];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tdir, name);
}

static int wait_file(const char *name, int ms)
{
	char p[128];

	path(p, sizeof(p), name);
	for (int i = 0; i < ms; i += 5) {
		if (!access(p, F_OK))
			return 0;
		usleep(5000);
	}
	return -1;
}

static pid_t start_backend(void)
{
	char sock[128], script[128], out[128];
	FILE *f;
	pid_t pid;

	path(sock, sizeof(sock), "sock");
	path(script, sizeof(script), "script");
	path(out, sizeof(out), "out");
	f = fopen(script, "we");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "wait-file %s/ready 10000\n", tdir);
	for (int i = 0; i < FLOOD; i++)
		fprintf(f, "unmap 0 0x200000 0x200000 fail\n");	/* nothing mapped there */
	fprintf(f, "touch %s/flooded\n", tdir);
	fclose(f);
	pid = tf_spawn_backend("vu_shm_backend", out, (const char *const[]){ "--socket", sock,
				"--sizes", "0=16M", "--script", script, NULL });
	ck_assert_msg(pid > 0, "cannot start vu_shm_backend (run make all): %s", strerror(errno));
	return pid;
}

/* The front-end side, in its own process: exit() runs the limiter's exit flush. */
static void front_end(const char *errfile)
{
	struct vhost_user_config cfg = { .virtio_id = 42, .num_queues = 1, .queue_size = 256,
					 .connect_timeout_ms = 5000 };
	struct virtio_device *vdev;
	char sock[128], err[256], p[128];
	int fd = open(errfile, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	struct vm vm;

	if (fd < 0 || dup2(fd, 2) != 2)
		_exit(10);
	path(sock, sizeof(sock), "sock");
	cfg.socket = sock;
	if (vm_init_harness(&vm, 64 << 20))
		_exit(11);
	vdev = vhost_user_generic_create(&vm, &cfg, err, sizeof(err));
	if (!vdev) {
		fprintf(stderr, "generic device: %s\n", err);
		_exit(12);
	}
	path(p, sizeof(p), "ready");
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	if (wait_file("flooded", 60000))
		_exit(13);
	vhost_user_device_destroy(vdev);
	vm_destroy(&vm);
	exit(0);
}

START_TEST(test_shmem_flood_is_bounded)
{
	char errfile[128], line[1024], *p;
	unsigned long long total = 0, v;
	unsigned int lines = 0, unmap_lines = 0;
	int status, bstatus;
	pid_t be, fe;
	FILE *f;

	strcpy(tdir, "/tmp/log-flood.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	be = start_backend();
	path(errfile, sizeof(errfile), "stderr");
	fe = fork();
	ck_assert_int_ge(fe, 0);
	if (fe == 0)
		front_end(errfile);
	ck_assert_int_eq(waitpid(fe, &status, 0), fe);
	ck_assert_int_eq(waitpid(be, &bstatus, 0), be);
	f = fopen(errfile, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (!strstr(line, "SHMEM_UNMAP"))
			continue;
		unmap_lines++;
		p = strstr(line, " in all]");
		if (p) {
			while (p > line && p[-1] >= '0' && p[-1] <= '9')
				p--;
			v = strtoull(p, NULL, 10);
			total = v > total ? v : total;
		}
	}
	fclose(f);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "front-end status 0x%x",
		      status);
	ck_assert_msg(WIFEXITED(bstatus) && WEXITSTATUS(bstatus) == 0, "back-end status 0x%x",
		      bstatus);
	/*
	 * Per call site that reports the refusal (today two: the request handler and the channel
	 * loop): the burst, at most one line a second of flooding (a few here), the exit line.
	 */
	ck_assert_uint_ge(unmap_lines, LOG_RL_BURST + 1);
	ck_assert_msg(unmap_lines <= 2 * (LOG_RL_BURST + 6), "%u SHMEM_UNMAP lines", unmap_lines);
	ck_assert_uint_le(lines, unmap_lines + 4);
	ck_assert_uint_eq(total, FLOOD);
	for (const char *n = "sock\0script\0out\0ready\0flooded\0stderr\0"; *n; n += strlen(n) + 1) {
		path(line, sizeof(line), n);
		unlink(line);
	}
	rmdir(tdir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log_flood");
	TCase *tc = tcase_create("backend");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_shmem_flood_is_bounded);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
