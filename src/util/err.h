/* SPDX-License-Identifier: MIT */
/*
 * The error convention (docs/ARCHITECTURE.md, "Two rules"): a callee that fails returns a
 * negative value (-errno where there is one) and, when the reason is more than an errno, writes
 * one line into its caller's buffer (char *err, size_t errlen). It does not log. The top of a
 * thread or of a request logs once, with its context.
 *
 * err_fmt() is the one formatter every layer uses for that line: it writes nothing when err is
 * NULL or errlen 0, replaces control bytes (input may have put them in the arguments) so the
 * reason stays one printable line, and returns ret so that a failure path is one statement:
 *
 *	return err_fmt(err, errlen, -EINVAL, "queue %u: size %u is not a power of 2", q, n);
 */
#ifndef MICROVM_UTIL_ERR_H
#define MICROVM_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

int err_fmt(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int err_vfmt(char *err, size_t errlen, int ret, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif
