/* SPDX-License-Identifier: MIT */
/*
 * Built-in virtio-net over a TAP interface ([[net]] in vm.toml). The TAP is opened with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (| IFF_MULTI_QUEUE for queues > 1, one fd per queue pair);
 * it is created when it does not exist and the process may (CAP_NET_ADMIN). Offloads: CSUM,
 * GUEST_CSUM, HOST/GUEST_TSO4/6, HOST/GUEST_UFO where the TAP takes them (TUNSETOFFLOAD probe),
 * MRG_RXBUF, STATUS, MAC, MTU, MQ + CTRL_VQ (queues > 1), RING_EVENT_IDX. The TAP's offloads are
 * set to what the guest accepted (TUNSETOFFLOAD) and its header size to the 12-byte
 * virtio_net_hdr_mrg_rxbuf of VERSION_1 (TUNSETVNETHDRSZ).
 *
 * One I/O thread per queue pair (role "net I/O"): TX chains -> validated header + writev to the
 * TAP; TAP readable -> guest RX buffers. The control queue is served by pair 0's thread.
 * Queue order: rx0, tx0, rx1, tx1, ..., ctrl.
 */
#ifndef MICROVM_VIRTIO_NET_H
#define MICROVM_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_NET_QUEUE_SIZE 256

struct vm;

/*
 * Opens (or creates) cfg->tap and builds the device. seed names the VM for the default MAC (the
 * config path), index is the [[net]] entry's index. NULL on error with one line in err.
 */
struct virtio_device *virtio_net_create(struct vm *vm, const struct net_config *cfg,
					const char *seed, unsigned int index, char *err,
					size_t errlen);
/* Stops the I/O threads and closes the TAP. Call after the transport is gone. */
void virtio_net_destroy(struct virtio_device *dev);

enum {
	NET_STAT_TX_FRAMES, NET_STAT_TX_BYTES, NET_STAT_RX_FRAMES, NET_STAT_RX_BYTES,
	NET_STAT_TX_BAD_HDR,     /* dropped: header the device refuses (net_hdr_check) */
	NET_STAT_TX_BAD_LEN,     /* dropped: frame shorter than Ethernet or over the limit */
	NET_STAT_TX_BAD_CHAIN,   /* dropped: writable buffers in a TX chain */
	NET_STAT_TX_ERRORS,      /* writev to the TAP failed */
	NET_STAT_RX_DROPPED,     /* a frame did not fit the guest's buffers */
	NET_STAT_RX_NO_BUFFERS,  /* times RX stopped polling the TAP for lack of buffers */
	NET_STAT_CTRL_ERRORS,    /* control commands answered VIRTIO_NET_ERR */
	NET_STAT_COUNT,
};
/* Snapshot of the device's counters (any thread). */
void virtio_net_get_stats(struct virtio_device *dev, uint64_t out[NET_STAT_COUNT]);
const char *virtio_net_stat_name(unsigned int i);
/* The TAP offload flags (TUN_F_*) the TAP accepted when probed, and those now set. */
unsigned int virtio_net_tap_offloads(struct virtio_device *dev, unsigned int *now);

#endif
