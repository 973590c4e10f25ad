/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message codec over a Unix stream socket (QEMU docs/interop/vhost-user.rst).
 *
 * A message is a 12-byte header {u32 request; u32 flags; u32 size} followed by size bytes of
 * payload, native endian, with up to VHOST_USER_MAX_FDS file descriptors in SCM_RIGHTS. The
 * vhost-user-specific structures are not in the kernel UAPI and are defined here; the ones the
 * kernel vhost API shares (vring state/address) come from linux/vhost_types.h.
 *
 * Every receive path validates the header (version, flags, size limit), closes descriptors it
 * does not hand to the caller, retries EINTR/short transfers and gives up at a deadline.
 */
#ifndef MICROVM_VHOST_USER_MSG_H
#define MICROVM_VHOST_USER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vhost_types.h>

/* Front-end -> back-end requests (main socket). */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_GET_SHMEM_CONFIG = 44,
	VHOST_USER_MAX_REQUEST = 45,
};

/* Back-end -> front-end requests (backend channel, SET_BACKEND_REQ_FD). */
enum vhost_user_backend_request {
	VHOST_USER_BACKEND_NONE = 0,
	VHOST_USER_BACKEND_IOTLB_MSG = 1,
	VHOST_USER_BACKEND_CONFIG_CHANGE_MSG = 2,
	VHOST_USER_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
	VHOST_USER_BACKEND_VRING_CALL = 4,
	VHOST_USER_BACKEND_VRING_ERR = 5,
	VHOST_USER_BACKEND_SHARED_OBJECT_ADD = 6,
	VHOST_USER_BACKEND_SHARED_OBJECT_REMOVE = 7,
	VHOST_USER_BACKEND_SHARED_OBJECT_LOOKUP = 8,
	VHOST_USER_BACKEND_SHMEM_MAP = 9,
	VHOST_USER_BACKEND_SHMEM_UNMAP = 10,
	VHOST_USER_BACKEND_MAX_REQUEST = 11,
};

/* Virtio feature bit reserved by vhost-user: the back-end has protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_USER_PROTOCOL_F_RARP 2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_MTU 4
#define VHOST_USER_PROTOCOL_F_BACKEND_REQ 5
#define VHOST_USER_PROTOCOL_F_CROSS_ENDIAN 6
#define VHOST_USER_PROTOCOL_F_CRYPTO_SESSION 7
#define VHOST_USER_PROTOCOL_F_PAGEFAULT 8
#define VHOST_USER_PROTOCOL_F_CONFIG 9
#define VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD 10
#define VHOST_USER_PROTOCOL_F_HOST_NOTIFIER 11
#define VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13
#define VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VHOST_USER_PROTOCOL_F_STATUS 16
#define VHOST_USER_PROTOCOL_F_SHMEM 22

/* Header flags. */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_REPLY_MASK 0x4u
#define VHOST_USER_NEED_REPLY_MASK 0x8u
#define VHOST_USER_KNOWN_FLAGS (VHOST_USER_VERSION_MASK | VHOST_USER_REPLY_MASK | \
				VHOST_USER_NEED_REPLY_MASK)

/* SET_VRING_KICK/CALL/ERR u64: bits 0-7 vring index, bit 8 "no fd". */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD_MASK (1u << 8)

#define VHOST_USER_MAX_FDS 8              /* per message on the main socket */
#define VHOST_USER_MEMORY_MAX_NREGIONS 8  /* SET_MEM_TABLE */
#define VHOST_USER_MAX_CONFIG_SIZE 256    /* GET_CONFIG/SET_CONFIG payload */
#define VHOST_USER_MAX_SHM_REGIONS 256
#define VHOST_USER_HDR_SIZE 12u
/* Largest payload accepted: the 2056-byte GET_SHMEM_CONFIG reply fits, anything above 4 KiB is bogus. */
#define VHOST_USER_MAX_PAYLOAD 4096u

/* SHMEM_MAP flags */
#define VHOST_USER_FLAG_MAP_RW (1ull << 0)

struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhost_user_memory_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_user_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_memory_region regions[VHOST_USER_MEMORY_MAX_NREGIONS];
};

/* ADD_MEM_REG / REM_MEM_REG */
struct vhost_user_mem_reg {
	uint64_t padding;
	struct vhost_user_memory_region region;
};

/* GET_CONFIG / SET_CONFIG */
struct vhost_user_config_msg {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};
#define VHOST_USER_CONFIG_HDR_SIZE 12u
#define VHOST_SET_CONFIG_TYPE_FRONTEND 0u

/* Backend SHMEM_MAP / SHMEM_UNMAP: 40 bytes. */
struct vhost_user_mmap {
	uint8_t shmid;
	uint8_t padding[7];
	uint64_t fd_offset;
	uint64_t shm_offset;
	uint64_t len;
	uint64_t flags;
};

/* GET_SHMEM_CONFIG reply: 2056 bytes. */
struct vhost_user_shmem_config {
	uint32_t nregions;
	uint32_t padding;
	uint64_t memory_sizes[VHOST_USER_MAX_SHM_REGIONS];
};

/* VRING_HOST_NOTIFIER_MSG */
struct vhost_user_vring_area {
	uint64_t u64;
	uint64_t size;
	uint64_t offset;
};

union vhost_user_payload {
	uint64_t u64;
	struct vhost_vring_state state;
	struct vhost_vring_addr addr;
	struct vhost_user_memory memory;
	struct vhost_user_mem_reg mem_reg;
	struct vhost_user_config_msg config;
	struct vhost_user_mmap mmap;
	struct vhost_user_shmem_config shmem;
	struct vhost_user_vring_area area;
	uint8_t raw[VHOST_USER_MAX_PAYLOAD];
};

struct vu_msg {
	struct vhost_user_hdr hdr;
	union vhost_user_payload payload;
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nr_fds;
};

/* One end of a vhost-user socket: fd, reply timeout, last error text for logs/tests. */
struct vu_conn {
	int fd;
	int timeout_ms;         /* per blocking step; <= 0 means 5000 */
	const char *name;       /* device name for messages */
	/* names the requests this channel carries in messages; NULL: front-end requests
	 * (vu_request_name); the backend channel's ends use vu_backend_request_name */
	const char *(*request_name)(uint32_t request);
	bool reply_ack;         /* REPLY_ACK negotiated: ask NEED_REPLY on no-reply requests */
	char err[256];
};

/* Names for logs ("SET_VRING_ADDR", "unknown(99)"); buf used for unknown values. */
const char *vu_request_name(uint32_t request);
const char *vu_backend_request_name(uint32_t request);

/*
 * Size rules. vu_request_size_ok: is size exact for this front-end request (with its payload
 * for variable-size ones)? vu_reply_size: expected reply payload size of a front-end request
 * given the request that was sent, -1 if the request has no reply of its own.
 * vu_backend_request_size_ok: the same for back-end channel requests.
 */
bool vu_request_size_ok(const struct vu_msg *m);
int vu_reply_size(const struct vu_msg *req);
bool vu_backend_request_size_ok(const struct vu_msg *m);

/* Message setup helpers. */
void vu_msg_init(struct vu_msg *m, uint32_t request, uint32_t size);
void vu_msg_close_fds(struct vu_msg *m);

/*
 * Low-level transfer. vu_msg_send writes header + payload (+ fds) completely, or fails.
 * vu_msg_recv reads one message: header checks (version 1, no unknown flags, size <=
 * VHOST_USER_MAX_PAYLOAD), at most VHOST_USER_MAX_FDS descriptors (more: all closed and
 * -ETOOMANYREFS, with m->hdr valid: the message was read whole, the stream is still in sync).
 * timeout_ms < 0 waits forever. Both return 0 or -errno (-ETIMEDOUT, -ECONNRESET on EOF,
 * -EPROTO on malformed input) with text in c->err; on failure m holds no descriptors.
 */
int vu_msg_send(struct vu_conn *c, const struct vu_msg *m);
int vu_msg_recv(struct vu_conn *c, struct vu_msg *m, int timeout_ms);
/*
 * vu_msg_recv for the answer to a request just sent: waits for the socket to be readable
 * first, instead of a non-blocking read that would find nothing yet (one syscall less per
 * round trip). Same results as vu_msg_recv.
 */
int vu_msg_recv_reply(struct vu_conn *c, struct vu_msg *m, int timeout_ms);

/* Checks that reply answers req: REPLY flag, version 1, same request, exact size, no fds. */
int vu_check_reply(struct vu_conn *c, const struct vu_msg *req, const struct vu_msg *reply);

/*
 * One front-end transaction: checks req's size, sends it (with NEED_REPLY when the request has
 * no reply and c->reply_ack), then reads and validates the reply or the REPLY_ACK status
 * (non-zero -> -EIO). reply may be NULL for requests without a reply. req's fds are not closed.
 */
int vu_call(struct vu_conn *c, struct vu_msg *req, struct vu_msg *reply);

#endif
