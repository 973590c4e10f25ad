// SPDX-License-Identifier: MIT
/*
 * rawnet IFINDEX MAC COUNT: sends COUNT raw Ethernet frames (ethertype 0x88b5, local
 * experimental; to 02:00:00:00:00:02 from MAC, a 100-byte numbered payload) on the interface
 * through an AF_PACKET socket, then reads frames back for up to 10 s each and counts those that
 * came back addressed to MAC from 02:00:00:00:00:02 with the payload intact (what a macswap
 * back-end such as dpdk-testpmd returns). Prints "rawnet: sent N received M intact K" and exits
 * 0 when K == COUNT. Needs no IP stack (guest kit without INET). Guest-side helper for the
 * vhost-user-net test.
 *
 * Freestanding (sys.h; util/hex.h from src/, which includes nothing).
 */
#include <linux/if_packet.h>

#include "sys.h"
#include "util/hex.h"

#define AF_PACKET_ 17
#define SOCK_RAW_ 3
#define SOL_SOCKET_ 1
#define SO_RCVTIMEO_ 20
#define ETHERTYPE 0x88b5
#define PAYLOAD 100

static void say(const char *s)
{
	say_fd(1, s);
}

static void say_num(long v)
{
	char b[24];

	say(fmt_num(b + sizeof(b), (ulong)v, 10));
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static const unsigned char peer[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static int same(const unsigned char *a, const unsigned char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static int run(int argc, char **argv)
{
	unsigned char mac[6], f[14 + PAYLOAD], r[2048];
	struct sockaddr_ll sll = { 0 }, from;
	long tv[2] = { 10, 0 };
	long s, ifindex, count, sent = 0, got = 0, intact = 0, n;
	int fromlen;

	if (argc != 4 || parse_mac(argv[2], mac) || parse_num(argv[1], &ifindex) ||
	    parse_num(argv[3], &count)) {
		say("usage: rawnet IFINDEX MAC COUNT\n");
		return 2;
	}
	s = sys(__NR_socket, AF_PACKET_, SOCK_RAW_, __builtin_bswap16(ETHERTYPE), 0, 0, 0);
	if (s < 0) {
		say("rawnet: socket failed\n");
		return 1;
	}
	sll.sll_family = AF_PACKET_;
	sll.sll_protocol = __builtin_bswap16(ETHERTYPE);
	sll.sll_ifindex = (int)ifindex;
	sll.sll_halen = 6;
	for (int i = 0; i < 6; i++)
		sll.sll_addr[i] = peer[i];
	if (sys(__NR_bind, s, (long)&sll, sizeof(sll), 0, 0, 0) < 0 ||
	    sys(__NR_setsockopt, s, SOL_SOCKET_, SO_RCVTIMEO_, (long)tv, sizeof(tv), 0) < 0) {
		say("rawnet: bind/setsockopt failed\n");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		for (int k = 0; k < 6; k++) {
			f[k] = peer[k];
			f[6 + k] = mac[k];
		}
		f[12] = ETHERTYPE >> 8;
		f[13] = ETHERTYPE & 0xff;
		for (int k = 0; k < PAYLOAD; k++)
			f[14 + k] = (unsigned char)(i * 7 + k);
		if (sys(__NR_sendto, s, (long)f, sizeof(f), 0, (long)&sll, sizeof(sll)) ==
		    (long)sizeof(f))
			sent++;
	}
	while (got < sent) {
		fromlen = sizeof(from);
		n = sys(__NR_recvfrom, s, (long)r, sizeof(r), 0, (long)&from, (long)&fromlen);
		if (n < 0)
			break;          /* timeout */
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;       /* our own frames, seen on the way out */
		got++;
		if (n >= (long)sizeof(f) && same(r, mac, 6) && same(r + 6, peer, 6)) {
			int ok = 1;

			/* payload byte k = i * 7 + k: consecutive from the frame's first byte */
			for (int k = 1; k < PAYLOAD; k++)
				if ((unsigned char)(r[14 + k] - r[14]) != (unsigned char)k)
					ok = 0;
			intact += ok;
		}
	}
	say("rawnet: sent ");
	say_num(sent);
	say(" received ");
	say_num(got);
	say(" intact ");
	say_num(intact);
	say("\n");
	return intact == count ? 0 : 1;
}

/* Entry point: argc at (%rsp), argv after it. */
TOOL_MAIN;
