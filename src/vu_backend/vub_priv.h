/* SPDX-License-Identifier: MIT */
/* vhost-user back-end internals. */
#ifndef MICROVM_VU_BACKEND_PRIV_H
#define MICROVM_VU_BACKEND_PRIV_H

#include <pthread.h>

#include "util/worker.h"
#include <stdatomic.h>

#include "mm/guest_mem.h"
#include "vhost_user/msg.h"
#include "vu_backend/vu_backend.h"

/* The split-ring walker takes a struct guest_mem: at most that many regions. */
#define VUB_MAX_REGIONS GUEST_MEM_MAX_REGIONS

struct vub_region {
	uint64_t gpa, size, uva, mmap_offset;
	void *map;                   /* mmap of [0, mmap_offset + size) of the fd */
	size_t map_len;
};

struct vub_vq {
	struct vub *b;
	unsigned int idx;
	uint16_t num;
	uint16_t base;               /* SET_VRING_BASE / last GET_VRING_BASE */
	struct vhost_vring_addr addr;
	bool addr_set;
	int kick_fd, call_fd, err_fd;
	unsigned int kick_gen;       /* bumped when kick_fd changes */
	bool enabled;
	bool ready;                  /* vq initialised and started */
	struct virtq vq;
	struct virtq_elem elem;
	struct worker worker;        /* the queue's thread (util/worker.h) */
	int wake_fd;                 /* eventfd: re-read kick_fd */
};

struct vub {
	struct vub_device dev;
	struct vu_conn conn;
	pthread_rwlock_t lock;       /* writers: main thread on ring/memory changes */
	uint64_t features;           /* SET_FEATURES */
	uint64_t protocol;           /* SET_PROTOCOL_FEATURES */
	bool owner;
	unsigned int nr_regions;
	struct vub_region regions[VUB_MAX_REGIONS];
	struct guest_mem gm;
	struct vub_vq vqs[VUB_MAX_QUEUES];
	atomic_bool stopping;        /* fast check between chains; stop_fd wakes the loops */
	int stop_fd;                 /* eventfd written by vub_stop(): final for this vub */
	uint64_t nr_msgs;            /* requests received on this connection */
	char why[160];               /* the current request's failure reason (handle() logs it) */

	pthread_mutex_t chan_lock;   /* backend channel: one request in flight */
	struct vu_conn chan;         /* chan.fd -1 = none */
};

static inline bool vub_has_protocol(const struct vub *b, unsigned int bit)
{
	return b->protocol & (1ull << bit);
}

/* mem.c (write lock held) */
int vub_set_mem_table(struct vub *b, struct vu_msg *m);
int vub_add_mem_reg(struct vub *b, struct vu_msg *m);
int vub_rem_mem_reg(struct vub *b, struct vu_msg *m);
void vub_mem_clear(struct vub *b);
/* Front-end virtual address -> guest-physical, len bytes inside one region. */
int vub_uva_to_gpa(const struct vub *b, uint64_t uva, uint64_t len, uint64_t *gpa);

/* vring.c */
int vub_vrings_init(struct vub *b);
void vub_vrings_fini(struct vub *b);
/* Message handlers: 0 = done, 1 = reply filled in, -errno = failure. */
int vub_set_vring_num(struct vub *b, struct vu_msg *m, struct vu_msg *reply);
int vub_set_vring_addr(struct vub *b, struct vu_msg *m, struct vu_msg *reply);
int vub_set_vring_base(struct vub *b, struct vu_msg *m, struct vu_msg *reply);
int vub_get_vring_base(struct vub *b, struct vu_msg *m, struct vu_msg *reply);
int vub_set_vring_fd(struct vub *b, struct vu_msg *m, struct vu_msg *reply);  /* KICK/CALL/ERR */
int vub_set_vring_enable(struct vub *b, struct vu_msg *m, struct vu_msg *reply);
/* Re-translates started rings after a memory change (write lock held). */
void vub_vrings_remap(struct vub *b);
/* Stops every ring (write lock held). */
void vub_vrings_reset(struct vub *b);

#endif
