// SPDX-License-Identifier: MIT
/*
 * The control API server and `microvm ctl` in a build without libmicrohttpd and libcurl (the
 * static `make ARCH=arm64` build: Debian ships no static GnuTLS/Kerberos those two link).
 * The router and views still build; only the socket side is missing, and says so.
 */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>

struct api_server *api_server_open(const char *path, const struct api_vmm *vmm, char *err,
				   size_t errlen)
{
	(void)path;
	(void)vmm;
	snprintf(err, errlen, "this microvm build has no control API server (built without "
		 "libmicrohttpd)");
	errno = ENOTSUP;
	return NULL;
}

int api_server_start(struct api_server *s, char *err, size_t errlen)
{
	(void)s;
	snprintf(err, errlen, "no control API server in this build");
	return -ENOTSUP;
}

void api_server_stop(struct api_server *s)
{
	(void)s;
}

int api_ctl_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "microvm ctl: this microvm build has no API client (built without libcurl)\n");
	return 2;
}
