// SPDX-License-Identifier: MIT
#include "kvm/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Longer names or more descriptors than KVM has ever had are treated as a corrupt header. */
#define STATS_NAME_MAX 256
#define STATS_DESC_MAX 4096

int kvm_stats_open(int kvm_obj_fd)
{
	int fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL);

	return fd < 0 ? -errno : fd;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int kvm_stats_read(int stats_fd, const char *name, uint64_t *val)
{
	struct kvm_stats_header h;
	union {
		struct kvm_stats_desc d;
		char raw[sizeof(struct kvm_stats_desc) + STATS_NAME_MAX];
	} u;
	size_t dsz;
	int ret;

	ret = pread_full(stats_fd, &h, sizeof(h), 0);
	if (ret)
		return ret;
	if (h.name_size == 0 || h.name_size > STATS_NAME_MAX || h.num_desc > STATS_DESC_MAX)
		return -EIO;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		ret = pread_full(stats_fd, &u, dsz, (uint64_t)h.desc_offset + (uint64_t)i * dsz);
		if (ret)
			return ret;
		if (strnlen(u.d.name, h.name_size) == h.name_size ||
		    strcmp(u.d.name, name) || u.d.size != 1)
			continue;
		return pread_full(stats_fd, val, sizeof(*val),
				  (uint64_t)h.data_offset + u.d.offset);
	}
	return -ENOENT;
}
