// SPDX-License-Identifier: MIT
#include "mm/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"

int guest_mem_init(struct guest_mem *gm, uint64_t size)
{
	uint64_t low;

	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
	if (size == 0 || (size & 0xfff))
		return -EINVAL;
	gm->fd = memfd_create("microvm-ram", MFD_CLOEXEC);
	if (gm->fd < 0)
		return -errno;
	if (ftruncate(gm->fd, (off_t)size) < 0)
		goto fail;
	gm->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, gm->fd, 0);
	if (gm->base == MAP_FAILED) {
		gm->base = NULL;
		goto fail;
	}
	gm->size = size;
	low = size < LAYOUT_LOW_RAM_MAX ? size : LAYOUT_LOW_RAM_MAX;
	gm->regions[0] = (struct guest_mem_region){ .gpa = LAYOUT_RAM_BASE, .size = low, .fd_offset = 0,
						    .hva = gm->base };
	gm->nr_regions = 1;
	if (size > low) {
		gm->regions[1] = (struct guest_mem_region){
			.gpa = LAYOUT_HIGH_RAM_START, .size = size - low, .fd_offset = low, .hva = gm->base + low,
		};
		gm->nr_regions = 2;
	}
	return 0;
fail: {
	int err = -errno;

	guest_mem_destroy(gm);
	return err;
}
}

void guest_mem_destroy(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->size);
	if (gm->fd >= 0)
		close(gm->fd);
	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
}

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		if (gpa < r->gpa || gpa - r->gpa > r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, uint64_t len)
{
	void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, uint64_t len)
{
	void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

uint64_t guest_mem_layout_end(uint64_t size)
{
	if (size <= LAYOUT_LOW_RAM_MAX)
		return LAYOUT_RAM_BASE + size;
	return LAYOUT_HIGH_RAM_START + (size - LAYOUT_LOW_RAM_MAX);
}

uint64_t guest_mem_end(const struct guest_mem *gm)
{
	const struct guest_mem_region *r = &gm->regions[gm->nr_regions - 1];

	return r->gpa + r->size;
}
