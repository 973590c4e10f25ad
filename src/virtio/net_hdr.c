// SPDX-License-Identifier: MIT
/*
 * virtio-net: validation of the header a guest writes in front of each TX frame. The device
 * passes the TAP only its own copy, rebuilt from checked fields, so a guest that changes the
 * header in its memory after the check changes nothing.
 */
#include <linux/virtio_net.h>
#include <string.h>

#include "virtio/net_priv.h"

#define F(bit) (1ULL << (bit))

int net_hdr_check(const struct virtio_net_hdr_mrg_rxbuf *in, uint64_t frame_len,
		  uint64_t features, uint16_t mtu, struct virtio_net_hdr_mrg_rxbuf *out,
		  const char **why)
{
	const struct virtio_net_hdr *h = &in->hdr;
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	uint64_t thlen = 0, need;

	memset(out, 0, sizeof(*out));
	if (frame_len < NET_ETH_HLEN) {
		*why = "frame shorter than an Ethernet header";
		return -1;
	}
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		*why = "flags other than NEEDS_CSUM on TX";
		return -1;
	}
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN) {
		*why = "GSO ECN without HOST_ECN";
		return -1;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (frame_len > (uint64_t)mtu + NET_ETH_HLEN + NET_VLAN_HLEN) {
			*why = "frame longer than the MTU without GSO";
			return -1;
		}
		if (h->gso_size) {
			*why = "gso_size without gso_type";
			return -1;
		}
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!(features & F(gso == VIRTIO_NET_HDR_GSO_TCPV4 ? VIRTIO_NET_F_HOST_TSO4
								   : VIRTIO_NET_F_HOST_TSO6))) {
			*why = "TSO type not negotiated";
			return -1;
		}
		thlen = 20;     /* struct tcphdr */
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (!(features & F(VIRTIO_NET_F_HOST_UFO))) {
			*why = "UFO not negotiated";
			return -1;
		}
		thlen = 8;      /* struct udphdr */
		break;
	default:
		*why = "unknown gso_type";
		return -1;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (frame_len > NET_GSO_MAX + NET_ETH_HLEN + NET_VLAN_HLEN) {
			*why = "GSO frame longer than 64 KiB";
			return -1;
		}
		if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
			*why = "GSO without NEEDS_CSUM";
			return -1;
		}
		if (h->gso_size == 0 || h->gso_size > frame_len) {
			*why = "gso_size 0 or past the frame with a GSO type";
			return -1;
		}
		if (h->hdr_len > frame_len) {
			*why = "hdr_len past the frame";
			return -1;
		}
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & F(VIRTIO_NET_F_CSUM))) {
			*why = "NEEDS_CSUM without CSUM";
			return -1;
		}
		/* The checksum field (2 bytes) and the transport header lie inside the frame. */
		need = (uint64_t)h->csum_start + (h->csum_offset + 2u > thlen ? h->csum_offset + 2u
									  : thlen);
		if (h->csum_start < NET_ETH_HLEN || need > frame_len) {
			*why = "csum_start/csum_offset outside the frame";
			return -1;
		}
		if (gso != VIRTIO_NET_HDR_GSO_NONE && h->hdr_len &&
		    h->hdr_len < (uint64_t)h->csum_start + thlen) {
			*why = "hdr_len shorter than the transport header";
			return -1;
		}
	} else if (h->csum_start || h->csum_offset) {
		*why = "csum_start/csum_offset without NEEDS_CSUM";
		return -1;
	}
	out->hdr.flags = h->flags;
	out->hdr.gso_type = h->gso_type;
	out->hdr.hdr_len = h->hdr_len;
	out->hdr.gso_size = h->gso_size;
	out->hdr.csum_start = h->csum_start;
	out->hdr.csum_offset = h->csum_offset;
	out->num_buffers = 0;
	return 0;
}

uint64_t net_rx_max_frame(uint64_t f, uint16_t mtu)
{
	if (f & (F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_UFO)))
		return NET_HDR_LEN + NET_ETH_HLEN + NET_VLAN_HLEN + NET_GSO_MAX;
	return NET_HDR_LEN + NET_ETH_HLEN + NET_VLAN_HLEN + mtu;
}
