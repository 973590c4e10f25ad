// SPDX-License-Identifier: MIT
/*
 * dax_pressure: the DAX window under pressure (issue #17 item 2). A 64 MiB window, a 1 GiB file
 * set (8 files of 128 MiB, in the host page cache) read 2 MiB chunk by chunk the way Linux's
 * fs/fuse/dax.c does once its window is full: REMOVEMAPPING of the oldest chunk, SETUPMAPPING of
 * the next one at that window offset, then the read is a copy out of the window. The harness
 * plays the guest's FUSE driver (tests/unit/test_vhost_user_fuse.h: split ring over harness guest
 * RAM, one request in flight) against microvm-virtiofsd --cache-size 64M; L chunks are live at a
 * time (L = 1, 8, 32: 32 fills the window). Side by side, interleaved run by run:
 *
 *   in place   the production path: microvm's vhost-user-fs front-end, SHMEM_MAP/UNMAP served by
 *              its backend-channel thread (src/vhost_user/shmem.c -> src/mm/shm_region.c: one
 *              mmap(MAP_FIXED) each into the reserved range, registered as one KVM memslot)
 *   memslot    QEMU's design, built here: the same daemon and front-end, but the backend channel
 *              is served by this benchmark (a proxy on the vhost-user socket swaps the channel fd
 *              of SET_BACKEND_REQ_FD): MAP = mmap(NULL) + KVM_SET_USER_MEMORY_REGION (one memslot
 *              per mapping, on a real KVM VM), UNMAP = KVM_SET_USER_MEMORY_REGION(size 0) + munmap
 *   floor      what a remap cannot avoid: two socket round trips to another thread (UNMAP, then
 *              MAP with the fd in SCM_RIGHTS, each answered with a u64) and the two
 *              mmap(MAP_FIXED) calls, no FUSE, no daemon
 *   FUSE READ  the same 1 GiB read with 128 KiB FUSE_READ requests (no window)
 *
 * A remap is REMOVEMAPPING + SETUPMAPPING as the guest sees them (two FUSE round trips, each with
 * one backend-channel round trip inside). Prints medians of RUNS passes and the ratios.
 * Needs $BUILD/microvm-virtiofsd and /dev/kvm (VM fd only, no vCPU).
 */
#include <linux/kvm.h>
#include <math.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../tests/unit/test_vhost_user_fuse.h"
#include "mm/shm_region.h"
#include "util/log.h"
#include "stats.h"

#define MiB (1ull << 20)
#define CHUNK (2 * MiB)
#define WINDOW (64 * MiB)
#define NFILES 8
#define FILE_SIZE (128 * MiB)
#define SET_SIZE ((uint64_t)NFILES * FILE_SIZE)
#define NCHUNKS (SET_SIZE / CHUNK)
#define WCHUNKS (WINDOW / CHUNK)
#define READ_REQ (128u << 10)
#define RUNS 5
#define CELL_BUDGET_S 15.0   /* no further passes of a row once its passes took this long */
#define REGION_GPA 0x10000000000ull   /* in place: the region's one memslot */
#define SLOT_GPA 0x20000000000ull     /* memslot design: one memslot per mapping */

static const unsigned int lives[] = { 1, 8, 32 };
#define NLIVES (sizeof(lives) / sizeof(lives[0]))
enum design { D_INPLACE, D_MEMSLOT, D_FLOOR, D_COUNT };
static const char *const dname[D_COUNT] = { "in place (microvm)", "memslot per mapping (QEMU)",
					    "floor: 2 socket RTT + 2 mmap" };

static char root[64], files[NFILES][96];
static int kvm_vm = -1;

/* Word w of file f: what every check expects. */
static uint64_t pattern(unsigned int f, uint64_t w)
{
	return ((uint64_t)f << 56) ^ (w * 0x9e3779b97f4a7c15ull);
}

/* One word per 4 KiB page of the chunk copied out of the window. */
static int check_chunk(const uint8_t *buf, unsigned int f, uint64_t foff)
{
	for (uint64_t o = 0; o < CHUNK; o += 4096) {
		uint64_t v;

		memcpy(&v, buf + o + 8 * ((o >> 12) % 512), 8);
		if (v != pattern(f, (foff + o) / 8 + (o >> 12) % 512))
			return -1;
	}
	return 0;
}

static int make_files(void)
{
	uint64_t *buf = malloc(CHUNK);

	if (!buf)
		return -1;
	for (unsigned int f = 0; f < NFILES; f++) {
		int fd;

		snprintf(files[f], sizeof(files[f]), "%s/f%u", root, f);
		fd = open(files[f], O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd < 0)
			goto fail;
		for (uint64_t off = 0; off < FILE_SIZE; off += CHUNK) {
			for (uint64_t w = 0; w < CHUNK / 8; w++)
				buf[w] = pattern(f, off / 8 + w);
			if (write(fd, buf, CHUNK) != (ssize_t)CHUNK) {
				close(fd);
				goto fail;
			}
		}
		close(fd);
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

static int set_slot(uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(kvm_vm, KVM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

/* ---- raw vhost-user messages (proxy, memslot channel, floor) ---- */

struct raw_msg {
	struct vhost_user_hdr hdr;
	uint8_t payload[4096];
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nr_fds;
};

static int raw_recv(int s, struct raw_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);

	m->nr_fds = 0;
	if (n != sizeof(m->hdr))
		return -EIO;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		m->nr_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(m->fds, CMSG_DATA(c), m->nr_fds * sizeof(int));
	}
	if (m->hdr.size > sizeof(m->payload))
		return -EIO;
	if (m->hdr.size && recv(s, m->payload, m->hdr.size, MSG_WAITALL) != (ssize_t)m->hdr.size)
		return -EIO;
	return 0;
}

static int raw_send(int s, const struct raw_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_FDS)];
	struct iovec iov[2] = { { (void *)&m->hdr, sizeof(m->hdr) },
				{ (void *)m->payload, m->hdr.size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t len = sizeof(m->hdr) + m->hdr.size;

	if (m->nr_fds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nr_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * m->nr_fds);
		memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->nr_fds);
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

static void raw_close_fds(struct raw_msg *m)
{
	for (unsigned int i = 0; i < m->nr_fds; i++)
		close(m->fds[i]);
	m->nr_fds = 0;
}

static int reply_u64(int s, const struct raw_msg *req, uint64_t v)
{
	struct raw_msg r = { .hdr = { req->hdr.request, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
				      8 } };

	memcpy(r.payload, &v, 8);
	return raw_send(s, &r);
}

/* ---- memslot per mapping: the backend channel served here ---- */

struct memslot_chan {
	int sock;
	int keep_fd;                 /* the front-end's own channel end, kept open (unused) */
	pthread_t thread;
	uint8_t *_Atomic hva[WCHUNKS]; /* per window chunk: the mapping, NULL none */
};
static struct memslot_chan msc = { .sock = -1, .keep_fd = -1 };

static int memslot_map(const struct vhost_user_mmap *m, int fd)
{
	uint64_t c = m->shm_offset / CHUNK;
	bool rw = m->flags & VHOST_USER_FLAG_MAP_RW;
	void *p;
	int ret;

	if (m->len != CHUNK || m->shm_offset % CHUNK || c >= WCHUNKS || msc.hva[c])
		return -EINVAL;
	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, rw ? MAP_SHARED : MAP_PRIVATE | MAP_NORESERVE,
		 fd, m->fd_offset);
	if (p == MAP_FAILED)
		return -errno;
	ret = set_slot(1 + c, SLOT_GPA + m->shm_offset, m->len, p);
	if (ret) {
		munmap(p, m->len);
		return ret;
	}
	atomic_store(&msc.hva[c], p);
	return 0;
}

static int memslot_unmap(const struct vhost_user_mmap *m)
{
	uint64_t c = m->shm_offset / CHUNK;
	uint8_t *p;
	int ret;

	if (c >= WCHUNKS || !(p = msc.hva[c]) || m->len != CHUNK)
		return -ENOENT;
	ret = set_slot(1 + c, SLOT_GPA + m->shm_offset, 0, NULL);
	if (ret)
		return ret;
	atomic_store(&msc.hva[c], NULL);
	munmap(p, m->len);
	return 0;
}

static void *memslot_thread(void *arg)
{
	struct raw_msg m;

	(void)arg;
	while (raw_recv(msc.sock, &m) == 0) {
		struct vhost_user_mmap mm;
		int ret = -EINVAL;

		memcpy(&mm, m.payload, sizeof(mm));
		if (m.hdr.request == VHOST_USER_BACKEND_SHMEM_MAP && m.nr_fds == 1 &&
		    m.hdr.size == sizeof(mm))
			ret = memslot_map(&mm, m.fds[0]);
		else if (m.hdr.request == VHOST_USER_BACKEND_SHMEM_UNMAP && m.hdr.size == sizeof(mm))
			ret = memslot_unmap(&mm);
		raw_close_fds(&m);
		if ((m.hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
		    reply_u64(msc.sock, &m, ret ? (uint64_t)-ret : 0))
			break;
	}
	return NULL;
}

/*
 * Proxy between the front-end and the daemon on the vhost-user socket: forwards every message,
 * except that the backend-channel fd of SET_BACKEND_REQ_FD is swapped for one served by
 * memslot_thread. Runs until either side closes.
 */
struct proxy {
	int listen_fd, fe, be;
	char be_path[108];
	pthread_t thread;
};
static struct proxy px = { .listen_fd = -1, .fe = -1, .be = -1 };

static int forward(int from, int to, bool from_frontend)
{
	struct raw_msg m;
	int ret;

	if (raw_recv(from, &m))
		return -EIO;
	if (from_frontend && m.hdr.request == VHOST_USER_SET_BACKEND_REQ_FD &&
	    !(m.hdr.flags & VHOST_USER_REPLY_MASK) && m.nr_fds == 1) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			return -errno;
		msc.keep_fd = m.fds[0];
		msc.sock = sv[0];
		m.fds[0] = sv[1];
		if (pthread_create(&msc.thread, NULL, memslot_thread, NULL))
			return -EIO;
	}
	ret = raw_send(to, &m);
	raw_close_fds(&m);
	return ret;
}

static void *proxy_thread(void *arg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	(void)arg;
	px.fe = accept4(px.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	px.be = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", px.be_path);
	for (int i = 0; i < 500 && connect(px.be, (struct sockaddr *)&a, sizeof(a)); i++)
		usleep(10000);
	while (px.fe >= 0) {
		struct pollfd p[2] = { { .fd = px.fe, .events = POLLIN },
				       { .fd = px.be, .events = POLLIN } };

		if (poll(p, 2, -1) < 0)
			continue;
		if ((p[0].revents && forward(px.fe, px.be, true)) ||
		    (p[1].revents && forward(px.be, px.fe, false)))
			break;
	}
	close(px.fe);
	close(px.be);
	return NULL;
}

static int proxy_start(const char *listen_path, const char *be_path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(px.be_path, sizeof(px.be_path), "%s", be_path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", listen_path);
	unlink(listen_path);
	px.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (px.listen_fd < 0 || bind(px.listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(px.listen_fd, 1))
		return -1;
	return pthread_create(&px.thread, NULL, proxy_thread, NULL) ? -1 : 0;
}

/* ---- floor: a bare backend-channel round trip + the mmaps ---- */

struct floor_fe {
	int sock[2];
	uint8_t *range;
	pthread_t thread;
};
static struct floor_fe fl = { .sock = { -1, -1 } };

static void *floor_thread(void *arg)
{
	struct raw_msg m;

	(void)arg;
	while (raw_recv(fl.sock[1], &m) == 0) {
		struct vhost_user_mmap mm;
		void *p;

		memcpy(&mm, m.payload, sizeof(mm));
		if (m.hdr.request == VHOST_USER_BACKEND_SHMEM_MAP && m.nr_fds == 1)
			p = mmap(fl.range + mm.shm_offset, mm.len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, m.fds[0], mm.fd_offset);
		else
			p = mmap(fl.range + mm.shm_offset, mm.len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		raw_close_fds(&m);
		if (reply_u64(fl.sock[1], &m, p == MAP_FAILED ? (uint64_t)errno : 0))
			break;
	}
	return NULL;
}

static int floor_req(uint32_t req, uint64_t moff, uint64_t foff, int fd)
{
	struct raw_msg m = { .hdr = { req, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, 40 } };
	struct vhost_user_mmap mm = { .fd_offset = foff, .shm_offset = moff, .len = CHUNK };
	uint64_t v;

	memcpy(m.payload, &mm, sizeof(mm));
	if (fd >= 0) {
		m.fds[0] = fd;
		m.nr_fds = 1;
	}
	if (raw_send(fl.sock[0], &m) || raw_recv(fl.sock[0], &m) || m.hdr.size != 8)
		return -EIO;
	memcpy(&v, m.payload, 8);
	return v ? -EIO : 0;
}

/* ---- the guest side: FUSE through microvm-virtiofsd ---- */

struct side {
	struct fdrv d;
	pid_t pid;
	char sock[96], log[96];
	uint64_t nodeid[NFILES];
};
static struct side sa, sb;   /* sa: in place (and FUSE READ), sb: memslot design */

static pid_t start_daemon(struct side *s)
{
	const char *bin = microvm_virtiofsd_bin();

	if (!bin) {
		fprintf(stderr, "dax_pressure: microvm-virtiofsd missing (run make)\n");
		return -1;
	}
	return microvm_virtiofsd_start(bin, s->sock, root, "64M", s->log);
}

static int open_side(struct side *s, const char *connect_path)
{
	struct vhost_user_fs_config cfg = {
		.socket = (char *)connect_path, .tag = "share", .num_request_queues = 1,
		.queue_size = 1024, .connect_timeout_ms = 5000, .cache_size = WINDOW,
	};
	struct {
		uint32_t major, minor, max_readahead, flags;
	} in = { 7, 31, 1 << 20, FUSE_MAP_ALIGNMENT };
	struct fdrv *d = &s->d;
	char err[256];
	int32_t e;

	memset(d, 0, sizeof(*d));
	if (vm_init_harness(&d->vm, FDRV_RAM))
		return -1;
	d->timeout_ms = 10000;
	d->dev = vhost_user_fs_create(&d->vm, &cfg, err, sizeof(err));
	if (!d->dev) {
		fprintf(stderr, "dax_pressure: front-end: %s\n", err);
		return -1;
	}
	d->out = guest_mem_ptr(&d->vm.mem, FDRV_BUF_GPA, FDRV_BUF_SIZE);
	d->in = guest_mem_ptr(&d->vm.mem, FDRV_BUF_GPA + FDRV_BUF_SIZE, FDRV_BUF_SIZE);
	if (fdrv_start(d))
		return -1;
	if (fdrv_call(d, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, 4096, &e) < 16 || e)
		return -1;
	for (unsigned int f = 0; f < NFILES; f++) {
		char name[8];
		struct fuse_entry_out eo;

		snprintf(name, sizeof(name), "f%u", f);
		if (fdrv_call(d, FUSE_LOOKUP, FUSE_ROOT_ID, name, (uint32_t)strlen(name) + 1, NULL,
			      0, 4096, &e) < 16 || e)
			return -1;
		memcpy(&eo, d->in + 16, sizeof(eo));
		s->nodeid[f] = eo.nodeid;
	}
	return 0;
}

static int setupmapping(struct side *s, unsigned int f, uint64_t foff, uint64_t moff)
{
	struct fuse_setupmapping_in in = { .fh = UINT64_MAX, .foffset = foff, .len = CHUNK,
					   .flags = FUSE_SETUPMAPPING_FLAG_READ, .moffset = moff };
	int32_t e;

	if (fdrv_call(&s->d, FUSE_SETUPMAPPING, s->nodeid[f], &in, sizeof(in), NULL, 0, 4096,
		      &e) < 16)
		return -EIO;
	return e;
}

static int removemapping(struct side *s, unsigned int f, uint64_t moff)
{
	struct {
		struct fuse_removemapping_in in;
		struct fuse_removemapping_one one;
	} __attribute__((packed)) rm = { { 1 }, { moff, CHUNK } };
	int32_t e;

	if (fdrv_call(&s->d, FUSE_REMOVEMAPPING, s->nodeid[f], &rm, sizeof(rm), NULL, 0, 4096,
		      &e) < 16)
		return -EIO;
	return e;
}

/* ---- one pass of the workload ---- */

static int floor_fds[NFILES];

static int remap(enum design dz, unsigned int f, uint64_t foff, uint64_t moff, bool remove)
{
	struct side *s = dz == D_INPLACE ? &sa : &sb;
	int ret = 0;

	if (dz == D_FLOOR) {
		if (remove)
			ret = floor_req(VHOST_USER_BACKEND_SHMEM_UNMAP, moff, 0, -1);
		return ret ? ret : floor_req(VHOST_USER_BACKEND_SHMEM_MAP, moff, foff, floor_fds[f]);
	}
	if (remove)
		ret = removemapping(s, f, moff);
	return ret ? ret : setupmapping(s, f, foff, moff);
}

static const uint8_t *window_at(enum design dz, uint64_t moff)
{
	switch (dz) {
	case D_INPLACE:
		return sa.d.dev->shm[0]->hva + moff;
	case D_MEMSLOT:
		return atomic_load(&msc.hva[moff / CHUNK]);
	default:
		return fl.range + moff;
	}
}

/*
 * Reads the whole set through the window with `live` chunks mapped at a time. lat[] gets the
 * remap latencies (NCHUNKS - live of them). Returns the pass's seconds or -1.
 */
static double pass(enum design dz, unsigned int live, uint8_t *dst, double *lat)
{
	double t0 = bench_now_s(), t;
	uint64_t k = 0;
	int n = 0;

	for (unsigned int f = 0; f < NFILES; f++) {
		for (uint64_t foff = 0; foff < FILE_SIZE; foff += CHUNK, k++) {
			uint64_t moff = (k % live) * CHUNK;
			const uint8_t *w;

			t = bench_now_s();
			if (remap(dz, f, foff, moff, k >= live)) {
				fprintf(stderr, "dax_pressure: %s: remap of chunk %llu failed\n",
					dname[dz], (unsigned long long)k);
				return -1;
			}
			if (k >= live)
				lat[n++] = bench_now_s() - t;
			w = window_at(dz, moff);
			if (!w)
				return -1;
			memcpy(dst, w, CHUNK);
			if (check_chunk(dst, f, foff)) {
				fprintf(stderr, "dax_pressure: %s: wrong data in chunk %llu\n",
					dname[dz], (unsigned long long)k);
				return -1;
			}
		}
	}
	t0 = bench_now_s() - t0;
	/* drop what is left, untimed */
	for (unsigned int i = 0; i < live; i++) {
		uint64_t moff = i * CHUNK;
		int ret = dz == D_FLOOR ? floor_req(VHOST_USER_BACKEND_SHMEM_UNMAP, moff, 0, -1) :
					  removemapping(dz == D_INPLACE ? &sa : &sb, 0, moff);

		if (ret)
			return -1;
	}
	return t0;
}

static double pass_fuse_read(uint8_t *dst)
{
	struct fuse_open_in oi = { .flags = O_RDONLY };
	double t0 = bench_now_s();
	int32_t e;

	for (unsigned int f = 0; f < NFILES; f++) {
		struct fuse_open_out oo;
		struct fuse_release_in rel = { 0 };

		if (fdrv_call(&sa.d, FUSE_OPEN, sa.nodeid[f], &oi, sizeof(oi), NULL, 0, 4096, &e) <
		    16 || e)
			return -1;
		memcpy(&oo, sa.d.in + 16, sizeof(oo));
		for (uint64_t off = 0; off < FILE_SIZE; off += READ_REQ) {
			struct fuse_read_in ri = { .fh = oo.fh, .offset = off, .size = READ_REQ };
			int n = fdrv_call(&sa.d, FUSE_READ, sa.nodeid[f], &ri, sizeof(ri), NULL, 0,
					  READ_REQ + 16, &e);

			if (n != (int)(READ_REQ + 16) || e)
				return -1;
			memcpy(dst + off % CHUNK, sa.d.in + 16, READ_REQ);
			if ((off + READ_REQ) % CHUNK == 0 &&
			    check_chunk(dst, f, off + READ_REQ - CHUNK))
				return -1;
		}
		rel.fh = oo.fh;
		fdrv_call(&sa.d, FUSE_RELEASE, sa.nodeid[f], &rel, sizeof(rel), NULL, 0, 4096, &e);
	}
	return bench_now_s() - t0;
}

/*
 * The guest<->daemon hop alone: REMOVEMAPPING of a window offset with nothing mapped (answered
 * -ENOENT by the daemon, no backend-channel traffic), twice, as a remap sends two requests.
 */
static void fuse_hops(double *lat, int n)
{
	for (int i = 0; i < n; i++) {
		double t = bench_now_s();

		removemapping(&sa, 0, 0);
		removemapping(&sa, 0, CHUNK);
		lat[i] = bench_now_s() - t;
	}
}

/* ---- setup, run, report ---- */

static int setup(void)
{
	char proxy_sock[96];
	int kvm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || (kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0) {
		fprintf(stderr, "dax_pressure: /dev/kvm: %s (the memslot design needs a VM fd)\n",
			strerror(errno));
		return -1;
	}
	snprintf(sa.sock, sizeof(sa.sock), "%s.a.sock", root);
	snprintf(sa.log, sizeof(sa.log), "%s.a.log", root);
	snprintf(sb.sock, sizeof(sb.sock), "%s.b.sock", root);
	snprintf(sb.log, sizeof(sb.log), "%s.b.log", root);
	snprintf(proxy_sock, sizeof(proxy_sock), "%s.proxy.sock", root);
	sa.pid = start_daemon(&sa);
	sb.pid = start_daemon(&sb);
	if (sa.pid < 0 || sb.pid < 0 || open_side(&sa, sa.sock))
		return -1;
	/* in place: the region is one memslot of the real VM too (MMU notifier work included) */
	if (set_slot(0, REGION_GPA, WINDOW, sa.d.dev->shm[0]->hva)) {
		fprintf(stderr, "dax_pressure: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));
		return -1;
	}
	if (proxy_start(proxy_sock, sb.sock) || open_side(&sb, proxy_sock) || msc.sock < 0) {
		fprintf(stderr, "dax_pressure: memslot design: no backend channel through the proxy\n");
		return -1;
	}
	fl.range = mmap(NULL, WINDOW, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fl.range == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fl.sock) ||
	    pthread_create(&fl.thread, NULL, floor_thread, NULL))
		return -1;
	for (unsigned int f = 0; f < NFILES; f++)
		if ((floor_fds[f] = open(files[f], O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
	return 0;
}

static void stop_side(struct side *s)
{
	if (s->d.dev)
		fdrv_close(&s->d);
	if (s->pid > 0) {
		for (int i = 0; i < 300 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
			usleep(10000);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : RUNS, ret = 1, per = (int)NCHUNKS;
	static double secs[NLIVES][D_COUNT][64], rd[64], hop[64 * 256];
	double *lat[NLIVES][D_COUNT];
	int nlat[NLIVES][D_COUNT] = { { 0 } }, done[NLIVES][D_COUNT] = { { 0 } };
	double spent[NLIVES][D_COUNT] = { { 0 } };
	uint8_t *dst = aligned_alloc(4096, CHUNK);

	if (runs < 1 || runs > 64)
		runs = RUNS;
	log_set_level(LOG_ERROR);
	strcpy(root, "/tmp/dax-pressure-XXXXXX");
	if (!dst || !mkdtemp(root))
		return 1;
	for (unsigned int l = 0; l < NLIVES; l++)
		for (int z = 0; z < D_COUNT; z++)
			lat[l][z] = malloc(sizeof(double) * per * runs);
	if (make_files() || setup())
		goto out;
	for (int r = 0; r < runs; r++) {
		rd[r] = pass_fuse_read(dst);
		if (rd[r] < 0) {
			fprintf(stderr, "dax_pressure: FUSE READ pass failed\n");
			goto out;
		}
		fuse_hops(hop + 256 * r, 256);
		for (unsigned int l = 0; l < NLIVES; l++)
			for (int z = 0; z < D_COUNT; z++) {
				if (r && spent[l][z] > CELL_BUDGET_S)
					continue;   /* bounded runtime: enough passes of this row */
				secs[l][z][r] = pass(z, lives[l], dst, lat[l][z] + nlat[l][z]);
				if (secs[l][z][r] < 0)
					goto out;
				spent[l][z] += secs[l][z][r];
				done[l][z]++;
				nlat[l][z] += per - lives[l];
			}
	}
	{
		double mb = SET_SIZE / 1e6, rdmb = mb / bench_pct(rd, runs, 0.5);

		printf("64 MiB window, 1 GiB file set (8 x 128 MiB, host page cache), 2 MiB chunks, "
		       "up to %d passes per row, fewer once a row took 15 s (median; remap = REMOVEMAPPING + SETUPMAPPING as the guest "
		       "sees it)\n", runs);
		printf("%-5s %-30s %10s %9s %10s %9s %9s %9s %7s\n", "live", "design", "remap_us",
		       "p99_us", "remaps/s", "MB/s", "vs_floor", "vs_READ", "passes");
		for (unsigned int l = 0; l < NLIVES; l++) {
			double fm = bench_pct(lat[l][D_FLOOR], nlat[l][D_FLOOR], 0.5);

			for (int z = 0; z < D_COUNT; z++) {
				double m = bench_pct(lat[l][z], nlat[l][z], 0.5);
				double p99 = bench_pct(lat[l][z], nlat[l][z], 0.99);
				double s = bench_pct(secs[l][z], done[l][z], 0.5);

				printf("%-5u %-30s %10.1f %9.1f %10.0f %9.0f %8.2fx %8.2fx %7d\n",
				       lives[l], dname[z], m * 1e6, p99 * 1e6,
				       (per - lives[l]) / s, mb / s, m / fm, (mb / s) / rdmb,
				       done[l][z]);
			}
		}
		printf("%-5s %-30s %10s %9s %10s %9.0f %9s %8.2fx\n", "-",
		       "FUSE READ 128 KiB requests", "-", "-", "-", rdmb, "-", 1.0);
		{
			double h = bench_pct(hop, 256 * runs, 0.5);

			printf("%-5s %-30s %10.1f %9.1f   (the guest<->daemon hop a remap adds to the "
			       "floor: 2 FUSE requests that need no mapping)\n", "-",
			       "2 FUSE round trips, no map", h * 1e6, bench_pct(hop, 256 * runs, 0.99) * 1e6);
			for (unsigned int l = 0; l < NLIVES; l++) {
				double fm = bench_pct(lat[l][D_FLOOR], nlat[l][D_FLOOR], 0.5);

				printf("live %-2u in place vs floor + FUSE hops (%.1f us): %.2fx; "
				       "memslot design: %.2fx\n", lives[l], (fm + h) * 1e6,
				       bench_pct(lat[l][D_INPLACE], nlat[l][D_INPLACE], 0.5) / (fm + h),
				       bench_pct(lat[l][D_MEMSLOT], nlat[l][D_MEMSLOT], 0.5) / (fm + h));
			}
		}
		printf("(remaps/s and MB/s: the whole pass, remaps + copies out of the window; "
		       "vs_floor: median remap / floor's)\n");
		ret = 0;
	}
out:
	if (ret)
		fprintf(stderr, "dax_pressure: failed (daemon logs %s, %s)\n", sa.log, sb.log);
	stop_side(&sa);
	stop_side(&sb);
	for (unsigned int f = 0; f < NFILES; f++)
		unlink(files[f]);
	{
		char proxy_sock[96];

		snprintf(proxy_sock, sizeof(proxy_sock), "%s.proxy.sock", root);
		unlink(proxy_sock);
	}
	if (!ret) {
		unlink(sa.log);
		unlink(sb.log);
	}
	rmdir(root);
	return ret;
}
