// SPDX-License-Identifier: MIT
/*
 * Per-thread seccomp filters. Syscalls are grouped by what a piece of code does (thread
 * creation, KVM vCPU ioctls, vhost-user main socket, ...); a role is a set of groups. Every
 * allowed syscall and why is listed in docs/SECURITY.md; keep both in step.
 */
#include "security/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include "util/exit_codes.h"
#include "util/log.h"
#include "util/term.h"

/* One allow rule: syscall, up to two (AND-ed) masked-equal argument checks. */
struct sc_arg {
	unsigned int arg;
	uint64_t mask;
	uint64_t val;
};

struct sc_rule {
	int nr;
	int err;                 /* 0: allow; else fail with this errno (no trap) */
	unsigned int nargs;
	struct sc_arg a[2];
};

#define ALLOW(name) { .nr = SCMP_SYS(name) }
#define ALLOW1(name, i, m, v) { .nr = SCMP_SYS(name), .nargs = 1, \
				.a = { { .arg = i, .mask = m, .val = v } } }
#define ALLOW2(name, i, m, v, j, n, w) { .nr = SCMP_SYS(name), .nargs = 2, \
	.a = { { .arg = i, .mask = m, .val = v }, { .arg = j, .mask = n, .val = w } } }
#define ERRNO(name, e) { .nr = SCMP_SYS(name), .err = e }
/* ioctl requests are ints in the kernel: compare the low 32 bits only. */
#define IOCTL(req) ALLOW1(ioctl, 1, 0xffffffffULL, (uint32_t)(req))
#define END { .nr = -1 }

/* Every thread: memory management of malloc, locks, signals, logging, the SIGSYS handler. */
static const struct sc_rule group_base[] = {
	ALLOW(read), ALLOW(write), ALLOW(close), ALLOW(futex), ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask), ALLOW(exit), ALLOW(exit_group), ALLOW(restart_syscall),
	ALLOW(clock_gettime), ALLOW(clock_nanosleep), ALLOW(nanosleep), ALLOW(gettid),
	ALLOW(getpid), ALLOW(sched_yield), ALLOW(madvise), ALLOW(munmap), ALLOW(brk),
	ALLOW(sigaltstack),      /* sanitizer runtimes set one up and tear it down per thread */
	/* malloc arenas and thread stacks: anonymous memory, never executable */
	ALLOW2(mmap, 2, PROT_EXEC, 0, 3, MAP_ANONYMOUS, MAP_ANONYMOUS),
	ALLOW1(mprotect, 2, PROT_EXEC, 0),
	/* term_restore() from the SIGSYS handler and on exit paths: stdin only */
	ALLOW2(ioctl, 0, 0xffffffffULL, 0, 1, 0xffffffffULL, TCGETS),
	ALLOW2(ioctl, 0, 0xffffffffULL, 0, 1, 0xffffffffULL, TCSETS),
	ALLOW2(ioctl, 0, 0xffffffffULL, 0, 1, 0xffffffffULL, TCSETSW),
	ALLOW2(ioctl, 0, 0xffffffffULL, 0, 1, 0xffffffffULL, TCSETSF),
	END
};

/* pthread_create from a filtered thread, and what the new thread does before its own filter. */
static const struct sc_rule group_spawn[] = {
	ALLOW1(clone, 0, CLONE_THREAD, CLONE_THREAD),   /* threads only, never fork */
	ERRNO(clone3, ENOSYS),                          /* flags unreadable: glibc falls back */
	ALLOW(set_robust_list), ALLOW(rseq),
	ALLOW(sched_getaffinity),   /* pthread_getattr_np in a new thread (sanitizer runtimes) */
	/* the child installing its own filter: can only narrow what it may do */
	ALLOW1(prctl, 0, 0xffffffffULL, PR_SET_NO_NEW_PRIVS),
	ALLOW1(prctl, 0, 0xffffffffULL, PR_SET_NAME),   /* the worker names itself (util/worker.c) */
	ALLOW1(seccomp, 0, 0xffffffffULL, SECCOMP_SET_MODE_FILTER),
	ALLOW1(seccomp, 0, 0xffffffffULL, SECCOMP_GET_ACTION_AVAIL),
	END
};

/* vCPU thread: KVM_RUN and the vCPU-state ioctls of the run loop and emul_fixup. */
static const struct sc_rule group_vcpu_ioctl[] = {
	IOCTL(KVM_RUN), IOCTL(KVM_GET_REGS), IOCTL(KVM_SET_REGS), IOCTL(KVM_GET_SREGS),
	IOCTL(KVM_SET_SREGS), IOCTL(KVM_GET_VCPU_EVENTS), IOCTL(KVM_SET_VCPU_EVENTS),
	IOCTL(KVM_TRANSLATE), IOCTL(KVM_GET_FPU),
#if defined(__aarch64__)
	IOCTL(KVM_GET_ONE_REG),  /* the PC for an error report (arm64 has no KVM_GET_REGS) */
#endif
	/* shm window repairs: fault-safe probes and copies on the own process (shm_region.c) */
	ALLOW(process_vm_readv), ALLOW(process_vm_writev),
	ALLOW(pread64),          /* KVM stats fds: the boot timer's -v report (kvm/kvm_stats.h) */
	END
};

/* VM-fd ioctls behind guest PCI/MSI-X programming (vCPU) and device teardown (main). */
static const struct sc_rule group_vm_ioctl[] = {
	IOCTL(KVM_IRQ_LINE), IOCTL(KVM_SET_GSI_ROUTING), IOCTL(KVM_IRQFD), IOCTL(KVM_IOEVENTFD),
	IOCTL(KVM_SET_USER_MEMORY_REGION),
	END
};

/* Guest-driven device activation on a vCPU: eventfds, the device thread's epoll set. */
static const struct sc_rule group_activate[] = {
	ALLOW(eventfd2), ALLOW(epoll_create1), ALLOW(epoll_ctl),
	END
};

/* vhost-user main socket: transactions, fd dups for the backend-channel thread. */
static const struct sc_rule group_vhost_front[] = {
	ALLOW(sendmsg), ALLOW(recvmsg), ALLOW(poll), ALLOW(ppoll), ALLOW(eventfd2),
	ALLOW1(fcntl, 1, 0xffffffffULL, F_DUPFD_CLOEXEC), ALLOW1(fcntl, 1, 0xffffffffULL, F_GETFL),
	END
};

/* vhost-user reconnect (only with reconnect_ms set): new socket, backend-channel socketpair. */
static const struct sc_rule group_reconnect[] = {
	ALLOW1(socket, 0, 0xffffffffULL, AF_UNIX), ALLOW(connect),
	ALLOW1(socketpair, 0, 0xffffffffULL, AF_UNIX),
	END
};

/* Backend channel: requests and replies, SHMEM_MAP/UNMAP into a reserved region. */
static const struct sc_rule group_backend_channel[] = {
	ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(poll), ALLOW(ppoll),
	ALLOW1(fcntl, 1, 0xffffffffULL, F_GETFL),
	/* dev/ino of a mapped fd (vm.shm): fstat is newfstatat(fd, "", AT_EMPTY_PATH) in glibc */
	ALLOW(fstat), ALLOW1(newfstatat, 3, AT_EMPTY_PATH, AT_EMPTY_PATH),
	/* a back-end's fd, only at a fixed address (inside the region), never executable */
	ALLOW2(mmap, 2, PROT_EXEC, 0, 3, MAP_FIXED, MAP_FIXED),
	END
};

/* Device I/O thread (virtio-blk): epoll on kick eventfds, image I/O. */
static const struct sc_rule group_device_io[] = {
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(preadv), ALLOW(pwritev),
	ALLOW(pread64), ALLOW(pwrite64), ALLOW(fdatasync), ALLOW(fsync), ALLOW(fallocate),
	ALLOW(epoll_create1),    /* its fd_loop (util/fd_loop.h), made in the thread */
	/* io = "io_uring": the ring is set up, restricted and enabled with the device (main
	 * thread); this thread only submits and waits (no io_uring_setup/register here) */
	ALLOW(io_uring_enter),
	END
};

/* virtio-net queue-pair thread: epoll on kicks and the TAP, frames in and out of the TAP,
 * TUNSETQUEUE for the control queue's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (pair 0's thread). */
static const struct sc_rule group_net_io[] = {
	ALLOW(epoll_create1),    /* the worker builds its own poll set (fd_loop_init) */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(readv), ALLOW(writev),
	IOCTL(TUNSETQUEUE),
	END
};

/* virtio-net on the vCPU: FEATURES_OK sets the TAP offloads, DRIVER_OK detaches spare queues. */
static const struct sc_rule group_net_vcpu[] = {
	IOCTL(TUNSETOFFLOAD), IOCTL(TUNSETVNETHDRSZ), IOCTL(TUNSETQUEUE),
	END
};

/* microvm-virtiofsd, vhost-user side: front-end messages, guest memory, ring workers. */
static const struct sc_rule group_vub[] = {
	ALLOW(accept4),          /* the next front-end after a liveness probe */
	ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(poll), ALLOW(ppoll), ALLOW(eventfd2),
	ALLOW1(fcntl, 1, 0xffffffffULL, F_DUPFD_CLOEXEC), ALLOW1(fcntl, 1, 0xffffffffULL, F_GETFL),
	/* guest memory regions (ADD_MEM_REG / SET_MEM_TABLE fds): shared, never executable */
	ALLOW2(mmap, 2, PROT_EXEC, 0, 3, MAP_SHARED, MAP_SHARED),
	END
};

/* microvm-virtiofsd, FUSE side: every file operation goes through fds opened relative to the
 * share's O_PATH fds (and /proc/self/fd, opened before the sandbox). */
static const struct sc_rule group_fs[] = {
	ALLOW(openat), ALLOW(newfstatat), ALLOW(fstat), ALLOW(statx), ALLOW(fstatfs),
	ALLOW(getdents64), ALLOW(lseek), ALLOW(readlinkat), ALLOW(mkdirat), ALLOW(mknodat),
	ALLOW(symlinkat), ALLOW(linkat), ALLOW(unlinkat), ALLOW(renameat2), ALLOW(renameat),
	ALLOW(fchmodat), ALLOW(fchmod), ALLOW(fchown), ALLOW(fchownat), ALLOW(utimensat),
	ALLOW(faccessat), ALLOW(faccessat2), ALLOW(ftruncate), ALLOW(fallocate), ALLOW(fsync),
	ALLOW(fdatasync), ALLOW(pread64), ALLOW(pwrite64), ALLOW(preadv), ALLOW(pwritev),
	ALLOW(readv), ALLOW(writev),
	ALLOW(geteuid),          /* as root: created files get the guest caller's owner */
	END
};

/* Main loop and teardown. */
static const struct sc_rule group_main[] = {
	ALLOW(poll), ALLOW(ppoll), ALLOW(signalfd4),
	ALLOW1(tgkill, 2, 0xffffffffULL, SIGUSR1),      /* vCPU kick (pthread_kill) */
	/* /proc/self/status for the -v memory report: read-only, never creating */
	ALLOW1(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY),
	IOCTL(KVM_GET_REGS), IOCTL(KVM_GET_SREGS), IOCTL(KVM_GET_MP_STATE), /* vcpus_dump */
#if defined(__aarch64__)
	IOCTL(KVM_GET_ONE_REG),  /* vcpus_dump: arm64 reads PC/SP/PSTATE one register at a time */
#endif
	ALLOW(mincore),          /* -v memory report: guest RAM resident (anonymous RAM) */
	/* teardown: a disk image's lock is dropped before close; io_uring releases its
	 * registered file later, after the process has gone (virtio/blk.c) */
	ALLOW1(flock, 1, 0xffffffffULL, LOCK_UN),
	END
};

/* Control API thread: libmicrohttpd on our UNIX socket, vCPU kicks for pause, socket removal. */
static const struct sc_rule group_api[] = {
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(accept4), ALLOW(recvfrom), ALLOW(sendto), ALLOW(sendmsg), ALLOW(writev),
	ALLOW(shutdown), ALLOW(setsockopt), ALLOW(getsockopt), ALLOW(getsockname),
	ALLOW1(fcntl, 1, 0xffffffffULL, F_GETFL), ALLOW1(fcntl, 1, 0xffffffffULL, F_SETFL),
	ALLOW1(fcntl, 1, 0xffffffffULL, F_GETFD), ALLOW1(fcntl, 1, 0xffffffffULL, F_SETFD),
	ALLOW1(tgkill, 2, 0xffffffffULL, SIGUSR1),      /* pause: vCPU kick (pthread_kill) */
	ALLOW(unlink), ALLOW(unlinkat),                 /* the socket file at exit */
	ALLOW(getrandom),        /* libmicrohttpd seeds its connection hashing */
	IOCTL(KVM_IRQ_LINE),     /* vm.power-button: the ACPI GED's edge on its IRQ */
	END
};

enum {
	G_BASE = 1 << 0, G_SPAWN = 1 << 1, G_VCPU_IOCTL = 1 << 2, G_VM_IOCTL = 1 << 3,
	G_ACTIVATE = 1 << 4, G_VHOST_FRONT = 1 << 5, G_BACKEND_CHANNEL = 1 << 6,
	G_DEVICE_IO = 1 << 7, G_MAIN = 1 << 8, G_VUB = 1 << 9, G_FS = 1 << 10,
	G_RECONNECT = 1 << 11, G_API = 1 << 12, G_NET_IO = 1 << 13, G_NET_VCPU = 1 << 14,
};

static const struct sc_rule *const groups[] = {
	group_base, group_spawn, group_vcpu_ioctl, group_vm_ioctl, group_activate,
	group_vhost_front, group_backend_channel, group_device_io, group_main, group_vub, group_fs,
	group_reconnect, group_api, group_net_io, group_net_vcpu,
};
#define NR_GROUPS (sizeof(groups) / sizeof(groups[0]))

/*
 * Own groups of each role; children's sets are added by role_groups(). What only a vhost-user
 * reconnect needs (new sockets, creating backend-channel threads) is in the reconnect_* fields,
 * part of the filter only when some device may reconnect (seccomp_set_reconnect).
 */
static const struct {
	const char *name;
	bool process;            /* the whole process: threads created later inherit it */
	unsigned int groups;
	unsigned int children;   /* roles this role may create (bit per enum thread_role) */
	unsigned int reconnect_groups, reconnect_children;
} roles[THREAD_ROLE_COUNT] = {
	[THREAD_ROLE_MAIN] = { "main", false, G_BASE | G_MAIN | G_VM_IOCTL | G_VHOST_FRONT, 0,
				G_SPAWN | G_RECONNECT, 1u << THREAD_ROLE_BACKEND_CHANNEL },
	[THREAD_ROLE_VCPU] = { "vCPU", false, G_BASE | G_VCPU_IOCTL | G_VM_IOCTL | G_ACTIVATE |
				G_VHOST_FRONT | G_SPAWN | G_NET_VCPU,
				1u << THREAD_ROLE_DEVICE_IO | 1u << THREAD_ROLE_NET_IO,
				G_RECONNECT, 1u << THREAD_ROLE_BACKEND_CHANNEL },
	[THREAD_ROLE_DEVICE_IO] = { "device I/O", false, G_BASE | G_DEVICE_IO, 0, 0, 0 },
	[THREAD_ROLE_BACKEND_CHANNEL] = { "backend-channel", false, G_BASE | G_BACKEND_CHANNEL, 0,
					   0, 0 },
	/* one filter for the whole process: workers are created after it and inherit it */
	[THREAD_ROLE_VIRTIOFSD] = { "virtiofsd", true, G_BASE | G_SPAWN | G_VUB | G_FS, 0, 0, 0 },
	[THREAD_ROLE_API] = { "API", false, G_BASE | G_API, 0, 0, 0 },
	[THREAD_ROLE_NET_IO] = { "net I/O", false, G_BASE | G_NET_IO, 0, 0, 0 },
};

static atomic_bool reconnect = true;

void seccomp_set_reconnect(bool needed)
{
	atomic_store(&reconnect, needed);
}

static unsigned int role_groups(enum thread_role role)
{
	bool rc = atomic_load(&reconnect);
	unsigned int g = roles[role].groups | (rc ? roles[role].reconnect_groups : 0);
	unsigned int children = roles[role].children | (rc ? roles[role].reconnect_children : 0);

	for (unsigned int c = 0; c < THREAD_ROLE_COUNT; c++)
		if (children & (1u << c))
			g |= role_groups((enum thread_role)c);
	return g;
}

const char *seccomp_role_name(enum thread_role role)
{
	return (unsigned int)role < THREAD_ROLE_COUNT ? roles[role].name : "?";
}

int seccomp_role_allows(enum thread_role role, int nr)
{
	unsigned int g;

	if ((unsigned int)role >= THREAD_ROLE_COUNT)
		return 0;
	g = role_groups(role);
	for (unsigned int i = 0; i < NR_GROUPS; i++) {
		if (!(g & (1u << i)))
			continue;
		for (const struct sc_rule *r = groups[i]; r->nr != -1; r++)
			if (r->nr == nr && !r->err)
				return 1;
	}
	return 0;
}

int seccomp_role_allowed_count(enum thread_role role)
{
	int n = 0;

	for (int nr = 0; nr < 512; nr++)
		n += seccomp_role_allows(role, nr);
	return n;
}

/* ---- mode ---- */

static atomic_int cur_mode = SECCOMP_OFF;

void seccomp_set_mode(enum seccomp_mode mode)
{
	atomic_store(&cur_mode, (int)mode);
}

enum seccomp_mode seccomp_get_mode(void)
{
	return (enum seccomp_mode)atomic_load(&cur_mode);
}

/* ---- SIGSYS: async-signal-safe report ---- */

#define NAME_TABLE 512
static char *syscall_names[NAME_TABLE];
/*
 * Role of the calling thread; NULL until it installs its own filter: it then runs under its
 * creator's, reported as the process role if one was installed (microvm-virtiofsd), else "new".
 */
static __thread const char *my_role;
static const char *process_role;
static const char *prog = "microvm";    /* log prefix, captured before the first filter */
static pthread_once_t prepare_once = PTHREAD_ONCE_INIT;

static size_t put_str(char *buf, size_t off, size_t cap, const char *s)
{
	while (*s && off < cap)
		buf[off++] = *s++;
	return off;
}

static size_t put_num(char *buf, size_t off, size_t cap, long v)
{
	char tmp[24];
	int n = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0 && off < cap)
		buf[off++] = '-';
	while (n && off < cap)
		buf[off++] = tmp[--n];
	return off;
}

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	size_t n = 0;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < NAME_TABLE && syscall_names[nr] ? syscall_names[nr] :
			   "unknown";
	int saved = errno;

	(void)sig;
	(void)uc;
	n = put_str(msg, n, sizeof(msg), prog);
	n = put_str(msg, n, sizeof(msg), ": seccomp: ");
	n = put_str(msg, n, sizeof(msg), my_role ? my_role : process_role ? process_role : "new");
	n = put_str(msg, n, sizeof(msg), " thread made forbidden syscall ");
	n = put_str(msg, n, sizeof(msg), name);
	n = put_str(msg, n, sizeof(msg), " (");
	n = put_num(msg, n, sizeof(msg), nr);
	n = put_str(msg, n, sizeof(msg), ")\n");
	if (write(STDERR_FILENO, msg, n) < 0)
		errno = saved;
	term_restore();
	/* raw exit_group: a sanitizer's _exit interceptor would run leak checks (more syscalls) */
	syscall(SYS_exit_group, EXIT_HOST_ERROR);
}

/* Runs once, before the first filter: name table (malloc) and the process-wide handler. */
static void prepare(void)
{
	struct sigaction sa;

	seccomp_api_get();   /* libseccomp probes the kernel once, here, unfiltered */
	prog = log_get_prefix();
	for (int nr = 0; nr < NAME_TABLE; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
}

/* ---- filter construction ---- */

static int add_rule(scmp_filter_ctx ctx, const struct sc_rule *r)
{
	struct scmp_arg_cmp cmp[2];
	uint32_t action = r->err ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_ALLOW;

	/*
	 * Syscalls this arch does not have (arm64 has no open, poll, epoll_wait, unlink, renameat,
	 * ...: only their *at/p* forms, which the groups list too): SCMP_SYS gives libseccomp's
	 * negative pseudo number; nothing to allow.
	 */
	if (r->nr < 0)
		return 0;
	for (unsigned int i = 0; i < r->nargs; i++)
		cmp[i] = (struct scmp_arg_cmp){ .arg = r->a[i].arg, .op = SCMP_CMP_MASKED_EQ,
						.datum_a = r->a[i].mask, .datum_b = r->a[i].val };
	return seccomp_rule_add_array(ctx, action, r->nr, r->nargs, cmp);
}

/* The same syscall may have an unconditional rule in one group and checks in another. */
static bool has_plain_allow(unsigned int g, int nr)
{
	for (unsigned int i = 0; i < NR_GROUPS; i++) {
		if (!(g & (1u << i)))
			continue;
		for (const struct sc_rule *r = groups[i]; r->nr != -1; r++)
			if (r->nr == nr && !r->err && r->nargs == 0)
				return true;
	}
	return false;
}

static scmp_filter_ctx build(enum thread_role role, enum seccomp_mode mode)
{
	unsigned int g = role_groups(role);
	scmp_filter_ctx ctx = seccomp_init(mode == SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	int r = 0;

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS))
		goto fail;
	for (unsigned int i = 0; i < NR_GROUPS && !r; i++) {
		if (!(g & (1u << i)))
			continue;
		for (const struct sc_rule *rule = groups[i]; rule->nr != -1 && !r; rule++) {
			if (rule->nargs && has_plain_allow(g, rule->nr))
				continue;
			r = add_rule(ctx, rule);
			if (r == -EEXIST)
				r = 0;
		}
	}
	if (!r)
		return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int seccomp_install(enum thread_role role, enum seccomp_mode mode)
{
	scmp_filter_ctx ctx;
	int r;

	if ((unsigned int)role >= THREAD_ROLE_COUNT)
		return -EINVAL;
	if (mode == SECCOMP_OFF)
		return 0;
	pthread_once(&prepare_once, prepare);
	ctx = build(role, mode);
	if (!ctx)
		return -EINVAL;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		return r < 0 ? r : -EINVAL;
	my_role = roles[role].name;
	if (roles[role].process)
		process_role = roles[role].name;
	return 0;
}

int seccomp_enter_role(enum thread_role role)
{
	enum seccomp_mode mode = seccomp_get_mode();
	int r;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/*
	 * Sanitizer builds (test-only): LeakSanitizer's exit-time check runs on the main thread and
	 * stops the world with a ptrace-ing helper; no main profile may allow that. The other
	 * roles keep their filters.
	 */
	if (role == THREAD_ROLE_MAIN && mode != SECCOMP_OFF) {
		pr_debug("seccomp: main thread filter skipped in a sanitizer build");
		return 0;
	}
#endif
	r = seccomp_install(role, mode);

	if (r && mode == SECCOMP_ENFORCE) {
		pr_err("seccomp: cannot install the %s thread filter: %s (set [security] seccomp = "
		       "\"off\" on hosts without seccomp)", seccomp_role_name(role), strerror(-r));
		term_restore();
		_exit(EXIT_HOST_ERROR);
	}
	if (r)
		pr_warn("seccomp: cannot install the %s thread filter: %s", seccomp_role_name(role),
			strerror(-r));
	return r;
}
