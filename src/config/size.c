// SPDX-License-Identifier: MIT
/* Size strings: "512M", "2G", "64K", "1T", "4096", "1_048_576" (binary units). */
#include "config/config.h"

#include <stdio.h>
#include <string.h>

/* "" -> 0, "K"/"k"/"KiB" -> 10, ... "T" -> 40; anything else -> -1. */
static int unit_shift(const char *s)
{
	static const char units[] = "KMGTkmgt";
	const char *u;

	if (!*s)
		return 0;
	u = strchr(units, *s);
	if (!u)
		return -1;
	if (s[1] && strcmp(s + 1, "iB"))
		return -1;
	return 10 * (int)((u - units) % 4 + 1);
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	bool prev_digit = false;
	int shift;

	if (!s || !(*s >= '0' && *s <= '9'))
		return -1;
	for (; (*s >= '0' && *s <= '9') || *s == '_'; s++) {
		if (*s == '_') {
			if (!prev_digit || !(s[1] >= '0' && s[1] <= '9'))
				return -1;
			prev_digit = false;
			continue;
		}
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		prev_digit = true;
	}
	shift = unit_shift(s);
	if (shift < 0)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

void format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 3; i >= 0 && v; i--) {
		unsigned int shift = 10 * (unsigned int)(i + 1);

		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}
