// SPDX-License-Identifier: MIT
/* virtio-blk I/O back-end io = "sync": preadv/pwritev on the I/O thread, one request at a time. */
#include <errno.h>

#include "virtio/blk_priv.h"

static int sync_submit(struct blk *b, struct blk_slot *s)
{
	int r = blk_rw_full(b->fd, s->data, s->ndata, s->off, s->wr);

	blk_req_finish(b, s, r < 0 ? r : (int64_t)s->len);
	return 1;
}

static void sync_flush(struct blk *b)
{
	(void)b;
}

static unsigned int sync_reap(struct blk *b)
{
	(void)b;
	return 0;
}

static bool sync_ready(struct blk *b)
{
	(void)b;
	return false;
}

static void sync_drain(struct blk *b)
{
	(void)b;
}

const struct blk_io_ops blk_sync_ops = {
	.name = "sync",
	.submit = sync_submit,
	.flush = sync_flush,
	.reap = sync_reap,
	.ready = sync_ready,
	.drain = sync_drain,
};
