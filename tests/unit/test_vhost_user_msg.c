// SPDX-License-Identifier: MIT
/*
 * vhost-user message codec (src/vhost_user/msg.c) over socketpairs: exact request sizes, reply
 * validation (size, request id, REPLY flag, version, fds, payload limit), descriptor limits and
 * leaks, timeouts, EOF, short transfers, REPLY_ACK status.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost_user/msg.h"
#include "../harness/testfiles.h"

static int sv[2];
static struct vu_conn conn;

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(&conn, 0, sizeof(conn));
	conn.fd = sv[0];
	conn.timeout_ms = 300;
	conn.name = "test";
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

/* Writes a raw message (any header, any payload size, n copies of fd) on the peer end. */
static void peer_send(uint32_t req, uint32_t flags, uint32_t size, const void *payload,
		      size_t plen, int fd, int nfds)
{
	struct { uint32_t r, f, s; } __attribute__((packed)) h = { req, flags, size };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, plen } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = plen ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *cm;
		int *p;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		p = (int *)CMSG_DATA(cm);
		for (int i = 0; i < nfds; i++)
			p[i] = fd;
	}
	ck_assert_int_eq(sendmsg(sv[1], &mh, 0), (ssize_t)(sizeof(h) + plen));
}

static void reply_u64(uint32_t req, uint32_t flags, uint64_t v)
{
	peer_send(req, flags, 8, &v, 8, -1, 0);
}

#define RF (VHOST_USER_VERSION | VHOST_USER_REPLY_MASK)

/* Independent copy of the spec's payload sizes for the requests the front-end sends. */
static const struct { uint32_t req; uint32_t size; } spec_sizes[] = {
	{ VHOST_USER_GET_FEATURES, 0 }, { VHOST_USER_SET_FEATURES, 8 },
	{ VHOST_USER_SET_OWNER, 0 }, { VHOST_USER_SET_VRING_NUM, 8 },
	{ VHOST_USER_SET_VRING_ADDR, 40 }, { VHOST_USER_SET_VRING_BASE, 8 },
	{ VHOST_USER_GET_VRING_BASE, 8 }, { VHOST_USER_SET_VRING_KICK, 8 },
	{ VHOST_USER_SET_VRING_CALL, 8 }, { VHOST_USER_SET_VRING_ERR, 8 },
	{ VHOST_USER_GET_PROTOCOL_FEATURES, 0 }, { VHOST_USER_SET_PROTOCOL_FEATURES, 8 },
	{ VHOST_USER_GET_QUEUE_NUM, 0 }, { VHOST_USER_SET_VRING_ENABLE, 8 },
	{ VHOST_USER_SET_BACKEND_REQ_FD, 0 }, { VHOST_USER_RESET_DEVICE, 0 },
	{ VHOST_USER_GET_MAX_MEM_SLOTS, 0 }, { VHOST_USER_ADD_MEM_REG, 40 },
	{ VHOST_USER_REM_MEM_REG, 40 }, { VHOST_USER_GET_SHMEM_CONFIG, 0 },
};

START_TEST(test_fixed_request_sizes)
{
	struct vu_msg m;

	for (size_t i = 0; i < sizeof(spec_sizes) / sizeof(spec_sizes[0]); i++) {
		vu_msg_init(&m, spec_sizes[i].req, spec_sizes[i].size);
		ck_assert_msg(vu_request_size_ok(&m), "%s size %u", vu_request_name(m.hdr.request),
			      m.hdr.size);
		m.hdr.size = spec_sizes[i].size + 1;
		ck_assert(!vu_request_size_ok(&m));
		if (spec_sizes[i].size) {
			m.hdr.size = spec_sizes[i].size - 1;
			ck_assert(!vu_request_size_ok(&m));
		}
	}
	/* Requests we never send are refused outright. */
	vu_msg_init(&m, VHOST_USER_SET_LOG_BASE, 16);
	ck_assert(!vu_request_size_ok(&m));
	vu_msg_init(&m, 99, 0);
	ck_assert(!vu_request_size_ok(&m));
}
END_TEST

START_TEST(test_variable_request_sizes)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + 2 * 32);
	m.payload.memory.nregions = 2;
	ck_assert(vu_request_size_ok(&m));
	m.hdr.size = 8 + 3 * 32;
	ck_assert(!vu_request_size_ok(&m));
	m.payload.memory.nregions = 9;
	m.hdr.size = 8 + 9 * 32;
	ck_assert(!vu_request_size_ok(&m));
	m.payload.memory.nregions = 0;
	m.hdr.size = 8;
	ck_assert(!vu_request_size_ok(&m));

	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 12 + 40);
	m.payload.config.size = 40;
	ck_assert(vu_request_size_ok(&m));
	ck_assert_int_eq(vu_reply_size(&m), 52);
	m.payload.config.size = 41;
	ck_assert(!vu_request_size_ok(&m));
	m.payload.config.size = 300;
	m.hdr.size = 312;
	ck_assert(!vu_request_size_ok(&m));

	vu_msg_init(&m, VHOST_USER_GET_SHMEM_CONFIG, 0);
	ck_assert_int_eq(vu_reply_size(&m), 2056);
	vu_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 40);
	ck_assert_int_eq(vu_reply_size(&m), -1);
}
END_TEST

START_TEST(test_roundtrip_with_fds)
{
	struct vu_msg m, r;
	int efd = eventfd(0, EFD_CLOEXEC);
	struct vu_conn peer = { .fd = sv[1], .timeout_ms = 300, .name = "peer" };

	vu_msg_init(&m, VHOST_USER_SET_VRING_KICK, 8);
	m.payload.u64 = 3;
	m.fds[0] = efd;
	m.fds[1] = efd;
	m.nr_fds = 2;
	ck_assert_int_eq(vu_msg_send(&conn, &m), 0);
	ck_assert_int_eq(vu_msg_recv(&peer, &r, 300), 0);
	ck_assert_uint_eq(r.hdr.request, VHOST_USER_SET_VRING_KICK);
	ck_assert_uint_eq(r.hdr.size, 8);
	ck_assert_uint_eq(r.payload.u64, 3);
	ck_assert_uint_eq(r.nr_fds, 2);
	ck_assert_int_ne(r.fds[0], efd);
	vu_msg_close_fds(&r);
	close(efd);
}
END_TEST

START_TEST(test_call_ok)
{
	struct vu_msg m, r;

	reply_u64(VHOST_USER_GET_FEATURES, RF, 0x175000000ull);
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), 0);
	ck_assert_uint_eq(r.payload.u64, 0x175000000ull);
}
END_TEST

static void expect_reject_code(uint32_t req, const char *needle, int code)
{
	struct vu_msg m, r;
	int before = tf_count_fds();

	vu_msg_init(&m, req, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), code);
	ck_assert_msg(strstr(conn.err, needle), "error '%s' lacks '%s'", conn.err, needle);
	ck_assert_int_eq(tf_count_fds(), before);
}

static void expect_reject(uint32_t req, const char *needle)
{
	expect_reject_code(req, needle, -EPROTO);
}

START_TEST(test_reply_wrong_size)
{
	uint32_t v = 1;

	peer_send(VHOST_USER_GET_FEATURES, RF, 4, &v, 4, -1, 0);
	expect_reject(VHOST_USER_GET_FEATURES, "has 4 payload bytes, expected 8");
}
END_TEST

START_TEST(test_reply_wrong_request)
{
	reply_u64(VHOST_USER_GET_QUEUE_NUM, RF, 2);
	expect_reject(VHOST_USER_GET_FEATURES, "expected a reply to GET_FEATURES, got one to request 17");
}
END_TEST

START_TEST(test_reply_missing_flag)
{
	reply_u64(VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 1);
	expect_reject(VHOST_USER_GET_FEATURES, "lacks the REPLY flag");
}
END_TEST

START_TEST(test_reply_bad_version)
{
	reply_u64(VHOST_USER_GET_FEATURES, VHOST_USER_REPLY_MASK | 2, 1);
	expect_reject(VHOST_USER_GET_FEATURES, "bad flags");
	reply_u64(VHOST_USER_GET_FEATURES, RF | 0x100, 1);
	expect_reject(VHOST_USER_GET_FEATURES, "bad flags");
}
END_TEST

START_TEST(test_reply_extra_fds)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 1;

	peer_send(VHOST_USER_GET_FEATURES, RF, 8, &v, 8, efd, 1);
	expect_reject(VHOST_USER_GET_FEATURES, "unexpected file descriptors");
	close(efd);
}
END_TEST

START_TEST(test_reply_253_fds)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t v = 1;

	peer_send(VHOST_USER_GET_FEATURES, RF, 8, &v, 8, efd, 253);
	expect_reject_code(VHOST_USER_GET_FEATURES, "more than 8 file descriptors", -ETOOMANYREFS);
	close(efd);
}
END_TEST

START_TEST(test_reply_over_limit)
{
	static char big[8192];

	peer_send(VHOST_USER_GET_FEATURES, RF, sizeof(big), big, sizeof(big), -1, 0);
	expect_reject(VHOST_USER_GET_FEATURES, "exceeds the 4096-byte limit");
}
END_TEST

START_TEST(test_reply_shmem_config_size)
{
	static char buf[2056];
	struct vu_msg m, r;

	peer_send(VHOST_USER_GET_SHMEM_CONFIG, RF, 2056, buf, 2056, -1, 0);
	vu_msg_init(&m, VHOST_USER_GET_SHMEM_CONFIG, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), 0);
	ck_assert_uint_eq(r.hdr.size, 2056);
	peer_send(VHOST_USER_GET_SHMEM_CONFIG, RF, 2048, buf, 2048, -1, 0);
	expect_reject(VHOST_USER_GET_SHMEM_CONFIG, "expected 2056");
}
END_TEST

START_TEST(test_timeout)
{
	struct vu_msg m, r;

	conn.timeout_ms = 100;
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(conn.err, "did not answer within 100 ms"));
}
END_TEST

START_TEST(test_truncated_payload_timeout)
{
	struct vu_msg m, r;
	uint32_t half = 7;

	/* Header promises 8 bytes, only 4 arrive: the deadline still applies. */
	peer_send(VHOST_USER_GET_FEATURES, RF, 8, &half, 4, -1, 0);
	conn.timeout_ms = 100;
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), -ETIMEDOUT);
}
END_TEST

START_TEST(test_eof)
{
	struct vu_msg m, r;

	close(sv[1]);
	sv[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, 0);
	ck_assert_int_lt(vu_call(&conn, &m, &r), 0);
	ck_assert_ptr_nonnull(strstr(conn.err, "closed") ? conn.err : strstr(conn.err, "pipe"));
}
END_TEST

static void *slow_peer(void *arg)
{
	struct { uint32_t r, f, s; uint64_t v; } __attribute__((packed)) rep = {
		VHOST_USER_GET_QUEUE_NUM, RF, 8, 2 };
	const char *p = (const char *)&rep;
	char buf[64];

	(void)arg;
	ck_assert_int_eq(read(sv[1], buf, 12), 12);
	for (size_t i = 0; i < sizeof(rep); i++) {
		ck_assert_int_eq(write(sv[1], p + i, 1), 1);
		usleep(2000);
	}
	return NULL;
}

START_TEST(test_short_reads)
{
	struct vu_msg m, r;
	pthread_t t;

	pthread_create(&t, NULL, slow_peer, NULL);
	vu_msg_init(&m, VHOST_USER_GET_QUEUE_NUM, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &r), 0);
	ck_assert_uint_eq(r.payload.u64, 2);
	pthread_join(t, NULL);
}
END_TEST

/* Header after 60 ms, payload 60 ms later. */
static void *late_peer(void *arg)
{
	struct { uint32_t r, f, s; uint64_t v; } __attribute__((packed)) rep = {
		VHOST_USER_GET_QUEUE_NUM, RF, 8, 2 };

	(void)arg;
	usleep(60000);
	ck_assert_int_eq(write(sv[1], &rep, 12), 12);
	usleep(60000);
	ck_assert_int_eq(write(sv[1], &rep.v, 8), 8);
	return NULL;
}

/* vu_msg_recv_reply: the wait for the first byte and the read share one deadline. */
START_TEST(test_recv_reply_one_deadline)
{
	struct vu_msg r;
	pthread_t t;

	pthread_create(&t, NULL, late_peer, NULL);
	ck_assert_int_eq(vu_msg_recv_reply(&conn, &r, 100), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(conn.err, "did not answer"));
	pthread_join(t, NULL);
	ck_assert_uint_eq(r.nr_fds, 0);

	/* the same peer within the deadline; the message is whole, fds gathered */
	teardown();
	setup();
	pthread_create(&t, NULL, late_peer, NULL);
	ck_assert_int_eq(vu_msg_recv_reply(&conn, &r, 1000), 0);
	ck_assert_uint_eq(r.hdr.request, VHOST_USER_GET_QUEUE_NUM);
	ck_assert_uint_eq(r.payload.u64, 2);
	pthread_join(t, NULL);

	/* nothing ever: a timeout; hang-up: ECONNRESET */
	ck_assert_int_eq(vu_msg_recv_reply(&conn, &r, 50), -ETIMEDOUT);
	close(sv[1]);
	sv[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(vu_msg_recv_reply(&conn, &r, 1000), -ECONNRESET);
}
END_TEST

START_TEST(test_reply_ack)
{
	struct vu_msg m;
	struct vu_msg got;
	struct vu_conn peer = { .fd = sv[1], .timeout_ms = 300, .name = "peer" };

	conn.reply_ack = true;
	reply_u64(VHOST_USER_SET_VRING_NUM, RF, 0);
	vu_msg_init(&m, VHOST_USER_SET_VRING_NUM, 8);
	ck_assert_int_eq(vu_call(&conn, &m, NULL), 0);
	ck_assert_int_eq(vu_msg_recv(&peer, &got, 300), 0);
	ck_assert(got.hdr.flags & VHOST_USER_NEED_REPLY_MASK);

	reply_u64(VHOST_USER_SET_VRING_NUM, RF, 22);
	ck_assert_int_eq(vu_call(&conn, &m, NULL), -EIO);
	ck_assert_ptr_nonnull(strstr(conn.err, "rejected SET_VRING_NUM (status 22)"));
	/* A GET_ request never carries NEED_REPLY: it has its own reply. */
	reply_u64(VHOST_USER_GET_FEATURES, RF, 5);
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, 0);
	ck_assert_int_eq(vu_call(&conn, &m, &got), 0);
	ck_assert(!(m.hdr.flags & VHOST_USER_NEED_REPLY_MASK));
}
END_TEST

START_TEST(test_refuse_bad_send)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_FEATURES, 4);
	ck_assert_int_eq(vu_call(&conn, &m, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(conn.err, "internal error"));
}
END_TEST

START_TEST(test_backend_request_sizes)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, 0);
	ck_assert(vu_backend_request_size_ok(&m));
	vu_msg_init(&m, VHOST_USER_BACKEND_SHMEM_MAP, 40);
	ck_assert(vu_backend_request_size_ok(&m));
	m.hdr.size = 32;
	ck_assert(!vu_backend_request_size_ok(&m));
	vu_msg_init(&m, 77, 0);
	ck_assert(!vu_backend_request_size_ok(&m));
	ck_assert_str_eq(vu_backend_request_name(77), "unknown(77)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vhost_user_msg");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixed_request_sizes);
	tcase_add_test(tc, test_variable_request_sizes);
	tcase_add_test(tc, test_roundtrip_with_fds);
	tcase_add_test(tc, test_call_ok);
	tcase_add_test(tc, test_reply_wrong_size);
	tcase_add_test(tc, test_reply_wrong_request);
	tcase_add_test(tc, test_reply_missing_flag);
	tcase_add_test(tc, test_reply_bad_version);
	tcase_add_test(tc, test_reply_extra_fds);
	tcase_add_test(tc, test_reply_253_fds);
	tcase_add_test(tc, test_reply_over_limit);
	tcase_add_test(tc, test_reply_shmem_config_size);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_truncated_payload_timeout);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_short_reads);
	tcase_add_test(tc, test_reply_ack);
	tcase_add_test(tc, test_recv_reply_one_deadline);
	tcase_add_test(tc, test_refuse_bad_send);
	tcase_add_test(tc, test_backend_request_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
