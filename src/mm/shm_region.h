/* SPDX-License-Identifier: MIT */
/*
 * VIRTIO shared memory region: a host address range the guest sees through one KVM memslot (the
 * transport's shm BAR), into which file descriptors are mapped at run time with mmap(MAP_FIXED).
 * See docs/SHM.md for the design and the numbers behind it.
 *
 * Host address space: the whole range is reserved at init (2 MiB aligned, size a multiple of
 * 2 MiB) and is NEVER left unmapped, so no unrelated mmap(NULL, ...) can land inside it.
 *
 * What the guest sees:
 *   - a hole (no live mapping): a private anonymous read-write "scratch" mapping. Reads return
 *     zeros; writes succeed (KVM_RUN keeps running) and land in scratch pages private to the VMM
 *     that never reach any file. The scratch under a range is discarded (back to zeros) whenever
 *     a mapping is installed over it or removed from it, and for the whole region at
 *     shm_region_unmap_all() (device reset, backend disconnect, VM exit).
 *   - a read-write mapping: MAP_SHARED PROT_READ|PROT_WRITE of the fd; both sides see each
 *     other's writes.
 *   - a read-only mapping: MAP_PRIVATE PROT_READ|PROT_WRITE of the fd (unless the region is
 *     created with SHM_REGION_STRICT_RO). The guest reads the file's current contents (the page
 *     cache is shared until a page is written). A guest write never reaches the file: it
 *     copies that page privately (copy-on-write) instead of making KVM_RUN fail with EFAULT,
 *     and the guest keeps reading its private copy of that page until the mapping is removed.
 *     With SHM_REGION_STRICT_RO the mapping is MAP_SHARED PROT_READ: host-side writes fault and a
 *     guest write makes KVM_RUN fail with EFAULT (only for callers that handle that).
 *
 * Threads: map/unmap/unmap_all/stats take the region lock; the vCPU threads access the range
 * through KVM without any lock (they see either the hole or the mapping, never unmapped VA).
 */
#ifndef MICROVM_SHM_REGION_H
#define MICROVM_SHM_REGION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_REGION_ALIGN (2ULL << 20)           /* region size and host VA alignment */
#define SHM_REGION_MAX_SIZE (1ULL << 40)        /* 1 TiB per region */
#define SHM_REGION_DEFAULT_MAX_MAPPINGS 16384u  /* own cap per region */
/* VMAs left for the rest of the process when checking against vm.max_map_count. */
#define SHM_REGION_MAP_COUNT_RESERVE 8192u

/* init flags */
#define SHM_REGION_STRICT_RO (1u << 0)

/* Why a request was refused (shm_region_stats.refused[], the control API's vm.shm). */
enum shm_refuse {
	SHM_REFUSE_RANGE,      /* alignment, zero length, outside the region, overflow */
	SHM_REFUSE_OVERLAP,    /* map over a live mapping */
	SHM_REFUSE_NO_MAPPING, /* unmap of a range that is not exactly one live mapping */
	SHM_REFUSE_CAP,        /* mapping caps (own, vm.max_map_count) */
	SHM_REFUSE_FD,         /* fd unusable or its access mode does not allow the protection */
	SHM_REFUSE_REQUEST,    /* refused before the region (shm_region_note_failure) */
	SHM_REFUSE_OTHER,      /* mmap or memory failure */
	SHM_REFUSE_COUNT,
};

struct shm_region_stats {
	uint64_t live;         /* live mappings */
	uint64_t total_maps;   /* successful maps since init */
	uint64_t total_unmaps; /* successful unmaps (unmap_all counts each mapping it drops) */
	uint64_t failed;       /* refused or failed map/unmap requests */
	uint64_t fixups;       /* pages replaced by shm_region_fixup_fault */
	uint64_t refused[SHM_REFUSE_COUNT]; /* failed, by reason */
};

struct shm_mapping;

struct shm_region {
	uint8_t id;            /* shmid */
	uint64_t size;         /* bytes */
	uint8_t *hva;          /* start of the reserved host range (2 MiB aligned) */
	unsigned int flags;
	unsigned int max_mappings;

	uint64_t gpa;          /* guest-physical base while the BAR is mapped, else ~0 */
	struct shm_region *next; /* process-wide registry (shm_region_mmio_fallback) */

	pthread_mutex_t lock;  /* protects everything below */
	void *tree;            /* tsearch(3) tree of struct shm_mapping, ordered by offset */
	struct shm_region_stats stats;
};

/*
 * Reserves the host range. size: non-zero multiple of SHM_REGION_ALIGN, at most
 * SHM_REGION_MAX_SIZE. max_mappings 0 means SHM_REGION_DEFAULT_MAX_MAPPINGS. 0 or -errno.
 */
int shm_region_init(struct shm_region *r, uint8_t id, uint64_t size, unsigned int max_mappings,
		    unsigned int flags);
/* Drops every mapping and releases the host range. Safe on a zeroed or destroyed region. */
void shm_region_destroy(struct shm_region *r);

/*
 * Maps [fd_offset, fd_offset + len) of fd at [shm_offset, shm_offset + len) of the region.
 * Checks: shm_offset, len, fd_offset page aligned; len > 0; no overflow; inside the region; no
 * overlap with a live mapping; caps (own and vm.max_map_count); fd open with a mode that allows
 * the protection. The caller keeps ownership of fd (it may close it right after: the mapping
 * holds its own reference). Mapping past EOF of a regular file is allowed (the guest gets
 * SIGBUS-style faults there only if it touches pages past EOF; see docs/SHM.md).
 * Returns 0 or -errno (-EINVAL, -ERANGE, -EEXIST overlap, -ENOSPC caps, -EACCES, -EBADF,
 * -ENODEV, ...); on error the region is unchanged and, if err is not NULL, err holds a one-line
 * reason ("overlaps live mapping at 0x..+0x..").
 */
int shm_region_map(struct shm_region *r, uint64_t shm_offset, uint64_t len, int fd,
		   uint64_t fd_offset, bool writable, char *err, size_t errlen);
/* Removes the live mapping that starts at shm_offset and has exactly len bytes. 0 or -errno
 * (-ENOENT: nothing there, -EINVAL: overlaps a mapping but is not exactly it). */
int shm_region_unmap(struct shm_region *r, uint64_t shm_offset, uint64_t len, char *err,
		     size_t errlen);
/* Drops all mappings (one mmap over the whole range); returns how many were dropped. */
unsigned int shm_region_unmap_all(struct shm_region *r);

void shm_region_get_stats(struct shm_region *r, struct shm_region_stats *out);

/*
 * A guest access to a page of a live mapping that has no backing (past EOF of the file, e.g.
 * after a host-side truncate) makes KVM_RUN fail with EFAULT (KVM_EXIT_MEMORY_FAULT with the
 * GPA on Linux 6.8+). The vCPU loop turns the GPA into a region offset and calls this: the page
 * at offset is replaced by a zero scratch page inside the mapping (the guest then reads zeros
 * there and its writes are dropped with the mapping) and the vCPU can re-enter. Returns 0 if a
 * page was replaced, -ENOENT if offset is not inside a live mapping (holes never fault).
 */
int shm_region_fixup_fault(struct shm_region *r, uint64_t offset);
/* Counts a request refused before it reached map/unmap (e.g. unknown flag bits). */
void shm_region_note_failure(struct shm_region *r);

/*
 * Describes the live mapping that overlaps [offset, offset + len), if any: 1 with *map_offset
 * and *map_len set, 0 if none. For error messages and tests.
 */
int shm_region_find(struct shm_region *r, uint64_t offset, uint64_t len, uint64_t *map_offset,
		    uint64_t *map_len);

/*
 * Where the guest sees the region whose host range starts at hva: the transport calls this
 * when it (re)registers the region's memslot (gpa ~0ULL: BAR unmapped). Unknown hva: ignored.
 */
void shm_region_gpa_moved(void *hva, uint64_t gpa);
/*
 * For the vCPU loop, when an MMIO exit hits no device: if [gpa, gpa + len) lies in a region,
 * the access is to a page KVM could not map (past EOF of a mapped file): the page(s) are replaced
 * by zero scratch (shm_region_fixup_fault), the read is completed from / the write stored into
 * the region, and 1 is returned. 0 if gpa is not in any region.
 */
int shm_region_mmio_fallback(uint64_t gpa, void *data, uint32_t len, bool is_write);

/* One live mapping, as shm_region_for_each_mapping reports it. */
struct shm_mapping_info {
	uint64_t offset, len;  /* in the region */
	uint64_t fd_offset;
	bool writable;
	uint64_t dev, ino;     /* of the mapped file (fstat at map time) */
};

/*
 * Read-only snapshot: calls cb for every live mapping in offset order under the region lock
 * (cb must not call into the region). Returns the number of mappings, or the first negative
 * value cb returned (the walk stops there).
 */
int shm_region_for_each_mapping(struct shm_region *r,
				int (*cb)(const struct shm_mapping_info *m, void *arg), void *arg);
/* "range", "overlap", ... for enum shm_refuse. */
const char *shm_region_refuse_name(unsigned int reason);

/* Process-wide count of live mappings over all regions (each costs up to 2 VMAs). */
uint64_t shm_region_global_live(void);

#endif
