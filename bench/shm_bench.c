// SPDX-License-Identifier: MIT
/*
 * shm_bench: VIRTIO shared memory MAP+UNMAP cost, the two memslot designs side by side.
 *
 *   (a) in place: one KVM memslot over the whole region (src/mm/shm_region.c); a MAP is one
 *       mmap(MAP_FIXED) of the fd into the reserved range, an UNMAP one anonymous
 *       mmap(MAP_FIXED) over it. No KVM call.
 *   (b) memslot per mapping: a MAP is mmap(NULL) of the fd + KVM_SET_USER_MEMORY_REGION (add),
 *       an UNMAP is KVM_SET_USER_MEMORY_REGION (size 0) + munmap.
 *   floor: one socketpair round trip carrying one fd plus two mmap(MAP_FIXED) calls.
 *
 * Each MAP/UNMAP is a real vhost-user backend-channel round trip as the back-end sees it: the
 * main thread (the "back-end") sends the 40-byte request (MAP with the fd in SCM_RIGHTS, NEED_REPLY
 * set) and waits for the u64 reply; a front-end thread receives it, runs the handler (for (a) the
 * production vu_shmem_map/unmap) and replies. 2 MiB mappings, with 0, 1,000 and 8,000 other live
 * mappings in the region (or live memslots for (b)). Then a 100,000-cycle soak of (a) that
 * checks /proc/self/fd and /proc/self/maps for leaks (exit status 1 on a leak).
 *
 * Usage: shm_bench [iterations per row (default 2000)] [soak cycles (default 100000)]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "mm/shm_region.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "kvm/vm.h"
#include "util/log.h"
#include "../tests/harness/testfiles.h"
#include "stats.h"

#define MiB (1ULL << 20)
#define CHUNK (2 * MiB)
#define SLOTS 16384ULL                 /* region of 32 GiB = 16384 chunks of 2 MiB */
#define REGION_GPA 0x10000000000ULL    /* 1 TiB: (a) region memslot */
#define SLOT_GPA 0x20000000000ULL      /* 2 TiB: (b) per-mapping memslots */
#define REAL_GPA 0x30000000000ULL      /* 3 TiB: the production-path device's region */

enum mode { MODE_INPLACE, MODE_MEMSLOT, MODE_FLOOR, MODE_STOP };

/* ---- KVM ---- */

static int kvm_fd = -1, vm_fd = -1;

static int kvm_open(void)
{
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		return -errno;
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		return -errno;
	return 0;
}

static int set_slot(uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &m) ? -errno : 0;
}

/* ---- (b): one memslot per mapping ---- */

struct slot_map {
	void *hva;
	uint32_t slot;
};
static struct slot_map *slot_maps; /* indexed by chunk */
static uint32_t *free_slots;
static unsigned int nr_free_slots;

static int memslot_map(const struct vhost_user_mmap *m, int fd)
{
	uint64_t c = m->shm_offset / CHUNK;
	void *p;
	int ret;

	if (m->len != CHUNK || m->shm_offset % CHUNK || c >= SLOTS || slot_maps[c].hva ||
	    !nr_free_slots)
		return -EINVAL;
	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m->fd_offset);
	if (p == MAP_FAILED)
		return -errno;
	slot_maps[c].slot = free_slots[--nr_free_slots];
	ret = set_slot(slot_maps[c].slot, SLOT_GPA + m->shm_offset, m->len, p);
	if (ret) {
		free_slots[nr_free_slots++] = slot_maps[c].slot;
		munmap(p, m->len);
		return ret;
	}
	slot_maps[c].hva = p;
	return 0;
}

static int memslot_unmap(const struct vhost_user_mmap *m)
{
	uint64_t c = m->shm_offset / CHUNK;
	int ret;

	if (c >= SLOTS || !slot_maps[c].hva)
		return -ENOENT;
	ret = set_slot(slot_maps[c].slot, SLOT_GPA + m->shm_offset, 0, NULL);
	if (ret)
		return ret;
	munmap(slot_maps[c].hva, m->len);
	free_slots[nr_free_slots++] = slot_maps[c].slot;
	slot_maps[c].hva = NULL;
	return 0;
}

/* ---- wire: a minimal backend channel ---- */

struct wire {
	struct vhost_user_hdr hdr;
	struct vhost_user_mmap mmap;
} __attribute__((packed));

struct reply {
	struct vhost_user_hdr hdr;
	uint64_t u64;
} __attribute__((packed));

static int send_msg(int sock, const void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int recv_msg(int sock, void *buf, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);

	*fd = -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n == (ssize_t)len ? 0 : -EIO;
}

/* ---- front-end thread ---- */

struct frontend {
	int sock;
	enum mode mode;
	struct shm_region *region;
	uint8_t *floor_va;
};

static int floor_handle(struct frontend *fe, const struct vhost_user_mmap *m, int fd)
{
	if (mmap(fe->floor_va, m->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 m->fd_offset) == MAP_FAILED)
		return -errno;
	if (mmap(fe->floor_va, m->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

static int dispatch(struct frontend *fe, const struct wire *w, int fd)
{
	struct vhost_user_mmap req;
	struct vu_msg m;

	memcpy(&req, (const uint8_t *)w + sizeof(w->hdr), sizeof(req));
	switch (fe->mode) {
	case MODE_INPLACE:
		/* what the channel table does: envelope once, then the typed handler */
		memset(&m.hdr, 0, sizeof(m.hdr));
		m.hdr = w->hdr;
		m.nr_fds = fd >= 0;
		if (!vu_backend_request_size_ok(&m) ||
		    m.nr_fds != (w->hdr.request == VHOST_USER_BACKEND_SHMEM_MAP))
			return -EINVAL;
		if (w->hdr.request == VHOST_USER_BACKEND_SHMEM_MAP)
			return vu_shmem_map(&fe->region, 1, &req, fd, NULL, 0);
		return vu_shmem_unmap(&fe->region, 1, &req, NULL, 0);
	case MODE_MEMSLOT:
		return w->hdr.request == VHOST_USER_BACKEND_SHMEM_MAP ? memslot_map(&req, fd) :
		       memslot_unmap(&req);
	case MODE_FLOOR:
		return floor_handle(fe, &req, fd);
	default:
		return -EINVAL;
	}
}

static void *frontend_fn(void *arg)
{
	struct frontend *fe = arg;
	struct wire w;
	struct reply r;
	int fd, ret;

	for (;;) {
		if (recv_msg(fe->sock, &w, sizeof(w), &fd))
			break;
		if (w.hdr.request == 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		ret = dispatch(fe, &w, fd);
		if (fd >= 0)
			close(fd);
		r.hdr = (struct vhost_user_hdr){ .request = w.hdr.request,
						 .flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK,
						 .size = 8 };
		r.u64 = ret ? 1 : 0;
		if (send_msg(fe->sock, &r, sizeof(r), -1))
			break;
	}
	return NULL;
}

/* ---- back-end side ---- */

static int backend_sock = -1;

static int call(uint32_t request, uint64_t shm_offset, int fd)
{
	struct wire w = {
		.hdr = { .request = request,
			 .flags = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK, .size = 40 },
		.mmap = { .shmid = 0, .fd_offset = 0, .shm_offset = shm_offset, .len = CHUNK,
			  .flags = VHOST_USER_FLAG_MAP_RW },
	};
	struct reply r;
	int rfd;

	if (send_msg(backend_sock, &w, sizeof(w), fd))
		return -EIO;
	if (recv_msg(backend_sock, &r, sizeof(r), &rfd))
		return -EIO;
	return r.u64 ? -EIO : 0;
}

struct row {
	double median_us, p99_us, per_sec;
};

static struct row stats_of(double *ns, unsigned int n, double total_ns)
{
	struct row r;

	qsort(ns, n, sizeof(double), bench_cmp_double);
	r.median_us = ns[n / 2] / 1e3;
	r.p99_us = ns[(unsigned int)(n * 0.99)] / 1e3;
	r.per_sec = n / (total_ns / 1e9);
	return r;
}

/* Live chunk for the i-th of n live mappings: spread over the region, even chunks only. */
static uint64_t live_chunk(unsigned int i, unsigned int n)
{
	return (uint64_t)i * (SLOTS / 2 / (n ? n : 1)) * 2;
}

/* Test chunks: odd chunks spread over the region, so lookups land between live mappings. */
static uint64_t test_chunk(unsigned int i)
{
	return ((uint64_t)(i * 2654435761u) % (SLOTS / 2)) * 2 + 1;
}

static int populate(unsigned int live, int fd)
{
	for (unsigned int i = 0; i < live; i++)
		if (call(VHOST_USER_BACKEND_SHMEM_MAP, live_chunk(i, live) * CHUNK, fd))
			return -1;
	return 0;
}

static int depopulate(unsigned int live)
{
	for (unsigned int i = 0; i < live; i++)
		if (call(VHOST_USER_BACKEND_SHMEM_UNMAP, live_chunk(i, live) * CHUNK, -1))
			return -1;
	return 0;
}

static int run_pairs(unsigned int iters, int fd, struct row *out)
{
	double *ns = calloc(iters, sizeof(double)), t0, start = bench_now_ns();

	if (!ns)
		return -1;
	for (unsigned int i = 0; i < iters; i++) {
		uint64_t off = test_chunk(i) * CHUNK;

		t0 = bench_now_ns();
		if (call(VHOST_USER_BACKEND_SHMEM_MAP, off, fd) ||
		    call(VHOST_USER_BACKEND_SHMEM_UNMAP, off, -1)) {
			fprintf(stderr, "shm_bench: MAP/UNMAP at 0x%llx failed\n",
				(unsigned long long)off);
			free(ns);
			return -1;
		}
		ns[i] = bench_now_ns() - t0;
	}
	*out = stats_of(ns, iters, bench_now_ns() - start);
	free(ns);
	return 0;
}

/* The handler work alone, no socket: shm_region_map+unmap vs mmap+2 KVM ioctls+munmap. */
static int run_direct(struct frontend *fe, unsigned int iters, int fd, struct row *out)
{
	double *ns = calloc(iters, sizeof(double)), t0, start = bench_now_ns();
	struct vhost_user_mmap m = { .len = CHUNK, .flags = VHOST_USER_FLAG_MAP_RW };
	int ret = 0;

	if (!ns)
		return -1;
	for (unsigned int i = 0; i < iters && !ret; i++) {
		m.shm_offset = test_chunk(i) * CHUNK;
		t0 = bench_now_ns();
		if (fe->mode == MODE_INPLACE)
			ret = shm_region_map(fe->region, m.shm_offset, CHUNK, fd, 0, true, NULL, 0) ||
			      shm_region_unmap(fe->region, m.shm_offset, CHUNK, NULL, 0);
		else
			ret = memslot_map(&m, fd) || memslot_unmap(&m);
		ns[i] = bench_now_ns() - t0;
	}
	if (!ret)
		*out = stats_of(ns, iters, bench_now_ns() - start);
	free(ns);
	return ret ? -1 : 0;
}

static int run_floor(unsigned int iters, int fd, struct row *out)
{
	double *ns = calloc(iters, sizeof(double)), t0, start = bench_now_ns();

	if (!ns)
		return -1;
	for (unsigned int i = 0; i < iters; i++) {
		t0 = bench_now_ns();
		if (call(VHOST_USER_BACKEND_SHMEM_MAP, 0, fd)) {
			free(ns);
			return -1;
		}
		ns[i] = bench_now_ns() - t0;
	}
	*out = stats_of(ns, iters, bench_now_ns() - start);
	free(ns);
	return 0;
}

static void print_row(const char *design, unsigned int live, const struct row *r,
		      const struct row *floor)
{
	printf("| %-34s | %5u | %9.2f | %9.2f | %10.0f | %6.2fx |\n", design, live, r->median_us,
	       r->p99_us, r->per_sec, r->median_us / floor->median_us);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int soak(struct frontend *fe, unsigned int cycles)
{
	struct shm_region_stats st;
	int fds0, maps0, fds1, maps1, fd;
	double t0 = bench_now_ns();
	unsigned int i;

	fds0 = tf_count_fds();
	maps0 = count_lines("/proc/self/maps");
	fe->mode = MODE_INPLACE;
	for (i = 0; i < cycles;) {
		/* a fresh memfd every 1000 cycles, closed after its last MAP */
		fd = memfd_create("soak", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, CHUNK))
			return -1;
		for (unsigned int j = 0; j < 1000 && i < cycles; j++, i++) {
			uint64_t off = test_chunk(i) * CHUNK;

			if (call(VHOST_USER_BACKEND_SHMEM_MAP, off, fd) ||
			    call(VHOST_USER_BACKEND_SHMEM_UNMAP, off, -1)) {
				close(fd);
				return -1;
			}
		}
		close(fd);
	}
	fds1 = tf_count_fds();
	maps1 = count_lines("/proc/self/maps");
	shm_region_get_stats(fe->region, &st);
	printf("\nsoak: %u MAP+UNMAP cycles in %.2f s; live %llu, maps %llu, unmaps %llu, "
	       "failed %llu; fds %d -> %d, /proc/self/maps lines %d -> %d: %s\n",
	       cycles, (bench_now_ns() - t0) / 1e9, (unsigned long long)st.live,
	       (unsigned long long)st.total_maps, (unsigned long long)st.total_unmaps,
	       (unsigned long long)st.failed, fds0, fds1, maps0, maps1,
	       fds0 == fds1 && maps0 == maps1 && st.live == 0 ? "no leaks" : "LEAK");
	return fds0 == fds1 && maps0 == maps1 && st.live == 0 ? 0 : 1;
}

/*
 * The production path end to end: vu_shm_backend (a separate process) sends MAP/UNMAP on the
 * backend channel of a generic vhost-user device; microvm's backend-channel thread (backend_channel.c)
 * receives them, runs shmem.c and replies. The region is covered by one KVM memslot here too.
 */
static int run_real_channel(unsigned int iters)
{
	char dir[] = "/tmp/shm-bench.XXXXXX", exe[512], sock[128], script[128], out[128], done[128];
	char err[256], line[256];
	struct vhost_user_config cfg = { .virtio_id = 42, .num_queues = 1, .queue_size = 256,
					 .connect_timeout_ms = 5000 };
	struct virtio_device *vdev;
	struct vm vm;
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 64);
	pid_t pid;
	FILE *f;
	int status, ret = -1;

	if (n <= 0 || !mkdtemp(dir))
		return -1;
	exe[n] = 0;
	strcpy(strrchr(exe, '/'), "/../tests/backends/vu_shm_backend");
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(script, sizeof(script), "%s/script", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(done, sizeof(done), "%s/done", dir);
	f = fopen(script, "we");
	if (!f)
		return -1;
	fprintf(f, "memfd a 2M 1\nwait-file %s/ready 30000\nbench 0 a %u 0\nbench 0 a %u 1000\n"
		"bench 0 a %u 8000\ntouch %s\n", dir, iters, iters, iters, done);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_CREAT | O_WRONLY | O_TRUNC, 0644);

		dup2(fd, 1);
		execl(exe, exe, "--socket", sock, "--sizes", "0=32G", "--script", script,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || vm_init_harness(&vm, 16 << 20))
		return -1;
	cfg.socket = sock;
	vdev = vhost_user_generic_create(&vm, &cfg, err, sizeof(err));
	if (!vdev) {
		fprintf(stderr, "shm_bench: generic device with %s: %s\n", exe, err);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		vm_destroy(&vm);
		return -1;
	}
	snprintf(line, sizeof(line), "%s/ready", dir);
	close(open(line, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	ret = set_slot(1, REAL_GPA, vdev->shm[0]->size, vdev->shm[0]->hva);
	if (ret)
		fprintf(stderr, "shm_bench: memslot for the device region: %s\n", strerror(-ret));
	for (int i = 0; i < 120000 && !ret && stat(done, &st); i++)
		usleep(1000);
	if (!ret) {
		set_slot(1, REAL_GPA, 0, NULL);
		ret = stat(done, &st) ? -1 : 0;
	}
	vhost_user_device_destroy(vdev);
	waitpid(pid, &status, 0);
	vm_destroy(&vm);
	printf("\nproduction path: vu_shm_backend -> backend channel -> backend_channel.c -> "
	       "shmem.c -> shm_region.c, 32 GiB region under one memslot\n\n");
	f = fopen(out, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "bench:", 6) || !strncmp(line, "FAIL", 4))
			fputs(line, stdout);
	if (f)
		fclose(f);
	unlink(sock);
	unlink(script);
	unlink(out);
	unlink(done);
	snprintf(line, sizeof(line), "%s/ready", dir);
	unlink(line);
	rmdir(dir);
	return ret || !WIFEXITED(status) || WEXITSTATUS(status) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const unsigned int lives[] = { 0, 1000, 8000 };
	unsigned int iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000;
	unsigned int cycles = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	struct shm_region region;
	struct frontend fe = { 0 };
	struct row floor, r, d, direct[2][3];
	pthread_t th;
	int sv[2], fd, ret;

	if (iters < 100)
		iters = 100;
	ret = kvm_open();
	if (ret) {
		fprintf(stderr, "shm_bench: /dev/kvm: %s\n", strerror(-ret));
		return 1;
	}
	if (shm_region_init(&region, 0, SLOTS * CHUNK, SLOTS, 0) ||
	    set_slot(0, REGION_GPA, region.size, region.hva)) {
		fprintf(stderr, "shm_bench: region setup failed\n");
		return 1;
	}
	slot_maps = calloc(SLOTS, sizeof(*slot_maps));
	free_slots = calloc(SLOTS, sizeof(*free_slots));
	for (uint32_t s = 0; s < 9000; s++)
		free_slots[nr_free_slots++] = 9000 - s; /* slots 1..9000, lowest first */
	fe.floor_va = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fe.region = &region;
	fd = memfd_create("shm-bench", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, CHUNK) || !slot_maps || !free_slots ||
	    fe.floor_va == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		perror("shm_bench: setup");
		return 1;
	}
	backend_sock = sv[0];
	fe.sock = sv[1];
	pthread_create(&th, NULL, frontend_fn, &fe);

	printf("shm_bench: 2 MiB mappings, %u MAP+UNMAP round trips per row (back-end view: "
	       "send, reply received, twice), KVM %s\n\n", iters, "VM fd, no vCPU");
	printf("| %-34s | %5s | %9s | %9s | %10s | %7s |\n", "design", "live", "median us",
	       "p99 us", "pairs/s", "/floor");
	printf("|------------------------------------|-------|-----------|-----------|------------|---------|\n");
	fe.mode = MODE_FLOOR;
	if (run_floor(iters, fd, &floor))
		return 1;
	print_row("floor: 1 RTT w/ fd + 2 MAP_FIXED", 0, &floor, &floor);
	for (unsigned int k = 0; k < 3; k++) {
		fe.mode = MODE_INPLACE;
		if (populate(lives[k], fd) || run_pairs(iters, fd, &r))
			return 1;
		print_row("(a) in place, 1 memslot/region", lives[k], &r, &floor);
		if (run_direct(&fe, iters, fd, &d) || depopulate(lives[k]))
			return 1;
		direct[0][k] = d;
		fe.mode = MODE_MEMSLOT;
		if (populate(lives[k], fd) || run_pairs(iters, fd, &r))
			return 1;
		print_row("(b) 1 memslot per mapping", lives[k], &r, &floor);
		if (run_direct(&fe, iters, fd, &d) || depopulate(lives[k]))
			return 1;
		direct[1][k] = d;
	}
	/* floor again at the end, to show the drift of the machine over the run */
	fe.mode = MODE_FLOOR;
	if (run_floor(iters, fd, &r))
		return 1;
	print_row("floor (again, end of run)", 0, &r, &floor);

	printf("\nhandler work alone (no socket, same thread): MAP + UNMAP of one 2 MiB mapping\n\n");
	printf("| %-34s | %5s | %9s | %9s | %10s |\n", "design", "live", "median us", "p99 us",
	       "pairs/s");
	printf("|------------------------------------|-------|-----------|-----------|------------|\n");
	for (unsigned int k = 0; k < 3; k++)
		for (unsigned int j = 0; j < 2; j++)
			printf("| %-34s | %5u | %9.2f | %9.2f | %10.0f |\n",
			       j ? "(b) mmap + KVM add/del + munmap" :
				   "(a) shm_region_map + unmap",
			       lives[k], direct[j][k].median_us, direct[j][k].p99_us,
			       direct[j][k].per_sec);

	if (run_real_channel(iters))
		printf("(production path run failed)\n");
	ret = cycles ? soak(&fe, cycles) : 0;
	{
		struct wire stop = { .hdr = { .request = 0, .flags = VHOST_USER_VERSION, .size = 40 } };

		send_msg(backend_sock, &stop, sizeof(stop), -1);
	}
	pthread_join(th, NULL);
	close(fd);
	set_slot(0, REGION_GPA, 0, NULL);
	shm_region_destroy(&region);
	return ret;
}
