/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by tests: counting lines in logs written by another thread or process,
 * waiting for a line to appear, counting this process's open fds.
 */
#ifndef MICROVM_TESTS_TESTFILES_H
#define MICROVM_TESTS_TESTFILES_H

#include <stdbool.h>

/* Occurrences of needle in the file at path (0 when it cannot be read). */
int tf_count(const char *path, const char *needle);

/*
 * Wait up to ms for at least n occurrences of needle. Use it before counting a line that
 * another thread or process logs after the state the test waited for became visible.
 */
bool tf_wait_count(const char *path, const char *needle, int n, int ms);

static inline bool tf_wait(const char *path, const char *needle, int ms)
{
	return tf_wait_count(path, needle, 1, ms);
}

/* Entries in /proc/self/fd (includes the directory's own fd while it is read). */
int tf_count_fds(void);

#endif
