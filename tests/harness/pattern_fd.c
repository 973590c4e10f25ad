// SPDX-License-Identifier: MIT
/* Test helper: memfds filled with a known pattern (see pattern_fd.h). */
#include "pattern_fd.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int pattern_memfd(const char *name, uint64_t size, uint64_t seed)
{
	int fd = memfd_create(name, MFD_CLOEXEC), err;
	uint64_t *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	for (uint64_t i = 0; i < size / 8; i++)
		p[i] = seed ^ (i * 8);
	munmap(p, size);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}
