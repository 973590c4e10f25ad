// SPDX-License-Identifier: MIT
/* Fault injection wrappers; see faultinj.h. Only compiled in with -DMICROVM_FAULTINJ. */
#include "security/faultinj.h"

#ifndef MICROVM_FAULTINJ

bool faultinj_enabled(void)
{
	return false;
}

unsigned long faultinj_calls(enum faultinj_kind kind)
{
	(void)kind;
	return 0;
}

#else

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
int __real_ioctl(int fd, unsigned long req, ...);

#ifdef __SANITIZE_ADDRESS__
void __sanitizer_print_stack_trace(void);
#endif

static const char *const kind_names[FI_NR_KINDS] = {
	[FI_MALLOC] = "malloc", [FI_CALLOC] = "calloc", [FI_MMAP] = "mmap",
	[FI_SENDMSG] = "sendmsg", [FI_IOCTL] = "ioctl",
};

static atomic_ulong calls[FI_NR_KINDS];
static unsigned long fail_at[FI_NR_KINDS];   /* 0 = never */
static atomic_int parsed;                    /* 0 no, 1 parsing, 2 done */

/* "microvm: faultinj: <a><b><c><n>" on stderr without malloc (we may be inside malloc). */
static void say(const char *a, const char *b, const char *c, unsigned long n)
{
	const char *parts[] = { "microvm: faultinj: ", a, b, c };
	char buf[128], num[24];
	size_t len = 0;
	int k = 0;

	do {
		num[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *s = parts[i]; *s && len < sizeof(buf) - 30; s++)
			buf[len++] = *s;
	while (k)
		buf[len++] = num[--k];
	buf[len++] = '\n';
	if (write(STDERR_FILENO, buf, len) < 0)
		return;
}

/* "malloc:12,ioctl:3" -> fail_at[]. getenv and strtoul do not allocate. */
static void parse(void)
{
	const char *s = getenv("MICROVM_FAULT");

	while (s && *s) {
		for (int k = 0; k < FI_NR_KINDS; k++) {
			size_t n = strlen(kind_names[k]);

			if (!strncmp(s, kind_names[k], n) && s[n] == ':') {
				fail_at[k] = strtoul(s + n + 1, NULL, 10);
				break;
			}
		}
		s = strchr(s, ',');
		if (s)
			s++;
	}
}

static void ensure_parsed(void)
{
	int expected = 0;

	if (atomic_load(&parsed) == 2)
		return;
	if (atomic_compare_exchange_strong(&parsed, &expected, 1)) {
		parse();
		atomic_store(&parsed, 2);
		return;
	}
	while (atomic_load(&parsed) != 2)
		;
}

static bool should_fail(enum faultinj_kind k)
{
	unsigned long n;

	ensure_parsed();
	n = atomic_fetch_add(&calls[k], 1) + 1;
	if (!fail_at[k] || n != fail_at[k])
		return false;
	say("failing ", kind_names[k], " call #", n);
#ifdef __SANITIZE_ADDRESS__
	if (getenv("MICROVM_FAULT_TRACE"))
		__sanitizer_print_stack_trace();
#endif
	return true;
}

bool faultinj_enabled(void)
{
	return true;
}

unsigned long faultinj_calls(enum faultinj_kind kind)
{
	return kind < FI_NR_KINDS ? atomic_load(&calls[kind]) : 0;
}

__attribute__((destructor)) static void report_counts(void)
{
	const char *s = getenv("MICROVM_FAULT_COUNT");

	if (!s || strcmp(s, "1"))
		return;
	for (int k = 0; k < FI_NR_KINDS; k++)
		say("calls ", kind_names[k], "=", atomic_load(&calls[k]));
}

void *__wrap_malloc(size_t size)
{
	if (should_fail(FI_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (should_fail(FI_CALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (should_fail(FI_MMAP)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (should_fail(FI_SENDMSG)) {
		errno = ECONNRESET;
		return -1;
	}
	return __real_sendmsg(fd, msg, flags);
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	unsigned long arg;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (should_fail(FI_IOCTL)) {
		errno = ENOMEM;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

#endif
