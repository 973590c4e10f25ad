/* SPDX-License-Identifier: MIT */
/*
 * vhost-user VIRTIO shared memory: the front-end side of VHOST_USER_BACKEND_SHMEM_MAP (9) and
 * VHOST_USER_BACKEND_SHMEM_UNMAP (10) on the backend channel, and the parser of the
 * VHOST_USER_GET_SHMEM_CONFIG (44) reply. Mapping state lives in src/mm/shm_region.h.
 *
 * Dispatch (backend-channel thread): for a received message m of request 9 or 10 call
 *
 *	ret = vu_shmem_handle(dev_name, regions, nr_regions, protocol_features, &m);
 *
 * then reply ret (0 = success, non-zero = failure) when NEED_REPLY is set, and close m's fds
 * (vu_msg_close_fds): the handler never keeps or closes the received descriptors; a mapping
 * holds its own reference. Every failure is logged with the request fields. The handler sends
 * nothing on any socket, so the caller replies first, before anything else goes to the backend.
 */
#ifndef MICROVM_VHOST_USER_SHMEM_H
#define MICROVM_VHOST_USER_SHMEM_H

#include <stddef.h>
#include <stdint.h>

#include "mm/shm_region.h"
#include "vhost_user/msg.h"
#include "vhost_user/vhost_user.h"

#define VU_SHMEM_MMAP_SIZE 40u
#define VU_SHMEM_CONFIG_SIZE 2056u

_Static_assert(sizeof(struct vhost_user_mmap) == VU_SHMEM_MMAP_SIZE, "VhostUserMMap is 40 bytes");
_Static_assert(sizeof(struct vhost_user_shmem_config) == VU_SHMEM_CONFIG_SIZE,
	       "VhostUserShMemConfig is 2056 bytes");

/*
 * Full validation of a backend-channel SHMEM request: request is 9 or 10, SHMEM negotiated in
 * protocol_features, payload exactly 40 bytes, exactly one fd for MAP and none for UNMAP, shmid
 * known (regions[i]->id; NULL entries are skipped), only flag bit 0 for MAP (UNMAP ignores
 * flags, as QEMU does), then the region's own checks. Returns 0 or -errno; the mapping state is unchanged on
 * failure. name is the device name for log lines (may be NULL).
 */
int vu_shmem_handle(const char *name, struct shm_region **regions, unsigned int nr,
		    uint64_t protocol_features, const struct vu_msg *m);

/* The two handlers behind vu_shmem_handle, for callers that already checked the envelope
 * (feature, size, fd count). fd is borrowed. 0 or -errno, every failure logged. */
int vu_shmem_map_regions(struct shm_region **regions, unsigned int nr,
			 const struct vhost_user_mmap *req, int fd);
int vu_shmem_unmap_regions(struct shm_region **regions, unsigned int nr,
			   const struct vhost_user_mmap *req);

/* The region with this shmid, or NULL. */
struct shm_region *vu_shmem_find(struct shm_region **regions, unsigned int nr, uint8_t shmid);

/*
 * Parses a GET_SHMEM_CONFIG reply payload: size exactly 2056, nregions <= 256, nregions equal to
 * the number of non-zero sizes (spec: "num regions specifies the number of valid regions
 * (non-zero size). The array index corresponds to the shmid"), every non-zero size a multiple of
 * 2 MiB (microvm's region granule; this also makes it a page multiple) and at most
 * SHM_REGION_MAX_SIZE, the sum at most half the 64-bit PCI window (128 GiB). sizes[i] is the size of shmid i (0 =
 * no region). Returns 0 or -EPROTO with a one-line reason in err.
 */
int vu_parse_shmem_config(const void *payload, size_t size, uint64_t sizes[256],
			  unsigned int *nregions, char *err, size_t errlen);

/*
 * ---- Per vhost-user device: dev->shm_regions[] (same index as dev->vdev.shm[]) ----
 *
 * Set up at device creation, before the transport registers the device; the monitor thread may
 * already run (generic devices ask the connected back-end), so regions are published one by one
 * (vu_shmem_count): vu_shmem_add_regions (fs: sizes[0] = cache_size) or vu_shmem_query_config
 * (generic devices: GET_SHMEM_CONFIG). Both fill dev->vdev.shm[] / nr_shm (id, size, hva) for
 * the transport. vu_shmem_reset drops every mapping (device reset, back-end disconnect).
 * vu_shmem_destroy after the transport removed its memslots (VM exit / device destroy).
 */

/* Regions published so far (acquire): what other threads may use. */
unsigned int vu_shmem_count(const struct vu_dev *dev);
/* Drops every mapping of every region of dev. Thread-safe against the backend channel. */
void vu_shmem_reset(struct vu_dev *dev);
/* Creates one region per non-zero sizes[shmid] (2 MiB multiples). 0 or -errno, err set. */
int vu_shmem_add_regions(struct vu_dev *dev, const uint64_t sizes[256], char *err, size_t errlen);
/*
 * Generic devices: when SHMEM is negotiated, sends GET_SHMEM_CONFIG (dev->lock held, like every
 * main-socket call), parses the reply and creates the regions. Without SHMEM: 0, no regions. A
 * malformed reply: -EPROTO with the reason in err (fail device setup).
 */
int vu_shmem_query_config(struct vu_dev *dev, char *err, size_t errlen);
/*
 * GET_SHMEM_CONFIG only: fills sizes[] (index = shmid) and *nregions. Returns 1 when the reply was
 * valid, 0 when SHMEM is not negotiated (nothing sent), -errno with err on failure.
 */
int vu_shmem_fetch_config(struct vu_dev *dev, uint64_t sizes[256], unsigned int *nregions,
			  char *err, size_t errlen);
/* Releases every region. Safe when nothing was set up. */
void vu_shmem_destroy(struct vu_dev *dev);
/* Counters of region shmid of dev: 0, or -ENOENT. */
int vu_shmem_get_stats(struct vu_dev *dev, uint8_t shmid, struct shm_region_stats *out);

#endif
