/* SPDX-License-Identifier: MIT */
/*
 * Per-thread seccomp filters (libseccomp). Each thread installs the filter of its role on
 * itself once its setup is done (no TSYNC). Filters stack: a thread created by a filtered thread
 * inherits its creator's filter and then adds its own, so its effective set is the intersection.
 * Each role's filter therefore also holds the sets of every role it may create (see
 * docs/SECURITY.md, "Order and unions"):
 *
 *   main (after vcpus_start)  creates  backend-channel threads (reconnect during teardown)
 *   vCPU                      creates  device I/O threads (DRIVER_OK), backend-channel threads
 *                                      (vhost-user reconnect on guest reset)
 *   (the reconnect edges and syscalls only when seccomp_set_reconnect(true))
 *   device I/O, backend-channel, API  create nothing (the API thread is created by main
 *                                      before main's filter; libmicrohttpd runs in it, no
 *                                      threads of its own)
 *
 * microvm-virtiofsd is a separate program with one role: its main thread installs the
 * "virtiofsd" filter after setup (socket listening, share opened, chroot) and every worker
 * thread it creates inherits it.
 *
 * A forbidden syscall in "enforce" mode raises SIGSYS (SECCOMP_RET_TRAP); the handler prints
 * "<program>: seccomp: <role> thread made forbidden syscall <name> (<nr>)", restores the terminal
 * and exits with status 1. In "log" mode the kernel logs it (SCMP_ACT_LOG) and it proceeds.
 */
#ifndef MICROVM_SECURITY_SECCOMP_H
#define MICROVM_SECURITY_SECCOMP_H

#include <stdbool.h>

#include "config/config.h"
#include "util/thread_role.h"

/*
 * Process-wide mode used by seccomp_enter_role(). Off until the machine sets it from
 * [security] seccomp (config default: enforce), so unit tests and the harness, which run the
 * same device code in-process, never install filters.
 */
void seccomp_set_mode(enum seccomp_mode mode);
enum seccomp_mode seccomp_get_mode(void);
/*
 * Whether some vhost-user device may reconnect (reconnect_ms > 0). Without, main and vCPU
 * filters leave out socket, connect and socketpair, and main may not create threads at all.
 * Default true (the superset); the machine sets it from the config before any thread starts.
 */
void seccomp_set_reconnect(bool needed);

/*
 * Installs the filter of role on the calling thread (mode from seccomp_set_mode). Returns 0 or
 * -errno. A thread must not run unfiltered in enforce mode: on failure in that mode it logs one
 * line, restores the terminal and exits the process with status 1.
 */
int seccomp_enter_role(enum thread_role role);
/* Same with an explicit mode, and failure returned instead of exiting (tests). */
int seccomp_install(enum thread_role role, enum seccomp_mode mode);

const char *seccomp_role_name(enum thread_role role);
/* Number of distinct syscalls the role's filter allows (with or without argument checks). */
int seccomp_role_allowed_count(enum thread_role role);
/* Whether the role's filter allows syscall nr at all (ignoring argument checks). */
int seccomp_role_allows(enum thread_role role, int nr);

#endif
