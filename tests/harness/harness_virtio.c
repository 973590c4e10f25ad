// SPDX-License-Identifier: MIT
/* Guest-driver harness: a virtio-pci modern driver (capabilities, negotiation, rings, MSI-X). */
#include "harness.h"
#include "util/clock.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pci/msix.h"

#define VIRTIO_VENDOR 0x1af4

static uint8_t cap_byte(struct hvirtio *v, unsigned int pos, unsigned int field)
{
	return (uint8_t)pci_cfg_read(v->h, v->slot, pos + field, 1);
}

static uint32_t cap_dword(struct hvirtio *v, unsigned int pos, unsigned int field)
{
	return pci_cfg_read(v->h, v->slot, pos + field, 4);
}

/* Linux virtio_pci_find_capability: first vendor cap of this type with a valid BAR. */
static unsigned int find_vcap(struct hvirtio *v, uint8_t type)
{
	for (unsigned int pos = harness_pci_find_cap(v->h, v->slot, PCI_CAP_ID_VNDR, 0); pos;
	     pos = harness_pci_find_cap(v->h, v->slot, PCI_CAP_ID_VNDR, pos)) {
		if (cap_byte(v, pos, offsetof(struct virtio_pci_cap, cfg_type)) == type &&
		    cap_byte(v, pos, offsetof(struct virtio_pci_cap, bar)) < 6)
			return pos;
	}
	return 0;
}

/* Linux vp_modern_map_capability: validates and returns the structure's gpa, 0 if invalid. */
static uint64_t map_vcap(struct hvirtio *v, unsigned int pos, uint32_t minlen, uint32_t align,
			 uint32_t *len)
{
	uint8_t bar = cap_byte(v, pos, offsetof(struct virtio_pci_cap, bar));
	uint32_t off = cap_dword(v, pos, offsetof(struct virtio_pci_cap, offset));
	uint32_t length = cap_dword(v, pos, offsetof(struct virtio_pci_cap, length));
	uint64_t bar_size = harness_pci_bar_size(v->h, v->slot, bar);

	if (length < minlen || (off & (align - 1)) || off + minlen < off ||
	    (uint64_t)off + minlen > bar_size)
		return 0;
	if (len)
		*len = length;
	return harness_pci_bar_addr(v->h, v->slot, bar) + off;
}

/* Linux virtio_pci_find_shm_cap, for every shm cap: cap_len must be 24. */
static void find_shm_caps(struct hvirtio *v)
{
	v->nr_shm = 0;
	for (unsigned int pos = harness_pci_find_cap(v->h, v->slot, PCI_CAP_ID_VNDR, 0); pos;
	     pos = harness_pci_find_cap(v->h, v->slot, PCI_CAP_ID_VNDR, pos)) {
		struct hvirtio_shm *s = &v->shm[v->nr_shm];
		uint64_t bar_size;

		if (cap_byte(v, pos, offsetof(struct virtio_pci_cap, cfg_type)) !=
		    VIRTIO_PCI_CAP_SHARED_MEMORY_CFG)
			continue;
		if (cap_byte(v, pos, offsetof(struct virtio_pci_cap, cap_len)) !=
		    sizeof(struct virtio_pci_cap64))
			continue;
		s->bar = cap_byte(v, pos, offsetof(struct virtio_pci_cap, bar));
		if (s->bar >= 6 || v->nr_shm == 16)
			continue;
		s->id = cap_byte(v, pos, offsetof(struct virtio_pci_cap, id));
		s->offset = cap_dword(v, pos, offsetof(struct virtio_pci_cap, offset)) |
			    (uint64_t)cap_dword(v, pos, offsetof(struct virtio_pci_cap64, offset_hi)) << 32;
		s->length = cap_dword(v, pos, offsetof(struct virtio_pci_cap, length)) |
			    (uint64_t)cap_dword(v, pos, offsetof(struct virtio_pci_cap64, length_hi)) << 32;
		bar_size = harness_pci_bar_size(v->h, v->slot, s->bar);
		if (s->offset + s->length < s->offset || s->offset + s->length > bar_size)
			continue;
		v->nr_shm++;
	}
}

static int setup_msix(struct hvirtio *v)
{
	unsigned int pos = harness_pci_find_cap(v->h, v->slot, PCI_CAP_ID_MSIX, 0);
	uint32_t table;

	if (!pos)
		return -ENODEV;
	v->msix_cap = pos;
	v->nr_vectors = (pci_cfg_read(v->h, v->slot, pos + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	table = pci_cfg_read(v->h, v->slot, pos + PCI_MSIX_TABLE, 4);
	v->msix_table = harness_pci_bar_addr(v->h, v->slot, table & PCI_MSIX_TABLE_BIR) +
			(table & PCI_MSIX_TABLE_OFFSET);
	/* Linux order: enable with all functions masked, program entries, unmask the function. */
	pci_cfg_write(v->h, v->slot, pos + PCI_MSIX_FLAGS,
		      PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	for (unsigned int i = 0; i < v->nr_vectors; i++) {
		uint64_t e = v->msix_table + 16ULL * i;

		harness_mmio_write(v->h, e + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000u, 4);
		harness_mmio_write(v->h, e + PCI_MSIX_ENTRY_UPPER_ADDR, 0, 4);
		harness_mmio_write(v->h, e + PCI_MSIX_ENTRY_DATA, 0x4000 + i, 4);
		harness_mmio_write(v->h, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	}
	pci_cfg_write(v->h, v->slot, pos + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	return 0;
}

int hvirtio_init(struct hvirtio *v, struct harness *h, unsigned int slot)
{
	unsigned int common, notify, isr, device;
	uint16_t cmd;

	memset(v, 0, sizeof(*v));
	v->h = h;
	v->slot = slot;
	v->config_vector = VIRTIO_MSI_NO_VECTOR;
	v->pdev = pci_bus_get_dev(h->pci, slot);
	if ((pci_cfg_read(h, slot, PCI_VENDOR_ID, 2)) != VIRTIO_VENDOR || !v->pdev)
		return -ENODEV;
	cmd = (uint16_t)pci_cfg_read(h, slot, PCI_COMMAND, 2);
	pci_cfg_write(h, slot, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	common = find_vcap(v, VIRTIO_PCI_CAP_COMMON_CFG);
	notify = find_vcap(v, VIRTIO_PCI_CAP_NOTIFY_CFG);
	isr = find_vcap(v, VIRTIO_PCI_CAP_ISR_CFG);
	device = find_vcap(v, VIRTIO_PCI_CAP_DEVICE_CFG);
	if (!common || !notify || !isr)
		return -ENODEV;
	v->common = map_vcap(v, common, sizeof(struct virtio_pci_common_cfg), 4, NULL);
	v->isr = map_vcap(v, isr, 1, 1, NULL);
	v->notify_mult = cap_dword(v, notify, offsetof(struct virtio_pci_notify_cap, notify_off_multiplier));
	v->notify = map_vcap(v, notify, 2, 2, &v->notify_len);
	if (device)
		v->device = map_vcap(v, device, 0, 4, &v->device_len);
	if (!v->common || !v->isr || !v->notify)
		return -ENODEV;
	find_shm_caps(v);
	v->nr_queues = hvirtio_common_read(v, VIRTIO_PCI_COMMON_NUMQ, 2);
	if (v->nr_queues > VIRTIO_MAX_QUEUES)
		return -EINVAL;
	return setup_msix(v);
}

static void free_queue(struct hvq *q)
{
	free(q->next);
	free(q->chain_len);
	q->next = q->chain_len = NULL;
	q->ready = false;
}

void hvirtio_cleanup(struct hvirtio *v)
{
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		free_queue(&v->vq[i]);
}

uint32_t hvirtio_common_read(struct hvirtio *v, uint32_t off, unsigned int len)
{
	return (uint32_t)harness_mmio_read(v->h, v->common + off, len);
}

void hvirtio_common_write(struct hvirtio *v, uint32_t off, uint32_t val, unsigned int len)
{
	harness_mmio_write(v->h, v->common + off, val, len);
}

uint8_t hvirtio_get_status(struct hvirtio *v)
{
	return (uint8_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_STATUS, 1);
}

void hvirtio_set_status(struct hvirtio *v, uint8_t status)
{
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_STATUS, status, 1);
}

int hvirtio_reset(struct hvirtio *v)
{
	hvirtio_set_status(v, 0);
	for (int i = 0; i < 1000; i++) {
		if (hvirtio_get_status(v) == 0) {
			hvirtio_cleanup(v);
			v->features = 0;
			return 0;
		}
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return -ETIMEDOUT;
}

uint64_t hvirtio_device_features(struct hvirtio *v)
{
	uint64_t f;

	hvirtio_common_write(v, VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
	f = hvirtio_common_read(v, VIRTIO_PCI_COMMON_DF, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
	return f | (uint64_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

int hvirtio_negotiate(struct hvirtio *v, uint64_t features)
{
	int ret = hvirtio_reset(v);

	if (ret < 0)
		return ret;
	hvirtio_set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	hvirtio_set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32), 4);
	hvirtio_set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(hvirtio_get_status(v) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -EIO;
	v->features = features;
	return 0;
}

uint16_t hvirtio_set_config_vector(struct hvirtio *v, uint16_t vector)
{
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_MSIX, vector, 2);
	v->config_vector = (uint16_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_MSIX, 2);
	return v->config_vector;
}

static int alloc_queue(struct hvirtio *v, struct hvq *q, uint16_t size)
{
	q->size = size;
	q->desc = harness_alloc(v->h, 16ULL * size, 4096);
	q->avail = harness_alloc(v->h, 6 + 2ULL * size, 4096);
	q->used = harness_alloc(v->h, 6 + 8ULL * size, 4096);
	q->next = calloc(size, sizeof(*q->next));
	q->chain_len = calloc(size, sizeof(*q->chain_len));
	if (!q->desc || !q->avail || !q->used || !q->next || !q->chain_len) {
		free_queue(q);
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < size; i++)
		q->next[i] = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = size;
	q->avail_idx = q->last_used = q->kicked_avail = 0;
	return 0;
}

int hvirtio_setup_queue(struct hvirtio *v, unsigned int qi, uint16_t size, uint16_t vector)
{
	struct hvq *q = &v->vq[qi];
	uint16_t max, noff;
	int ret;

	if (qi >= v->nr_queues)
		return -EINVAL;
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_SELECT, qi, 2);
	max = (uint16_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	if (size == 0)
		size = max;
	if (max == 0 || size > max)
		return -EINVAL;
	free_queue(q);
	ret = alloc_queue(v, q, size);
	if (ret < 0)
		return ret;
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_MSIX, vector, 2);
	q->vector = (uint16_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_Q_MSIX, 2);
	if (q->vector != vector)
		return -EBUSY;
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)q->desc, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(q->desc >> 32), 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)q->avail, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(q->avail >> 32), 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)q->used, 4);
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(q->used >> 32), 4);
	noff = (uint16_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_Q_NOFF, 2);
	if ((uint64_t)noff * v->notify_mult + 2 > v->notify_len)
		return -EINVAL;
	q->notify_addr = v->notify + (uint64_t)noff * v->notify_mult;
	hvirtio_common_write(v, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	q->ready = true;
	return 0;
}

void hvirtio_driver_ok(struct hvirtio *v)
{
	hvirtio_set_status(v, hvirtio_get_status(v) | VIRTIO_CONFIG_S_DRIVER_OK);
}

int hvirtio_start(struct hvirtio *v, uint64_t features, unsigned int nr_queues)
{
	int ret = hvirtio_negotiate(v, features);

	if (ret < 0)
		return ret;
	if (hvirtio_set_config_vector(v, 0) != 0)
		return -EBUSY;
	for (unsigned int q = 0; q < nr_queues; q++) {
		ret = hvirtio_setup_queue(v, q, 0, (uint16_t)(q + 1));
		if (ret < 0)
			return ret;
	}
	hvirtio_driver_ok(v);
	return (hvirtio_get_status(v) & VIRTIO_CONFIG_S_NEEDS_RESET) ? -EIO : 0;
}

uint32_t hvirtio_config_read(struct hvirtio *v, uint32_t off, unsigned int len)
{
	return (uint32_t)harness_mmio_read(v->h, v->device + off, len);
}

void hvirtio_config_write(struct hvirtio *v, uint32_t off, uint32_t val, unsigned int len)
{
	harness_mmio_write(v->h, v->device + off, val, len);
}

uint8_t hvirtio_config_generation(struct hvirtio *v)
{
	return (uint8_t)hvirtio_common_read(v, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
}

bool hvirtio_vector_fired(struct hvirtio *v, uint16_t vector)
{
	return msix_poll(v->pdev->msix, vector);
}

bool hvirtio_wait_vector(struct hvirtio *v, uint16_t vector, int timeout_ms)
{
	int fd = msix_vector_fd(v->pdev->msix, vector);
	int64_t end = monotonic_ms() + timeout_ms;

	if (fd < 0)
		return false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - monotonic_ms();

		if (msix_poll(v->pdev->msix, vector))
			return true;
		if (left <= 0)
			return false;
		poll(&p, 1, (int)left);
	}
}

/* ---- rings ---- */

static struct vring_desc *desc_at(struct hvirtio *v, struct hvq *q, unsigned int i)
{
	return harness_ptr(v->h, q->desc + 16ULL * i, 16);
}

struct vring_desc *hvq_desc(struct hvirtio *v, unsigned int qi, unsigned int i)
{
	return desc_at(v, &v->vq[qi], i);
}

void hvq_publish(struct hvirtio *v, unsigned int qi, uint16_t head)
{
	struct hvq *q = &v->vq[qi];
	struct vring_avail *avail = harness_ptr(v->h, q->avail, 6 + 2ULL * q->size);

	/*
	 * Atomic like the device's load of it: a test that republishes heads against the spec
	 * (test_blk's in-flight bound) rewrites entries the device may be reading.
	 */
	__atomic_store_n(&avail->ring[q->avail_idx & (q->size - 1)], head, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->avail_idx++;
	__atomic_store_n(&avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

int hvq_add(struct hvirtio *v, unsigned int qi, const struct hvbuf *bufs, unsigned int n)
{
	struct hvq *q = &v->vq[qi];
	uint16_t head, i;

	if (!q->ready || n == 0 || n > q->num_free)
		return -ENOSPC;
	head = i = q->free_head;
	for (unsigned int k = 0; k < n; k++) {
		struct vring_desc *d = desc_at(v, q, i);

		d->addr = bufs[k].gpa;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].write ? VRING_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VRING_DESC_F_NEXT : 0));
		d->next = k + 1 < n ? q->next[i] : 0;
		if (k + 1 < n)
			i = q->next[i];
	}
	q->free_head = q->next[i];
	q->num_free = (uint16_t)(q->num_free - n);
	q->chain_len[head] = (uint16_t)n;
	hvq_publish(v, qi, head);
	return head;
}

int hvq_add_indirect(struct hvirtio *v, unsigned int qi, uint64_t table_gpa, unsigned int n)
{
	struct hvq *q = &v->vq[qi];
	struct vring_desc *d;
	uint16_t head;

	if (!q->ready || n == 0 || q->num_free == 0)
		return -ENOSPC;
	head = q->free_head;
	d = desc_at(v, q, head);
	d->addr = table_gpa;
	d->len = 16 * n;
	d->flags = VRING_DESC_F_INDIRECT;
	d->next = 0;
	q->free_head = q->next[head];
	q->num_free--;
	q->chain_len[head] = 1;
	hvq_publish(v, qi, head);
	return head;
}

void hvq_kick(struct hvirtio *v, unsigned int qi)
{
	harness_mmio_write(v->h, v->vq[qi].notify_addr, qi, 2);
}

uint16_t hvq_avail_event(struct hvirtio *v, unsigned int qi);

bool hvq_notify(struct hvirtio *v, unsigned int qi)
{
	struct hvq *q = &v->vq[qi];
	uint16_t old = q->kicked_avail, new = q->avail_idx;
	bool need;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (v->features & (1ULL << VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t event = hvq_avail_event(v, qi);

		need = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	} else {
		struct vring_used *used = harness_ptr(v->h, q->used, 4);

		need = !(__atomic_load_n(&used->flags, __ATOMIC_ACQUIRE) & VRING_USED_F_NO_NOTIFY);
	}
	q->kicked_avail = new;
	if (need)
		hvq_kick(v, qi);
	return need;
}

uint16_t hvq_used_idx(struct hvirtio *v, unsigned int qi)
{
	struct vring_used *used = harness_ptr(v->h, v->vq[qi].used, 4);

	return __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
}

/* Returns descriptors of a completed chain to the free list (our shadow links). */
static void free_chain(struct hvq *q, uint16_t head)
{
	uint16_t n = q->chain_len[head], last = head;

	if (n == 0)
		return;
	for (uint16_t k = 1; k < n; k++)
		last = q->next[last];
	q->next[last] = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	q->chain_len[head] = 0;
}

void hvq_set_used_event(struct hvirtio *v, unsigned int qi, uint16_t idx)
{
	struct hvq *q = &v->vq[qi];
	uint16_t *ev = harness_ptr(v->h, q->avail + 4 + 2ULL * q->size, 2);

	__atomic_store_n(ev, idx, __ATOMIC_RELEASE);
}

uint16_t hvq_avail_event(struct hvirtio *v, unsigned int qi)
{
	struct hvq *q = &v->vq[qi];
	uint16_t *ev = harness_ptr(v->h, q->used + 4 + 8ULL * q->size, 2);

	return __atomic_load_n(ev, __ATOMIC_ACQUIRE);
}

int hvq_get_used(struct hvirtio *v, unsigned int qi, uint32_t *len)
{
	struct hvq *q = &v->vq[qi];
	struct vring_used *used = harness_ptr(v->h, q->used, 6 + 8ULL * q->size);
	struct vring_used_elem e;

	if (hvq_used_idx(v, qi) == q->last_used) {
		if (!(v->features & (1ULL << VIRTIO_RING_F_EVENT_IDX)))
			return -EAGAIN;
		/*
		 * EVENT_IDX: ask for an interrupt when the next element is used (used_event =
		 * last_used, as Linux's virtqueue_enable_cb), then look again: the device may have
		 * used one before it could see the new used_event.
		 */
		hvq_set_used_event(v, qi, q->last_used);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (hvq_used_idx(v, qi) == q->last_used)
			return -EAGAIN;
	}
	e = used->ring[q->last_used & (q->size - 1)];
	q->last_used++;
	if (e.id >= q->size)
		return -EPROTO;
	if (len)
		*len = e.len;
	free_chain(q, (uint16_t)e.id);
	return (int)e.id;
}

int hvq_wait_used(struct hvirtio *v, unsigned int qi, int timeout_ms, uint32_t *len)
{
	int64_t end = monotonic_ms() + timeout_ms;
	uint16_t vec = v->vq[qi].vector;

	for (;;) {
		int head = hvq_get_used(v, qi, len);
		int64_t left = end - monotonic_ms();

		if (head != -EAGAIN)
			return head;
		if (left <= 0)
			return -ETIMEDOUT;
		if (vec == VIRTIO_MSI_NO_VECTOR)
			nanosleep(&(struct timespec){ 0, 200000 }, NULL);
		else
			hvirtio_wait_vector(v, vec, (int)(left < 50 ? left : 50));
	}
}
