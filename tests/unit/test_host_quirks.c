// SPDX-License-Identifier: MIT
/*
 * Unit tests: [machine] host_quirks (parsing, file:line:col errors) and the host-KVM quirks:
 * detection from a module directory, the kvm_pvm recipe appended to the command line once.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "vmm/host_quirks.h"

static char err[512];

static int parse(struct vm_config *cfg, const char *doc)
{
	config_init(cfg);
	return config_parse(cfg, doc, strlen(doc), "vm.toml", err, sizeof(err));
}

START_TEST(test_parse_values)
{
	static const struct { const char *doc; enum host_quirks want; } ok[] = {
		{ "[machine]\nvcpus = 1\n", HOST_QUIRKS_AUTO },
		{ "[machine]\nhost_quirks = \"auto\"\n", HOST_QUIRKS_AUTO },
		{ "[machine]\nhost_quirks = \"none\"\n", HOST_QUIRKS_NONE },
		{ "[machine]\nhost_quirks = \"kvm_pvm\"\n", HOST_QUIRKS_KVM_PVM },
	};
	struct vm_config cfg;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(parse(&cfg, ok[i].doc) == 0, "%s: %s", ok[i].doc, err);
		ck_assert_int_eq(cfg.host_quirks, ok[i].want);
		config_free(&cfg);
	}
	ck_assert_str_eq(config_host_quirks_name(HOST_QUIRKS_KVM_PVM), "kvm_pvm");
}
END_TEST

START_TEST(test_parse_errors)
{
	struct vm_config cfg;

	ck_assert_int_lt(parse(&cfg, "[machine]\nhost_quirks = \"kvm-pvm\"\n"), 0);
	ck_assert_str_eq(err, "vm.toml:2:15: 'host_quirks' must be \"auto\", \"none\" or "
			 "\"kvm_pvm\", got \"kvm-pvm\" (did you mean \"kvm_pvm\"?)");
	config_free(&cfg);
	ck_assert_int_lt(parse(&cfg, "[machine]\nhost_quirks = \"hardware\"\n"), 0);
	ck_assert_str_eq(err, "vm.toml:2:15: 'host_quirks' must be \"auto\", \"none\" or "
			 "\"kvm_pvm\", got \"hardware\"");
	config_free(&cfg);
	ck_assert_int_lt(parse(&cfg, "[machine]\nhost_quirks = 1\n"), 0);
	ck_assert_str_eq(err, "vm.toml:2:15: 'host_quirks' must be a string, got integer");
	config_free(&cfg);
}
END_TEST

START_TEST(test_detect)
{
	char dir[] = "/tmp/microvm-quirks.XXXXXX", sub[64];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(host_quirks_detect(dir), HOST_QUIRKS_NONE);
	snprintf(sub, sizeof(sub), "%s/kvm_pvm", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(host_quirks_detect(dir), HOST_QUIRKS_KVM_PVM);
	rmdir(sub);
	rmdir(dir);
	ck_assert_int_eq(host_quirks_detect("/nonexistent"), HOST_QUIRKS_NONE);
}
END_TEST

static void apply(enum host_quirks q, const char *in, enum host_quirks want_q, const char *want)
{
	char *s = in ? strdup(in) : NULL;

	ck_assert_int_eq(host_quirks_apply(&q, "/nonexistent", &s), 0);
	ck_assert_int_eq(q, want_q);
	ck_assert_str_eq(s ? s : "", want);
	free(s);
}

START_TEST(test_apply)
{
	const char *r = HOST_QUIRKS_KVM_PVM_CMDLINE;
	char buf[256];

	apply(HOST_QUIRKS_AUTO, "console=ttyS0", HOST_QUIRKS_NONE, "console=ttyS0");
	apply(HOST_QUIRKS_NONE, "console=ttyS0", HOST_QUIRKS_NONE, "console=ttyS0");
	snprintf(buf, sizeof(buf), "console=ttyS0 %s", r);
	apply(HOST_QUIRKS_KVM_PVM, "console=ttyS0", HOST_QUIRKS_KVM_PVM, buf);
	apply(HOST_QUIRKS_KVM_PVM, "", HOST_QUIRKS_KVM_PVM, r);
	apply(HOST_QUIRKS_KVM_PVM, NULL, HOST_QUIRKS_KVM_PVM, r);
	/* Already there (a config written before host_quirks): not added twice. */
	apply(HOST_QUIRKS_KVM_PVM, buf, HOST_QUIRKS_KVM_PVM, buf);
	/* "xnoxsave" and "clearcpuid_x" are other words. */
	snprintf(buf, sizeof(buf), "xnoxsave clearcpuid_x=1 %s", r);
	apply(HOST_QUIRKS_KVM_PVM, "xnoxsave clearcpuid_x=1", HOST_QUIRKS_KVM_PVM, buf);
}
END_TEST

START_TEST(test_apply_too_long)
{
	enum host_quirks q = HOST_QUIRKS_KVM_PVM;
	char *s = malloc(CONFIG_CMDLINE_MAX + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', CONFIG_CMDLINE_MAX - 10);
	s[CONFIG_CMDLINE_MAX - 10] = '\0';
	ck_assert_int_lt(host_quirks_apply(&q, "/nonexistent", &s), 0);
	ck_assert_uint_eq(strlen(s), CONFIG_CMDLINE_MAX - 10);	/* unchanged */
	free(s);
}
END_TEST

static Suite *quirks_suite(void)
{
	Suite *s = suite_create("host_quirks");
	TCase *tc = tcase_create("host_quirks");

	tcase_add_test(tc, test_parse_values);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_apply);
	tcase_add_test(tc, test_apply_too_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quirks_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
