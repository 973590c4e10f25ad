// SPDX-License-Identifier: MIT
/*
 * virtio-blk I/O thread (util/worker, role device I/O): one per device, for all its queues.
 *
 * A round pops every available chain of every queue (while the queue's slot pool has room),
 * starts each (inline for sync, queued for io_uring), submits the batch with one
 * io_uring_enter, finishes whatever has completed, and interrupts each queue at most once.
 * Kicks are suppressed while the thread is awake. After a round that did work the thread
 * busy-polls the rings and the completion queue for a window of at most poll_us ([[disk]]
 * poll_us): a budget that only work renews (a chain popped, a request completed), so a guest
 * cannot keep it spinning without giving it I/O to do. Then it re-enables kicks and sleeps in
 * its fd_loop. The window adapts as QEMU's AioContext polling does: it grows (from 4 us,
 * doubling) while the next work arrives after the window but within poll_us, and halves when
 * work arrives later than poll_us, so on a host where the guest cannot keep up (or is idle) the
 * thread stops spinning. Off by default (poll_us = 0): on this project's shared 2-core CI a
 * spinning device thread takes the CPU the guest side needs and every depth got slower (the
 * blk_bench table in the #17 report); it is for hosts with a core to spare for the device.
 * Without polling, a depth-1 request costs two cross-thread wake-ups (kick, interrupt): 8-16 us
 * on that host against a ~2 us page-cache pread, and blk_bench's floor row (a null device
 * thread paying only those) shows this thread at that floor, so no data-path saving moves it.
 * The expensive one is the waiter's: a guest vCPU that halts for the interrupt is halt-polled by
 * KVM (200 us by default), and with that modelled in blk_bench a depth-1 page-cache read costs
 * ~2.6 us (idle host, io = "sync").
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "virtio/blk_priv.h"
#include "util/log.h"

#define NO_SLOT 0xffffu

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void blk_slot_release(struct blk *b, struct blk_slot *s)
{
	struct blk_pool *p = &b->pools[s->q];

	s->next_free = p->free_head;
	p->free_head = (uint16_t)(s - p->slots);
	p->in_flight--;
}

static struct blk_slot *slot_take(struct blk_pool *p, uint16_t q)
{
	struct blk_slot *s;

	if (p->free_head == NO_SLOT)
		return NULL;
	s = &p->slots[p->free_head];
	p->free_head = s->next_free;
	p->in_flight++;
	s->q = q;
	return s;
}

static bool active(struct blk *b, unsigned int i)
{
	return b->pools[i].slots && !b->vqs[i].broken;
}

static void broken(struct blk *b, unsigned int i)
{
	if (b->vqs[i].err[0])
		pr_warn_rl("%s: queue %u: %s", b->vdev.name, i, b->vqs[i].err);
	b->vqs[i].broken = true;
	fd_loop_del(&b->loop, b->vdev.queues[i].kick_fd);
	virtio_device_needs_reset(&b->vdev);
}

/* Pops and starts what queue i has, while its pool has room. True if anything was popped. */
static bool pop_queue(struct blk *b, unsigned int i)
{
	struct virtq *vq = &b->vqs[i];
	struct blk_pool *p = &b->pools[i];
	bool work = false;

	while (!atomic_load_explicit(&b->stopping, memory_order_relaxed) &&
	       p->free_head != NO_SLOT && virtq_avail_pending(vq)) {
		struct blk_slot *s = slot_take(p, (uint16_t)i);
		int r = virtq_pop(vq, &s->elem);

		if (r > 0)
			r = blk_req_start(b, s) < 0 ? -EINVAL : 1;
		if (r <= 0) {
			blk_slot_release(b, s);
			if (r < 0)
				broken(b, i);
			break;
		}
		work = true;
	}
	return work;
}

static void notify(struct blk *b)
{
	for (unsigned int i = 0; i < b->nr_queues; i++) {
		if (!b->pushed[i])
			continue;
		b->pushed[i] = false;
		if (virtq_notify(&b->vqs[i]))
			atomic_fetch_add_explicit(&b->stats.interrupts, 1, memory_order_relaxed);
	}
}

/* One round over every queue; true if it did any work. */
static bool run_round(struct blk *b)
{
	bool work = false;

	for (unsigned int i = 0; i < b->nr_queues; i++)
		if (active(b, i) && pop_queue(b, i))
			work = true;
	b->io->flush(b);
	if (b->io->reap(b))
		work = true;
	notify(b);
	return work;
}

/* Work the next round would find (cheap: ring indexes and the completion queue). */
static bool pending(struct blk *b)
{
	for (unsigned int i = 0; i < b->nr_queues; i++)
		if (active(b, i) && b->pools[i].free_head != NO_SLOT &&
		    virtq_avail_pending(&b->vqs[i]))
			return true;
	return b->io->ready(b);
}

static void set_notify(struct blk *b, bool on)
{
	for (unsigned int i = 0; i < b->nr_queues; i++)
		if (active(b, i))
			virtq_set_notify(&b->vqs[i], on);
}

static int setup_loop(struct blk *b, struct worker *w)
{
	int r = fd_loop_init(&b->loop, w->stop_fd);

	/*
	 * Edge-triggered: every eventfd write is a new edge, so the thread never reads a kick fd
	 * (one syscall fewer per wake-up); a kick only says "look at the rings", which the next
	 * round does anyway. The io_uring eventfd is cleared by the back-end's reap.
	 */
	for (unsigned int i = 0; i < b->nr_queues && r == 0; i++)
		if (b->pools[i].slots)
			r = fd_loop_add(&b->loop, b->vdev.queues[i].kick_fd, EPOLLIN | EPOLLET, i);
	if (r == 0 && blk_uring_fd(b) >= 0)
		r = fd_loop_add(&b->loop, blk_uring_fd(b), EPOLLIN | EPOLLET, BLK_URING_TOKEN);
	return r;
}

/* QEMU's adjust_polling_time: block_ns = from the end of the last work to the next event. */
static uint64_t adapt(uint64_t win, uint64_t max, uint64_t block_ns)
{
	if (block_ns <= win)
		return win;                          /* polling would have caught it */
	if (block_ns > max)
		return win / 2 < 1000 ? 0 : win / 2;
	if (win < max)
		return win ? (win * 2 > max ? max : win * 2) : (max < 4000 ? max : 4000);
	return win;
}

void blk_io_thread(struct worker *w)
{
	struct blk *b = w->arg;
	uint64_t win = b->poll_ns, idle_start = 0, poll_end = 0;
	int r = setup_loop(b, w);

	if (r < 0) {
		pr_err("%s: I/O thread: cannot set up its fd_loop: %s", b->vdev.name, strerror(-r));
		fd_loop_fini(&b->loop);
		virtio_device_needs_reset(&b->vdev);
		return;
	}
	set_notify(b, false);
	while (!atomic_load_explicit(&b->stopping, memory_order_relaxed)) {
		struct epoll_event ev[VIRTIO_BLK_MAX_QUEUES + 2];
		int n;

		if (run_round(b)) {
			if (idle_start)
				win = adapt(win, b->poll_ns, now_ns() - idle_start);
			idle_start = now_ns();
			poll_end = idle_start + win;
			continue;
		}
		if (win && now_ns() < poll_end) {
			if (!pending(b))
				cpu_relax();
			continue;
		}
		set_notify(b, true);
		if (pending(b)) {
			set_notify(b, false);
			continue;
		}
		n = fd_loop_wait(&b->loop, ev, (int)(sizeof(ev) / sizeof(ev[0])), -1);
		if (n == -ECANCELED)
			break;
		if (n < 0) {
			pr_err("%s: I/O thread: fd_loop_wait: %s (the device stops)", b->vdev.name,
			       strerror(-n));
			virtio_device_needs_reset(&b->vdev);
			break;
		}
		set_notify(b, false);
	}
	b->io->drain(b);
	fd_loop_fini(&b->loop);
}
