/* SPDX-License-Identifier: MIT */
/*
 * Privilege checks before the VM is built. As root, microvm refuses inputs that another local
 * user could have swapped: a world-writable config file (or one in a world-writable directory
 * without the sticky bit), and a vhost-user socket in a world-writable directory without the
 * sticky bit (anyone could bind their own back-end there and be handed guest RAM).
 */
#ifndef MICROVM_SECURITY_PRIVILEGES_H
#define MICROVM_SECURITY_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vm_config;

/*
 * Checks cfg's paths as if running as root when as_root (tests), else only when the effective
 * uid is 0. Returns 0, or -1 with one line in err naming the path and the fix.
 */
int security_check_paths(const struct vm_config *cfg, bool as_root, char *err, size_t errlen);
/* The check for the real process: logs the message; 0 or EXIT_CONFIG_ERROR. */
int security_check_privileges(const struct vm_config *cfg);
/*
 * Drops to uid/gid (supplementary groups cleared) after setup, and checks that root cannot be
 * regained. 0 or -errno. machine_create calls it for [security] uid/gid, before any thread.
 */
int security_drop_privileges(uid_t uid, gid_t gid);

#endif
