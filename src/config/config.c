// SPDX-License-Identifier: MIT
/*
 * vm.toml schema: maps the TOML tree onto struct vm_config with a table of fields per
 * section. Every error is one line "FILE:LINE:COL: message" naming the key.
 */
#include "util/err.h"
#include "config/config.h"
#include "config/toml.h"
#include "util/safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum kind { K_SIZE, K_U32, K_BOOL, K_STR, K_PATH, K_SECCOMP, K_QUIRKS, K_BACKING, K_DISK_IO,
	    K_DISK_CACHE };

#define F_REQUIRED	0x1	/* must be present (array-of-tables entries) */
#define F_POW2		0x2	/* power of two */
#define F_UNIQUE	0x4	/* strings: no two entries of an array of tables share it */

struct field {
	const char *key;
	enum kind kind;
	size_t off;
	uint64_t min, max;	/* value range; string length range for strings */
	uint64_t align;		/* K_SIZE: must be a multiple of this */
	unsigned int flags;
};

struct section {
	const char *name;
	const struct field *fields;
	size_t nfields;
	/* arrays of tables ([[name]]); fixed tables write into struct vm_config itself */
	bool array;
	size_t elem_size;
	size_t arr_off, count_off;
	void (*init)(void *elem);
	void (*fini)(void *elem);
	unsigned int max;	/* entries */
};

#define MAX_DEVICES 32	/* per [[section]]; the PCI bus has 32 slots in all */

#define MS_MAX 3600000	/* one hour, for timeouts in milliseconds */
#define CFG(f) offsetof(struct vm_config, f)
#define DISK(f) offsetof(struct disk_config, f)
#define FS(f) offsetof(struct vhost_user_fs_config, f)
#define VU(f) offsetof(struct vhost_user_config, f)
#define NET(f) offsetof(struct net_config, f)
#define VUN(f) offsetof(struct vhost_user_net_config, f)

static const struct field machine_fields[] = {
	{ "memory", K_SIZE, CFG(memory), CONFIG_MEM_MIN, CONFIG_MEM_MAX, CONFIG_MEM_ALIGN, 0 },
	{ "vcpus", K_U32, CFG(vcpus), 1, CONFIG_VCPUS_MAX, 0, 0 },
	{ "host_quirks", K_QUIRKS, CFG(host_quirks), 0, 0, 0, 0 },
	{ "acpi", K_BOOL, CFG(acpi), 0, 0, 0, 0 },
	{ "memory_backing", K_BACKING, CFG(memory_backing), 0, 0, 0, 0 },
};

static const struct field kernel_fields[] = {
	{ "path", K_PATH, CFG(kernel), 1, 4095, 0, 0 },
	{ "initrd", K_PATH, CFG(initrd), 1, 4095, 0, 0 },
	{ "cmdline", K_STR, CFG(cmdline), 0, CONFIG_CMDLINE_MAX, 0, 0 },
};

static const struct field security_fields[] = {
	{ "seccomp", K_SECCOMP, CFG(seccomp), 0, 0, 0, 0 },
	{ "uid", K_U32, CFG(uid), 1, UINT32_MAX - 1, 0, 0 },
	{ "gid", K_U32, CFG(gid), 1, UINT32_MAX - 1, 0, 0 },
};

static const struct field api_fields[] = {
	{ "socket", K_PATH, CFG(api_socket), 1, 4095, 0, 0 },  /* sun_path length: at bind */
};

static const struct field disk_fields[] = {
	{ "path", K_PATH, DISK(path), 1, 4095, 0, F_REQUIRED },
	{ "readonly", K_BOOL, DISK(readonly), 0, 0, 0, 0 },
	{ "id", K_STR, DISK(id), 0, 20, 0, F_UNIQUE },
	{ "ring_features", K_BOOL, DISK(ring_features), 0, 0, 0, 0 },
	{ "io", K_DISK_IO, DISK(io), 0, 0, 0, 0 },
	{ "cache", K_DISK_CACHE, DISK(cache), 0, 0, 0, 0 },
	{ "poll_us", K_U32, DISK(poll_us), 0, DISK_POLL_US_MAX, 0, 0 },
};

static const struct field fs_fields[] = {
	{ "socket", K_PATH, FS(socket), 1, 4095, 0, F_REQUIRED | F_UNIQUE },
	{ "tag", K_STR, FS(tag), 1, 36, 0, F_REQUIRED | F_UNIQUE },
	{ "num_request_queues", K_U32, FS(num_request_queues), 1, 16, 0, 0 },
	{ "queue_size", K_U32, FS(queue_size), 2, 32768, 0, F_POW2 },
	{ "cache_size", K_SIZE, FS(cache_size), 0, 1ULL << 40, 2ULL << 20, 0 },
	{ "reconnect_ms", K_U32, FS(reconnect_ms), 0, MS_MAX, 0, 0 },
	{ "connect_timeout_ms", K_U32, FS(connect_timeout_ms), 0, MS_MAX, 0, 0 },
};

static const struct field vu_fields[] = {
	{ "socket", K_PATH, VU(socket), 1, 4095, 0, F_REQUIRED | F_UNIQUE },
	{ "virtio_id", K_U32, VU(virtio_id), 1, 63, 0, F_REQUIRED },
	{ "num_queues", K_U32, VU(num_queues), 1, 64, 0, F_REQUIRED },
	{ "queue_size", K_U32, VU(queue_size), 2, 32768, 0, F_POW2 },
	{ "config_size", K_U32, VU(config_size), 0, 4096, 0, 0 },
	{ "reconnect_ms", K_U32, VU(reconnect_ms), 0, MS_MAX, 0, 0 },
	{ "connect_timeout_ms", K_U32, VU(connect_timeout_ms), 0, MS_MAX, 0, 0 },
};

/* [[net]] (the MAC's syntax is checked when the device is created: src/virtio/net_config.c) */
static const struct field net_fields[] = {
	{ "tap", K_STR, NET(tap), 1, 15, 0, F_REQUIRED | F_UNIQUE },   /* IFNAMSIZ - 1 */
	{ "mac", K_STR, NET(mac), 1, 17, 0, F_UNIQUE },
	{ "mtu", K_U32, NET(mtu), 68, 65535, 0, 0 },
	{ "queues", K_U32, NET(queues), 1, 8, 0, 0 },
};

static void net_init(void *p)
{
	struct net_config *n = p;

	n->mtu = 1500;
	n->queues = 1;
}

static void net_fini(void *p)
{
	struct net_config *n = p;

	free(n->tap);
	free(n->mac);
}

/* [[vhost_user_net]]: mac syntax is checked by the device (vhost_user/net.c). */
static const struct field vun_fields[] = {
	{ "socket", K_PATH, VUN(socket), 1, 4095, 0, F_REQUIRED | F_UNIQUE },
	{ "mac", K_STR, VUN(mac), 1, 17, 0, F_UNIQUE },
	{ "queues", K_U32, VUN(queues), 1, 16, 0, 0 },
	{ "queue_size", K_U32, VUN(queue_size), 2, 32768, 0, F_POW2 },
	{ "mtu", K_U32, VUN(mtu), 68, 65535, 0, 0 },
	{ "reconnect_ms", K_U32, VUN(reconnect_ms), 0, MS_MAX, 0, 0 },
	{ "connect_timeout_ms", K_U32, VUN(connect_timeout_ms), 0, MS_MAX, 0, 0 },
};

static void vun_init(void *p)
{
	struct vhost_user_net_config *n = p;

	n->queues = 1;
	n->queue_size = 256;
	n->connect_timeout_ms = 5000;
}

static void vun_fini(void *p)
{
	struct vhost_user_net_config *n = p;

	free(n->socket);
	free(n->mac);
}

static void disk_init(void *p)
{
	struct disk_config *d = p;	/* else all-zero: readonly = false, no id, io/cache default */

	d->poll_us = DISK_POLL_US_DEFAULT;
}

static void disk_fini(void *p)
{
	struct disk_config *d = p;

	free(d->path);
	free(d->id);
}

static void fs_fini(void *p)
{
	struct vhost_user_fs_config *fs = p;

	free(fs->socket);
	free(fs->tag);
}

static void vu_fini(void *p)
{
	struct vhost_user_config *vu = p;

	free(vu->socket);
}

static void fs_init(void *p)
{
	struct vhost_user_fs_config *fs = p;

	fs->num_request_queues = 1;
	fs->queue_size = 1024;
	fs->connect_timeout_ms = 5000;
}

static void vu_init(void *p)
{
	struct vhost_user_config *vu = p;

	vu->queue_size = 256;
	vu->connect_timeout_ms = 5000;
}

#define NF(a) (sizeof(a) / sizeof((a)[0]))

static const struct section sections[] = {
	{ "machine", machine_fields, NF(machine_fields), false, 0, 0, 0, NULL, NULL, 0 },
	{ "kernel", kernel_fields, NF(kernel_fields), false, 0, 0, 0, NULL, NULL, 0 },
	{ "security", security_fields, NF(security_fields), false, 0, 0, 0, NULL, NULL, 0 },
	{ "api", api_fields, NF(api_fields), false, 0, 0, 0, NULL, NULL, 0 },
	{ "disk", disk_fields, NF(disk_fields), true, sizeof(struct disk_config),
	  CFG(disks), CFG(nr_disks), disk_init, disk_fini, MAX_DEVICES },
	{ "vhost_user_fs", fs_fields, NF(fs_fields), true, sizeof(struct vhost_user_fs_config),
	  CFG(fs), CFG(nr_fs), fs_init, fs_fini, MAX_DEVICES },
	{ "vhost_user", vu_fields, NF(vu_fields), true, sizeof(struct vhost_user_config),
	  CFG(vhost_user), CFG(nr_vhost_user), vu_init, vu_fini, MAX_DEVICES },
	{ "net", net_fields, NF(net_fields), true, sizeof(struct net_config),
	  CFG(nets), CFG(nr_nets), net_init, net_fini, MAX_DEVICES },
	{ "vhost_user_net", vun_fields, NF(vun_fields), true, sizeof(struct vhost_user_net_config),
	  CFG(vu_net), CFG(nr_vu_net), vun_init, vun_fini, MAX_DEVICES },
};

static const char *const seccomp_names[] = {
	[SECCOMP_ENFORCE] = "enforce", [SECCOMP_LOG] = "log", [SECCOMP_OFF] = "off",
};

static const char *const quirks_names[] = {
	[HOST_QUIRKS_AUTO] = "auto", [HOST_QUIRKS_NONE] = "none", [HOST_QUIRKS_KVM_PVM] = "kvm_pvm",
};

static const char *const backing_names[] = {
	[MEMORY_BACKING_AUTO] = "auto", [MEMORY_BACKING_ANONYMOUS] = "anonymous",
	[MEMORY_BACKING_MEMFD] = "memfd", [MEMORY_BACKING_HUGETLB] = "hugetlb",
};

struct ctx {
	struct vm_config *cfg;
	const char *file;
	size_t dirlen;		/* length of "dir/" prefix of file, for relative paths */
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 4, 5)))
cerr(struct ctx *c, int line, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	err_vfmt(msg, sizeof(msg), 0, fmt, ap);
	va_end(ap);
	return err_fmt(c->err, c->errlen, -1, "%s:%d:%d: %s", c->file, line, col, msg);
}

/* ---- did you mean ---- */

/* Optimal string alignment distance (edits incl. adjacent transposition), capped. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int d[33][33], i, j, la = (unsigned int)strlen(a), lb = (unsigned int)strlen(b);
	unsigned int v;

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/*
 * Closest of names[] within distance 2 (and fewer edits than the name has characters, so
 * "ro" does not suggest "id"; a name of two characters also needs the same first one, so "ro"
 * does not suggest "io"), or NULL. names are reached with a stride.
 */
static const char *closest(const char *word, const void *names, size_t n, size_t stride)
{
	const char *best = NULL, *name;
	unsigned int bestd = 3, d;
	size_t i;

	for (i = 0; i < n; i++) {
		name = *(const char *const *)((const char *)names + i * stride);
		d = edit_distance(word, name);
		if (d < bestd && d < strlen(name) && (strlen(name) > 2 || word[0] == name[0])) {
			bestd = d;
			best = name;
		}
	}
	return best;
}

/* Section that has a field named key (for "belongs in [x]" hints). */
static const struct section *section_with_key(const char *key)
{
	size_t i, j;

	for (i = 0; i < NF(sections); i++)
		for (j = 0; j < sections[i].nfields; j++)
			if (!strcmp(sections[i].fields[j].key, key))
				return &sections[i];
	return NULL;
}

static const char *sec_fmt(const struct section *s, char *buf, size_t len)
{
	snprintf(buf, len, s->array ? "[[%s]]" : "[%s]", s->name);
	return buf;
}

static int unknown_key(struct ctx *c, const struct section *s, const struct toml_node *n)
{
	const char *near = closest(n->key, s->fields, s->nfields, sizeof(struct field));
	const struct section *home = section_with_key(n->key);
	char sn[40], hn[40];

	if (near)
		return cerr(c, n->key_line, n->key_col,
			    "unknown key '%s' in %s (did you mean '%s'?)", n->key,
			    sec_fmt(s, sn, sizeof(sn)), near);
	if (home)
		return cerr(c, n->key_line, n->key_col,
			    "unknown key '%s' in %s ('%s' belongs in %s)", n->key,
			    sec_fmt(s, sn, sizeof(sn)), n->key, sec_fmt(home, hn, sizeof(hn)));
	return cerr(c, n->key_line, n->key_col, "unknown key '%s' in %s", n->key,
		    sec_fmt(s, sn, sizeof(sn)));
}

/* ---- values ---- */

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_SIZE:
		return "a size (string like \"512M\" or integer bytes)";
	case K_U32:
		return "an integer";
	case K_BOOL:
		return "a boolean";
	default:
		return "a string";
	}
}

static int wrong_type(struct ctx *c, const struct field *f, const struct toml_node *n)
{
	return cerr(c, n->line, n->col, "'%s' must be %s, got %s", f->key, kind_name(f->kind),
		    toml_type_name(n->type));
}

/* The value as written, for messages. */
static const char *shown(const struct toml_node *n, char *buf, size_t len)
{
	if (n->type == TOML_STRING)
		snprintf(buf, len, "\"%.40s%s\"", n->v.s, strlen(n->v.s) > 40 ? "..." : "");
	else
		snprintf(buf, len, "%lld", (long long)n->v.i);
	return buf;
}

static int out_of_range(struct ctx *c, const struct field *f, const struct toml_node *n)
{
	char v[64], lo[24], hi[24];

	if (f->kind == K_SIZE) {
		format_size(f->min, lo, sizeof(lo));
		format_size(f->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)f->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)f->max);
	}
	return cerr(c, n->line, n->col, "'%s' = %s is out of range (%s..%s)", f->key,
		    shown(n, v, sizeof(v)), lo, hi);
}

static int get_size(struct ctx *c, const struct field *f, const struct toml_node *n,
		    uint64_t *out)
{
	char v[64], a[24];

	if (n->type == TOML_INT) {
		if (n->v.i < 0)
			return out_of_range(c, f, n);
		*out = (uint64_t)n->v.i;
	} else if (n->type == TOML_STRING) {
		if (parse_size(n->v.s, out))
			return cerr(c, n->line, n->col,
				    "'%s' = %s is not a valid size (use e.g. \"512M\", \"2G\" "
				    "or a number of bytes)", f->key, shown(n, v, sizeof(v)));
	} else {
		return wrong_type(c, f, n);
	}
	if (*out < f->min || *out > f->max)
		return out_of_range(c, f, n);
	if (f->align && *out % f->align) {
		format_size(f->align, a, sizeof(a));
		return cerr(c, n->line, n->col, "'%s' = %s must be a multiple of %s", f->key,
			    shown(n, v, sizeof(v)), a);
	}
	return 0;
}

static int set_u32(struct ctx *c, const struct field *f, const struct toml_node *n, void *dst)
{
	char v[64];

	if (n->type != TOML_INT)
		return wrong_type(c, f, n);
	if (n->v.i < 0 || (uint64_t)n->v.i < f->min || (uint64_t)n->v.i > f->max)
		return out_of_range(c, f, n);
	if ((f->flags & F_POW2) && (n->v.i & (n->v.i - 1)))
		return cerr(c, n->line, n->col, "'%s' = %s must be a power of two", f->key,
			    shown(n, v, sizeof(v)));
	*(uint32_t *)dst = (uint32_t)n->v.i;
	return 0;
}

int config_parse_seccomp_mode(const char *s, enum seccomp_mode *mode)
{
	for (size_t i = 0; i < NF(seccomp_names); i++) {
		if (!strcmp(s, seccomp_names[i])) {
			*mode = (enum seccomp_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_seccomp(struct ctx *c, const struct field *f, const struct toml_node *n,
		       void *dst)
{
	const char *near;

	if (config_parse_seccomp_mode(n->v.s, dst) == 0)
		return 0;
	near = closest(n->v.s, seccomp_names, NF(seccomp_names), sizeof(char *));
	if (near)
		return cerr(c, n->line, n->col,
			    "'%s' must be \"enforce\", \"log\" or \"off\", got \"%.40s\" "
			    "(did you mean \"%s\"?)", f->key, n->v.s, near);
	return cerr(c, n->line, n->col, "'%s' must be \"enforce\", \"log\" or \"off\", "
		    "got \"%.40s\"", f->key, n->v.s);
}

int config_parse_host_quirks(const char *s, enum host_quirks *q)
{
	for (size_t i = 0; i < NF(quirks_names); i++) {
		if (!strcmp(s, quirks_names[i])) {
			*q = (enum host_quirks)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *config_host_quirks_name(enum host_quirks q)
{
	return (size_t)q < NF(quirks_names) ? quirks_names[q] : "?";
}

static int set_quirks(struct ctx *c, const struct field *f, const struct toml_node *n,
		      void *dst)
{
	const char *near;

	if (config_parse_host_quirks(n->v.s, dst) == 0)
		return 0;
	near = closest(n->v.s, quirks_names, NF(quirks_names), sizeof(char *));
	return cerr(c, n->line, n->col, "'%s' must be \"auto\", \"none\" or \"kvm_pvm\", "
		    "got \"%.40s\"%s%s%s", f->key, n->v.s, near ? " (did you mean \"" : "",
		    near ? near : "", near ? "\"?)" : "");
}

int config_parse_memory_backing(const char *s, enum memory_backing *b)
{
	for (size_t i = 0; i < NF(backing_names); i++) {
		if (!strcmp(s, backing_names[i])) {
			*b = (enum memory_backing)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_backing(struct ctx *c, const struct field *f, const struct toml_node *n,
		       void *dst)
{
	if (config_parse_memory_backing(n->v.s, dst) == 0)
		return 0;
	return cerr(c, n->line, n->col, "'%s' must be \"auto\", \"anonymous\", \"memfd\" or "
		    "\"hugetlb\", got \"%.40s\"", f->key, n->v.s);
}

/* [[disk]] io and cache: a string from a fixed list (index = enum value, [0] of io not a name). */
static const char *const disk_io_names[] = {
	[DISK_IO_AUTO] = NULL, [DISK_IO_SYNC] = "sync", [DISK_IO_URING] = "io_uring",
};
static const char *const disk_cache_names[] = {
	[DISK_CACHE_HOST] = "host", [DISK_CACHE_DIRECT] = "direct",
};

static int set_disk_enum(struct ctx *c, const struct field *f, const struct toml_node *n,
			 void *dst)
{
	bool io = f->kind == K_DISK_IO;
	const char *const *names = io ? disk_io_names : disk_cache_names;
	size_t nr = io ? NF(disk_io_names) : NF(disk_cache_names);

	for (size_t i = 0; i < nr; i++) {
		if (names[i] && !strcmp(n->v.s, names[i])) {
			*(int *)dst = (int)i;
			return 0;
		}
	}
	return cerr(c, n->line, n->col, "'%s' must be %s, got \"%.40s\"", f->key,
		    io ? "\"sync\" or \"io_uring\"" : "\"host\" or \"direct\"", n->v.s);
}

/* Relative paths are relative to the directory of the config file. */
static char *resolve(const struct ctx *c, const char *path)
{
	char *out;

	if (path[0] == '/' || !c->dirlen)
		return strdup(path);
	if (asprintf(&out, "%.*s%s", (int)c->dirlen, c->file, path) < 0)
		return NULL;
	return out;
}

static int set_string(struct ctx *c, const struct field *f, const struct toml_node *n,
		      void *dst)
{
	size_t len = strlen(n->v.s);
	char *s;

	if (len < f->min)
		return cerr(c, n->line, n->col, "'%s' must not be empty", f->key);
	if (len > f->max)
		return cerr(c, n->line, n->col, "'%s' is too long (%zu bytes, max %llu)",
			    f->key, len, (unsigned long long)f->max);
	s = f->kind == K_PATH ? resolve(c, n->v.s) : strdup(n->v.s);
	if (!s)
		return cerr(c, n->line, n->col, "out of memory");
	free(*(char **)dst);
	*(char **)dst = s;
	return 0;
}

static int set_field(struct ctx *c, const struct field *f, const struct toml_node *n,
		     void *base)
{
	void *dst = (char *)base + f->off;

	switch (f->kind) {
	case K_SIZE:
		return get_size(c, f, n, (uint64_t *)dst);
	case K_U32:
		return set_u32(c, f, n, dst);
	case K_BOOL:
		if (n->type != TOML_BOOL)
			return wrong_type(c, f, n);
		*(bool *)dst = n->v.b;
		return 0;
	default:
		if (n->type != TOML_STRING)
			return wrong_type(c, f, n);
		if (f->kind == K_SECCOMP)
			return set_seccomp(c, f, n, dst);
		if (f->kind == K_QUIRKS)
			return set_quirks(c, f, n, dst);
		if (f->kind == K_BACKING)
			return set_backing(c, f, n, dst);
		if (f->kind == K_DISK_IO || f->kind == K_DISK_CACHE)
			return set_disk_enum(c, f, n, dst);
		return set_string(c, f, n, dst);
	}
}

/*
 * Keys whose position is kept (a struct config_pos next to the value) for checks that run
 * after parsing and must still name file:line:col (BAR placement needs --memory).
 */
static const struct {
	const struct field *fields;
	const char *key;
	size_t pos_off;
} kept_pos[] = {
	{ fs_fields, "cache_size", FS(cache_size_pos) },
};

static void keep_pos(const struct section *s, const struct toml_node *n, void *base)
{
	for (size_t i = 0; i < NF(kept_pos); i++)
		if (kept_pos[i].fields == s->fields && !strcmp(kept_pos[i].key, n->key))
			*(struct config_pos *)((char *)base + kept_pos[i].pos_off) =
				(struct config_pos){ n->line, n->col };
}

/* ---- sections ---- */

static const struct field *find_field(const struct section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].key, key))
			return &s->fields[i];
	return NULL;
}

static int apply_table(struct ctx *c, const struct section *s, const struct toml_node *t,
		       void *base)
{
	const struct toml_node *n;
	const struct field *f;
	char sn[40];
	size_t i;

	for (n = t->child; n; n = n->next) {
		f = find_field(s, n->key);
		if (!f)
			return unknown_key(c, s, n);
		if (set_field(c, f, n, base))
			return -1;
		keep_pos(s, n, base);
	}
	for (i = 0; i < s->nfields; i++)
		if ((s->fields[i].flags & F_REQUIRED) && !toml_get(t, s->fields[i].key))
			return cerr(c, t->line, t->col, "missing required key '%s' in %s",
				    s->fields[i].key, sec_fmt(s, sn, sizeof(sn)));
	return 0;
}

/* Frees the entries of an array section (config_free and re-parsing). */
static void free_array(struct vm_config *cfg, const struct section *s)
{
	void **arr = (void **)((char *)cfg + s->arr_off);
	unsigned int *count = (unsigned int *)((char *)cfg + s->count_off), i;

	for (i = 0; *arr && i < *count; i++)
		s->fini((char *)*arr + i * s->elem_size);
	free(*arr);
	*arr = NULL;
	*count = 0;
}

/* F_UNIQUE string fields: an entry may not repeat an earlier entry's value. */
static int check_unique(struct ctx *c, const struct section *s, const struct toml_node *a,
			const char *elems)
{
	const struct toml_node *e, *p, *v, *pv;
	const struct field *f;
	unsigned int i, j;
	const char *x, *y;
	char shown_v[64];
	size_t k;

	for (k = 0; k < s->nfields; k++) {
		f = &s->fields[k];
		if (!(f->flags & F_UNIQUE))
			continue;
		for (i = 0, e = a->child; e; e = e->next, i++) {
			v = toml_get(e, f->key);
			x = *(char *const *)(elems + i * s->elem_size + f->off);
			for (j = 0, p = a->child; v && x && j < i; j++, p = p->next) {
				pv = toml_get(p, f->key);
				y = *(char *const *)(elems + j * s->elem_size + f->off);
				if (pv && y && !strcmp(x, y))
					return cerr(c, v->line, v->col, "'%s' = %s is already used "
						    "by the [[%s]] entry at %d:%d", f->key,
						    shown(v, shown_v, sizeof(shown_v)), s->name,
						    p->line, p->col);
			}
		}
	}
	return 0;
}

static int apply_array(struct ctx *c, const struct section *s, const struct toml_node *a)
{
	void **arr = (void **)((char *)c->cfg + s->arr_off);
	unsigned int *count = (unsigned int *)((char *)c->cfg + s->count_off);
	const struct toml_node *e;
	char *elems;
	unsigned int i;

	if (a->type != TOML_ARRAY)
		return cerr(c, a->line, a->col, "'%s' must be an array of tables ([[%s]]), got %s",
			    s->name, s->name, toml_type_name(a->type));
	for (e = a->child, i = 0; e; e = e->next, i++) {
		if (e->type != TOML_TABLE)
			return cerr(c, e->line, e->col, "'%s' entries must be tables, got %s",
				    s->name, toml_type_name(e->type));
		if (i == s->max)
			return cerr(c, e->line, e->col, "too many [[%s]] entries (max %u)",
				    s->name, s->max);
	}
	free_array(c->cfg, s);
	if (!a->nchild)
		return 0;
	elems = calloc(a->nchild, s->elem_size);
	if (!elems)
		return cerr(c, a->line, a->col, "out of memory");
	for (i = 0; i < a->nchild; i++)
		s->init(elems + i * s->elem_size);
	*arr = elems;
	*count = a->nchild;
	for (i = 0, e = a->child; e; e = e->next, i++)
		if (apply_table(c, s, e, elems + i * s->elem_size))
			return -1;
	return check_unique(c, s, a, elems);
}

static const struct section *find_section(const char *name)
{
	size_t i;

	for (i = 0; i < NF(sections); i++)
		if (!strcmp(sections[i].name, name))
			return &sections[i];
	return NULL;
}

static int unknown_top(struct ctx *c, const struct toml_node *n)
{
	const char *near = closest(n->key, sections, NF(sections), sizeof(struct section));
	const struct section *home = section_with_key(n->key);
	bool aot = n->type == TOML_ARRAY && (n->flags & TOML_F_AOT);
	char hn[40];

	if (n->type == TOML_TABLE || aot) {
		if (near)
			return cerr(c, n->key_line, n->key_col,
				    "unknown table %s%s%s (did you mean %s?)", aot ? "[[" : "[",
				    n->key, aot ? "]]" : "]",
				    sec_fmt(find_section(near), hn, sizeof(hn)));
		return cerr(c, n->key_line, n->key_col, "unknown table %s%s%s", aot ? "[[" : "[",
			    n->key, aot ? "]]" : "]");
	}
	if (home)
		return cerr(c, n->key_line, n->key_col,
			    "key '%s' must be inside a table: it belongs in %s", n->key,
			    sec_fmt(home, hn, sizeof(hn)));
	return cerr(c, n->key_line, n->key_col, "unknown top-level key '%s'", n->key);
}

static int apply_root(struct ctx *c, const struct toml_node *root)
{
	const struct section *s;
	const struct toml_node *n;

	for (n = root->child; n; n = n->next) {
		s = find_section(n->key);
		if (!s)
			return unknown_top(c, n);
		if (s->array) {
			if (apply_array(c, s, n))
				return -1;
		} else if (n->type != TOML_TABLE) {
			return cerr(c, n->line, n->col, "'%s' must be a table ([%s]), got %s",
				    n->key, n->key, toml_type_name(n->type));
		} else if (apply_table(c, s, n, c->cfg)) {
			return -1;
		}
	}
	return 0;
}

/* ---- public API ---- */

int config_set_str(char **field, const char *value)
{
	char *s = NULL;

	if (value) {
		s = strdup(value);
		if (!s)
			return -ENOMEM;
	}
	free(*field);
	*field = s;
	return 0;
}

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = 512ULL << 20;
	cfg->vcpus = 1;
	cfg->acpi = true;
	cfg->cmdline = strdup("console=ttyS0");
	cfg->seccomp = SECCOMP_ENFORCE;
	cfg->uid = CONFIG_ID_KEEP;
	cfg->gid = CONFIG_ID_KEEP;
}

int config_parse(struct vm_config *cfg, const char *text, size_t len, const char *filename,
		 char *err, size_t errlen)
{
	struct ctx c = { .cfg = cfg, .err = err, .errlen = errlen };
	struct toml_error terr;
	struct toml_node *root;
	const char *slash;
	int r;

	c.file = filename && *filename ? filename : "<config>";
	slash = filename ? strrchr(filename, '/') : NULL;
	c.dirlen = slash ? (size_t)(slash - filename) + 1 : 0;
	if (err && errlen)
		err[0] = '\0';
	if (config_set_str(&cfg->source, c.file))
		return cerr(&c, 1, 1, "out of memory");
	if (!cfg->cmdline && config_set_str(&cfg->cmdline, "console=ttyS0"))
		return cerr(&c, 1, 1, "out of memory");
	root = toml_parse(text, len, &terr);
	if (!root)
		return cerr(&c, terr.line, terr.col, "%s", terr.msg);
	r = apply_root(&c, root);
	toml_free(root);
	return r;
}

/* Reads at most CONFIG_FILE_MAX bytes; -1 with the message in err. */
static int read_file(int fd, const char *path, char **out, size_t *len, char *err,
		     size_t errlen)
{
	size_t cap = CONFIG_FILE_MAX + 1, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return snprintf(err, errlen, "%s: out of memory", path), -1;
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			return -1;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (n > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: file too large (max %u bytes)", path, CONFIG_FILE_MAX);
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

int config_load(struct vm_config *cfg, const char *path, char *err, size_t errlen)
{
	char dummy[8], why[128], *text;
	size_t len;
	int fd, r;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	fd = safe_open(path, O_RDONLY, SAFE_OPEN_REG, NULL, why, sizeof(why));
	if (fd < 0)
		return snprintf(err, errlen, "%s: %s", path, why), -1;
	r = read_file(fd, path, &text, &len, err, errlen);
	close(fd);
	if (r)
		return -1;
	r = config_parse(cfg, text, len, path, err, errlen);
	free(text);
	return r;
}

bool config_needs_shared_ram(const struct vm_config *cfg)
{
	return cfg->nr_fs || cfg->nr_vhost_user || cfg->nr_vu_net;
}

int config_validate(const struct vm_config *cfg, char *err, size_t errlen)
{
	const char *src = cfg->source ? cfg->source : "config";
	char lo[24], hi[24], v[24];

	format_size(CONFIG_MEM_MIN, lo, sizeof(lo));
	format_size(CONFIG_MEM_MAX, hi, sizeof(hi));
	format_size(cfg->memory, v, sizeof(v));
	if (!cfg->kernel || !cfg->kernel[0])
		snprintf(err, errlen, "%s: no kernel: set 'path' in [kernel] or use --kernel", src);
	else if (cfg->memory < CONFIG_MEM_MIN || cfg->memory > CONFIG_MEM_MAX)
		snprintf(err, errlen, "%s: memory %s is out of range (%s..%s)", src, v, lo, hi);
	else if (cfg->memory % CONFIG_MEM_ALIGN)
		snprintf(err, errlen, "%s: memory %s must be a multiple of 4K", src, v);
	else if (cfg->vcpus < 1 || cfg->vcpus > CONFIG_VCPUS_MAX)
		snprintf(err, errlen, "%s: vcpus %u is out of range (1..%d)", src, cfg->vcpus,
			 CONFIG_VCPUS_MAX);
	else if (cfg->cmdline && strlen(cfg->cmdline) > CONFIG_CMDLINE_MAX)
		snprintf(err, errlen, "%s: cmdline is too long (%zu bytes, max %d)", src,
			 strlen(cfg->cmdline), CONFIG_CMDLINE_MAX);
	else if (cfg->memory_backing == MEMORY_BACKING_ANONYMOUS && config_needs_shared_ram(cfg))
		snprintf(err, errlen, "%s: memory_backing \"anonymous\" cannot be shared with a "
			 "vhost-user back-end: use \"memfd\", \"hugetlb\" or \"auto\"", src);
	else if (cfg->memory_backing == MEMORY_BACKING_HUGETLB && cfg->memory % (2ULL << 20))
		snprintf(err, errlen, "%s: memory_backing \"hugetlb\" needs memory in 2M units, got %s",
			 src, v);
	else if ((cfg->uid == CONFIG_ID_KEEP) != (cfg->gid == CONFIG_ID_KEEP))
		snprintf(err, errlen, "%s: [security] needs both 'uid' and 'gid' to drop privileges",
			 src);
	else
		return 0;
	return -1;
}

void config_free(struct vm_config *cfg)
{
	size_t i;

	for (i = 0; i < NF(sections); i++)
		if (sections[i].array)
			free_array(cfg, &sections[i]);
	free(cfg->source);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->api_socket);
	memset(cfg, 0, sizeof(*cfg));
}
