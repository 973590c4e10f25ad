// SPDX-License-Identifier: MIT
/* dpdk-testpmd as a vhost-user-net back-end for tests (testpmd.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testpmd.h"
#include "util/clock.h"

#define TESTPMD "/usr/bin/dpdk-testpmd"

static unsigned int count;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int testpmd_start(struct testpmd *t, const char *sock, unsigned int queues, const char *log,
		  int timeout_ms)
{
	char vdev[256], q[32];
	int64_t end = monotonic_ms() + timeout_ms;
	int p[2], fd;
	struct stat st;

	t->pid = -1;
	t->stdin_fd = -1;
	snprintf(t->prefix, sizeof(t->prefix), "microvm-test-%d-%u", (int)getpid(), ++count);
	if (access(TESTPMD, X_OK))
		return -ENOENT;
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=%u,client=0", sock, queues);
	snprintf(q, sizeof(q), "%u", queues);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	t->pid = fork();
	if (t->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (t->pid == 0) {
		char rxq[48], txq[48];

		prctl(PR_SET_PDEATHSIG, SIGKILL);  /* a failed test exits without teardown */
		/* its forwarding lcore polls: lowest priority, so it only takes idle CPU */
		if (nice(19) < 0)
			_exit(127);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(p[0], 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		snprintf(rxq, sizeof(rxq), "--rxq=%s", q);
		snprintf(txq, sizeof(txq), "--txq=%s", q);
		execl(TESTPMD, TESTPMD, "-l", "0-1", "--no-huge", "-m", "64", "--no-pci",
		      "--no-shconf", "--no-telemetry", "--file-prefix", t->prefix, "--vdev", vdev,
		      "--", "--forward-mode=macswap", "--nb-cores=1", rxq, txq, "--total-num-mbufs=4096", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	t->stdin_fd = p[1];
	while (stat(sock, &st) || !S_ISSOCK(st.st_mode)) {
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = -1;
			return -ECHILD;
		}
		if (monotonic_ms() > end)
			return -ETIMEDOUT;
		sleep_ms(20);
	}
	return 0;
}

void testpmd_stop(struct testpmd *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGINT);
		for (int i = 0; i < 250; i++) {
			if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
				t->pid = -1;
				break;
			}
			sleep_ms(20);
		}
		if (t->pid > 0) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, NULL, 0);
		}
	}
	t->pid = -1;
	/* --no-shconf --no-telemetry: DPDK still creates its (empty) runtime directory */
	if (t->prefix[0]) {
		char d[128];

		snprintf(d, sizeof(d), "%s/dpdk/%s", getuid() ? (getenv("XDG_RUNTIME_DIR") ?
			 getenv("XDG_RUNTIME_DIR") : "/tmp") : "/var/run", t->prefix);
		rmdir(d);
		t->prefix[0] = 0;
	}
	if (t->stdin_fd >= 0)
		close(t->stdin_fd);
	t->stdin_fd = -1;
}
