/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM, mapped once in the VMM at a 2 MiB-aligned address with MADV_HUGEPAGE (so KVM maps
 * it with 2 MiB nested-paging entries where the host backs it with huge pages). Backing:
 *   GUEST_MEM_ANON     private anonymous memory (transparent huge pages); no fd. For machines
 *                      whose devices never need the RAM fd (no vhost-user).
 *   GUEST_MEM_MEMFD    one memfd (so vhost-user backends can map it), MAP_SHARED; shmem THP
 *                      only where /sys/kernel/mm/transparent_hugepage/shmem_enabled allows it.
 *   GUEST_MEM_HUGETLB  one memfd of 2 MiB hugetlbfs pages (MFD_HUGETLB), MAP_SHARED: shareable
 *                      and huge-paged, but needs pages reserved in vm.nr_hugepages (-ENOMEM).
 * Split around the PCI hole: [0, min(size, LAYOUT_LOW_RAM_MAX)) and, for larger RAM,
 * [4 GiB, 4 GiB + rest). Independent of KVM so the guest-driver harness can use it alone.
 */
#ifndef MICROVM_GUEST_MEM_H
#define MICROVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* microvm itself uses 2 (split around the PCI hole); vhost-user back-ends (src/vu_backend) reuse
 * the struct for front-ends such as QEMU that send up to 8 memory regions. */
#define GUEST_MEM_MAX_REGIONS 8

struct guest_mem_region {
	uint64_t gpa;       /* guest-physical start */
	uint64_t size;      /* bytes */
	uint64_t fd_offset; /* offset of gpa in the memfd */
	uint8_t *hva;       /* host address of gpa */
};

enum guest_mem_backing { GUEST_MEM_ANON, GUEST_MEM_MEMFD, GUEST_MEM_HUGETLB };

#define GUEST_MEM_HUGE_SIZE (2ULL << 20)

struct guest_mem {
	int fd;             /* memfd holding all guest RAM, -1 when none (anonymous RAM) */
	uint8_t *base;      /* host mapping of all RAM, 2 MiB-aligned */
	uint64_t size;      /* total RAM bytes */
	uint64_t map_size;  /* bytes mapped at base (size rounded up to 2 MiB) */
	enum guest_mem_backing backing;
	unsigned int nr_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/*
 * Allocates and maps guest RAM. size must be a non-zero multiple of 4 KiB (of 2 MiB for
 * GUEST_MEM_HUGETLB). Returns 0 or -errno (GUEST_MEM_HUGETLB: -ENOMEM when too few huge pages
 * are reserved).
 */
int guest_mem_init_backed(struct guest_mem *gm, uint64_t size, enum guest_mem_backing backing);
/* guest_mem_init_backed(gm, size, GUEST_MEM_MEMFD): shareable RAM (tests, tools). */
int guest_mem_init(struct guest_mem *gm, uint64_t size);
/* "anonymous", "memfd", "hugetlb" (for messages). */
const char *guest_mem_backing_name(enum guest_mem_backing b);
void guest_mem_destroy(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa + len) or NULL unless the whole range lies inside one RAM region.
 * Overflow-safe; len 0 is valid for any gpa inside (or at the end of) a region.
 */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM. Return 0 or -EFAULT if the range is not fully inside one region. */
int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, uint64_t len);
int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, uint64_t len);
/* KiB of guest RAM resident in host memory (mincore), 0 on error. Not thread-safe. */
uint64_t guest_mem_resident_kib(const struct guest_mem *gm);
/* First guest-physical address above all RAM. */
uint64_t guest_mem_end(const struct guest_mem *gm);
/* The same for size bytes of RAM before any is allocated (config-time layout checks). */
uint64_t guest_mem_layout_end(uint64_t size);

#endif
