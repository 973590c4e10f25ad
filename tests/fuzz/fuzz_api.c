// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the control API's request handler (api_handle: route table, method checks, JSON
 * body parsing, error replies, every view) against a fake VMM with one blk device and one
 * vhost-user device holding a live shared memory region with one mapping.
 *
 * Input: byte 0 selects the method (GET, PUT, POST, DELETE, or the bytes up to the first
 * space), then the path up to the first '\n', then the body (the rest). Replies must be a
 * status in 200..599 and, when there is a body, valid JSON.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/api.h"
#include "config/config.h"
#include "mm/shm_region.h"
#include "util/log.h"

static struct shm_region region;
static struct shm_region *regions[1] = { &region };
static struct vm_config cfg;
static int paused;

static int act_pause(void *ctx) { (void)ctx; return paused++ ? -EALREADY : 0; }
static int act_resume(void *ctx) { (void)ctx; return paused ? (paused = 0) : -EALREADY; }
static int act_ok(void *ctx) { (void)ctx; return 0; }
static int act_notsup(void *ctx) { (void)ctx; return -ENOTSUP; }
static enum api_vm_state st(void *ctx) { (void)ctx; return paused ? API_VM_PAUSED : API_VM_RUNNING; }
static const struct vm_config *conf(void *ctx) { (void)ctx; return &cfg; }
static unsigned int ndev(void *ctx) { (void)ctx; return 2; }
static unsigned int nvcpu(void *ctx) { (void)ctx; return 1; }

static int dev(void *ctx, unsigned int i, struct api_device *d)
{
	(void)ctx;
	memset(d, 0, sizeof(*d));
	if (i == 0) {
		*d = (struct api_device){ .name = "virtio-blk0", .kind = "virtio-blk", .virtio_id = 2,
					  .path = "/disk", .is_blk = true };
		d->blk.reads = 3;
		return 0;
	}
	*d = (struct api_device){ .name = "vhost-user0", .kind = "vhost-user", .virtio_id = 42,
				  .path = "/sock", .is_vhost_user = true, .nr_shm = 1,
				  .shm = regions };
	return 0;
}

static int vcpu(void *ctx, unsigned int i, struct api_vcpu *v)
{
	static const char *const names[] = { "io", "mmio" };

	(void)ctx;
	memset(v, 0, sizeof(*v));
	v->id = i;
	v->exits = 10;
	v->nr_reasons = 2;
	v->reason_names = names;
	v->reasons[1] = 4;
	return 0;
}

static const struct api_ops ops = {
	.pause = act_pause, .resume = act_resume, .shutdown = act_ok, .reboot = act_ok,
	.power_button = act_notsup, .state = st, .config = conf, .nr_devices = ndev,
	.device = dev, .nr_vcpus = nvcpu, .vcpu = vcpu,
};
static const struct api_vmm vmm = { .ops = &ops, .version = "0.0-fuzz" };

static void init_once(void)
{
	static int done;
	int fd;

	if (done)
		return;
	done = 1;
	log_set_level(LOG_ERROR);
	config_init(&cfg);
	config_set_str(&cfg.kernel, "/vmlinux");
	fd = memfd_create("fuzz-api", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 2 << 20) || shm_region_init(&region, 0, 4 << 20, 8, 0) ||
	    shm_region_map(&region, 0, 2 << 20, fd, 0, true, NULL, 0))
		abort();
	close(fd);
	shm_region_map(&region, 0, 4096, -1, 0, false, NULL, 0);   /* a refused request */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "PUT", "POST", "DELETE" };
	char method[16] = "", *path, *body;
	const char *nl, *start;
	struct api_reply rep;
	size_t plen, blen;

	init_once();
	if (!size)
		return 0;
	start = (const char *)data + 1;
	size--;
	if (data[0] < 4) {
		strcpy(method, methods[data[0]]);
	} else {
		const char *sp = memchr(start, ' ', size < 15 ? size : 15);

		if (!sp)
			return 0;
		memcpy(method, start, (size_t)(sp - start));
		size -= (size_t)(sp - start) + 1;
		start = sp + 1;
	}
	nl = memchr(start, '\n', size);
	plen = nl ? (size_t)(nl - start) : size;
	path = strndup(start, plen);
	blen = nl ? size - plen - 1 : 0;
	body = malloc(blen + 1);       /* may hold NUL bytes: the server passes the length */
	if (!path || !body)
		abort();
	if (blen)
		memcpy(body, nl + 1, blen);
	body[blen] = 0;
	if (api_handle(&vmm, method, path, body, blen, &rep) == 0) {
		if (rep.status < 200 || rep.status > 599)
			abort();
		if (rep.body) {
			struct json_object *o = json_tokener_parse(rep.body);

			if (!o)
				abort();
			json_object_put(o);
		}
	}
	api_reply_free(&rep);
	free(path);
	free(body);
	return 0;
}
