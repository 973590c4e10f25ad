// SPDX-License-Identifier: MIT
/*
 * Vrings: SET_VRING_NUM/ADDR/BASE/KICK/CALL/ERR/ENABLE, GET_VRING_BASE, and one worker thread
 * per queue. A ring is ready once it has a size, addresses inside the memory table and a kick
 * fd; it then runs while enabled (always, without VHOST_USER_F_PROTOCOL_FEATURES) until
 * GET_VRING_BASE stops it. Workers poll a private dup of the kick fd plus a wake eventfd and
 * process chains under the read lock; the main thread changes rings under the write lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/virtio_dev.h"
#include "vu_backend/vub_priv.h"
#include "util/log.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void wake(struct vub_vq *v)
{
	uint64_t one = 1;

	if (write(v->wake_fd, &one, sizeof(one)) < 0)
		pr_debug_rl("%s: wake queue %u: write failed", v->b->dev.name, v->idx);
}

/* (Re)initialises the virtq from the current addresses and memory table. */
static int vq_setup(struct vub_vq *v, bool keep_indices)
{
	struct vub *b = v->b;
	struct virtio_queue q = { .size = v->num, .kick_fd = -1, .call_fd = v->call_fd };
	uint16_t last_avail = v->vq.last_avail, used_idx = v->vq.used_idx;
	uint64_t n = v->num;

	if (!v->num || !v->addr_set || v->kick_fd < 0 || !b->nr_regions)
		return -EAGAIN;
	if (vub_uva_to_gpa(b, v->addr.desc_user_addr, 16 * n, &q.desc_gpa) ||
	    vub_uva_to_gpa(b, v->addr.avail_user_addr, 6 + 2 * n, &q.avail_gpa) ||
	    vub_uva_to_gpa(b, v->addr.used_user_addr, 6 + 8 * n, &q.used_gpa)) {
		pr_err_rl("%s: queue %u: ring addresses outside the memory table", b->dev.name,
			  v->idx);
		return -EFAULT;
	}
	if (virtq_init(&v->vq, &b->gm, &q, b->features, b->dev.name) < 0) {
		pr_err_rl("%s: queue %u: %s", b->dev.name, v->idx, v->vq.err);
		return -EINVAL;
	}
	if (keep_indices) {
		v->vq.last_avail = last_avail;
		v->vq.used_idx = used_idx;
	} else {
		v->vq.last_avail = v->base;
		v->vq.used_idx = *(volatile uint16_t *)&v->vq.used->idx;
	}
	if (!v->elem.iov || v->elem.max < v->num) {
		virtq_elem_free(&v->elem);
		if (virtq_elem_alloc(&v->elem, &v->vq) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void try_start(struct vub_vq *v)
{
	if (v->ready)
		return;
	if (vq_setup(v, false) == 0) {
		v->ready = true;
		wake(v);
	}
}

void vub_vrings_remap(struct vub *b)
{
	for (unsigned int i = 0; i < b->dev.nr_queues; i++) {
		struct vub_vq *v = &b->vqs[i];
		uint16_t last_avail = v->vq.last_avail;

		if (v->ready && vq_setup(v, true) < 0) {
			/* Rings left the memory table: stop, resume from here if it comes back. */
			v->ready = false;
			v->base = last_avail;
		} else if (!v->ready) {
			try_start(v);
		}
	}
}

void vub_vrings_reset(struct vub *b)
{
	for (unsigned int i = 0; i < b->dev.nr_queues; i++) {
		struct vub_vq *v = &b->vqs[i];

		v->ready = false;
		v->addr_set = false;
		v->num = 0;
		v->base = 0;
		v->enabled = !(b->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
		close_fd(&v->kick_fd);
		close_fd(&v->call_fd);
		close_fd(&v->err_fd);
		v->kick_gen++;
		memset(&v->vq, 0, sizeof(v->vq));
		v->vq.call_fd = -1;
		wake(v);
	}
}

static void report_broken(struct vub_vq *v)
{
	uint64_t one = 1;

	pr_err_rl("%s: queue %u: %s; queue stopped", v->b->dev.name, v->idx, v->vq.err);
	if (v->err_fd >= 0 && write(v->err_fd, &one, sizeof(one)) < 0)
		pr_debug_rl("%s: queue %u: error eventfd write failed", v->b->dev.name, v->idx);
}

/* Chains served per read-lock hold, so ring/memory changes never wait behind a busy queue. */
#define BATCH 64

/* Pops and serves available chains. Read lock held. Returns true if more may be pending. */
static bool process(struct vub_vq *v)
{
	struct vub *b = v->b;
	int r;

	for (unsigned int n = 0; n < BATCH; n++) {
		if (atomic_load(&b->stopping))
			return false;
		r = virtq_pop(&v->vq, &v->elem);
		if (r <= 0) {
			if (r < 0)
				report_broken(v);
			return false;
		}
		virtq_push(&v->vq, v->elem.head, b->dev.process(b->dev.opaque, v->idx, &v->elem));
		virtq_notify(&v->vq);
	}
	return true;
}

static void worker(struct worker *w)
{
	struct vub_vq *v = w->arg;
	struct vub *b = v->b;
	unsigned int gen = ~0u;
	int kick = -1;
	uint64_t cnt;

	for (;;) {
		struct pollfd p[3] = { { .fd = v->wake_fd, .events = POLLIN },
				       { .fd = -1, .events = POLLIN },
				       { .fd = w->stop_fd, .events = POLLIN } };
		bool more = false;

		pthread_rwlock_rdlock(&b->lock);
		if (atomic_load(&b->stopping)) {
			pthread_rwlock_unlock(&b->lock);
			break;
		}
		if (gen != v->kick_gen) {
			close_fd(&kick);
			if (v->kick_fd >= 0)
				kick = fcntl(v->kick_fd, F_DUPFD_CLOEXEC, 0);
			gen = v->kick_gen;
		}
		/* Also catches chains made available before the kick fd arrived. */
		if (v->ready && v->enabled && !v->vq.broken)
			more = process(v);
		pthread_rwlock_unlock(&b->lock);
		if (more)
			continue;
		p[1].fd = kick;
		if ((poll(p, 3, -1) < 0 && errno != EINTR) || p[2].revents)
			break;
		if (p[0].revents & POLLIN)
			(void)!read(v->wake_fd, &cnt, sizeof(cnt));
		if (p[1].revents & POLLIN)
			(void)!read(kick, &cnt, sizeof(cnt));
	}
	close_fd(&kick);
}

int vub_vrings_init(struct vub *b)
{
	int r;

	for (unsigned int i = 0; i < b->dev.nr_queues; i++) {
		struct vub_vq *v = &b->vqs[i];

		memset(v, 0, sizeof(*v));
		v->b = b;
		v->idx = i;
		v->kick_fd = v->call_fd = v->err_fd = -1;
		v->vq.call_fd = -1;
		v->enabled = true;
		v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->wake_fd < 0)
			return -errno;
		/* The back-end program's filter is inherited: back-end programs set no init hook. */
		r = worker_start(&v->worker, "vub-queue", THREAD_ROLE_DEVICE_IO, worker, v);
		if (r)
			return r;
	}
	return 0;
}

void vub_vrings_fini(struct vub *b)
{
	atomic_store(&b->stopping, true);
	for (unsigned int i = 0; i < b->dev.nr_queues; i++) {
		struct vub_vq *v = &b->vqs[i];

		worker_stop(&v->worker);
	}
	for (unsigned int i = 0; i < b->dev.nr_queues; i++) {
		struct vub_vq *v = &b->vqs[i];

		close_fd(&v->kick_fd);
		close_fd(&v->call_fd);
		close_fd(&v->err_fd);
		close_fd(&v->wake_fd);
		virtq_elem_free(&v->elem);
	}
}

/* ---- messages (write lock held) ---- */

static struct vub_vq *vq_of(struct vub *b, uint64_t idx)
{
	if (idx >= b->dev.nr_queues) {
		pr_err_rl("%s: vring index %llu out of range (%u queues)", b->dev.name,
			  (unsigned long long)idx, b->dev.nr_queues);
		return NULL;
	}
	return &b->vqs[idx];
}

int vub_set_vring_num(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	struct vub_vq *v = vq_of(b, m->payload.state.index);
	unsigned int n = m->payload.state.num;

	(void)reply;

	if (!v)
		return -EINVAL;
	if (n == 0 || n > 32768 || (n & (n - 1)))
		return -EINVAL;
	if (v->ready)
		return -EBUSY;
	v->num = (uint16_t)n;
	return 0;
}

int vub_set_vring_addr(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	struct vub_vq *v = vq_of(b, m->payload.addr.index);

	(void)reply;

	if (!v)
		return -EINVAL;
	if (v->ready)
		return -EBUSY;
	v->addr = m->payload.addr;
	v->addr_set = true;
	return 0;
}

int vub_set_vring_base(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	struct vub_vq *v = vq_of(b, m->payload.state.index);

	(void)reply;

	if (!v || m->payload.state.num > 0xffff)
		return -EINVAL;
	if (v->ready)
		return -EBUSY;
	v->base = (uint16_t)m->payload.state.num;
	return 0;
}

int vub_get_vring_base(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	struct vub_vq *v = vq_of(b, m->payload.state.index);

	vu_msg_init(reply, m->hdr.request, sizeof(struct vhost_vring_state));
	reply->payload.state.index = m->payload.state.index;
	if (!v)
		return 1;
	if (v->ready)
		v->base = v->vq.last_avail;
	v->ready = false;
	close_fd(&v->kick_fd);
	v->kick_gen++;
	wake(v);
	reply->payload.state.num = v->base;
	return 1;
}

/* KICK/CALL/ERR: u64 index | NOFD flag, fd in SCM_RIGHTS. Takes the fd. */
int vub_set_vring_fd(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	uint64_t u = m->payload.u64;
	struct vub_vq *v = vq_of(b, u & VHOST_USER_VRING_IDX_MASK);
	bool nofd = u & VHOST_USER_VRING_NOFD_MASK;
	int fd = -1, *slot;

	(void)reply;

	if (!v || (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK)))
		return -EINVAL;
	if (nofd ? m->nr_fds != 0 : m->nr_fds != 1)
		return -EINVAL;
	if (!nofd) {
		fd = m->fds[0];
		m->fds[0] = -1;
		m->nr_fds = 0;
	}
	switch (m->hdr.request) {
	case VHOST_USER_SET_VRING_KICK:
		if (nofd) {
			pr_err_rl("%s: queue %u: polling mode (no kick fd) not supported",
				  b->dev.name, v->idx);
			return -EOPNOTSUPP;
		}
		slot = &v->kick_fd;
		break;
	case VHOST_USER_SET_VRING_CALL:
		slot = &v->call_fd;
		break;
	default:
		slot = &v->err_fd;
		break;
	}
	close_fd(slot);
	*slot = fd;
	if (m->hdr.request == VHOST_USER_SET_VRING_CALL)
		v->vq.call_fd = fd;
	if (m->hdr.request == VHOST_USER_SET_VRING_KICK) {
		v->kick_gen++;
		try_start(v);
		wake(v);
	}
	return 0;
}

int vub_set_vring_enable(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	struct vub_vq *v = vq_of(b, m->payload.state.index);

	(void)reply;

	if (!v || m->payload.state.num > 1)
		return -EINVAL;
	v->enabled = m->payload.state.num;
	wake(v);
	return 0;
}
