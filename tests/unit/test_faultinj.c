// SPDX-License-Identifier: MIT
/*
 * Fault-injection layer (src/security/faultinj.h). In a normal build: disabled, nothing counted,
 * calls go through. In the FAULTINJ=1 build (make FAULTINJ=1 SAN=1 BUILD=build/faultinj
 * build/faultinj/tests/test_faultinj, run by 71-faultinj-boot): MICROVM_FAULT makes exactly the
 * N-th call of each kind fail once with its errno, and every call is counted.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "security/faultinj.h"

#define FAULTS "malloc:3,calloc:2,mmap:1,sendmsg:1,ioctl:2"

static void *volatile sink;

static void *do_malloc(void) { return sink = malloc(32); }
static void *do_calloc(void) { return sink = calloc(4, 8); }

static ssize_t do_send(int fd)
{
	char c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(fd, &mh, MSG_DONTWAIT);
}

START_TEST(disabled_passes_through)
{
	int sv[2], n;
	void *p;

	if (faultinj_enabled())
		return;   /* the FAULTINJ build runs injected_once */
	for (int i = 0; i < 5; i++) {
		free(do_malloc());
		free(do_calloc());
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p, 4096);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(do_send(sv[0]), 1);
	ck_assert_int_eq(ioctl(sv[1], FIONREAD, &n), 0);
	ck_assert_int_eq(n, 1);
	close(sv[0]);
	close(sv[1]);
	for (int k = 0; k < FI_NR_KINDS; k++)
		ck_assert_uint_eq(faultinj_calls((enum faultinj_kind)k), 0);
}
END_TEST

/*
 * The injected sequence runs in main() before libcheck allocates anything (the static libcheck
 * is wrapped too), and records what it saw; the test then checks the record.
 */
struct seen {
	unsigned long m0, c0;
	void *malloc_ok[2], *malloc_fail, *malloc_after;
	int malloc_errno;
	void *calloc_ok, *calloc_fail;
	int calloc_errno;
	void *mmap_fail, *mmap_ok;
	int mmap_errno;
	ssize_t send_fail, send_ok;
	int send_errno;
	int ioctl_r[3], ioctl_errno, fionread;
	unsigned long n_malloc, n_send, n_ioctl;
};
static struct seen seen;

static void run_sequence(void)
{
	int sv[2] = { -1, -1 };

	seen.m0 = faultinj_calls(FI_MALLOC);
	seen.c0 = faultinj_calls(FI_CALLOC);
	seen.malloc_ok[0] = do_malloc();
	seen.malloc_ok[1] = do_malloc();
	errno = 0;
	seen.malloc_fail = do_malloc();                    /* #3 */
	seen.malloc_errno = errno;
	seen.malloc_after = do_malloc();                   /* once only */
	seen.n_malloc = faultinj_calls(FI_MALLOC);
	seen.calloc_ok = do_calloc();
	errno = 0;
	seen.calloc_fail = do_calloc();                    /* #2 */
	seen.calloc_errno = errno;
	errno = 0;
	seen.mmap_fail = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* #1 */
	seen.mmap_errno = errno;
	seen.mmap_ok = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		errno = 0;
		seen.send_fail = do_send(sv[0]);           /* #1 */
		seen.send_errno = errno;
		seen.send_ok = do_send(sv[0]);
		seen.ioctl_r[0] = ioctl(sv[1], FIONREAD, &seen.fionread);
		errno = 0;
		seen.ioctl_r[1] = ioctl(sv[1], FIONREAD, &seen.fionread); /* #2 */
		seen.ioctl_errno = errno;
		seen.ioctl_r[2] = ioctl(sv[1], FIONREAD, &seen.fionread);
		close(sv[0]);
		close(sv[1]);
	}
	seen.n_send = faultinj_calls(FI_SENDMSG);
	seen.n_ioctl = faultinj_calls(FI_IOCTL);
}

START_TEST(injected_once)
{
	if (!faultinj_enabled())
		return;
	ck_assert_uint_eq(seen.m0, 0);
	ck_assert_uint_eq(seen.c0, 0);
	ck_assert_ptr_nonnull(seen.malloc_ok[0]);
	ck_assert_ptr_nonnull(seen.malloc_ok[1]);
	ck_assert_ptr_null(seen.malloc_fail);
	ck_assert_int_eq(seen.malloc_errno, ENOMEM);
	ck_assert_ptr_nonnull(seen.malloc_after);
	ck_assert_uint_eq(seen.n_malloc, 4);
	ck_assert_ptr_nonnull(seen.calloc_ok);
	ck_assert_ptr_null(seen.calloc_fail);
	ck_assert_int_eq(seen.calloc_errno, ENOMEM);
	ck_assert_ptr_eq(seen.mmap_fail, MAP_FAILED);
	ck_assert_int_eq(seen.mmap_errno, ENOMEM);
	ck_assert_ptr_ne(seen.mmap_ok, MAP_FAILED);
	ck_assert_int_eq(seen.send_fail, -1);
	ck_assert_int_eq(seen.send_errno, ECONNRESET);
	ck_assert_int_eq(seen.send_ok, 1);
	ck_assert_int_eq(seen.ioctl_r[0], 0);
	ck_assert_int_eq(seen.fionread, 1);
	ck_assert_int_eq(seen.ioctl_r[1], -1);
	ck_assert_int_eq(seen.ioctl_errno, ENOMEM);
	ck_assert_int_eq(seen.ioctl_r[2], 0);
	ck_assert_uint_eq(seen.n_send, 2);
	ck_assert_uint_eq(seen.n_ioctl, 3);
}
END_TEST

static void release(void)
{
	free(seen.malloc_ok[0]);
	free(seen.malloc_ok[1]);
	free(seen.malloc_after);
	free(seen.calloc_ok);
	if (seen.mmap_ok && seen.mmap_ok != MAP_FAILED)
		munmap(seen.mmap_ok, 4096);
}

int main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failures;

	setenv("MICROVM_FAULT", FAULTS, 1);
	if (faultinj_enabled())
		run_sequence();
	s = suite_create("faultinj");
	tc = tcase_create("wrappers");
	tcase_add_test(tc, disabled_passes_through);
	tcase_add_test(tc, injected_once);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	release();
	return failures != 0;
}
