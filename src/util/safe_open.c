// SPDX-License-Identifier: MIT
#include "util/safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
	mode_t type;
	unsigned int allow;
	const char *name;
} types[] = {
	{ S_IFREG, SAFE_OPEN_REG, "a regular file" },
	{ S_IFBLK, SAFE_OPEN_BLK, "a block device" },
	{ S_IFDIR, SAFE_OPEN_DIR, "a directory" },
	{ S_IFIFO, 0, "a FIFO" },
	{ S_IFCHR, 0, "a character device" },
	{ S_IFSOCK, 0, "a socket" },
	{ S_IFLNK, 0, "a symbolic link" },
};

const char *safe_open_type_name(mode_t mode)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((mode & S_IFMT) == types[i].type)
			return types[i].name;
	return "a special file";
}

/* "a regular file", "a regular file or a block device", ... */
static void wanted(unsigned int allow, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].allow & allow)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
					      n ? " or " : "", types[i].name);
}

static bool type_allowed(mode_t mode, unsigned int allow)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((mode & S_IFMT) == types[i].type)
			return types[i].allow & allow;
	return false;
}

static int refuse(mode_t mode, unsigned int allow, char *err, size_t errlen)
{
	char want[96];

	wanted(allow, want, sizeof(want));
	snprintf(err, errlen, "is %s, not %s", safe_open_type_name(mode), want);
	errno = EINVAL;
	return -1;
}

int safe_open(const char *path, int flags, unsigned int allow, struct stat *st, char *err,
	      size_t errlen)
{
	struct stat sb;
	int fd, fl;

	/* A device or FIFO is refused before it is opened (opening one can have effects). */
	if (stat(path, &sb) == 0 && !type_allowed(sb.st_mode, allow))
		return refuse(sb.st_mode, allow, err, errlen);
	fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	/* Checked again on what was opened: the path may have changed in between. */
	if (!type_allowed(sb.st_mode, allow)) {
		refuse(sb.st_mode, allow, err, errlen);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (!(flags & O_PATH)) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
	}
	if (st)
		*st = sb;
	return fd;
fail:
	fl = errno;
	close(fd);
	errno = fl;
	return -1;
}
