// SPDX-License-Identifier: MIT
#include "vmm/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (level > cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s: %s\n", cur_prefix, level_names[level], buf);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
