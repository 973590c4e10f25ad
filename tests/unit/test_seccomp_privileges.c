// SPDX-License-Identifier: MIT
/* Privilege checks: world-writable config / socket directories refused as root; uid/gid drop. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "security/privileges.h"

static char dir[64];
static char path[128], sdir[128], sock[160];

static void setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/microvm-priv-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/vm.toml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[machine]\n", f);
	fclose(f);
	chmod(path, 0644);
	snprintf(sdir, sizeof(sdir), "%s/sockets", dir);
	ck_assert_int_eq(mkdir(sdir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/fs.sock", sdir);
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int check(struct vm_config *cfg, bool root, char *err, size_t len)
{
	return security_check_paths(cfg, root, err, len);
}

START_TEST(config_file_modes)
{
	struct vm_config cfg = { .source = path };
	char err[512];

	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), 0);
	chmod(path, 0666);
	ck_assert_int_eq(check(&cfg, false, err, sizeof(err)), 0);     /* not root: fine */
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "is world-writable: refusing to run as root"));
	ck_assert_ptr_nonnull(strstr(err, path));
	chmod(path, 0644);
	chmod(dir, 0777);                                               /* dir without sticky */
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "without the sticky bit"));
	chmod(dir, 01777);                                              /* like /tmp */
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), 0);
	chmod(dir, 0755);
}
END_TEST

START_TEST(socket_dirs)
{
	struct vhost_user_fs_config fs = { .socket = sock };
	struct vhost_user_config vu = { .socket = sock };
	struct vm_config cfg = { .source = path };
	char err[512];

	cfg.fs = &fs;
	cfg.nr_fs = 1;
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), 0);
	chmod(sdir, 0777);
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "vhost_user_fs socket"));
	ck_assert_ptr_nonnull(strstr(err, "fake back-end"));
	ck_assert_int_eq(check(&cfg, false, err, sizeof(err)), 0);
	chmod(sdir, 01777);
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), 0);
	chmod(sdir, 0777);
	cfg.nr_fs = 0;
	cfg.vhost_user = &vu;
	cfg.nr_vhost_user = 1;
	ck_assert_int_eq(check(&cfg, true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "vhost_user socket"));
}
END_TEST

/* In a child: drop to nobody, then root cannot be regained. Needs root to start with. */
START_TEST(drop_privileges)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		ck_assert_int_ne(security_drop_privileges(0, 0), 0); /* cannot become root */
		return;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (security_drop_privileges(65534, 65534))
			_exit(10);
		if (getuid() != 65534 || geteuid() != 65534 || getgid() != 65534 || getegid() != 65534)
			_exit(11);
		if (setuid(0) == 0)
			_exit(12);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("privileges");
	TCase *tc = tcase_create("paths");
	SRunner *sr;
	int failures;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_file_modes);
	tcase_add_test(tc, socket_dirs);
	tcase_add_test(tc, drop_privileges);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures != 0;
}
