// SPDX-License-Identifier: MIT
/*
 * Scripted vhost-user back-end for tests: behaves (a small generic device with config space,
 * SHMEM, 4 queues) and misbehaves on purpose.
 *
 *   fake_backend --socket PATH [--log FILE] [--protocol HEX] [--fail REQUEST:ACTION]
 *                [--flood N] [--chan ACTION]
 *
 * Every received message is logged as "REQ <name> size=<n> fds=<n> flags=0x<x>".
 * --fail: when REQUEST (e.g. GET_FEATURES) arrives, do ACTION instead of answering:
 *   close     close the connection (mid-negotiation death)
 *   garbage   answer 64 bytes of 0xa5
 *   silent    never answer (keep the socket open)
 *   fds253    correct reply carrying 253 descriptors
 *   wrongid   reply for another request id
 *   noreply   reply without the REPLY flag
 *   oversize  reply header announcing 1 MiB of payload
 *   wrongsize reply with 4 payload bytes
 *   nack      REPLY_ACK status 1
 * --flood N: after SET_OWNER, send N unknown requests with NEED_REPLY and N CONFIG_CHANGE_MSG
 *   without, read every reply, then log "FLOOD replies=<n> failures=<n>".
 * --chan ACTION: after SET_OWNER, on the backend channel: fds253 (CONFIG_CHANGE with 253 fds,
 *   then a normal one with NEED_REPLY), garbage (bad header), shmem (a SHMEM_MAP without fd),
 *   config-on-start (when queue 1 is enabled: change the config space, send CONFIG_CHANGE_MSG
 *   with NEED_REPLY and wait for the answer before acking SET_VRING_ENABLE).
 *   The answers are logged as "CHAN reply <request> status=<n>".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_user/msg.h"

static FILE *logf;
static int conn_fd = -1, chan_fd = -1;
static uint64_t protocol = 0x40a629; /* MQ REPLY_ACK BACKEND_REQ CONFIG SEND_FD RESET CONFIGURE_MEM_SLOTS SHMEM */
static uint64_t acked_protocol;
static const char *fail_req, *fail_action, *chan_action;
static long flood;
static uint8_t config[256];

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
	va_list ap;

	if (!logf)
		return;
	va_start(ap, fmt);
	vfprintf(logf, fmt, ap);
	va_end(ap);
	fputc('\n', logf);
	fflush(logf);
}

static void raw_send(int fd, uint32_t req, uint32_t flags, uint32_t size, const void *p,
		     size_t plen, int passfd, int nfds)
{
	struct vhost_user_hdr h = { req, flags, size };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)p, plen } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = plen ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &passfd, sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		logline("SEND failed: %s", strerror(errno));
}

#define RF (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK)

/* Misbehaviour instead of the reply to m. Returns 1 when the connection must end. */
static int misbehave(const struct vu_msg *m)
{
	static uint8_t junk[64];
	uint64_t v = 0;
	int efd;

	logline("FAIL %s %s", vu_request_name(m->hdr.request), fail_action);
	if (!strcmp(fail_action, "close"))
		return 1;
	if (!strcmp(fail_action, "garbage")) {
		memset(junk, 0xa5, sizeof(junk));
		if (write(conn_fd, junk, sizeof(junk)) < 0)
			return 1;
	} else if (!strcmp(fail_action, "silent")) {
		for (;;)
			pause();
	} else if (!strcmp(fail_action, "fds253")) {
		efd = eventfd(0, 0);
		raw_send(conn_fd, m->hdr.request, RF, 8, &v, 8, efd, 253);
		close(efd);
	} else if (!strcmp(fail_action, "wrongid")) {
		raw_send(conn_fd, m->hdr.request + 1, RF, 8, &v, 8, -1, 0);
	} else if (!strcmp(fail_action, "noreply")) {
		raw_send(conn_fd, m->hdr.request, VHOST_USER_VERSION, 8, &v, 8, -1, 0);
	} else if (!strcmp(fail_action, "oversize")) {
		raw_send(conn_fd, m->hdr.request, RF, 1u << 20, &v, 8, -1, 0);
	} else if (!strcmp(fail_action, "wrongsize")) {
		raw_send(conn_fd, m->hdr.request, RF, 4, &v, 4, -1, 0);
	} else if (!strcmp(fail_action, "nack")) {
		v = 1;
		raw_send(conn_fd, m->hdr.request, RF, 8, &v, 8, -1, 0);
	}
	return 0;
}

static void reply_u64(const struct vu_msg *m, uint64_t v)
{
	raw_send(conn_fd, m->hdr.request, RF, 8, &v, 8, -1, 0);
}

static void *flood_reader(void *arg)
{
	long want = *(long *)arg, got = 0, failures = 0;
	struct vu_conn c = { .fd = chan_fd, .timeout_ms = 10000, .name = "flood" };
	struct vu_msg m;

	while (got < want && vu_msg_recv(&c, &m, 10000) == 0) {
		got++;
		if (m.payload.u64)
			failures++;
		vu_msg_close_fds(&m);
	}
	logline("FLOOD replies=%ld failures=%ld", got, failures);
	return NULL;
}

static void do_flood(void)
{
	long want = flood + 1;
	pthread_t t;
	uint64_t z = 0;

	pthread_create(&t, NULL, flood_reader, &want);
	for (long i = 0; i < flood; i++) {
		raw_send(chan_fd, 99, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 8, &z, 8, -1, 0);
		raw_send(chan_fd, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, VHOST_USER_VERSION, 0, NULL, 0,
			 -1, 0);
	}
	raw_send(chan_fd, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
		 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0, -1, 0);
	pthread_join(t, NULL);
}

static void chan_expect_reply(const char *what)
{
	struct vu_conn c = { .fd = chan_fd, .timeout_ms = 3000, .name = "chan" };
	struct vu_msg m;

	if (vu_msg_recv(&c, &m, 3000) == 0)
		logline("CHAN reply %s status=%llu", what, (unsigned long long)m.payload.u64);
	else
		logline("CHAN no reply %s: %s", what, c.err);
}

static void do_chan(void)
{
	struct vhost_user_mmap mm = { .shmid = 0, .len = 4096, .flags = 1 };
	uint8_t junk[32];
	int efd = eventfd(0, 0);

	if (!strcmp(chan_action, "fds253")) {
		raw_send(chan_fd, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
			 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0, efd, 253);
		chan_expect_reply("fds253");
		raw_send(chan_fd, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
			 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0, -1, 0);
		chan_expect_reply("config_change");
	} else if (!strcmp(chan_action, "garbage")) {
		memset(junk, 0xa5, sizeof(junk));
		if (write(chan_fd, junk, sizeof(junk)) < 0)
			logline("CHAN write failed");
	} else if (!strcmp(chan_action, "shmem")) {
		raw_send(chan_fd, VHOST_USER_BACKEND_SHMEM_MAP,
			 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 40, &mm, 40, -1, 0);
		chan_expect_reply("shmem_map_nofd");
	}
	close(efd);
}

static void after_owner(void)
{
	if (flood && chan_fd >= 0)
		do_flood();
	if (chan_action && chan_fd >= 0 && strcmp(chan_action, "config-on-start"))
		do_chan();
}

/* Answers a well-formed request like a small generic device. */
static void serve(struct vu_msg *m)
{
	struct vhost_user_shmem_config shm;
	struct vu_msg rep;
	uint32_t req = m->hdr.request;
	bool has_reply = true;

	switch (req) {
	case VHOST_USER_GET_FEATURES:
		reply_u64(m, (1ull << 32) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES) | 0x3);
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		reply_u64(m, protocol);
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		reply_u64(m, 4);
		break;
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		reply_u64(m, 8);
		break;
	case VHOST_USER_GET_VRING_BASE:
		raw_send(conn_fd, req, RF, 8, &m->payload.state, 8, -1, 0);
		break;
	case VHOST_USER_GET_CONFIG:
		rep = *m;
		if (m->payload.config.offset + m->payload.config.size <= sizeof(config))
			memcpy(rep.payload.config.region, config + m->payload.config.offset,
			       m->payload.config.size);
		raw_send(conn_fd, req, RF, m->hdr.size, &rep.payload, m->hdr.size, -1, 0);
		break;
	case VHOST_USER_GET_SHMEM_CONFIG:
		memset(&shm, 0, sizeof(shm));
		shm.nregions = 1;
		shm.memory_sizes[1] = 2u << 20;
		raw_send(conn_fd, req, RF, sizeof(shm), &shm, sizeof(shm), -1, 0);
		break;
	default:
		has_reply = false;
		break;
	}
	if (req == VHOST_USER_SET_PROTOCOL_FEATURES)
		acked_protocol = m->payload.u64;
	if (req == VHOST_USER_SET_CONFIG &&
	    m->payload.config.offset + m->payload.config.size <= sizeof(config))
		memcpy(config + m->payload.config.offset, m->payload.config.region,
		       m->payload.config.size);
	if (req == VHOST_USER_SET_BACKEND_REQ_FD && m->nr_fds == 1) {
		chan_fd = dup(m->fds[0]);
	}
	if (req == VHOST_USER_SET_VRING_ENABLE && chan_action && chan_fd >= 0 &&
	    !strcmp(chan_action, "config-on-start") && m->payload.state.index == 1) {
		/* The front-end is waiting for our ack on the main socket: its backend channel
		 * must still answer (no deadlock). */
		memcpy(config, "CHANGED!", 8);
		raw_send(chan_fd, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG,
			 VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0, -1, 0);
		chan_expect_reply("config_change_on_start");
	}
	if (!has_reply && (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK))
		reply_u64(m, 0);
	if (req == VHOST_USER_SET_OWNER)
		after_owner();
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		perror("fake_backend: listen");
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct vu_conn c = { .timeout_ms = 0, .name = "fake" };
	struct vu_msg m;
	int lfd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--socket"))
			sock = argv[i + 1];
		else if (!strcmp(argv[i], "--log"))
			logf = fopen(argv[i + 1], "w");
		else if (!strcmp(argv[i], "--protocol"))
			protocol = strtoull(argv[i + 1], NULL, 16);
		else if (!strcmp(argv[i], "--flood"))
			flood = strtol(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--chan"))
			chan_action = argv[i + 1];
		else if (!strcmp(argv[i], "--fail")) {
			char *colon = strchr(argv[i + 1], ':');

			if (!colon)
				return 2;
			*colon = 0;
			fail_req = argv[i + 1];
			fail_action = colon + 1;
		}
	}
	if (!sock) {
		fprintf(stderr, "usage: fake_backend --socket PATH [options]\n");
		return 2;
	}
	lfd = listen_on(sock);
	conn_fd = accept(lfd, NULL, NULL);
	if (conn_fd < 0)
		return 2;
	c.fd = conn_fd;
	for (;;) {
		if (vu_msg_recv(&c, &m, -1)) {
			logline("END %s: %s", c.name, c.err);
			break;
		}
		logline("REQ %s size=%u fds=%u flags=0x%x", vu_request_name(m.hdr.request),
			m.hdr.size, m.nr_fds, m.hdr.flags);
		if (fail_req && !strcmp(fail_req, vu_request_name(m.hdr.request))) {
			vu_msg_close_fds(&m);
			if (misbehave(&m))
				break;
			continue;
		}
		serve(&m);
		vu_msg_close_fds(&m);
	}
	close(conn_fd);
	return 0;
}
