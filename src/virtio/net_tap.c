// SPDX-License-Identifier: MIT
/* virtio-net: the TAP side (open/create, offload probe and setting, multiqueue attach). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio/net_priv.h"

static int open_one(const char *name, bool mq, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0) {
		snprintf(err, errlen, "tap '%s': cannot open /dev/net/tun: %s", name, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (mq ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EPERM && if_nametoindex(name) == 0)
		snprintf(err, errlen, "tap '%s' does not exist and microvm may not create it "
			 "(needs CAP_NET_ADMIN; create it with 'ip tuntap add %s mode tap user UID%s')",
			 name, name, mq ? " multi_queue" : "");
	else if (e == EPERM)
		snprintf(err, errlen, "tap '%s': no permission (not its owner or group, and no "
			 "CAP_NET_ADMIN)", name);
	else if (e == EINVAL)
		snprintf(err, errlen, "tap '%s': exists but is not a TAP with these flags (tap, no_pi, "
			 "vnet_hdr%s): %s", name, mq ? ", multi_queue" : ", single queue",
			 strerror(e));
	else if (e == EBUSY)
		snprintf(err, errlen, "tap '%s': in use by another process", name);
	else
		snprintf(err, errlen, "tap '%s': TUNSETIFF: %s", name, strerror(e));
	return -1;
}

int net_tap_open(const char *name, unsigned int nfds, int *fds, char *err, size_t errlen)
{
	unsigned int i;
	int sz = NET_HDR_LEN;

	for (i = 0; i < nfds; i++) {
		fds[i] = open_one(name, nfds > 1, err, errlen);
		if (fds[i] < 0)
			goto fail;
		if (ioctl(fds[i], TUNSETVNETHDRSZ, &sz) < 0) {
			snprintf(err, errlen, "tap '%s': TUNSETVNETHDRSZ: %s", name, strerror(errno));
			close(fds[i]);
			goto fail;
		}
	}
	return 0;
fail:
	while (i > 0)
		close(fds[--i]);
	return -1;
}

unsigned int net_tap_probe_offloads(int fd)
{
	static const unsigned int try[] = { TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_UFO };
	unsigned int ok = 0;

	/* TSO and UFO are only accepted together with CSUM. */
	for (unsigned int i = 0; i < sizeof(try) / sizeof(try[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | ok | try[i])) == 0)
			ok |= try[i];
	if (!(ok & TUN_F_CSUM))
		ok = 0;
	ioctl(fd, TUNSETOFFLOAD, 0UL);
	return ok;
}

int net_tap_set_offloads(int fd, unsigned int tun_flags)
{
	int sz = NET_HDR_LEN;

	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0)
		return -errno;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return -errno;
	return 0;
}

int net_tap_queue_enable(int fd, bool on)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0 && !(on && errno == EINVAL))
		return -errno;   /* attaching an attached queue is EINVAL: already what we want */
	return 0;
}

unsigned int net_tap_offloads_for(uint64_t f)
{
	unsigned int t = 0;

	if (!(f & (1ULL << VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	t |= TUN_F_CSUM;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
		t |= TUN_F_TSO4;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
		t |= TUN_F_TSO6;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_UFO))
		t |= TUN_F_UFO;
	return t;
}
