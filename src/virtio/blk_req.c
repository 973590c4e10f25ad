// SPDX-License-Identifier: MIT
/* virtio-blk request validation and execution against the image file. */
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

struct blk_req {
	struct blk *b;
	const struct virtq_elem *e;
	struct virtio_blk_outhdr hdr;
	uint64_t data_in;   /* writable bytes before the status byte */
	uint32_t written;   /* bytes written to the guest, status excluded */
};

/* sectors [sector, sector + bytes / 512) inside the disk; bytes a multiple of 512. */
static bool range_ok(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR;

	return bytes % SECTOR == 0 && sector <= b->capacity && n <= b->capacity - sector;
}

/* Full preadv/pwritev at off over iov[0..n) (the array is modified). 0 or -errno. */
static int rw_full(int fd, struct iovec *iov, int n, uint64_t off, bool wr)
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

static uint8_t do_rw(struct blk_req *r, bool wr)
{
	const struct virtq_elem *e = r->e;
	uint64_t len = wr ? e->out_len - sizeof(r->hdr) : r->data_in;
	struct iovec *tmp;
	int n, ret;

	if (wr && r->b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len > (1ULL << 31) || !range_ok(r->b, r->hdr.sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	tmp = malloc(sizeof(*tmp) * (e->out_num + e->in_num));
	if (!tmp)
		return VIRTIO_BLK_S_IOERR;
	if (wr)
		n = iov_slice(e->iov, e->out_num, sizeof(r->hdr), len, tmp, e->out_num + e->in_num);
	else
		n = iov_slice(e->iov + e->out_num, e->in_num, 0, len, tmp, e->out_num + e->in_num);
	ret = n < 0 ? -EINVAL : rw_full(r->b->fd, tmp, n, r->hdr.sector * SECTOR, wr);
	free(tmp);
	if (ret < 0) {
		pr_warn_rl("%s: %s at sector %llu failed: %s", r->b->vdev.name, wr ? "write" : "read",
			   (unsigned long long)r->hdr.sector, strerror(-ret));
		return VIRTIO_BLK_S_IOERR;
	}
	if (!wr)
		r->written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_read(struct blk_req *r) { return do_rw(r, false); }
static uint8_t do_write(struct blk_req *r) { return do_rw(r, true); }

static uint8_t do_flush(struct blk_req *r)
{
	if (!r->b->readonly && fdatasync(r->b->fd) < 0)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct blk_req *r)
{
	uint64_t n = r->data_in < VIRTIO_BLK_ID_BYTES ? r->data_in : VIRTIO_BLK_ID_BYTES;

	r->written = (uint32_t)iov_from_buf(r->e->iov + r->e->out_num, r->e->in_num, 0, r->b->id, n);
	return VIRTIO_BLK_S_OK;
}

static int zero_range(int fd, uint64_t off, uint64_t len, bool unmap)
{
	static const uint8_t zeros[65536];

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
static uint8_t do_discard_zeroes(struct blk_req *r, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t off, len;

	if (r->b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (r->e->out_len != sizeof(r->hdr) + sizeof(seg))
		return VIRTIO_BLK_S_UNSUPP;
	iov_to_buf(r->e->iov, r->e->out_num, sizeof(r->hdr), &seg, sizeof(seg));
	if (seg.flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (!zeroes && seg.flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (seg.num_sectors > BLK_MAX_DISCARD_SECTORS ||
	    !range_ok(r->b, seg.sector, (uint64_t)seg.num_sectors * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	off = seg.sector * SECTOR;
	len = (uint64_t)seg.num_sectors * SECTOR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	if (!zeroes) {
		/* Advisory: a filesystem without hole punching simply keeps the data. */
		fallocate(r->b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
		return VIRTIO_BLK_S_OK;
	}
	return zero_range(r->b->fd, off, len, seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) < 0 ?
	       VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t do_discard(struct blk_req *r) { return do_discard_zeroes(r, false); }
static uint8_t do_write_zeroes(struct blk_req *r) { return do_discard_zeroes(r, true); }

struct req_handler {
	uint32_t type;
	uint8_t (*fn)(struct blk_req *r);
};

/* Index = VIRTIO_BLK_STAT_* (the counters). */
static const struct req_handler handlers[] = {
	[VIRTIO_BLK_STAT_READ] = { VIRTIO_BLK_T_IN, do_read },
	[VIRTIO_BLK_STAT_WRITE] = { VIRTIO_BLK_T_OUT, do_write },
	[VIRTIO_BLK_STAT_FLUSH] = { VIRTIO_BLK_T_FLUSH, do_flush },
	[VIRTIO_BLK_STAT_GET_ID] = { VIRTIO_BLK_T_GET_ID, do_get_id },
	[VIRTIO_BLK_STAT_DISCARD] = { VIRTIO_BLK_T_DISCARD, do_discard },
	[VIRTIO_BLK_STAT_WRITE_ZEROES] = { VIRTIO_BLK_T_WRITE_ZEROES, do_write_zeroes },
};

static void count(struct blk *b, size_t op, const struct blk_req *r, uint8_t status)
{
	atomic_fetch_add_explicit(&b->stats.ops[op], 1, memory_order_relaxed);
	if (status == VIRTIO_BLK_S_IOERR)
		atomic_fetch_add_explicit(&b->stats.io_errors, 1, memory_order_relaxed);
	else if (status == VIRTIO_BLK_S_OK && op == VIRTIO_BLK_STAT_READ)
		atomic_fetch_add_explicit(&b->stats.read_bytes, r->written, memory_order_relaxed);
	else if (status == VIRTIO_BLK_S_OK && op == VIRTIO_BLK_STAT_WRITE)
		atomic_fetch_add_explicit(&b->stats.write_bytes, r->e->out_len - sizeof(r->hdr),
					  memory_order_relaxed);
}

int blk_handle_request(struct blk *b, const struct virtq_elem *e, uint32_t *written)
{
	struct blk_req r = { .b = b, .e = e };
	uint8_t status = VIRTIO_BLK_S_UNSUPP;
	size_t op = VIRTIO_BLK_STAT_UNSUPPORTED;

	if (e->in_len < 1) {
		pr_warn_rl("%s: request without a writable status byte", b->vdev.name);
		return -EINVAL;
	}
	r.data_in = e->in_len - 1;
	if (e->out_len < sizeof(r.hdr)) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		iov_to_buf(e->iov, e->out_num, 0, &r.hdr, sizeof(r.hdr));
		for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
			if (handlers[i].type == r.hdr.type) {
				status = handlers[i].fn(&r);
				op = i;
				break;
			}
		}
	}
	count(b, op, &r, status);
	iov_from_buf(e->iov + e->out_num, e->in_num, e->in_len - 1, &status, 1);
	*written = r.written + 1;
	return 0;
}
