// SPDX-License-Identifier: MIT
/* The log rate limiter (#12.4): burst, periodic summary, exit flush, per-site state. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

static uint64_t fake_ns;
static uint64_t fake_now(void) { return fake_ns; }

static FILE *cap;

/* stderr into a temporary file from here on (each Check test runs in its own process). */
static void capture(void)
{
	cap = tmpfile();
	ck_assert_ptr_nonnull(cap);
	fflush(stderr);
	ck_assert_int_eq(dup2(fileno(cap), 2), 2);
	log_ratelimit_set_clock(fake_now);
	fake_ns = 1000000000ull;
}

/* Lines written so far; the text of the last one in last (if non-NULL). */
static unsigned int lines(char *last, size_t len)
{
	char buf[512];
	unsigned int n = 0;

	fflush(stderr);
	rewind(cap);
	while (fgets(buf, sizeof(buf), cap)) {
		n++;
		if (last)
			snprintf(last, len, "%s", buf);
	}
	fseek(cap, 0, SEEK_END);
	return n;
}

static void flood(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pr_warn_rl("bad request %u", i);
}

START_TEST(test_burst_then_count)
{
	char last[512];

	capture();
	flood(100);
	ck_assert_uint_eq(lines(last, sizeof(last)), LOG_RL_BURST);
	ck_assert_str_eq(last, "microvm: warning: bad request 9\n");
	ck_assert_uint_eq(log_ratelimit_flush(), 1);
	ck_assert_uint_eq(lines(last, sizeof(last)), LOG_RL_BURST + 1);
	ck_assert_str_eq(last, "microvm: warning: bad request 99 [90 more suppressed, 100 in all]\n");
	/* nothing pending any more */
	ck_assert_uint_eq(log_ratelimit_flush(), 0);
	ck_assert_uint_eq(lines(NULL, 0), LOG_RL_BURST + 1);
}
END_TEST

/* One line per interval at most, carrying the count since the previous line and the total. */
static void summary_site(void)
{
	pr_err_rl("guest touched page %llu", (unsigned long long)(fake_ns / 1000));
}

START_TEST(test_periodic_summary)
{
	char last[512];

	capture();
	for (int i = 0; i < 20; i++)
		summary_site();
	ck_assert_uint_eq(lines(NULL, 0), LOG_RL_BURST);
	fake_ns += 999000000ull;		/* 0.999 s: still inside the interval */
	summary_site();
	ck_assert_uint_eq(lines(NULL, 0), LOG_RL_BURST);
	fake_ns += 1000000ull;			/* 1 s after the last printed line */
	summary_site();
	ck_assert_uint_eq(lines(last, sizeof(last)), LOG_RL_BURST + 1);
	ck_assert_str_eq(last, "microvm: error: guest touched page 2000000 "
		       "[11 more suppressed since the last line, 22 in all]\n");
	for (int i = 0; i < 1000; i++) {	/* 1000 events over 5 s: one line a second */
		fake_ns += 5000000ull;
		summary_site();
	}
	ck_assert_uint_eq(lines(NULL, 0), LOG_RL_BURST + 1 + 5);
	fake_ns += 1000000ull;
	summary_site();
	ck_assert_uint_eq(log_ratelimit_flush(), 1);
	ck_assert_uint_eq(lines(last, sizeof(last)), LOG_RL_BURST + 1 + 5 + 1);
	ck_assert_ptr_nonnull(strstr(last, " in all]\n"));
	ck_assert_ptr_nonnull(strstr(last, " 1023 in all]"));
}
END_TEST

START_TEST(test_sites_are_independent)
{
	capture();
	flood(LOG_RL_BURST);
	pr_info_rl("ignored: below the level");	/* LOG_WARN is the default level */
	for (int i = 0; i < 3; i++)
		pr_err_rl("other site %d", i);
	ck_assert_uint_eq(lines(NULL, 0), LOG_RL_BURST + 3);
	ck_assert_uint_eq(log_ratelimit_flush(), 0);
}
END_TEST

/* At exit every pending count is printed (atexit), so the totals show every event. */
START_TEST(test_exit_flush)
{
	char last[512];
	pid_t pid;
	int st;

	capture();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		flood(1200);
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_uint_eq(lines(last, sizeof(last)), LOG_RL_BURST + 1);
	ck_assert_str_eq(last,
			 "microvm: warning: bad request 1199 [1190 more suppressed, 1200 in all]\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_burst_then_count);
	tcase_add_test(tc, test_periodic_summary);
	tcase_add_test(tc, test_sites_are_independent);
	tcase_add_test(tc, test_exit_flush);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
