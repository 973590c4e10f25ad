// SPDX-License-Identifier: MIT
/*
 * virtio-pci modern registers: common configuration (feature negotiation, status state machine,
 * queue setup), ISR, device configuration and notifications.
 */
#include "virtio/virtio_pci.h"

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci/msix.h"
#include "virtio/virtio_pci_priv.h"
#include "util/log.h"

#define STATUS_KNOWN (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
		      VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_FAILED)

static void write_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("virtio-pci: eventfd write failed");
}

static void drain_fd(int fd)
{
	uint64_t cnt;

	if (fd >= 0 && read(fd, &cnt, sizeof(cnt)) < 0)
		return;
}

/*
 * ---- notification helpers (virtio_dev.h): device and backend-channel threads call them ----
 *
 * Those threads may run before the transport is registered and until after it is freed, so
 * dev->transport is published (virtio_pci_publish) under a process-wide rwlock that the helpers
 * hold for reading: they see NULL or a complete transport, never a freed one. Rare events only
 * (config change, needs reset), so one lock for every device is enough.
 */
static pthread_rwlock_t transport_lock = PTHREAD_RWLOCK_INITIALIZER;

void virtio_pci_publish(struct virtio_device *dev, struct virtio_pci *vp)
{
	pthread_rwlock_wrlock(&transport_lock);
	dev->transport = vp;
	pthread_rwlock_unlock(&transport_lock);
}

uint64_t virtio_pci_shm_gpa(const struct virtio_device *dev, unsigned int i)
{
	struct virtio_pci *vp;
	uint64_t gpa = ~0ULL, base;

	pthread_rwlock_rdlock(&transport_lock);
	vp = dev->transport;
	if (vp && i < dev->nr_shm) {
		base = __atomic_load_n(&vp->shm_gpa, __ATOMIC_RELAXED);
		if (base != PCI_BAR_UNMAPPED)
			gpa = base + vp->shm_bar_off[i];
	}
	pthread_rwlock_unlock(&transport_lock);
	return gpa;
}

static void config_changed(struct virtio_pci *vp)
{
	uint16_t vec;

	atomic_fetch_add(&vp->generation, 1);
	atomic_fetch_or(&vp->isr, VIRTIO_PCI_ISR_CONFIG);
	vec = atomic_load(&vp->msix_config);
	if (vec != VIRTIO_MSI_NO_VECTOR)
		write_fd(msix_vector_fd(vp->msix, vec));
}

void virtio_device_config_changed(struct virtio_device *dev)
{
	struct virtio_pci *vp;

	pthread_rwlock_rdlock(&transport_lock);
	vp = dev->transport;
	if (vp)
		config_changed(vp);
	pthread_rwlock_unlock(&transport_lock);
}

void virtio_device_needs_reset(struct virtio_device *dev)
{
	struct virtio_pci *vp;

	pthread_rwlock_rdlock(&transport_lock);
	vp = dev->transport;
	if (vp) {
		pr_warn_rl("%s: device needs reset", dev->name);
		atomic_store(&vp->needs_reset, true);
		config_changed(vp);
	}
	pthread_rwlock_unlock(&transport_lock);
}

uint64_t virtio_pci_offered_features(const struct virtio_device *dev)
{
	return dev->host_features & ~VIRTIO_PCI_UNSUPPORTED_FEATURES;
}

/* ---- reset ---- */

void virtio_pci_reset_locked(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;

	dev->ops->reset(dev);
	vp->active = false;
	vp->status = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = 0;
	dev->guest_features = 0;
	vp->queue_sel = 0;
	atomic_store(&vp->msix_config, VIRTIO_MSI_NO_VECTOR);
	atomic_store(&vp->needs_reset, false);
	atomic_store(&vp->isr, 0);
	for (unsigned int i = 0; i < dev->nr_queues; i++) {
		struct virtio_queue *q = &dev->queues[i];

		q->size = dev->max_queue_size;
		q->enabled = false;
		q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;
		q->call_fd = -1;
		drain_fd(q->kick_fd);
	}
	msix_drain(vp->msix);
}

/* ---- status state machine ---- */

static bool features_acceptable(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;
	uint64_t f = vp->driver_features, offered = virtio_pci_offered_features(dev);

	if (f & ~offered) {
		pr_warn_rl("%s: driver accepted unoffered features 0x%llx", dev->name,
			   (unsigned long long)(f & ~offered));
		return false;
	}
	if (!(f & (1ULL << VIRTIO_F_VERSION_1))) {
		pr_warn_rl("%s: driver did not accept VIRTIO_F_VERSION_1 (legacy is not supported)",
			   dev->name);
		return false;
	}
	if (dev->ops->set_features && dev->ops->set_features(dev, f) < 0)
		return false;
	dev->guest_features = f;
	return true;
}

static void driver_ok(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;
	int ret;

	if (!(vp->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		pr_warn_rl("%s: DRIVER_OK without FEATURES_OK", dev->name);
		virtio_device_needs_reset(dev);
		return;
	}
	ret = dev->ops->activate(dev);
	if (ret < 0) {
		pr_warn_rl("%s: activation failed: %s", dev->name, strerror(-ret));
		virtio_device_needs_reset(dev);
		return;
	}
	vp->active = true;
}

static void status_write(struct virtio_pci *vp, uint32_t val)
{
	uint8_t set;

	if (val == 0) {
		virtio_pci_reset_locked(vp);
		return;
	}
	/* Bits are only ever added by the driver; clearing needs a reset. */
	set = (uint8_t)(val & STATUS_KNOWN & ~vp->status);
	if ((set & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(vp))
		set &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	vp->status |= set;
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) && !vp->active)
		driver_ok(vp);
}

static uint32_t status_read(struct virtio_pci *vp)
{
	return vp->status | (atomic_load(&vp->needs_reset) ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
}

/* ---- common configuration fields ---- */

static struct virtio_queue *selected_queue(struct virtio_pci *vp)
{
	if (vp->queue_sel >= vp->vdev->nr_queues)
		return NULL;
	return &vp->vdev->queues[vp->queue_sel];
}

/* Queue setup is frozen once the queue is enabled or the device is live. */
static struct virtio_queue *writable_queue(struct virtio_pci *vp)
{
	struct virtio_queue *q = selected_queue(vp);

	if (!q || q->enabled || (vp->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return NULL;
	return q;
}

static uint16_t checked_vector(struct virtio_pci *vp, uint32_t v)
{
	if (v != VIRTIO_MSI_NO_VECTOR && msix_vector_fd(vp->msix, v) < 0)
		return VIRTIO_MSI_NO_VECTOR;
	return (uint16_t)v;
}

static uint32_t r_dfselect(struct virtio_pci *vp) { return vp->dfselect; }
static uint32_t r_gfselect(struct virtio_pci *vp) { return vp->gfselect; }
static uint32_t r_numq(struct virtio_pci *vp) { return vp->vdev->nr_queues; }
static uint32_t r_gen(struct virtio_pci *vp) { return atomic_load(&vp->generation) & 0xff; }
static uint32_t r_qsel(struct virtio_pci *vp) { return vp->queue_sel; }
static uint32_t r_msix(struct virtio_pci *vp) { return atomic_load(&vp->msix_config); }

static uint32_t r_df(struct virtio_pci *vp)
{
	uint64_t f = virtio_pci_offered_features(vp->vdev);

	return vp->dfselect < 2 ? (uint32_t)(f >> (32 * vp->dfselect)) : 0;
}

static uint32_t r_gf(struct virtio_pci *vp)
{
	return vp->gfselect < 2 ? (uint32_t)(vp->driver_features >> (32 * vp->gfselect)) : 0;
}

static void w_dfselect(struct virtio_pci *vp, uint32_t v) { vp->dfselect = v; }
static void w_gfselect(struct virtio_pci *vp, uint32_t v) { vp->gfselect = v; }
static void w_qsel(struct virtio_pci *vp, uint32_t v) { vp->queue_sel = (uint16_t)v; }

static void w_gf(struct virtio_pci *vp, uint32_t v)
{
	unsigned int shift;

	if (vp->gfselect >= 2 || (vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	shift = 32 * vp->gfselect;
	vp->driver_features = (vp->driver_features & ~(0xffffffffULL << shift)) | (uint64_t)v << shift;
}

static void w_msix(struct virtio_pci *vp, uint32_t v)
{
	atomic_store(&vp->msix_config, checked_vector(vp, v));
}

static uint32_t r_qsize(struct virtio_pci *vp)
{
	struct virtio_queue *q = selected_queue(vp);

	return q ? q->size : 0;
}

static void w_qsize(struct virtio_pci *vp, uint32_t v)
{
	struct virtio_queue *q = writable_queue(vp);

	if (q)
		q->size = (uint16_t)v;
}

static uint32_t r_qmsix(struct virtio_pci *vp)
{
	struct virtio_queue *q = selected_queue(vp);

	return q ? q->msix_vector : VIRTIO_MSI_NO_VECTOR;
}

static void w_qmsix(struct virtio_pci *vp, uint32_t v)
{
	struct virtio_queue *q = writable_queue(vp);

	if (!q)
		return;
	q->msix_vector = checked_vector(vp, v);
	q->call_fd = q->msix_vector == VIRTIO_MSI_NO_VECTOR ? -1 :
		     msix_vector_fd(vp->msix, q->msix_vector);
}

static uint32_t r_qenable(struct virtio_pci *vp)
{
	struct virtio_queue *q = selected_queue(vp);

	return q ? q->enabled : 0;
}

static void w_qenable(struct virtio_pci *vp, uint32_t v)
{
	struct virtio_queue *q = writable_queue(vp);
	struct virtio_device *dev = vp->vdev;

	if (!q || v != 1)
		return;
	if (q->size == 0 || (q->size & (q->size - 1)) || q->size > dev->max_queue_size) {
		pr_warn_rl("%s: queue %u enabled with invalid size %u", dev->name, vp->queue_sel, q->size);
		virtio_device_needs_reset(dev);
		return;
	}
	q->enabled = true;
}

static uint32_t r_qnoff(struct virtio_pci *vp)
{
	return selected_queue(vp) ? vp->queue_sel : 0;
}

static uint64_t *queue_addr(struct virtio_queue *q, unsigned int which)
{
	return which == 0 ? &q->desc_gpa : which == 1 ? &q->avail_gpa : &q->used_gpa;
}

/* Offsets 32..55: desc/avail/used, each lo then hi. */
static uint32_t queue_addr_read(struct virtio_pci *vp, uint32_t off)
{
	struct virtio_queue *q = selected_queue(vp);
	uint32_t idx = (off - VIRTIO_PCI_COMMON_Q_DESCLO) / 4;

	return q ? (uint32_t)(*queue_addr(q, idx / 2) >> (32 * (idx % 2))) : 0;
}

static void queue_addr_write(struct virtio_pci *vp, uint32_t off, uint32_t v)
{
	struct virtio_queue *q = writable_queue(vp);
	uint32_t idx = (off - VIRTIO_PCI_COMMON_Q_DESCLO) / 4;
	unsigned int shift = 32 * (idx % 2);
	uint64_t *a;

	if (!q)
		return;
	a = queue_addr(q, idx / 2);
	*a = (*a & ~(0xffffffffULL << shift)) | (uint64_t)v << shift;
}

struct common_field {
	uint8_t len;
	uint32_t (*read)(struct virtio_pci *vp);
	void (*write)(struct virtio_pci *vp, uint32_t v);
};

static const struct common_field common_fields[VIRTIO_PCI_COMMON_LEN] = {
	[VIRTIO_PCI_COMMON_DFSELECT] = { 4, r_dfselect, w_dfselect },
	[VIRTIO_PCI_COMMON_DF] = { 4, r_df, NULL },
	[VIRTIO_PCI_COMMON_GFSELECT] = { 4, r_gfselect, w_gfselect },
	[VIRTIO_PCI_COMMON_GF] = { 4, r_gf, w_gf },
	[VIRTIO_PCI_COMMON_MSIX] = { 2, r_msix, w_msix },
	[VIRTIO_PCI_COMMON_NUMQ] = { 2, r_numq, NULL },
	[VIRTIO_PCI_COMMON_STATUS] = { 1, status_read, status_write },
	[VIRTIO_PCI_COMMON_CFGGENERATION] = { 1, r_gen, NULL },
	[VIRTIO_PCI_COMMON_Q_SELECT] = { 2, r_qsel, w_qsel },
	[VIRTIO_PCI_COMMON_Q_SIZE] = { 2, r_qsize, w_qsize },
	[VIRTIO_PCI_COMMON_Q_MSIX] = { 2, r_qmsix, w_qmsix },
	[VIRTIO_PCI_COMMON_Q_ENABLE] = { 2, r_qenable, w_qenable },
	[VIRTIO_PCI_COMMON_Q_NOFF] = { 2, r_qnoff, NULL },
};

static void common_read(struct virtio_pci *vp, uint32_t off, void *data, uint32_t len)
{
	uint32_t v = 0;

	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_USEDHI + 4) {
		if (len == 4 && !(off & 3))
			v = queue_addr_read(vp, off);
	} else if (off < VIRTIO_PCI_COMMON_LEN && common_fields[off].read &&
		   common_fields[off].len == len) {
		v = common_fields[off].read(vp);
	}
	pci_le_put(data, v, len);
}

static void common_write(struct virtio_pci *vp, uint32_t off, const void *data, uint32_t len)
{
	uint32_t v = pci_le_get(data, len);

	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_USEDHI + 4) {
		if (len == 4 && !(off & 3))
			queue_addr_write(vp, off, v);
	} else if (off < VIRTIO_PCI_COMMON_LEN && common_fields[off].write &&
		   common_fields[off].len == len) {
		common_fields[off].write(vp, v);
	}
}

/* ---- the modern BAR ---- */

static void notify_write(struct virtio_pci *vp, uint32_t off)
{
	uint32_t q = off / VIRTIO_PCI_NOTIFY_MULT;

	/* With KVM the ioeventfd catches 2-byte writes; other widths and the harness land here. */
	if (q < vp->vdev->nr_queues)
		write_fd(vp->vdev->queues[q].kick_fd);
}

static void modern_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *dev = vp->vdev;

	if (len > 4) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_COMMON_LEN) {
		common_read(vp, (uint32_t)off, data, len);
	} else if (off == VIRTIO_PCI_ISR_OFF) {
		memset(data, 0, len);
		*(uint8_t *)data = (uint8_t)atomic_exchange(&vp->isr, 0);
	} else if (off >= VIRTIO_PCI_DEVCFG_OFF && off - VIRTIO_PCI_DEVCFG_OFF + len <= dev->config_size) {
		if (dev->ops->config_read)
			dev->ops->config_read(dev, (uint32_t)(off - VIRTIO_PCI_DEVCFG_OFF), data, len);
		else
			memset(data, 0, len);
	} else {
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void modern_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *dev = vp->vdev;

	if (len > 4)
		return;
	if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		notify_write(vp, (uint32_t)(off - VIRTIO_PCI_NOTIFY_OFF));
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_COMMON_LEN) {
		common_write(vp, (uint32_t)off, data, len);
	} else if (off >= VIRTIO_PCI_DEVCFG_OFF && off - VIRTIO_PCI_DEVCFG_OFF + len <= dev->config_size) {
		if (dev->ops->config_write)
			dev->ops->config_write(dev, (uint32_t)(off - VIRTIO_PCI_DEVCFG_OFF), data, len);
	}
	pthread_mutex_unlock(&vp->lock);
}

const struct bus_ops virtio_pci_modern_ops = { .read = modern_read, .write = modern_write };
