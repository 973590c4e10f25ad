// SPDX-License-Identifier: MIT
/*
 * Fuzz target: everything a vhost-user FRONT-END can send to microvm's back-end library
 * (src/vu_backend, the core of microvm-virtiofsd). The input is the front-end's byte stream on
 * the main socket: vub_serve() parses each message through the shared codec and dispatches it
 * through its handler table, exactly as in the daemon. Replies are drained by a helper thread.
 * The fuzz_vhost_user target covers the other direction (back-end -> front-end).
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "vu_backend/vu_backend.h"

static struct vub *b;
static const uint8_t config[40] = "fuzz";

static uint32_t process(void *opaque, unsigned int q, const struct virtq_elem *elem)
{
	(void)opaque;
	(void)q;
	(void)elem;
	return 0;
}

static void reset(void *opaque)
{
	(void)opaque;
}

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vub_device dev = {
		.name = "fuzz", .nr_queues = 2, .config = config, .config_size = sizeof(config),
		.shm_size = { 2u << 20 }, .process = process, .reset = reset,
	};
	pthread_t t;
	int sv[2];
	size_t off = 0;

	if (!b) {
		signal(SIGPIPE, SIG_IGN);
		log_set_level(LOG_ERROR);
		b = vub_new(&dev);
		if (!b)
			return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (pthread_create(&t, NULL, drain, &sv[0])) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	while (off < size) {
		ssize_t n = write(sv[0], data + off, size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(sv[0], SHUT_WR);
	vub_serve(b, sv[1]);          /* returns at end of stream; closes sv[1] */
	pthread_join(t, NULL);
	close(sv[0]);
	return 0;
}
