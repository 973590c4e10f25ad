/* SPDX-License-Identifier: MIT */
/*
 * microvm-virtiofsd FUSE server: a passthrough file system over one shared directory.
 *
 * The server is transport-free: vfsd_dispatch() takes one FUSE request (header + arguments, as
 * the guest put them in the device-readable buffers) and writes the reply into the
 * device-writable buffers. The vhost-user glue (main_virtiofsd.c) feeds it from the request
 * queues; unit tests and the fuzzer call it directly.
 *
 * Every guest-controlled value is checked: header length against the buffer, per-opcode
 * argument sizes, NUL-terminated single-component names, node ids and file handles against
 * the tables. Files are only reached relative to directory fds opened with O_PATH|O_NOFOLLOW,
 * starting at the shared directory; symlinks are never followed on the host.
 *
 * DAX: FUSE_SETUPMAPPING/REMOVEMAPPING go to the map/unmap callbacks (vhost-user
 * SHMEM_MAP/UNMAP on shm region 0) and are answered after those return.
 */
#ifndef MICROVM_VIRTIOFSD_VFSD_H
#define MICROVM_VIRTIOFSD_VFSD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* DAX window callbacks: map len bytes of fd at fd_offset to window offset shm_offset. */
struct vfsd_dax_ops {
	int (*map)(void *opaque, int fd, uint64_t fd_offset, uint64_t shm_offset, uint64_t len,
		   bool writable);
	int (*unmap)(void *opaque, uint64_t shm_offset, uint64_t len);
	void *opaque;
};

struct vfsd_options {
	const char *shared_dir;
	bool readonly;
	uint64_t window_size;        /* DAX window (shm region 0) bytes; 0 = no DAX */
	const struct vfsd_dax_ops *dax; /* NULL = no DAX */
	double timeout_s;            /* entry/attr cache timeout answered to the guest */
};

struct vfsd_stats {
	atomic_uint_fast64_t requests;
	atomic_uint_fast64_t errors;       /* error replies */
	atomic_uint_fast64_t setupmapping;
	atomic_uint_fast64_t removemapping;/* ranges removed */
	atomic_uint_fast64_t live_mappings;
};

struct vfsd;

/* Opens the shared directory. Returns NULL with a message on error (errno set). */
struct vfsd *vfsd_new(const struct vfsd_options *opt);
/* Closes every fd; the DAX callbacks are not called (the front-end drops mappings itself). */
void vfsd_destroy(struct vfsd *fs);

/*
 * Handles one request: in/in_len is the request (the device-readable buffers, flattened),
 * out/out_n the device-writable buffers. Returns the number of reply bytes written to out, 0
 * when the request has no reply (FORGET, BATCH_FORGET, INTERRUPT) or the buffers cannot hold
 * even a reply header. Never fails otherwise: errors become FUSE error replies. Thread-safe.
 */
size_t vfsd_dispatch(struct vfsd *fs, const void *in, size_t in_len, const struct iovec *out,
		     unsigned int out_n);

/* Largest request accepted (header + WRITE payload). */
size_t vfsd_max_request(const struct vfsd *fs);

const struct vfsd_stats *vfsd_get_stats(const struct vfsd *fs);
/* Live nodes and open handles (tests, counters). */
unsigned long vfsd_nr_inodes(struct vfsd *fs);
unsigned long vfsd_nr_handles(struct vfsd *fs);

/*
 * Front-end reset (RESET_DEVICE, disconnect): forgets every node, handle and DAX mapping
 * without calling the DAX callbacks (the front-end dropped the mappings itself).
 */
void vfsd_reset(struct vfsd *fs);

/* Unmaps every DAX mapping through the callbacks (DESTROY, shutdown). Returns live count left. */
unsigned long vfsd_dax_drop_all(struct vfsd *fs);

#endif
