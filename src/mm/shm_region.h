/* SPDX-License-Identifier: MIT */
/*
 * VIRTIO shared memory region: a host address range the guest sees through one KVM memslot (the
 * transport's shm BAR), into which file descriptors are mapped at run time with mmap(MAP_FIXED).
 * The device owns the region objects; the transport reads them (id, size, hva) and owns guest
 * accesses that reach the VMM (shm_region_access, shm_region_repair). See docs/SHM.md.
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
 *   - the part of a mapping past EOF of its file (mapped that way, or the host truncated the
 *     file later): the file mapping covers the whole range, so it follows the file while it
 *     grows. The first guest access to a page with no file behind it cannot be completed by KVM
 *     (MMIO exit on some hosts, KVM_RUN EFAULT on others): shm_region_access/repair then replace
 *     [first unbacked page, end of the mapping) with zero scratch in one mmap, so the guest reads
 *     zeros there from then on and each mapping costs at most one extra VMA, whatever the guest
 *     touches.
 *
 * Threads: map/unmap/unmap_all/access/repair/stats take the region lock; the vCPU threads
 * access the range through KVM without any lock (they see the hole, the mapping or its zero
 * tail, never unmapped VA). Host-side copies from/to the range never fault: they use
 * process_vm_readv/writev on the own process, which return EFAULT where a plain memcpy would
 * raise SIGBUS.
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
/* VMAs one live mapping can cost: its file part, its zero tail, the split of the hole. */
#define SHM_REGION_VMAS_PER_MAPPING 3u

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
	uint64_t repairs;      /* unbacked mapping tails replaced by zero scratch */
	uint64_t accesses;     /* guest accesses completed by shm_region_access */
	uint64_t refused[SHM_REFUSE_COUNT]; /* failed, by reason */
};

struct shm_region {
	uint8_t id;            /* shmid */
	uint64_t size;         /* bytes */
	uint8_t *hva;          /* start of the reserved host range (2 MiB aligned) */
	unsigned int flags;
	unsigned int max_mappings;

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
 * overlap with a live mapping; caps (own, and SHM_REGION_VMAS_PER_MAPPING VMAs per live
 * mapping against vm.max_map_count); fd open with a mode that allows the protection. The
 * caller keeps ownership of fd (it may close it right after: the mapping holds its own
 * reference). Mapping past EOF of a regular file is allowed (see the header comment).
 * Returns 0 or -errno (-EINVAL, -ERANGE, -EEXIST overlap, -ENOSPC caps, -EACCES, -EBADF,
 * -ENODEV, ...); on error the region is unchanged and, if err is not NULL, err holds a one-line
 * reason ("overlaps live mapping at 0x..+0x.."). Exception, -EIO: the mmap failed and so did
 * restoring the hole; every mapping of the region was dropped (the device must be reset).
 */
int shm_region_map(struct shm_region *r, uint64_t shm_offset, uint64_t len, int fd,
		   uint64_t fd_offset, bool writable, char *err, size_t errlen);
/* Removes the live mapping that starts at shm_offset and has exactly len bytes. 0 or -errno
 * (-ENOENT: nothing there, -EINVAL: overlaps a mapping but is not exactly it). */
int shm_region_unmap(struct shm_region *r, uint64_t shm_offset, uint64_t len, char *err,
		     size_t errlen);
/*
 * Drops all mappings (one mmap over the whole range); returns how many were dropped, or -errno
 * when the range could not be replaced (the mappings stay).
 */
int shm_region_unmap_all(struct shm_region *r);

void shm_region_get_stats(struct shm_region *r, struct shm_region_stats *out);
/* Counts a request refused before it reached map/unmap (e.g. unknown flag bits). */
void shm_region_note_failure(struct shm_region *r);

/*
 * Describes the live mapping that overlaps [offset, offset + len), if any: 1 with *map_offset
 * and *map_len set, 0 if none. For error messages and tests.
 */
int shm_region_find(struct shm_region *r, uint64_t offset, uint64_t len, uint64_t *map_offset,
		    uint64_t *map_len);

/*
 * A guest access to [offset, offset + len) that came back to the VMM (MMIO exit inside the
 * region's window: a page KVM could not map, e.g. past EOF of a mapped file). Repairs the
 * mapping there (shm_region_repair) and completes the access from the region with fault-safe
 * copies. Returns 0, 1 if a mapping was repaired on the way, -EFAULT if nothing could be
 * repaired and the access still fails (a write to a SHM_REGION_STRICT_RO mapping: the write is
 * dropped), or another -errno when a repair failed: then every mapping of the region was
 * dropped (one mmap, which never needs a new VMA) and the device must be reset. A read that
 * fails returns zeros. len 1..8 (bus accesses), offset + len inside the region.
 */
int shm_region_access(struct shm_region *r, uint64_t offset, void *data, uint32_t len,
		      bool is_write);
/*
 * After KVM_RUN failed with EFAULT. offset: the region offset of the faulting access when known
 * (KVM_EXIT_MEMORY_FAULT), else UINT64_MAX: every live mapping is checked. A mapping whose
 * last file page cannot be faulted in (fault-safe probe) gets [its first such page, its end)
 * replaced by zero scratch. Returns the number of mappings repaired (0: nothing in this region
 * could have faulted), or -errno when a repair failed (all mappings dropped, as above).
 */
int shm_region_repair(struct shm_region *r, uint64_t offset);

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

/* Process-wide count of live mappings over all regions. */
uint64_t shm_region_global_live(void);

#endif
