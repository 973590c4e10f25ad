// SPDX-License-Identifier: MIT
#include "testfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads the whole file into a NUL-terminated heap buffer; NULL when it cannot be read. */
static char *slurp(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len + 1 == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int tf_count(const char *path, const char *needle)
{
	char *buf = slurp(path), *p;
	int n = 0;

	if (!buf)
		return 0;
	for (p = buf; (p = strstr(p, needle)); p++)
		n++;
	free(buf);
	return n;
}

bool tf_wait_count(const char *path, const char *needle, int n, int ms)
{
	for (int waited = 0;; waited += 10) {
		if (tf_count(path, needle) >= n)
			return true;
		if (waited >= ms)
			return false;
		usleep(10000);
	}
}

int tf_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int tf_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

int tf_rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd) == 0 ? 0 : -1;
}

int tf_vfsd_dir_create(struct tf_vfsd_dir *t, const char *tmpl)
{
	if (strlen(tmpl) >= sizeof(t->dir))
		return -ENAMETOOLONG;
	strcpy(t->dir, tmpl);
	if (!mkdtemp(t->dir))
		return -errno;
	snprintf(t->share, sizeof(t->share), "%s/share", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/vfsd.sock", t->dir);
	snprintf(t->vlog, sizeof(t->vlog), "%s/virtiofsd.log", t->dir);
	if (mkdir(t->share, 0755) < 0) {
		int err = -errno;

		rmdir(t->dir);
		return err;
	}
	return 0;
}

pid_t tf_spawn_backend(const char *name, const char *out, const char *const *args)
{
	const char *argv[32];
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t i = 0;
	char *slash;
	pid_t pid;

	if (n <= 0)
		return -1;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash || snprintf(slash, sizeof(exe) - (size_t)(slash - exe), "/backends/%s", name) >=
	    (int)(sizeof(exe) - (size_t)(slash - exe)) || access(exe, X_OK)) {
		errno = ENOENT;
		return -1;
	}
	argv[i++] = exe;
	while (args[i - 1] && i < sizeof(argv) / sizeof(argv[0]) - 1) {
		argv[i] = args[i - 1];
		i++;
	}
	argv[i] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, 1);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	return pid;
}
