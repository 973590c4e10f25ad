// SPDX-License-Identifier: MIT
/* An epoll set with a stop fd (see fd_loop.h). */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/fd_loop.h"

#define STOP_TOKEN UINT64_MAX

static int ctl(struct fd_loop *l, int op, int fd, uint32_t events, uint64_t token)
{
	struct epoll_event ev = { .events = events, .data.u64 = token };

	if (token == STOP_TOKEN && fd != l->stop_fd)
		return -EINVAL;
	return epoll_ctl(l->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int fd_loop_init(struct fd_loop *l, int stop_fd)
{
	int r;

	l->stop_fd = stop_fd;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	r = ctl(l, EPOLL_CTL_ADD, stop_fd, EPOLLIN, STOP_TOKEN);
	if (r < 0) {
		close(l->epfd);
		l->epfd = -1;
	}
	return r;
}

int fd_loop_add(struct fd_loop *l, int fd, uint32_t events, uint64_t token)
{
	return ctl(l, EPOLL_CTL_ADD, fd, events, token);
}

int fd_loop_mod(struct fd_loop *l, int fd, uint32_t events, uint64_t token)
{
	return ctl(l, EPOLL_CTL_MOD, fd, events, token);
}

int fd_loop_del(struct fd_loop *l, int fd)
{
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

int fd_loop_wait(struct fd_loop *l, struct epoll_event *ev, int max, int timeout_ms)
{
	int n, out = 0;

	do
		n = epoll_wait(l->epfd, ev, max, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == STOP_TOKEN)
			return -ECANCELED;
		ev[out++] = ev[i];
	}
	return out;
}

void fd_loop_fini(struct fd_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}
