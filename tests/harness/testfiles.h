/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by tests: counting lines in logs written by another thread or process,
 * waiting for a line to appear, counting this process's open fds, writing files into and
 * removing a test's scratch directory.
 */
#ifndef MICROVM_TESTS_TESTFILES_H
#define MICROVM_TESTS_TESTFILES_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

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

/* Creates or truncates dir/name (mode 0644) and writes len bytes of data. 0 or -errno. */
int tf_write_file(const char *dir, const char *name, const void *data, size_t len);

/* rm -rf path (through the shell, as a test's teardown does). 0, or -1 if rm failed. */
int tf_rm_rf(const char *path);

/*
 * Scratch directory for a virtio-fs back-end such as Debian's virtiofsd: dir (mkdtemp of a
 * template ending in XXXXXX), the directory to share dir/share (created), the back-end's socket
 * dir/vfsd.sock and its log dir/virtiofsd.log. Remove it with tf_rm_rf(t->dir).
 */
struct tf_vfsd_dir {
	char dir[64], share[96], sock[96], vlog[96];
};

int tf_vfsd_dir_create(struct tf_vfsd_dir *t, const char *tmpl);

/*
 * Starts the test back-end tests/backends/NAME (built next to the running test binary) with the
 * NULL-terminated args after argv[0], its stdout to out (NULL: /dev/null). Returns the child's
 * pid, or -1 with errno (ENOENT: the back-end is not built, run make all).
 */
pid_t tf_spawn_backend(const char *name, const char *out, const char *const *args);

#endif
