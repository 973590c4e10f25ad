/* SPDX-License-Identifier: MIT */
/*
 * vhost-user back-end library: the device side of the protocol the front-end in
 * src/vhost_user/ speaks, sharing its message codec (vhost_user/msg.h).
 *
 * vub_serve() answers one front-end on a connected socket: feature negotiation, the memory
 * table (each region's fd mmapped, GPA and front-end address translation with bounds checks),
 * vrings (split rings walked by src/virtio/virtqueue.c), kick/call eventfds, GET_CONFIG,
 * GET_SHMEM_CONFIG, and the backend channel (SET_BACKEND_REQ_FD). Each queue has a worker
 * thread that pops chains and hands them to dev->process().
 *
 * vub_shmem_map()/vub_shmem_unmap() send VHOST_USER_BACKEND_SHMEM_MAP/UNMAP on the backend
 * channel and wait for the front-end's REPLY_ACK answer; callable from worker threads.
 */
#ifndef MICROVM_VU_BACKEND_H
#define MICROVM_VU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost_user/msg.h"
#include "virtio/virtqueue.h"

struct vub;

struct vub_device {
	const char *name;               /* for messages */
	uint64_t features;              /* device-specific virtio features offered */
	unsigned int nr_queues;         /* 1..VUB_MAX_QUEUES */
	const void *config;             /* GET_CONFIG answers from here */
	uint32_t config_size;
	uint64_t shm_size[1];           /* GET_SHMEM_CONFIG: region 0 size, 0 = none */
	/* Serves one chain on queue q; returns bytes written to the device-writable buffers. */
	uint32_t (*process)(void *opaque, unsigned int q, const struct virtq_elem *elem);
	/* RESET_DEVICE / RESET_OWNER / disconnect: the front-end dropped its state. */
	void (*reset)(void *opaque);
	void *opaque;
};

#define VUB_MAX_QUEUES 64
#define VUB_REPLY_TIMEOUT_MS 5000

/* Protocol features offered (bit numbers from vhost_user/msg.h). */
#define VUB_PROTOCOL_FEATURES ((1ull << VHOST_USER_PROTOCOL_F_MQ) | \
			       (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
			       (1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ) | \
			       (1ull << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD) | \
			       (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | \
			       (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | \
			       (1ull << VHOST_USER_PROTOCOL_F_SHMEM) | \
			       (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

struct vub *vub_new(const struct vub_device *dev);
void vub_free(struct vub *b);

/*
 * Listening socket at path (mode 0600). A stale socket (nobody accepting) is replaced; a live
 * one or a non-socket file is an error. Returns the fd, or -errno with the reason in err.
 */
int vub_listen(const char *path, char *err, size_t errlen);
/* Accepts one front-end. Returns the connected fd or -errno. */
int vub_accept(int listen_fd);

/*
 * Serves the front-end on conn_fd (ownership passes) until it disconnects: 0, or -errno on a
 * fatal error. Worker threads are started and joined inside. Not re-entrant per vub.
 */
int vub_serve(struct vub *b, int conn_fd);
/*
 * Asks vub_serve() to return, now or the next time it is called: final (async-signal-safe, an
 * eventfd write). vub_stop_fd() is readable from then on, for the caller's own accept loop.
 */
void vub_stop(struct vub *b);
int vub_stop_fd(const struct vub *b);

/*
 * Backend channel client. MAP sends one fd; flags: VHOST_USER_FLAG_MAP_RW. Both wait for the
 * front-end's u64 reply when REPLY_ACK was negotiated (0 = ok; anything else -EIO) and are
 * serialised. -ENOTCONN without a channel, -EOPNOTSUPP without BACKEND_SEND_FD/SHMEM.
 */
int vub_shmem_map(struct vub *b, uint8_t shmid, int fd, uint64_t fd_offset, uint64_t shm_offset,
		  uint64_t len, uint64_t flags);
int vub_shmem_unmap(struct vub *b, uint8_t shmid, uint64_t shm_offset, uint64_t len);

/* Negotiated state (tests, logs). */
uint64_t vub_features(const struct vub *b);
uint64_t vub_protocol_features(const struct vub *b);
unsigned int vub_nr_regions(struct vub *b);
/* Requests received on the last (or current) connection: 0 = a probe that only connected. */
uint64_t vub_nr_messages(const struct vub *b);

#endif
