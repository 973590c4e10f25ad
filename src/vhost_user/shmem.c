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

#include "vhost_user/shmem.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define REQ_FMT "%s%sSHMEM_%s shmid=%u fd_offset=0x%llx shm_offset=0x%llx len=0x%llx flags=0x%llx"

static void log_req(const char *name, const char *op, const struct vhost_user_mmap *req,
		    const char *why)
{
	pr_err_rl(REQ_FMT ": %s", name ? name : "", name ? ": " : "", op, req->shmid,
	       (unsigned long long)req->fd_offset, (unsigned long long)req->shm_offset,
	       (unsigned long long)req->len, (unsigned long long)req->flags, why);
}

struct shm_region *vu_shmem_find(struct shm_region **regions, unsigned int nr, uint8_t shmid)
{
	unsigned int i;

	if (!regions)
		return NULL;
	for (i = 0; i < nr; i++)
		if (regions[i] && regions[i]->hva && regions[i]->id == shmid)
			return regions[i];
	return NULL;
}

static int do_map(const char *name, struct shm_region **regions, unsigned int nr,
		  const struct vhost_user_mmap *req, int fd)
{
	struct shm_region *r = vu_shmem_find(regions, nr, req->shmid);
	char err[160];
	int ret;

	if (!r) {
		log_req(name, "MAP", req, "unknown shmid");
		return -EINVAL;
	}
	if (req->flags & ~VHOST_USER_FLAG_MAP_RW) {
		shm_region_note_failure(r);
		log_req(name, "MAP", req, "unknown flag bits");
		return -EINVAL;
	}
	ret = shm_region_map(r, req->shm_offset, req->len, fd, req->fd_offset,
			     req->flags & VHOST_USER_FLAG_MAP_RW, err, sizeof(err));
	if (ret)
		log_req(name, "MAP", req, err);
	return ret;
}

static int do_unmap(const char *name, struct shm_region **regions, unsigned int nr,
		    const struct vhost_user_mmap *req)
{
	struct shm_region *r = vu_shmem_find(regions, nr, req->shmid);
	char err[160];
	int ret;

	if (!r) {
		log_req(name, "UNMAP", req, "unknown shmid");
		return -EINVAL;
	}
	ret = shm_region_unmap(r, req->shm_offset, req->len, err, sizeof(err));
	if (ret)
		log_req(name, "UNMAP", req, err);
	return ret;
}

int vu_shmem_map_regions(struct shm_region **regions, unsigned int nr,
			 const struct vhost_user_mmap *req, int fd)
{
	return do_map(NULL, regions, nr, req, fd);
}

int vu_shmem_unmap_regions(struct shm_region **regions, unsigned int nr,
			   const struct vhost_user_mmap *req)
{
	return do_unmap(NULL, regions, nr, req);
}

static int envelope_error(const char *name, const struct vu_msg *m, const char *why)
{
	pr_err_rl("%s%s%s (request %u, size %u, %u fds): %s", name ? name : "", name ? ": " : "",
	       m->hdr.request == VHOST_USER_BACKEND_SHMEM_MAP ? "SHMEM_MAP" :
	       m->hdr.request == VHOST_USER_BACKEND_SHMEM_UNMAP ? "SHMEM_UNMAP" : "SHMEM request",
	       m->hdr.request, m->hdr.size, m->nr_fds, why);
	return -EINVAL;
}

int vu_shmem_handle(const char *name, struct shm_region **regions, unsigned int nr,
		    uint64_t protocol_features, const struct vu_msg *m)
{
	struct vhost_user_mmap req;
	bool is_map;

	if (m->hdr.request != VHOST_USER_BACKEND_SHMEM_MAP &&
	    m->hdr.request != VHOST_USER_BACKEND_SHMEM_UNMAP)
		return envelope_error(name, m, "not a SHMEM request");
	is_map = m->hdr.request == VHOST_USER_BACKEND_SHMEM_MAP;
	if (!(protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_SHMEM)))
		return envelope_error(name, m, "SHMEM protocol feature not negotiated");
	if (m->hdr.size != VU_SHMEM_MMAP_SIZE)
		return envelope_error(name, m, "payload is not 40 bytes");
	if (is_map && m->nr_fds != 1)
		return envelope_error(name, m, "MAP needs exactly one fd");
	if (!is_map && m->nr_fds != 0)
		return envelope_error(name, m, "UNMAP carries no fd");
	memcpy(&req, &m->payload.mmap, sizeof(req));
	if (!is_map)
		return do_unmap(name, regions, nr, &req);
	return do_map(name, regions, nr, &req, m->fds[0]);
}

static int cfg_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

int vu_parse_shmem_config(const void *payload, size_t size, uint64_t sizes[256],
			  unsigned int *nregions, char *err, size_t errlen)
{
	struct vhost_user_shmem_config cfg;
	uint64_t total = 0;
	unsigned int i, nonzero = 0;

	if (!payload || size != VU_SHMEM_CONFIG_SIZE)
		return cfg_err(err, errlen, "GET_SHMEM_CONFIG reply is %zu bytes, expected %u",
			       size, VU_SHMEM_CONFIG_SIZE);
	memcpy(&cfg, payload, sizeof(cfg));
	if (cfg.nregions > VHOST_USER_MAX_SHM_REGIONS)
		return cfg_err(err, errlen, "GET_SHMEM_CONFIG: nregions %u > %u", cfg.nregions,
			       VHOST_USER_MAX_SHM_REGIONS);
	for (i = 0; i < VHOST_USER_MAX_SHM_REGIONS; i++) {
		uint64_t s = cfg.memory_sizes[i];

		if (!s)
			continue;
		if (s % SHM_REGION_ALIGN)
			return cfg_err(err, errlen,
				       "GET_SHMEM_CONFIG: shmid %u size 0x%llx is not a multiple of 2 MiB",
				       i, (unsigned long long)s);
		if (s > SHM_REGION_MAX_SIZE)
			return cfg_err(err, errlen, "GET_SHMEM_CONFIG: shmid %u size 0x%llx too large",
				       i, (unsigned long long)s);
		total += s;
		nonzero++;
	}
	if (nonzero != cfg.nregions)
		return cfg_err(err, errlen,
			       "GET_SHMEM_CONFIG: nregions %u but %u non-zero sizes",
			       cfg.nregions, nonzero);
	if (total > LAYOUT_PCI_MMIO64_SIZE / 2)
		return cfg_err(err, errlen,
			       "GET_SHMEM_CONFIG: regions total 0x%llx, more than the shm BAR can hold",
			       (unsigned long long)total);
	memcpy(sizes, cfg.memory_sizes, sizeof(cfg.memory_sizes));
	*nregions = cfg.nregions;
	return 0;
}

/* ---- Per vhost-user device (dev->shm_regions[], dev->vdev.shm[]) ---- */

/*
 * Regions published so far. The backend-channel thread may already run while a generic device
 * learns its regions (GET_SHMEM_CONFIG needs the connection): add_region fills a slot, then
 * publishes the count with a release store; readers on that thread load it with acquire.
 */
unsigned int vu_shmem_count(const struct vu_dev *dev)
{
	return __atomic_load_n(&dev->nr_shm_regions, __ATOMIC_ACQUIRE);
}

void vu_shmem_reset(struct vu_dev *dev)
{
	unsigned int i, n = 0, nr = vu_shmem_count(dev);

	for (i = 0; i < nr; i++)
		if (dev->shm_regions[i])
			n += shm_region_unmap_all(dev->shm_regions[i]);
	if (n)
		pr_info_rl("%s: dropped %u shared memory mappings", dev->name, n);
}

static int add_region(struct vu_dev *dev, uint8_t id, uint64_t size, char *err, size_t errlen)
{
	struct shm_region *r;
	int ret;

	if (vu_shmem_find(dev->shm_regions, dev->nr_shm_regions, id)) {
		cfg_err(err, errlen, "%s: shm region %u defined twice", dev->name, id);
		return -EEXIST;
	}
	if (dev->nr_shm_regions >= VIRTIO_MAX_SHM_REGIONS ||
	    dev->vdev.nr_shm >= VIRTIO_MAX_SHM_REGIONS) {
		cfg_err(err, errlen, "%s: too many shm regions", dev->name);
		return -ENOSPC;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		cfg_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = shm_region_init(r, id, size, 0, 0);
	if (ret) {
		free(r);
		cfg_err(err, errlen, "%s: shm region %u of 0x%llx bytes: %s", dev->name, id,
			(unsigned long long)size, strerror(-ret));
		return ret;
	}
	/* Same index in both arrays, as vhost_user.h says; published last (vu_shmem_count). */
	dev->shm_regions[dev->nr_shm_regions] = r;
	dev->vdev.shm[dev->vdev.nr_shm++] = (struct virtio_shm_region){
		.id = id, .size = r->size, .hva = r->hva };
	__atomic_store_n(&dev->nr_shm_regions, dev->nr_shm_regions + 1, __ATOMIC_RELEASE);
	return 0;
}

int vu_shmem_add_regions(struct vu_dev *dev, const uint64_t sizes[256], char *err, size_t errlen)
{
	unsigned int id;
	int ret;

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
		cfg_err(err, errlen, "%s: GET_SHMEM_CONFIG failed: %s", dev->name, strerror(-ret));
		return ret;
	}
	vu_msg_close_fds(&rep);
	ret = vu_parse_shmem_config(&rep.payload, rep.hdr.size, sizes, nregions, why, sizeof(why));
	if (ret) {
		cfg_err(err, errlen, "%s: %s", dev->name, why);
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

	for (i = 0; i < dev->nr_shm_regions; i++) {
		struct shm_region_stats st;

		if (!dev->shm_regions[i])
			continue;
		/* The counters for the record (tests read this line with -v). */
		shm_region_get_stats(dev->shm_regions[i], &st);
		pr_info("%s: shm region %u at exit: %llu live mappings, %llu maps, %llu unmaps, "
			"%llu failed requests", dev->name, dev->shm_regions[i]->id,
			(unsigned long long)st.live, (unsigned long long)st.total_maps,
			(unsigned long long)st.total_unmaps, (unsigned long long)st.failed);
		shm_region_destroy(dev->shm_regions[i]);
		free(dev->shm_regions[i]);
		dev->shm_regions[i] = NULL;
	}
	dev->nr_shm_regions = 0;
	dev->vdev.nr_shm = 0;
}

int vu_shmem_get_stats(struct vu_dev *dev, uint8_t shmid, struct shm_region_stats *out)
{
	struct shm_region *r = vu_shmem_find(dev->shm_regions, vu_shmem_count(dev), shmid);

	if (!r)
		return -ENOENT;
	shm_region_get_stats(r, out);
	return 0;
}
