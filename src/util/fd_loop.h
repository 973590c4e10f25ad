/* SPDX-License-Identifier: MIT */
/*
 * An epoll set that always watches one stop fd (a worker's, util/worker.h): the one event loop
 * of every thread that waits on file descriptors.
 */
#ifndef MICROVM_UTIL_FD_LOOP_H
#define MICROVM_UTIL_FD_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct fd_loop {
	int epfd;
	int stop_fd;
};

int fd_loop_init(struct fd_loop *l, int stop_fd);       /* 0 or -errno */
int fd_loop_add(struct fd_loop *l, int fd, uint32_t events, uint64_t token);
int fd_loop_mod(struct fd_loop *l, int fd, uint32_t events, uint64_t token);
int fd_loop_del(struct fd_loop *l, int fd);
/*
 * The ready events (the stop fd excluded; token in ev[i].data.u64), 0 on timeout, -ECANCELED
 * once the stop fd is readable, -errno on error. EINTR is retried. timeout_ms < 0 waits forever.
 */
int fd_loop_wait(struct fd_loop *l, struct epoll_event *ev, int max, int timeout_ms);
void fd_loop_fini(struct fd_loop *l);

#endif
