/* SPDX-License-Identifier: MIT */
/* virtio-net internals shared by net.c, net_tap.c, net_hdr.c, net_tx.c, net_rx.c, net_ctrl.c. */
#ifndef MICROVM_VIRTIO_NET_PRIV_H
#define MICROVM_VIRTIO_NET_PRIV_H

#include <linux/virtio_net.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/fd_loop.h"
#include "util/worker.h"
#include "virtio/net.h"
#include "virtio/net_config.h"
#include "virtio/virtqueue.h"

#define NET_HDR_LEN ((unsigned int)sizeof(struct virtio_net_hdr_mrg_rxbuf))  /* VERSION_1: 12 */
#define NET_ETH_HLEN 14
#define NET_VLAN_HLEN 4
#define NET_GSO_MAX 65535u             /* largest GSO frame, Ethernet header excluded */
#define NET_RX_MAX_IOV 1024            /* UIO_MAXIOV */
#define NET_RX_MAX_CHAINS 256
#define NET_TX_BATCH 256               /* chains per round before RX gets a turn */

struct net;

/* Popped RX chains not used yet (kept for the next frame, never returned unused). */
struct net_rx_chain {
	uint16_t head;
	uint16_t iov_cnt;
	uint32_t iov_start;
	uint32_t len;
};

struct net_pair {
	struct net *n;
	unsigned int idx;
	int tap_fd;
	/* thread state, valid while the worker runs */
	struct worker worker;
	struct fd_loop loop;           /* the worker's: stop fd, kicks, the TAP */
	bool tap_polled;               /* TAP fd in the epoll set (stopped while no RX buffers) */
	bool rx_ok, tx_ok;             /* queue enabled and not broken */
	struct virtq rx, tx;
	struct virtq_elem elem;        /* TX / ctrl chains */
	struct virtq_elem relem;       /* RX pop scratch */
	struct iovec riov[NET_RX_MAX_IOV];
	struct net_rx_chain rchain[NET_RX_MAX_CHAINS];
	unsigned int nchains, niov;
	uint64_t rx_space;             /* bytes in rchain[] */
	struct iovec miov[NET_RX_MAX_IOV];   /* riov[] with host-adjacent buffers joined (readv) */
	struct iovec tiov[NET_RX_MAX_IOV + 1];
};

struct net {
	struct virtio_device vdev;
	struct vm *vm;
	char name[32];
	char tap[16];
	unsigned int pairs;            /* configured queue pairs */
	unsigned int active_pairs;     /* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (1 until then) */
	uint16_t mtu;
	unsigned int tap_offloads;     /* TUN_F_* the TAP accepted at probe time */
	atomic_uint cur_offloads;      /* TUN_F_* set now */
	struct virtio_net_config cfg;
	struct virtq ctrl;
	bool ctrl_ok;
	struct net_pair pair[NET_MAX_PAIRS];
	atomic_uint_fast64_t stats[NET_STAT_COUNT];
};

static inline void net_stat_add(struct net *n, unsigned int i, uint64_t v)
{
	atomic_fetch_add_explicit(&n->stats[i], v, memory_order_relaxed);
}

/* ---- net_tap.c ---- */
/* Opens nfds queue fds of TAP name (creating it when allowed). 0 or -1 with err. */
int net_tap_open(const char *name, unsigned int nfds, int *fds, char *err, size_t errlen);
/* TUN_F_* flags the TAP accepts (probe, then cleared to 0). */
unsigned int net_tap_probe_offloads(int fd);
/* TUNSETOFFLOAD + TUNSETVNETHDRSZ. 0 or -errno. */
int net_tap_set_offloads(int fd, unsigned int tun_flags);
/* TUNSETQUEUE attach/detach of one queue fd. 0 or -errno. */
int net_tap_queue_enable(int fd, bool on);
/* TUN_F_* offloads matching the negotiated guest features (RX direction). */
unsigned int net_tap_offloads_for(uint64_t guest_features);

/* ---- net_hdr.c ---- */
/*
 * Checks the header the guest wrote in front of a TX frame of frame_len bytes (Ethernet header
 * included) against the negotiated features and mtu, and writes the header to pass to the TAP
 * (num_buffers 0) into out. 0, or -1 with a static reason in *why.
 */
int net_hdr_check(const struct virtio_net_hdr_mrg_rxbuf *in, uint64_t frame_len,
		  uint64_t features, uint16_t mtu, struct virtio_net_hdr_mrg_rxbuf *out,
		  const char **why);
/* Largest RX frame the guest can be handed (header included), from features and mtu. */
uint64_t net_rx_max_frame(uint64_t features, uint16_t mtu);

/* ---- net_tx.c, net_rx.c, net_ctrl.c (I/O thread of the pair) ---- */
/* Sends up to NET_TX_BATCH chains: 0 = ring empty, 1 = maybe more, -1 = queue malformed. */
int net_tx_process(struct net_pair *p);
/*
 * Moves frames from the TAP into RX buffers until the TAP is empty or the guest has no
 * buffers. Returns 1 if RX should keep polling the TAP, 0 to stop (no buffers: resume on the
 * RX kick), -1 if the RX queue is malformed.
 */
int net_rx_process(struct net_pair *p);
/* Drops the RX chains held back (device reset). */
void net_rx_release(struct net_pair *p);
/* One control command: ack written, *written = 1. false: malformed chain (no ack byte). */
bool net_ctrl_handle(struct net *n, const struct virtq_elem *e, uint32_t *written);

#endif
