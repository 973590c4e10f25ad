// SPDX-License-Identifier: MIT
/*
 * net_bench: virtio-net throughput through the guest-driver harness (no guest kernel): the
 * device's I/O thread moving frames between the split rings in guest RAM and a TAP, beside the
 * ceiling of this host: a thread of this process writing the same frames to / reading them
 * from the same TAP directly. Runs in a network namespace of its own (unshare; root).
 *
 *   TX: 1514-byte frames, 64 KiB TSO frames (GSO TCPv4, gso_size 1448), 60-byte frames.
 *   RX: the same frames sent into the TAP from the host side (AF_PACKET, PACKET_VNET_HDR for
 *       GSO) by a generator thread; the reader is the device (MRG_RXBUF, GUEST_TSO4, 4 KiB
 *       buffers laid out as a Linux guest posts them, kicks only when the device asks, as
 *       Linux) or the ceiling thread (read() into one buffer, sched_yield() when empty).
 *       What the reader consumed per second counts.
 * Interleaved phases of ~0.5 s; prints medians of RUNS runs as "median: key=value" lines and a table.
 *
 * Usage: net_bench [runs (default 5)]; NET_BENCH_ONLY=<prefix> runs only the metrics whose key
 * starts with it (e.g. rx_tso64k, for a profiler).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../tests/harness/harness.h"
#include "config/config.h"
#include "virtio/net.h"
#include "virtio/net_priv.h"
#include "stats.h"

#define TAP "mvbench0"
#define RUN_NS 500000000LL
#define F(b) (1ULL << (b))
#define MAX_RUNS 21

typedef struct virtio_net_hdr_mrg_rxbuf vhdr;

struct shape {
	const char *key;
	size_t len;          /* Ethernet frame bytes */
	bool gso;
};

static const struct shape shapes[] = {
	{ "1500", 1514, false }, { "tso64k", 65535 + 14 - 20, true }, { "64", 60, false },
};

static uint8_t frame[70000];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "net_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void if_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), TAP);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS");
	close(s);
}

/* Ethernet + IPv4 + TCP, total len bytes; the vnet header for it (GSO when gso). */
static vhdr build(const struct shape *s)
{
	size_t tot = s->len - 14;
	vhdr h = { 0 };
	uint32_t sum = 0;

	memset(frame, 0, s->len);
	memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (!s->gso && s->len < 100) {
		frame[12] = 0x88;     /* short frames: a local experimental ethertype */
		frame[13] = 0xb5;
		return h;
	}
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[16] = (uint8_t)(tot >> 8);
	frame[17] = (uint8_t)tot;
	frame[20] = 0x40;
	frame[22] = 64;
	frame[23] = 6;
	frame[26] = 10; frame[29] = 2;
	frame[30] = 10; frame[33] = 1;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(frame[i] << 8 | frame[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	frame[24] = (uint8_t)(~sum >> 8);
	frame[25] = (uint8_t)~sum;
	frame[35] = 80; frame[37] = 80;
	frame[46] = 0x50;
	frame[47] = 0x10;
	frame[48] = 0xff;
	if (s->gso) {
		h.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h.hdr.gso_size = 1448;
		h.hdr.csum_start = 34;
		h.hdr.csum_offset = 16;
		h.hdr.hdr_len = 54;
	}
	return h;
}

/* Our own fd on the TAP (the ceiling's reader/writer). */
static int tap_open_self(void)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), sz = sizeof(vhdr);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), TAP);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)
		die("tap");
	if_up();
	return fd;
}

/* ---- RX generator: frames into the TAP from the host side ---- */
struct gen {
	pthread_t t;
	atomic_bool stop;
	const struct shape *s;
	vhdr h;
};

static void *gen_thread(void *arg)
{
	struct gen *g = arg;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int s = socket(AF_PACKET, SOCK_RAW, 0), one = 1;
	struct iovec iov[2] = { { &g->h.hdr, sizeof(g->h.hdr) }, { frame, g->s->len } };

	sll.sll_ifindex = (int)if_nametoindex(TAP);
	if (s < 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		die("packet socket");
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	/* room for a full TAP queue of 64 KiB frames: the generator never waits for the reader
	 * (the TAP drops what does not fit), so the reader's rate is what is measured */
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &(int){ 128 << 20 }, sizeof(int));
	while (!atomic_load_explicit(&g->stop, memory_order_relaxed))
		if (writev(s, iov, 2) < 0 && errno != ENOBUFS && errno != EAGAIN)
			die("generator writev");
	close(s);
	return NULL;
}

static void gen_start(struct gen *g, const struct shape *s)
{
	g->s = s;
	g->h = build(s);
	atomic_store(&g->stop, false);
	if (pthread_create(&g->t, NULL, gen_thread, g))
		die("pthread_create");
}

static void gen_stop(struct gen *g)
{
	atomic_store(&g->stop, true);
	pthread_join(g->t, NULL);
}

/* ---- ceiling: this thread on the TAP ---- */
static double ceiling(const struct shape *s, bool tx, uint64_t *frames, double *cpu_s)
{
	static uint8_t buf[sizeof(vhdr) + 70000];
	int fd = tap_open_self();
	vhdr h = build(s);
	struct iovec iov[2] = { { &h, sizeof(h) }, { frame, s->len } };
	uint64_t bytes = 0, n = 0;
	struct gen g;
	int64_t t0, t;

	int64_t c0;

	if (!tx) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		gen_start(&g, s);
	}
	t0 = now_ns();
	c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < 64; i++) {
			ssize_t r = tx ? writev(fd, iov, 2) : read(fd, buf, sizeof(buf));

			if (r > (ssize_t)sizeof(h)) {
				bytes += (uint64_t)r - sizeof(h);
				n++;
			} else if (!tx) {
				/* empty: yield and retry. Cheaper per byte than sleeping in poll() (each
				 * wake-up costs more than the retries: 1500-byte frames 13 vs 7 Gbit per
				 * CPU-second here), so the ceiling is the stronger of the two readers */
				sched_yield();
			}
		}
		t = now_ns();
	} while (t - t0 < RUN_NS);
	*cpu_s = (cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e9;
	if (!tx)
		gen_stop(&g);
	close(fd);
	*frames = n;
	return (double)bytes;
}

/* ---- the device through the harness ---- */
/*
 * RX buffers as a Linux guest posts them with MRG_RXBUF: page-sized buffers carved one after
 * the other out of 32 KiB page frags (skb_page_frag_refill), the frags themselves scattered:
 * here each 8-buffer frag starts 36 KiB after the previous one, so frags are never adjacent.
 */
#define RX_FRAG_BUFS 8
#define RX_FRAG_STRIDE (36u << 10)

static uint64_t rx_buf_gpa(uint64_t base, unsigned int i)
{
	return base + (uint64_t)(i / RX_FRAG_BUFS) * RX_FRAG_STRIDE + (uint64_t)(i % RX_FRAG_BUFS) * 4096;
}

static double device(const struct shape *s, bool tx, uint64_t *frames, double *cpu_s)
{
	struct net_config cfg = { .tap = TAP, .mtu = 1500, .queues = 1 };
	/* guest RAM as a VM with [[net]] and no vhost-user device gets it: anonymous THP */
	struct harness *h = harness_create_anon(64 << 20);
	uint64_t feat = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
			F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
			F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX);
	struct hnet n;
	uint64_t bytes = 0, cnt = 0, txbuf = 0, rxbase = 0;
	const uint32_t rxsz = 4096;
	struct gen g;
	int slot;
	int64_t t0, c0;
	clockid_t dc;

	if (!h || (slot = harness_add_net(h, &cfg)) < 0)
		die("harness");
	if_up();
	if (hnet_init(&n, h, (unsigned int)slot, feat, 2) < 0)
		die("hnet_init");
	if (tx) {
		vhdr hd = build(s);

		txbuf = harness_alloc(h, sizeof(vhdr) + s->len, 4096);
		harness_memwrite(h, txbuf, &hd, sizeof(hd));
		harness_memwrite(h, txbuf + sizeof(hd), frame, s->len);
	} else {
		unsigned int qs = n.v.vq[0].size;

		rxbase = harness_alloc(h, (uint64_t)qs / RX_FRAG_BUFS * RX_FRAG_STRIDE, 4096);
		for (unsigned int i = 0; i < qs; i++) {
			struct hvbuf b = { rx_buf_gpa(rxbase, i), rxsz, true };

			if (hvq_add(&n.v, 0, &b, 1) != (int)i)
				die("RX ring fill");
		}
		hvq_kick(&n.v, 0);
		gen_start(&g, s);
	}
	/* the device's I/O thread (pair 0's worker): its CPU time, beside the ceiling thread's */
	if (pthread_getcpuclockid(((struct net *)h->devs[0].dev->priv)->pair[0].worker.thread, &dc))
		die("pthread_getcpuclockid");
	t0 = now_ns();
	c0 = cpu_ns(dc);
	while (now_ns() - t0 < RUN_NS) {
		uint32_t len;
		int head, added = 0;

		if (tx) {
			struct hvbuf b[2] = { { txbuf, sizeof(vhdr), false },
					      { txbuf + sizeof(vhdr), (uint32_t)s->len, false } };

			while (hvq_add(&n.v, 1, b, 2) >= 0)
				added++;
			if (added)
				hvq_kick(&n.v, 1);
			head = hvq_wait_used(&n.v, 1, 100, &len);
			while (head >= 0) {
				bytes += s->len;
				cnt++;
				head = hvq_get_used(&n.v, 1, &len);
			}
		} else {
			head = hvq_wait_used(&n.v, 0, 100, &len);
			while (head >= 0) {
				vhdr x;
				struct hvbuf b = { rx_buf_gpa(rxbase, (unsigned int)head), rxsz, true };

				harness_memread(h, b.gpa, &x, sizeof(x));
				/* a frame's first buffer carries num_buffers; count frames by it */
				bytes += len;
				cnt += 0;
				(void)x;
				hvq_add(&n.v, 0, &b, 1);
				added++;
				head = hvq_get_used(&n.v, 0, &len);
			}
			if (added)
				hvq_notify(&n.v, 0);    /* as Linux: only when the device asked (EVENT_IDX) */
		}
	}
	*cpu_s = (cpu_ns(dc) - c0) / 1e9;
	{
		/* what reached the TAP / the guest, from the device's own counters */
		uint64_t st[NET_STAT_COUNT];

		if (!tx)
			gen_stop(&g);
		virtio_net_get_stats(h->devs[0].dev, st);
		cnt = st[tx ? NET_STAT_TX_FRAMES : NET_STAT_RX_FRAMES];
		bytes = st[tx ? NET_STAT_TX_BYTES : NET_STAT_RX_BYTES];
		if (getenv("NET_BENCH_VERBOSE"))
			fprintf(stderr, "net_bench: %s %s: frames %llu dropped %llu no_buffers %llu\n",
				tx ? "tx" : "rx", s->key, (unsigned long long)cnt,
				(unsigned long long)st[NET_STAT_RX_DROPPED],
				(unsigned long long)st[NET_STAT_RX_NO_BUFFERS]);
		if (st[NET_STAT_TX_ERRORS] || st[NET_STAT_TX_BAD_HDR])
			fprintf(stderr, "net_bench: %s: %llu TX errors, %llu bad headers\n", s->key,
				(unsigned long long)st[NET_STAT_TX_ERRORS],
				(unsigned long long)st[NET_STAT_TX_BAD_HDR]);
	}
	hnet_cleanup(&n);
	harness_destroy(h);
	*frames = cnt;
	return (double)bytes;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	const char *knob = "/proc/sys/net/ipv6/conf/default/disable_ipv6";
	int fd;

	if (runs < 1 || runs > MAX_RUNS)
		runs = 5;
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET) (needs root)");
	fd = open(knob, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror(knob);
		close(fd);
	}
	printf("(wall: per second of the run; cpu: per CPU-second of the device's I/O thread vs the\n"
	       " ceiling thread: the per-core cost, which a loaded host distorts least and the goal\n"
	       " is judged by; a ratio is the median of the per-run ratios, device and ceiling\n"
	       " measured back to back in each run; %d runs)\n", runs);
	printf("%-22s %10s %10s %7s %12s %12s %7s\n", "metric", "microvm", "ceiling", "ratio",
	       "microvm/cpu", "ceiling/cpu", "ratio");
	for (int dir = 0; dir < 2; dir++) {
		for (unsigned int si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++) {
			const struct shape *s = &shapes[si];
			bool pps = s->len < 100;
			double dv[MAX_RUNS], cv[MAX_RUNS], du[MAX_RUNS], cu[MAX_RUNS], rw[MAX_RUNS],
				rc[MAX_RUNS], d, c, e, f;
			const char *only = getenv("NET_BENCH_ONLY");
			char key[40];

			snprintf(key, sizeof(key), "%s_%s_%s", dir == 0 ? "tx" : "rx", s->key,
				 pps ? "kpps" : "gbps");
			if (only && strncmp(key, only, strlen(only)))
				continue;
			for (int r = 0; r < runs; r++) {
				uint64_t fd_, fc;
				double ud, uc, bd, bc;
				double secs = RUN_NS / 1e9;

				/* side by side, the order alternating so that drift in the host's load
				 * does not favour one */
				if (r % 2) {
					bc = ceiling(s, dir == 0, &fc, &uc);
					bd = device(s, dir == 0, &fd_, &ud);
				} else {
					bd = device(s, dir == 0, &fd_, &ud);
					bc = ceiling(s, dir == 0, &fc, &uc);
				}

				dv[r] = pps ? fd_ / secs / 1e3 : bd * 8 / secs / 1e9;
				cv[r] = pps ? fc / secs / 1e3 : bc * 8 / secs / 1e9;
				du[r] = ud > 0 ? (pps ? fd_ / ud / 1e3 : bd * 8 / ud / 1e9) : 0;
				cu[r] = uc > 0 ? (pps ? fc / uc / 1e3 : bc * 8 / uc / 1e9) : 0;
				rw[r] = cv[r] > 0 ? dv[r] / cv[r] : 0;
				rc[r] = cu[r] > 0 ? du[r] / cu[r] : 0;
			}
			d = bench_median(dv, runs);
			c = bench_median(cv, runs);
			e = bench_median(du, runs);
			f = bench_median(cu, runs);
			printf("%-22s %10.2f %10.2f %6.2fx %12.2f %12.2f %6.2fx\n", key, d, c,
			       bench_median(rw, runs), e, f, bench_median(rc, runs));
			printf("median: %s=%.2f ceiling=%.2f per_cpu=%.2f ceiling_per_cpu=%.2f "
			       "ratio=%.2f ratio_per_cpu=%.2f\n", key, d, c, e, f, bench_median(rw, runs),
			       bench_median(rc, runs));
			fflush(stdout);
		}
	}
	return 0;
}
