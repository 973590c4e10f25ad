// SPDX-License-Identifier: MIT
/*
 * Control API transport: a UNIX stream socket we create (mode 0600, a stale socket file is
 * replaced, a live one refused) handed to libmicrohttpd with MHD_OPTION_LISTEN_SOCKET. MHD runs
 * in "external epoll" mode: it creates no thread of its own; the API thread (here) polls MHD's
 * epoll fd and a stop eventfd and calls MHD_run, so the whole server runs under the API
 * thread's seccomp filter.
 *
 * Limits: API_MAX_CONNECTIONS open connections (more wait in the listen backlog), MHD's
 * per-connection memory pool (API_CONN_MEMORY: request line + headers; larger -> 431/413 and
 * close), API_MAX_HEADERS header lines, API_MAX_BODY body bytes, API_IDLE_TIMEOUT_S without a
 * byte, and API_CONN_DEADLINE_S per connection in total (a client trickling bytes is cut off:
 * its socket is shut down, MHD sees the end and closes it).
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "util/worker.h"
#include "util/clock.h"
#include "util/log.h"

struct conn_slot {
	int fd;                  /* -1: free */
	uint64_t start_ns;
	bool cut;
};

struct api_server {
	struct api_vmm vmm;
	char *path;
	int listen_fd;
	struct MHD_Daemon *mhd;
	struct worker worker;      /* the API thread; its stop_fd ends the poll loop */
	struct conn_slot conns[API_MAX_CONNECTIONS + 4];
};

/* Per request: the body gathered so far. */
struct request {
	char body[API_MAX_BODY + 1];
	size_t len;
	bool too_large;
	bool answered;
};

static void set_err(char *err, size_t errlen, const char *fmt, const char *path, int e)
{
	snprintf(err, errlen, fmt, path, strerror(e));
}

/* 1 if something accepts connections on the UNIX socket at path, 0 if nothing does. */
static int socket_is_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 1 :
	      errno == ECONNREFUSED ? 0 : -errno;
	close(fd);
	return ret;
}

static int bind_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "api socket '%s': path longer than %zu bytes", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "api socket '%s': socket: %s", path, errno);
		return ret;
	}
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	if (ret == -EADDRINUSE && !lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "api socket '%s': exists and is not a socket", path);
			ret = -EEXIST;
		} else if (socket_is_live(&sa) == 0) {
			/* stale: nothing listens */
			ret = unlink(path) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
		} else {
			snprintf(err, errlen, "api socket '%s': another process is listening on it "
				 "(another microvm?)", path);
			ret = -EADDRINUSE;
			umask(old);
			close(fd);
			return ret;
		}
	}
	umask(old);
	if (!ret && (chmod(path, 0600) || listen(fd, API_MAX_CONNECTIONS)))
		ret = -errno;
	if (ret) {
		if (ret != -EEXIST)
			set_err(err, errlen, "api socket '%s': %s", path, -ret);
		close(fd);
		return ret;
	}
	return fd;
}

/* ---- MHD callbacks (API thread) ---- */

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind; (void)key; (void)value;
	++*(unsigned int *)cls;
	return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, const struct api_reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	if (rep->body)
		resp = MHD_create_response_from_buffer(strlen(rep->body), rep->body,
						       MHD_RESPMEM_MUST_COPY);
	else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (rep->body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	r = MHD_queue_response(c, rep->status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	struct api_reply rep;
	enum MHD_Result r;

	if (api_reply_error(&rep, status, "%s", msg))
		return MHD_NO;
	r = send_reply(c, &rep);
	api_reply_free(&rep);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct api_server *s = cls;
	struct request *req = *req_cls;
	struct api_reply rep;
	enum MHD_Result r;
	(void)version;

	if (!req) {
		unsigned int headers = 0;
		const char *cl;

		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &headers);
		if (headers > API_MAX_HEADERS) {
			req->answered = true;
			return reply_error(c, 431, "too many header lines");
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY) {
			req->answered = true;
			return reply_error(c, 413, "request body too large");
		}
		return MHD_YES;
	}
	if (req->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (*upload_size > API_MAX_BODY - req->len) {
			req->too_large = true;
		} else {
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	req->answered = true;
	if (req->too_large)
		return reply_error(c, 413, "request body too large");
	req->body[req->len] = 0;
	if (api_handle(&s->vmm, method, url, req->body, req->len, &rep))
		return MHD_NO;
	pr_debug("api: %s %s -> %u", method, url, rep.status);
	r = send_reply(c, &rep);
	api_reply_free(&rep);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)c; (void)toe;
	free(*req_cls);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct api_server *s = cls;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
						MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = info ? info->connect_fd : -1;
	(void)socket_context;

	for (unsigned int i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++) {
		struct conn_slot *slot = &s->conns[i];

		if (code == MHD_CONNECTION_NOTIFY_STARTED && slot->fd < 0) {
			*slot = (struct conn_slot){ .fd = fd, .start_ns = monotonic_ns() };
			return;
		}
		if (code == MHD_CONNECTION_NOTIFY_CLOSED && slot->fd == fd && fd >= 0) {
			slot->fd = -1;
			return;
		}
	}
}

/* Connections older than the deadline: shut down (MHD sees EOF and closes them). */
static void enforce_deadlines(struct api_server *s)
{
	uint64_t now = monotonic_ns();

	for (unsigned int i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++) {
		struct conn_slot *slot = &s->conns[i];

		if (slot->fd >= 0 && !slot->cut &&
		    now - slot->start_ns > API_CONN_DEADLINE_S * 1000000000ULL) {
			shutdown(slot->fd, SHUT_RDWR);
			slot->cut = true;
		}
	}
}

static void api_thread(struct worker *w)
{
	struct api_server *s = w->arg;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	int epfd = di ? di->epoll_fd : -1;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = epfd, .events = POLLIN },
					 { .fd = w->stop_fd, .events = POLLIN } };
		MHD_UNSIGNED_LONG_LONG to;
		int wait_ms = 500;     /* deadline checks */

		if (MHD_get_timeout(s->mhd, &to) == MHD_YES && to < (MHD_UNSIGNED_LONG_LONG)wait_ms)
			wait_ms = (int)to;
		if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR) {
			pr_err("api: poll: %s (control API stopped)", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		MHD_run(s->mhd);
		enforce_deadlines(s);
	}
	MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	/* the socket file goes with the thread: main's filter has no unlink */
	unlink(s->path);
}

struct api_server *api_server_open(const char *path, const struct api_vmm *vmm, char *err,
				   size_t errlen)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->vmm = *vmm;
	for (unsigned int i = 0; i < sizeof(s->conns) / sizeof(s->conns[0]); i++)
		s->conns[i].fd = -1;
	ret = bind_socket(path, err, errlen);
	if (ret < 0) {
		free(s->path);
		free(s);
		errno = -ret;
		return NULL;
	}
	s->listen_fd = ret;
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, NULL, NULL, on_request, s,
			MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNECTIONS,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_IDLE_TIMEOUT_S,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
			MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
			MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "api socket '%s': cannot start the HTTP server "
			 "(libmicrohttpd)", path);
		api_server_stop(s);
		errno = EIO;
		return NULL;
	}
	return s;
}

int api_server_start(struct api_server *s, char *err, size_t errlen)
{
	int ret = worker_start(&s->worker, "api", THREAD_ROLE_API, api_thread, s);

	if (ret)
		snprintf(err, errlen, "cannot start the API thread: %s", strerror(-ret));
	return ret;
}

void api_server_stop(struct api_server *s)
{
	if (!s)
		return;
	if (s->worker.running) {
		worker_stop(&s->worker);
	} else {
		if (s->mhd)
			MHD_stop_daemon(s->mhd);
		else if (s->listen_fd >= 0)
			close(s->listen_fd);
		unlink(s->path);
	}
	free(s->path);
	free(s);
}
