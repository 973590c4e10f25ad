/* SPDX-License-Identifier: MIT */
/*
 * Debian's DPDK dpdk-testpmd as a vhost-user-net back-end for tests (package dpdk-dev, the vhost
 * PMD is librte-net-vhost23; scripts/deps.sh installs both): DPDK is the socket's server
 * (client=0), forwards every frame back on the queue pair it came from (macswap: source and
 * destination MAC swapped), runs without huge pages and without shared files (--no-huge
 * --no-shconf --no-telemetry, a unique --file-prefix whose empty directory is removed), one
 * forwarding lcore, at nice 19 (it polls: 100 % of a core otherwise).
 */
#ifndef MICROVM_TESTS_TESTPMD_H
#define MICROVM_TESTS_TESTPMD_H

#include <stdbool.h>
#include <sys/types.h>

struct testpmd {
	pid_t pid;
	int stdin_fd;       /* testpmd exits when "enter" is pressed: we keep it open */
	char prefix[48];    /* --file-prefix, unique per start */
};

/*
 * Starts testpmd serving sock with queues queue pairs, its output to log. Waits up to
 * timeout_ms for the socket to appear. 0, or -errno (-ENOENT: dpdk-testpmd not installed).
 */
int testpmd_start(struct testpmd *t, const char *sock, unsigned int queues, const char *log,
		  int timeout_ms);
/* SIGINT, then SIGKILL after 5 s; reaps it. Safe on a never-started struct (pid <= 0). */
void testpmd_stop(struct testpmd *t);

#endif
