// SPDX-License-Identifier: MIT
/* util/worker and util/fd_loop: start, the init hook, stop through the eventfd, join. */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "util/fd_loop.h"
#include "util/worker.h"

static _Atomic int hook_role = -1;
static _Atomic int ran;

static int hook_ok(enum thread_role role)
{
	atomic_store(&hook_role, (int)role);
	return 0;
}

static int hook_fail(enum thread_role role)
{
	(void)role;
	return -EPERM;
}

/* Waits on a pipe and the stop fd; counts the pipe's events. */
static void loop_body(struct worker *w)
{
	int *pipe_r = w->arg;
	struct fd_loop l;
	struct epoll_event ev[4];
	char c;
	int n;

	ck_assert_int_eq(fd_loop_init(&l, w->stop_fd), 0);
	ck_assert_int_eq(fd_loop_add(&l, *pipe_r, EPOLLIN, 7), 0);
	atomic_store(&ran, 1);
	while ((n = fd_loop_wait(&l, ev, 4, -1)) >= 0) {
		for (int i = 0; i < n; i++) {
			ck_assert_uint_eq(ev[i].data.u64, 7);
			ck_assert_int_eq(read(*pipe_r, &c, 1), 1);
			atomic_fetch_add(&ran, 1);
		}
	}
	ck_assert_int_eq(n, -ECANCELED);
	fd_loop_fini(&l);
}

START_TEST(start_hook_stop_join)
{
	struct worker w = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	worker_set_init_hook(hook_ok);
	ck_assert_int_eq(worker_start(&w, "test-worker-long-name", THREAD_ROLE_DEVICE_IO,
				      loop_body, &p[0]), 0);
	ck_assert_str_eq(w.name, "test-worker-lon");
	ck_assert_int_eq(worker_start(&w, "again", THREAD_ROLE_DEVICE_IO, loop_body, &p[0]),
			 -EBUSY);
	ck_assert_int_eq(write(p[1], "ab", 2), 2);
	while (atomic_load(&ran) < 3)
		usleep(1000);
	ck_assert_int_eq(atomic_load(&hook_role), THREAD_ROLE_DEVICE_IO);
	ck_assert(!worker_stopping(&w));
	worker_stop(&w);
	ck_assert(!w.running);
	ck_assert_int_eq(w.stop_fd, -1);
	worker_stop(&w);            /* twice: no-op */
	worker_set_init_hook(NULL);
}
END_TEST

static void never(struct worker *w)
{
	(void)w;
	atomic_store(&ran, 100);
}

START_TEST(failing_hook_skips_body)
{
	struct worker w = { 0 };

	worker_set_init_hook(hook_fail);
	ck_assert_int_eq(worker_start(&w, "denied", THREAD_ROLE_API, never, NULL), 0);
	worker_stop(&w);
	ck_assert_int_eq(atomic_load(&ran), 0);
	worker_set_init_hook(NULL);
}
END_TEST

static void spin_until_stopped(struct worker *w)
{
	while (!worker_stopping(w))
		usleep(100);
	atomic_store(&ran, 1);
}

START_TEST(stopping_flag)
{
	struct worker w = { 0 };

	ck_assert_int_eq(worker_start(&w, "flag", THREAD_ROLE_DEVICE_IO, spin_until_stopped, NULL),
			 0);
	worker_stop(&w);
	ck_assert_int_eq(atomic_load(&ran), 1);
}
END_TEST

START_TEST(fd_loop_timeout_and_token)
{
	struct fd_loop l;
	struct epoll_event ev[2];
	int stop[2], p[2];

	ck_assert_int_eq(pipe(stop), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fd_loop_init(&l, stop[0]), 0);
	ck_assert_int_eq(fd_loop_add(&l, p[0], EPOLLIN, UINT64_MAX), -EINVAL);
	ck_assert_int_eq(fd_loop_add(&l, p[0], EPOLLIN, 3), 0);
	ck_assert_int_eq(fd_loop_wait(&l, ev, 2, 0), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(fd_loop_wait(&l, ev, 2, 0), 1);
	ck_assert_uint_eq(ev[0].data.u64, 3);
	ck_assert_int_eq(fd_loop_del(&l, p[0]), 0);
	ck_assert_int_eq(fd_loop_wait(&l, ev, 2, 0), 0);
	ck_assert_int_eq(write(stop[1], "x", 1), 1);
	ck_assert_int_eq(fd_loop_wait(&l, ev, 2, 0), -ECANCELED);
	fd_loop_fini(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, start_hook_stop_join);
	tcase_add_test(tc, failing_hook_skips_body);
	tcase_add_test(tc, stopping_flag);
	tcase_add_test(tc, fd_loop_timeout_and_token);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
