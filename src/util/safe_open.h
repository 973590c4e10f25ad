/* SPDX-License-Identifier: MIT */
/*
 * Opening a path that came from a config file or a command line (untrusted): the open never
 * blocks (a FIFO, a tty or a device cannot stall it), and the file type is checked on the
 * opened descriptor (no check-then-open race) against the types the caller accepts.
 */
#ifndef MICROVM_SAFE_OPEN_H
#define MICROVM_SAFE_OPEN_H

#include <stddef.h>
#include <sys/stat.h>

/* File types a caller accepts (bit mask). */
#define SAFE_OPEN_REG	0x1u	/* regular file */
#define SAFE_OPEN_BLK	0x2u	/* block device (disk images) */
#define SAFE_OPEN_DIR	0x4u	/* directory (with O_PATH or O_RDONLY) */

/*
 * open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), fstat, refuse a type outside allow,
 * then clear O_NONBLOCK again (not for O_PATH). Returns the fd (and *st if st), or -1 with the
 * reason in err, without the path: "No such file or directory", "is a FIFO, not a regular
 * file". The caller names the path. errno is EINVAL for a refused type, else open's.
 */
int safe_open(const char *path, int flags, unsigned int allow, struct stat *st, char *err,
	      size_t errlen);

/* "a FIFO", "a directory", "a character device", ... for a st_mode. */
const char *safe_open_type_name(mode_t mode);

#endif
