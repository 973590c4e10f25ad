// SPDX-License-Identifier: MIT
/* virtio-net config space and MAC addresses (shared by the TAP device and vhost-user-net). */
#include "virtio/net_config.h"
#include "util/hex.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int net_mac_parse(const char *s, uint8_t mac[NET_MAC_LEN], char *why, size_t whylen)
{
	uint8_t m[NET_MAC_LEN];
	bool zero = true;

	if (!s || strlen(s) != 3 * NET_MAC_LEN - 1)
		goto bad;
	for (int i = 0; i < NET_MAC_LEN; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < NET_MAC_LEN - 1 && s[3 * i + 2] != ':'))
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
		zero &= m[i] == 0;
	}
	if (m[0] & 1) {
		snprintf(why, whylen, "'%s' is a multicast address", s);
		return -1;
	}
	if (zero) {
		snprintf(why, whylen, "the all-zero MAC is not an address");
		return -1;
	}
	memcpy(mac, m, NET_MAC_LEN);
	return 0;
bad:
	snprintf(why, whylen, "'%.40s' is not a MAC address (want six hex octets like 02:00:00:00:00:01)",
		 s ? s : "");
	return -1;
}

void net_mac_default(const char *seed, unsigned int index, uint8_t mac[NET_MAC_LEN])
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a 64 */

	for (const char *p = seed ? seed : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ index) * 0x100000001b3ULL;
	h ^= h >> 29;
	for (int i = 0; i < NET_MAC_LEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);  /* unicast, locally administered */
}

void net_mac_format(const uint8_t mac[NET_MAC_LEN], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void net_config_build(struct virtio_net_config *c, const uint8_t mac[NET_MAC_LEN], uint16_t pairs,
		      uint16_t mtu)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, NET_MAC_LEN);
	c->status = VIRTIO_NET_S_LINK_UP;
	c->max_virtqueue_pairs = pairs;
	c->mtu = mtu;
}

void net_config_read(const struct virtio_net_config *c, uint32_t offset, void *data, uint32_t len)
{
	memset(data, 0, len);
	if (offset >= sizeof(*c))
		return;
	if (len > sizeof(*c) - offset)
		len = (uint32_t)(sizeof(*c) - offset);
	memcpy(data, (const uint8_t *)c + offset, len);
}
