/* SPDX-License-Identifier: MIT */
/* One hexadecimal digit. Includes nothing: the freestanding test guest uses it too. */
#ifndef MICROVM_UTIL_HEX_H
#define MICROVM_UTIL_HEX_H

/* The value of hex digit c (0-9, a-f, A-F), or -1 if c is not one. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
