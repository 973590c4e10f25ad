// SPDX-License-Identifier: MIT
/*
 * Backend channel (SET_BACKEND_REQ_FD) and its thread, one per connection.
 *
 * The thread serves back-end requests through a table indexed by request number, answers with
 * REPLY_ACK semantics, and watches the main socket (hang-up = back-end death) and the vring
 * error eventfds. It owns copies of every descriptor it polls and never takes dev->lock. A vCPU
 * (guest reset, lock held) only signals it (worker_signal); the next connection reaps the
 * threads that have returned, and device teardown joins them all, with no lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/vhost_user.h"
#include "util/err.h"
#include "util/log.h"
#include "util/worker.h"

#include "vhost_user/shmem.h"

#define CHAN_MSG_TIMEOUT_MS 1000 /* rest of a message once its first byte arrived */

/* What the thread of one connection owns; freed by the thread when it returns. */
struct chan_thread {
	struct vu_dev *dev;
	uint64_t gen;
	int conn_fd;           /* dup of the main socket: hang-up detection only */
	struct vu_conn chan;   /* chan.fd: backend channel, -1 none */
	unsigned int nr_err;
	int err_fds[VIRTIO_MAX_QUEUES];
};

/* A handler gets a request whose envelope the table checked; on failure why says what. */
typedef int (*chan_handler)(struct vu_dev *dev, const struct vu_msg *m, char *why, size_t len);

struct chan_entry {
	chan_handler fn;
	unsigned int nr_fds;   /* exact number of descriptors */
	int need_protocol;     /* protocol feature required, -1 none */
};

static int handle_config_change(struct vu_dev *dev, const struct vu_msg *m, char *why,
				size_t len)
{
	(void)m;
	(void)why;
	(void)len;
	virtio_device_config_changed(&dev->vdev);   /* no-op until the transport is registered */
	return 0;
}

/* A map that could not even restore the hole reset the region: the device must be reset. */
static int shmem_result(struct vu_dev *dev, int ret)
{
	if (ret == -EIO)
		virtio_device_needs_reset(&dev->vdev);
	return ret;
}

static int handle_shmem_map(struct vu_dev *dev, const struct vu_msg *m, char *why, size_t len)
{
	return shmem_result(dev, vu_shmem_map(dev->vdev.shm, vu_shmem_count(dev),
					      &m->payload.mmap, m->fds[0], why, len));
}

static int handle_shmem_unmap(struct vu_dev *dev, const struct vu_msg *m, char *why,
			      size_t len)
{
	return vu_shmem_unmap(dev->vdev.shm, vu_shmem_count(dev), &m->payload.mmap, why, len);
}

/* The envelope of every request: payload size (msg.c's backend table), fds, feature. */
static const struct chan_entry chan_table[VHOST_USER_BACKEND_MAX_REQUEST] = {
	[VHOST_USER_BACKEND_CONFIG_CHANGE_MSG] = { handle_config_change, 0, -1 },
	[VHOST_USER_BACKEND_SHMEM_MAP] = { handle_shmem_map, 1, VHOST_USER_PROTOCOL_F_SHMEM },
	[VHOST_USER_BACKEND_SHMEM_UNMAP] = { handle_shmem_unmap, 0, VHOST_USER_PROTOCOL_F_SHMEM },
};

/* One line per failure, rate-limited (log.h); every failure is counted in chan_failures. */
static void chan_log_failure(struct vu_dev *dev, const char *why)
{
	atomic_fetch_add(&dev->chan_failures, 1);
	pr_warn_rl("%s: backend channel: %s", dev->name, why);
}

static int chan_reply(struct vu_conn *chan, const struct vu_msg *req, int result)
{
	struct vu_msg rep;

	vu_msg_init(&rep, req->hdr.request, 8);
	rep.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	rep.payload.u64 = result ? (uint64_t)(result < 0 ? -result : result) : 0;
	return vu_msg_send(chan, &rep);
}

/* Envelope of every request from the table, then its handler. why: "<REQUEST>...: reason". */
static int chan_dispatch(struct vu_dev *dev, struct vu_msg *m, char *why, size_t len)
{
	uint32_t req = m->hdr.request;
	const char *name = vu_backend_request_name(req);
	const struct chan_entry *e;
	int r;

	if (req >= VHOST_USER_BACKEND_MAX_REQUEST || !chan_table[req].fn) {
		snprintf(why, len, "unsupported request %s", name);
		return -EOPNOTSUPP;
	}
	e = &chan_table[req];
	if (e->need_protocol >= 0 && !vu_has_protocol(dev, (unsigned int)e->need_protocol)) {
		snprintf(why, len, "%s: protocol feature %d not negotiated", name, e->need_protocol);
		return -EPERM;
	}
	if (!vu_backend_request_size_ok(m)) {
		snprintf(why, len, "%s: payload of %u bytes, not the request's size", name,
			 m->hdr.size);
		return -EINVAL;
	}
	if (m->nr_fds != e->nr_fds) {
		snprintf(why, len, "%s: %u file descriptors, expected %u", name, m->nr_fds,
			 e->nr_fds);
		return -EINVAL;
	}
	r = e->fn(dev, m, why, len);   /* typed handlers name the request in why themselves */
	if (r && !why[0])
		snprintf(why, len, "%s: %s", name, strerror(-r));
	return r;
}

int vu_chan_handle(struct vu_dev *dev, struct vu_conn *chan, struct vu_msg *m)
{
	const char *name = vu_backend_request_name(m->hdr.request);
	char why[320] = "";
	int r, s = 0;

	atomic_fetch_add(&dev->chan_requests, 1);
	if (m->hdr.flags & VHOST_USER_REPLY_MASK) {
		snprintf(why, sizeof(why), "unexpected reply flag on %s", name);
		chan_log_failure(dev, why);
		vu_msg_close_fds(m);
		return 0;
	}
	r = chan_dispatch(dev, m, why, sizeof(why));
	vu_msg_close_fds(m);
	/* reply first: the back-end may be waiting for it (never log before) */
	if (m->hdr.flags & VHOST_USER_NEED_REPLY_MASK) {
		s = chan_reply(chan, m, r);
		if (s)
			pr_warn_rl("%s: backend channel: %s", dev->name, chan->err);
	}
	if (r)
		chan_log_failure(dev, why);
	return s;
}

int vu_chan_setup(struct vu_dev *dev)
{
	struct vu_msg m;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		err_fmt(dev->conn.err, sizeof(dev->conn.err), 0, "socketpair: %s", strerror(errno));
		return r;
	}
	vu_msg_init(&m, VHOST_USER_SET_BACKEND_REQ_FD, 0);
	m.fds[0] = sv[1];
	m.nr_fds = 1;
	r = vu_dev_call(dev, &m, NULL);
	close(sv[1]);
	if (r) {
		close(sv[0]);
		return r;
	}
	if (dev->chan_fd >= 0)
		close(dev->chan_fd);
	dev->chan_fd = sv[0];
	return 0;
}

static void chan_thread_free(struct chan_thread *ct)
{
	if (ct->conn_fd >= 0)
		close(ct->conn_fd);
	if (ct->chan.fd >= 0)
		close(ct->chan.fd);
	for (unsigned int i = 0; i < ct->nr_err; i++)
		if (ct->err_fds[i] >= 0)
			close(ct->err_fds[i]);
	free(ct);
}

/* The channel failed (its reason in chan.err): the back-end is gone. */
static void chan_lost(struct chan_thread *ct)
{
	char why[sizeof(ct->chan.err) + 24];

	snprintf(why, sizeof(why), "backend channel: %s", ct->chan.err);
	vu_dev_mark_dead_gen(ct->dev, ct->gen, why);
}

/*
 * Serves one message: the back-end sends one request at a time and waits for its reply, so a
 * second one is almost never queued behind it, and a poll(0) for one after every request was a
 * syscall per request for nothing. Queued messages are still served, one per turn of the
 * thread's poll loop (which sees the channel readable at once). Returns -1 when the channel is
 * unusable.
 */
static int serve_channel(struct chan_thread *ct)
{
	struct vu_msg m;
	int r;

	r = vu_msg_recv(&ct->chan, &m, CHAN_MSG_TIMEOUT_MS);
	if (r == -ETOOMANYREFS) {
		/* Read whole (fds closed): refuse it and stay in sync. */
		char why[96];

		snprintf(why, sizeof(why), "%s: %s", vu_backend_request_name(m.hdr.request),
			 strerror(-r));
		chan_log_failure(ct->dev, why);
		if (!(m.hdr.flags & VHOST_USER_NEED_REPLY_MASK) || !chan_reply(&ct->chan, &m, r))
			return 0;
		r = -EPIPE;
	}
	if (r || vu_chan_handle(ct->dev, &ct->chan, &m)) {
		chan_lost(ct);
		return -1;
	}
	return 0;
}

static void drain_err(struct chan_thread *ct, unsigned int q)
{
	uint64_t v;
	char why[80];

	if (read(ct->err_fds[q], &v, sizeof(v)) != sizeof(v))
		return;
	snprintf(why, sizeof(why), "back-end signalled an error on queue %u", q);
	vu_dev_mark_dead_gen(ct->dev, ct->gen, why);
}

static void chan_thread_main(struct worker *w)
{
	struct chan_thread *ct = w->arg;
	struct vu_dev *dev = ct->dev;
	struct pollfd p[3 + VIRTIO_MAX_QUEUES];
	bool watching = true;

	while (1) {
		unsigned int n = 0;

		p[n++] = (struct pollfd){ .fd = w->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = watching ? ct->conn_fd : -1, .events = POLLRDHUP };
		p[n++] = (struct pollfd){ .fd = watching ? ct->chan.fd : -1, .events = POLLIN };
		for (unsigned int i = 0; i < ct->nr_err; i++)
			p[n++] = (struct pollfd){ .fd = watching ? ct->err_fds[i] : -1,
						  .events = POLLIN };
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err_rl("%s: backend channel poll: %s", dev->name, strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			vu_dev_mark_dead_gen(dev, ct->gen, "the back-end closed its socket");
			watching = false;
			continue;
		}
		if (p[2].revents & POLLIN) {
			if (serve_channel(ct))
				watching = false;
		} else if (p[2].revents & (POLLHUP | POLLERR)) {
			vu_dev_mark_dead_gen(dev, ct->gen, "the back-end closed the backend channel");
			watching = false;
		}
		for (unsigned int i = 0; watching && i < ct->nr_err; i++)
			if (p[3 + i].revents & POLLIN)
				drain_err(ct, i);
	}
	chan_thread_free(ct);
}

static int make_err_fds(struct vu_dev *dev)
{
	for (unsigned int i = 0; i < dev->vdev.nr_queues && i < VIRTIO_MAX_QUEUES; i++) {
		if (dev->err_fds[i] >= 0)
			continue;
		dev->err_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->err_fds[i] < 0)
			return -errno;
	}
	return 0;
}

static int fcntl_dupfd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static int chan_thread_fds(struct vu_dev *dev, struct chan_thread *ct)
{
	ct->conn_fd = fcntl_dupfd(dev->conn.fd);
	if (ct->conn_fd < 0)
		return -errno;
	ct->nr_err = dev->vdev.nr_queues;
	for (unsigned int i = 0; i < ct->nr_err; i++) {
		ct->err_fds[i] = fcntl_dupfd(dev->err_fds[i]);
		if (ct->err_fds[i] < 0)
			return -errno;
	}
	ct->chan.fd = dev->chan_fd;  /* the thread owns the channel from now on */
	dev->chan_fd = -1;
	return 0;
}

/* A free worker slot, after reaping the threads of earlier connections that have returned. */
static struct worker *free_slot(struct vu_dev *dev)
{
	struct worker *slot = NULL;

	for (unsigned int i = 0; i < VU_CHAN_THREADS; i++)
		if (worker_try_join(&dev->chan_threads[i]) && !slot)
			slot = &dev->chan_threads[i];
	return slot;
}

int vu_thread_start(struct vu_dev *dev)
{
	struct chan_thread *ct;
	struct worker *w;
	int r;

	r = make_err_fds(dev);
	if (r)
		return r;
	/* Every slot busy: threads of old connections still finish a request; the next reset retries. */
	w = free_slot(dev);
	if (!w)
		return -EBUSY;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->dev = dev;
	ct->gen = atomic_load(&dev->state) >> 1;
	ct->conn_fd = ct->chan.fd = -1;
	ct->chan.name = "backend channel";
	ct->chan.request_name = vu_backend_request_name;  /* its requests are the back-end's */
	ct->chan.timeout_ms = CHAN_MSG_TIMEOUT_MS;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		ct->err_fds[i] = -1;
	r = chan_thread_fds(dev, ct);
	if (r == 0)
		r = worker_start(w, "vu-chan", THREAD_ROLE_BACKEND_CHANNEL, chan_thread_main, ct);
	if (r) {
		chan_thread_free(ct);
		return r;
	}
	dev->chan_cur = w;
	return 0;
}

void vu_thread_stop(struct vu_dev *dev)
{
	if (dev->chan_cur)
		worker_signal(dev->chan_cur);
	dev->chan_cur = NULL;
}

void vu_thread_wait_all(struct vu_dev *dev)
{
	vu_thread_stop(dev);
	for (unsigned int i = 0; i < VU_CHAN_THREADS; i++)
		worker_join(&dev->chan_threads[i]);
}
