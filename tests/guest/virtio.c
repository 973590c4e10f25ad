// SPDX-License-Identifier: MIT
/* Test guest: virtio 1.x modern PCI transport, polling, split ring in guest RAM. */
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio.h"

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)
#define MAX_CAPS	48
#define SPIN_LIMIT	200000000ULL
#define TSC_LIMIT	10000000000ULL /* several seconds at any plausible TSC rate */
#define NO_VECTOR	0xffff

static uint8_t ring_mem[4096] __attribute__((aligned(4096)));

bool vcap_read(const struct pci_dev *d, uint8_t pos, struct vcap *c)
{
	if (pci_read8(d, pos + VIRTIO_PCI_CAP_VNDR) != 0x09)
		return false;
	c->cap_len = pci_read8(d, pos + VIRTIO_PCI_CAP_LEN);
	if (c->cap_len < sizeof(struct virtio_pci_cap) || pos + c->cap_len > 0x100)
		return false;
	c->cfg_type = pci_read8(d, pos + VIRTIO_PCI_CAP_CFG_TYPE);
	c->bar = pci_read8(d, pos + VIRTIO_PCI_CAP_BAR);
	c->id = pci_read8(d, pos + offsetof(struct virtio_pci_cap, id));
	c->offset = pci_read32(d, pos + VIRTIO_PCI_CAP_OFFSET);
	c->length = pci_read32(d, pos + VIRTIO_PCI_CAP_LENGTH);
	c->notify_mult = 0;
	if (c->cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG &&
	    c->cap_len >= sizeof(struct virtio_pci_cap64)) {
		c->offset |= (uint64_t)pci_read32(d, pos + offsetof(struct virtio_pci_cap64, offset_hi)) << 32;
		c->length |= (uint64_t)pci_read32(d, pos + offsetof(struct virtio_pci_cap64, length_hi)) << 32;
	}
	if (c->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG &&
	    c->cap_len >= sizeof(struct virtio_pci_notify_cap))
		c->notify_mult = pci_read32(d, pos + offsetof(struct virtio_pci_notify_cap,
							       notify_off_multiplier));
	return true;
}

void vcap_for_each(const struct pci_dev *d, vcap_fn fn, void *ctx)
{
	uint8_t pos = pci_cap_first(d);

	for (int i = 0; i < MAX_CAPS && pos >= 0x40; i++) {
		struct vcap c;

		if (vcap_read(d, pos, &c) && fn(d, &c, ctx))
			return;
		pos = pci_cap_next(d, pos);
	}
}

struct find_ctx {
	uint16_t device_id;
	struct pci_dev *out;
	bool found;
};

static bool match_dev(struct pci_dev *d, void *ctx)
{
	struct find_ctx *f = ctx;

	if (d->vendor != VIRTIO_VENDOR || d->device != f->device_id)
		return false;
	*f->out = *d;
	f->found = true;
	return true;
}

/* Resolves a capability to a mapped MMIO address; 0 when the BAR is unusable. */
static uint64_t cap_addr(const struct pci_dev *d, const struct vcap *c, uint64_t need)
{
	uint64_t base = pci_bar_base(d, c->bar);

	if (!base || c->length < need || base + c->offset < base)
		return 0;
	if (map_identity(base + c->offset, c->length))
		return 0;
	return base + c->offset;
}

static bool take_cap(const struct pci_dev *d, const struct vcap *c, void *ctx)
{
	struct vdev *v = ctx;

	switch (c->cfg_type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		if (!v->common)
			v->common = cap_addr(d, c, sizeof(struct virtio_pci_common_cfg));
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		if (!v->notify) {
			v->notify = cap_addr(d, c, 2);
			v->notify_mult = c->notify_mult;
			v->notify_len = c->length;
		}
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		if (!v->device)
			v->device = cap_addr(d, c, 4);
		break;
	}
	return false;
}

int vdev_find(struct vdev *v, uint16_t device_id)
{
	struct find_ctx f = { .device_id = device_id, .out = &v->pci };

	memset(v, 0, sizeof(*v));
	pci_for_each(match_dev, &f);
	if (!f.found) {
		test_fail("no %04x:%04x device on bus 0", VIRTIO_VENDOR, device_id);
		return -1;
	}
	pci_assign_bars(&v->pci);
	pci_enable(&v->pci);
	vcap_for_each(&v->pci, take_cap, v);
	if (!v->common || !v->notify || !v->device) {
		test_fail("missing or unusable virtio capability (common=%s notify=%s device=%s)",
			  v->common ? "ok" : "no", v->notify ? "ok" : "no", v->device ? "ok" : "no");
		return -1;
	}
	return 0;
}

static uint8_t get_status(struct vdev *v)
{
	return mmio_read8(v->common + CC(device_status));
}

static void set_status(struct vdev *v, uint8_t s)
{
	mmio_write8(v->common + CC(device_status), s);
}

void vdev_reset(struct vdev *v)
{
	set_status(v, 0);
	for (int i = 0; i < 100000 && get_status(v); i++)
		cpu_relax();
}

static int negotiate(struct vdev *v)
{
	uint32_t hi;

	mmio_write32(v->common + CC(device_feature_select), 1);
	hi = mmio_read32(v->common + CC(device_feature));
	if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
		test_fail("device does not offer VIRTIO_F_VERSION_1");
		return -1;
	}
	mmio_write32(v->common + CC(guest_feature_select), 0);
	mmio_write32(v->common + CC(guest_feature), 0);
	mmio_write32(v->common + CC(guest_feature_select), 1);
	mmio_write32(v->common + CC(guest_feature), 1u << (VIRTIO_F_VERSION_1 - 32));
	set_status(v, get_status(v) | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(get_status(v) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		test_fail("device rejected FEATURES_OK (status 0x%x)", get_status(v));
		return -1;
	}
	return 0;
}

static void write64(uint64_t addr, uint64_t v)
{
	mmio_write32(addr, (uint32_t)v);
	mmio_write32(addr + 4, v >> 32);
}

static int setup_queue(struct vdev *v)
{
	struct vqueue *q = &v->vq;
	uint16_t max, off;

	mmio_write16(v->common + CC(queue_select), 0);
	max = mmio_read16(v->common + CC(queue_size));
	if (!max) {
		test_fail("queue 0 not available");
		return -1;
	}
	if (mmio_read16(v->common + CC(queue_enable))) {
		test_fail("queue 0 enabled before setup");
		return -1;
	}
	q->size = max < VQ_SIZE ? max : VQ_SIZE;
	if (q->size & (q->size - 1)) {
		test_fail("queue size %u is not a power of two", q->size);
		return -1;
	}
	memset(ring_mem, 0, sizeof(ring_mem));
	q->desc = (struct vring_desc *)ring_mem;
	q->avail = (struct vring_avail *)(ring_mem + 0x400);
	q->used = (struct vring_used *)(ring_mem + 0x800);
	q->last_used = 0;
	mmio_write16(v->common + CC(queue_size), q->size);
	mmio_write16(v->common + CC(queue_msix_vector), NO_VECTOR);
	write64(v->common + CC(queue_desc_lo), (uint64_t)q->desc);
	write64(v->common + CC(queue_avail_lo), (uint64_t)q->avail);
	write64(v->common + CC(queue_used_lo), (uint64_t)q->used);
	off = mmio_read16(v->common + CC(queue_notify_off));
	if ((uint64_t)off * v->notify_mult + 2 > v->notify_len) {
		test_fail("queue_notify_off %u x %u outside the notify capability (0x%lx)", off,
			  v->notify_mult, v->notify_len);
		return -1;
	}
	q->notify = v->notify + (uint64_t)off * v->notify_mult;
	mmio_write16(v->common + CC(queue_enable), 1);
	return 0;
}

int vdev_start(struct vdev *v)
{
	vdev_reset(v);
	if (get_status(v)) {
		test_fail("device did not reset (status 0x%x)", get_status(v));
		return -1;
	}
	set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (negotiate(v))
		goto fail;
	mmio_write16(v->common + CC(msix_config), NO_VECTOR);
	if (setup_queue(v))
		goto fail;
	set_status(v, get_status(v) | VIRTIO_CONFIG_S_DRIVER_OK);
	if (get_status(v) & (VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)) {
		test_fail("device status 0x%x after DRIVER_OK", get_status(v));
		goto fail;
	}
	return 0;
fail:
	set_status(v, get_status(v) | VIRTIO_CONFIG_S_FAILED);
	return -1;
}

int vq_submit_wait(struct vdev *v, void *const bufs[], const uint32_t lens[], unsigned int n,
		   unsigned int out)
{
	struct vqueue *q = &v->vq;
	uint16_t avail_idx = q->avail->idx;
	uint64_t spins = 0, t0;

	if (n == 0 || n > q->size)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		q->desc[i].addr = (uint64_t)bufs[i];
		q->desc[i].len = lens[i];
		q->desc[i].flags = (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
				   (i >= out ? VRING_DESC_F_WRITE : 0);
		q->desc[i].next = i + 1 < n ? i + 1 : 0;
	}
	q->avail->ring[avail_idx % q->size] = 0;
	mb();
	q->avail->idx = avail_idx + 1;
	mb();
	mmio_write16(q->notify, 0);

	t0 = rdtsc();
	while (*(volatile uint16_t *)&q->used->idx == q->last_used) {
		if (++spins > SPIN_LIMIT || rdtsc() - t0 > TSC_LIMIT) {
			test_fail("timeout waiting for the used ring (status 0x%x)",
				  mmio_read8(v->common + CC(device_status)));
			return -1;
		}
		cpu_relax();
	}
	mb();
	struct vring_used_elem *e = &q->used->ring[q->last_used % q->size];

	q->last_used++;
	if (e->id != 0) {
		test_fail("used ring returned id %u, expected 0", e->id);
		return -1;
	}
	return 0;
}
