/* SPDX-License-Identifier: MIT */
/* Logging: one line per message on stderr, prefixed "microvm: <level>: ". */
#ifndef MICROVM_LOG_H
#define MICROVM_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Program name used as prefix ("microvm", "microvm-virtiofsd"). */
void log_set_prefix(const char *prefix);
const char *log_get_prefix(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define pr_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate-limited lines, for every message a guest or a back-end can trigger (the *_rl macros).
 * Each call site has its own static state: its first LOG_RL_BURST lines are printed; after
 * that each event is counted, and at most one line per LOG_RL_INTERVAL_MS is printed: the
 * current message followed by "[N more suppressed since the last line, T in all]". At exit
 * (atexit, or log_ratelimit_flush()) every site with suppressed events prints one more line
 * with its count and total, so the counts show every event.
 */
#define LOG_RL_BURST		10
#define LOG_RL_INTERVAL_MS	1000

struct log_ratelimit {
	const char *site;		/* "file.c:123" */
	uint64_t total;			/* events at this site (shown or not) */
	uint64_t suppressed;		/* not shown since the last line */
	uint64_t last_ns;		/* time of the last printed line */
	enum log_level level;
	char last[160];			/* last suppressed message, for the exit line */
	struct log_ratelimit *next;	/* sites with suppressed events, for the exit flush */
	int registered;
};

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints the pending count of every site (also run at exit). Returns the sites printed. */
unsigned int log_ratelimit_flush(void);
/* Tests: the clock (monotonic ns) the limiter uses; NULL restores the real one. */
void log_ratelimit_set_clock(uint64_t (*now_ns)(void));

#define LOG_STR2(x) #x
#define LOG_STR(x) LOG_STR2(x)
#define log_rl(level, ...)							\
	do {									\
		static struct log_ratelimit log_rl_site_ = {			\
			.site = __FILE__ ":" LOG_STR(__LINE__) };		\
		log_msg_rl(&log_rl_site_, level, __VA_ARGS__);			\
	} while (0)
#define pr_err_rl(...)   log_rl(LOG_ERROR, __VA_ARGS__)
#define pr_warn_rl(...)  log_rl(LOG_WARN, __VA_ARGS__)
#define pr_info_rl(...)  log_rl(LOG_INFO, __VA_ARGS__)
#define pr_debug_rl(...) log_rl(LOG_DEBUG, __VA_ARGS__)

#endif
