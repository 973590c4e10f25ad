// SPDX-License-Identifier: MIT
#include "security/privileges.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/exit_codes.h"
#include "util/log.h"

/* The directory part of path (".", if none) into buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(buf, len, "%s", dirname(tmp));
}

static bool loose_dir(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) && !(st->st_mode & S_ISVTX);
}

static int check_config_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char dir[PATH_MAX];

	if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH)) {
		snprintf(err, errlen, "config file %s is world-writable: refusing to run as root "
			 "(chmod o-w %s)", path, path);
		return -1;
	}
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) == 0 && loose_dir(&st)) {
		snprintf(err, errlen, "config file %s is in the world-writable directory %s without "
			 "the sticky bit: refusing to run as root (chmod +t or o-w %s)", path, dir, dir);
		return -1;
	}
	return 0;
}

static int check_socket(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char dir[PATH_MAX];

	if (!path)
		return 0;
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) == 0 && loose_dir(&st)) {
		snprintf(err, errlen, "%s socket %s is in the world-writable directory %s without the "
			 "sticky bit: refusing to run as root (any user could bind a fake back-end "
			 "there; chmod +t or o-w %s)", what, path, dir, dir);
		return -1;
	}
	return 0;
}

int security_check_paths(const struct vm_config *cfg, bool as_root, char *err, size_t errlen)
{
	err[0] = 0;
	if (!as_root)
		return 0;
	if (cfg->source && check_config_file(cfg->source, err, errlen))
		return -1;
	for (unsigned int i = 0; i < cfg->nr_fs; i++)
		if (check_socket("vhost_user_fs", cfg->fs[i].socket, err, errlen))
			return -1;
	for (unsigned int i = 0; i < cfg->nr_vhost_user; i++)
		if (check_socket("vhost_user", cfg->vhost_user[i].socket, err, errlen))
			return -1;
	for (unsigned int i = 0; i < cfg->nr_vu_net; i++)
		if (check_socket("vhost_user_net", cfg->vu_net[i].socket, err, errlen))
			return -1;
	return 0;
}

int security_check_privileges(const struct vm_config *cfg)
{
	char err[PATH_MAX * 2 + 256];

	if (security_check_paths(cfg, geteuid() == 0, err, sizeof(err))) {
		pr_err("%s", err);
		return EXIT_CONFIG_ERROR;
	}
	return 0;
}

int security_drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;   /* root could be regained: refuse to go on */
	return 0;
}
