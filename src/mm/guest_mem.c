// SPDX-License-Identifier: MIT
#include "mm/guest_mem.h"

#include <asm-generic/hugetlb_encode.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"

static const char *const backing_names[] = {
	[GUEST_MEM_ANON] = "anonymous", [GUEST_MEM_MEMFD] = "memfd", [GUEST_MEM_HUGETLB] = "hugetlb",
};

const char *guest_mem_backing_name(enum guest_mem_backing b)
{
	return (unsigned int)b < sizeof(backing_names) / sizeof(backing_names[0]) ? backing_names[b] :
										    "?";
}

/*
 * Reserves map_size + 2 MiB of address space and returns its first 2 MiB-aligned address, with
 * the unaligned head and the tail beyond map_size given back: KVM maps guest RAM with 2 MiB
 * nested-paging entries only where the host address and the guest address are both aligned.
 */
static uint8_t *reserve_aligned(uint64_t map_size)
{
	uint64_t len = map_size + GUEST_MEM_HUGE_SIZE, head;
	uint8_t *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + GUEST_MEM_HUGE_SIZE - 1) & ~(uintptr_t)(GUEST_MEM_HUGE_SIZE - 1));
	head = (uint64_t)(a - p);
	if (head)
		munmap(p, head);
	if (len - head > map_size)
		munmap(a + map_size, len - head - map_size);
	return a;
}

static int map_ram(struct guest_mem *gm)
{
	int flags = MAP_FIXED, memfd_flags = MFD_CLOEXEC;
	uint8_t *a = reserve_aligned(gm->map_size);
	void *p;

	if (!a)
		return -errno;
	gm->base = a;	/* the reservation: guest_mem_destroy() unmaps it on failure */
	if (gm->backing == GUEST_MEM_ANON) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	} else {
		if (gm->backing == GUEST_MEM_HUGETLB)
			memfd_flags |= MFD_HUGETLB | HUGETLB_FLAG_ENCODE_2MB;
		gm->fd = memfd_create("microvm-ram", memfd_flags);
		if (gm->fd < 0)
			return -errno;
		if (ftruncate(gm->fd, (off_t)gm->map_size) < 0)
			return -errno;
		/* hugetlb without MAP_NORESERVE: mmap fails with ENOMEM when the pool is short,
		 * instead of a SIGBUS at the guest's first touch of a page that is not there. */
		flags |= MAP_SHARED | (gm->backing == GUEST_MEM_HUGETLB ? 0 : MAP_NORESERVE);
	}
	p = mmap(a, gm->map_size, PROT_READ | PROT_WRITE, flags, gm->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* Best effort: hugetlb pages are huge already; THP may be off on this host. */
	if (gm->backing != GUEST_MEM_HUGETLB)
		madvise(a, gm->map_size, MADV_HUGEPAGE);
	return 0;
}

int guest_mem_init_backed(struct guest_mem *gm, uint64_t size, enum guest_mem_backing backing)
{
	uint64_t low;
	int ret;

	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
	if (size == 0 || (size & 0xfff) || size > UINT64_MAX / 2 ||
	    (unsigned int)backing >= sizeof(backing_names) / sizeof(backing_names[0]))
		return -EINVAL;
	if (backing == GUEST_MEM_HUGETLB && (size & (GUEST_MEM_HUGE_SIZE - 1)))
		return -EINVAL;
	gm->backing = backing;
	gm->map_size = (size + GUEST_MEM_HUGE_SIZE - 1) & ~(GUEST_MEM_HUGE_SIZE - 1);
	ret = map_ram(gm);
	if (ret < 0) {
		guest_mem_destroy(gm);
		return ret;
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
}

int guest_mem_init(struct guest_mem *gm, uint64_t size)
{
	return guest_mem_init_backed(gm, size, GUEST_MEM_MEMFD);
}

void guest_mem_destroy(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->map_size);
	if (gm->fd >= 0)
		close(gm->fd);
	memset(gm, 0, sizeof(*gm));
	gm->fd = -1;
}

uint64_t guest_mem_resident_kib(const struct guest_mem *gm)
{
	enum { CHUNK = 64 << 20 };
	static unsigned char vec[CHUNK / 4096];	/* called from the main thread at exit */
	uint64_t kib = 0;

	for (uint64_t off = 0; gm->base && off < gm->size; off += CHUNK) {
		uint64_t len = gm->size - off < CHUNK ? gm->size - off : CHUNK;

		if (mincore(gm->base + off, len, vec) < 0)
			return 0;
		for (uint64_t i = 0; i < (len + 4095) / 4096; i++)
			kib += (vec[i] & 1) * 4;
	}
	return kib;
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
