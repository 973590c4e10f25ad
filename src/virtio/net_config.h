/* SPDX-License-Identifier: MIT */
/*
 * virtio-net configuration space and MAC helpers, shared by the built-in TAP device (net.c) and
 * the vhost-user-net front-end: the VMM answers the config space (mac, status, max_virtqueue_pairs,
 * mtu) in both.
 */
#ifndef MICROVM_VIRTIO_NET_CONFIG_H
#define MICROVM_VIRTIO_NET_CONFIG_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#define NET_MAC_LEN 6
#define NET_MTU_MIN 68        /* virtio 1.2 5.1.4.1: the device MUST NOT offer an MTU below 68 */
#define NET_MTU_MAX 65535
#define NET_MTU_DEFAULT 1500
#define NET_MAX_PAIRS 8       /* queue pairs per device ([[net]] queues) */

/*
 * Parses "02:11:22:33:44:55" (exactly six two-digit hex octets separated by ':'). Refuses
 * multicast addresses (bit 0 of the first octet) and all zeros. 0 or -1 with the reason in why.
 */
int net_mac_parse(const char *s, uint8_t mac[NET_MAC_LEN], char *why, size_t whylen);
/*
 * The default MAC of device index of a VM: a locally administered unicast address (first octet
 * x2/x6/xA/xE) from a hash of seed (the config file path) and index, so it stays the same across
 * runs of the same config.
 */
void net_mac_default(const char *seed, unsigned int index, uint8_t mac[NET_MAC_LEN]);
/* "02:11:22:33:44:55" into buf (at least 18 bytes). */
void net_mac_format(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len);

/*
 * Fills the device config space: mac, status VIRTIO_NET_S_LINK_UP, max_virtqueue_pairs, mtu.
 * Which fields the driver may read is the device's feature choice (MAC, STATUS, MQ, MTU).
 */
void net_config_build(struct virtio_net_config *c, const uint8_t mac[NET_MAC_LEN], uint16_t pairs,
		      uint16_t mtu);
/*
 * Bounds-checked read of config space bytes [offset, offset + len) into data (zero past the
 * structure), as the virtio_device_ops config_read hook needs.
 */
void net_config_read(const struct virtio_net_config *c, uint32_t offset, void *data, uint32_t len);

#endif
