// SPDX-License-Identifier: MIT
/*
 * Control API requests: a table of (path, method, handler). A known path with another method is
 * 405, an unknown path 404, a body that is not a JSON object 400, an action the VM cannot do in
 * its state 409. Actions take no arguments: their body is empty or "{}" (Cloud Hypervisor's
 * vm.pause/resume/shutdown/reboot/power-button take none either).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define API_PREFIX "/api/v1/"

typedef int (*api_handler)(const struct api_vmm *vmm, struct api_reply *reply);
typedef int (*api_action)(void *ctx);

struct route {
	const char *path;        /* after API_PREFIX */
	const char *method;
	api_handler view;        /* GET: a JSON view */
	size_t action;           /* PUT: offset of the op in struct api_ops */
	const char *what;        /* for messages: "pause the VM" */
};

void api_reply_free(struct api_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
}

int api_reply_error(struct api_reply *reply, unsigned int status, const char *fmt, ...)
{
	char msg[256];
	struct json_object *o;
	const char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply->status = status;
	reply->body = NULL;
	o = json_object_new_object();
	if (!o || json_object_object_add(o, "error", json_object_new_string(msg))) {
		json_object_put(o);
		reply->status = 500;
		return -ENOMEM;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	reply->body = text ? strdup(text) : NULL;
	json_object_put(o);
	if (!reply->body) {
		reply->status = 500;
		return -ENOMEM;
	}
	return 0;
}

static int view_reply(struct api_reply *reply, char *json)
{
	if (!json) {
		reply->status = 500;
		return -ENOMEM;
	}
	reply->status = 200;
	reply->body = json;
	return 0;
}

static int get_ping(const struct api_vmm *vmm, struct api_reply *reply)
{
	return view_reply(reply, api_view_ping(vmm));
}

static int get_info(const struct api_vmm *vmm, struct api_reply *reply)
{
	return view_reply(reply, api_view_info(vmm));
}

static int get_counters(const struct api_vmm *vmm, struct api_reply *reply)
{
	return view_reply(reply, api_view_counters(vmm));
}

static int get_shm(const struct api_vmm *vmm, struct api_reply *reply)
{
	return view_reply(reply, api_view_shm(vmm));
}

#define ACTION(field) offsetof(struct api_ops, field)

static const struct route routes[] = {
	{ "vmm.ping", "GET", get_ping, 0, NULL },
	{ "vm.info", "GET", get_info, 0, NULL },
	{ "vm.counters", "GET", get_counters, 0, NULL },
	{ "vm.shm", "GET", get_shm, 0, NULL },
	{ "vm.pause", "PUT", NULL, ACTION(pause), "pause the VM" },
	{ "vm.resume", "PUT", NULL, ACTION(resume), "resume the VM" },
	{ "vm.shutdown", "PUT", NULL, ACTION(shutdown), "shut the VM down" },
	{ "vm.reboot", "PUT", NULL, ACTION(reboot), "reboot the VM" },
	{ "vm.power-button", "PUT", NULL, ACTION(power_button), "press the power button" },
};
#define NR_ROUTES (sizeof(routes) / sizeof(routes[0]))

/*
 * An action's body: nothing, or a JSON object without members. Returns 0 when acceptable, 1
 * when *reply holds the refusal, -ENOMEM.
 */
static int check_action_body(const char *body, size_t len, struct api_reply *reply)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	char why[128] = "";

	while (len && memchr(" \t\r\n", body[len - 1], 4))
		len--;
	if (!len)
		return 0;
	if (len > API_MAX_BODY)
		return api_reply_error(reply, 413, "request body larger than %u bytes",
				       API_MAX_BODY) ?: 1;
	tok = json_tokener_new_ex(16);             /* nesting depth */
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success)
		snprintf(why, sizeof(why), "body is not valid JSON: %s",
			 jerr == json_tokener_continue ? "unexpected end" :
			 json_tokener_error_desc(jerr));
	else if ((size_t)json_tokener_get_parse_end(tok) != len)
		snprintf(why, sizeof(why), "body is not valid JSON: bytes after the value");
	else if (!json_object_is_type(o, json_type_object))
		snprintf(why, sizeof(why), "body must be a JSON object");
	else if (json_object_object_length(o)) {
		struct json_object_iterator it = json_object_iter_begin(o);

		snprintf(why, sizeof(why), "unknown field \"%.64s\": this request takes none",
			 json_object_iter_peek_name(&it));
	}
	json_object_put(o);
	json_tokener_free(tok);
	if (!why[0])
		return 0;
	return api_reply_error(reply, 400, "%s", why) ?: 1;
}

static int do_action(const struct api_vmm *vmm, const struct route *r, const char *body,
		     size_t len, struct api_reply *reply)
{
	api_action fn = *(const api_action *)((const char *)vmm->ops + r->action);
	int ret = check_action_body(body, len, reply);

	if (ret)
		return ret < 0 ? ret : 0;
	ret = fn ? fn(vmm->ctx) : -ENOTSUP;
	switch (ret) {
	case 0:
		reply->status = 204;
		reply->body = NULL;
		return 0;
	case -EALREADY:
		return api_reply_error(reply, 409, "cannot %s: it is already %s", r->what,
				       r->action == ACTION(pause) ? "paused" : "running");
	case -ESHUTDOWN:
		return api_reply_error(reply, 409, "cannot %s: the VM is shutting down", r->what);
	case -ENOTSUP:
		return api_reply_error(reply, 400, "cannot %s: %s", r->what,
				       r->action == ACTION(power_button) ?
				       "the machine has no ACPI power button ([machine] acpi = false)" : "not supported");
	case -ETIMEDOUT:
		return api_reply_error(reply, 503, "cannot %s: the vCPUs did not stop in time "
				       "(a vCPU is busy in a device request); try again", r->what);
	default:
		return api_reply_error(reply, 500, "cannot %s: %s", r->what, strerror(-ret));
	}
}

int api_handle(const struct api_vmm *vmm, const char *method, const char *path,
	       const char *body, size_t body_len, struct api_reply *reply)
{
	const struct route *found = NULL;
	const char *name;
	char allow[32] = "";

	reply->status = 500;
	reply->body = NULL;
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)))
		return api_reply_error(reply, 404, "unknown path (the API is under %s)", API_PREFIX);
	name = path + strlen(API_PREFIX);
	for (unsigned int i = 0; i < NR_ROUTES; i++) {
		if (strcmp(routes[i].path, name))
			continue;
		if (!strcmp(routes[i].method, method)) {
			found = &routes[i];
			break;
		}
		snprintf(allow, sizeof(allow), "%s", routes[i].method);
	}
	if (!found) {
		if (allow[0])
			return api_reply_error(reply, 405, "method %.16s not allowed on %.64s (use %s)",
					       method, name, allow);
		return api_reply_error(reply, 404, "unknown endpoint %.64s", name);
	}
	if (found->view) {
		if (body_len)
			return api_reply_error(reply, 400, "%s takes no request body", found->path);
		return found->view(vmm, reply);
	}
	return do_action(vmm, found, body, body_len, reply);
}
