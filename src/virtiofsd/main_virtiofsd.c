// SPDX-License-Identifier: MIT
/*
 * microvm-virtiofsd: a DAX-capable virtio-fs back-end over vhost-user.
 *
 *   microvm-virtiofsd --socket-path S --shared-dir D [--tag T] [--cache-size 1G]
 *                     [--readonly] [--threads N] [--sandbox chroot|none]
 *                     [--seccomp enforce|log|off] [-v]
 *
 * Serves one front-end, then exits when it disconnects. Exit codes: 0 front-end disconnected
 * or SIGINT/SIGTERM, 1 runtime error, 2 bad command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/config.h"
#include "security/seccomp.h"
#include "virtiofsd/vfsd_device.h"
#include "util/log.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

static volatile sig_atomic_t got_signal;
static int sandbox = -1;        /* 1 chroot, 0 none, -1 default (chroot when root) */
static enum seccomp_mode seccomp_mode = SECCOMP_ENFORCE;
static struct vub *running;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: microvm-virtiofsd --socket-path PATH --shared-dir DIR [options]\n"
		"\n"
		"virtio-fs back-end (vhost-user) with a DAX window for microvm.\n"
		"\n"
		"  --socket-path PATH  vhost-user socket to listen on (mode 0600; a stale one is\n"
		"                      replaced)\n"
		"  --shared-dir DIR    directory exported to the guest\n"
		"  --tag TAG           mount tag, 1-36 bytes (default: myfs)\n"
		"  --cache-size SIZE   DAX window (shm region 0), multiple of 2M, e.g. 1G;\n"
		"                      0 disables DAX (default: 0). Must equal the front-end's\n"
		"                      [[vhost_user_fs]] cache_size.\n"
		"  --readonly          refuse every modification with EROFS\n"
		"  --threads N         request queues, one worker thread each (1-63, default 1)\n"
		"  --sandbox MODE      chroot: chroot into DIR after setup (default when run as\n"
		"                      root); none: no sandbox\n"
		"  --seccomp MODE      enforce: a syscall outside the profile ends the process\n"
		"                      with a message naming it (default); log: the kernel logs\n"
		"                      it and it proceeds; off: no filter\n"
		"  -v, --verbose       debug messages\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit codes: 0 front-end disconnected or SIGINT/SIGTERM, 1 runtime error,\n"
		"2 bad command line.\n");
}

static void on_signal(int sig)
{
	got_signal = sig;
	if (running)
		vub_stop(running);
}

static int parse_args(int argc, char **argv, struct vfsd_device_options *o, const char **sock)
{
	static const struct option opts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "shared-dir", required_argument, NULL, 'd' },
		{ "tag", required_argument, NULL, 't' },
		{ "cache-size", required_argument, NULL, 'c' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 'n' },
		{ "sandbox", required_argument, NULL, 'S' },
		{ "seccomp", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			*sock = optarg;
			break;
		case 'd':
			o->shared_dir = optarg;
			break;
		case 't':
			o->tag = optarg;
			if (!optarg[0] || strlen(optarg) > 36) {
				fprintf(stderr, "microvm-virtiofsd: --tag must be 1 to 36 bytes\n");
				return -1;
			}
			break;
		case 'c':
			if (parse_size(optarg, &o->cache_size) < 0 ||
			    o->cache_size % (2u << 20) || o->cache_size > (1ull << 40)) {
				fprintf(stderr, "microvm-virtiofsd: --cache-size '%s': expected a "
					"multiple of 2M up to 1T\n", optarg);
				return -1;
			}
			break;
		case 'r':
			o->readonly = true;
			break;
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > VUB_MAX_QUEUES - 1) {
				fprintf(stderr, "microvm-virtiofsd: --threads '%s': expected 1 to "
					"%d\n", optarg, VUB_MAX_QUEUES - 1);
				return -1;
			}
			o->threads = (unsigned int)n;
			break;
		case 'S':
			if (strcmp(optarg, "chroot") && strcmp(optarg, "none")) {
				fprintf(stderr, "microvm-virtiofsd: --sandbox '%s': expected "
					"chroot or none\n", optarg);
				return -1;
			}
			sandbox = strcmp(optarg, "chroot") == 0;
			break;
		case 'F':
			if (config_parse_seccomp_mode(optarg, &seccomp_mode) < 0) {
				fprintf(stderr, "microvm-virtiofsd: --seccomp '%s': expected "
					"enforce, log or off\n", optarg);
				return -1;
			}
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "microvm-virtiofsd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!*sock || !o->shared_dir) {
		fprintf(stderr, "microvm-virtiofsd: --socket-path and --shared-dir are required\n");
		return -1;
	}
	return 0;
}

/* One summary line on exit (always printed: tests and operators read it). */
static void print_stats(struct vfsd *fs)
{
	const struct vfsd_stats *s = vfsd_get_stats(fs);

	fprintf(stderr, "microvm-virtiofsd: stats: requests %llu errors %llu setupmapping %llu "
		"removemapping %llu live_mappings %llu\n",
		(unsigned long long)s->requests, (unsigned long long)s->errors,
		(unsigned long long)s->setupmapping, (unsigned long long)s->removemapping,
		(unsigned long long)s->live_mappings);
}

/*
 * chroot into the shared directory: every file access already goes through fds opened
 * beforehand (the root O_PATH fd, /proc/self/fd), so a path bug can reach nothing but the
 * share, and ".." stops at the process root.
 */
static int enter_sandbox(const char *dir)
{
	if (sandbox < 0)
		sandbox = geteuid() == 0;
	if (!sandbox)
		return 0;
	if (chroot(dir) < 0 || chdir("/") < 0) {
		pr_err("--sandbox chroot: %s: %s (use --sandbox none without CAP_SYS_CHROOT)", dir,
		       strerror(errno));
		return -errno;
	}
	return 0;
}

static void *noop_thread(void *arg)
{
	return arg;
}

/*
 * The "virtiofsd" profile on the main thread, before any worker exists: every thread the
 * process creates inherits it (docs/SECURITY.md lists what it allows and why).
 */
static int enter_seccomp(void)
{
	pthread_t t;
	int r;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* LeakSanitizer's exit-time check ptraces the process: no profile allows that */
	pr_debug("seccomp: filter skipped in a sanitizer build");
	return 0;
#endif
	/*
	 * glibc installs its internal thread signal handlers (rt_sigaction) at the first
	 * pthread_create: let that happen before the filter, which need not allow it.
	 */
	if (seccomp_mode != SECCOMP_OFF && !pthread_create(&t, NULL, noop_thread, NULL))
		pthread_join(t, NULL);
	r = seccomp_install(THREAD_ROLE_VIRTIOFSD, seccomp_mode);
	if (r < 0 && seccomp_mode == SECCOMP_ENFORCE) {
		pr_err("seccomp: cannot install the filter: %s (use --seccomp off on hosts without "
		       "seccomp)", strerror(-r));
		return r;
	}
	if (r < 0)
		pr_warn("seccomp: cannot install the filter: %s", strerror(-r));
	return 0;
}

/* Waits for one front-end; returns its fd, or -EINTR after a signal (stop_fd readable). */
static int wait_frontend(int lfd, int stop_fd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
				       { .fd = stop_fd, .events = POLLIN } };

		if (got_signal || (poll(p, 2, -1) > 0 && p[1].revents))
			return -EINTR;
		if (p[0].revents & POLLIN)
			return vub_accept(lfd);
	}
}

/* Every inode the guest knows holds an O_PATH fd: raise the soft fd limit to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			pr_warn("cannot raise the open file limit: %s", strerror(errno));
	}
}

/* O_PATH fd of the directory holding path; *name points at its last component. */
static int open_sock_dir(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash) {
		*name = path;
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	*name = slash + 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct vfsd_device_options o = { .tag = "myfs", .threads = 1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct vfsd_device dev;
	const char *sock = NULL, *sock_name;
	char err[256];
	int lfd, cfd, ret, sock_dir;

	log_set_prefix("microvm-virtiofsd");
	if (parse_args(argc, argv, &o, &sock) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	raise_fd_limit();
	ret = vfsd_device_init(&dev, &o);
	if (ret < 0) {
		pr_err("cannot set up the device: %s", strerror(-ret));
		return ret == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = vub_listen(sock, err, sizeof(err));
	if (lfd < 0) {
		pr_err("%s", err);
		vfsd_device_destroy(&dev);
		return EXIT_RUNTIME;
	}
	/* The socket's directory, to remove the socket after the chroot. */
	sock_dir = open_sock_dir(sock, &sock_name);
	if (enter_sandbox(o.shared_dir) < 0 || enter_seccomp() < 0) {
		close(lfd);
		unlink(sock);
		vfsd_device_destroy(&dev);
		return EXIT_RUNTIME;
	}
	pr_info("listening on %s, sharing %s as '%s' (%u request queue%s, DAX window %llu MiB%s)",
		sock, o.shared_dir, o.tag, o.threads, o.threads > 1 ? "s" : "",
		(unsigned long long)(o.cache_size >> 20), o.readonly ? ", read-only" : "");
	/*
	 * One front-end. A connection that closes without a single request (a liveness probe,
	 * e.g. another daemon checking the socket) does not count: keep listening.
	 */
	running = dev.vub;
	for (;;) {
		cfd = wait_frontend(lfd, vub_stop_fd(dev.vub));
		if (cfd < 0) {
			if (cfd != -EINTR)
				pr_err("accept: %s", strerror(-cfd));
			ret = cfd == -EINTR ? 0 : cfd;
			break;
		}
		if (got_signal) {
			close(cfd);
			ret = 0;
			break;
		}
		ret = vub_serve(dev.vub, cfd);
		if (ret < 0 || vub_nr_messages(dev.vub) || got_signal)
			break;
	}
	running = NULL;
	close(lfd);
	if (sock_dir >= 0 && unlinkat(sock_dir, sock_name, 0) < 0)
		pr_warn("cannot remove %s: %s", sock, strerror(errno));
	if (sock_dir >= 0)
		close(sock_dir);
	print_stats(dev.fs);
	vfsd_device_destroy(&dev);
	return ret < 0 ? EXIT_RUNTIME : EXIT_OK;
}
