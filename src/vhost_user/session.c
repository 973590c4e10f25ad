// SPDX-License-Identifier: MIT
/*
 * vhost-user session: connect to the back-end socket, negotiate virtio and protocol features,
 * main-socket transactions, back-end death and reconnection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vhost_user/shmem.h"
#include "util/clock.h"
#include "vhost_user/vhost_user.h"
#include "util/log.h"
#include "kvm/vm.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_REPLY_TIMEOUT_MS 5000
#define RECONNECT_WINDOW_MS 200

/* Protocol features this front-end implements (SHMEM only on the device kind's request). */
static const unsigned int wanted_protocol[] = {
	VHOST_USER_PROTOCOL_F_MQ,
	VHOST_USER_PROTOCOL_F_REPLY_ACK,
	VHOST_USER_PROTOCOL_F_BACKEND_REQ,
	VHOST_USER_PROTOCOL_F_CONFIG,
	VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD,
	VHOST_USER_PROTOCOL_F_RESET_DEVICE,
	VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS,
};

/* Transport-independent virtio feature bits the split-ring transport can pass through. */
#define VU_TRANSPORT_FEATURES ((1ull << VIRTIO_RING_F_INDIRECT_DESC) | \
			       (1ull << VIRTIO_RING_F_EVENT_IDX) | \
			       (1ull << VIRTIO_F_VERSION_1))
#define VU_DEVICE_FEATURES ((1ull << 24) - 1)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* connect() with retries (back-end still starting) until timeout_ms. Returns fd or -errno. */
static int connect_retry(const char *path, uint32_t timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = monotonic_ms() + timeout_ms;
	unsigned int delay = 5;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			snprintf(err, errlen, "socket: %s", strerror(errno));
			return r;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		r = -errno;
		close(fd);
		if ((r != -ENOENT && r != -ECONNREFUSED && r != -EAGAIN && r != -EINTR) ||
		    monotonic_ms() >= deadline) {
			snprintf(err, errlen, "cannot connect to %s within %u ms: %s", path, timeout_ms,
				 strerror(-r));
			return r;
		}
		sleep_ms(delay);
		if (delay < 100)
			delay *= 2;
	}
}

struct vu_dev *vu_dev_new(struct vm *vm, const struct vu_options *opt, const char *name,
			  const struct vu_dev_kind *kind, char *err, size_t errlen)
{
	struct vu_dev *dev;

	if (!opt->socket || !*opt->socket) {
		snprintf(err, errlen, "%s: no vhost-user socket path", name);
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	dev->socket_path = strdup(opt->socket);
	if (!dev->socket_path) {
		free(dev);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->vm = vm;
	dev->kind = kind;
	dev->connect_timeout_ms = opt->connect_timeout_ms ? opt->connect_timeout_ms :
				  DEFAULT_CONNECT_TIMEOUT_MS;
	dev->reconnect_ms = opt->reconnect_ms;
	dev->reply_timeout_ms = opt->reply_timeout_ms ? opt->reply_timeout_ms :
				DEFAULT_REPLY_TIMEOUT_MS;
	pthread_mutex_init(&dev->lock, NULL);
	dev->conn.fd = -1;
	dev->conn.name = dev->name;
	dev->conn.timeout_ms = (int)dev->reply_timeout_ms;
	dev->chan_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		dev->err_fds[i] = -1;
		dev->vdev.queues[i].kick_fd = -1;
		dev->vdev.queues[i].call_fd = -1;
	}
	dev->vdev.name = dev->name;
	dev->vdev.ops = &vu_dev_ops;
	dev->vdev.priv = dev;
	dev->vdev.vm = vm;
	return dev;
}

void vu_dev_mark_dead_gen(struct vu_dev *dev, uint64_t gen, const char *why)
{
	uint_fast64_t alive = gen << 1;

	if (!atomic_compare_exchange_strong(&dev->state, &alive, alive | 1))
		return;
	pr_err_rl("%s: vhost-user back-end at %s lost: %s; device needs reset%s", dev->name,
		  dev->socket_path, why, dev->reconnect_ms ? " (will reconnect on guest reset)" : "");
	vu_shmem_reset(dev);
	virtio_device_needs_reset(&dev->vdev);      /* no-op until the transport is registered */
}

void vu_dev_mark_dead(struct vu_dev *dev, const char *why)
{
	vu_dev_mark_dead_gen(dev, atomic_load(&dev->state) >> 1, why);
}

/* Connection-level failures desynchronise the stream: the back-end is unusable. */
static bool fatal_error(int r)
{
	return r == -ECONNRESET || r == -EPIPE || r == -ETIMEDOUT || r == -EPROTO ||
	       r == -ENOTCONN || r == -EBADF || r == -ETOOMANYREFS;
}

int vu_dev_call(struct vu_dev *dev, struct vu_msg *req, struct vu_msg *reply)
{
	int r;

	if (vu_dead(dev) || dev->conn.fd < 0)
		return -ENOTCONN;
	r = vu_call(&dev->conn, req, reply);
	if (r == 0)
		return 0;
	if (fatal_error(r))
		vu_dev_mark_dead(dev, dev->conn.err);
	else
		pr_err_rl("%s: %s", dev->name, dev->conn.err);
	return r;
}

static int call_u64(struct vu_dev *dev, uint32_t request, uint64_t *out)
{
	struct vu_msg req, rep;
	int r;

	vu_msg_init(&req, request, 0);
	r = vu_dev_call(dev, &req, &rep);
	if (r == 0)
		*out = rep.payload.u64;
	return r;
}

static int send_u64(struct vu_dev *dev, uint32_t request, uint64_t val)
{
	struct vu_msg req;

	vu_msg_init(&req, request, 8);
	req.payload.u64 = val;
	return vu_dev_call(dev, &req, NULL);
}

static uint64_t wanted_protocol_mask(struct vu_dev *dev)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < sizeof(wanted_protocol) / sizeof(wanted_protocol[0]); i++)
		mask |= 1ull << wanted_protocol[i];
	if (dev->kind && dev->kind->want_protocol &&
	    dev->kind->want_protocol(dev, VHOST_USER_PROTOCOL_F_SHMEM))
		mask |= 1ull << VHOST_USER_PROTOCOL_F_SHMEM;
	return mask;
}

static int negotiate_protocol(struct vu_dev *dev, char *err, size_t errlen)
{
	uint64_t offered;
	int r;

	r = call_u64(dev, VHOST_USER_GET_PROTOCOL_FEATURES, &offered);
	if (r)
		goto fail;
	dev->protocol_features = offered & wanted_protocol_mask(dev);
	/* Passing fds on the backend channel only makes sense with the channel itself. */
	if (!vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_BACKEND_REQ))
		dev->protocol_features &= ~(1ull << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD);
	r = send_u64(dev, VHOST_USER_SET_PROTOCOL_FEATURES, dev->protocol_features);
	if (r)
		goto fail;
	dev->conn.reply_ack = vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	pr_debug_rl("%s: protocol features offered 0x%llx, negotiated 0x%llx", dev->name,
		    (unsigned long long)offered, (unsigned long long)dev->protocol_features);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", dev->name, dev->conn.err);
	return r;
}

static int check_queues_and_slots(struct vu_dev *dev, char *err, size_t errlen)
{
	uint64_t v;
	int r;

	dev->backend_queues = 0;
	if (vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_MQ)) {
		r = call_u64(dev, VHOST_USER_GET_QUEUE_NUM, &v);
		if (r)
			goto fail;
		if (v < dev->vdev.nr_queues) {
			snprintf(err, errlen, "%s: back-end supports %llu queues, device needs %u",
				 dev->name, (unsigned long long)v, dev->vdev.nr_queues);
			return -EINVAL;
		}
		dev->backend_queues = v > VIRTIO_MAX_QUEUES ? VIRTIO_MAX_QUEUES : (uint32_t)v;
	}
	dev->max_mem_slots = VHOST_USER_MEMORY_MAX_NREGIONS;
	if (vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
		r = call_u64(dev, VHOST_USER_GET_MAX_MEM_SLOTS, &v);
		if (r)
			goto fail;
		dev->max_mem_slots = v > 4096 ? 4096 : (uint32_t)v;
	}
	if (dev->vm && dev->max_mem_slots < dev->vm->mem.nr_regions) {
		snprintf(err, errlen, "%s: back-end accepts %u memory slots, guest RAM has %u regions",
			 dev->name, dev->max_mem_slots, dev->vm->mem.nr_regions);
		return -EINVAL;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", dev->name, dev->conn.err);
	return r;
}

static int negotiate(struct vu_dev *dev, char *err, size_t errlen)
{
	struct vu_msg req;
	int r;

	r = call_u64(dev, VHOST_USER_GET_FEATURES, &dev->backend_features);
	if (r)
		goto fail;
	if (!(dev->backend_features & (1ull << VIRTIO_F_VERSION_1))) {
		snprintf(err, errlen, "%s: back-end does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
			 dev->name, (unsigned long long)dev->backend_features);
		return -EINVAL;
	}
	dev->protocol_features = 0;
	dev->conn.reply_ack = false;
	if (dev->backend_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) {
		r = negotiate_protocol(dev, err, errlen);
		if (r)
			return r;
	}
	r = check_queues_and_slots(dev, err, errlen);
	if (r)
		return r;
	if (vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_BACKEND_REQ)) {
		r = vu_chan_setup(dev);
		if (r)
			goto fail;
	}
	vu_msg_init(&req, VHOST_USER_SET_OWNER, 0);
	r = vu_dev_call(dev, &req, NULL);
	if (r)
		goto fail;
	if (dev->vdev.config_size && !(dev->kind && dev->kind->config_read) &&
	    !vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_CONFIG)) {
		snprintf(err, errlen, "%s: config space of %u bytes needs the CONFIG protocol feature, "
			 "which the back-end does not offer", dev->name, dev->vdev.config_size);
		return -EINVAL;
	}
	dev->vdev.host_features = dev->backend_features &
				  (VU_TRANSPORT_FEATURES | VU_DEVICE_FEATURES);
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", dev->name, dev->conn.err[0] ? dev->conn.err : strerror(-r));
	return r;
}

static void close_connection(struct vu_dev *dev)
{
	vu_thread_stop(dev);
	if (dev->conn.fd >= 0)
		close(dev->conn.fd);
	dev->conn.fd = -1;
	if (dev->chan_fd >= 0)
		close(dev->chan_fd);
	dev->chan_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		if (dev->err_fds[i] >= 0)
			close(dev->err_fds[i]);
		dev->err_fds[i] = -1;
	}
	dev->mem_sent = false;
	dev->mem_regions_added = 0;
	dev->started = false;
	dev->started_queues = 0;
}

static int connect_with_timeout(struct vu_dev *dev, uint32_t timeout_ms, char *err, size_t errlen)
{
	int fd, r;

	fd = connect_retry(dev->socket_path, timeout_ms, err, errlen);
	if (fd < 0)
		return fd;
	dev->conn.fd = fd;
	dev->conn.err[0] = 0;
	atomic_store(&dev->state, ((atomic_load(&dev->state) >> 1) + 1) << 1);
	r = negotiate(dev, err, errlen);
	if (r == 0)
		r = vu_thread_start(dev);
	if (r) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", dev->name, strerror(-r));
		close_connection(dev);
		atomic_fetch_or(&dev->state, 1);
		return r;
	}
	pr_info_rl("%s: connected to vhost-user back-end %s (features 0x%llx, protocol 0x%llx)",
		   dev->name, dev->socket_path, (unsigned long long)dev->backend_features,
		   (unsigned long long)dev->protocol_features);
	return 0;
}

int vu_dev_connect(struct vu_dev *dev, char *err, size_t errlen)
{
	err[0] = 0;
	return connect_with_timeout(dev, dev->connect_timeout_ms, err, errlen);
}

/* Guest reset after back-end death: try the socket again (lock held). */
int vu_dev_reconnect(struct vu_dev *dev)
{
	char err[256] = "";
	uint64_t old_features = dev->vdev.host_features;
	int r;

	if (!vu_dead(dev) || !dev->reconnect_ms)
		return vu_dead(dev) ? -ENOTCONN : 0;
	close_connection(dev);
	/* Called from vCPU context: one short attempt, the next reset tries again. */
	r = connect_with_timeout(dev, dev->reconnect_ms < RECONNECT_WINDOW_MS ? dev->reconnect_ms :
				 RECONNECT_WINDOW_MS, err, sizeof(err));
	if (r) {
		pr_warn_rl("%s: reconnect failed: %s", dev->name, err);
		return r;
	}
	if ((dev->vdev.host_features & old_features) != old_features)
		pr_warn_rl("%s: reconnected back-end offers fewer features (0x%llx, was 0x%llx)",
			   dev->name, (unsigned long long)dev->vdev.host_features,
			   (unsigned long long)old_features);
	dev->vdev.host_features = old_features;
	pr_info_rl("%s: reconnected to %s", dev->name, dev->socket_path);
	return 0;
}

void vu_dev_free(struct vu_dev *dev)
{
	if (!dev)
		return;
	close_connection(dev);
	vu_thread_wait_all(dev);
	vu_shmem_destroy(dev);
	if (dev->kind && dev->kind->destroy)
		dev->kind->destroy(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev->socket_path);
	free(dev);
}

bool vhost_user_backend_dead(struct virtio_device *vdev)
{
	return vu_dead(to_vu_dev(vdev));
}
