// SPDX-License-Identifier: MIT
/*
 * [[vhost_user_net]] against a hostile or broken back-end (tests/backends/fake_backend): bad
 * GET_QUEUE_NUM answers (too few, zero, huge, malformed replies, death), missing MQ support, a
 * refused NET_SET_MTU, death while the guest runs (the VMM's control queue must answer ERR and
 * set NEEDS_RESET, never hang), malformed control-queue chains; and what reaches the back-end
 * (SET_FEATURES without the VMM's own bits, the control queue never handed over).
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../harness/harness.h"
#include "../harness/testfiles.h"
#include "config/config.h"
#include "vhost_user/net.h"
#include "vhost_user/vhost_user.h"

#define F_V1 (1ull << VIRTIO_F_VERSION_1)
#define F_PROTO (1ull << VHOST_USER_F_PROTOCOL_FEATURES)
#define F_MQ (1ull << VIRTIO_NET_F_MQ)
/* all device bits 0..23 (CTRL_RX, CTRL_VLAN, GUEST_ANNOUNCE... included) */
#define ALL_NET 0xffffffull

static char dir[64], sock[96], blog[96];
static pid_t fake = -1;
static struct harness *h;

static void setup(void)
{
	strcpy(dir, "/tmp/vu-neth-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(blog, sizeof(blog), "%s/backend.log", dir);
	h = harness_create(32ull << 20);
	ck_assert_ptr_nonnull(h);
}

static void reap(void)
{
	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	fake = -1;
}

static void teardown(void)
{
	harness_destroy(h);
	reap();
	if (tf_rm_rf(dir))
		fprintf(stderr, "cleanup failed\n");
}

/* Starts the fake back-end with extra args (NULL-terminated, at most 8). */
static void spawn(const char *const *extra)
{
	const char *args[16] = { "--socket", sock, "--log", blog };
	unsigned int n = 4;

	for (unsigned int i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	unlink(sock);
	fake = tf_spawn_backend("fake_backend", NULL, args);
	ck_assert_msg(fake > 0, "fake_backend not built (make all)");
}

static uint32_t reconnect_ms;   /* for the next create() */

static struct virtio_device *create(unsigned int queues, uint32_t mtu, char *err, size_t len)
{
	struct vhost_user_net_config cfg = { .socket = sock, .queues = queues, .queue_size = 64,
					     .mtu = mtu, .connect_timeout_ms = 5000,
					     .reconnect_ms = reconnect_ms };

	err[0] = 0;
	return vhost_user_net_create(&h->vm, &cfg, err, len);
}

static void expect_refused(unsigned int queues, const char *const *extra, const char *why)
{
	char err[256];
	int fds;

	spawn(extra);
	fds = tf_count_fds();
	ck_assert_ptr_null(create(queues, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, why), "error '%s' lacks '%s'", err, why);
	ck_assert_int_eq(tf_count_fds(), fds);
	reap();
}

START_TEST(test_queue_num_too_small)
{
	expect_refused(2, (const char *const[]){ "--features", "1c0400003", "--queue-num", "1",
						 NULL }, "supports 1 queues, device needs 2");
	expect_refused(1, (const char *const[]){ "--queue-num", "0", NULL },
		       "supports 0 queues, device needs 1");
	expect_refused(16, (const char *const[]){ "--features", "1c0400003", "--queue-num", "15",
						  NULL }, "supports 15 queues, device needs 16");
}
END_TEST

/* For net, GET_QUEUE_NUM counts queue pairs (DPDK, QEMU): 2 serves queues = 2 (5 virtqueues). */
START_TEST(test_queue_num_counts_pairs)
{
	struct virtio_device *dev;
	char err[256];

	spawn((const char *const[]){ "--features", "1c0400003", "--queue-num", "2", NULL });
	dev = create(2, 0, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert_uint_eq(to_vu_dev(dev)->backend_queues, 2);
	vhost_user_device_destroy(dev);
}
END_TEST

/* A huge GET_QUEUE_NUM is capped, not used as a size. */
START_TEST(test_queue_num_huge)
{
	struct virtio_device *dev;
	char err[256];

	spawn((const char *const[]){ "--features", "1c0400003", "--queue-num",
				     "0xffffffffffffffff", NULL });
	dev = create(2, 0, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert_uint_eq(to_vu_dev(dev)->backend_queues, VIRTIO_MAX_QUEUES);
	ck_assert_uint_eq(dev->nr_queues, 5);
	vhost_user_device_destroy(dev);
}
END_TEST

START_TEST(test_multiqueue_needs_mq)
{
	/* VIRTIO_NET_F_MQ missing */
	expect_refused(2, (const char *const[]){ "--features", "140000003", NULL },
		       "needs a back-end with VIRTIO_NET_F_MQ");
	/* VHOST_USER_PROTOCOL_F_MQ missing (no GET_QUEUE_NUM) */
	expect_refused(2, (const char *const[]){ "--features", "1c0400003", "--protocol", "40a628",
						 NULL }, "needs a back-end with VIRTIO_NET_F_MQ");
}
END_TEST

/* Every malformed GET_QUEUE_NUM reply and death there: refused, no crash, no fd leaked. */
START_TEST(test_get_queue_num_misbehaviour)
{
	static const char *const actions[] = { "GET_QUEUE_NUM:close", "GET_QUEUE_NUM:garbage",
		"GET_QUEUE_NUM:wrongsize", "GET_QUEUE_NUM:oversize", "GET_QUEUE_NUM:fds253",
		"GET_QUEUE_NUM:wrongid", "GET_QUEUE_NUM:noreply" };

	for (unsigned int i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		char err[256];
		int fds;

		spawn((const char *const[]){ "--fail", actions[i], NULL });
		fds = tf_count_fds();
		ck_assert_msg(create(1, 0, err, sizeof(err)) == NULL, "%s accepted", actions[i]);
		ck_assert_msg(err[0], "%s: no error text", actions[i]);
		ck_assert_int_eq(tf_count_fds(), fds);
		reap();
	}
}
END_TEST

START_TEST(test_mtu)
{
	struct virtio_device *dev;
	char err[256];

	/* MTU protocol feature (bit 4) offered: the MTU is sent */
	spawn((const char *const[]){ "--protocol", "40a639", NULL });
	dev = create(1, 9000, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert(tf_wait(blog, "REQ NET_SET_MTU size=8", 2000));
	ck_assert(dev->host_features & (1ull << VIRTIO_NET_F_MTU));
	vhost_user_device_destroy(dev);
	reap();
	/* ... and refused by the back-end: the device is not created */
	spawn((const char *const[]){ "--protocol", "40a639", "--fail", "NET_SET_MTU:nack", NULL });
	ck_assert_ptr_null(create(1, 9000, err, sizeof(err)));
	ck_assert_msg(strstr(err, "refused MTU 9000"), "%s", err);
	reap();
	/* no MTU configured: never sent, not offered even if the back-end offers F_MTU */
	spawn((const char *const[]){ "--protocol", "40a639", "--features", "14000000b", NULL });
	dev = create(1, 0, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	ck_assert(!(dev->host_features & (1ull << VIRTIO_NET_F_MTU)));
	vhost_user_device_destroy(dev);
	ck_assert_int_eq(tf_count(blog, "NET_SET_MTU"), 0);
}
END_TEST

/* The guest's features: the back-end's data-path bits only, plus the VMM's own. */
START_TEST(test_feature_mask)
{
	struct virtio_device *dev;
	char err[256];
	uint64_t f;

	spawn((const char *const[]){ "--features", "140ffffff", NULL });
	dev = create(1, 0, err, sizeof(err));
	ck_assert_msg(dev != NULL, "%s", err);
	f = dev->host_features;
	ck_assert(f & F_V1);
	ck_assert(f & (1ull << VIRTIO_NET_F_CSUM));
	ck_assert(f & (1ull << VIRTIO_NET_F_MRG_RXBUF));
	ck_assert(f & (1ull << VIRTIO_NET_F_MAC));
	ck_assert(f & (1ull << VIRTIO_NET_F_STATUS));
	/* nobody implements these: the VMM's control queue does not, the back-end never sees one */
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_VQ)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_RX)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_VLAN)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_GUEST_ANNOUNCE)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_MAC_ADDR)));
	ck_assert(!(f & (1ull << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS)));
	ck_assert(!(f & F_MQ));
	ck_assert(!(f & F_PROTO));
	vhost_user_device_destroy(dev);
}
END_TEST

struct guest {
	struct virtio_device *dev;
	struct hvirtio v;
	int slot;
};

/* queues = 2 against the fake back-end, started by the harness with MQ + CTRL_VQ. */
static void start_guest(struct guest *g)
{
	char err[256];
	uint64_t want = F_V1 | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) | F_MQ |
			(1ull << VIRTIO_NET_F_CTRL_VQ);

	spawn((const char *const[]){ "--features", "1c0400003", NULL });
	g->dev = create(2, 0, err, sizeof(err));
	ck_assert_msg(g->dev != NULL, "%s", err);
	g->slot = harness_add_virtio(h, g->dev, vhost_user_device_destroy);
	ck_assert_int_ge(g->slot, 0);
	ck_assert_int_eq(hvirtio_init(&g->v, h, (unsigned int)g->slot), 0);
	ck_assert_uint_eq(hvirtio_device_features(&g->v) & want, want);
	ck_assert_int_eq(hvirtio_start(&g->v, want, 5), 0);
}

static int ctrl_chain(struct guest *g, const struct hvbuf *b, unsigned int n, uint32_t *used)
{
	int head = hvq_add(&g->v, 4, b, n);

	if (head < 0)
		return head;
	hvq_kick(&g->v, 4);
	return hvq_wait_used(&g->v, 4, 5000, used) == head ? 0 : -ETIMEDOUT;
}

static int set_pairs(struct guest *g, uint16_t pairs)
{
	uint64_t out = harness_alloc(h, 16, 16), in = harness_alloc(h, 16, 16);
	uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET }, ack = 0xee;
	struct hvbuf b[2] = { { out, 4, false }, { in, 1, true } };
	uint16_t le = htole16(pairs);
	uint32_t used;

	memcpy(cmd + 2, &le, 2);
	harness_memwrite(h, out, cmd, 4);
	harness_memwrite(h, in, &ack, 1);
	if (ctrl_chain(g, b, 2, &used))
		return -ETIMEDOUT;
	harness_memread(h, in, &ack, 1);
	return ack;
}

/* What the back-end got: SET_FEATURES with MQ but without MAC/STATUS/CTRL_VQ; 4 data vrings. */
START_TEST(test_backend_view)
{
	struct guest g;
	char want[64];

	start_guest(&g);
	snprintf(want, sizeof(want), "FEATURES 0x%llx", (unsigned long long)(F_V1 | F_MQ | F_PROTO));
	ck_assert_msg(tf_wait(blog, want, 2000), "back-end did not get %s", want);
	ck_assert_int_eq(tf_count(blog, "REQ SET_VRING_KICK"), 4);
	/* pair 0 enabled, pair 1 disabled until VQ_PAIRS_SET */
	ck_assert_int_eq(tf_count(blog, "REQ SET_VRING_ENABLE"), 4);
	ck_assert_int_eq(set_pairs(&g, 2), VIRTIO_NET_OK);
	ck_assert(tf_wait_count(blog, "REQ SET_VRING_ENABLE", 8, 2000));
	ck_assert_int_eq(set_pairs(&g, 1), VIRTIO_NET_OK);
	ck_assert(tf_wait_count(blog, "REQ SET_VRING_ENABLE", 12, 2000));
	hvirtio_cleanup(&g.v);
}
END_TEST

/* Back-end death while the guest runs: VQ_PAIRS_SET answers ERR, NEEDS_RESET, reset works. */
START_TEST(test_backend_dies)
{
	struct guest g;

	start_guest(&g);
	reap();
	ck_assert_int_eq(set_pairs(&g, 2), VIRTIO_NET_ERR);
	ck_assert(vhost_user_backend_dead(g.dev));
	/* the backend-channel thread marks it dead first, then sets NEEDS_RESET */
	for (int i = 0; i < 200 && !(hvirtio_get_status(&g.v) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	ck_assert(hvirtio_get_status(&g.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_int_eq(hvirtio_reset(&g.v), 0);
	hvirtio_cleanup(&g.v);
}
END_TEST

/* reconnect_ms: a new back-end on the same socket takes over at the guest's next reset. */
START_TEST(test_reconnect)
{
	uint64_t want = F_V1 | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) | F_MQ |
			(1ull << VIRTIO_NET_F_CTRL_VQ);
	struct guest g;

	reconnect_ms = 2000;
	start_guest(&g);
	reconnect_ms = 0;
	reap();
	ck_assert_int_eq(set_pairs(&g, 2), VIRTIO_NET_ERR);
	ck_assert(vhost_user_backend_dead(g.dev));
	spawn((const char *const[]){ "--features", "1c0400003", NULL });
	ck_assert_int_eq(hvirtio_reset(&g.v), 0);
	ck_assert(!vhost_user_backend_dead(g.dev));
	ck_assert_int_eq(hvirtio_start(&g.v, want, 5), 0);
	ck_assert_int_eq(set_pairs(&g, 2), VIRTIO_NET_OK);
	ck_assert(tf_wait_count(blog, "REQ SET_VRING_ENABLE", 8, 2000));
	hvirtio_cleanup(&g.v);
}
END_TEST

/* Malformed control chains: no ack byte, oversized command, truncated, bad address. */
START_TEST(test_ctrl_malformed)
{
	struct guest g;
	uint64_t out, in;
	uint8_t ack;
	uint32_t used = 99;

	start_guest(&g);
	out = harness_alloc(h, 4096, 16);
	in = harness_alloc(h, 16, 16);
	/* only a readable buffer: returned with nothing written */
	ck_assert_int_eq(ctrl_chain(&g, (struct hvbuf[]){ { out, 4, false } }, 1, &used), 0);
	ck_assert_uint_eq(used, 0);
	/* 2 KiB command, a 1-byte header: ERR */
	ack = 0xee;
	harness_memwrite(h, in, &ack, 1);
	ck_assert_int_eq(ctrl_chain(&g, (struct hvbuf[]){ { out, 2048, false }, { in, 1, true } }, 2,
				    &used), 0);
	harness_memread(h, in, &ack, 1);
	ck_assert_uint_eq(ack, VIRTIO_NET_ERR);
	ck_assert_int_eq(ctrl_chain(&g, (struct hvbuf[]){ { out, 1, false }, { in, 1, true } }, 2,
				    &used), 0);
	harness_memread(h, in, &ack, 1);
	ck_assert_uint_eq(ack, VIRTIO_NET_ERR);
	/* VQ_PAIRS_SET with 3 data bytes */
	harness_memwrite(h, out, (uint8_t[]){ VIRTIO_NET_CTRL_MQ, 0, 2, 0, 0 }, 5);
	ck_assert_int_eq(ctrl_chain(&g, (struct hvbuf[]){ { out, 5, false }, { in, 1, true } }, 2,
				    &used), 0);
	harness_memread(h, in, &ack, 1);
	ck_assert_uint_eq(ack, VIRTIO_NET_ERR);
	ck_assert_uint_eq(((struct vu_net *)to_vu_dev(g.dev)->kind_priv)->curr_pairs, 1);
	/* a buffer outside guest RAM: the queue breaks, NEEDS_RESET, the thread survives reset */
	hvq_add(&g.v, 4, (struct hvbuf[]){ { 0xfff00000000ull, 4, false }, { in, 1, true } }, 2);
	hvq_kick(&g.v, 4);
	for (int i = 0; i < 200 && !(hvirtio_get_status(&g.v) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	ck_assert(hvirtio_get_status(&g.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_int_eq(hvirtio_reset(&g.v), 0);
	hvirtio_cleanup(&g.v);
}
END_TEST

/* [[vhost_user_net]] in vm.toml: defaults and every key. */
START_TEST(test_config_parse)
{
	static const char text[] = "[[vhost_user_net]]\nsocket = \"/run/a.sock\"\n"
				   "[[vhost_user_net]]\nsocket = \"/run/b.sock\"\n"
				   "mac = \"52:54:00:12:34:56\"\nqueues = 4\nqueue_size = 1024\n"
				   "mtu = 9000\nreconnect_ms = 100\nconnect_timeout_ms = 200\n";
	struct vm_config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_msg(config_parse(&cfg, text, sizeof(text) - 1, "vm.toml", err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.nr_vu_net, 2);
	ck_assert_str_eq(cfg.vu_net[0].socket, "/run/a.sock");
	ck_assert_ptr_null(cfg.vu_net[0].mac);
	ck_assert_uint_eq(cfg.vu_net[0].queues, 1);
	ck_assert_uint_eq(cfg.vu_net[0].queue_size, 256);
	ck_assert_uint_eq(cfg.vu_net[0].mtu, 0);
	ck_assert_uint_eq(cfg.vu_net[0].connect_timeout_ms, 5000);
	ck_assert_str_eq(cfg.vu_net[1].mac, "52:54:00:12:34:56");
	ck_assert_uint_eq(cfg.vu_net[1].queues, 4);
	ck_assert_uint_eq(cfg.vu_net[1].queue_size, 1024);
	ck_assert_uint_eq(cfg.vu_net[1].mtu, 9000);
	ck_assert_uint_eq(cfg.vu_net[1].reconnect_ms, 100);
	ck_assert_uint_eq(cfg.vu_net[1].connect_timeout_ms, 200);
	config_free(&cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_net_hostile");
	TCase *tc = tcase_create("hostile");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config_parse);
	tcase_add_test(tc, test_queue_num_too_small);
	tcase_add_test(tc, test_queue_num_counts_pairs);
	tcase_add_test(tc, test_queue_num_huge);
	tcase_add_test(tc, test_multiqueue_needs_mq);
	tcase_add_test(tc, test_get_queue_num_misbehaviour);
	tcase_add_test(tc, test_mtu);
	tcase_add_test(tc, test_feature_mask);
	tcase_add_test(tc, test_backend_view);
	tcase_add_test(tc, test_backend_dies);
	tcase_add_test(tc, test_ctrl_malformed);
	tcase_add_test(tc, test_reconnect);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
