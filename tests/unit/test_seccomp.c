// SPDX-License-Identifier: MIT
/*
 * seccomp profiles: every thread role, in enforce and log mode, from a thread of a child
 * process (this program re-executed with --child, so the filters never touch the test runner,
 * valgrind or the sanitizer runtime of the parent).
 *
 *   forbidden syscall, enforce -> "microvm: seccomp: <role> thread made forbidden syscall
 *                                 <name> (<nr>)" on stderr, exit status 1
 *   forbidden syscall, log     -> the syscall runs (kernel logs it), the thread goes on
 *   what each role really does -> works under its filter (thread creation from a vCPU thread
 *                                 with the device I/O filter stacked on top, eventfds, file
 *                                 I/O, SHMEM-style MAP_FIXED of a memfd, vCPU kicks)
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "security/seccomp.h"

static const char *self_path;

/* ---- child side ---- */

struct child_job {
	enum thread_role role;
	enum seccomp_mode mode;
	const char *action;
	int result;
};

static void *io_child(void *arg)
{
	struct child_job *job = arg;
	char tmpl[] = "/tmp/microvm-seccomp-XXXXXX";
	int fd = mkstemp(tmpl);   /* before the filter: the image is opened at setup */
	char buf[16] = "0123456789abcdef";
	struct iovec iov = { buf, sizeof(buf) };
	int ep, efd;
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t one = 1;

	unlink(tmpl);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		return NULL;
	if (seccomp_install(THREAD_ROLE_DEVICE_IO, job->mode))
		return NULL;
	if (write(efd, &one, sizeof(one)) != sizeof(one) || epoll_wait(ep, &ev, 1, 1000) != 1 ||
	    read(efd, &one, sizeof(one)) != sizeof(one))
		return NULL;
	if (pwritev(fd, &iov, 1, 4096) != sizeof(buf) || preadv(fd, &iov, 1, 4096) != sizeof(buf) ||
	    pwrite(fd, buf, 4, 0) != 4 || pread(fd, buf, 4, 0) != 4 || fdatasync(fd) ||
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096))
		return NULL;
	close(ep);
	close(efd);
	close(fd);
	job->result = 0;
	return NULL;
}

/* A microvm-virtiofsd worker: file operations relative to the share's fd, guest memory. */
struct fs_job {
	int dirfd, memfd;        /* the share, and guest memory received from the front-end */
	bool ok;
};

static void *fs_worker(void *arg)
{
	struct fs_job *job = arg;
	int dirfd = job->dirfd, fd;
	char buf[4096];
	struct stat st;
	struct iovec iov = { buf, 8 };
	void *mem;

	fd = openat(dirfd, "f", O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || pwrite(fd, "contents", 8, 0) != 8 || preadv(fd, &iov, 1, 0) != 8 ||
	    fstat(fd, &st) || fstatat(dirfd, "f", &st, AT_SYMLINK_NOFOLLOW) || fsync(fd) ||
	    fdatasync(fd) || ftruncate(fd, 4096) || fallocate(fd, 0, 0, 8192) ||
	    lseek(fd, 0, SEEK_DATA) != 0 || fchmod(fd, 0600))
		return NULL;
	close(fd);
	if (mkdirat(dirfd, "d", 0755) || symlinkat("f", dirfd, "s") ||
	    readlinkat(dirfd, "s", buf, sizeof(buf)) != 1 || linkat(dirfd, "f", dirfd, "h", 0) ||
	    renameat2(dirfd, "h", dirfd, "h2", RENAME_NOREPLACE) ||
	    fchmodat(dirfd, "f", 0644, 0) || faccessat(dirfd, "f", R_OK, 0) ||
	    utimensat(dirfd, "f", NULL, AT_SYMLINK_NOFOLLOW))
		return NULL;
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_getdents64, fd, buf, sizeof(buf)) <= 0)
		return NULL;
	close(fd);
	if (unlinkat(dirfd, "d", AT_REMOVEDIR) || unlinkat(dirfd, "s", 0) ||
	    unlinkat(dirfd, "h2", 0) || unlinkat(dirfd, "f", 0))
		return NULL;
	/* ADD_MEM_REG: a shared mapping of the front-end's guest memory fd */
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, job->memfd, 0);
	if (mem == MAP_FAILED)
		return NULL;
	((volatile char *)mem)[7] = 1;
	job->ok = munmap(mem, 1 << 20) == 0;
	return NULL;
}

/* What the role's thread does in microvm, under its filter. 0 = all worked. */
static int role_allowed(struct child_job *job)
{
	switch (job->role) {
	case THREAD_ROLE_VCPU: {
		/* DRIVER_OK on a vCPU: eventfd + a device I/O thread with its own filter. */
		struct child_job sub = *job;
		pthread_t t;
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		sub.result = -1;
		if (efd < 0 || pthread_create(&t, NULL, io_child, &sub) || pthread_join(t, NULL))
			return -1;
		close(efd);
		return sub.result;
	}
	case THREAD_ROLE_BACKEND_CHANNEL: {
		/* SHMEM_MAP: a back-end fd over the reserved range, then back to a hole. */
		static const size_t len = 2 << 20;
		int fd = (int)syscall(SYS_memfd_create, "m", MFD_CLOEXEC);
		void *hole = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);
		void *p;

		if (fd < 0 || ftruncate(fd, (off_t)len) || hole == MAP_FAILED)
			return -1;
		if (seccomp_install(job->role, job->mode))
			return -1;
		if (fcntl(fd, F_GETFL) < 0)
			return -1;
		p = mmap(hole, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		if (p != hole)
			return -1;
		((volatile char *)p)[5] = 1;
		p = mmap(hole, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		close(fd);
		return p == hole && munmap(hole, len) == 0 ? 0 : -1;
	}
	case THREAD_ROLE_VIRTIOFSD: {
		/* after setup: the share's fd is open; workers are created under the filter */
		char tmpl[] = "/tmp/microvm-seccomp-fs-XXXXXX";
		struct fs_job fj = { .dirfd = -1 };
		pthread_t t;
		int r = -1;

		if (!mkdtemp(tmpl))
			return -1;
		fj.dirfd = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
		fj.memfd = (int)syscall(SYS_memfd_create, "guest", MFD_CLOEXEC);
		if (fj.dirfd >= 0 && fj.memfd >= 0 && !ftruncate(fj.memfd, 1 << 20) &&
		    !seccomp_install(job->role, job->mode) &&
		    !pthread_create(&t, NULL, fs_worker, &fj) && !pthread_join(t, NULL) && fj.ok)
			r = 0;
		if (r == 0 && unlinkat(AT_FDCWD, tmpl, AT_REMOVEDIR))
			r = -1;
		return r;
	}
	case THREAD_ROLE_MAIN: {
		/* main loop: signalfd + poll, kick a thread with SIGUSR1 */
		sigset_t set;
		int sfd;
		struct pollfd p;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		signal(SIGUSR1, SIG_IGN);
		if (seccomp_install(job->role, job->mode))
			return -1;
		sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		p = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (sfd < 0 || poll(&p, 1, 0) < 0 || pthread_kill(pthread_self(), SIGUSR1))
			return -1;
		close(sfd);
		return 0;
	}
	case THREAD_ROLE_API: {
		/* control API: the listening socket and MHD's epoll set exist; serve one client,
		 * kick a "vCPU" (SIGUSR1), remove the socket file */
		char path[] = "/tmp/microvm-seccomp-api-XXXXXX";
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), afd;
		int ep = epoll_create1(EPOLL_CLOEXEC), tmp = mkstemp(path), r = -1;
		struct epoll_event ev = { .events = EPOLLIN };
		char c = 'x';

		close(tmp);
		unlink(path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		signal(SIGUSR1, SIG_IGN);
		if (lfd < 0 || cfd < 0 || ep < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    listen(lfd, 4) || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    seccomp_install(job->role, job->mode))
			return -1;
		ev.data.fd = lfd;
		afd = epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) ? -1 :
		      epoll_wait(ep, &ev, 1, 1000) == 1 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
		if (afd >= 0 && fcntl(afd, F_SETFL, fcntl(afd, F_GETFL) | O_NONBLOCK) == 0 &&
		    send(cfd, &c, 1, 0) == 1 && recv(afd, &c, 1, 0) == 1 &&
		    send(afd, &c, 1, MSG_NOSIGNAL) == 1 && shutdown(afd, SHUT_RDWR) == 0 &&
		    pthread_kill(pthread_self(), SIGUSR1) == 0 && unlink(path) == 0)
			r = 0;
		close(afd);
		close(cfd);
		close(lfd);
		close(ep);
		return r;
	}
	default: {
		int efd = eventfd(0, EFD_CLOEXEC);
		uint64_t v = 1;

		if (seccomp_install(job->role, job->mode))
			return -1;
		return write(efd, &v, 8) == 8 && read(efd, &v, 8) == 8 ? 0 : -1;
	}
	}
}

/* One syscall the role must never make. */
static void role_forbidden(const struct child_job *job)
{
	if (!strcmp(job->action, "exec")) {
		char *argv[] = { "/bin/true", NULL };

		execve("/bin/true", argv, NULL);
		return;
	}
	if (!strcmp(job->action, "mmap-exec")) {
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return;
	}
	if (!strcmp(job->action, "socket")) {
		/* vhost-user (re)connect: only when some device may reconnect */
		close(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		return;
	}
	if (!strcmp(job->action, "fork")) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
		return;
	}
	switch (job->role) {
	case THREAD_ROLE_MAIN:
		ioctl(-1, KVM_RUN, 0);
		break;
	case THREAD_ROLE_VCPU:
		close(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		break;
	case THREAD_ROLE_DEVICE_IO:
		close(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
		break;
	case THREAD_ROLE_VIRTIOFSD:
		/* a compromised file server must not reach the network */
		close(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
		break;
	default:
		ioctl(-1, KVM_SET_USER_MEMORY_REGION, NULL);
		break;
	}
}

static void *child_thread(void *arg)
{
	struct child_job *job = arg;

	if (!strcmp(job->action, "allowed")) {
		job->result = role_allowed(job);
		return NULL;
	}
	if (!strcmp(job->action, "socket"))
		seccomp_set_reconnect(false);    /* no device with reconnect_ms */
	if (seccomp_install(job->role, job->mode))
		return NULL;
	role_forbidden(job);
	job->result = 0;     /* still alive: only in log mode */
	return NULL;
}

static int child_main(int argc, char **argv)
{
	struct child_job job = { .result = -1 };
	pthread_t t;

	if (argc != 5)
		return 90;
	job.role = (enum thread_role)atoi(argv[2]);
	job.mode = (enum seccomp_mode)atoi(argv[3]);
	job.action = argv[4];
	if (pthread_create(&t, NULL, child_thread, &job) || pthread_join(t, NULL))
		return 91;
	printf("child survived: %d\n", job.result);
	fflush(stdout);
	_exit(job.result == 0 ? 0 : 92);
}

/* ---- parent side ---- */

struct outcome {
	int status;          /* exit status, or 128 + signal */
	char err[4096];
	char out[256];
};

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
}

static void run_child(enum thread_role role, enum seccomp_mode mode, const char *action,
		      struct outcome *o)
{
	int err_pipe[2], out_pipe[2], st;
	char r[8], m[8];
	pid_t pid;

	snprintf(r, sizeof(r), "%d", (int)role);
	snprintf(m, sizeof(m), "%d", (int)mode);
	ck_assert_int_eq(pipe2(err_pipe, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out_pipe, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = { (char *)self_path, "--child", r, m, (char *)action, NULL };

		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		execv(self_path, argv);
		_exit(127);
	}
	close(err_pipe[1]);
	close(out_pipe[1]);
	read_all(out_pipe[0], o->out, sizeof(o->out));
	read_all(err_pipe[0], o->err, sizeof(o->err));
	close(err_pipe[0]);
	close(out_pipe[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *const forbidden_name[THREAD_ROLE_COUNT] = {
	[THREAD_ROLE_MAIN] = "ioctl", [THREAD_ROLE_VCPU] = "openat",
	[THREAD_ROLE_DEVICE_IO] = "socket", [THREAD_ROLE_BACKEND_CHANNEL] = "ioctl",
	[THREAD_ROLE_VIRTIOFSD] = "socket", [THREAD_ROLE_API] = "ioctl",
};

static const int forbidden_nr[THREAD_ROLE_COUNT] = {
	[THREAD_ROLE_MAIN] = SYS_ioctl, [THREAD_ROLE_VCPU] = SYS_openat,
	[THREAD_ROLE_DEVICE_IO] = SYS_socket, [THREAD_ROLE_BACKEND_CHANNEL] = SYS_ioctl,
	[THREAD_ROLE_VIRTIOFSD] = SYS_socket, [THREAD_ROLE_API] = SYS_ioctl,
};

static void expect_trap(enum thread_role role, const char *action, const char *name, int nr)
{
	struct outcome o;
	char want[160];

	run_child(role, SECCOMP_ENFORCE, action, &o);
	snprintf(want, sizeof(want), "microvm: seccomp: %s thread made forbidden syscall %s (%d)\n",
		 seccomp_role_name(role), name, nr);
	ck_assert_msg(o.status == 1, "%s/%s: status %d, stderr: %s", seccomp_role_name(role), action,
		      o.status, o.err);
	ck_assert_msg(strstr(o.err, want), "%s/%s: stderr lacks '%s': %s", seccomp_role_name(role),
		      action, want, o.err);
	ck_assert_msg(!strstr(o.out, "survived"), "%s/%s: thread survived", seccomp_role_name(role),
		      action);
}

START_TEST(forbidden_enforce)
{
	enum thread_role role = (enum thread_role)_i;

	expect_trap(role, "role", forbidden_name[role], forbidden_nr[role]);
	expect_trap(role, "exec", "execve", SYS_execve);
	expect_trap(role, "mmap-exec", "mmap", SYS_mmap);
	expect_trap(role, "fork", "clone", SYS_clone);
}
END_TEST

START_TEST(forbidden_log)
{
	enum thread_role role = (enum thread_role)_i;
	struct outcome o;

	run_child(role, SECCOMP_LOG, "role", &o);
	ck_assert_msg(o.status == 0 && strstr(o.out, "child survived: 0"),
		      "%s in log mode: status %d, out '%s', err '%s'", seccomp_role_name(role),
		      o.status, o.out, o.err);
	ck_assert_ptr_null(strstr(o.err, "forbidden syscall"));
	run_child(role, SECCOMP_LOG, "mmap-exec", &o);
	ck_assert_int_eq(o.status, 0);
}
END_TEST

START_TEST(allowed_enforce)
{
	enum thread_role role = (enum thread_role)_i;
	struct outcome o;

	run_child(role, SECCOMP_ENFORCE, "allowed", &o);
	ck_assert_msg(o.status == 0 && strstr(o.out, "child survived: 0"),
		      "%s: what the role does failed under its filter: status %d, out '%s', err '%s'",
		      seccomp_role_name(role), o.status, o.out, o.err);
}
END_TEST

/* A thread created by a role inherits its filter: the creator's set must hold the child's. */
START_TEST(children_are_subsets)
{
	static const struct { enum thread_role parent, child; } edges[] = {
		{ THREAD_ROLE_VCPU, THREAD_ROLE_DEVICE_IO },
		{ THREAD_ROLE_VCPU, THREAD_ROLE_BACKEND_CHANNEL },
		{ THREAD_ROLE_MAIN, THREAD_ROLE_BACKEND_CHANNEL },
	};

	for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++)
		for (int nr = 0; nr < 512; nr++)
			if (seccomp_role_allows(edges[e].child, nr))
				ck_assert_msg(seccomp_role_allows(edges[e].parent, nr),
					      "%s allows syscall %d but its creator %s does not",
					      seccomp_role_name(edges[e].child), nr,
					      seccomp_role_name(edges[e].parent));
	/* and the leaves stay small */
	ck_assert_int_lt(seccomp_role_allowed_count(THREAD_ROLE_DEVICE_IO), 40);
	ck_assert_int_lt(seccomp_role_allowed_count(THREAD_ROLE_BACKEND_CHANNEL), 40);
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VCPU, SYS_openat));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VCPU, SYS_execve));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_MAIN, SYS_execve));
	/* microvm-virtiofsd: files, yes; network, processes, KVM, no */
	ck_assert(seccomp_role_allows(THREAD_ROLE_VIRTIOFSD, SYS_openat));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VIRTIOFSD, SYS_socket));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VIRTIOFSD, SYS_connect));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VIRTIOFSD, SYS_execve));
	ck_assert_int_lt(seccomp_role_allowed_count(THREAD_ROLE_VIRTIOFSD), 80);
	ck_assert(!seccomp_role_allows(THREAD_ROLE_VIRTIOFSD, SYS_ptrace));
	/* control API thread: serves its socket; no new sockets, files, KVM, threads */
	ck_assert(seccomp_role_allows(THREAD_ROLE_API, SYS_accept4));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_API, SYS_socket));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_API, SYS_connect));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_API, SYS_openat));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_API, SYS_clone));
	ck_assert(!seccomp_role_allows(THREAD_ROLE_API, SYS_execve));
	ck_assert_int_lt(seccomp_role_allowed_count(THREAD_ROLE_API), 50);
}
END_TEST

/* Without a device that may reconnect, no thread may open sockets and main creates none. */
START_TEST(reconnect_off_narrows)
{
	static const int sock_calls[] = { SYS_socket, SYS_connect, SYS_socketpair };

	seccomp_set_reconnect(false);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert(!seccomp_role_allows(THREAD_ROLE_VCPU, sock_calls[i]));
		ck_assert(!seccomp_role_allows(THREAD_ROLE_MAIN, sock_calls[i]));
	}
	ck_assert(!seccomp_role_allows(THREAD_ROLE_MAIN, SYS_clone));
	/* what stays: vCPUs start device I/O threads and talk to back-ends */
	ck_assert(seccomp_role_allows(THREAD_ROLE_VCPU, SYS_clone));
	ck_assert(seccomp_role_allows(THREAD_ROLE_VCPU, SYS_preadv));
	ck_assert(seccomp_role_allows(THREAD_ROLE_VCPU, SYS_sendmsg));
	ck_assert(seccomp_role_allows(THREAD_ROLE_MAIN, SYS_recvmsg));
	seccomp_set_reconnect(true);
	ck_assert(seccomp_role_allows(THREAD_ROLE_VCPU, SYS_socket));
	ck_assert(seccomp_role_allows(THREAD_ROLE_MAIN, SYS_connect));
	ck_assert(seccomp_role_allows(THREAD_ROLE_MAIN, SYS_clone));
	/* the kernel enforces it: socket() from vCPU and main traps */
	expect_trap(THREAD_ROLE_VCPU, "socket", "socket", SYS_socket);
	expect_trap(THREAD_ROLE_MAIN, "socket", "socket", SYS_socket);
}
END_TEST

START_TEST(off_installs_nothing)
{
	seccomp_set_mode(SECCOMP_OFF);
	ck_assert_int_eq(seccomp_enter_role(THREAD_ROLE_VCPU), 0);
	ck_assert_int_eq(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	ck_assert_int_eq(seccomp_install(THREAD_ROLE_COUNT, SECCOMP_ENFORCE), -EINVAL);
	ck_assert_str_eq(seccomp_role_name(THREAD_ROLE_DEVICE_IO), "device I/O");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("roles");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, forbidden_enforce, 0, THREAD_ROLE_COUNT);
	tcase_add_loop_test(tc, forbidden_log, 0, THREAD_ROLE_COUNT);
	tcase_add_loop_test(tc, allowed_enforce, 0, THREAD_ROLE_COUNT);
	tcase_add_test(tc, children_are_subsets);
	tcase_add_test(tc, reconnect_off_narrows);
	tcase_add_test(tc, off_installs_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failures;

	self_path = argv[0];
	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child_main(argc, argv);
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0;
}
