// SPDX-License-Identifier: MIT
/*
 * [[vhost_user_net]] against a back-end nobody here wrote: Debian's DPDK dpdk-testpmd with its
 * vhost PMD (tests/harness/testpmd.h), macswap forwarding. The harness plays the guest's
 * virtio-net driver through the real front-end and virtio-pci transport: it writes TX frames
 * into guest RAM (the memfd DPDK maps), kicks, posts RX buffers and checks that every frame
 * comes back with source and destination swapped and the payload intact, on each queue pair.
 * The control queue (served by the VMM) switches the pairs on the back-end.
 * Needs dpdk-testpmd: fails (never skips) without it.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../harness/harness.h"
#include "../harness/testfiles.h"
#include "../harness/testpmd.h"
#include "vhost_user/net.h"
#include "vhost_user/vhost_user.h"

#define HDR_LEN 12              /* virtio_net_hdr_v1 (VERSION_1) */
#define BUF_LEN 2048
#define WAIT_MS 60000           /* loaded CI machines */

static char dir[64], sock[96], plog[96];
static struct testpmd pmd = { .pid = -1, .stdin_fd = -1, .prefix = "" };
static struct harness *h;
static struct hvirtio v;
static struct virtio_device *dev;
static int slot;
static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };

static void start(unsigned int queues, uint32_t mtu)
{
	struct vhost_user_net_config cfg = { .mac = "52:54:00:aa:bb:01", .queues = queues,
					     .queue_size = 256, .mtu = mtu,
					     .connect_timeout_ms = WAIT_MS };
	char err[256];
	int r;

	strcpy(dir, "/tmp/vu-net-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/vhost.sock", dir);
	snprintf(plog, sizeof(plog), "%s/testpmd.log", dir);
	r = testpmd_start(&pmd, sock, queues, plog, WAIT_MS);
	ck_assert_msg(r == 0, "dpdk-testpmd did not start (%s; apt-get install dpdk-dev "
		      "librte-net-vhost23), see %s", strerror(-r), plog);
	h = harness_create(64ull << 20);
	ck_assert_ptr_nonnull(h);
	cfg.socket = sock;
	dev = vhost_user_net_create(&h->vm, &cfg, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	slot = harness_add_virtio(h, dev, vhost_user_device_destroy);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(hvirtio_init(&v, h, (unsigned int)slot), 0);
}

static void stop(void)
{
	hvirtio_cleanup(&v);
	if (h)
		harness_destroy(h);
	h = NULL;
	testpmd_stop(&pmd);
	if (dir[0] && tf_rm_rf(dir))
		fprintf(stderr, "cleanup failed\n");
	dir[0] = 0;
}

static void teardown(void)
{
	stop();
}

static uint64_t net_features(unsigned int queues)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC) |
			(1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_NET_F_MTU);

	if (queues > 1)
		want |= (1ull << VIRTIO_NET_F_MQ) | (1ull << VIRTIO_NET_F_CTRL_VQ);
	return hvirtio_device_features(&v) & want;
}

/* Sends one control command on queue ctrl: returns the ack byte, or -errno. */
static int ctrl_cmd(unsigned int ctrl, uint8_t class, uint8_t cmd, const void *data, size_t len)
{
	uint64_t out = harness_alloc(h, 64, 16), in = harness_alloc(h, 16, 16);
	uint8_t buf[64] = { class, cmd }, ack = 0xee;
	struct hvbuf b[2] = { { out, (uint32_t)(2 + len), false }, { in, 1, true } };
	uint32_t used;
	int head;

	memcpy(buf + 2, data, len);
	harness_memwrite(h, out, buf, 2 + len);
	harness_memwrite(h, in, &ack, 1);
	head = hvq_add(&v, ctrl, b, 2);
	if (head < 0)
		return head;
	hvq_kick(&v, ctrl);
	if (hvq_wait_used(&v, ctrl, WAIT_MS, &used) != head)
		return -ETIMEDOUT;
	harness_memread(h, in, &ack, 1);
	return ack;
}

static int set_pairs(unsigned int ctrl, uint16_t pairs)
{
	uint16_t le = htole16(pairs);

	return ctrl_cmd(ctrl, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le, 2);
}

static size_t make_frame(uint8_t *f, unsigned int pair, unsigned int seq)
{
	size_t len = 60 + (seq * 97) % 1455;        /* 60 .. 1514 */

	memcpy(f, peer_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x88;                               /* local experimental ethertype */
	f[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(pair * 31 + seq * 7 + i);
	return len;
}

/*
 * n frames on pair p: RX buffers first, then the TX chains; every frame must come back on the
 * pair's RX queue, in order, macswapped.
 */
static void roundtrip(unsigned int p, unsigned int n)
{
	unsigned int rxq = 2 * p, txq = 2 * p + 1;
	uint64_t rx = harness_alloc(h, (uint64_t)n * BUF_LEN, 4096);
	uint64_t tx = harness_alloc(h, (uint64_t)n * BUF_LEN, 4096);
	uint8_t frame[BUF_LEN], got[BUF_LEN];
	int rx_head[64];

	ck_assert_uint_le(n, 64);
	ck_assert(rx && tx);
	for (unsigned int i = 0; i < n; i++) {
		struct hvbuf b = { rx + (uint64_t)i * BUF_LEN, BUF_LEN, true };

		rx_head[i] = hvq_add(&v, rxq, &b, 1);
		ck_assert_int_ge(rx_head[i], 0);
	}
	hvq_kick(&v, rxq);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t hdr[HDR_LEN] = { 0 };
		size_t len = make_frame(frame, p, i);
		struct hvbuf b = { tx + (uint64_t)i * BUF_LEN, (uint32_t)(HDR_LEN + len), false };

		harness_memwrite(h, b.gpa, hdr, HDR_LEN);
		harness_memwrite(h, b.gpa + HDR_LEN, frame, len);
		ck_assert_int_ge(hvq_add(&v, txq, &b, 1), 0);
	}
	hvq_kick(&v, txq);
	for (unsigned int i = 0; i < n; i++) {
		size_t len = make_frame(frame, p, i);
		uint32_t used = 0;
		int head = hvq_wait_used(&v, rxq, WAIT_MS, &used);

		ck_assert_msg(head >= 0, "pair %u: frame %u of %u did not come back (%d); testpmd log "
			      "%s", p, i, n, head, plog);
		ck_assert_int_eq(head, rx_head[i]);
		ck_assert_uint_eq(used, HDR_LEN + len);
		harness_memread(h, rx + (uint64_t)i * BUF_LEN + HDR_LEN, got, len);
		ck_assert_msg(!memcmp(got, guest_mac, 6) && !memcmp(got + 6, peer_mac, 6),
			      "pair %u frame %u: MACs not swapped", p, i);
		ck_assert_msg(!memcmp(got + 12, frame + 12, len - 12), "pair %u frame %u: payload "
			      "differs", p, i);
	}
	/* TX chains are all returned too */
	for (unsigned int i = 0; i < n; i++) {
		uint32_t used;

		ck_assert_int_ge(hvq_wait_used(&v, txq, WAIT_MS, &used), 0);
	}
}

START_TEST(test_config_space_and_features)
{
	uint64_t f;

	start(1, 1500);
	ck_assert_uint_eq(pci_cfg_read(h, (unsigned int)slot, 2, 2), 0x1040 + VIRTIO_ID_NET);
	f = hvirtio_device_features(&v);
	ck_assert(f & (1ull << VIRTIO_F_VERSION_1));
	ck_assert(f & (1ull << VIRTIO_NET_F_MAC));
	ck_assert(f & (1ull << VIRTIO_NET_F_STATUS));
	ck_assert(f & (1ull << VIRTIO_NET_F_MTU));
	/* one pair: no control queue, no MQ, even though DPDK offers both */
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_VQ)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_MQ)));
	for (unsigned int i = 0; i < 6; i++)
		ck_assert_uint_eq(hvirtio_config_read(&v, i, 1), guest_mac[i]);
	ck_assert_uint_eq(hvirtio_config_read(&v, 6, 2), VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(hvirtio_config_read(&v, 8, 2), 1);
	ck_assert_uint_eq(hvirtio_config_read(&v, 10, 2), 1500);
	ck_assert_uint_eq(v.nr_queues, 2);
}
END_TEST

START_TEST(test_frames_come_back)
{
	start(1, 0);
	ck_assert_int_eq(hvirtio_start(&v, net_features(1), 2), 0);
	roundtrip(0, 32);
	roundtrip(0, 64);
}
END_TEST

START_TEST(test_multiqueue)
{
	struct vu_net *n;

	start(2, 0);
	ck_assert_uint_eq(v.nr_queues, 5);
	ck_assert_uint_eq(hvirtio_config_read(&v, 8, 2), 2);
	ck_assert(net_features(2) & (1ull << VIRTIO_NET_F_MQ));
	ck_assert_int_eq(hvirtio_start(&v, net_features(2), 5), 0);
	/* out of range and unknown commands: ERR, nothing changes */
	ck_assert_int_eq(set_pairs(4, 3), VIRTIO_NET_ERR);
	ck_assert_int_eq(set_pairs(4, 0), VIRTIO_NET_ERR);
	ck_assert_int_eq(ctrl_cmd(4, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, "\1", 1),
			 VIRTIO_NET_ERR);
	ck_assert_int_eq(set_pairs(4, 2), VIRTIO_NET_OK);
	roundtrip(0, 16);
	roundtrip(1, 16);
	n = to_vu_dev(dev)->kind_priv;
	ck_assert_uint_eq(n->curr_pairs, 2);
	ck_assert_uint_eq(atomic_load(&n->ctrl_ok), 1);
	ck_assert_uint_eq(atomic_load(&n->ctrl_err), 3);
}
END_TEST

/* Guest reset and a second driver: vrings are taken back (GET_VRING_BASE) and handed again. */
START_TEST(test_reset_restart)
{
	start(2, 0);
	ck_assert_int_eq(hvirtio_start(&v, net_features(2), 5), 0);
	ck_assert_int_eq(set_pairs(4, 2), VIRTIO_NET_OK);
	roundtrip(1, 8);
	ck_assert_int_eq(hvirtio_reset(&v), 0);
	ck_assert_uint_eq(((struct vu_net *)to_vu_dev(dev)->kind_priv)->curr_pairs, 1);
	ck_assert_int_eq(hvirtio_start(&v, net_features(2), 5), 0);
	roundtrip(0, 8);
	ck_assert_int_eq(set_pairs(4, 2), VIRTIO_NET_OK);
	roundtrip(1, 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_net");
	TCase *tc = tcase_create("testpmd");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_config_space_and_features);
	tcase_add_test(tc, test_frames_come_back);
	tcase_add_test(tc, test_multiqueue);
	tcase_add_test(tc, test_reset_restart);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
