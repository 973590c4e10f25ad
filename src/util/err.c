// SPDX-License-Identifier: MIT
/* The one formatter for error reasons (see err.h). */
#include <stdio.h>

#include "util/err.h"

int err_vfmt(char *err, size_t errlen, int ret, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return ret;
	vsnprintf(err, errlen, fmt, ap);
	for (char *p = err; *p; p++)    /* one line, no control bytes from the input */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return ret;
}

int err_fmt(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ret = err_vfmt(err, errlen, ret, fmt, ap);
	va_end(ap);
	return ret;
}
