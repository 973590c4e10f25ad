/* SPDX-License-Identifier: MIT */
/*
 * vhost-user front-end: one struct vu_dev per device. It embeds the struct virtio_device the
 * virtio-pci transport drives; the back-end process gets guest RAM (memfd), the rings and the
 * transport's kick/call eventfds, so the data path never passes through the VMM.
 *
 * Locking: dev->lock serialises every main-socket transaction and the connection state. The
 * backend-channel thread never takes it (a back-end blocked on a backend-channel reply must not
 * wait for us to finish a main-socket request); it only reads the fields it got at start.
 *
 * Names: vu_ is this front-end, the VMM side (QEMU's front-end says vhost_user_), not the back-end
 * that libvhost-user's vu_ means: vu_dev, vu_activate, vu_chan_*. The back-end library
 * (src/vu_backend/) says vub_; the codec both ends share (msg.h) says vu_msg_*, vu_conn, vu_call.
 */
#ifndef MICROVM_VHOST_USER_H
#define MICROVM_VHOST_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/worker.h"
#include "vhost_user/msg.h"
#include "virtio/virtio_dev.h"

/* Backend-channel threads a device may have at once: the current one and returning ones. */
#define VU_CHAN_THREADS 4

struct vm;
struct vu_dev;

/* Device kind (fs, generic): what is specific to one virtio device type. */
struct vu_dev_kind {
	const char *name;
	/* Config space; NULL means GET_CONFIG/SET_CONFIG on the back-end. */
	void (*config_read)(struct vu_dev *dev, uint32_t offset, void *data, uint32_t len);
	void (*config_write)(struct vu_dev *dev, uint32_t offset, const void *data, uint32_t len);
	/* Is a protocol feature the back-end offers worth negotiating (e.g. SHMEM)? */
	bool (*want_protocol)(struct vu_dev *dev, unsigned int bit);
	void (*destroy)(struct vu_dev *dev);
	/*
	 * Optional, for kinds that own part of the device (virtio-net: config space, control queue).
	 * local_features: virtio bits the VMM implements itself; never sent in SET_FEATURES.
	 * backend_queues_needed: what GET_QUEUE_NUM must reach (NULL: vdev.nr_queues).
	 * backend_queue: is virtqueue i the back-end's (NULL: every queue is)?
	 * queue_enabled: SET_VRING_ENABLE value of queue i at start (NULL: 1).
	 * negotiated: after each successful negotiation (lock held): adjust vdev.host_features,
	 *   refuse a back-end that cannot serve the device. 0 or -errno with err set.
	 * start / stop: after the vrings went to the back-end, before they are taken back (lock
	 *   NOT held: a kind thread that takes dev->lock is joined in stop).
	 */
	uint64_t local_features;
	uint32_t (*backend_queues_needed)(struct vu_dev *dev);
	bool (*backend_queue)(struct vu_dev *dev, unsigned int i);
	bool (*queue_enabled)(struct vu_dev *dev, unsigned int i);
	int (*negotiated)(struct vu_dev *dev, char *err, size_t errlen);
	int (*start)(struct vu_dev *dev);
	void (*stop)(struct vu_dev *dev);
};

struct vu_options {
	const char *socket;
	uint32_t connect_timeout_ms; /* retry connect() until then; 0 = 5000 */
	uint32_t reconnect_ms;       /* 0 = no reconnect after back-end death; else on each guest
					reset/start, one attempt waiting up to min(this, 200) ms */
	uint32_t reply_timeout_ms;   /* per main-socket reply; 0 = 5000 */
};

struct vu_dev {
	struct virtio_device vdev;   /* vdev.priv == this */
	struct vm *vm;
	char name[48];
	char *socket_path;
	uint32_t connect_timeout_ms;
	uint32_t reconnect_ms;
	uint32_t reply_timeout_ms;
	const struct vu_dev_kind *kind;
	void *kind_priv;

	pthread_mutex_t lock;
	struct vu_conn conn;         /* main socket; conn.fd == -1 when disconnected */
	uint64_t backend_features;   /* GET_FEATURES */
	uint64_t protocol_features;  /* negotiated (SET_PROTOCOL_FEATURES) */
	uint32_t backend_queues;     /* GET_QUEUE_NUM (MQ), else 0 */
	uint32_t max_mem_slots;      /* GET_MAX_MEM_SLOTS (CONFIGURE_MEM_SLOTS), else 8 */
	bool mem_sent;               /* memory table sent on this connection */
	uint32_t mem_regions_added;  /* ADD_MEM_REG done, bit per guest RAM region */
	bool started;                /* vrings handed to the back-end */
	uint64_t started_queues;     /* bitmap of queues given to the back-end */
	int err_fds[VIRTIO_MAX_QUEUES]; /* SET_VRING_ERR eventfds, -1 none */
	uint16_t last_avail[VIRTIO_MAX_QUEUES]; /* GET_VRING_BASE results */

	/*
	 * Connection state, lock-free for the backend-channel thread: (generation << 1) | dead. That
	 * thread only marks its own generation dead, so a late report from the thread of a previous
	 * connection cannot kill a reconnected one.
	 */
	atomic_uint_fast64_t state;

	/*
	 * Backend-channel thread (backend_channel.c), one per connection: serves the channel and
	 * watches the main socket and the vring error eventfds. It owns copies of its descriptors,
	 * so stopping it never has to wait for it (it may be blocked in a transport callback): a
	 * stop only signals; the next connection reaps returned threads, teardown joins them all.
	 */
	int chan_fd;                 /* our end of the SET_BACKEND_REQ_FD socketpair until the
					thread takes it, -1 none */
	struct worker chan_threads[VU_CHAN_THREADS]; /* this and earlier connections' threads */
	struct worker *chan_cur;     /* the current connection's, NULL none */
	atomic_uint chan_requests;   /* backend requests served (tests, stats) */
	atomic_uint chan_failures;   /* backend requests answered with failure */
	/*
	 * VIRTIO shared memory regions: vdev.shm[] (the device owns the objects, shmem.c creates
	 * them, the transport reads them). SHMEM_MAP / SHMEM_UNMAP on the backend channel go to
	 * vu_shmem_map/unmap with that set; device reset drops every mapping.
	 */
};

static inline struct vu_dev *to_vu_dev(struct virtio_device *vdev)
{
	return (struct vu_dev *)vdev->priv;
}

static inline bool vu_dead(const struct vu_dev *dev)
{
	return atomic_load(&((struct vu_dev *)dev)->state) & 1;
}

static inline bool vu_has_protocol(const struct vu_dev *dev, unsigned int bit)
{
	return dev->protocol_features & (1ull << bit);
}

/* ---- Public constructors (src/vhost_user/fs.c, generic.c, net.c) ---- */

/*
 * Connects to the back-end (retrying until connect_timeout_ms), negotiates, and returns the
 * virtio device to register with the virtio-pci transport. NULL with a message in err on error.
 */
struct virtio_device *vhost_user_fs_create(struct vm *vm, const struct vhost_user_fs_config *cfg,
					   char *err, size_t errlen);
struct virtio_device *vhost_user_generic_create(struct vm *vm, const struct vhost_user_config *cfg,
						char *err, size_t errlen);
struct virtio_device *vhost_user_net_create(struct vm *vm, const struct vhost_user_net_config *cfg,
					    char *err, size_t errlen);
/* Stops the device, its thread, closes the connection and frees it. After transport teardown. */
void vhost_user_device_destroy(struct virtio_device *vdev);
/* True once the back-end connection died (until a successful reconnect). */
bool vhost_user_backend_dead(struct virtio_device *vdev);

/* ---- Shared by the vhost_user/ files ---- */

/* session.c */
struct vu_dev *vu_dev_new(struct vm *vm, const struct vu_options *opt, const char *name,
			  const struct vu_dev_kind *kind, char *err, size_t errlen);
/* Connect + negotiate (lock held by caller or during creation). 0 or -errno, message in err. */
int vu_dev_connect(struct vu_dev *dev, char *err, size_t errlen);
void vu_dev_free(struct vu_dev *dev);
/* After back-end death, when reconnect_ms > 0: connect + negotiate again (lock held). */
int vu_dev_reconnect(struct vu_dev *dev);
/* Main-socket transaction under dev->lock; marks the back-end dead on connection errors. */
int vu_dev_call(struct vu_dev *dev, struct vu_msg *req, struct vu_msg *reply);
/* SET_VRING_ENABLE (lock held); no-op without VHOST_USER_F_PROTOCOL_FEATURES. 0 or -errno. */
int vu_dev_vring_enable(struct vu_dev *dev, unsigned int i, bool enable);
/* The back-end is gone: set NEEDS_RESET, log once. Thread-safe. */
void vu_dev_mark_dead(struct vu_dev *dev, const char *why);
/* Same, only if the connection of generation gen is still the current one. */
void vu_dev_mark_dead_gen(struct vu_dev *dev, uint64_t gen, const char *why);
extern const struct virtio_device_ops vu_dev_ops;

/* backend_channel.c */
/* Creates the socketpair and sends SET_BACKEND_REQ_FD (lock held). */
int vu_chan_setup(struct vu_dev *dev);
/* Starts the backend-channel thread of the current connection (lock held). */
int vu_thread_start(struct vu_dev *dev);
/* Tells it to stop; it exits on its own (never waits). */
void vu_thread_stop(struct vu_dev *dev);
/* Joins every backend-channel thread of dev (no locks held). */
void vu_thread_wait_all(struct vu_dev *dev);
/* Serves one backend-channel message already received (exposed for tests and fuzzing). */
int vu_chan_handle(struct vu_dev *dev, struct vu_conn *chan, struct vu_msg *m);

#endif
