// SPDX-License-Identifier: MIT
/*
 * vu_shm_backend: a vhost-user back-end for shared-memory tests. It serves the main socket
 * (enough of the protocol for a generic vhost-user device to come up: features, protocol
 * features with SHMEM (bit 22), BACKEND_REQ, BACKEND_SEND_FD and REPLY_ACK, memory table and
 * vring messages acknowledged, GET_SHMEM_CONFIG answered with the chosen sizes) and, once the
 * front-end has given it the backend channel, runs a script of SHMEM_MAP / SHMEM_UNMAP requests
 * with memfds filled with known patterns (u64 word at byte offset o = seed ^ o).
 *
 *   vu_shm_backend --socket PATH [--sizes 0=64M,3=2M] [--no-shmem] [--queues N]
 *                  [--bad-config short|nregions|unaligned] [--script FILE]
 *
 * Script (one command per line, '#' comments; numbers in C syntax, sizes may end in K/M/G):
 *   memfd NAME SIZE SEED            create a memfd filled with the pattern
 *   map SHMID SHM_OFF LEN NAME FD_OFF ro|rw [ok|fail [RETRY_MS]]   (RETRY_MS: retry a MAP
 *                                   expected ok until then, e.g. while regions are created)
 *   unmap SHMID SHM_OFF LEN [ok|fail]
 *   raw REQ SIZE NFDS SHMID FD_OFF SHM_OFF LEN FLAGS [ok|fail]   (malformed requests; the fds
 *                                   sent are the first memfd)
 *   write NAME OFF VALUE            u64 store into the memfd (the "guest" must see it)
 *   truncate NAME SIZE              ftruncate the memfd while it may be mapped (host-side
 *                                   shrink: the guest must read zeros past the new EOF)
 *   expect NAME OFF VALUE           u64 in the memfd must equal VALUE now
 *   wait-word NAME OFF VALUE MS     poll until the u64 equals VALUE (a guest write)
 *   wait-req REQ                    wait until the front-end has sent request number REQ
 *   wait-file PATH MS               wait until PATH exists (sync with the test)
 *   touch PATH                      create PATH (tell the test a step is done)
 *   sleep MS
 *   print TEXT
 *   bench SHMID NAME PAIRS LIVE     with LIVE 2 MiB mappings of NAME spread over the region,
 *                                   time PAIRS MAP+UNMAP round trips of 2 MiB between them and
 *                                   print "bench: live=.. pairs=.. median_us=.. p99_us=.."
 * The expected outcome defaults to ok. Each command prints one line on stdout; a failed
 * expectation prints "FAIL: ...". At the end: "script: N commands, M failures". The process
 * exits when the front-end closes the main socket: status 0 if the script ran with no failure,
 * 1 otherwise, 2 on usage or socket errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../harness/pattern_fd.h"
#include "vhost_user/msg.h"
#include "util/clock.h"

#define MAX_MEMFDS 64

struct memfd {
	char name[32];
	int fd;
	uint64_t size;
};

static struct {
	const char *socket;
	const char *script;
	uint64_t sizes[VHOST_USER_MAX_SHM_REGIONS];
	bool shmem;
	unsigned int queues;
	const char *bad_config;

	struct vu_conn main;
	struct vu_conn chan;
	uint64_t protocol;               /* negotiated */
	atomic_bool chan_ready;
	uint8_t seen[64];                /* requests seen on the main socket */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct memfd memfds[MAX_MEMFDS];
	unsigned int nr_memfds;
	atomic_int failures;
	atomic_bool script_done;
} g = { .shmem = true, .queues = 1, .lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER };

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vu_shm_backend: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static uint64_t parse_num(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (end == s || *end)
		die("bad number '%s'", s);
	return v;
}

static void parse_sizes(char *arg)
{
	for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');
		uint64_t id;

		if (!eq)
			die("--sizes wants ID=SIZE, got '%s'", tok);
		*eq = 0;
		id = parse_num(tok);
		if (id >= VHOST_USER_MAX_SHM_REGIONS)
			die("shmid '%s' out of range", tok);
		g.sizes[id] = parse_num(eq + 1);
	}
}

/* ---- main socket ---- */

static int reply(struct vu_msg *req, uint32_t size)
{
	req->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	req->hdr.size = size;
	req->nr_fds = 0;
	return vu_msg_send(&g.main, req);
}

static int reply_u64(struct vu_msg *req, uint64_t v)
{
	req->payload.u64 = v;
	return reply(req, 8);
}

static int shmem_config_reply(struct vu_msg *m)
{
	struct vhost_user_shmem_config *c = &m->payload.shmem;
	uint32_t size = sizeof(*c);

	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < VHOST_USER_MAX_SHM_REGIONS; i++) {
		c->memory_sizes[i] = g.sizes[i];
		c->nregions += g.sizes[i] != 0;
	}
	if (g.bad_config && !strcmp(g.bad_config, "short"))
		size = 2048;
	else if (g.bad_config && !strcmp(g.bad_config, "nregions"))
		c->nregions++;
	else if (g.bad_config && !strcmp(g.bad_config, "unaligned"))
		c->memory_sizes[0] = 4096, c->nregions += !g.sizes[0];
	return reply(m, size);
}

static uint64_t protocol_offer(void)
{
	uint64_t p = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK |
		     1ULL << VHOST_USER_PROTOCOL_F_BACKEND_REQ |
		     1ULL << VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD |
		     1ULL << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS |
		     1ULL << VHOST_USER_PROTOCOL_F_MQ;

	if (g.shmem)
		p |= 1ULL << VHOST_USER_PROTOCOL_F_SHMEM;
	return p;
}

/* Returns 1 if the request was answered with its own reply, 0 if not, <0 on error. */
static int handle_main(struct vu_msg *m)
{
	switch (m->hdr.request) {
	case VHOST_USER_GET_FEATURES:
		return reply_u64(m, 1ULL << VIRTIO_F_VERSION_1 |
				    1ULL << VHOST_USER_F_PROTOCOL_FEATURES) ?: 1;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return reply_u64(m, protocol_offer()) ?: 1;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		g.protocol = m->payload.u64;
		return 0;
	case VHOST_USER_GET_QUEUE_NUM:
		return reply_u64(m, g.queues) ?: 1;
	case VHOST_USER_GET_MAX_MEM_SLOTS:
		return reply_u64(m, 32) ?: 1;
	case VHOST_USER_GET_VRING_BASE:
		m->payload.state.num = 0;
		return reply(m, sizeof(m->payload.state)) ?: 1;
	case VHOST_USER_GET_CONFIG: {
		uint32_t size = m->hdr.size;

		memset(m->payload.config.region, 0, sizeof(m->payload.config.region));
		return reply(m, size) ?: 1;
	}
	case VHOST_USER_GET_SHMEM_CONFIG:
		return shmem_config_reply(m) ?: 1;
	case VHOST_USER_SET_BACKEND_REQ_FD:
		if (m->nr_fds != 1)
			return -EPROTO;
		pthread_mutex_lock(&g.lock);
		if (g.chan.fd >= 0)
			close(g.chan.fd);
		g.chan.fd = m->fds[0];
		m->nr_fds = 0;
		atomic_store(&g.chan_ready, true);
		pthread_cond_broadcast(&g.cond);
		pthread_mutex_unlock(&g.lock);
		return 0;
	default:
		/* SET_OWNER, SET_FEATURES, memory table, vrings, RESET_DEVICE...: accepted */
		return 0;
	}
}

static int serve_main(void)
{
	struct vu_msg m;
	int r;

	for (;;) {
		r = vu_msg_recv(&g.main, &m, -1);
		if (r)
			return r == -ECONNRESET ? 0 : r;
		pthread_mutex_lock(&g.lock);
		if (m.hdr.request < sizeof(g.seen))
			g.seen[m.hdr.request] = 1;
		pthread_cond_broadcast(&g.cond);
		pthread_mutex_unlock(&g.lock);
		bool need_ack = m.hdr.flags & VHOST_USER_NEED_REPLY_MASK;
		r = handle_main(&m);
		vu_msg_close_fds(&m);
		if (r < 0)
			return r;
		if (r == 0 && need_ack && (g.protocol & 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)) {
			vu_msg_init(&m, m.hdr.request, 8);
			if (reply_u64(&m, 0))
				return -EIO;
		}
	}
}

/* ---- script ---- */

static struct memfd *find_memfd(const char *name)
{
	for (unsigned int i = 0; i < g.nr_memfds; i++)
		if (!strcmp(g.memfds[i].name, name))
			return &g.memfds[i];
	return NULL;
}

static int cmd_memfd(char **a, int n)
{
	struct memfd *f;
	uint64_t size;

	if (n != 4 || g.nr_memfds >= MAX_MEMFDS)
		return -EINVAL;
	f = &g.memfds[g.nr_memfds];
	size = parse_num(a[2]);
	f->fd = pattern_memfd(a[1], size, parse_num(a[3]));
	if (f->fd < 0)
		return f->fd;
	snprintf(f->name, sizeof(f->name), "%s", a[1]);
	f->size = size;
	g.nr_memfds++;
	return 0;
}

/* Sends one backend-channel request; returns the reply value (0 ok) or -errno. */
static int64_t chan_call(uint32_t request, uint32_t size, const struct vhost_user_mmap *mm,
			 const int *fds, unsigned int nfds)
{
	struct vu_msg m, rep;
	bool ack = g.protocol & 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK;
	int r;

	vu_msg_init(&m, request, size);
	memcpy(&m.payload.mmap, mm, sizeof(*mm));
	if (ack)
		m.hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	m.nr_fds = nfds;
	if (nfds)
		memcpy(m.fds, fds, nfds * sizeof(int));
	r = vu_msg_send(&g.chan, &m);
	if (r)
		return r;
	if (!ack)
		return 0;
	r = vu_msg_recv(&g.chan, &rep, 5000);
	if (r)
		return r;
	vu_msg_close_fds(&rep);
	if (rep.hdr.request != request || rep.hdr.size != 8 ||
	    !(rep.hdr.flags & VHOST_USER_REPLY_MASK))
		return -EPROTO;
	if (!rep.payload.u64)
		return 0;
	return rep.payload.u64 > INT32_MAX ? 1 : (int64_t)rep.payload.u64;
}

static bool want_ok(char **a, int n, int idx)
{
	return n <= idx || strcmp(a[idx], "fail");
}

static int outcome(const char *what, int64_t r, bool ok_wanted)
{
	bool ok = r == 0;

	printf("%s -> %s (%lld)\n", what, ok ? "ok" : "failed", (long long)r);
	if (ok != ok_wanted) {
		printf("FAIL: %s: expected %s\n", what, ok_wanted ? "ok" : "failure");
		return -1;
	}
	return 0;
}

static int cmd_map(char **a, int n, const char *line)
{
	struct vhost_user_mmap mm = { 0 };
	struct memfd *f;

	if (n < 7 || !(f = find_memfd(a[4])))
		return -EINVAL;
	mm.shmid = parse_num(a[1]);
	mm.shm_offset = parse_num(a[2]);
	mm.len = parse_num(a[3]);
	mm.fd_offset = parse_num(a[5]);
	mm.flags = !strcmp(a[6], "rw") ? VHOST_USER_FLAG_MAP_RW : 0;
	int64_t deadline = monotonic_ms() + (n >= 9 ? (int64_t)parse_num(a[8]) : 0);
	int64_t r;

	for (;;) {
		r = chan_call(VHOST_USER_BACKEND_SHMEM_MAP, 40, &mm, &f->fd, 1);
		if (r <= 0 || !want_ok(a, n, 7) || monotonic_ms() >= deadline)
			break;
		usleep(1000);
	}
	return outcome(line, r, want_ok(a, n, 7));
}

static int cmd_unmap(char **a, int n, const char *line)
{
	struct vhost_user_mmap mm = { 0 };

	if (n < 4)
		return -EINVAL;
	mm.shmid = parse_num(a[1]);
	mm.shm_offset = parse_num(a[2]);
	mm.len = parse_num(a[3]);
	return outcome(line, chan_call(VHOST_USER_BACKEND_SHMEM_UNMAP, 40, &mm, NULL, 0),
		       want_ok(a, n, 4));
}

static int cmd_raw(char **a, int n, const char *line)
{
	struct vhost_user_mmap mm = { 0 };
	int fds[4];
	unsigned int nfds;

	if (n < 9 || !g.nr_memfds)
		return -EINVAL;
	nfds = parse_num(a[3]);
	if (nfds > 4)
		return -EINVAL;
	for (unsigned int i = 0; i < nfds; i++)
		fds[i] = g.memfds[0].fd;
	mm.shmid = parse_num(a[4]);
	mm.fd_offset = parse_num(a[5]);
	mm.shm_offset = parse_num(a[6]);
	mm.len = parse_num(a[7]);
	mm.flags = parse_num(a[8]);
	return outcome(line, chan_call(parse_num(a[1]), parse_num(a[2]), &mm, fds, nfds),
		       want_ok(a, n, 9));
}

static int word_at(struct memfd *f, uint64_t off, uint64_t *v)
{
	return pread(f->fd, v, 8, off) == 8 ? 0 : -EIO;
}

static int cmd_word(char **a, int n, const char *line)
{
	struct memfd *f = n >= 4 ? find_memfd(a[1]) : NULL;
	uint64_t off, val, v = 0;
	int64_t deadline;

	if (!f)
		return -EINVAL;
	off = parse_num(a[2]);
	val = parse_num(a[3]);
	if (!strcmp(a[0], "write")) {
		if (pwrite(f->fd, &val, 8, off) != 8)
			return -EIO;
		printf("%s -> ok\n", line);
		return 0;
	}
	deadline = monotonic_ms() + (n >= 5 ? (int64_t)parse_num(a[4]) : 0);
	for (;;) {
		if (word_at(f, off, &v))
			return -EIO;
		if (v == val || monotonic_ms() >= deadline)
			break;
		usleep(1000);
	}
	printf("%s -> 0x%llx\n", line, (unsigned long long)v);
	if (v != val) {
		printf("FAIL: %s: found 0x%llx\n", line, (unsigned long long)v);
		return -1;
	}
	return 0;
}

static int cmd_wait_req(char **a, int n)
{
	uint64_t req;
	struct timespec ts;
	int r = 0;

	if (n != 2 || (req = parse_num(a[1])) >= sizeof(g.seen))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	pthread_mutex_lock(&g.lock);
	while (!g.seen[req] && r == 0)
		r = pthread_cond_timedwait(&g.cond, &g.lock, &ts);
	pthread_mutex_unlock(&g.lock);
	printf("wait-req %llu -> %s\n", (unsigned long long)req, r ? "timeout" : "ok");
	return r ? -1 : 0;
}

static int cmd_file(char **a, int n)
{
	int64_t deadline;
	struct stat st;

	if (n < 2)
		return -EINVAL;
	if (!strcmp(a[0], "touch")) {
		int fd = open(a[1], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		if (fd < 0)
			return -errno;
		close(fd);
		printf("touch %s -> ok\n", a[1]);
		return 0;
	}
	deadline = monotonic_ms() + (n >= 3 ? (int64_t)parse_num(a[2]) : 30000);
	while (stat(a[1], &st) && monotonic_ms() < deadline)
		usleep(2000);
	if (stat(a[1], &st)) {
		printf("FAIL: wait-file %s: timeout\n", a[1]);
		return -1;
	}
	printf("wait-file %s -> ok\n", a[1]);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bench_call(uint32_t req, uint8_t shmid, uint64_t chunk, int fd)
{
	struct vhost_user_mmap mm = { .shmid = shmid, .shm_offset = chunk << 21, .len = 2 << 20,
				      .flags = VHOST_USER_FLAG_MAP_RW };

	int64_t r = chan_call(req, 40, &mm, &fd, fd >= 0);

	if (r)
		printf("bench: %s at chunk %llu failed (%lld) %s\n",
		       req == VHOST_USER_BACKEND_SHMEM_MAP ? "MAP" : "UNMAP",
		       (unsigned long long)chunk, (long long)r, r < 0 ? g.chan.err : "");
	return r ? -1 : 0;
}

/* Live mappings on even chunks, spread; timed pairs on odd chunks, scattered. */
static int cmd_bench(char **a, int n)
{
	struct memfd *f = n == 5 ? find_memfd(a[2]) : NULL;
	uint64_t chunks, pairs, live, stride;
	int64_t *ns, t0, start;
	uint8_t shmid;
	int r = 0;

	if (!f || !(g.sizes[shmid = parse_num(a[1])]))
		return -EINVAL;
	chunks = g.sizes[shmid] >> 21;
	pairs = parse_num(a[3]);
	live = parse_num(a[4]);
	if (!pairs || live > chunks / 2 || chunks < 2)
		return -EINVAL;
	stride = live ? chunks / 2 / live : 1;
	ns = calloc(pairs, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (uint64_t i = 0; i < live && !r; i++)
		r = bench_call(VHOST_USER_BACKEND_SHMEM_MAP, shmid, i * stride * 2, f->fd);
	start = now_ns();
	for (uint64_t i = 0; i < pairs && !r; i++) {
		uint64_t c = ((i * 2654435761u) % (chunks / 2)) * 2 + 1;

		t0 = now_ns();
		r = bench_call(VHOST_USER_BACKEND_SHMEM_MAP, shmid, c, f->fd) ||
		    bench_call(VHOST_USER_BACKEND_SHMEM_UNMAP, shmid, c, -1);
		ns[i] = now_ns() - t0;
	}
	if (!r) {
		double secs = (now_ns() - start) / 1e9;

		qsort(ns, pairs, sizeof(*ns), cmp_i64);
		printf("bench: live=%llu pairs=%llu median_us=%.2f p99_us=%.2f pairs_per_s=%.0f\n",
		       (unsigned long long)live, (unsigned long long)pairs, ns[pairs / 2] / 1e3,
		       ns[pairs * 99 / 100] / 1e3, pairs / secs);
	}
	for (uint64_t i = 0; i < live; i++)
		bench_call(VHOST_USER_BACKEND_SHMEM_UNMAP, shmid, i * stride * 2, -1);
	free(ns);
	return r ? -EIO : 0;
}

static int run_line(char *line)
{
	char copy[512], *a[16];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok(line, " \t"); t && n < 16; t = strtok(NULL, " \t"))
		a[n++] = t;
	if (!n)
		return 0;
	if (!strcmp(a[0], "memfd"))
		return cmd_memfd(a, n);
	if (!strcmp(a[0], "map"))
		return cmd_map(a, n, copy);
	if (!strcmp(a[0], "unmap"))
		return cmd_unmap(a, n, copy);
	if (!strcmp(a[0], "raw"))
		return cmd_raw(a, n, copy);
	if (!strcmp(a[0], "write") || !strcmp(a[0], "expect") || !strcmp(a[0], "wait-word"))
		return cmd_word(a, n, copy);
	if (!strcmp(a[0], "truncate") && n == 3) {
		struct memfd *f = find_memfd(a[1]);

		if (!f || ftruncate(f->fd, (off_t)parse_num(a[2])))
			return -EIO;
		printf("%s -> ok\n", copy);
		return 0;
	}
	if (!strcmp(a[0], "wait-req"))
		return cmd_wait_req(a, n);
	if (!strcmp(a[0], "wait-file") || !strcmp(a[0], "touch"))
		return cmd_file(a, n);
	if (!strcmp(a[0], "bench"))
		return cmd_bench(a, n);
	if (!strcmp(a[0], "sleep") && n == 2) {
		usleep(parse_num(a[1]) * 1000);
		return 0;
	}
	if (!strcmp(a[0], "print")) {
		printf("%s\n", copy + 6 < copy + strlen(copy) ? copy + 6 : "");
		return 0;
	}
	return -EINVAL;
}

static void *script_fn(void *arg)
{
	FILE *f = arg;
	char line[512];
	unsigned int cmds = 0;

	pthread_mutex_lock(&g.lock);
	while (!atomic_load(&g.chan_ready))
		pthread_cond_wait(&g.cond, &g.lock);
	pthread_mutex_unlock(&g.lock);
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		int r;

		if (hash)
			*hash = 0;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[strspn(line, " \t")])
			continue;
		cmds++;
		r = run_line(line);
		if (r == -1 || r < -1) {
			if (r < -1)
				printf("FAIL: bad or failed command (%s)\n", strerror(-r));
			atomic_fetch_add(&g.failures, 1);
		}
		fflush(stdout);
	}
	printf("script: %u commands, %d failures\n", cmds, atomic_load(&g.failures));
	fflush(stdout);
	if (f != stdin)
		fclose(f);
	atomic_store(&g.script_done, true);
	return NULL;
}

static int listen_accept(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l, c;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
		die("cannot listen on %s", path);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept on %s failed", path);
	close(l);
	unlink(path);
	return c;
}

int main(int argc, char **argv)
{
	pthread_t th;
	FILE *script = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--no-shmem")) {
			g.shmem = false;
			continue;
		}
		if (!v)
			die("option %s needs a value", o);
		i++;
		if (!strcmp(o, "--socket"))
			g.socket = v;
		else if (!strcmp(o, "--sizes"))
			parse_sizes(argv[i]);
		else if (!strcmp(o, "--queues"))
			g.queues = parse_num(v);
		else if (!strcmp(o, "--bad-config"))
			g.bad_config = v;
		else if (!strcmp(o, "--script"))
			g.script = v;
		else
			die("unknown option %s", o);
	}
	if (!g.socket)
		die("%s", "usage: vu_shm_backend --socket PATH [--sizes ID=SIZE,...] [--no-shmem] "
			  "[--queues N] [--bad-config short|nregions|unaligned] [--script FILE|-]");
	if (g.script) {
		script = strcmp(g.script, "-") ? fopen(g.script, "re") : stdin;
		if (!script)
			die("cannot open script %s", g.script);
	}
	g.main = (struct vu_conn){ .fd = listen_accept(g.socket), .timeout_ms = 5000,
				   .name = "vu_shm_backend" };
	g.chan = (struct vu_conn){ .fd = -1, .timeout_ms = 5000, .name = "vu_shm_backend chan" };
	if (script)
		pthread_create(&th, NULL, script_fn, script);
	r = serve_main();
	if (r)
		fprintf(stderr, "vu_shm_backend: main socket: %s (%s)\n", strerror(-r), g.main.err);
	if (script) {
		/* the script may still be waiting for the channel: it cannot finish now */
		if (!atomic_load(&g.chan_ready)) {
			printf("FAIL: front-end never sent SET_BACKEND_REQ_FD\n");
			return 1;
		}
		pthread_join(th, NULL);
	}
	if (r)
		return 2;
	return atomic_load(&g.failures) ? 1 : 0;
}
