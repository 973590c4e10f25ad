/* SPDX-License-Identifier: MIT */
/*
 * Test-only guest side for vhost-user-fs without a guest: a minimal split-ring virtio-fs driver
 * over harness guest RAM (vm_init_harness) that drives the device ops (set_features, activate,
 * reset) the way the virtio-pci transport does, and launchers for Debian's virtiofsd and
 * microvm-virtiofsd. Shared by the virtio-fs unit tests and benchmarks.
 * One request in flight at a time, on request queue 1 (queue 0 is hiprio).
 */
#ifndef TEST_VHOST_USER_FUSE_H
#define TEST_VHOST_USER_FUSE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/virtio_ring.h>

#include "vhost_user/vhost_user.h"
#include "kvm/vm.h"

#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"
#define FDRV_QSIZE 128
#define FDRV_RAM (256ull << 20)
#define FDRV_BUF_GPA (16ull << 20)
#define FDRV_BUF_SIZE (4ull << 20)

struct fdrv_queue {
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx, used_seen;
};

struct fdrv {
	struct vm vm;
	struct virtio_device *dev;
	struct fdrv_queue q[2];
	uint64_t unique;
	uint8_t *out;          /* device-readable buffer (FDRV_BUF_GPA) */
	uint8_t *in;           /* device-writable buffer (FDRV_BUF_GPA + FDRV_BUF_SIZE) */
	int timeout_ms;
};

/* In a forked daemon child: stdout and stderr to logpath (left as they are if it cannot open). */
static inline void daemon_log_to(const char *logpath)
{
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
}

static inline pid_t virtiofsd_start(const char *sock, const char *dir, const char *logpath)
{
	pid_t pid;

	unlink(sock);
	pid = fork();
	if (pid == 0) {
		char a1[300], a2[300];

		daemon_log_to(logpath);
		snprintf(a1, sizeof(a1), "--socket-path=%s", sock);
		snprintf(a2, sizeof(a2), "source=%s", dir);
		execl(VIRTIOFSD, VIRTIOFSD, a1, "-o", a2, "-o", "cache=auto", "-o",
		      "sandbox=chroot", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* microvm-virtiofsd if built ($VIRTIOFSD_BIN, else $BUILD/ or build/), else NULL. */
static inline const char *microvm_virtiofsd_bin(void)
{
	static char path[300];
	const char *b = getenv("BUILD");

	if (getenv("VIRTIOFSD_BIN"))
		return getenv("VIRTIOFSD_BIN");
	snprintf(path, sizeof(path), "%s/microvm-virtiofsd", b ? b : "build");
	return access(path, X_OK) == 0 ? path : NULL;
}

/*
 * Forks bin (microvm-virtiofsd) serving dir as tag "share" on sock with a cache_size DAX
 * window ("64M"...), stdout and stderr to logpath. The child's pid, or -1.
 */
static inline pid_t microvm_virtiofsd_start(const char *bin, const char *sock, const char *dir,
					    const char *cache_size, const char *logpath)
{
	pid_t pid;

	unlink(sock);
	pid = fork();
	if (pid == 0) {
		daemon_log_to(logpath);
		execl(bin, bin, "--socket-path", sock, "--shared-dir", dir, "--tag", "share",
		      "--cache-size", cache_size, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static inline void virtiofsd_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static inline uint64_t fdrv_gpa_of(struct fdrv *d, const void *p)
{
	return (uint64_t)((const uint8_t *)p - d->vm.mem.regions[0].hva) + d->vm.mem.regions[0].gpa;
}

/* Rings at fixed GPAs: queue i at 1 MiB + i * 64 KiB. */
static inline void fdrv_queue_init(struct fdrv *d, unsigned int i)
{
	struct virtio_queue *vq = &d->dev->queues[i];
	uint64_t base = (1ull << 20) + i * 0x10000;
	struct fdrv_queue *q = &d->q[i];

	q->size = FDRV_QSIZE;
	q->desc = guest_mem_ptr(&d->vm.mem, base, 16 * FDRV_QSIZE);
	q->avail = guest_mem_ptr(&d->vm.mem, base + 0x4000, 6 + 2 * FDRV_QSIZE);
	q->used = guest_mem_ptr(&d->vm.mem, base + 0x8000, 6 + 8 * FDRV_QSIZE);
	memset(q->desc, 0, 0x10000);
	q->avail_idx = q->used_seen = 0;
	vq->size = FDRV_QSIZE;
	vq->enabled = true;
	vq->desc_gpa = base;
	vq->avail_gpa = base + 0x4000;
	vq->used_gpa = base + 0x8000;
	if (vq->kick_fd < 0)
		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->call_fd < 0)
		vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/* What the transport does at FEATURES_OK and DRIVER_OK. */
static inline int fdrv_start(struct fdrv *d)
{
	int r;

	d->dev->guest_features = d->dev->host_features & ~(1ull << VIRTIO_RING_F_EVENT_IDX);
	r = d->dev->ops->set_features(d->dev, d->dev->guest_features);
	if (r)
		return r;
	for (unsigned int i = 0; i < 2; i++)
		fdrv_queue_init(d, i);
	return d->dev->ops->activate(d->dev);
}

static inline int fdrv_open(struct fdrv *d, const char *sock, uint32_t reconnect_ms, char *err,
			    size_t errlen)
{
	struct vhost_user_fs_config cfg = {
		.socket = (char *)sock, .tag = "share", .num_request_queues = 1,
		.queue_size = 1024, .connect_timeout_ms = 5000, .reconnect_ms = reconnect_ms,
	};
	int r;

	memset(d, 0, sizeof(*d));
	r = vm_init_harness(&d->vm, FDRV_RAM);
	if (r) {
		snprintf(err, errlen, "vm_init_harness: %s", strerror(-r));
		return r;
	}
	d->timeout_ms = 5000;
	d->dev = vhost_user_fs_create(&d->vm, &cfg, err, errlen);
	if (!d->dev)
		return -EIO;
	d->out = guest_mem_ptr(&d->vm.mem, FDRV_BUF_GPA, FDRV_BUF_SIZE);
	d->in = guest_mem_ptr(&d->vm.mem, FDRV_BUF_GPA + FDRV_BUF_SIZE, FDRV_BUF_SIZE);
	return fdrv_start(d);
}

static inline void fdrv_close(struct fdrv *d)
{
	if (d->dev) {
		d->dev->ops->reset(d->dev);
		for (unsigned int i = 0; i < 2; i++) {
			if (d->dev->queues[i].kick_fd >= 0)
				close(d->dev->queues[i].kick_fd);
			if (d->dev->queues[i].call_fd >= 0)
				close(d->dev->queues[i].call_fd);
		}
		vhost_user_device_destroy(d->dev);
	}
	d->dev = NULL;
	vm_destroy(&d->vm);
}

/*
 * One FUSE request: in-header + args (out buffer), reply (in buffer, in_len bytes max).
 * Returns the reply length (>= 16) or -ETIMEDOUT / -EIO; *error gets the FUSE error field.
 */
static inline int fdrv_call(struct fdrv *d, uint32_t opcode, uint64_t nodeid, const void *arg,
			    uint32_t arg_len, const void *arg2, uint32_t arg2_len, uint32_t in_len,
			    int32_t *error)
{
	struct fdrv_queue *q = &d->q[1];
	struct fuse_in_header *ih = (struct fuse_in_header *)d->out;
	struct fuse_out_header *oh = (struct fuse_out_header *)d->in;
	uint16_t slot = q->avail_idx % q->size;
	struct pollfd p = { .fd = d->dev->queues[1].call_fd, .events = POLLIN };
	uint64_t cnt;
	int waited = 0;

	memset(ih, 0, sizeof(*ih));
	ih->len = sizeof(*ih) + arg_len + arg2_len;
	ih->opcode = opcode;
	ih->unique = ++d->unique;
	ih->nodeid = nodeid;
	if (arg_len)
		memcpy(d->out + sizeof(*ih), arg, arg_len);
	if (arg2_len)
		memcpy(d->out + sizeof(*ih) + arg_len, arg2, arg2_len);
	memset(oh, 0, sizeof(*oh));
	q->desc[0] = (struct vring_desc){ .addr = FDRV_BUF_GPA, .len = ih->len,
					  .flags = VRING_DESC_F_NEXT, .next = 1 };
	q->desc[1] = (struct vring_desc){ .addr = FDRV_BUF_GPA + FDRV_BUF_SIZE,
					  .len = in_len, .flags = VRING_DESC_F_WRITE };
	q->avail->ring[slot] = 0;
	atomic_thread_fence(memory_order_release);
	q->avail->idx = ++q->avail_idx;
	atomic_thread_fence(memory_order_seq_cst);
	cnt = 1;
	if (write(d->dev->queues[1].kick_fd, &cnt, 8) != 8)
		return -EIO;
	for (;;) {
		atomic_thread_fence(memory_order_acquire);
		if (*(volatile uint16_t *)&q->used->idx != q->used_seen)
			break;
		if (waited >= d->timeout_ms)
			return -ETIMEDOUT;
		if (poll(&p, 1, 10) > 0 && read(p.fd, &cnt, 8) < 0)
			return -EIO;
		waited += 10;
	}
	atomic_thread_fence(memory_order_acquire);
	q->used_seen++;
	if (oh->unique != ih->unique)
		return -EIO;
	*error = oh->error;
	return (int)q->used->ring[(uint16_t)(q->used_seen - 1) % q->size].len;
}

static inline int fdrv_init(struct fdrv *d, struct fuse_init_out *out)
{
	struct { uint32_t major, minor, max_readahead, flags; } in = { 7, 31, 1 << 20, 0 };
	int32_t e;
	int n = fdrv_call(d, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, 4096, &e);

	if (n < 0)
		return n;
	if (e)
		return e;
	memcpy(out, d->in + sizeof(struct fuse_out_header), sizeof(*out));
	return 0;
}

#endif
