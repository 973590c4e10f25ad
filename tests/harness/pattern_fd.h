/* SPDX-License-Identifier: MIT */
/*
 * memfds with known contents, for tests that map, copy or compare file ranges: every 8-byte word
 * at byte offset o holds seed ^ o, so any word tells which file and offset it came from.
 */
#ifndef MICROVM_TESTS_PATTERN_FD_H
#define MICROVM_TESTS_PATTERN_FD_H

#include <stdint.h>

/*
 * A memfd called name (it shows as "memfd:name" in /proc/self/maps), size bytes (a multiple of
 * 8), filled with the pattern. Returns the fd (close-on-exec) or -errno.
 */
int pattern_memfd(const char *name, uint64_t size, uint64_t seed);

#endif
