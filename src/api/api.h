/* SPDX-License-Identifier: MIT */
/*
 * Control API: HTTP/1.1 + JSON on a UNIX socket ([api] socket, --api-socket), with Cloud
 * Hypervisor's paths and body shapes where CH has the operation (README, "Control API").
 *
 *   server.c   the socket (0600, stale-socket replacement) and the API thread: libmicrohttpd
 *              driven from our own thread (no library threads), caps and slow-client deadline
 *   router.c   method + path -> handler table; body parsing; status codes and error bodies
 *   views.c    JSON views of the VM (ping, info, counters, shm) from the snapshots below
 *   ctl.c      `microvm ctl SOCKET VERB`, the client (libcurl)
 *
 * The API reaches the rest of the VMM only through struct api_ops (src/vmm/machine_api.c).
 * Every op is called on the API thread; none blocks for long (pause waits a bounded time for
 * the vCPUs to park), none takes a lock a vCPU or a backend-channel thread holds across I/O.
 */
#ifndef MICROVM_API_API_H
#define MICROVM_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_config;
struct shm_region;

enum api_vm_state { API_VM_RUNNING, API_VM_PAUSED, API_VM_SHUTDOWN };

/* One device, as the machine describes it (counters are a snapshot). */
struct api_device {
	const char *name;              /* "virtio-blk0", "vhost-user-fs0" */
	const char *kind;              /* "virtio-blk", "vhost-user-fs", "vhost-user" */
	uint16_t virtio_id;
	const char *path;              /* disk image or back-end socket */
	bool is_blk;
	struct {
		uint64_t reads, writes, flushes, discards, write_zeroes, get_id, unsupported;
		uint64_t read_bytes, write_bytes, io_errors;
	} blk;
	bool is_vhost_user;
	struct {
		bool connected;
		uint64_t requests;     /* backend-channel requests served */
		uint64_t refused;      /* of them answered with failure */
	} vu;
	unsigned int nr_shm;           /* shared memory regions (vhost-user) */
	struct shm_region *const *shm; /* valid while the API runs (devices outlive it) */
	uint64_t gpa[4];               /* where the guest sees shm[i] (VIRTIO_MAX_SHM_REGIONS); ~0: none */
};

struct api_vcpu {
	unsigned int id;
	uint64_t exits;                /* every KVM_RUN return */
	uint64_t user_exits;           /* exits handled in microvm */
	/* exits by reason (KVM_EXIT_*), when the vCPU loop counts them; names from the table */
	unsigned int nr_reasons;
	const char *const *reason_names;
	uint64_t reasons[64];
};

struct api_ops {
	/* Actions: 0 or -errno (-EALREADY: already in that state, -ENOTSUP, -ETIMEDOUT). */
	int (*pause)(void *ctx);
	int (*resume)(void *ctx);
	int (*shutdown)(void *ctx);
	int (*reboot)(void *ctx);
	int (*power_button)(void *ctx);
	/* Views. */
	enum api_vm_state (*state)(void *ctx);
	const struct vm_config *(*config)(void *ctx);
	unsigned int (*nr_devices)(void *ctx);
	int (*device)(void *ctx, unsigned int i, struct api_device *out);
	unsigned int (*nr_vcpus)(void *ctx);
	int (*vcpu)(void *ctx, unsigned int i, struct api_vcpu *out);
};

struct api_vmm {
	const struct api_ops *ops;
	void *ctx;
	const char *version;
};

/* Limits of the server (server.c) and the request handler (router.c). */
#define API_MAX_BODY        4096u      /* request body bytes */
#define API_MAX_HEADERS     32u        /* request header lines */
#define API_MAX_CONNECTIONS 16u        /* open connections; more wait in the listen backlog */
#define API_CONN_MEMORY     8192u      /* per connection: request line + headers must fit */
#define API_IDLE_TIMEOUT_S  2u         /* no byte for this long: connection closed */
#define API_CONN_DEADLINE_S 5u         /* a connection lives at most this long (slow clients) */

/* A response: HTTP status and a JSON body (heap, NULL for 204). */
struct api_reply {
	unsigned int status;
	char *body;
};

/*
 * The request handler: method, path (without the query) and body -> reply. Pure (no I/O but
 * the ops); bodies are parsed with json-c. Returns 0, or -ENOMEM (reply->status 500, no body).
 */
int api_handle(const struct api_vmm *vmm, const char *method, const char *path,
	       const char *body, size_t body_len, struct api_reply *reply);
void api_reply_free(struct api_reply *reply);
/* A JSON error body {"error": msg} with status (4xx/5xx). */
int api_reply_error(struct api_reply *reply, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* views.c: JSON text of each view (heap) or NULL on ENOMEM. */
char *api_view_ping(const struct api_vmm *vmm);
char *api_view_info(const struct api_vmm *vmm);
char *api_view_counters(const struct api_vmm *vmm);
char *api_view_shm(const struct api_vmm *vmm);

/*
 * server.c. api_server_open (setup, main thread): creates the socket at path (0600; a stale
 * socket file nobody listens on is replaced; a live one is -EADDRINUSE). api_server_start:
 * starts the API thread. api_server_stop: stops and joins it, closes and removes the socket.
 * Errors: -errno with a reason in err.
 */
struct api_server;
struct api_server *api_server_open(const char *path, const struct api_vmm *vmm, char *err,
				   size_t errlen);
int api_server_start(struct api_server *s, char *err, size_t errlen);
void api_server_stop(struct api_server *s);

/* ctl.c: `microvm ctl SOCKET VERB [-j]`; argv[0] is "ctl". Returns the exit status. */
int api_ctl_main(int argc, char **argv);

#endif
