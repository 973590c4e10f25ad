// SPDX-License-Identifier: MIT
/*
 * Unit tests of the vhost-user back-end library (src/vu_backend) against a fake front-end on a
 * socketpair, using the shared codec (vhost_user/msg.h) for the front-end side.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_user/msg.h"
#include "vu_backend/vu_backend.h"

#define MEM_SIZE (1u << 20)
#define GPA_BASE 0x100000ull
#define UVA_BASE 0x7f0000000000ull
#define QSZ 8
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define DATA_OFF 0x10000

static const char config[40] = "testtag";
static struct vub *b;
static pthread_t server;
static int serve_ret;
static struct vu_conn fe;          /* fake front-end end */
static uint8_t *mem;
static int memfd;
static int kick_fd, call_fd, err_fd;
static atomic_int processed;

/* Echo device: copies the readable bytes into the writable buffers. */
static uint32_t echo(void *opaque, unsigned int q, const struct virtq_elem *e)
{
	char buf[256];
	size_t n;

	(void)opaque;
	(void)q;
	n = iov_to_buf(e->iov, e->out_num, 0, buf, sizeof(buf));
	processed++;
	return (uint32_t)iov_from_buf(e->iov + e->out_num, e->in_num, 0, buf, n);
}

static void *serve_thread(void *arg)
{
	serve_ret = vub_serve(b, (int)(intptr_t)arg);
	return NULL;
}

static void setup(void)
{
	struct vub_device d = { .name = "test-backend", .nr_queues = 2, .config = config,
				.config_size = sizeof(config), .shm_size = { 64 << 20 },
				.process = echo };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	b = vub_new(&d);
	ck_assert_ptr_nonnull(b);
	fe = (struct vu_conn){ .fd = sv[0], .timeout_ms = 2000, .name = "fake-frontend" };
	ck_assert_int_eq(pthread_create(&server, NULL, serve_thread, (void *)(intptr_t)sv[1]), 0);
	memfd = memfd_create("guest", MFD_CLOEXEC);
	ck_assert_int_eq(ftruncate(memfd, MEM_SIZE), 0);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	processed = 0;
	kick_fd = eventfd(0, EFD_CLOEXEC);
	call_fd = eventfd(0, EFD_CLOEXEC);
	err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void teardown(void)
{
	close(fe.fd);
	pthread_join(server, NULL);
	ck_assert_int_eq(serve_ret, 0);
	vub_free(b);
	munmap(mem, MEM_SIZE);
	close(memfd);
	close(kick_fd);
	close(call_fd);
	close(err_fd);
}

static uint64_t get_u64(uint32_t req)
{
	struct vu_msg m, r;

	vu_msg_init(&m, req, 0);
	ck_assert_int_eq(vu_call(&fe, &m, &r), 0);
	return r.payload.u64;
}

/* Sends a no-reply request with NEED_REPLY and returns the ack value. */
static uint64_t send_ack(struct vu_msg *m)
{
	struct vu_msg r;

	m->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	ck_assert_int_eq(vu_msg_send(&fe, m), 0);
	ck_assert_int_eq(vu_msg_recv(&fe, &r, 2000), 0);
	ck_assert(r.hdr.flags & VHOST_USER_REPLY_MASK);
	ck_assert_uint_eq(r.hdr.request, m->hdr.request);
	ck_assert_uint_eq(r.hdr.size, 8);
	return r.payload.u64;
}

static uint64_t set_u64(uint32_t req, uint64_t v)
{
	struct vu_msg m;

	vu_msg_init(&m, req, 8);
	m.payload.u64 = v;
	return send_ack(&m);
}

static uint64_t set_state(uint32_t req, unsigned int idx, unsigned int num)
{
	struct vu_msg m;

	vu_msg_init(&m, req, 8);
	m.payload.state.index = idx;
	m.payload.state.num = num;
	return send_ack(&m);
}

static uint64_t set_vring_fd(uint32_t req, unsigned int idx, int fd)
{
	struct vu_msg m;

	vu_msg_init(&m, req, 8);
	m.payload.u64 = idx;
	m.fds[0] = fd;
	m.nr_fds = 1;
	return send_ack(&m);
}

static void negotiate(void)
{
	uint64_t f = get_u64(VHOST_USER_GET_FEATURES), p;
	struct vu_msg m;

	ck_assert(f & (1ull << VIRTIO_F_VERSION_1));
	ck_assert(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	p = get_u64(VHOST_USER_GET_PROTOCOL_FEATURES);
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_SHMEM));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	ck_assert(p & (1ull << VHOST_USER_PROTOCOL_F_MQ));
	ck_assert_uint_eq(set_u64(VHOST_USER_SET_PROTOCOL_FEATURES, p), 0);
	fe.reply_ack = true;
	ck_assert_uint_eq(set_u64(VHOST_USER_SET_FEATURES, f), 0);
	vu_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	ck_assert_int_eq(vu_call(&fe, &m, NULL), 0);
}

static void send_mem_table(void)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + 32);
	m.payload.memory.nregions = 1;
	m.payload.memory.regions[0] = (struct vhost_user_memory_region){
		.guest_phys_addr = GPA_BASE, .memory_size = MEM_SIZE, .userspace_addr = UVA_BASE };
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_eq(send_ack(&m), 0);
}

static void start_ring(unsigned int q, uint64_t desc_uva)
{
	struct vu_msg m;

	ck_assert_uint_eq(set_state(VHOST_USER_SET_VRING_NUM, q, QSZ), 0);
	vu_msg_init(&m, VHOST_USER_SET_VRING_ADDR, sizeof(struct vhost_vring_addr));
	m.payload.addr = (struct vhost_vring_addr){ .index = q, .desc_user_addr = desc_uva,
		.avail_user_addr = UVA_BASE + AVAIL_OFF, .used_user_addr = UVA_BASE + USED_OFF };
	ck_assert_uint_eq(send_ack(&m), 0);
	ck_assert_uint_eq(set_state(VHOST_USER_SET_VRING_BASE, q, 0), 0);
	ck_assert_uint_eq(set_vring_fd(VHOST_USER_SET_VRING_CALL, q, call_fd), 0);
	ck_assert_uint_eq(set_vring_fd(VHOST_USER_SET_VRING_ERR, q, err_fd), 0);
	ck_assert_uint_eq(set_vring_fd(VHOST_USER_SET_VRING_KICK, q, kick_fd), 0);
	ck_assert_uint_eq(set_state(VHOST_USER_SET_VRING_ENABLE, q, 1), 0);
}

/* Makes chain {readable "text", writable 64 bytes} available at ring slot n. */
static void post(unsigned int n, const char *text, uint64_t read_gpa)
{
	struct vring_desc *d = (void *)(mem + DESC_OFF);
	struct vring_avail *a = (void *)(mem + AVAIL_OFF);
	uint16_t head = (uint16_t)((2 * n) % QSZ);
	uint64_t one = 1;

	strcpy((char *)mem + DATA_OFF + 256 * n, text);
	d[head] = (struct vring_desc){ .addr = read_gpa ? read_gpa : GPA_BASE + DATA_OFF + 256 * n,
				       .len = (uint32_t)strlen(text) + 1, .flags = VRING_DESC_F_NEXT,
				       .next = (uint16_t)(head + 1) };
	d[head + 1] = (struct vring_desc){ .addr = GPA_BASE + DATA_OFF + 0x8000 + 256 * n,
					   .len = 64, .flags = VRING_DESC_F_WRITE };
	a->ring[n % QSZ] = head;
	a->ring[QSZ] = (uint16_t)n;      /* used_event (EVENT_IDX): interrupt for this one */
	__atomic_store_n(&a->idx, (uint16_t)(n + 1), __ATOMIC_RELEASE);
	ck_assert_int_eq(write(kick_fd, &one, 8), 8);
}

static void wait_call(void)
{
	struct pollfd p = { .fd = call_fd, .events = POLLIN };
	uint64_t v;

	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert_int_eq(read(call_fd, &v, 8), 8);
}

START_TEST(test_negotiation)
{
	struct vu_msg m, r;

	negotiate();
	ck_assert_uint_eq(get_u64(VHOST_USER_GET_QUEUE_NUM), 2);
	ck_assert_uint_ge(get_u64(VHOST_USER_GET_MAX_MEM_SLOTS), 1);
	/* GET_SHMEM_CONFIG: 2056 bytes, region 0 = window. */
	vu_msg_init(&m, VHOST_USER_GET_SHMEM_CONFIG, 0);
	ck_assert_int_eq(vu_call(&fe, &m, &r), 0);
	ck_assert_uint_eq(r.hdr.size, 2056);
	ck_assert_uint_eq(r.payload.shmem.nregions, 1);
	ck_assert_uint_eq(r.payload.shmem.memory_sizes[0], 64 << 20);
	ck_assert_uint_eq(r.payload.shmem.memory_sizes[1], 0);
	/* GET_CONFIG. */
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 12 + 40);
	m.payload.config.size = 40;
	ck_assert_int_eq(vu_call(&fe, &m, &r), 0);
	ck_assert_str_eq((char *)r.payload.config.region, "testtag");
	/* Out-of-range GET_CONFIG: zeroed, no crash. */
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 12 + 8);
	m.payload.config.offset = 36;
	m.payload.config.size = 8;
	ck_assert_int_eq(vu_call(&fe, &m, &r), 0);
	/* Features we did not offer. */
	ck_assert_uint_ne(set_u64(VHOST_USER_SET_FEATURES, 1ull << 63), 0);
	ck_assert_uint_ne(set_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << 40), 0);
	/* Unknown request and wrong size. */
	vu_msg_init(&m, 43, 0);
	ck_assert_uint_ne(send_ack(&m), 0);
	vu_msg_init(&m, VHOST_USER_SET_VRING_NUM, 4);
	ck_assert_uint_ne(send_ack(&m), 0);
	/* SET_CONFIG refused. */
	vu_msg_init(&m, VHOST_USER_SET_CONFIG, 12 + 4);
	m.payload.config.size = 4;
	ck_assert_uint_ne(send_ack(&m), 0);
	ck_assert_uint_eq(vub_protocol_features(b) >> VHOST_USER_PROTOCOL_F_SHMEM & 1, 1);
}
END_TEST

START_TEST(test_vring_echo)
{
	struct vring_used *u = (void *)(mem + USED_OFF);
	struct vu_msg m, r;

	negotiate();
	send_mem_table();
	ck_assert_uint_eq(vub_nr_regions(b), 1);
	start_ring(1, UVA_BASE + DESC_OFF);
	for (unsigned int i = 0; i < 3; i++) {
		post(i, i == 1 ? "second" : "hello", 0);
		wait_call();
		ck_assert_uint_eq(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE), i + 1);
		ck_assert_uint_eq(u->ring[i].id, (2 * i) % QSZ);
		ck_assert_uint_eq(u->ring[i].len, i == 1 ? 7 : 6);
		ck_assert_str_eq((char *)mem + DATA_OFF + 0x8000 + 256 * i,
				 i == 1 ? "second" : "hello");
	}
	ck_assert_int_eq(processed, 3);
	/* GET_VRING_BASE stops the ring and reports the next avail index. */
	vu_msg_init(&m, VHOST_USER_GET_VRING_BASE, 8);
	m.payload.state.index = 1;
	ck_assert_int_eq(vu_call(&fe, &m, &r), 0);
	ck_assert_uint_eq(r.payload.state.num, 3);
	/* Restart from there. */
	ck_assert_uint_eq(set_state(VHOST_USER_SET_VRING_BASE, 1, 3), 0);
	ck_assert_uint_eq(set_vring_fd(VHOST_USER_SET_VRING_KICK, 1, kick_fd), 0);
	post(3, "again", 0);
	wait_call();
	ck_assert_uint_eq(u->idx, 4);
	ck_assert_int_eq(processed, 4);
}
END_TEST

/* CONFIGURE_MEM_SLOTS path: memory given region by region, then swapped under a running ring. */
START_TEST(test_add_mem_reg_and_remap)
{
	struct vring_used *u = (void *)(mem + USED_OFF);
	struct vu_msg m;

	negotiate();
	vu_msg_init(&m, VHOST_USER_ADD_MEM_REG, 40);
	m.payload.mem_reg.region = (struct vhost_user_memory_region){
		.guest_phys_addr = GPA_BASE, .memory_size = MEM_SIZE, .userspace_addr = UVA_BASE };
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_eq(send_ack(&m), 0);
	start_ring(1, UVA_BASE + DESC_OFF);
	post(0, "first", 0);
	wait_call();
	/* A new table (same memory, new mapping): the running ring keeps its indices. */
	send_mem_table();
	post(1, "second", 0);
	wait_call();
	ck_assert_uint_eq(u->idx, 2);
	ck_assert_str_eq((char *)mem + DATA_OFF + 0x8000 + 256, "second");
	/* Removing the region under the ring stops it: nothing is served, nothing crashes. */
	vu_msg_init(&m, VHOST_USER_REM_MEM_REG, 40);
	m.payload.mem_reg.region = (struct vhost_user_memory_region){
		.guest_phys_addr = GPA_BASE, .memory_size = MEM_SIZE, .userspace_addr = UVA_BASE };
	ck_assert_uint_eq(send_ack(&m), 0);
	ck_assert_uint_eq(vub_nr_regions(b), 0);
	post(2, "third", 0);
	usleep(100000);
	ck_assert_uint_eq(u->idx, 2);
	ck_assert_int_eq(processed, 2);
}
END_TEST

/* Many chains made available before one kick: all served, in order. */
START_TEST(test_vring_burst)
{
	struct vring_desc *d = (void *)(mem + DESC_OFF);
	struct vring_avail *a = (void *)(mem + AVAIL_OFF);
	struct vring_used *u = (void *)(mem + USED_OFF);
	uint64_t one = 1;

	negotiate();
	send_mem_table();
	start_ring(1, UVA_BASE + DESC_OFF);
	for (unsigned int i = 0; i < QSZ; i++) {
		snprintf((char *)mem + DATA_OFF + 64 * i, 64, "req%u", i);
		d[i] = (struct vring_desc){ .addr = GPA_BASE + DATA_OFF + 64 * i, .len = 8 };
		a->ring[i] = (uint16_t)i;
	}
	a->ring[QSZ] = QSZ - 1;     /* used_event: one interrupt after the last */
	__atomic_store_n(&a->idx, QSZ, __ATOMIC_RELEASE);
	ck_assert_int_eq(write(kick_fd, &one, 8), 8);
	wait_call();
	for (int i = 0; i < 100 && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) != QSZ; i++)
		usleep(10000);
	ck_assert_uint_eq(u->idx, QSZ);
	for (unsigned int i = 0; i < QSZ; i++)
		ck_assert_uint_eq(u->ring[i].id, i);
	ck_assert_int_eq(processed, QSZ);
}
END_TEST

START_TEST(test_vring_bad_chain)
{
	struct pollfd p = { .fd = err_fd, .events = POLLIN };
	struct vring_used *u = (void *)(mem + USED_OFF);
	uint64_t v;

	negotiate();
	send_mem_table();
	start_ring(1, UVA_BASE + DESC_OFF);
	/* Buffer beyond guest memory: the queue stops, the error eventfd fires. */
	post(0, "bad", GPA_BASE + MEM_SIZE - 2);
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert_int_eq(read(err_fd, &v, 8), 8);
	ck_assert_int_eq(processed, 0);
	ck_assert_uint_eq(u->idx, 0);
}
END_TEST

START_TEST(test_vring_bad_addresses)
{
	struct vu_msg m;

	negotiate();
	send_mem_table();
	/* Ring outside the memory table: never started. */
	start_ring(1, UVA_BASE + MEM_SIZE);
	post(0, "x", 0);
	usleep(100000);
	ck_assert_int_eq(processed, 0);
	/* Bad vring index, bad size. */
	ck_assert_uint_ne(set_state(VHOST_USER_SET_VRING_NUM, 7, QSZ), 0);
	ck_assert_uint_ne(set_state(VHOST_USER_SET_VRING_NUM, 0, 3), 0);
	ck_assert_uint_ne(set_state(VHOST_USER_SET_VRING_NUM, 0, 65536), 0);
	ck_assert_uint_ne(set_vring_fd(VHOST_USER_SET_VRING_KICK, 9, kick_fd), 0);
	/* Overlapping / misaligned / oversized regions. */
	vu_msg_init(&m, VHOST_USER_ADD_MEM_REG, 40);
	m.payload.mem_reg.region = (struct vhost_user_memory_region){
		.guest_phys_addr = GPA_BASE + 4096, .memory_size = 4096,
		.userspace_addr = 0x1000 };
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_ne(send_ack(&m), 0);
	m.payload.mem_reg.region.guest_phys_addr = 0x10000000;
	m.payload.mem_reg.region.memory_size = 100;
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_ne(send_ack(&m), 0);
	m.payload.mem_reg.region.memory_size = UINT64_MAX & ~4095ull;
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_ne(send_ack(&m), 0);
	/* A good one, then remove it. */
	m.payload.mem_reg.region.memory_size = 4096;
	m.fds[0] = memfd;
	m.nr_fds = 1;
	ck_assert_uint_eq(send_ack(&m), 0);
	ck_assert_uint_eq(vub_nr_regions(b), 2);
	vu_msg_init(&m, VHOST_USER_REM_MEM_REG, 40);
	m.payload.mem_reg.region = (struct vhost_user_memory_region){
		.guest_phys_addr = 0x10000000, .memory_size = 4096 };
	ck_assert_uint_eq(send_ack(&m), 0);
	ck_assert_uint_ne(send_ack(&m), 0);
	ck_assert_uint_eq(vub_nr_regions(b), 1);
	/* Memory table with a missing fd. */
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 8 + 32);
	m.payload.memory.nregions = 1;
	m.payload.memory.regions[0].memory_size = 4096;
	ck_assert_uint_ne(send_ack(&m), 0);
}
END_TEST

struct map_call {
	int ret;
	bool unmap;
	int fd;
};

static void *map_thread(void *arg)
{
	struct map_call *c = arg;

	if (c->unmap)
		c->ret = vub_shmem_unmap(b, 0, 2 << 20, 2 << 20);
	else
		c->ret = vub_shmem_map(b, 0, c->fd, 4096, 2 << 20, 2 << 20, VHOST_USER_FLAG_MAP_RW);
	return NULL;
}

/* Fake front-end side of one backend-channel request: checks it and answers status. */
static void serve_channel(struct vu_conn *ch, bool unmap, uint64_t status)
{
	struct vu_msg m, r;
	struct stat st;

	ck_assert_int_eq(vu_msg_recv(ch, &m, 2000), 0);
	ck_assert(vu_backend_request_size_ok(&m));
	ck_assert_uint_eq(m.hdr.request, unmap ? VHOST_USER_BACKEND_SHMEM_UNMAP :
			  VHOST_USER_BACKEND_SHMEM_MAP);
	ck_assert_uint_eq(m.hdr.size, 40);
	ck_assert(m.hdr.flags & VHOST_USER_NEED_REPLY_MASK);
	ck_assert_uint_eq(m.payload.mmap.shmid, 0);
	ck_assert_uint_eq(m.payload.mmap.shm_offset, 2 << 20);
	ck_assert_uint_eq(m.payload.mmap.len, 2 << 20);
	if (unmap) {
		ck_assert_uint_eq(m.nr_fds, 0);
	} else {
		ck_assert_uint_eq(m.nr_fds, 1);
		ck_assert_int_eq(fstat(m.fds[0], &st), 0);
		ck_assert_uint_eq(m.payload.mmap.fd_offset, 4096);
		ck_assert_uint_eq(m.payload.mmap.flags, VHOST_USER_FLAG_MAP_RW);
		vu_msg_close_fds(&m);
	}
	vu_msg_init(&r, m.hdr.request, 8);
	r.hdr.flags |= VHOST_USER_REPLY_MASK;
	r.payload.u64 = status;
	ck_assert_int_eq(vu_msg_send(ch, &r), 0);
}

START_TEST(test_backend_channel)
{
	struct map_call c = { .fd = memfd };
	struct vu_conn ch;
	pthread_t t;
	int sv[2];

	/* Before negotiation: no channel. */
	ck_assert_int_eq(vub_shmem_map(b, 0, memfd, 0, 0, 4096, 0), -ENOTCONN);
	negotiate();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	{
		struct vu_msg m;

		vu_msg_init(&m, VHOST_USER_SET_BACKEND_REQ_FD, 0);
		m.fds[0] = sv[1];
		m.nr_fds = 1;
		ck_assert_uint_eq(send_ack(&m), 0);
	}
	close(sv[1]);
	ch = (struct vu_conn){ .fd = sv[0], .timeout_ms = 2000, .name = "chan" };
	ck_assert_int_eq(vub_shmem_map(b, 0, memfd, 0, 0, 4096, 2), -EINVAL);
	for (int i = 0; i < 3; i++) {
		c.unmap = i == 2;
		pthread_create(&t, NULL, map_thread, &c);
		/* success, front-end failure (QEMU sends 1, rust-vmm -errno), unmap ok */
		serve_channel(&ch, c.unmap, i == 1 ? (uint64_t)-22 : 0);
		pthread_join(t, NULL);
		ck_assert_int_eq(c.ret, i == 1 ? -EIO : 0);
	}
	/* A wrong reply (other request id) is a protocol error. */
	c.unmap = false;
	pthread_create(&t, NULL, map_thread, &c);
	{
		struct vu_msg m, r;

		ck_assert_int_eq(vu_msg_recv(&ch, &m, 2000), 0);
		vu_msg_close_fds(&m);
		vu_msg_init(&r, VHOST_USER_BACKEND_SHMEM_UNMAP, 8);
		r.hdr.flags |= VHOST_USER_REPLY_MASK;
		ck_assert_int_eq(vu_msg_send(&ch, &r), 0);
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(c.ret, -EPROTO);
	/* Front-end closes the channel: error, no hang. */
	close(ch.fd);
	ck_assert_int_lt(vub_shmem_unmap(b, 0, 2 << 20, 2 << 20), 0);
}
END_TEST

START_TEST(test_reset_device)
{
	struct vring_used *u = (void *)(mem + USED_OFF);
	struct vu_msg m;

	negotiate();
	send_mem_table();
	start_ring(1, UVA_BASE + DESC_OFF);
	post(0, "one", 0);
	wait_call();
	vu_msg_init(&m, VHOST_USER_RESET_DEVICE, 0);
	ck_assert_uint_eq(send_ack(&m), 0);
	/* Ring stopped: further kicks do nothing until it is set up again. */
	post(1, "two", 0);
	usleep(100000);
	ck_assert_uint_eq(u->idx, 1);
	ck_assert_int_eq(processed, 1);
}
END_TEST

START_TEST(test_listen_socket)
{
	char path[] = "/tmp/vub-test-XXXXXX";
	char sock[64];
	struct stat st;
	int lfd, lfd2, fd;

	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/s.sock", path);
	lfd = vub_listen(sock, NULL, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* Live socket: refused. */
	ck_assert_int_eq(vub_listen(sock, NULL, 0), -EADDRINUSE);
	close(lfd);
	/* Stale socket: replaced. */
	lfd2 = vub_listen(sock, NULL, 0);
	ck_assert_int_ge(lfd2, 0);
	close(lfd2);
	unlink(sock);
	/* Not a socket: refused, file untouched. */
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(vub_listen(sock, NULL, 0), -EEXIST);
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	unlink(sock);
	rmdir(path);
}
END_TEST

static Suite *vu_backend_suite(void)
{
	Suite *s = suite_create("vu_backend");
	TCase *tc = tcase_create("backend");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_negotiation);
	tcase_add_test(tc, test_vring_echo);
	tcase_add_test(tc, test_add_mem_reg_and_remap);
	tcase_add_test(tc, test_vring_burst);
	tcase_add_test(tc, test_vring_bad_chain);
	tcase_add_test(tc, test_vring_bad_addresses);
	tcase_add_test(tc, test_backend_channel);
	tcase_add_test(tc, test_reset_device);
	tcase_add_test(tc, test_listen_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vu_backend_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
