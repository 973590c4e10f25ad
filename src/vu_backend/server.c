// SPDX-License-Identifier: MIT
/*
 * vhost-user back-end main loop: receives front-end requests, checks their size with the
 * shared codec's table, dispatches through a table of handlers (under the write lock, so the
 * queue workers never see a half-changed ring or memory table) and answers: the request's own
 * reply, or the REPLY_ACK u64 when NEED_REPLY was set.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vu_backend/vub_priv.h"
#include "util/log.h"

typedef int (*vub_msg_fn)(struct vub *b, struct vu_msg *m, struct vu_msg *reply);

static uint64_t offered_features(const struct vub *b)
{
	return b->dev.features | (1ull << VIRTIO_F_VERSION_1) |
	       (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
	       (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

static uint64_t offered_protocol(const struct vub *b)
{
	uint64_t p = VUB_PROTOCOL_FEATURES;

	if (!b->dev.shm_size[0])
		p &= ~(1ull << VHOST_USER_PROTOCOL_F_SHMEM);
	if (!b->dev.config_size)
		p &= ~(1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	return p;
}

static int reply_u64(struct vu_msg *m, struct vu_msg *reply, uint64_t v)
{
	vu_msg_init(reply, m->hdr.request, 8);
	reply->payload.u64 = v;
	return 1;
}

static int get_features(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	return reply_u64(m, reply, offered_features(b));
}

static int set_features(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	uint64_t f = m->payload.u64;

	(void)reply;
	if (f & ~offered_features(b)) {
		pr_err_rl("%s: SET_FEATURES 0x%llx has bits we did not offer", b->dev.name,
			  (unsigned long long)f);
		return -EINVAL;
	}
	b->features = f;
	for (unsigned int i = 0; i < b->dev.nr_queues; i++)
		if (!b->vqs[i].ready)
			b->vqs[i].enabled = !(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	return 0;
}

static int get_protocol(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	return reply_u64(m, reply, offered_protocol(b));
}

static int set_protocol(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)reply;
	if (m->payload.u64 & ~offered_protocol(b)) {
		pr_err_rl("%s: SET_PROTOCOL_FEATURES 0x%llx has bits we did not offer", b->dev.name,
			  (unsigned long long)m->payload.u64);
		return -EINVAL;
	}
	b->protocol = m->payload.u64;
	return 0;
}

static int set_owner(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)m;
	(void)reply;
	b->owner = true;
	return 0;
}

static int reset(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)m;
	(void)reply;
	vub_vrings_reset(b);
	if (b->dev.reset)
		b->dev.reset(b->dev.opaque);
	return 0;
}

static int get_queue_num(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	return reply_u64(m, reply, b->dev.nr_queues);
}

static int get_max_mem_slots(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)b;
	return reply_u64(m, reply, VUB_MAX_REGIONS);
}

static int mem_table(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)reply;
	return vub_set_mem_table(b, m);
}

static int add_mem_reg(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)reply;
	return vub_add_mem_reg(b, m);
}

static int rem_mem_reg(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)reply;
	return vub_rem_mem_reg(b, m);
}

static int set_backend_req_fd(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)reply;
	if (m->nr_fds != 1)
		return -EINVAL;
	pthread_mutex_lock(&b->chan_lock);
	if (b->chan.fd >= 0)
		close(b->chan.fd);
	b->chan.fd = m->fds[0];
	pthread_mutex_unlock(&b->chan_lock);
	m->fds[0] = -1;
	m->nr_fds = 0;
	return 0;
}

/* GET_CONFIG: the reply repeats offset/size/flags; size 0 signals an error. */
static int get_config(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	const struct vhost_user_config_msg *c = &m->payload.config;

	*reply = *m;
	reply->nr_fds = 0;
	if (c->offset > b->dev.config_size || c->size > b->dev.config_size - c->offset) {
		pr_warn_rl("%s: GET_CONFIG offset %u size %u outside %u-byte config", b->dev.name,
			   c->offset, c->size, b->dev.config_size);
		memset(reply->payload.config.region, 0, c->size);
		return 1;
	}
	memcpy(reply->payload.config.region, (const uint8_t *)b->dev.config + c->offset, c->size);
	return 1;
}

static int set_config(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	(void)m;
	(void)reply;
	pr_warn_rl("%s: SET_CONFIG refused: the config space is read-only", b->dev.name);
	return -EPERM;
}

static int get_shmem_config(struct vub *b, struct vu_msg *m, struct vu_msg *reply)
{
	vu_msg_init(reply, m->hdr.request, sizeof(struct vhost_user_shmem_config));
	reply->payload.shmem.nregions = b->dev.shm_size[0] ? 1 : 0;
	reply->payload.shmem.memory_sizes[0] = b->dev.shm_size[0];
	return 1;
}

#define H(req, fn) [VHOST_USER_##req] = fn

static const vub_msg_fn handlers[VHOST_USER_MAX_REQUEST] = {
	H(GET_FEATURES, get_features),
	H(SET_FEATURES, set_features),
	H(SET_OWNER, set_owner),
	H(RESET_OWNER, reset),
	H(SET_MEM_TABLE, mem_table),
	H(SET_VRING_NUM, vub_set_vring_num),
	H(SET_VRING_ADDR, vub_set_vring_addr),
	H(SET_VRING_BASE, vub_set_vring_base),
	H(GET_VRING_BASE, vub_get_vring_base),
	H(SET_VRING_KICK, vub_set_vring_fd),
	H(SET_VRING_CALL, vub_set_vring_fd),
	H(SET_VRING_ERR, vub_set_vring_fd),
	H(GET_PROTOCOL_FEATURES, get_protocol),
	H(SET_PROTOCOL_FEATURES, set_protocol),
	H(GET_QUEUE_NUM, get_queue_num),
	H(SET_VRING_ENABLE, vub_set_vring_enable),
	H(SET_BACKEND_REQ_FD, set_backend_req_fd),
	H(GET_CONFIG, get_config),
	H(SET_CONFIG, set_config),
	H(RESET_DEVICE, reset),
	H(GET_MAX_MEM_SLOTS, get_max_mem_slots),
	H(ADD_MEM_REG, add_mem_reg),
	H(REM_MEM_REG, rem_mem_reg),
	H(GET_SHMEM_CONFIG, get_shmem_config),
};

static int send_ack(struct vub *b, const struct vu_msg *m, int ret)
{
	struct vu_msg ack;

	vu_msg_init(&ack, m->hdr.request, 8);
	ack.hdr.flags |= VHOST_USER_REPLY_MASK;
	ack.payload.u64 = ret < 0 ? (uint64_t)-ret : 0;
	return vu_msg_send(&b->conn, &ack);
}

/* Handles one received request. Returns 0, or -errno when the connection is unusable. */
static int handle(struct vub *b, struct vu_msg *m)
{
	uint32_t req = m->hdr.request;
	struct vu_msg *reply = malloc(sizeof(*reply));
	vub_msg_fn fn = req < VHOST_USER_MAX_REQUEST ? handlers[req] : NULL;
	int ret;

	if (!reply)
		return -ENOMEM;
	if (m->hdr.flags & VHOST_USER_REPLY_MASK) {
		ret = -EPROTO;
	} else if (!fn) {
		pr_warn_rl("%s: unsupported request %s", b->dev.name, vu_request_name(req));
		ret = -ENOSYS;
	} else if (!vu_request_size_ok(m)) {
		pr_warn_rl("%s: %s with bad payload size %u", b->dev.name, vu_request_name(req),
			   m->hdr.size);
		ret = -EINVAL;
	} else {
		b->why[0] = 0;
		pthread_rwlock_wrlock(&b->lock);
		ret = fn(b, m, reply);
		pthread_rwlock_unlock(&b->lock);
		if (ret < 0)
			pr_warn_rl("%s: %s failed: %s", b->dev.name, vu_request_name(req),
				   b->why[0] ? b->why : strerror(-ret));
	}
	vu_msg_close_fds(m);
	if (ret == 1) {
		reply->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
		ret = vu_msg_send(&b->conn, reply);
	} else if ((m->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
		   !(m->hdr.flags & VHOST_USER_REPLY_MASK)) {
		ret = send_ack(b, m, ret);
	} else {
		ret = 0;
	}
	free(reply);
	return ret;
}

int vub_serve(struct vub *b, int conn_fd)
{
	struct vu_msg *m = malloc(sizeof(*m));
	int ret;

	if (!m) {
		close(conn_fd);
		return -ENOMEM;
	}
	b->conn.fd = conn_fd;
	b->nr_msgs = 0;
	atomic_store(&b->stopping, false);
	ret = vub_vrings_init(b);
	while (ret == 0) {
		struct pollfd p[2] = { { .fd = conn_fd, .events = POLLIN },
				       { .fd = b->stop_fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (p[1].revents)
			break;
		ret = vu_msg_recv(&b->conn, m, VUB_REPLY_TIMEOUT_MS);
		if (ret == -ECONNRESET) {
			pr_info_rl("%s: front-end disconnected", b->dev.name);
			ret = 0;
			break;
		}
		if (ret < 0) {
			pr_err_rl("%s: %s", b->dev.name, b->conn.err);
			break;
		}
		b->nr_msgs++;
		ret = handle(b, m);
	}
	vub_vrings_fini(b);
	pthread_rwlock_wrlock(&b->lock);
	vub_mem_clear(b);
	pthread_rwlock_unlock(&b->lock);
	pthread_mutex_lock(&b->chan_lock);
	if (b->chan.fd >= 0)
		close(b->chan.fd);
	b->chan.fd = -1;
	pthread_mutex_unlock(&b->chan_lock);
	close(conn_fd);
	b->conn.fd = -1;
	free(m);
	return ret;
}

void vub_stop(struct vub *b)
{
	uint64_t one = 1;

	atomic_store(&b->stopping, true);
	(void)!write(b->stop_fd, &one, sizeof(one));
}

int vub_stop_fd(const struct vub *b)
{
	return b->stop_fd;
}

struct vub *vub_new(const struct vub_device *dev)
{
	pthread_rwlockattr_t attr;
	struct vub *b;

	if (!dev->nr_queues || dev->nr_queues > VUB_MAX_QUEUES || !dev->process ||
	    dev->config_size > VHOST_USER_MAX_CONFIG_SIZE || dev->shm_size[0] % 4096) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->dev = *dev;
	if (!b->dev.name)
		b->dev.name = "vhost-user-backend";
	b->conn = (struct vu_conn){ .fd = -1, .name = b->dev.name };
	b->chan = (struct vu_conn){ .fd = -1, .name = b->dev.name,
				    .timeout_ms = VUB_REPLY_TIMEOUT_MS,
				    .request_name = vu_backend_request_name };
	b->gm.fd = -1;
	b->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_fd < 0) {
		free(b);
		return NULL;
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&b->chan_lock, NULL);
	return b;
}

void vub_free(struct vub *b)
{
	if (!b)
		return;
	pthread_rwlock_destroy(&b->lock);
	pthread_mutex_destroy(&b->chan_lock);
	close(b->stop_fd);
	free(b);
}

uint64_t vub_features(const struct vub *b)
{
	return b->features;
}

uint64_t vub_protocol_features(const struct vub *b)
{
	return b->protocol;
}

uint64_t vub_nr_messages(const struct vub *b)
{
	return b->nr_msgs;
}

unsigned int vub_nr_regions(struct vub *b)
{
	unsigned int n;

	pthread_rwlock_rdlock(&b->lock);
	n = b->nr_regions;
	pthread_rwlock_unlock(&b->lock);
	return n;
}
