// SPDX-License-Identifier: MIT
/*
 * vhost-user SHMEM_MAP / SHMEM_UNMAP handlers and the GET_SHMEM_CONFIG reply parser.
 * See shmem.h; the mapping itself is src/mm/shm_region.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "vhost_user/shmem.h"
#include "virtio/virtio_pci.h"
#include "arch/x86/layout.h"
#include "util/log.h"

#define REQ_FMT "SHMEM_%s shmid=%u fd_offset=0x%llx shm_offset=0x%llx len=0x%llx flags=0x%llx: %s"

/* "SHMEM_MAP shmid=0 fd_offset=0x0 shm_offset=0x300000 len=0x200000 flags=0x1: <reason>" */
static int req_err(char *why, size_t whylen, const char *op, const struct vhost_user_mmap *req,
		   const char *reason, int ret)
{
	if (why && whylen)
		snprintf(why, whylen, REQ_FMT, op, req->shmid, (unsigned long long)req->fd_offset,
			 (unsigned long long)req->shm_offset, (unsigned long long)req->len,
			 (unsigned long long)req->flags, reason);
	return ret;
}

struct shm_region *vu_shmem_find(struct shm_region *const *set, unsigned int nr, uint8_t shmid)
{
	unsigned int i;

	if (!set)
		return NULL;
	for (i = 0; i < nr; i++)
		if (set[i] && set[i]->hva && set[i]->id == shmid)
			return set[i];
	return NULL;
}

int vu_shmem_map(struct shm_region *const *set, unsigned int nr,
		 const struct vhost_user_mmap *req, int fd, char *why, size_t whylen)
{
	struct shm_region *r = vu_shmem_find(set, nr, req->shmid);
	char err[160];
	int ret;

	if (!r)
		return req_err(why, whylen, "MAP", req, "unknown shmid", -EINVAL);
	if (req->flags & ~VHOST_USER_FLAG_MAP_RW) {
		shm_region_note_failure(r);
		return req_err(why, whylen, "MAP", req, "unknown flag bits", -EINVAL);
	}
	ret = shm_region_map(r, req->shm_offset, req->len, fd, req->fd_offset,
			     req->flags & VHOST_USER_FLAG_MAP_RW, err, sizeof(err));
	return ret ? req_err(why, whylen, "MAP", req, err, ret) : 0;
}

int vu_shmem_unmap(struct shm_region *const *set, unsigned int nr,
		   const struct vhost_user_mmap *req, char *why, size_t whylen)
{
	struct shm_region *r = vu_shmem_find(set, nr, req->shmid);
	char err[160];
	int ret;

	if (!r)
		return req_err(why, whylen, "UNMAP", req, "unknown shmid", -EINVAL);
	ret = shm_region_unmap(r, req->shm_offset, req->len, err, sizeof(err));
	return ret ? req_err(why, whylen, "UNMAP", req, err, ret) : 0;
}

int vu_parse_shmem_config(const void *payload, size_t size, uint64_t sizes[256],
			  unsigned int *nregions, char *err, size_t errlen)
{
	struct vhost_user_shmem_config cfg;
	uint64_t total = 0;
	unsigned int i, nonzero = 0;

	if (!payload || size != VU_SHMEM_CONFIG_SIZE)
		return err_fmt(err, errlen, -EPROTO, "GET_SHMEM_CONFIG reply is %zu bytes, expected %u",
			       size, VU_SHMEM_CONFIG_SIZE);
	memcpy(&cfg, payload, sizeof(cfg));
	if (cfg.nregions > VHOST_USER_MAX_SHM_REGIONS)
		return err_fmt(err, errlen, -EPROTO, "GET_SHMEM_CONFIG: nregions %u > %u", cfg.nregions,
			       VHOST_USER_MAX_SHM_REGIONS);
	for (i = 0; i < VHOST_USER_MAX_SHM_REGIONS; i++) {
		uint64_t s = cfg.memory_sizes[i];

		if (!s)
			continue;
		if (s % SHM_REGION_ALIGN)
			return err_fmt(err, errlen, -EPROTO,
				       "GET_SHMEM_CONFIG: shmid %u size 0x%llx is not a multiple of 2 MiB",
				       i, (unsigned long long)s);
		if (s > SHM_REGION_MAX_SIZE)
			return err_fmt(err, errlen, -EPROTO, "GET_SHMEM_CONFIG: shmid %u size 0x%llx too large",
				       i, (unsigned long long)s);
		total += s;
		nonzero++;
	}
	if (nonzero != cfg.nregions)
		return err_fmt(err, errlen, -EPROTO,
			       "GET_SHMEM_CONFIG: nregions %u but %u non-zero sizes",
			       cfg.nregions, nonzero);
	if (total > LAYOUT_PCI_MMIO64_SIZE / 2)
		return err_fmt(err, errlen, -EPROTO,
			       "GET_SHMEM_CONFIG: regions total 0x%llx, more than the shm BAR can hold",
			       (unsigned long long)total);
	memcpy(sizes, cfg.memory_sizes, sizeof(cfg.memory_sizes));
	*nregions = cfg.nregions;
	return 0;
}

/* ---- Per vhost-user device (the region objects in dev->vdev.shm[]) ---- */

/*
 * Regions published so far. The backend-channel thread may already run while a generic device
 * learns its regions (GET_SHMEM_CONFIG needs the connection): add_region fills a slot, then
 * publishes the count with a release store; readers on that thread load it with acquire.
 */
unsigned int vu_shmem_count(const struct vu_dev *dev)
{
	return __atomic_load_n(&dev->vdev.nr_shm, __ATOMIC_ACQUIRE);
}

void vu_shmem_reset(struct vu_dev *dev)
{
	unsigned int i, n = 0, nr = vu_shmem_count(dev);

	for (i = 0; i < nr; i++) {
		int r = dev->vdev.shm[i] ? shm_region_unmap_all(dev->vdev.shm[i]) : 0;

		if (r < 0)
			pr_err_rl("%s: shm region %u: cannot drop its mappings: %s", dev->name,
				  dev->vdev.shm[i]->id, strerror(-r));
		else
			n += (unsigned int)r;
	}
	if (n)
		pr_info_rl("%s: dropped %u shared memory mappings", dev->name, n);
}

static int add_region(struct vu_dev *dev, uint8_t id, uint64_t size, char *err, size_t errlen)
{
	struct shm_region *r;
	int ret;

	unsigned int nr = dev->vdev.nr_shm;

	if (vu_shmem_find(dev->vdev.shm, nr, id)) {
		err_fmt(err, errlen, -EPROTO, "%s: shm region %u defined twice", dev->name, id);
		return -EEXIST;
	}
	if (nr >= VIRTIO_MAX_SHM_REGIONS) {
		err_fmt(err, errlen, -EPROTO, "%s: too many shm regions", dev->name);
		return -ENOSPC;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		err_fmt(err, errlen, -EPROTO, "out of memory");
		return -ENOMEM;
	}
	ret = shm_region_init(r, id, size, 0, 0);
	if (ret) {
		free(r);
		err_fmt(err, errlen, -EPROTO, "%s: shm region %u of 0x%llx bytes: %s", dev->name, id,
			(unsigned long long)size, strerror(-ret));
		return ret;
	}
	/* Published last (vu_shmem_count): the backend channel may look it up from now on. */
	dev->vdev.shm[nr] = r;
	__atomic_store_n(&dev->vdev.nr_shm, nr + 1, __ATOMIC_RELEASE);
	return 0;
}

int vu_shmem_add_regions(struct vu_dev *dev, const uint64_t sizes[256], char *err, size_t errlen)
{
	unsigned int id, n = 0, room = virtio_pci_shm_room(dev->vdev.config_size);
	int ret;

	for (id = 0; id < VHOST_USER_MAX_SHM_REGIONS; id++)
		n += sizes[id] != 0;
	if (n + dev->vdev.nr_shm > room) {
		err_fmt(err, errlen, -EPROTO, "%s: the back-end asks for %u shared memory regions; microvm's "
			"virtio-pci transport exposes at most %u per device (one 24-byte capability "
			"each in PCI config space%s)", dev->name, n + dev->vdev.nr_shm, room,
			dev->vdev.config_size ? ", next to the device config" : "");
		return -ENOSPC;
	}
	for (id = 0; id < VHOST_USER_MAX_SHM_REGIONS; id++) {
		if (!sizes[id])
			continue;
		ret = add_region(dev, id, sizes[id], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int vu_shmem_fetch_config(struct vu_dev *dev, uint64_t sizes[256], unsigned int *nregions,
			  char *err, size_t errlen)
{
	struct vu_msg req, rep;
	char why[192];
	int ret;

	if (!vu_has_protocol(dev, VHOST_USER_PROTOCOL_F_SHMEM))
		return 0;
	vu_msg_init(&req, VHOST_USER_GET_SHMEM_CONFIG, 0);
	ret = vu_dev_call(dev, &req, &rep);
	if (ret) {
		err_fmt(err, errlen, -EPROTO, "%s: GET_SHMEM_CONFIG failed: %s", dev->name, strerror(-ret));
		return ret;
	}
	vu_msg_close_fds(&rep);
	ret = vu_parse_shmem_config(&rep.payload, rep.hdr.size, sizes, nregions, why, sizeof(why));
	if (ret) {
		err_fmt(err, errlen, -EPROTO, "%s: %s", dev->name, why);
		return ret;
	}
	return 1;
}

int vu_shmem_query_config(struct vu_dev *dev, char *err, size_t errlen)
{
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS];
	unsigned int n;
	int ret = vu_shmem_fetch_config(dev, sizes, &n, err, errlen);

	if (ret <= 0)
		return ret;
	pr_info_rl("%s: back-end asks for %u shared memory regions", dev->name, n);
	return vu_shmem_add_regions(dev, sizes, err, errlen);
}

void vu_shmem_destroy(struct vu_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->vdev.nr_shm; i++) {
		struct shm_region *r = dev->vdev.shm[i];
		struct shm_region_stats st;

		if (!r)
			continue;
		/* The counters for the record (tests read this line with -v). */
		shm_region_get_stats(r, &st);
		pr_info("%s: shm region %u at exit: %llu live mappings, %llu maps, %llu unmaps, "
			"%llu failed requests, %llu repaired mappings, %llu guest accesses "
			"completed by the VMM", dev->name, r->id,
			(unsigned long long)st.live, (unsigned long long)st.total_maps,
			(unsigned long long)st.total_unmaps, (unsigned long long)st.failed,
			(unsigned long long)st.repairs, (unsigned long long)st.accesses);
		shm_region_destroy(r);
		free(r);
		dev->vdev.shm[i] = NULL;
	}
	dev->vdev.nr_shm = 0;
}

int vu_shmem_get_stats(struct vu_dev *dev, uint8_t shmid, struct shm_region_stats *out)
{
	struct shm_region *r = vu_shmem_find(dev->vdev.shm, vu_shmem_count(dev), shmid);

	if (!r)
		return -ENOENT;
	shm_region_get_stats(r, out);
	return 0;
}
