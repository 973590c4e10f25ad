// SPDX-License-Identifier: MIT
/* Test guest: a counter on the console (control API pause/resume tests). */
#include "guest.h"

#define TICK_SPIN 1000       /* pause instructions between lines */

/*
 * tick[=<n>]: prints "tick: <i>" for i = 1..n (decimal; default and 0: forever), a short spin
 * between lines. While the VMM has the vCPUs paused, the count must not advance.
 */
int test_tick(const char *arg)
{
	uint64_t n = 0;

	if (arg && !parse_u64(arg, strlen(arg), 10, &n)) {
		test_fail("bad count '%s'", arg);
		return -1;
	}
	for (uint64_t i = 1; !n || i <= n; i++) {
		gprintf("tick: %lu\n", i);
		for (unsigned int s = 0; s < TICK_SPIN; s++)
			asm volatile("pause");
	}
	return 0;
}
