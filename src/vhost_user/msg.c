// SPDX-License-Identifier: MIT
/* vhost-user message codec: size tables, send/receive with SCM_RIGHTS, reply validation. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "vhost_user/msg.h"
#include "util/clock.h"

_Static_assert(sizeof(struct vhost_user_hdr) == VHOST_USER_HDR_SIZE, "header");
_Static_assert(sizeof(struct vhost_vring_state) == 8, "vring state");
_Static_assert(sizeof(struct vhost_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct vhost_user_memory) == 8 + 8 * 32, "memory table");
_Static_assert(sizeof(struct vhost_user_mem_reg) == 40, "mem reg");
_Static_assert(sizeof(struct vhost_user_mmap) == 40, "mmap");
_Static_assert(sizeof(struct vhost_user_shmem_config) == 2056, "shmem config");
_Static_assert(sizeof(struct vhost_user_vring_area) == 24, "vring area");

#define DEFAULT_TIMEOUT_MS 5000

enum size_rule {
	SZ_FIXED,       /* exactly .size bytes */
	SZ_MEM_TABLE,   /* 8 + nregions * 32, 1 <= nregions <= 8 */
	SZ_CONFIG,      /* 12 + config.size, config.size <= 256 */
	SZ_UNSUPPORTED, /* we never send it: refuse */
};

struct req_info {
	const char *name;
	enum size_rule rule;
	uint32_t size;
	int reply;      /* reply payload size, -1 none, -2 same rule as the request (config) */
};

#define REQ(n, r, s, rep) [VHOST_USER_##n] = { #n, r, s, rep }

static const struct req_info req_table[VHOST_USER_MAX_REQUEST] = {
	REQ(GET_FEATURES, SZ_FIXED, 0, 8),
	REQ(SET_FEATURES, SZ_FIXED, 8, -1),
	REQ(SET_OWNER, SZ_FIXED, 0, -1),
	REQ(RESET_OWNER, SZ_FIXED, 0, -1),
	REQ(SET_MEM_TABLE, SZ_MEM_TABLE, 0, -1),
	REQ(SET_LOG_BASE, SZ_UNSUPPORTED, 0, -1),
	REQ(SET_LOG_FD, SZ_UNSUPPORTED, 0, -1),
	REQ(SET_VRING_NUM, SZ_FIXED, 8, -1),
	REQ(SET_VRING_ADDR, SZ_FIXED, 40, -1),
	REQ(SET_VRING_BASE, SZ_FIXED, 8, -1),
	REQ(GET_VRING_BASE, SZ_FIXED, 8, 8),
	REQ(SET_VRING_KICK, SZ_FIXED, 8, -1),
	REQ(SET_VRING_CALL, SZ_FIXED, 8, -1),
	REQ(SET_VRING_ERR, SZ_FIXED, 8, -1),
	REQ(GET_PROTOCOL_FEATURES, SZ_FIXED, 0, 8),
	REQ(SET_PROTOCOL_FEATURES, SZ_FIXED, 8, -1),
	REQ(GET_QUEUE_NUM, SZ_FIXED, 0, 8),
	REQ(SET_VRING_ENABLE, SZ_FIXED, 8, -1),
	REQ(SEND_RARP, SZ_UNSUPPORTED, 0, -1),
	REQ(NET_SET_MTU, SZ_FIXED, 8, -1),
	REQ(SET_BACKEND_REQ_FD, SZ_FIXED, 0, -1),
	REQ(IOTLB_MSG, SZ_UNSUPPORTED, 0, -1),
	REQ(SET_VRING_ENDIAN, SZ_UNSUPPORTED, 0, -1),
	REQ(GET_CONFIG, SZ_CONFIG, 0, -2),
	REQ(SET_CONFIG, SZ_CONFIG, 0, -1),
	REQ(RESET_DEVICE, SZ_FIXED, 0, -1),
	REQ(GET_MAX_MEM_SLOTS, SZ_FIXED, 0, 8),
	REQ(ADD_MEM_REG, SZ_FIXED, 40, -1),
	REQ(REM_MEM_REG, SZ_FIXED, 40, -1),
	REQ(GET_SHMEM_CONFIG, SZ_FIXED, 0, 2056),
};

struct breq_info {
	const char *name;
	uint32_t size;
	bool known;
};

#define BREQ(n, s) [VHOST_USER_BACKEND_##n] = { #n, s, true }

static const struct breq_info breq_table[VHOST_USER_BACKEND_MAX_REQUEST] = {
	BREQ(IOTLB_MSG, 64),
	BREQ(CONFIG_CHANGE_MSG, 0),
	BREQ(VRING_HOST_NOTIFIER_MSG, 24),
	BREQ(VRING_CALL, 8),
	BREQ(VRING_ERR, 8),
	BREQ(SHARED_OBJECT_ADD, 16),
	BREQ(SHARED_OBJECT_REMOVE, 16),
	BREQ(SHARED_OBJECT_LOOKUP, 16),
	BREQ(SHMEM_MAP, 40),
	BREQ(SHMEM_UNMAP, 40),
};

/* name, or "unknown(<request>)" where the table has none. */
static const char *name_or_unknown(const char *name, uint32_t request)
{
	static __thread char name_buf[32];

	if (name)
		return name;
	snprintf(name_buf, sizeof(name_buf), "unknown(%u)", request);
	return name_buf;
}

const char *vu_request_name(uint32_t request)
{
	return name_or_unknown(request < VHOST_USER_MAX_REQUEST ? req_table[request].name : NULL,
			       request);
}

const char *vu_backend_request_name(uint32_t request)
{
	return name_or_unknown(request < VHOST_USER_BACKEND_MAX_REQUEST ?
			       breq_table[request].name : NULL, request);
}

/* The name of request on c's channel (each channel names its own requests). */
static const char *req_name(const struct vu_conn *c, uint32_t request)
{
	return c->request_name ? c->request_name(request) : vu_request_name(request);
}

static uint32_t config_rule_size(const struct vu_msg *m)
{
	if (m->payload.config.size > VHOST_USER_MAX_CONFIG_SIZE)
		return UINT32_MAX;
	return VHOST_USER_CONFIG_HDR_SIZE + m->payload.config.size;
}

bool vu_request_size_ok(const struct vu_msg *m)
{
	uint32_t req = m->hdr.request;
	const struct req_info *ri;
	uint32_t n;

	if (req >= VHOST_USER_MAX_REQUEST || !req_table[req].name)
		return false;
	ri = &req_table[req];
	switch (ri->rule) {
	case SZ_FIXED:
		return m->hdr.size == ri->size;
	case SZ_MEM_TABLE:
		if (m->hdr.size < 8)
			return false;
		n = m->payload.memory.nregions;
		return n >= 1 && n <= VHOST_USER_MEMORY_MAX_NREGIONS && m->hdr.size == 8 + n * 32;
	case SZ_CONFIG:
		return m->hdr.size >= VHOST_USER_CONFIG_HDR_SIZE && m->hdr.size == config_rule_size(m);
	case SZ_UNSUPPORTED:
		break;
	}
	return false;
}

int vu_reply_size(const struct vu_msg *req)
{
	uint32_t r = req->hdr.request;

	if (r >= VHOST_USER_MAX_REQUEST || !req_table[r].name)
		return -1;
	if (req_table[r].reply == -2)
		return (int)config_rule_size(req);
	return req_table[r].reply;
}

bool vu_backend_request_size_ok(const struct vu_msg *m)
{
	uint32_t r = m->hdr.request;

	if (r >= VHOST_USER_BACKEND_MAX_REQUEST || !breq_table[r].known)
		return false;
	return m->hdr.size == breq_table[r].size;
}

void vu_msg_init(struct vu_msg *m, uint32_t request, uint32_t size)
{
	memset(&m->hdr, 0, sizeof(m->hdr));
	m->hdr.request = request;
	m->hdr.flags = VHOST_USER_VERSION;
	m->hdr.size = size;
	memset(&m->payload, 0, size < sizeof(m->payload) ? size : sizeof(m->payload));
	m->nr_fds = 0;
}

void vu_msg_close_fds(struct vu_msg *m)
{
	for (unsigned int i = 0; i < m->nr_fds && i < VHOST_USER_MAX_FDS; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->nr_fds = 0;
}

/* Waits for events on fd until deadline (-1: forever). 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int timeout, r;

	for (;;) {
		timeout = -1;
		if (deadline >= 0) {
			int64_t left = deadline - monotonic_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		r = poll(&p, 1, timeout);
		if (r > 0)
			return 0;
		if (r == 0)
			continue;
		if (errno != EINTR)
			return -errno;
	}
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
}

static int conn_timeout(const struct vu_conn *c)
{
	return c->timeout_ms > 0 ? c->timeout_ms : DEFAULT_TIMEOUT_MS;
}

int vu_msg_send(struct vu_conn *c, const struct vu_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&m->hdr, .iov_len = VHOST_USER_HDR_SIZE },
		{ .iov_base = (void *)&m->payload, .iov_len = m->hdr.size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	int64_t deadline = deadline_of(conn_timeout(c));
	size_t total = VHOST_USER_HDR_SIZE + m->hdr.size, done = 0;
	bool fds_sent = m->nr_fds == 0;
	ssize_t n;
	int r;

	if (m->hdr.size > VHOST_USER_MAX_PAYLOAD || m->nr_fds > VHOST_USER_MAX_FDS) {
		err_fmt(c->err, sizeof(c->err), 0, "refusing to send %s: payload %u bytes, %u fds", req_name(c, m->hdr.request), m->hdr.size, m->nr_fds);
		return -EINVAL;
	}
	if (!fds_sent) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nr_fds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * m->nr_fds);
		memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * m->nr_fds);
	}
	while (done < total) {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				r = wait_fd(c->fd, POLLOUT, deadline);
				if (r == 0)
					continue;
				err_fmt(c->err, sizeof(c->err), 0, "sending %s: %s", req_name(c, m->hdr.request),
					r == -ETIMEDOUT ? "timed out (back-end not reading)" : strerror(-r));
				return r;
			}
			r = -errno;
			err_fmt(c->err, sizeof(c->err), 0, "sending %s: %s", req_name(c, m->hdr.request), strerror(errno));
			return r == -EPIPE ? -ECONNRESET : r;
		}
		done += (size_t)n;
		/* Descriptors travel with the first byte only; advance the iovecs. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (n > 0 && mh.msg_iovlen > 0) {
			size_t step = (size_t)n < mh.msg_iov->iov_len ? (size_t)n : mh.msg_iov->iov_len;

			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + step;
			mh.msg_iov->iov_len -= step;
			n -= (ssize_t)step;
			if (mh.msg_iov->iov_len == 0) {
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* Collects SCM_RIGHTS fds of one recvmsg into m; returns -EPROTO when over the limit. */
static int take_fds(struct vu_msg *m, struct msghdr *mh, unsigned int *overflow)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t len, cnt;
		int *fds;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		len = cm->cmsg_len - CMSG_LEN(0);
		cnt = len / sizeof(int);
		fds = (int *)CMSG_DATA(cm);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, &fds[i], sizeof(fd));
			if (m->nr_fds < VHOST_USER_MAX_FDS) {
				m->fds[m->nr_fds++] = fd;
			} else {
				close(fd);
				(*overflow)++;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		(*overflow)++;
	return *overflow ? -EPROTO : 0;
}

/* Reads exactly len bytes into buf, gathering fds. */
static int recv_full(struct vu_conn *c, struct vu_msg *m, void *buf, size_t len,
		     int64_t deadline, unsigned int *overflow, bool *eof_at_start)
{
	size_t done = 0;

	while (done < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = (char *)buf + done, .iov_len = len - done };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n;
		int r;

		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				r = wait_fd(c->fd, POLLIN, deadline);
				if (r == 0)
					continue;
				return r;
			}
			return -errno;
		}
		take_fds(m, &mh, overflow);
		if (n == 0) {
			if (eof_at_start)
				*eof_at_start = done == 0;
			return -ECONNRESET;
		}
		done += (size_t)n;
	}
	return 0;
}

static int recv_fail(struct vu_conn *c, struct vu_msg *m, int r, const char *what)
{
	vu_msg_close_fds(m);
	if (r == -ETIMEDOUT)
		err_fmt(c->err, sizeof(c->err), 0, "back-end did not answer within %d ms (%s)", c->timeout_ms > 0 ? c->timeout_ms : DEFAULT_TIMEOUT_MS, what);
	else if (r == -ECONNRESET)
		err_fmt(c->err, sizeof(c->err), 0, "back-end closed the connection (%s)", what);
	else
		err_fmt(c->err, sizeof(c->err), 0, "receiving %s: %s", what, strerror(-r));
	return r;
}

int vu_msg_recv(struct vu_conn *c, struct vu_msg *m, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	unsigned int overflow = 0;
	bool eof0 = false;
	uint32_t flags;
	int r;

	m->nr_fds = 0;
	r = recv_full(c, m, &m->hdr, VHOST_USER_HDR_SIZE, deadline, &overflow, &eof0);
	if (r)
		return recv_fail(c, m, r, "message header");
	if (m->hdr.size > VHOST_USER_MAX_PAYLOAD) {
		vu_msg_close_fds(m);
		err_fmt(c->err, sizeof(c->err), 0, "%s: payload of %u bytes exceeds the %u-byte limit", req_name(c, m->hdr.request), m->hdr.size, VHOST_USER_MAX_PAYLOAD);
		return -EPROTO;
	}
	r = recv_full(c, m, &m->payload, m->hdr.size, deadline, &overflow, NULL);
	if (r)
		return recv_fail(c, m, r, "message payload");
	if (overflow) {
		vu_msg_close_fds(m);
		err_fmt(c->err, sizeof(c->err), 0, "message %u carries more than %u file descriptors: rejected",
			m->hdr.request, VHOST_USER_MAX_FDS);
		return -ETOOMANYREFS;
	}
	flags = m->hdr.flags;
	if ((flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    (flags & ~VHOST_USER_KNOWN_FLAGS)) {
		vu_msg_close_fds(m);
		err_fmt(c->err, sizeof(c->err), 0, "message %u has bad flags 0x%x (version must be 1)", m->hdr.request, flags);
		return -EPROTO;
	}
	return 0;
}

int vu_msg_recv_reply(struct vu_conn *c, struct vu_msg *m, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms), left;
	int r;

	m->nr_fds = 0;
	r = wait_fd(c->fd, POLLIN, deadline);
	if (r)
		return recv_fail(c, m, r, "reply header");
	left = deadline < 0 ? -1 : deadline - monotonic_ms();
	return vu_msg_recv(c, m, left < 0 && deadline >= 0 ? 0 : (int)left);
}

int vu_check_reply(struct vu_conn *c, const struct vu_msg *req, const struct vu_msg *reply)
{
	const char *name = req_name(c, req->hdr.request);
	int want;

	if (!(reply->hdr.flags & VHOST_USER_REPLY_MASK)) {
		err_fmt(c->err, sizeof(c->err), 0, "reply to %s lacks the REPLY flag (flags 0x%x)", name,
			reply->hdr.flags);
		return -EPROTO;
	}
	if (reply->hdr.request != req->hdr.request) {
		err_fmt(c->err, sizeof(c->err), 0, "expected a reply to %s, got one to request %u", name,
			reply->hdr.request);
		return -EPROTO;
	}
	if (reply->nr_fds) {
		err_fmt(c->err, sizeof(c->err), 0, "reply to %s carries %u unexpected file descriptors", name, reply->nr_fds);
		return -EPROTO;
	}
	want = (req->hdr.flags & VHOST_USER_NEED_REPLY_MASK) && vu_reply_size(req) < 0 ?
	       8 : vu_reply_size(req);
	if (want < 0 || reply->hdr.size != (uint32_t)want) {
		err_fmt(c->err, sizeof(c->err), 0, "reply to %s has %u payload bytes, expected %d", name,
			reply->hdr.size, want);
		return -EPROTO;
	}
	return 0;
}

int vu_call(struct vu_conn *c, struct vu_msg *req, struct vu_msg *reply)
{
	struct vu_msg ack;
	struct vu_msg *rep;
	int reply_size, r;

	if (!vu_request_size_ok(req)) {
		err_fmt(c->err, sizeof(c->err), 0, "internal error: %s with payload size %u", req_name(c, req->hdr.request), req->hdr.size);
		return -EINVAL;
	}
	reply_size = vu_reply_size(req);
	req->hdr.flags &= ~VHOST_USER_NEED_REPLY_MASK;
	if (reply_size < 0 && c->reply_ack)
		req->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	r = vu_msg_send(c, req);
	if (r)
		return r;
	if (reply_size < 0 && !c->reply_ack)
		return 0;
	rep = reply_size >= 0 && reply ? reply : &ack;
	r = vu_msg_recv_reply(c, rep, conn_timeout(c));
	if (r)
		return r;
	r = vu_check_reply(c, req, rep);
	if (r) {
		vu_msg_close_fds(rep);
		return r;
	}
	if (reply_size < 0 && rep->payload.u64 != 0) {
		err_fmt(c->err, sizeof(c->err), 0, "back-end rejected %s (status %llu)", req_name(c, req->hdr.request), (unsigned long long)rep->payload.u64);
		return -EIO;
	}
	return 0;
}
