/* SPDX-License-Identifier: MIT */
/*
 * Test-only virtio-fs guest driver on the guest-driver harness (tests/harness): the vhost-user-fs
 * device sits on PCI bus 0 behind the real virtio-pci transport, the harness drives it like
 * Linux's virtio_pci_modern, and FUSE requests travel through the rings to the back-end.
 * One request in flight, on request queue 1. Shared by test_vhost_user_harness.c and
 * bench/vhost_user_bench.c.
 */
#ifndef TEST_VHOST_USER_HFS_H
#define TEST_VHOST_USER_HFS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "../harness/harness.h"
#include "vhost_user/vhost_user.h"

#define HFS_BUF (1u << 20)

struct hfs {
	struct harness *h;
	struct virtio_device *dev;
	struct hvirtio v;
	int slot;
	uint64_t out_gpa, in_gpa;
	uint8_t *out, *in;
	uint64_t unique;
	int timeout_ms;
};

/* Creates the harness and the device on sock, starts the driver. 0 or -errno (err set). */
static inline int hfs_open(struct hfs *f, const char *sock, uint32_t reconnect_ms, char *err,
			   size_t errlen)
{
	struct vhost_user_fs_config cfg = {
		.socket = (char *)sock, .tag = "share", .num_request_queues = 1,
		.queue_size = 1024, .connect_timeout_ms = 5000, .reconnect_ms = reconnect_ms,
	};
	uint64_t features;
	int r;

	memset(f, 0, sizeof(*f));
	f->timeout_ms = 5000;
	f->h = harness_create(128ull << 20);
	if (!f->h) {
		snprintf(err, errlen, "harness_create failed");
		return -ENOMEM;
	}
	f->dev = vhost_user_fs_create(&f->h->vm, &cfg, err, errlen);
	if (!f->dev)
		return -EIO;
	f->slot = harness_add_virtio(f->h, f->dev, vhost_user_device_destroy);
	if (f->slot < 0) {
		snprintf(err, errlen, "harness_add_virtio: %s", strerror(-f->slot));
		vhost_user_device_destroy(f->dev);
		f->dev = NULL;
		return f->slot;
	}
	r = hvirtio_init(&f->v, f->h, (unsigned int)f->slot);
	if (r < 0) {
		snprintf(err, errlen, "hvirtio_init: %s", strerror(-r));
		return r;
	}
	features = hvirtio_device_features(&f->v) & ~(1ull << VIRTIO_RING_F_EVENT_IDX);
	r = hvirtio_start(&f->v, features, 2);
	if (r < 0) {
		snprintf(err, errlen, "hvirtio_start: %s", strerror(-r));
		return r;
	}
	f->out_gpa = harness_alloc(f->h, HFS_BUF, 4096);
	f->in_gpa = harness_alloc(f->h, HFS_BUF, 4096);
	f->out = harness_ptr(f->h, f->out_gpa, HFS_BUF);
	f->in = harness_ptr(f->h, f->in_gpa, HFS_BUF);
	return f->out && f->in ? 0 : -ENOMEM;
}

static inline void hfs_close(struct hfs *f)
{
	if (f->h) {
		hvirtio_cleanup(&f->v);
		harness_destroy(f->h);
	}
	memset(f, 0, sizeof(*f));
}

/* One FUSE request. Returns the used length (>= 16) or -errno; *error = fuse error. */
static inline int hfs_call(struct hfs *f, uint32_t opcode, uint64_t nodeid, const void *arg,
			   uint32_t arg_len, const void *arg2, uint32_t arg2_len, uint32_t in_len,
			   int32_t *error)
{
	struct fuse_in_header *ih = (struct fuse_in_header *)f->out;
	struct fuse_out_header *oh = (struct fuse_out_header *)f->in;
	struct hvbuf bufs[2];
	uint32_t len = 0;
	int r;

	memset(ih, 0, sizeof(*ih));
	ih->len = sizeof(*ih) + arg_len + arg2_len;
	ih->opcode = opcode;
	ih->unique = ++f->unique;
	ih->nodeid = nodeid;
	if (arg_len)
		memcpy(f->out + sizeof(*ih), arg, arg_len);
	if (arg2_len)
		memcpy(f->out + sizeof(*ih) + arg_len, arg2, arg2_len);
	memset(oh, 0, sizeof(*oh));
	bufs[0] = (struct hvbuf){ .gpa = f->out_gpa, .len = ih->len, .write = false };
	bufs[1] = (struct hvbuf){ .gpa = f->in_gpa, .len = in_len, .write = true };
	r = hvq_add(&f->v, 1, bufs, 2);
	if (r < 0)
		return r;
	hvq_kick(&f->v, 1);
	r = hvq_wait_used(&f->v, 1, f->timeout_ms, &len);
	if (r < 0)
		return r;
	if (oh->unique != ih->unique)
		return -EIO;
	*error = oh->error;
	return (int)len;
}

static inline int hfs_init(struct hfs *f, struct fuse_init_out *out)
{
	struct { uint32_t major, minor, max_readahead, flags; } in = { 7, 31, 1 << 20, 0 };
	int32_t e = 0;
	int n = hfs_call(f, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, 4096, &e);

	if (n < 0)
		return n;
	if (e)
		return e;
	memcpy(out, f->in + sizeof(struct fuse_out_header), sizeof(*out));
	return 0;
}

static inline uint64_t hfs_lookup(struct hfs *f, const char *name, struct fuse_entry_out *e)
{
	int32_t err = 0;
	int n = hfs_call(f, FUSE_LOOKUP, FUSE_ROOT_ID, name, (uint32_t)strlen(name) + 1, NULL, 0,
			 4096, &err);

	if (n < 0 || err)
		return 0;
	memcpy(e, f->in + sizeof(struct fuse_out_header), sizeof(*e));
	return e->nodeid;
}

/* OPEN / OPENDIR: fh, or ~0 on failure. */
static inline uint64_t hfs_open_node(struct hfs *f, uint32_t opcode, uint64_t nodeid,
				     uint32_t flags)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out out;
	int32_t err = 0;
	int n = hfs_call(f, opcode, nodeid, &in, sizeof(in), NULL, 0, 4096, &err);

	if (n < 0 || err)
		return ~0ull;
	memcpy(&out, f->in + sizeof(struct fuse_out_header), sizeof(out));
	return out.fh;
}

#endif
