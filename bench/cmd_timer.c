// SPDX-License-Identifier: MIT
/*
 * cmd_timer: runs a command N times with stdout on a pipe and reports, per run, the wall time
 * from fork to the first byte the command writes and to its exit, its peak RSS (wait4), and
 * whether a marker string appeared. Used by bench/run_bench.sh for microvm-vs-QEMU tables.
 *   cmd_timer -n RUNS [-m MARKER] -- command args...
 * Output: one line per run "first_ms exit_ms maxrss_kib status marker_seen", then medians.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

int main(int argc, char **argv)
{
	int runs = 10, i, opt;
	const char *marker = NULL;
	double *first, *exit_ms, *rss;
	int ok_runs = 0;

	while ((opt = getopt(argc, argv, "n:m:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'm')
			marker = optarg;
		else
			return 2;
	}
	if (optind >= argc || runs <= 0) {
		fprintf(stderr, "usage: cmd_timer -n RUNS [-m MARKER] -- command...\n");
		return 2;
	}
	first = calloc((size_t)runs, sizeof(double));
	exit_ms = calloc((size_t)runs, sizeof(double));
	rss = calloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		int pfd[2], status = 0, seen = 0;
		char buf[65536], tail[256] = "";
		double t0, t_first = -1;
		struct rusage ru;
		pid_t pid;

		if (pipe(pfd) < 0)
			return 1;
		t0 = bench_now_ms();
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
			execvp(argv[optind], &argv[optind]);
			_exit(127);
		}
		close(pfd[1]);
		for (;;) {
			ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (t_first < 0)
				t_first = bench_now_ms() - t0;
			if (marker && !seen) {
				/* search across read boundaries with a small carried-over tail */
				char *joined = malloc(strlen(tail) + (size_t)n + 1);

				strcpy(joined, tail);
				memcpy(joined + strlen(tail), buf, (size_t)n);
				joined[strlen(tail) + (size_t)n] = 0;
				seen = strstr(joined, marker) != NULL;
				snprintf(tail, sizeof(tail), "%s",
					 joined + (strlen(joined) > 128 ? strlen(joined) - 128 : 0));
				free(joined);
			}
		}
		close(pfd[0]);
		wait4(pid, &status, 0, &ru);
		exit_ms[i] = bench_now_ms() - t0;
		first[i] = t_first;
		rss[i] = (double)ru.ru_maxrss;
		printf("run %d: first_byte_ms=%.1f exit_ms=%.1f maxrss_kib=%ld status=%d marker=%s\n", i,
		       t_first, exit_ms[i], ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		       marker ? (seen ? "yes" : "no") : "-");
		if (!marker || seen)
			ok_runs++;
	}
	printf("median: first_byte_ms=%.1f exit_ms=%.1f maxrss_kib=%.0f ok_runs=%d/%d\n",
	       bench_median(first, runs), bench_median(exit_ms, runs), bench_median(rss, runs), ok_runs, runs);
	return ok_runs == runs ? 0 : 1;
}
