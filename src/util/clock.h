/* SPDX-License-Identifier: MIT */
/* CLOCK_MONOTONIC in the units callers need: deadlines, timeouts, boot timing. */
#ifndef MICROVM_CLOCK_H
#define MICROVM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int64_t monotonic_ms(void)
{
	return (int64_t)(monotonic_ns() / 1000000);
}

#endif
