/* SPDX-License-Identifier: MIT */
/* Read-only mapping of a whole input file (kernel, initrd) with clear errors. */
#ifndef MICROVM_FILE_MAP_H
#define MICROVM_FILE_MAP_H

#include <stddef.h>
#include <stdint.h>

struct file_map {
	const uint8_t *data;
	size_t size;
};

/* 0, or -1 with "WHAT 'PATH': reason" in err (missing, directory, empty, too big). */
int file_map_open(struct file_map *fm, const char *what, const char *path, size_t max_size,
		  char *err, size_t errlen);
void file_map_close(struct file_map *fm);

#endif
