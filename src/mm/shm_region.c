// SPDX-License-Identifier: MIT
/*
 * VIRTIO shared memory regions: a reserved host range, fds mapped into it in place with
 * mmap(MAP_FIXED), holes backed by private anonymous scratch. See shm_region.h and docs/SHM.md.
 *
 * Live mappings are kept in a glibc tsearch(3) tree (a red-black tree) whose comparison treats
 * two overlapping ranges as equal. Stored ranges never overlap, so that comparison is a total
 * order on them, and a lookup with any range finds a stored range that overlaps it, if one
 * exists, in O(log n): one lookup is both the overlap check of map and the exact-match check of
 * unmap.
 *
 * Unbacked pages (past EOF of the mapped file): a mapping keeps the file mapped over its whole
 * range, so it follows the file while it grows. Nothing is done until the guest reaches such a
 * page: then the repair finds the first page of the mapping that cannot be faulted in and maps
 * zero scratch over [that page, end of the mapping) in one mmap (m->backed shrinks). Regular
 * files (and memfds) are backed up to their EOF, so the unbacked part is a suffix: probing the
 * last backed page tells whether a mapping needs a repair, a binary search finds where.
 */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/err.h"
#include "mm/shm_region.h"
#include "util/log.h"

#define SHM_PAGE_SIZE 4096ULL
#define SHM_HOLE_PROT (PROT_READ | PROT_WRITE)
#define SHM_HOLE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

struct shm_mapping {
	uint64_t offset;
	uint64_t len;
	uint64_t backed;       /* bytes from offset still mapped from the file; the rest is zeros */
	bool writable;
	uint64_t fd_offset, dev, ino; /* what is mapped (control API, vm.shm) */
};

static void mapping_free(void *p)
{
	free(p);
}

static atomic_uint_fast64_t global_live;
static pthread_once_t map_count_once = PTHREAD_ONCE_INIT;
static uint64_t max_map_count = 65530;

static void read_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	unsigned long long v;

	if (!f)
		return;
	if (fscanf(f, "%llu", &v) == 1 && v > 0)
		max_map_count = v;
	fclose(f);
}

uint64_t shm_region_global_live(void)
{
	return atomic_load(&global_live);
}

static int range_cmp(const void *a, const void *b)
{
	const struct shm_mapping *x = a, *y = b;

	if (x->offset + x->len <= y->offset)
		return -1;
	if (y->offset + y->len <= x->offset)
		return 1;
	return 0;
}

static int hole_map(void *addr, uint64_t len)
{
	void *p = mmap(addr, len, SHM_HOLE_PROT, SHM_HOLE_FLAGS | MAP_FIXED, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

int shm_region_init(struct shm_region *r, uint8_t id, uint64_t size, unsigned int max_mappings,
		    unsigned int flags)
{
	uint8_t *raw, *base;
	uint64_t head, tail;

	memset(r, 0, sizeof(*r));
	if (!size || size % SHM_REGION_ALIGN || size > SHM_REGION_MAX_SIZE)
		return -EINVAL;
	if (flags & ~SHM_REGION_STRICT_RO)
		return -EINVAL;
	pthread_once(&map_count_once, read_max_map_count);

	/* Over-reserve by one alignment unit and trim to a 2 MiB aligned range. */
	raw = mmap(NULL, size + SHM_REGION_ALIGN, SHM_HOLE_PROT, SHM_HOLE_FLAGS, -1, 0);
	if (raw == MAP_FAILED)
		return -errno;
	base = (uint8_t *)(((uintptr_t)raw + SHM_REGION_ALIGN - 1) & ~(SHM_REGION_ALIGN - 1));
	head = base - raw;
	tail = SHM_REGION_ALIGN - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + size, tail);

	r->id = id;
	r->size = size;
	r->hva = base;
	r->flags = flags;
	r->max_mappings = max_mappings ? max_mappings : SHM_REGION_DEFAULT_MAX_MAPPINGS;
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void shm_region_destroy(struct shm_region *r)
{
	if (!r->hva)
		return;
	shm_region_unmap_all(r);
	munmap(r->hva, r->size);
	r->hva = NULL;
	pthread_mutex_destroy(&r->lock);
}

static int check_range(const struct shm_region *r, uint64_t off, uint64_t len, char *err,
		       size_t errlen)
{
	if (!len) {
		err_fmt(err, errlen, 0, "len is 0");
		return -EINVAL;
	}
	if (off % SHM_PAGE_SIZE || len % SHM_PAGE_SIZE) {
		err_fmt(err, errlen, 0, "shm_offset/len not aligned to the %llu-byte page",
			SHM_PAGE_SIZE);
		return -EINVAL;
	}
	if (off > r->size || len > r->size - off) {
		err_fmt(err, errlen, 0, "range outside the region (size 0x%llx)",
			(unsigned long long)r->size);
		return -ERANGE;
	}
	return 0;
}

/*
 * Why the mmap of fd failed, for err: the kernel checked the access mode (mmap refuses a
 * read-write MAP_SHARED of an fd not open for writing, any mapping of an fd not open for
 * reading, and an O_PATH fd), so this runs only on that error path.
 */
static void explain_fd(int fd, bool writable, int ret, char *err, size_t errlen)
{
	int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);

	if (fl < 0)
		err_fmt(err, errlen, 0, "bad fd %d", fd);
	else if ((fl & O_PATH) == O_PATH)
		err_fmt(err, errlen, 0, "O_PATH fd cannot be mapped");
	else if ((fl & O_ACCMODE) == O_WRONLY)
		err_fmt(err, errlen, 0, "mmap of the fd failed: fd not open for reading");
	else if (writable && (fl & O_ACCMODE) == O_RDONLY)
		err_fmt(err, errlen, 0, "mmap of the fd failed: read-write mapping of a read-only fd");
	else
		err_fmt(err, errlen, 0, "mmap of the fd failed: %s", strerror(-ret));
}

static int check_caps(const struct shm_region *r, char *err, size_t errlen)
{
	uint64_t vma_budget;

	if (r->stats.live >= r->max_mappings) {
		err_fmt(err, errlen, 0, "region holds %llu mappings, the cap",
			(unsigned long long)r->stats.live);
		return -ENOSPC;
	}
	/* Every VMA a mapping can cost: file part, zero tail after a repair, split of the hole. */
	vma_budget = max_map_count > SHM_REGION_MAP_COUNT_RESERVE ?
		     max_map_count - SHM_REGION_MAP_COUNT_RESERVE : 0;
	if ((atomic_load(&global_live) + 1) * SHM_REGION_VMAS_PER_MAPPING > vma_budget) {
		err_fmt(err, errlen, 0, "%llu live mappings in the process: vm.max_map_count %llu",
			(unsigned long long)atomic_load(&global_live),
			(unsigned long long)max_map_count);
		return -ENOSPC;
	}
	return 0;
}

static void drop_all_locked(struct shm_region *r);

static int install(struct shm_region *r, uint64_t off, uint64_t len, int fd, uint64_t fd_off,
		   bool writable, char *err, size_t errlen)
{
	void *addr = r->hva + off, *p;
	int ret;

	if (writable)
		p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, fd_off);
	else if (r->flags & SHM_REGION_STRICT_RO)
		p = mmap(addr, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, fd_off);
	else
		p = mmap(addr, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, fd, fd_off);
	if (p != MAP_FAILED)
		return 0;
	ret = -errno;
	explain_fd(fd, writable, ret, err, errlen);
	/* A failed MAP_FIXED may have unmapped the range: put the hole back. */
	if (!hole_map(addr, len))
		return ret;
	/* Not even that: reset the whole range (one mmap that merges every VMA of it). */
	drop_all_locked(r);
	err_fmt(err, errlen, 0, "mmap of the fd failed: %s, and so did restoring the hole: every "
		"mapping of the region was dropped", strerror(-ret));
	return -EIO;
}

static int do_map(struct shm_region *r, uint64_t off, uint64_t len, int fd, uint64_t fd_off,
		  bool writable, char *err, size_t errlen)
{
	struct shm_mapping key = { .offset = off, .len = len }, *m, **found;
	struct stat st;
	int ret;

	ret = check_range(r, off, len, err, errlen);
	if (ret)
		return ret;
	if (fd_off % SHM_PAGE_SIZE) {
		err_fmt(err, errlen, 0, "fd_offset not aligned to the page");
		return -EINVAL;
	}
	if (fd_off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - fd_off) {
		err_fmt(err, errlen, 0, "fd_offset + len overflows");
		return -EOVERFLOW;
	}
	found = tfind(&key, &r->tree, range_cmp);
	if (found) {
		err_fmt(err, errlen, 0, "overlaps live mapping at 0x%llx+0x%llx",
			(unsigned long long)(*found)->offset, (unsigned long long)(*found)->len);
		return -EEXIST;
	}
	ret = check_caps(r, err, errlen);
	if (ret)
		return ret;
	m = malloc(sizeof(*m));
	if (!m) {
		err_fmt(err, errlen, 0, "out of memory");
		return -ENOMEM;
	}
	*m = (struct shm_mapping){ .offset = off, .len = len, .backed = len, .writable = writable,
				   .fd_offset = fd_off };
	if (!fstat(fd, &st)) {
		m->dev = st.st_dev;
		m->ino = st.st_ino;
	}
	ret = install(r, off, len, fd, fd_off, writable, err, errlen);
	if (ret) {
		free(m);
		return ret;
	}
	if (!tsearch(m, &r->tree, range_cmp)) {
		hole_map(r->hva + off, len);
		free(m);
		err_fmt(err, errlen, 0, "out of memory");
		return -ENOMEM;
	}
	r->stats.live++;
	r->stats.total_maps++;
	atomic_fetch_add(&global_live, 1);
	return 0;
}

static const char *const refuse_names[SHM_REFUSE_COUNT] = {
	[SHM_REFUSE_RANGE] = "range", [SHM_REFUSE_OVERLAP] = "overlap",
	[SHM_REFUSE_NO_MAPPING] = "no_mapping", [SHM_REFUSE_CAP] = "cap", [SHM_REFUSE_FD] = "fd",
	[SHM_REFUSE_REQUEST] = "request", [SHM_REFUSE_OTHER] = "other",
};

const char *shm_region_refuse_name(unsigned int reason)
{
	return reason < SHM_REFUSE_COUNT ? refuse_names[reason] : "?";
}

/* Lock held. */
static void count_refused(struct shm_region *r, int err)
{
	enum shm_refuse why;

	switch (err) {
	case -EINVAL: case -ERANGE: case -EOVERFLOW: why = SHM_REFUSE_RANGE; break;
	case -EEXIST: why = SHM_REFUSE_OVERLAP; break;
	case -ENOENT: why = SHM_REFUSE_NO_MAPPING; break;
	case -ENOSPC: why = SHM_REFUSE_CAP; break;
	case -EBADF: case -EACCES: case -ENODEV: why = SHM_REFUSE_FD; break;
	default: why = SHM_REFUSE_OTHER; break;
	}
	r->stats.failed++;
	r->stats.refused[why]++;
}

int shm_region_map(struct shm_region *r, uint64_t shm_offset, uint64_t len, int fd,
		   uint64_t fd_offset, bool writable, char *err, size_t errlen)
{
	int ret;

	err_fmt(err, errlen, 0, "ok");
	pthread_mutex_lock(&r->lock);
	ret = do_map(r, shm_offset, len, fd, fd_offset, writable, err, errlen);
	if (ret)
		count_refused(r, ret);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int do_unmap(struct shm_region *r, uint64_t off, uint64_t len, char *err, size_t errlen)
{
	struct shm_mapping key = { .offset = off, .len = len }, *m, **found;
	int ret;

	ret = check_range(r, off, len, err, errlen);
	if (ret)
		return ret;
	found = tfind(&key, &r->tree, range_cmp);
	if (!found) {
		err_fmt(err, errlen, 0, "no live mapping there");
		return -ENOENT;
	}
	m = *found;
	if (m->offset != off || m->len != len) {
		err_fmt(err, errlen, 0, "does not match live mapping at 0x%llx+0x%llx",
			(unsigned long long)m->offset, (unsigned long long)m->len);
		return -EINVAL;
	}
	ret = hole_map(r->hva + off, len);
	if (ret) {
		err_fmt(err, errlen, 0, "cannot restore the hole: %s", strerror(-ret));
		return ret;
	}
	tdelete(&key, &r->tree, range_cmp);
	mapping_free(m);
	r->stats.live--;
	r->stats.total_unmaps++;
	atomic_fetch_sub(&global_live, 1);
	return 0;
}

int shm_region_unmap(struct shm_region *r, uint64_t shm_offset, uint64_t len, char *err,
		     size_t errlen)
{
	int ret;

	err_fmt(err, errlen, 0, "ok");
	pthread_mutex_lock(&r->lock);
	ret = do_unmap(r, shm_offset, len, err, errlen);
	if (ret)
		count_refused(r, ret == -EINVAL && shm_offset % SHM_PAGE_SIZE == 0 &&
				    len % SHM_PAGE_SIZE == 0 && len ? -ENOENT : ret);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int shm_region_unmap_all(struct shm_region *r)
{
	unsigned int n;
	int ret;

	if (!r->hva)
		return 0;
	pthread_mutex_lock(&r->lock);
	n = r->stats.live;
	/* One mmap over the whole range drops every mapping and every scratch page. */
	ret = hole_map(r->hva, r->size);
	if (ret) {
		pthread_mutex_unlock(&r->lock);
		return ret;
	}
	tdestroy(r->tree, mapping_free);
	r->tree = NULL;
	r->stats.live = 0;
	r->stats.total_unmaps += n;
	atomic_fetch_sub(&global_live, n);
	pthread_mutex_unlock(&r->lock);
	return (int)n;
}

void shm_region_get_stats(struct shm_region *r, struct shm_region_stats *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->stats;
	pthread_mutex_unlock(&r->lock);
}

void shm_region_note_failure(struct shm_region *r)
{
	pthread_mutex_lock(&r->lock);
	r->stats.failed++;
	r->stats.refused[SHM_REFUSE_REQUEST]++;
	pthread_mutex_unlock(&r->lock);
}

struct walk_ctx {
	int (*cb)(const struct shm_mapping_info *m, void *arg);
	void *arg;
	int ret;
};

static void walk_one(const void *node, VISIT which, void *closure)
{
	const struct shm_mapping *m = *(const struct shm_mapping *const *)node;
	struct walk_ctx *w = closure;
	struct shm_mapping_info info;
	int ret;

	if ((which != postorder && which != leaf) || w->ret < 0)
		return;
	info = (struct shm_mapping_info){ .offset = m->offset, .len = m->len,
					  .fd_offset = m->fd_offset, .writable = m->writable,
					  .dev = m->dev, .ino = m->ino };
	ret = w->cb(&info, w->arg);
	w->ret = ret < 0 ? ret : w->ret + 1;
}

int shm_region_for_each_mapping(struct shm_region *r,
				int (*cb)(const struct shm_mapping_info *m, void *arg), void *arg)
{
	struct walk_ctx w = { .cb = cb, .arg = arg };

	pthread_mutex_lock(&r->lock);
	twalk_r(r->tree, walk_one, &w);
	pthread_mutex_unlock(&r->lock);
	return w.ret;
}

int shm_region_find(struct shm_region *r, uint64_t offset, uint64_t len, uint64_t *map_offset,
		    uint64_t *map_len)
{
	struct shm_mapping key = { .offset = offset, .len = len ? len : 1 }, **found;
	int ret = 0;

	if (offset > UINT64_MAX - key.len)
		return 0;
	pthread_mutex_lock(&r->lock);
	found = tfind(&key, &r->tree, range_cmp);
	if (found) {
		*map_offset = (*found)->offset;
		*map_len = (*found)->len;
		ret = 1;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}


/*
 * Fault-safe copy between local memory and the region's host range: process_vm_readv/writev on
 * the own process fault the pages in like any access but return EFAULT (or a short count)
 * where memcpy would raise SIGBUS (past EOF, truncated file). Returns bytes copied or -errno.
 */
static ssize_t safe_copy(void *local, void *range, size_t len, bool to_range)
{
	struct iovec l = { .iov_base = local, .iov_len = len };
	struct iovec rm = { .iov_base = range, .iov_len = len };
	ssize_t n;

	n = to_range ? process_vm_writev(getpid(), &l, 1, &rm, 1, 0) :
		       process_vm_readv(getpid(), &l, 1, &rm, 1, 0);
	return n < 0 ? -errno : n;
}

/* Can the page at addr be faulted in (read)? */
static bool page_ok(void *addr)
{
	uint8_t b;

	return safe_copy(&b, addr, 1, false) == 1;
}

/*
 * First page (byte offset inside m) that cannot be faulted in, or m->backed if none. Probes the
 * last backed page first (one probe for a healthy mapping), then binary-searches the boundary:
 * page lo is backed, page hi is not. must_fail (inside m, or UINT64_MAX) is a page known to
 * have faulted: the result is never after it, even if the file is not a prefix-backed one.
 */
static uint64_t first_unbacked(const struct shm_region *r, const struct shm_mapping *m,
			       uint64_t must_fail)
{
	uint8_t *base = r->hva + m->offset;
	uint64_t lo, hi, mid;

	if (!m->backed)
		return 0;
	hi = (m->backed - SHM_PAGE_SIZE) / SHM_PAGE_SIZE;
	if (page_ok(base + hi * SHM_PAGE_SIZE)) {
		if (must_fail < m->backed && !page_ok(base + must_fail))
			return must_fail;
		return m->backed;
	}
	if (!page_ok(base))
		return 0;
	lo = 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (page_ok(base + mid * SHM_PAGE_SIZE))
			lo = mid;
		else
			hi = mid;
	}
	hi *= SHM_PAGE_SIZE;
	return must_fail < hi && !page_ok(base + must_fail) ? must_fail : hi;
}

/*
 * Repairs m: 1 if its unbacked tail was replaced by zero scratch, 0 if nothing to do, -errno
 * if the mmap failed.
 */
static int repair_mapping(struct shm_region *r, struct shm_mapping *m, uint64_t must_fail)
{
	uint64_t from = first_unbacked(r, m, must_fail);
	int ret;

	if (from >= m->backed)
		return 0;
	ret = hole_map(r->hva + m->offset + from, m->backed - from);
	if (ret)
		return ret;
	m->backed = from;
	r->stats.repairs++;
	return 1;
}

/* Last resort when a repair failed: drop every mapping (one mmap, no new VMA). Lock held. */
static void drop_all_locked(struct shm_region *r)
{
	uint64_t n = r->stats.live;

	if (hole_map(r->hva, r->size))
		return;
	tdestroy(r->tree, mapping_free);
	r->tree = NULL;
	r->stats.live = 0;
	r->stats.total_unmaps += n;
	atomic_fetch_sub(&global_live, n);
}

static struct shm_mapping *mapping_at(struct shm_region *r, uint64_t offset)
{
	struct shm_mapping key = { .offset = offset, .len = 1 }, **found;

	found = tfind(&key, &r->tree, range_cmp);
	return found ? *found : NULL;
}

/* Repairs the mapping holding offset (page aligned), if any. 0/1 or -errno. Lock held. */
static int repair_at(struct shm_region *r, uint64_t offset)
{
	struct shm_mapping *m = mapping_at(r, offset);

	if (!m)
		return 0;
	return repair_mapping(r, m, offset - m->offset);
}

struct repair_walk {
	struct shm_region *r;
	int repaired, err;
};

static void repair_visit(const void *node, VISIT which, void *closure)
{
	struct shm_mapping *m = *(struct shm_mapping *const *)node;
	struct repair_walk *w = closure;
	int ret;

	if ((which != postorder && which != leaf) || w->err)
		return;
	ret = repair_mapping(w->r, m, UINT64_MAX);
	if (ret < 0)
		w->err = ret;
	else
		w->repaired += ret;
}

int shm_region_repair(struct shm_region *r, uint64_t offset)
{
	struct repair_walk w = { .r = r };
	int ret;

	pthread_mutex_lock(&r->lock);
	if (offset != UINT64_MAX) {
		ret = offset < r->size ? repair_at(r, offset & ~(SHM_PAGE_SIZE - 1)) : 0;
	} else {
		twalk_r(r->tree, repair_visit, &w);
		ret = w.err ? w.err : w.repaired;
	}
	if (ret < 0)
		drop_all_locked(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int shm_region_access(struct shm_region *r, uint64_t offset, void *data, uint32_t len,
		      bool is_write)
{
	uint8_t *addr = r->hva + offset;
	int ret = 0, repaired = 0;
	ssize_t n;

	if (!len || len > 8 || offset >= r->size || len > r->size - offset) {
		if (!is_write)
			memset(data, 0, len > 8 ? 8 : len);
		return -EINVAL;
	}
	pthread_mutex_lock(&r->lock);
	r->stats.accesses++;
	/* the region lock keeps the backend channel from remapping the page under the copy */
	for (int attempt = 0; attempt < 3; attempt++) {
		n = safe_copy(data, addr, len, is_write);
		if (n == (ssize_t)len)
			goto out;
		/* the access may straddle two pages: repair both ends */
		ret = repair_at(r, offset & ~(SHM_PAGE_SIZE - 1));
		if (ret >= 0) {
			repaired |= ret;
			ret = repair_at(r, (offset + len - 1) & ~(SHM_PAGE_SIZE - 1));
		}
		if (ret < 0)
			break;
		repaired |= ret;
	}
	if (!is_write)
		memset(data, 0, len);
	if (ret >= 0) {
		/* nothing to repair and still no access (a write to a strict read-only mapping):
		 * the read returns zeros, the write is dropped */
		ret = -EFAULT;
		goto out;
	}
	/* a repair failed: drop everything, the range is all zero scratch */
	drop_all_locked(r);
out:
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : repaired;
}
