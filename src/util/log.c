// SPDX-License-Identifier: MIT
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level cur_level = LOG_WARN;
static const char *cur_prefix = "microvm";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warning", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }
void log_set_prefix(const char *prefix) { cur_prefix = prefix; }
const char *log_get_prefix(void) { return cur_prefix; }

/* One message, trailing newlines dropped. */
static void format(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t n;

	vsnprintf(buf, len, fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

/* Caller holds log_lock. */
static void emit(enum log_level level, const char *msg, const char *suffix)
{
	fprintf(stderr, "%s: %s: %s%s\n", cur_prefix, level_names[level], msg, suffix);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level > cur_level)
		return;
	format(buf, sizeof(buf), fmt, ap);
	pthread_mutex_lock(&log_lock);
	emit(level, buf, "");
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* ---- rate limiting ---- */

static uint64_t real_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t (*now_ns)(void) = real_now_ns;
static struct log_ratelimit *pending;	/* sites that ever suppressed (under log_lock) */
static bool atexit_done;

void log_ratelimit_set_clock(uint64_t (*fn)(void))
{
	now_ns = fn ? fn : real_now_ns;
}

static void flush_at_exit(void)
{
	log_ratelimit_flush();
}

unsigned int log_ratelimit_flush(void)
{
	char suffix[96];
	unsigned int n = 0;

	pthread_mutex_lock(&log_lock);
	for (struct log_ratelimit *rl = pending; rl; rl = rl->next) {
		if (!rl->suppressed)
			continue;
		snprintf(suffix, sizeof(suffix), " [%llu more suppressed, %llu in all]",
			 (unsigned long long)rl->suppressed, (unsigned long long)rl->total);
		emit(rl->level, rl->last, suffix);
		rl->suppressed = 0;
		n++;
	}
	pthread_mutex_unlock(&log_lock);
	return n;
}

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	char buf[1024], suffix[96] = "";
	uint64_t t;
	va_list ap;
	size_t n;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	format(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t = now_ns();
	pthread_mutex_lock(&log_lock);
	rl->total++;
	if (rl->total > LOG_RL_BURST) {
		if (t - rl->last_ns < LOG_RL_INTERVAL_MS * 1000000ull) {
			rl->suppressed++;
			goto keep;
		}
		snprintf(suffix, sizeof(suffix), " [%llu more suppressed since the last line, %llu "
			 "in all]", (unsigned long long)rl->suppressed, (unsigned long long)rl->total);
		rl->suppressed = 0;
	}
	rl->last_ns = t;
	emit(level, buf, suffix);
	pthread_mutex_unlock(&log_lock);
	return;
keep:
	rl->level = level;
	n = strnlen(buf, sizeof(rl->last) - 1);	/* a truncated copy is enough for the exit line */
	memcpy(rl->last, buf, n);
	rl->last[n] = '\0';
	if (!rl->registered) {
		rl->registered = 1;
		rl->next = pending;
		pending = rl;
		if (!atexit_done) {
			atexit_done = true;
			atexit(flush_at_exit);
		}
	}
	pthread_mutex_unlock(&log_lock);
}
