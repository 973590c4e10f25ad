// SPDX-License-Identifier: MIT
/*
 * Unit tests of the control API request handler (src/api/router.c, views.c) against a fake VMM,
 * and of the shared-memory snapshot it reads (shm_region_for_each_mapping, refusal reasons).
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "config/config.h"
#include "mm/shm_region.h"

static struct vm_config cfg;
static struct shm_region region;
static struct shm_region *regions[1] = { &region };
static bool have_region;
static int paused, shut;

static int f_pause(void *c) { (void)c; return paused ? -EALREADY : (paused = 1, 0); }
static int f_resume(void *c) { (void)c; return !paused ? -EALREADY : (paused = 0, 0); }
static int f_shutdown(void *c) { (void)c; shut++; return 0; }
static int f_notsup(void *c) { (void)c; return -ENOTSUP; }
static int f_timeout(void *c) { (void)c; return -ETIMEDOUT; }
static enum api_vm_state f_state(void *c) { (void)c; return paused ? API_VM_PAUSED : API_VM_RUNNING; }
static const struct vm_config *f_config(void *c) { (void)c; return &cfg; }
static unsigned int f_ndev(void *c) { (void)c; return have_region ? 1 : 0; }
static unsigned int f_nvcpu(void *c) { (void)c; return 1; }

static int f_dev(void *c, unsigned int i, struct api_device *d)
{
	(void)c;
	(void)i;
	memset(d, 0, sizeof(*d));
	d->name = "vhost-user0";
	d->kind = "vhost-user";
	d->is_vhost_user = true;
	d->nr_shm = 1;
	d->shm = regions;
	d->gpa[0] = ~0ULL;	/* the guest does not decode the shm BAR */
	return 0;
}

static int f_vcpu(void *c, unsigned int i, struct api_vcpu *v)
{
	(void)c;
	memset(v, 0, sizeof(*v));
	v->id = i;
	v->exits = 42;
	return 0;
}

static struct api_ops ops = {
	.pause = f_pause, .resume = f_resume, .shutdown = f_shutdown, .reboot = f_timeout,
	.power_button = f_notsup, .state = f_state, .config = f_config, .nr_devices = f_ndev,
	.device = f_dev, .nr_vcpus = f_nvcpu, .vcpu = f_vcpu,
};
static const struct api_vmm vmm = { .ops = &ops, .version = "9.9" };

static struct json_object *req(const char *method, const char *path, const char *body,
			       unsigned int want)
{
	struct api_reply r;
	struct json_object *o = NULL;

	ck_assert_int_eq(api_handle(&vmm, method, path, body, body ? strlen(body) : 0, &r), 0);
	ck_assert_msg(r.status == want, "%s %s: status %u, want %u (%s)", method, path, r.status,
		      want, r.body ? r.body : "");
	if (r.body) {
		o = json_tokener_parse(r.body);
		ck_assert_msg(o != NULL, "body is not JSON: %s", r.body);
	}
	if (want >= 400)
		ck_assert_msg(o && json_object_object_get_ex(o, "error", NULL), "no error field");
	api_reply_free(&r);
	return o;
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert(json_object_object_get_ex(o, k, &v));
	return json_object_get_string(v);
}

static void setup(void)
{
	config_init(&cfg);
	paused = shut = 0;
	have_region = false;
}

static void teardown(void)
{
	config_free(&cfg);
}

START_TEST(test_routes_and_statuses)
{
	struct json_object *o;

	o = req("GET", "/api/v1/vmm.ping", NULL, 200);
	ck_assert_str_eq(str(o, "version"), "9.9");
	json_object_put(o);
	o = req("GET", "/api/v1/vm.info", NULL, 200);
	ck_assert_str_eq(str(o, "state"), "Running");
	json_object_put(o);
	json_object_put(req("GET", "/api/v1/vm.counters", NULL, 200));
	json_object_put(req("GET", "/api/v1/nope", NULL, 404));
	json_object_put(req("GET", "/api/v1/", NULL, 404));
	json_object_put(req("GET", "/", NULL, 404));
	json_object_put(req("GET", "/api/v1/vm.pauseX", NULL, 404));
	json_object_put(req("POST", "/api/v1/vm.pause", NULL, 405));
	json_object_put(req("PUT", "/api/v1/vmm.ping", NULL, 405));
	json_object_put(req("GET", "/api/v1/vm.info", "{}", 400));
	json_object_put(req("PUT", "/api/v1/vm.pause", NULL, 204));
	o = req("GET", "/api/v1/vm.info", NULL, 200);
	ck_assert_str_eq(str(o, "state"), "Paused");
	json_object_put(o);
	o = req("PUT", "/api/v1/vm.pause", NULL, 409);
	ck_assert_ptr_nonnull(strstr(str(o, "error"), "already paused"));
	json_object_put(o);
	json_object_put(req("PUT", "/api/v1/vm.resume", " {} \n", 204));
	json_object_put(req("PUT", "/api/v1/vm.resume", NULL, 409));
	o = req("PUT", "/api/v1/vm.power-button", NULL, 400);
	ck_assert_ptr_nonnull(strstr(str(o, "error"), "ACPI"));
	json_object_put(o);
	json_object_put(req("PUT", "/api/v1/vm.reboot", NULL, 503));
	json_object_put(req("PUT", "/api/v1/vm.shutdown", "", 204));
	ck_assert_int_eq(shut, 1);
}
END_TEST

START_TEST(test_action_bodies)
{
	static const char *const bad[] = { "{", "[]", "1", "\"x\"", "{} {}", "{\"a\":1}", "nul",
					   "{\"a\":[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}" };
	char big[API_MAX_BODY + 64];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_object_put(req("PUT", "/api/v1/vm.shutdown", bad[i], 400));
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = 0;
	json_object_put(req("PUT", "/api/v1/vm.shutdown", big, 413));
	ck_assert_int_eq(shut, 0);
}
END_TEST

/* vm.info's config lists every device section, [[net]] included, with its fields. */
START_TEST(test_config_view_devices)
{
	static const char toml[] =
		"[kernel]\npath = \"/k\"\n"
		"[[disk]]\npath = \"/d.img\"\nreadonly = true\n"
		"[[net]]\ntap = \"tap7\"\nmac = \"02:00:00:00:00:07\"\nmtu = 9000\nqueues = 2\n"
		"[[vhost_user_net]]\nsocket = \"/s.sock\"\n";
	struct json_object *o, *c, *arr, *n;
	char err[256];

	config_free(&cfg);
	config_init(&cfg);
	ck_assert_msg(config_parse(&cfg, toml, sizeof(toml) - 1, "/t/vm.toml", err, sizeof(err)) == 0,
		      "%s", err);
	o = req("GET", "/api/v1/vm.info", NULL, 200);
	ck_assert(json_object_object_get_ex(o, "config", &c));
	ck_assert(json_object_object_get_ex(c, "disks", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_str_eq(str(json_object_array_get_idx(arr, 0), "path"), "/d.img");
	ck_assert(json_object_object_get_ex(c, "net", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	n = json_object_array_get_idx(arr, 0);
	ck_assert_str_eq(str(n, "tap"), "tap7");
	ck_assert_str_eq(str(n, "mac"), "02:00:00:00:00:07");
	ck_assert_str_eq(str(n, "mtu"), "9000");
	ck_assert_str_eq(str(n, "num_queues"), "2");
	ck_assert(json_object_object_get_ex(c, "vhost_user_net", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert(json_object_object_get_ex(c, "fs", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(o);
}
END_TEST

static int collect(const struct shm_mapping_info *m, void *arg)
{
	struct shm_mapping_info *out = arg;
	unsigned int i = 0;

	while (out[i].len)
		i++;
	out[i] = *m;
	return 0;
}

START_TEST(test_shm_snapshot)
{
	struct shm_mapping_info maps[4];
	struct shm_region_stats st;
	struct stat fst;
	struct json_object *o, *devs, *reg, *mlist;
	int fd = memfd_create("api-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 << 20), 0);
	ck_assert_int_eq(fstat(fd, &fst), 0);
	ck_assert_int_eq(shm_region_init(&region, 3, 8 << 20, 0, 0), 0);
	ck_assert_int_eq(shm_region_map(&region, 4 << 20, 1 << 20, fd, 2 << 20, false, NULL, 0), 0);
	ck_assert_int_eq(shm_region_map(&region, 0, 2 << 20, fd, 0, true, NULL, 0), 0);
	/* refused: overlap, outside, unaligned, unmap of nothing, unmap of part, bad fd */
	ck_assert_int_eq(shm_region_map(&region, 1 << 20, 4096, fd, 0, true, NULL, 0), -EEXIST);
	ck_assert_int_eq(shm_region_map(&region, 8 << 20, 4096, fd, 0, true, NULL, 0), -ERANGE);
	ck_assert_int_eq(shm_region_map(&region, 7 << 20, 100, fd, 0, true, NULL, 0), -EINVAL);
	ck_assert_int_eq(shm_region_unmap(&region, 6 << 20, 4096, NULL, 0), -ENOENT);
	ck_assert_int_eq(shm_region_unmap(&region, 0, 4096, NULL, 0), -EINVAL);
	ck_assert_int_eq(shm_region_map(&region, 6 << 20, 4096, -1, 0, true, NULL, 0), -EBADF);
	shm_region_note_failure(&region);

	memset(maps, 0, sizeof(maps));
	ck_assert_int_eq(shm_region_for_each_mapping(&region, collect, maps), 2);
	ck_assert_uint_eq(maps[0].offset, 0);
	ck_assert_uint_eq(maps[0].len, 2 << 20);
	ck_assert(maps[0].writable);
	ck_assert_uint_eq(maps[1].offset, 4 << 20);
	ck_assert_uint_eq(maps[1].fd_offset, 2 << 20);
	ck_assert(!maps[1].writable);
	ck_assert_uint_eq(maps[1].dev, fst.st_dev);
	ck_assert_uint_eq(maps[1].ino, fst.st_ino);
	shm_region_get_stats(&region, &st);
	ck_assert_uint_eq(st.failed, 7);
	ck_assert_uint_eq(st.refused[SHM_REFUSE_OVERLAP], 1);
	ck_assert_uint_eq(st.refused[SHM_REFUSE_RANGE], 2);
	ck_assert_uint_eq(st.refused[SHM_REFUSE_NO_MAPPING], 2);
	ck_assert_uint_eq(st.refused[SHM_REFUSE_FD], 1);
	ck_assert_uint_eq(st.refused[SHM_REFUSE_REQUEST], 1);

	have_region = true;
	o = req("GET", "/api/v1/vm.shm", NULL, 200);
	ck_assert(json_object_object_get_ex(o, "devices", &devs));
	reg = json_object_array_get_idx(json_object_object_get(json_object_array_get_idx(devs, 0),
							       "regions"), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(reg, "shm_id")), 3);
	ck_assert(json_object_is_type(json_object_object_get(reg, "gpa"), json_type_null));
	mlist = json_object_object_get(reg, "mappings");
	ck_assert_int_eq(json_object_array_length(mlist), 2);
	ck_assert_str_eq(str(json_object_array_get_idx(mlist, 1), "mode"), "ro");
	ck_assert_uint_eq(json_object_get_uint64(json_object_object_get(
		json_object_array_get_idx(mlist, 1), "ino")), fst.st_ino);
	json_object_put(o);
	shm_region_destroy(&region);
	close(fd);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_routes_and_statuses);
	tcase_add_test(tc, test_action_bodies);
	tcase_add_test(tc, test_shm_snapshot);
	tcase_add_test(tc, test_config_view_devices);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
