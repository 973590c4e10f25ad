// SPDX-License-Identifier: MIT
/*
 * Guest memory table: SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG. Each region's fd is mmapped
 * (MAP_SHARED, from offset 0 to mmap_offset + size, as the front-end passes its memfd) and
 * then closed. Regions must not overlap in guest-physical or front-end address space; every
 * size and sum is checked for overflow. The table is mirrored into a struct guest_mem so the
 * virtqueue walker's guest_mem_ptr() does the GPA bounds checks.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vu_backend/vub_priv.h"
#include "util/err.h"
#include "util/log.h"

static void unmap_region(struct vub_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

static void rebuild_gm(struct vub *b)
{
	memset(&b->gm, 0, sizeof(b->gm));
	b->gm.fd = -1;
	for (unsigned int i = 0; i < b->nr_regions; i++) {
		const struct vub_region *r = &b->regions[i];

		b->gm.regions[i] = (struct guest_mem_region){
			.gpa = r->gpa, .size = r->size, .fd_offset = r->mmap_offset,
			.hva = (uint8_t *)r->map + r->mmap_offset,
		};
		b->gm.size += r->size;
	}
	b->gm.nr_regions = b->nr_regions;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Validates d against itself and the regions in tab[0, n). */
static int check_region(const struct vhost_user_memory_region *d, const struct vub_region *tab,
			unsigned int n)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (d->memory_size == 0 || (d->memory_size | d->mmap_offset) & (page - 1))
		return -EINVAL;
	if (d->guest_phys_addr + d->memory_size < d->guest_phys_addr ||
	    d->userspace_addr + d->memory_size < d->userspace_addr ||
	    d->mmap_offset + d->memory_size < d->mmap_offset ||
	    d->mmap_offset + d->memory_size > (uint64_t)SIZE_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (overlaps(d->guest_phys_addr, d->memory_size, tab[i].gpa, tab[i].size) ||
		    overlaps(d->userspace_addr, d->memory_size, tab[i].uva, tab[i].size))
			return -EINVAL;
	}
	return 0;
}

static int map_region(struct vub_region *r, const struct vhost_user_memory_region *d, int fd)
{
	size_t len = (size_t)(d->mmap_offset + d->memory_size);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*r = (struct vub_region){ .gpa = d->guest_phys_addr, .size = d->memory_size,
				  .uva = d->userspace_addr, .mmap_offset = d->mmap_offset,
				  .map = p, .map_len = len };
	return 0;
}

void vub_mem_clear(struct vub *b)
{
	for (unsigned int i = 0; i < b->nr_regions; i++)
		unmap_region(&b->regions[i]);
	b->nr_regions = 0;
	rebuild_gm(b);
}

int vub_set_mem_table(struct vub *b, struct vu_msg *m)
{
	const struct vhost_user_memory *mt = &m->payload.memory;
	struct vub_region tab[VUB_MAX_REGIONS];
	unsigned int n = mt->nregions;
	int ret = 0;

	if (n > VUB_MAX_REGIONS) {
		return err_fmt(b->why, sizeof(b->why), -E2BIG, "%u regions, at most %u supported",
			       n, VUB_MAX_REGIONS);
	}
	if (m->nr_fds != n) {
		return err_fmt(b->why, sizeof(b->why), -EINVAL, "%u regions but %u fds", n,
			       m->nr_fds);
	}
	memset(tab, 0, sizeof(tab));
	for (unsigned int i = 0; i < n && !ret; i++) {
		ret = check_region(&mt->regions[i], tab, i);
		if (!ret)
			ret = map_region(&tab[i], &mt->regions[i], m->fds[i]);
	}
	if (ret) {
		err_fmt(b->why, sizeof(b->why), 0, "bad or unmappable region: %s", strerror(-ret));
		for (unsigned int i = 0; i < n; i++)
			unmap_region(&tab[i]);
		return ret;
	}
	vub_mem_clear(b);
	memcpy(b->regions, tab, sizeof(tab));
	b->nr_regions = n;
	rebuild_gm(b);
	vub_vrings_remap(b);
	return 0;
}

int vub_add_mem_reg(struct vub *b, struct vu_msg *m)
{
	const struct vhost_user_memory_region *d = &m->payload.mem_reg.region;
	int ret;

	if (m->nr_fds != 1)
		return -EINVAL;
	if (b->nr_regions >= VUB_MAX_REGIONS) {
		return err_fmt(b->why, sizeof(b->why), -ENOSPC, "all %u slots used",
			       VUB_MAX_REGIONS);
	}
	ret = check_region(d, b->regions, b->nr_regions);
	if (!ret)
		ret = map_region(&b->regions[b->nr_regions], d, m->fds[0]);
	if (ret) {
		return err_fmt(b->why, sizeof(b->why), ret, "bad or unmappable region: %s",
			       strerror(-ret));
	}
	b->nr_regions++;
	rebuild_gm(b);
	vub_vrings_remap(b);
	return 0;
}

int vub_rem_mem_reg(struct vub *b, struct vu_msg *m)
{
	const struct vhost_user_memory_region *d = &m->payload.mem_reg.region;

	for (unsigned int i = 0; i < b->nr_regions; i++) {
		struct vub_region *r = &b->regions[i];

		if (r->gpa != d->guest_phys_addr || r->size != d->memory_size)
			continue;
		unmap_region(r);
		memmove(r, r + 1, (b->nr_regions - i - 1) * sizeof(*r));
		b->nr_regions--;
		memset(&b->regions[b->nr_regions], 0, sizeof(*r));
		rebuild_gm(b);
		vub_vrings_remap(b);
		return 0;
	}
	return err_fmt(b->why, sizeof(b->why), -ENOENT, "no region at GPA 0x%llx size 0x%llx",
		       (unsigned long long)d->guest_phys_addr, (unsigned long long)d->memory_size);
}

int vub_uva_to_gpa(const struct vub *b, uint64_t uva, uint64_t len, uint64_t *gpa)
{
	for (unsigned int i = 0; i < b->nr_regions; i++) {
		const struct vub_region *r = &b->regions[i];

		if (uva < r->uva || uva - r->uva >= r->size)
			continue;
		if (len > r->size - (uva - r->uva))
			return -EFAULT;
		*gpa = r->gpa + (uva - r->uva);
		return 0;
	}
	return -EFAULT;
}
