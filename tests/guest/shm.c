// SPDX-License-Identifier: MIT
/* Test guest: shm-read / shm-write on the first virtio shared-memory region (cfg_type 8). */
#include <linux/virtio_pci.h>

#include "virtio.h"

#define SHM_DEFAULT_LEN	0x1000
#define SHM_WRITE_LEN	0x1000

struct shm_region {
	struct pci_dev pci;
	struct vcap cap;
	bool found;
};

static bool take_shm_cap(const struct pci_dev *d, const struct vcap *c, void *ctx)
{
	struct shm_region *r = ctx;

	if (c->cfg_type != VIRTIO_PCI_CAP_SHARED_MEMORY_CFG ||
	    c->cap_len != sizeof(struct virtio_pci_cap64))
		return false;
	r->pci = *d;
	r->cap = *c;
	r->found = true;
	return true;
}

static bool visit_dev(struct pci_dev *d, void *ctx)
{
	if (d->vendor != VIRTIO_VENDOR)
		return false;
	vcap_for_each(d, take_shm_cap, ctx);
	return ((struct shm_region *)ctx)->found;
}

/* Parses "<a>:<b>" (both hex). */
static bool parse_pair(const char *arg, uint64_t *a, uint64_t *b)
{
	size_t n = strlen(arg), colon = 0;

	while (colon < n && arg[colon] != ':')
		colon++;
	return colon < n && parse_u64(arg, colon, 16, a) &&
	       parse_u64(arg + colon + 1, n - colon - 1, 16, b);
}

/* Locates the region and maps [off, off+len); returns its guest-physical address or 0. */
static uint64_t shm_map(uint64_t off, uint64_t len)
{
	struct shm_region r = { .found = false };
	uint64_t bar, base;

	pci_for_each(visit_dev, &r);
	if (!r.found) {
		test_fail("no virtio device with a shared memory capability");
		return 0;
	}
	pci_assign_bars(&r.pci);
	pci_enable(&r.pci);
	bar = pci_bar_base(&r.pci, r.cap.bar);
	if (!bar) {
		test_fail("bar %u of %02x:%02x.%x is unassigned or not memory", r.cap.bar, r.pci.bus,
			  r.pci.dev, r.pci.fn);
		return 0;
	}
	base = bar + r.cap.offset;
	gprintf("shm: id=%u base=0x%lx length=0x%lx\n", r.cap.id, base, r.cap.length);
	if (off > r.cap.length || len > r.cap.length - off) {
		test_fail("range 0x%lx+0x%lx outside the region (0x%lx)", off, len, r.cap.length);
		return 0;
	}
	if (map_identity(base + off, len)) {
		test_fail("cannot map 0x%lx+0x%lx", base + off, len);
		return 0;
	}
	return base + off;
}

int test_shm_read(const char *arg)
{
	uint64_t off = 0, len = SHM_DEFAULT_LEN, addr;

	if (arg && (!parse_pair(arg, &off, &len) || !len)) {
		test_fail("usage: shm-read=<offset>:<len> (hex)");
		return -1;
	}
	addr = shm_map(off, len);
	if (!addr)
		return -1;
	gprintf("shm: crc32=0x%08x\n", crc32((const void *)addr, len));
	return 0;
}

int test_shm_write(const char *arg)
{
	uint64_t off, byte, addr;

	if (!arg || !parse_pair(arg, &off, &byte) || byte > 0xff) {
		test_fail("usage: shm-write=<offset>:<byte> (hex)");
		return -1;
	}
	addr = shm_map(off, SHM_WRITE_LEN);
	if (!addr)
		return -1;
	memset((void *)addr, (int)byte, SHM_WRITE_LEN);
	for (uint64_t i = 0; i < SHM_WRITE_LEN; i++) {
		uint8_t got = *(volatile uint8_t *)(addr + i);

		if (got != byte) {
			test_fail("read back 0x%x at offset 0x%lx, wrote 0x%lx", got, off + i, byte);
			return -1;
		}
	}
	return 0;
}

/* Bounded: ~10^7 reads (a few seconds emulated at CPL0 on the CI's KVM, far less on hardware). */
#define SHM_WAIT_POLLS 20000000ULL

int test_shm_wait(const char *arg)
{
	uint64_t off, val, addr;

	if (!arg || !parse_pair(arg, &off, &val) || off % 8) {
		test_fail("usage: shm-wait=<offset>:<value> (hex, offset 8-byte aligned)");
		return -1;
	}
	addr = shm_map(off, 8);
	if (!addr)
		return -1;
	for (uint64_t i = 0; i < SHM_WAIT_POLLS; i++) {
		if (*(volatile uint64_t *)addr == val) {
			gprintf("shm: waited for 0x%lx\n", val);
			return 0;
		}
	}
	test_fail("u64 at 0x%lx is 0x%lx, never 0x%lx", off, *(volatile uint64_t *)addr, val);
	return -1;
}
