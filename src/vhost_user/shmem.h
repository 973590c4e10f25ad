/* SPDX-License-Identifier: MIT */
/*
 * vhost-user VIRTIO shared memory: the front-end side of VHOST_USER_BACKEND_SHMEM_MAP (9) and
 * VHOST_USER_BACKEND_SHMEM_UNMAP (10) on the backend channel, and the parser of the
 * VHOST_USER_GET_SHMEM_CONFIG (44) reply. Mapping state lives in src/mm/shm_region.h.
 *
 * The backend channel's request table (backend_channel.c) checks the envelope of requests 9
 * and 10 once (SHMEM negotiated, payload exactly 40 bytes, one fd for MAP, none for UNMAP) and
 * then calls the typed handlers below with the device's region set (dev->vdev.shm[]). They
 * never keep or close fd (a mapping holds its own reference), send nothing on any socket and
 * don't log: they return -errno with a one-line reason naming the request fields, which the
 * channel logs (rate-limited) after it replied.
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
 * SHMEM_MAP: shmid known, only flag bit 0 (VHOST_USER_FLAG_MAP_RW), then the region's own
 * checks (shm_region_map). SHMEM_UNMAP: shmid known, flags ignored (as QEMU does), then
 * shm_region_unmap. set/nr: the device's regions (NULL entries skipped). fd is borrowed.
 * 0 or -errno with the reason in why; the mapping state is unchanged on failure.
 */
int vu_shmem_map(struct shm_region *const *set, unsigned int nr,
		 const struct vhost_user_mmap *req, int fd, char *why, size_t whylen);
int vu_shmem_unmap(struct shm_region *const *set, unsigned int nr,
		   const struct vhost_user_mmap *req, char *why, size_t whylen);

/* The region with this shmid, or NULL. */
struct shm_region *vu_shmem_find(struct shm_region *const *set, unsigned int nr, uint8_t shmid);

/*
 * Parses a GET_SHMEM_CONFIG reply payload: size exactly 2056, nregions <= 256, nregions equal to
 * the number of non-zero sizes (spec: "num regions specifies the number of valid regions
 * (non-zero size). The array index corresponds to the shmid"), every non-zero size a multiple of
 * 2 MiB (microvm's region granule; this also makes it a page multiple) and at most
 * SHM_REGION_MAX_SIZE, the sum at most half the 64-bit PCI window (128 GiB). sizes[i] is the
 * size of shmid i (0 = no region). Returns 0 or -EPROTO with a one-line reason in err. How
 * many regions the transport can expose is checked when they are created (add_regions).
 */
int vu_parse_shmem_config(const void *payload, size_t size, uint64_t sizes[256],
			  unsigned int *nregions, char *err, size_t errlen);

/*
 * ---- Per vhost-user device: the region objects in dev->vdev.shm[] ----
 *
 * Set up at device creation, before the transport registers the device; the monitor thread may
 * already run (generic devices ask the connected back-end), so regions are published one by one
 * (vu_shmem_count): vu_shmem_add_regions (fs: sizes[0] = cache_size) or vu_shmem_query_config
 * (generic devices: GET_SHMEM_CONFIG). More regions than the transport can expose
 * (virtio_pci_shm_room) are refused there, naming the limit. vu_shmem_reset drops every
 * mapping (device reset, back-end disconnect). vu_shmem_destroy after the transport removed
 * its memslots (VM exit / device destroy).
 */

/* Regions published so far (acquire): what other threads may use. */
unsigned int vu_shmem_count(const struct vu_dev *dev);
/* Drops every mapping of every region of dev. Thread-safe against the backend channel. */
void vu_shmem_reset(struct vu_dev *dev);
/*
 * Creates one region per non-zero sizes[shmid] (2 MiB multiples), at most
 * virtio_pci_shm_room(dev->vdev.config_size) of them (-ENOSPC, the message names the limit).
 * 0 or -errno, err set.
 */
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
