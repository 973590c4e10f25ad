/* SPDX-License-Identifier: MIT */
/*
 * What a thread is. The spawner names a worker's role (util/worker.h); security/seccomp.c maps
 * each role to its filter, which the machine's worker init hook installs in the new thread.
 */
#ifndef MICROVM_UTIL_THREAD_ROLE_H
#define MICROVM_UTIL_THREAD_ROLE_H

enum thread_role {
	THREAD_ROLE_MAIN,
	THREAD_ROLE_VCPU,
	THREAD_ROLE_DEVICE_IO,
	THREAD_ROLE_BACKEND_CHANNEL,
	THREAD_ROLE_VIRTIOFSD,      /* microvm-virtiofsd: every thread */
	THREAD_ROLE_API,            /* control API thread (src/api/server.c) */
	THREAD_ROLE_COUNT,
};

#endif
