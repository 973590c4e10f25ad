/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one memfd (so vhost-user backends can map it) mapped MAP_SHARED once in the VMM.
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

struct guest_mem {
	int fd;             /* memfd holding all guest RAM, -1 when not initialised */
	uint8_t *base;      /* host mapping of the whole memfd */
	uint64_t size;      /* total RAM bytes */
	unsigned int nr_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Creates the memfd and mapping. size must be a non-zero multiple of 4 KiB. Returns 0 or -errno. */
int guest_mem_init(struct guest_mem *gm, uint64_t size);
void guest_mem_destroy(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa + len) or NULL unless the whole range lies inside one RAM region.
 * Overflow-safe; len 0 is valid for any gpa inside (or at the end of) a region.
 */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM. Return 0 or -EFAULT if the range is not fully inside one region. */
int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, uint64_t len);
int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, uint64_t len);
/* First guest-physical address above all RAM. */
uint64_t guest_mem_end(const struct guest_mem *gm);
/* The same for size bytes of RAM before any is allocated (config-time layout checks). */
uint64_t guest_mem_layout_end(uint64_t size);

#endif
