// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the microvm-virtiofsd FUSE dispatcher on a scratch directory.
 *
 * Input: a sequence of requests, each a little-endian u16 length followed by that many bytes
 * (header included, as the guest would put them in the device-readable buffers). A fresh server
 * on a fresh tree (a file, a directory, symlinks inside and to outside) answers each input after
 * an INIT; DAX callbacks check the window ranges they are given. File sizes are capped with
 * RLIMIT_FSIZE so WRITE/FALLOCATE cannot fill the disk.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtiofsd/vfsd.h"
#include "util/log.h"

#define WINDOW (64ull << 20)

static char root[64];
static uint8_t out[1 << 21];

static int fake_map(void *opaque, int fd, uint64_t fd_offset, uint64_t shm_offset, uint64_t len,
		    bool rw)
{
	struct stat st;

	(void)opaque;
	(void)fd_offset;
	(void)rw;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || shm_offset + len > WINDOW ||
	    shm_offset + len < shm_offset)
		abort();
	return 0;
}

static int fake_unmap(void *opaque, uint64_t shm_offset, uint64_t len)
{
	(void)opaque;
	if (shm_offset + len > WINDOW || shm_offset + len < shm_offset)
		abort();
	return 0;
}

static const struct vfsd_dax_ops dax = { fake_map, fake_unmap, NULL };

static void remove_tree(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (sub >= 0)
			remove_tree(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void fresh_tree(void)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY);

	if (dfd >= 0)
		remove_tree(dfd);
	dfd = open(root, O_PATH | O_DIRECTORY);
	close(openat(dfd, "file", O_CREAT | O_WRONLY, 0644));
	mkdirat(dfd, "dir", 0755);
	close(openat(dfd, "dir/inner", O_CREAT | O_WRONLY, 0644));
	symlinkat("/etc/passwd", dfd, "abs");
	symlinkat("..", dfd, "dir/up");
	close(dfd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rlimit rl = { 8 << 20, 8 << 20 };

	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	strcpy(root, "/tmp/fuzz-fuse-XXXXXX");
	if (!mkdtemp(root))
		abort();
	return 0;
}

static void send_init(struct vfsd *fs)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} req = { { .len = sizeof(req), .opcode = FUSE_INIT, .unique = 1 },
		  { .major = 7, .minor = 36, .flags = FUSE_MAP_ALIGNMENT | 0x7fffffff } };
	struct iovec iov = { out, sizeof(out) };

	vfsd_dispatch(fs, &req, sizeof(req), &iov, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfsd_options o = { .shared_dir = root, .window_size = WINDOW, .dax = &dax };
	struct vfsd *fs;
	size_t pos = 0;

	/* libFuzzer installs its own SIGXFSZ handler after LLVMFuzzerInitialize. */
	signal(SIGXFSZ, SIG_IGN);
	fresh_tree();
	o.readonly = size && (data[0] & 0x80) && (data[0] & 0x40);
	fs = vfsd_new(&o);
	if (!fs)
		abort();
	send_init(fs);
	while (pos + 2 <= size) {
		size_t len = data[pos] | (size_t)data[pos + 1] << 8;
		/* Split the reply buffer in two to exercise iovec handling. */
		struct iovec iov[2] = { { out, (data[pos] & 7) * 9 }, { out + 64, sizeof(out) - 64 } };
		size_t n;

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		n = vfsd_dispatch(fs, data + pos, len, iov, 2);
		if (n > iov[0].iov_len + iov[1].iov_len)
			abort();
		pos += len;
	}
	vfsd_destroy(fs);
	return 0;
}
