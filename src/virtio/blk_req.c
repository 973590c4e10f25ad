// SPDX-License-Identifier: MIT
/*
 * virtio-blk request validation and execution. Reads and writes go to the device's I/O
 * back-end (blk_sync.c, blk_uring.c); flush, get-id, discard and write-zeroes run here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio/blk_priv.h"
#include "util/log.h"

#define SECTOR 512ULL
#define BLK_MAX_RW (1ULL << 31)   /* bytes per read/write request */

/* sectors [sector, sector + bytes / 512) inside the disk; bytes a multiple of 512. */
static bool range_ok(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR;

	return bytes % SECTOR == 0 && sector <= b->capacity && n <= b->capacity - sector;
}

int blk_rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool wr)
{
	while (n > 0) {
		ssize_t r = wr ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (wr)
				return -EIO;
			/* The image shrank under us: the rest reads as zeros. */
			for (int i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Drops the first done bytes of iov[0..*n) in place. */
static struct iovec *iov_advance(struct iovec *iov, int *n, uint64_t done)
{
	while (*n > 0 && done >= iov->iov_len) {
		done -= iov->iov_len;
		iov++;
		(*n)--;
	}
	if (*n > 0) {
		iov->iov_base = (uint8_t *)iov->iov_base + done;
		iov->iov_len -= done;
	}
	return iov;
}

/*
 * cache = "direct" with guest buffers the kernel cannot DMA into (address or segment length
 * not aligned): through the device's aligned bounce buffer, one chunk at a time. off and len
 * are already aligned.
 */
static int bounce_rw(struct blk *b, struct blk_slot *s)
{
	uint64_t done = 0;

	while (done < s->len) {
		size_t c = s->len - done < BLK_BOUNCE_SIZE ? s->len - done : BLK_BOUNCE_SIZE;
		struct iovec one = { b->bounce, c };
		int r;

		if (s->wr)
			iov_to_buf(s->data, (unsigned int)s->ndata, done, b->bounce, c);
		r = blk_rw_full(b->fd, &one, 1, s->off + done, s->wr);
		if (r < 0)
			return r;
		if (!s->wr)
			iov_from_buf(s->data, (unsigned int)s->ndata, done, b->bounce, c);
		done += c;
	}
	return 0;
}

static bool dio_mem_aligned(const struct blk *b, const struct blk_slot *s)
{
	for (int i = 0; i < s->ndata; i++)
		if ((uintptr_t)s->data[i].iov_base % b->dio_mem_align ||
		    s->data[i].iov_len % b->dio_off_align)
			return false;
	return true;
}

static uint8_t status_of(struct blk *b, struct blk_slot *s, int64_t res)
{
	if (res < 0) {
		pr_warn_rl("%s: %s at sector %llu failed: %s", b->vdev.name, s->wr ? "write" : "read",
			   (unsigned long long)(s->off / SECTOR), strerror((int)-res));
		return VIRTIO_BLK_S_IOERR;
	}
	if (!s->wr)
		s->written = (uint32_t)s->len;
	return VIRTIO_BLK_S_OK;
}

static void count(struct blk *b, const struct blk_slot *s, uint8_t status)
{
	atomic_fetch_add_explicit(&b->stats.ops[s->op], 1, memory_order_relaxed);
	if (status == VIRTIO_BLK_S_IOERR)
		atomic_fetch_add_explicit(&b->stats.io_errors, 1, memory_order_relaxed);
	else if (status == VIRTIO_BLK_S_OK && s->op == VIRTIO_BLK_STAT_READ)
		atomic_fetch_add_explicit(&b->stats.read_bytes, s->written, memory_order_relaxed);
	else if (status == VIRTIO_BLK_S_OK && s->op == VIRTIO_BLK_STAT_WRITE)
		atomic_fetch_add_explicit(&b->stats.write_bytes, s->len, memory_order_relaxed);
}

/* Status byte, counters, used ring; the slot goes back to its pool. */
static void complete(struct blk *b, struct blk_slot *s, uint8_t status)
{
	count(b, s, status);
	*s->status = status;
	if (!b->vqs[s->q].broken) {      /* a broken queue waits for its reset */
		virtq_push(&b->vqs[s->q], s->elem.head, s->written + 1);
		b->pushed[s->q] = true;
	}
	blk_slot_release(b, s);
}

void blk_req_finish(struct blk *b, struct blk_slot *s, int64_t res)
{
	/* A short transfer (EOF, or the kernel stopping early): the rest synchronously. */
	if (res >= 0 && (uint64_t)res < s->len) {
		int n = s->ndata;
		struct iovec *rest = iov_advance(s->data, &n, (uint64_t)res);

		res = blk_rw_full(b->fd, rest, n, s->off + (uint64_t)res, s->wr);
	}
	complete(b, s, status_of(b, s, res));
}

/* Read/write: checks, then the back-end. 0xff = handed to the back-end (or finished there). */
static uint8_t do_rw(struct blk *b, struct blk_slot *s, uint64_t sector, bool wr)
{
	struct virtq_elem *e = &s->elem;
	uint64_t len = wr ? e->out_len - sizeof(struct virtio_blk_outhdr) : e->in_len - 1;
	int n;

	s->wr = wr;
	if (wr && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len > BLK_MAX_RW || !range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	s->off = sector * SECTOR;
	s->len = len;
	/* The data buffers, in place: writes after the header, reads before the status byte. */
	if (wr)
		n = iov_slice(e->iov, e->out_num, sizeof(struct virtio_blk_outhdr), len, e->iov, e->max);
	else
		n = iov_slice(e->iov + e->out_num, e->in_num, 0, len, e->iov, e->max);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	s->data = e->iov;
	s->ndata = n;
	if (b->direct) {
		if (s->off % b->dio_off_align || len % b->dio_off_align) {
			pr_warn_rl("%s: %s at sector %llu, %llu bytes: not aligned to the %u-byte "
				   "blocks of cache = \"direct\"", b->vdev.name, wr ? "write" : "read",
				   (unsigned long long)sector, (unsigned long long)len,
				   b->dio_off_align);
			return VIRTIO_BLK_S_IOERR;
		}
		if (!dio_mem_aligned(b, s))
			return status_of(b, s, bounce_rw(b, s));
	}
	b->io->submit(b, s);
	return 0xff;
}

static uint8_t do_flush(struct blk *b)
{
	if (!b->readonly && fdatasync(b->fd) < 0)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct blk *b, struct blk_slot *s)
{
	const struct virtq_elem *e = &s->elem;
	uint64_t n = e->in_len - 1 < VIRTIO_BLK_ID_BYTES ? e->in_len - 1 : VIRTIO_BLK_ID_BYTES;

	s->written = (uint32_t)iov_from_buf(e->iov + e->out_num, e->in_num, 0, b->id, n);
	return VIRTIO_BLK_S_OK;
}

static int zero_range(int fd, uint64_t off, uint64_t len, bool unmap)
{
	static const uint8_t zeros[65536] __attribute__((aligned(4096)));

	if (unmap && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	while (len > 0) {
		size_t c = len < sizeof(zeros) ? len : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, c, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* DISCARD and WRITE_ZEROES: exactly one segment after the header. */
static uint8_t do_discard_zeroes(struct blk *b, struct blk_slot *s, bool zeroes)
{
	const struct virtq_elem *e = &s->elem;
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t off, len;

	if (b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (e->out_len != sizeof(struct virtio_blk_outhdr) + sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP;
	iov_to_buf(e->iov, e->out_num, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg));
	if (seg.flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (!zeroes && seg.flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (seg.num_sectors > BLK_MAX_DISCARD_SECTORS ||
	    !range_ok(b, seg.sector, (uint64_t)seg.num_sectors * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	off = seg.sector * SECTOR;
	len = (uint64_t)seg.num_sectors * SECTOR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	if (!zeroes) {
		/* Advisory: a filesystem without hole punching simply keeps the data. */
		fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
		return VIRTIO_BLK_S_OK;
	}
	return zero_range(b->fd, off, len, seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) < 0 ?
	       VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t do_read(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	return do_rw(b, s, sector, false);
}

static uint8_t do_write(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	return do_rw(b, s, sector, true);
}

static uint8_t do_flush_req(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	(void)s, (void)sector;
	return do_flush(b);
}

static uint8_t do_get_id_req(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	(void)sector;
	return do_get_id(b, s);
}

static uint8_t do_discard(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	(void)sector;
	return do_discard_zeroes(b, s, false);
}

static uint8_t do_write_zeroes(struct blk *b, struct blk_slot *s, uint64_t sector)
{
	(void)sector;
	return do_discard_zeroes(b, s, true);
}

struct req_handler {
	uint32_t type;
	uint8_t (*fn)(struct blk *b, struct blk_slot *s, uint64_t sector);
};

/* Index = VIRTIO_BLK_STAT_* (the counters). */
static const struct req_handler handlers[] = {
	[VIRTIO_BLK_STAT_READ] = { VIRTIO_BLK_T_IN, do_read },
	[VIRTIO_BLK_STAT_WRITE] = { VIRTIO_BLK_T_OUT, do_write },
	[VIRTIO_BLK_STAT_FLUSH] = { VIRTIO_BLK_T_FLUSH, do_flush_req },
	[VIRTIO_BLK_STAT_GET_ID] = { VIRTIO_BLK_T_GET_ID, do_get_id_req },
	[VIRTIO_BLK_STAT_DISCARD] = { VIRTIO_BLK_T_DISCARD, do_discard },
	[VIRTIO_BLK_STAT_WRITE_ZEROES] = { VIRTIO_BLK_T_WRITE_ZEROES, do_write_zeroes },
};

int blk_req_start(struct blk *b, struct blk_slot *s)
{
	struct virtq_elem *e = &s->elem;
	struct virtio_blk_outhdr hdr;
	const struct iovec *last;
	uint8_t status = VIRTIO_BLK_S_UNSUPP;

	if (e->in_len < 1) {
		pr_warn_rl("%s: request without a writable status byte", b->vdev.name);
		return -EINVAL;
	}
	/* The status byte is the last writable byte (the walker drops empty buffers). */
	last = &e->iov[e->out_num + e->in_num - 1];
	s->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	s->op = VIRTIO_BLK_STAT_UNSUPPORTED;
	s->written = 0;
	s->wr = false;
	s->len = 0;
	if (e->out_len < sizeof(hdr)) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		iov_to_buf(e->iov, e->out_num, 0, &hdr, sizeof(hdr));
		for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
			if (handlers[i].type == hdr.type) {
				s->op = (uint8_t)i;
				status = handlers[i].fn(b, s, hdr.sector);
				break;
			}
		}
	}
	if (status != 0xff)
		complete(b, s, status);
	return 0;
}
