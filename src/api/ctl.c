// SPDX-License-Identifier: MIT
/*
 * `microvm ctl SOCKET VERB [-j]`: the control API's client (libcurl over the UNIX socket).
 * Views print their JSON (pretty); counters and shm print a short table (-j: the JSON).
 * Exit status: 0 success, 1 the request failed (the API's error message is printed), 2 usage.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/exit_codes.h"

typedef struct json_object jobj;

struct verb {
	const char *name;
	const char *method;
	const char *path;
	void (*table)(jobj *o);
};

static uint64_t num(jobj *o, const char *key)
{
	jobj *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static jobj *get(jobj *o, const char *key)
{
	jobj *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* "key=value ..." of the integer members of o (objects: recursively, prefixed). */
static void print_flat(jobj *o, const char *prefix)
{
	json_object_object_foreach(o, key, val) {
		if (json_object_is_type(val, json_type_object)) {
			char p[64];

			snprintf(p, sizeof(p), "%s%s.", prefix, key);
			print_flat(val, p);
		} else if (json_object_is_type(val, json_type_int)) {
			printf(" %s%s=%" PRIu64, prefix, key, json_object_get_uint64(val));
		} else if (json_object_is_type(val, json_type_string)) {
			printf(" %s%s=%s", prefix, key, json_object_get_string(val));
		}
	}
}

static void table_counters(jobj *o)
{
	jobj *devs = get(o, "devices"), *vcpus = get(o, "vcpus");

	if (devs) {
		json_object_object_foreach(devs, name, dev) {
			json_object_object_foreach(dev, kind, val) {
				if (json_object_is_type(val, json_type_array)) {
					for (size_t i = 0; i < json_object_array_length(val); i++) {
						jobj *r = json_object_array_get_idx(val, i);

						printf("%-16s %-10s", name, "shm");
						print_flat(r, "");
						printf("\n");
					}
					continue;
				}
				printf("%-16s %-10s", name, kind);
				print_flat(val, "");
				printf("\n");
			}
		}
	}
	for (size_t i = 0; vcpus && i < json_object_array_length(vcpus); i++) {
		jobj *v = json_object_array_get_idx(vcpus, i);
		char name[32];

		snprintf(name, sizeof(name), "vcpu%" PRIu64, num(v, "id"));
		printf("%-16s %-10s", name, "exits");
		print_flat(v, "");
		printf("\n");
	}
}

static void print_mapping(jobj *m)
{
	printf("    0x%-10" PRIx64 " 0x%-10" PRIx64 " %-4s %" PRIu64 ":%-12" PRIu64 " 0x%" PRIx64 "\n",
	       num(m, "shm_offset"), num(m, "len"), json_object_get_string(get(m, "mode")),
	       num(m, "dev"), num(m, "ino"), num(m, "fd_offset"));
}

/* maps=.. unmaps=.. live=.. refused=.. (reason=n for the reasons that occurred) */
static void print_region_counters(jobj *c)
{
	jobj *why = get(c, "refused_by_reason");
	bool any = false;

	printf("maps=%" PRIu64 " unmaps=%" PRIu64 " live=%" PRIu64 " refused=%" PRIu64,
	       num(c, "maps"), num(c, "unmaps"), num(c, "live"), num(c, "refused"));
	if (why) {
		json_object_object_foreach(why, reason, n) {
			if (!json_object_get_uint64(n))
				continue;
			printf("%s%s=%" PRIu64, any ? " " : " (", reason, json_object_get_uint64(n));
			any = true;
		}
	}
	printf("%s\n", any ? ")" : "");
}

static void table_shm(jobj *o)
{
	jobj *devs = get(o, "devices");

	printf("%-24s %-5s %-14s %-12s %s\n", "DEVICE", "SHMID", "GPA", "SIZE", "COUNTERS");
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		jobj *d = json_object_array_get_idx(devs, i), *regions = get(d, "regions");

		for (size_t r = 0; regions && r < json_object_array_length(regions); r++) {
			jobj *g = json_object_array_get_idx(regions, r), *maps = get(g, "mappings");
			jobj *gpa = get(g, "gpa");
			char gpas[24] = "unmapped";

			if (gpa)
				snprintf(gpas, sizeof(gpas), "0x%" PRIx64, json_object_get_uint64(gpa));
			printf("%-24s %-5" PRIu64 " %-14s 0x%-10" PRIx64 " ",
			       json_object_get_string(get(d, "device")), num(g, "shm_id"), gpas,
			       num(g, "size"));
			print_region_counters(get(g, "counters"));
			if (maps && json_object_array_length(maps))
				printf("    %-12s %-12s %-4s %-14s %s\n", "SHM_OFFSET", "LEN", "MODE",
				       "DEV:INO", "FD_OFFSET");
			for (size_t k = 0; maps && k < json_object_array_length(maps); k++)
				print_mapping(json_object_array_get_idx(maps, k));
		}
	}
}

static const struct verb verbs[] = {
	{ "ping", "GET", "vmm.ping", NULL },
	{ "info", "GET", "vm.info", NULL },
	{ "counters", "GET", "vm.counters", table_counters },
	{ "shm", "GET", "vm.shm", table_shm },
	{ "pause", "PUT", "vm.pause", NULL },
	{ "resume", "PUT", "vm.resume", NULL },
	{ "shutdown", "PUT", "vm.shutdown", NULL },
	{ "reboot", "PUT", "vm.reboot", NULL },
	{ "power-button", "PUT", "vm.power-button", NULL },
};

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = size * n;
	char *d;

	if (b->len + add > (16u << 20))
		return 0;      /* a response over 16 MiB: abort the transfer */
	d = realloc(b->data, b->len + add + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, p, add);
	b->data = d;
	b->len += add;
	b->data[b->len] = 0;
	return add;
}

static int usage(void)
{
	fprintf(stderr, "usage: microvm ctl SOCKET VERB [-j]\n  verbs:");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(stderr, " %s", verbs[i].name);
	fprintf(stderr, "\n  -j  print the JSON instead of a table (counters, shm)\n");
	return EXIT_CONFIG_ERROR;
}

static int print_reply(const struct verb *v, long code, const struct buf *b, bool json_out)
{
	jobj *o = b->data ? json_tokener_parse(b->data) : NULL;
	int ret = 0;

	if (code >= 400) {
		jobj *e = o ? get(o, "error") : NULL;

		fprintf(stderr, "microvm ctl: %s: HTTP %ld: %s\n", v->name, code,
			e ? json_object_get_string(e) : b->data ? b->data : "(no body)");
		ret = 1;
	} else if (o && v->table && !json_out) {
		v->table(o);
	} else if (o) {
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (b->len) {
		fprintf(stderr, "microvm ctl: %s: HTTP %ld with a body that is not JSON\n", v->name,
			code);
		ret = 1;
	}
	json_object_put(o);
	return ret;
}

int api_ctl_main(int argc, char **argv)
{
	const struct verb *v = NULL;
	bool json_out = false;
	struct buf b = { 0 };
	char url[128], errbuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode rc;
	long code = 0;
	int ret;

	if (argc < 3 || argc > 4)
		return usage();
	if (argc == 4) {
		if (strcmp(argv[3], "-j") && strcmp(argv[3], "--json"))
			return usage();
		json_out = true;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, argv[2]))
			v = &verbs[i];
	if (!v) {
		fprintf(stderr, "microvm ctl: unknown verb '%s'\n", argv[2]);
		return usage();
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING) || !(c = curl_easy_init())) {
		fprintf(stderr, "microvm ctl: cannot initialise libcurl\n");
		return EXIT_HOST_ERROR;
	}
	snprintf(url, sizeof(url), "http://localhost/api/v1/%s", v->path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, argv[1]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, v->method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "microvm ctl: %s: %s\n", argv[1], errbuf[0] ? errbuf :
			curl_easy_strerror(rc));
		ret = EXIT_HOST_ERROR;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		ret = print_reply(v, code, &b, json_out);
	}
	free(b.data);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return ret;
}
