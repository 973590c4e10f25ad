// SPDX-License-Identifier: MIT
#include "util/file_map.h"
#include "util/safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_map_open(struct file_map *fm, const char *what, const char *path, size_t max_size,
		  char *err, size_t errlen)
{
	struct stat st;
	char why[128];
	void *p;
	int fd;

	fm->data = NULL;
	fm->size = 0;
	fd = safe_open(path, O_RDONLY, SAFE_OPEN_REG, &st, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "%s '%s': %s", what, path, why);
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s '%s' is empty", what, path);
		goto fail;
	}
	if ((uint64_t)st.st_size > max_size) {
		snprintf(err, errlen, "%s '%s' is too large (%lld bytes, limit %zu)", what, path,
			 (long long)st.st_size, max_size);
		goto fail;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s '%s': mmap: %s", what, path, strerror(errno));
		goto fail;
	}
	close(fd);
	fm->data = p;
	fm->size = (size_t)st.st_size;
	return 0;
fail:
	close(fd);
	return -1;
}

void file_map_close(struct file_map *fm)
{
	if (fm->data)
		munmap((void *)fm->data, fm->size);
	fm->data = NULL;
	fm->size = 0;
}
