// SPDX-License-Identifier: MIT
/*
 * Backend channel client (the socket from SET_BACKEND_REQ_FD): SHMEM_MAP / SHMEM_UNMAP with
 * the 40-byte VhostUserMMap payload. With REPLY_ACK negotiated the request carries NEED_REPLY
 * and the call returns only after the front-end's u64 answer (0 = done). One request in
 * flight at a time (chan_lock). The front-end must not block on us meanwhile: we never hold
 * anything the main loop needs to answer it except the ring read lock, which the main loop
 * only waits for, never the front-end.
 */
#include <errno.h>
#include <string.h>

#include "vu_backend/vub_priv.h"
#include "util/log.h"

/* Checks that reply answers req (backend channel numbering). */
static int check_reply(struct vub *b, const struct vu_msg *req, struct vu_msg *reply)
{
	if (!(reply->hdr.flags & VHOST_USER_REPLY_MASK) ||
	    reply->hdr.request != req->hdr.request || reply->hdr.size != 8 || reply->nr_fds) {
		pr_err_rl("%s: bad reply to %s on the backend channel (request %u, flags 0x%x, "
			  "size %u)", b->dev.name, vu_backend_request_name(req->hdr.request),
			  reply->hdr.request, reply->hdr.flags, reply->hdr.size);
		vu_msg_close_fds(reply);
		return -EPROTO;
	}
	return reply->payload.u64 ? -EIO : 0;
}

static int chan_call(struct vub *b, struct vu_msg *req)
{
	bool ack = vub_has_protocol(b, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vu_msg reply;
	int ret;

	if (ack)
		req->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	pthread_mutex_lock(&b->chan_lock);
	if (b->chan.fd < 0) {
		pthread_mutex_unlock(&b->chan_lock);
		return -ENOTCONN;
	}
	ret = vu_msg_send(&b->chan, req);
	if (ret == 0 && ack) {
		ret = vu_msg_recv_reply(&b->chan, &reply, VUB_REPLY_TIMEOUT_MS);
		if (ret == 0)
			ret = check_reply(b, req, &reply);
		else
			pr_err_rl("%s: backend channel: %s", b->dev.name, b->chan.err);
	}
	pthread_mutex_unlock(&b->chan_lock);
	return ret;
}

static int need_shmem(struct vub *b, bool fd)
{
	if (!vub_has_protocol(b, VHOST_USER_PROTOCOL_F_BACKEND_REQ))
		return -ENOTCONN;
	if (!vub_has_protocol(b, VHOST_USER_PROTOCOL_F_SHMEM) ||
	    (fd && !vub_has_protocol(b, VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD)))
		return -EOPNOTSUPP;
	return 0;
}

int vub_shmem_map(struct vub *b, uint8_t shmid, int fd, uint64_t fd_offset, uint64_t shm_offset,
		  uint64_t len, uint64_t flags)
{
	struct vu_msg m;
	int ret = need_shmem(b, true);

	if (ret)
		return ret;
	if (fd < 0 || (flags & ~VHOST_USER_FLAG_MAP_RW))
		return -EINVAL;
	vu_msg_init(&m, VHOST_USER_BACKEND_SHMEM_MAP, sizeof(struct vhost_user_mmap));
	m.payload.mmap = (struct vhost_user_mmap){ .shmid = shmid, .fd_offset = fd_offset,
						   .shm_offset = shm_offset, .len = len,
						   .flags = flags };
	m.fds[0] = fd;
	m.nr_fds = 1;
	return chan_call(b, &m);
}

int vub_shmem_unmap(struct vub *b, uint8_t shmid, uint64_t shm_offset, uint64_t len)
{
	struct vu_msg m;
	int ret = need_shmem(b, false);

	if (ret)
		return ret;
	vu_msg_init(&m, VHOST_USER_BACKEND_SHMEM_UNMAP, sizeof(struct vhost_user_mmap));
	m.payload.mmap = (struct vhost_user_mmap){ .shmid = shmid, .shm_offset = shm_offset,
						   .len = len };
	return chan_call(b, &m);
}
