// SPDX-License-Identifier: MIT
/* Named, joinable workers with a stop eventfd and a spawner-applied init hook. */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/worker.h"

static int (*_Atomic init_hook)(enum thread_role role);

void worker_set_init_hook(int (*hook)(enum thread_role role))
{
	atomic_store(&init_hook, hook);
}

int worker_enter_role(enum thread_role role)
{
	int (*hook)(enum thread_role) = atomic_load(&init_hook);

	return hook ? hook(role) : 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_setname_np(pthread_self(), w->name);
	if (worker_enter_role(w->role) == 0)
		w->fn(w);
	return NULL;
}

int worker_start(struct worker *w, const char *name, enum thread_role role,
		 void (*fn)(struct worker *w), void *arg)
{
	int r;

	if (w->running)
		return -EBUSY;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->role = role;
	w->fn = fn;
	w->arg = arg;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	r = pthread_create(&w->thread, NULL, worker_main, w);
	if (r) {
		close(w->stop_fd);
		w->stop_fd = -1;
		return -r;
	}
	w->running = true;
	return 0;
}

void worker_signal(struct worker *w)
{
	uint64_t one = 1;

	if (!w->running)
		return;
	/* An eventfd write fails only on counter overflow, which repeated stops cannot reach. */
	while (write(w->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void reaped(struct worker *w)
{
	close(w->stop_fd);
	w->stop_fd = -1;
	w->running = false;
}

void worker_join(struct worker *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	reaped(w);
}

bool worker_try_join(struct worker *w)
{
	if (!w->running)
		return true;
	if (pthread_tryjoin_np(w->thread, NULL))
		return false;
	reaped(w);
	return true;
}

void worker_stop(struct worker *w)
{
	worker_signal(w);
	worker_join(w);
}

bool worker_stopping(const struct worker *w)
{
	struct pollfd p = { .fd = w->stop_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}
