// SPDX-License-Identifier: MIT
/*
 * JSON views of the VM for the control API (json-c). Shapes follow Cloud Hypervisor where it
 * has the view: vmm.ping {build_version, version, pid, features}; vm.info {config, state,
 * memory_actual_size, device_tree}. vm.counters and vm.shm are microvm's own.
 */
#include <errno.h>
#include <stddef.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "config/config.h"
#include "mm/shm_region.h"

typedef struct json_object jobj;

static jobj *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static jobj *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The text of o (heap), o released. NULL on ENOMEM. */
static char *finish(jobj *o)
{
	const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	char *out = text ? strdup(text) : NULL;

	json_object_put(o);
	return out;
}

#define ADD(o, k, v) json_object_object_add(o, k, v)

char *api_view_ping(const struct api_vmm *vmm)
{
	jobj *o = json_object_new_object();
	char build[64];

	if (!o)
		return NULL;
	snprintf(build, sizeof(build), "microvm %s", vmm->version);
	ADD(o, "build_version", json_object_new_string(build));
	ADD(o, "version", json_object_new_string(vmm->version));
	ADD(o, "pid", json_object_new_int64(getpid()));
	ADD(o, "features", json_object_new_array());
	return finish(o);
}

static const char *const state_names[] = {
	[API_VM_RUNNING] = "Running", [API_VM_PAUSED] = "Paused", [API_VM_SHUTDOWN] = "Shutdown",
};

static jobj *disk_view(const struct vm_config *cfg, unsigned int i)
{
	jobj *d = json_object_new_object();

	ADD(d, "path", str_or_null(cfg->disks[i].path));
	ADD(d, "readonly", json_object_new_boolean(cfg->disks[i].readonly));
	ADD(d, "serial", str_or_null(cfg->disks[i].id));
	return d;
}

static jobj *fs_view(const struct vm_config *cfg, unsigned int i)
{
	jobj *f = json_object_new_object();

	ADD(f, "tag", str_or_null(cfg->fs[i].tag));
	ADD(f, "socket", str_or_null(cfg->fs[i].socket));
	ADD(f, "num_queues", u64(cfg->fs[i].num_request_queues));
	ADD(f, "queue_size", u64(cfg->fs[i].queue_size));
	ADD(f, "cache_size", u64(cfg->fs[i].cache_size));
	return f;
}

static jobj *vhost_user_view(const struct vm_config *cfg, unsigned int i)
{
	jobj *v = json_object_new_object();

	ADD(v, "socket", str_or_null(cfg->vhost_user[i].socket));
	ADD(v, "virtio_id", u64(cfg->vhost_user[i].virtio_id));
	ADD(v, "num_queues", u64(cfg->vhost_user[i].num_queues));
	ADD(v, "queue_size", u64(cfg->vhost_user[i].queue_size));
	return v;
}

static jobj *net_view(const struct vm_config *cfg, unsigned int i)
{
	jobj *n = json_object_new_object();

	ADD(n, "tap", str_or_null(cfg->nets[i].tap));
	ADD(n, "mac", str_or_null(cfg->nets[i].mac));
	ADD(n, "mtu", u64(cfg->nets[i].mtu));
	ADD(n, "num_queues", u64(cfg->nets[i].queues));
	return n;
}

static jobj *vu_net_view(const struct vm_config *cfg, unsigned int i)
{
	jobj *v = json_object_new_object();

	ADD(v, "socket", str_or_null(cfg->vu_net[i].socket));
	ADD(v, "mac", str_or_null(cfg->vu_net[i].mac));
	ADD(v, "queues", u64(cfg->vu_net[i].queues));
	ADD(v, "queue_size", u64(cfg->vu_net[i].queue_size));
	ADD(v, "mtu", u64(cfg->vu_net[i].mtu));
	return v;
}

/* The device lists of the config view: key, count, one element. */
static const struct {
	const char *key;
	size_t count;                /* offset of the unsigned int count in struct vm_config */
	jobj *(*one)(const struct vm_config *cfg, unsigned int i);
} device_lists[] = {
	{ "disks", offsetof(struct vm_config, nr_disks), disk_view },
	{ "fs", offsetof(struct vm_config, nr_fs), fs_view },
	{ "vhost_user", offsetof(struct vm_config, nr_vhost_user), vhost_user_view },
	{ "net", offsetof(struct vm_config, nr_nets), net_view },
	{ "vhost_user_net", offsetof(struct vm_config, nr_vu_net), vu_net_view },
};

static jobj *config_view(const struct vm_config *cfg)
{
	jobj *c = json_object_new_object(), *cpus, *mem, *payload;

	if (!c)
		return NULL;
	cpus = json_object_new_object();
	ADD(cpus, "boot_vcpus", u64(cfg->vcpus));
	ADD(cpus, "max_vcpus", u64(cfg->vcpus));
	ADD(c, "cpus", cpus);
	mem = json_object_new_object();
	ADD(mem, "size", u64(cfg->memory));
	ADD(c, "memory", mem);
	payload = json_object_new_object();
	ADD(payload, "kernel", str_or_null(cfg->kernel));
	ADD(payload, "initramfs", str_or_null(cfg->initrd));
	ADD(payload, "cmdline", str_or_null(cfg->cmdline));
	ADD(c, "payload", payload);
	for (size_t l = 0; l < sizeof(device_lists) / sizeof(device_lists[0]); l++) {
		unsigned int n = *(const unsigned int *)((const char *)cfg + device_lists[l].count);
		jobj *arr = json_object_new_array();

		for (unsigned int i = 0; i < n; i++)
			json_object_array_add(arr, device_lists[l].one(cfg, i));
		ADD(c, device_lists[l].key, arr);
	}
	return c;
}

char *api_view_info(const struct api_vmm *vmm)
{
	const struct api_ops *ops = vmm->ops;
	const struct vm_config *cfg = ops->config(vmm->ctx);
	jobj *o = json_object_new_object(), *tree;
	enum api_vm_state st = ops->state(vmm->ctx);

	if (!o)
		return NULL;
	ADD(o, "config", config_view(cfg));
	ADD(o, "state", json_object_new_string(state_names[st]));
	ADD(o, "memory_actual_size", u64(cfg->memory));
	tree = json_object_new_object();
	for (unsigned int i = 0; i < ops->nr_devices(vmm->ctx); i++) {
		struct api_device d;
		jobj *n;

		if (ops->device(vmm->ctx, i, &d))
			continue;
		n = json_object_new_object();
		ADD(n, "id", json_object_new_string(d.name));
		ADD(n, "kind", json_object_new_string(d.kind));
		ADD(n, "virtio_id", u64(d.virtio_id));
		ADD(n, "path", str_or_null(d.path));
		ADD(tree, d.name, n);
	}
	ADD(o, "device_tree", tree);
	return finish(o);
}

static jobj *blk_counters(const struct api_device *d)
{
	jobj *b = json_object_new_object();

	ADD(b, "read_ops", u64(d->blk.reads));
	ADD(b, "write_ops", u64(d->blk.writes));
	ADD(b, "flush_ops", u64(d->blk.flushes));
	ADD(b, "discard_ops", u64(d->blk.discards));
	ADD(b, "write_zeroes_ops", u64(d->blk.write_zeroes));
	ADD(b, "get_id_ops", u64(d->blk.get_id));
	ADD(b, "read_bytes", u64(d->blk.read_bytes));
	ADD(b, "write_bytes", u64(d->blk.write_bytes));
	ADD(b, "io_errors", u64(d->blk.io_errors));
	ADD(b, "refused", u64(d->blk.unsupported));
	return b;
}

static jobj *region_counters(struct shm_region *r)
{
	struct shm_region_stats st;
	jobj *c = json_object_new_object(), *why = json_object_new_object();

	shm_region_get_stats(r, &st);
	ADD(c, "maps", u64(st.total_maps));
	ADD(c, "unmaps", u64(st.total_unmaps));
	ADD(c, "live", u64(st.live));
	ADD(c, "repairs", u64(st.repairs));
	ADD(c, "accesses", u64(st.accesses));
	ADD(c, "refused", u64(st.failed));
	for (unsigned int i = 0; i < SHM_REFUSE_COUNT; i++)
		ADD(why, shm_region_refuse_name(i), u64(st.refused[i]));
	ADD(c, "refused_by_reason", why);
	return c;
}

char *api_view_counters(const struct api_vmm *vmm)
{
	const struct api_ops *ops = vmm->ops;
	jobj *o = json_object_new_object(), *devs, *vcpus;

	if (!o)
		return NULL;
	devs = json_object_new_object();
	for (unsigned int i = 0; i < ops->nr_devices(vmm->ctx); i++) {
		struct api_device d;
		jobj *n;

		if (ops->device(vmm->ctx, i, &d))
			continue;
		n = json_object_new_object();
		if (d.is_blk)
			ADD(n, "blk", blk_counters(&d));
		if (d.is_vhost_user) {
			jobj *v = json_object_new_object(), *regions = json_object_new_array();

			ADD(v, "state", json_object_new_string(d.vu.connected ? "connected" :
								  "disconnected"));
			ADD(v, "backend_requests", u64(d.vu.requests));
			ADD(v, "refused", u64(d.vu.refused));
			ADD(n, "vhost_user", v);
			for (unsigned int r = 0; r < d.nr_shm; r++) {
				jobj *c = region_counters(d.shm[r]);

				ADD(c, "shm_id", u64(d.shm[r]->id));
				json_object_array_add(regions, c);
			}
			ADD(n, "shm", regions);
		}
		ADD(devs, d.name, n);
	}
	ADD(o, "devices", devs);
	vcpus = json_object_new_array();
	for (unsigned int i = 0; i < ops->nr_vcpus(vmm->ctx); i++) {
		struct api_vcpu v;
		jobj *n, *why;

		if (ops->vcpu(vmm->ctx, i, &v))
			continue;
		n = json_object_new_object();
		ADD(n, "id", u64(v.id));
		ADD(n, "exits", u64(v.exits));
		ADD(n, "handled_exits", u64(v.user_exits));
		why = json_object_new_object();
		for (unsigned int r = 0; r < v.nr_reasons && r < 64; r++)
			if (v.reason_names[r] && v.reasons[r])
				ADD(why, v.reason_names[r], u64(v.reasons[r]));
		ADD(n, "exits_by_reason", why);
		json_object_array_add(vcpus, n);
	}
	ADD(o, "vcpus", vcpus);
	return finish(o);
}

/* Mappings copied under the region lock; JSON is built after it is released. */
struct map_list {
	struct shm_mapping_info *v;
	size_t n, cap;
};

static int copy_mapping(const struct shm_mapping_info *m, void *arg)
{
	struct map_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct shm_mapping_info *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *m;
	return 0;
}

static jobj *mappings_view(struct shm_region *r)
{
	struct map_list l = { 0 };
	jobj *arr;

	if (shm_region_for_each_mapping(r, copy_mapping, &l) < 0) {
		free(l.v);
		return NULL;
	}
	arr = json_object_new_array_ext((int)l.n);
	for (size_t i = 0; arr && i < l.n; i++) {
		const struct shm_mapping_info *m = &l.v[i];
		jobj *o = json_object_new_object();

		ADD(o, "shm_offset", u64(m->offset));
		ADD(o, "len", u64(m->len));
		ADD(o, "mode", json_object_new_string(m->writable ? "rw" : "ro"));
		ADD(o, "dev", u64(m->dev));
		ADD(o, "ino", u64(m->ino));
		ADD(o, "fd_offset", u64(m->fd_offset));
		json_object_array_add(arr, o);
	}
	free(l.v);
	return arr;
}

char *api_view_shm(const struct api_vmm *vmm)
{
	const struct api_ops *ops = vmm->ops;
	jobj *o = json_object_new_object(), *devs;

	if (!o)
		return NULL;
	devs = json_object_new_array();
	for (unsigned int i = 0; i < ops->nr_devices(vmm->ctx); i++) {
		struct api_device d;
		jobj *n, *regions;

		if (ops->device(vmm->ctx, i, &d) || !d.nr_shm)
			continue;
		n = json_object_new_object();
		ADD(n, "device", json_object_new_string(d.name));
		regions = json_object_new_array();
		for (unsigned int r = 0; r < d.nr_shm; r++) {
			struct shm_region *reg = d.shm[r];
			jobj *g = json_object_new_object(), *maps = mappings_view(reg);
			uint64_t gpa = d.gpa[r];

			if (!maps) {
				json_object_put(g);
				json_object_put(regions);
				json_object_put(n);
				json_object_put(devs);
				json_object_put(o);
				return NULL;
			}
			ADD(g, "shm_id", u64(reg->id));
			ADD(g, "gpa", gpa == ~0ULL ? NULL : u64(gpa));
			ADD(g, "size", u64(reg->size));
			ADD(g, "mappings", maps);
			ADD(g, "counters", region_counters(reg));
			json_object_array_add(regions, g);
		}
		ADD(n, "regions", regions);
		json_object_array_add(devs, n);
	}
	ADD(o, "devices", devs);
	return finish(o);
}
