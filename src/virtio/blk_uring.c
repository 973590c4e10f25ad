// SPDX-License-Identifier: MIT
/*
 * virtio-blk I/O back-end io = "io_uring": reads and writes of a batch go to the kernel in one
 * io_uring_enter and complete out of order; an eventfd in the I/O thread's fd_loop says when.
 *
 * The ring is set up with the device (on the main thread, before any seccomp filter): the image
 * is its only (fixed) file, and restrictions registered before the ring is enabled allow only
 * READV, WRITEV and ASYNC_CANCEL on that file, and no further io_uring_register at all. So the
 * I/O thread needs io_uring_enter only, and a ring driven by a compromised thread still reaches
 * nothing but the image.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "virtio/blk_priv.h"
#include "util/log.h"

struct blk_uring {
	struct io_uring ring;
	int efd;
	unsigned int queued;          /* SQEs prepared since the last submit */
	unsigned int in_flight;       /* submitted, no CQE yet */
};

static const struct io_uring_restriction restrictions[] = {
	{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV },
	{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITEV },
	{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_ASYNC_CANCEL },
	{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE },
	{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE },
};

/* Debian 12's liburing 2.3 does not export io_uring_register_restrictions/enable_rings. */
static int ring_register(struct blk_uring *u, unsigned int op, const void *arg, unsigned int n)
{
	return syscall(__NR_io_uring_register, u->ring.ring_fd, op, arg, n) < 0 ? -errno : 0;
}

int blk_uring_create(struct blk *b, unsigned int entries, char *err, size_t errlen)
{
	struct io_uring_params p = { .flags = IORING_SETUP_R_DISABLED };
	struct blk_uring *u = calloc(1, sizeof(*u));
	const char *step = "io_uring_setup";
	int r;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	u->efd = -1;
	r = io_uring_queue_init_params(entries, &u->ring, &p);
	if (r < 0) {
		snprintf(err, errlen, "io = \"io_uring\": io_uring_setup failed: %s (refused by a "
			 "seccomp filter or sysctl kernel.io_uring_disabled, or a kernel without "
			 "io_uring); use io = \"sync\"", strerror(-r));
		free(u);
		return r;
	}
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r = u->efd < 0 ? -errno : 0;
	if (r == 0) {
		step = "io_uring_register (files)";
		r = io_uring_register_files(&u->ring, &b->fd, 1);
	}
	if (r == 0) {
		step = "io_uring_register (eventfd)";
		r = io_uring_register_eventfd(&u->ring, u->efd);
	}
	if (r == 0) {
		step = "io_uring_register (restrictions)";
		r = ring_register(u, IORING_REGISTER_RESTRICTIONS, restrictions,
				  sizeof(restrictions) / sizeof(restrictions[0]));
	}
	if (r == 0) {
		step = "io_uring_register (enable)";
		r = ring_register(u, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	}
	if (r < 0) {
		snprintf(err, errlen, "io = \"io_uring\": %s failed: %s; use io = \"sync\"", step,
			 strerror(-r));
		io_uring_queue_exit(&u->ring);
		if (u->efd >= 0)
			close(u->efd);
		free(u);
		return r;
	}
	b->uring = u;
	return 0;
}

void blk_uring_destroy(struct blk *b)
{
	struct blk_uring *u = b->uring;

	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	close(u->efd);
	free(u);
	b->uring = NULL;
}

int blk_uring_fd(const struct blk *b)
{
	return b->uring ? b->uring->efd : -1;
}

static void uring_flush(struct blk *b)
{
	struct blk_uring *u = b->uring;
	int r;

	if (!u->queued)
		return;
	/* -EAGAIN/-EBUSY/-EINTR: the SQEs stay in the ring and go with the next enter. */
	r = io_uring_submit(&u->ring);
	if (r >= 0) {
		u->queued -= (unsigned int)r < u->queued ? (unsigned int)r : u->queued;
		return;
	}
	if (r != -EAGAIN && r != -EBUSY && r != -EINTR)
		pr_err_rl("%s: io_uring_enter: %s", b->vdev.name, strerror(-r));
}

static int uring_submit(struct blk *b, struct blk_slot *s)
{
	struct blk_uring *u = b->uring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* Cannot happen (the ring has a slot for every pool slot); stay correct anyway. */
		int r = blk_rw_full(b->fd, s->data, s->ndata, s->off, s->wr);

		blk_req_finish(b, s, r < 0 ? r : (int64_t)s->len);
		return 1;
	}
	if (s->wr)
		io_uring_prep_writev(sqe, 0, s->data, (unsigned int)s->ndata, s->off);
	else
		io_uring_prep_readv(sqe, 0, s->data, (unsigned int)s->ndata, s->off);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, s);
	u->queued++;
	u->in_flight++;
	atomic_fetch_add_explicit(&b->stats.in_flight, 1, memory_order_relaxed);
	return 0;
}

/* Consumes the CQEs there are: finish (or, when draining, only release) their slots. */
static unsigned int consume(struct blk *b, bool finish)
{
	struct blk_uring *u = b->uring;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0, done = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		struct blk_slot *s = io_uring_cqe_get_data(cqe);

		n++;
		if (!s)
			continue;          /* the drain's cancel request */
		u->in_flight--;
		done++;
		atomic_fetch_sub_explicit(&b->stats.in_flight, 1, memory_order_relaxed);
		if (finish)
			blk_req_finish(b, s, cqe->res);
		else
			blk_slot_release(b, s);
	}
	io_uring_cq_advance(&u->ring, n);
	return done;
}

static unsigned int uring_reap(struct blk *b)
{
	uint64_t cnt;

	if (!io_uring_cq_ready(&b->uring->ring))
		return 0;
	/*
	 * Clear the eventfd before consuming: what completes later signals it again, and what
	 * completed inline (page cache hits at submit) does not wake the thread a second time.
	 */
	if (read(b->uring->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		pr_err_rl("%s: io_uring eventfd: %s", b->vdev.name, strerror(errno));
	return consume(b, true);
}

static bool uring_ready(struct blk *b)
{
	return io_uring_cq_ready(&b->uring->ring) > 0;
}

static void uring_drain(struct blk *b)
{
	struct blk_uring *u = b->uring;
	struct io_uring_sqe *sqe;

	uring_flush(b);
	consume(b, false);
	if (!u->in_flight)
		return;
	/* Cancel what has not started; what has (O_DIRECT bios, buffered copies) completes. */
	sqe = io_uring_get_sqe(&u->ring);
	if (sqe) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data(sqe, NULL);
		u->queued++;
		uring_flush(b);
	}
	while (u->in_flight) {
		struct io_uring_cqe *cqe;
		int r = io_uring_wait_cqe(&u->ring, &cqe);

		if (r < 0 && r != -EINTR && r != -EAGAIN) {
			/* Leaving with requests in flight would let them write freed slots. */
			pr_err_rl("%s: io_uring wait while draining: %s (retrying)", b->vdev.name,
				  strerror(-r));
		}
		consume(b, false);
	}
}

const struct blk_io_ops blk_uring_ops = {
	.name = "io_uring",
	.submit = uring_submit,
	.flush = uring_flush,
	.reap = uring_reap,
	.ready = uring_ready,
	.drain = uring_drain,
};
