// SPDX-License-Identifier: MIT
/* Back-end listening socket: stale socket replacement, mode 0600, one accepted front-end. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vu_backend/vu_backend.h"
#include "util/err.h"

static int make_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path[0] || strlen(path) >= sizeof(sa->sun_path)) {
		return err_fmt(err, errlen, -ENAMETOOLONG,
			       "socket path '%s' is empty or longer than %zu bytes", path,
			       sizeof(sa->sun_path) - 1);
	}
	strcpy(sa->sun_path, path);
	return 0;
}

/* Removes path if it is a socket nobody listens on. */
static int remove_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : err_fmt(err, errlen, -errno, "%s: %s", sa->sun_path,
						     strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return err_fmt(err, errlen, -EEXIST, "%s exists and is not a socket", sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_fmt(err, errlen, -errno, "socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return err_fmt(err, errlen, -EADDRINUSE, "%s: another back-end is listening there",
			       sa->sun_path);
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return err_fmt(err, errlen, -errno, "cannot remove the stale socket %s: %s",
			       sa->sun_path, strerror(errno));
	return 0;
}

int vub_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	r = make_addr(path, &sa, err, errlen);
	if (r == 0)
		r = remove_stale(&sa, err, errlen);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_fmt(err, errlen, -errno, "socket: %s", strerror(errno));
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 1) < 0) {
		r = err_fmt(err, errlen, -errno, "%s: cannot listen: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

int vub_accept(int listen_fd)
{
	int fd;

	do
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}
