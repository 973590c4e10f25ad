// SPDX-License-Identifier: MIT
/* Guest-driver harness: machine, guest RAM allocator, vCPU-style accesses, PCI config access. */
#include "harness.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci/pci.h"
#include "virtio/blk.h"
#include "virtio/virtio_pci.h"
#include "arch/x86/layout.h"

static struct harness *create(uint64_t ram_size, bool kvm, enum guest_mem_backing backing)
{
	struct harness *h = calloc(1, sizeof(*h));
	char err[256] = "";
	int ret;

	if (!h)
		return NULL;
	ret = kvm ? vm_init(&h->vm, ram_size, backing, err, sizeof(err)) :
		    vm_init_harness_backed(&h->vm, ram_size, backing);
	if (ret < 0) {
		fprintf(stderr, "harness: %s: %s\n", kvm ? "vm_init" : "vm_init_harness",
			err[0] ? err : strerror(-ret));
		free(h);
		return NULL;
	}
	h->pci = pci_bus_create(&h->vm, err, sizeof(err));
	if (!h->pci) {
		fprintf(stderr, "harness: pci_bus_create: %s\n", err);
		vm_destroy(&h->vm);
		free(h);
		return NULL;
	}
	h->alloc_next = HARNESS_ALLOC_BASE;
	h->alloc_end = h->vm.mem.regions[0].size;
	return h;
}

struct harness *harness_create(uint64_t ram_size)
{
	return create(ram_size, false, GUEST_MEM_MEMFD);
}

struct harness *harness_create_anon(uint64_t ram_size)
{
	return create(ram_size, false, GUEST_MEM_ANON);
}

struct harness *harness_create_kvm(uint64_t ram_size)
{
	return create(ram_size, true, GUEST_MEM_MEMFD);
}

void harness_destroy(struct harness *h)
{
	if (!h)
		return;
	pci_bus_destroy(h->pci);
	for (unsigned int i = 0; i < h->nr_devs; i++)
		if (h->devs[i].destroy)
			h->devs[i].destroy(h->devs[i].dev);
	vm_destroy(&h->vm);
	free(h);
}

int harness_add_virtio(struct harness *h, struct virtio_device *dev,
		       void (*destroy)(struct virtio_device *dev))
{
	char err[256];
	int ret;

	if (h->nr_devs == HARNESS_MAX_DEVICES)
		return -ENOSPC;
	ret = virtio_pci_add(h->pci, dev, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "harness: %s: %s\n", dev->name ? dev->name : "virtio", err);
		return ret;
	}
	h->devs[h->nr_devs].dev = dev;
	h->devs[h->nr_devs].destroy = destroy;
	h->nr_devs++;
	for (unsigned int slot = 1; slot < PCI_MAX_DEVICES; slot++) {
		struct pci_dev *p = pci_bus_get_dev(h->pci, slot);

		if (p && p->opaque == dev->transport)
			return (int)slot;
	}
	return -ENOENT;
}

int harness_add_blk_cfg(struct harness *h, const struct disk_config *cfg, unsigned int nr_queues)
{
	struct virtio_device *dev;
	char err[256];
	int slot;

	dev = virtio_blk_create_mq(&h->vm, cfg, nr_queues, err, sizeof(err));
	if (!dev) {
		fprintf(stderr, "harness: %s\n", err);
		return -EINVAL;
	}
	slot = harness_add_virtio(h, dev, virtio_blk_destroy);
	if (slot < 0 && slot != -ENOENT)
		virtio_blk_destroy(dev);
	return slot;
}

int harness_add_blk_mq(struct harness *h, const char *path, bool readonly, const char *id,
		       unsigned int nr_queues)
{
	struct disk_config cfg = { .path = (char *)path, .readonly = readonly, .id = (char *)id };

	return harness_add_blk_cfg(h, &cfg, nr_queues);
}

int harness_add_blk(struct harness *h, const char *path, bool readonly, const char *id)
{
	return harness_add_blk_mq(h, path, readonly, id, 1);
}

uint64_t harness_alloc(struct harness *h, uint64_t size, uint64_t align)
{
	uint64_t a;
	void *p;

	if (align == 0)
		align = 8;
	a = (h->alloc_next + align - 1) & ~(align - 1);
	if (a < h->alloc_next || a > h->alloc_end || h->alloc_end - a < size)
		return 0;
	h->alloc_next = a + size;
	p = harness_ptr(h, a, size);
	memset(p, 0, size);
	return a;
}

void *harness_ptr(struct harness *h, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&h->vm.mem, gpa, len);
}

void harness_memwrite(struct harness *h, uint64_t gpa, const void *buf, size_t len)
{
	if (guest_mem_write(&h->vm.mem, gpa, buf, len) < 0)
		fprintf(stderr, "harness: write outside RAM at 0x%llx\n", (unsigned long long)gpa);
}

void harness_memread(struct harness *h, uint64_t gpa, void *buf, size_t len)
{
	if (guest_mem_read(&h->vm.mem, gpa, buf, len) < 0) {
		fprintf(stderr, "harness: read outside RAM at 0x%llx\n", (unsigned long long)gpa);
		memset(buf, 0xff, len);
	}
}

uint32_t harness_pio_read(struct harness *h, uint16_t port, unsigned int len)
{
	uint8_t buf[4];

	bus_access(&h->vm.pio_bus, port, buf, len, false);
	return pci_le_get(buf, len);
}

void harness_pio_write(struct harness *h, uint16_t port, uint32_t val, unsigned int len)
{
	uint8_t buf[4];

	pci_le_put(buf, val, len);
	bus_access(&h->vm.pio_bus, port, buf, len, true);
}

uint64_t harness_mmio_read(struct harness *h, uint64_t addr, unsigned int len)
{
	uint8_t buf[8];
	uint64_t v = 0;

	bus_access(&h->vm.mmio_bus, addr, buf, len, false);
	for (unsigned int i = 0; i < len; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

void harness_mmio_write(struct harness *h, uint64_t addr, uint64_t val, unsigned int len)
{
	uint8_t buf[8];

	for (unsigned int i = 0; i < len; i++)
		buf[i] = (uint8_t)(val >> (8 * i));
	bus_access(&h->vm.mmio_bus, addr, buf, len, true);
}

static uint32_t cf8(unsigned int slot, unsigned int off)
{
	return 0x80000000u | (slot & 0x1f) << 11 | (off & 0xfc);
}

uint32_t pci_cfg_read(struct harness *h, unsigned int slot, unsigned int off, unsigned int len)
{
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, cf8(slot, off), 4);
	return harness_pio_read(h, (uint16_t)(PORT_PCI_CONFIG_DATA + (off & 3)), len);
}

void pci_cfg_write(struct harness *h, unsigned int slot, unsigned int off, uint32_t val,
		   unsigned int len)
{
	harness_pio_write(h, PORT_PCI_CONFIG_ADDR, cf8(slot, off), 4);
	harness_pio_write(h, (uint16_t)(PORT_PCI_CONFIG_DATA + (off & 3)), val, len);
}

uint32_t pci_ecam_read(struct harness *h, unsigned int slot, unsigned int off, unsigned int len)
{
	return (uint32_t)harness_mmio_read(h, LAYOUT_PCI_ECAM_BASE + (slot << 15) + off, len);
}

void pci_ecam_write(struct harness *h, unsigned int slot, unsigned int off, uint32_t val,
		    unsigned int len)
{
	harness_mmio_write(h, LAYOUT_PCI_ECAM_BASE + (slot << 15) + off, val, len);
}

int harness_pci_find(struct harness *h, uint16_t vendor, uint16_t device, unsigned int from)
{
	for (unsigned int slot = from; slot < PCI_MAX_DEVICES; slot++) {
		uint32_t id = pci_cfg_read(h, slot, PCI_VENDOR_ID, 4);

		if ((id & 0xffff) == vendor && (device == 0xffff || id >> 16 == device))
			return (int)slot;
	}
	return -ENOENT;
}

unsigned int harness_pci_find_cap(struct harness *h, unsigned int slot, uint8_t cap_id,
				  unsigned int prev)
{
	unsigned int pos, ttl = 48;

	if (prev == 0) {
		if (!(pci_cfg_read(h, slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
			return 0;
		pos = pci_cfg_read(h, slot, PCI_CAPABILITY_LIST, 1);
	} else {
		pos = pci_cfg_read(h, slot, prev + PCI_CAP_LIST_NEXT, 1);
	}
	/* Like Linux's __pci_find_next_cap_ttl: dword-aligned, >= 0x40, bounded walk. */
	while (ttl-- && pos >= 0x40) {
		pos &= ~3u;
		if (pci_cfg_read(h, slot, pos + PCI_CAP_LIST_ID, 1) == cap_id)
			return pos;
		pos = pci_cfg_read(h, slot, pos + PCI_CAP_LIST_NEXT, 1);
	}
	return 0;
}

static bool bar_is64(struct harness *h, unsigned int slot, unsigned int bar)
{
	uint32_t lo = pci_cfg_read(h, slot, PCI_BASE_ADDRESS_0 + 4 * bar, 4);

	return (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
}

uint64_t harness_pci_bar_addr(struct harness *h, unsigned int slot, unsigned int bar)
{
	uint64_t addr = pci_cfg_read(h, slot, PCI_BASE_ADDRESS_0 + 4 * bar, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (bar < 5 && bar_is64(h, slot, bar))
		addr |= (uint64_t)pci_cfg_read(h, slot, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), 4) << 32;
	return addr;
}

uint64_t harness_pci_bar_size(struct harness *h, unsigned int slot, unsigned int bar)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint16_t cmd = (uint16_t)pci_cfg_read(h, slot, PCI_COMMAND, 2);
	bool is64 = bar < 5 && bar_is64(h, slot, bar);
	uint32_t lo = pci_cfg_read(h, slot, reg, 4), hi = 0, mlo, mhi = 0xffffffffu;
	uint64_t mask;

	/* As Linux's __pci_read_base: decoding off while the BAR holds the all-ones pattern. */
	pci_cfg_write(h, slot, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	pci_cfg_write(h, slot, reg, 0xffffffffu, 4);
	mlo = pci_cfg_read(h, slot, reg, 4);
	pci_cfg_write(h, slot, reg, lo, 4);
	if (is64) {
		hi = pci_cfg_read(h, slot, reg + 4, 4);
		pci_cfg_write(h, slot, reg + 4, 0xffffffffu, 4);
		mhi = pci_cfg_read(h, slot, reg + 4, 4);
		pci_cfg_write(h, slot, reg + 4, hi, 4);
	}
	pci_cfg_write(h, slot, PCI_COMMAND, cmd, 2);
	mask = (uint64_t)mhi << 32 | (mlo & PCI_BASE_ADDRESS_MEM_MASK);
	if ((mlo & PCI_BASE_ADDRESS_MEM_MASK) == 0 && !is64)
		return 0;
	return ~mask + 1;
}

void harness_pci_bar_move(struct harness *h, unsigned int slot, unsigned int bar, uint64_t addr)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint16_t cmd = (uint16_t)pci_cfg_read(h, slot, PCI_COMMAND, 2);
	bool is64 = bar < 5 && bar_is64(h, slot, bar);

	pci_cfg_write(h, slot, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	pci_cfg_write(h, slot, reg, (uint32_t)addr, 4);
	if (is64)
		pci_cfg_write(h, slot, reg + 4, (uint32_t)(addr >> 32), 4);
	pci_cfg_write(h, slot, PCI_COMMAND, cmd, 2);
}

char *harness_temp_image(uint64_t size, uint32_t seed)
{
	char tmpl[] = "/tmp/microvm-test-XXXXXX";
	uint8_t buf[4096];
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return NULL;
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = seed ? harness_pattern_byte(seed, off + i) : 0;
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			close(fd);
			unlink(tmpl);
			return NULL;
		}
	}
	close(fd);
	return strdup(tmpl);
}
