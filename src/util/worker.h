/* SPDX-License-Identifier: MIT */
/*
 * One way to run a thread: a named, joinable worker with a stop eventfd.
 *
 * The layer that starts a worker stops and joins it (worker_stop) before anything the worker
 * uses is freed. The body watches w->stop_fd in its poll set (util/fd_loop.h does that) or checks
 * worker_stopping(); no detached threads, no timeouts as stop checks.
 *
 * The spawner, not the body, applies the thread's confinement: the machine registers one init
 * hook (worker_set_init_hook) that runs first in every new worker and installs the role's seccomp
 * filter. Unit tests and the harness register none, so the same device code runs unconfined.
 */
#ifndef MICROVM_UTIL_WORKER_H
#define MICROVM_UTIL_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "util/thread_role.h"

struct worker {
	pthread_t thread;
	int stop_fd;                 /* eventfd: readable once worker_stop() was called */
	enum thread_role role;
	char name[16];               /* thread name (pthread_setname_np: 15 chars) */
	void (*fn)(struct worker *w);
	void *arg;                   /* fn's argument */
	bool running;                /* started and not yet joined */
};

/*
 * Set once by the machine before any worker starts (NULL: none). The hook runs first in every new
 * worker thread; when it fails, fn does not run and the thread ends.
 */
void worker_set_init_hook(int (*hook)(enum thread_role role));
/* Runs the hook for the calling thread (threads the worker API does not start: main). */
int worker_enter_role(enum thread_role role);

/* Starts fn(w) in a new thread. 0 or -errno; on error nothing is left to stop. */
int worker_start(struct worker *w, const char *name, enum thread_role role,
		 void (*fn)(struct worker *w), void *arg);
/* Signals stop_fd and joins. No-op when the worker is not running; safe to call twice. */
void worker_stop(struct worker *w);
/*
 * The two halves, for a spawner that must not wait where it asks (a vCPU holding a lock the
 * worker may need): worker_signal asks, worker_join waits, worker_try_join reaps a worker that
 * has already returned (true when nothing is left running).
 */
void worker_signal(struct worker *w);
void worker_join(struct worker *w);
bool worker_try_join(struct worker *w);
/* Whether worker_stop() was called (non-blocking; for bodies that do not poll stop_fd). */
bool worker_stopping(const struct worker *w);

#endif
