// SPDX-License-Identifier: MIT
/* virtio-pci transport setup: PCI identity, capabilities, BARs, ioeventfds, shm memslots. */
#include "virtio/virtio_pci.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mm/shm_region.h"
#include "pci/msix.h"
#include "virtio/virtio_pci_priv.h"
#include "util/err.h"
#include "util/log.h"
#include "kvm/vm.h"

static uint32_t class_of(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return 0x020000;   /* network controller */
	case VIRTIO_ID_BLOCK:
		return 0x018000;   /* mass storage, other */
	case VIRTIO_ID_CONSOLE:
		return 0x078000;   /* communication, other */
	default:
		return 0xff0000;   /* unassigned class */
	}
}

/* ---- ioeventfds on the notify area ---- */

static void notify_ioeventfds(struct virtio_pci *vp, uint64_t bar_gpa, bool assign)
{
	struct virtio_device *dev = vp->vdev;

	for (unsigned int i = 0; i < dev->nr_queues; i++) {
		uint64_t addr = bar_gpa + VIRTIO_PCI_NOTIFY_OFF + (uint64_t)i * VIRTIO_PCI_NOTIFY_MULT;
		int ret = vm_ioeventfd(vp->vm, addr, 2, dev->queues[i].kick_fd, false, assign);

		if (ret < 0)
			pr_warn_rl("%s: cannot %s ioeventfd for queue %u at 0x%llx: %d", dev->name,
				assign ? "assign" : "remove", i, (unsigned long long)addr, ret);
	}
}

/* ---- shared-memory BAR memslots ---- */

static void shm_memslots(struct virtio_pci *vp, uint64_t old_gpa, uint64_t new_gpa)
{
	struct virtio_device *dev = vp->vdev;

	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		struct shm_region *r = dev->shm[i];
		uint64_t off = vp->shm_bar_off[i];
		int ret;

		if (vp->shm_slots[i] < 0)
			continue;
		if (old_gpa != PCI_BAR_UNMAPPED)
			vm_memslot_set(vp->vm, vp->shm_slots[i], old_gpa + off, 0, NULL, false);
		if (new_gpa == PCI_BAR_UNMAPPED)
			continue;
		ret = vm_memslot_set(vp->vm, vp->shm_slots[i], new_gpa + off, r->size, r->hva, false);
		if (ret < 0)
			pr_warn_rl("%s: cannot map shm region %u at 0x%llx: %d", dev->name, r->id,
				(unsigned long long)(new_gpa + off), ret);
	}
}

static void vp_bar_moved(struct pci_dev *pdev, int bar, uint64_t old_gpa, uint64_t new_gpa)
{
	struct virtio_pci *vp = pdev->opaque;

	pthread_mutex_lock(&vp->lock);
	if (bar == VIRTIO_PCI_MODERN_BAR) {
		if (old_gpa != PCI_BAR_UNMAPPED)
			notify_ioeventfds(vp, old_gpa, false);
		if (new_gpa != PCI_BAR_UNMAPPED)
			notify_ioeventfds(vp, new_gpa, true);
		vp->modern_gpa = new_gpa;
	} else if (bar == VIRTIO_PCI_SHM_BAR) {
		shm_memslots(vp, old_gpa, new_gpa);
		__atomic_store_n(&vp->shm_gpa, new_gpa, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&vp->lock);
}

/* ---- VIRTIO_PCI_CAP_PCI_CFG: BAR access through a config-space window ---- */

static bool pci_cfg_window(struct virtio_pci *vp, uint32_t offset, uint32_t len, uint32_t *boff,
			   uint32_t *blen)
{
	const uint8_t *c = &vp->pdev.cfg[vp->pci_cfg_cap];
	uint32_t data_off = (uint32_t)vp->pci_cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (vp->pci_cfg_cap <= 0 || offset != data_off || len != 4)
		return false;
	*boff = pci_le_get(c + VIRTIO_PCI_CAP_OFFSET, 4);
	*blen = pci_le_get(c + VIRTIO_PCI_CAP_LENGTH, 4);
	/* Only the modern BAR, naturally aligned 1/2/4-byte accesses inside it. */
	return c[VIRTIO_PCI_CAP_BAR] == VIRTIO_PCI_MODERN_BAR && (*blen == 1 || *blen == 2 || *blen == 4) &&
	       !(*boff & (*blen - 1)) && *boff < VIRTIO_PCI_MODERN_BAR_SIZE;
}

static bool vp_cfg_read(struct pci_dev *pdev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_pci *vp = pdev->opaque;
	uint32_t boff, blen;

	if (!pci_cfg_window(vp, offset, len, &boff, &blen))
		return false;
	memset(data, 0, len);
	virtio_pci_modern_ops.read(vp, boff, data, blen);
	return true;
}

static void vp_cfg_written(struct pci_dev *pdev, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = pdev->opaque;
	uint32_t boff, blen;
	uint32_t data_off = (uint32_t)vp->pci_cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (!pci_cfg_window(vp, offset, len, &boff, &blen))
		return;
	virtio_pci_modern_ops.write(vp, boff, &pdev->cfg[data_off], blen);
}

static void vp_free(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;

	pthread_mutex_lock(&vp->lock);
	virtio_pci_reset_locked(vp);
	pthread_mutex_unlock(&vp->lock);
	for (unsigned int i = 0; i < dev->nr_shm; i++)
		if (vp->shm_slots[i] >= 0)
			vm_memslot_free(vp->vm, vp->shm_slots[i]);  /* also drops the owner hook */
	for (unsigned int i = 0; i < dev->nr_queues; i++) {
		if (dev->queues[i].kick_fd >= 0)
			close(dev->queues[i].kick_fd);
		dev->queues[i].kick_fd = -1;
		dev->queues[i].call_fd = -1;
	}
	virtio_pci_publish(dev, NULL);   /* no notifier uses vp past this point */
	msix_destroy(vp->msix);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

static void vp_destroy(struct pci_dev *pdev)
{
	vp_free(pdev->opaque);
}

static const struct pci_dev_ops vp_pci_ops = {
	.bar_moved = vp_bar_moved,
	.cfg_written = vp_cfg_written,
	.cfg_read = vp_cfg_read,
	.destroy = vp_destroy,
};

/* ---- capabilities ---- */

static int add_vcap(struct virtio_pci *vp, uint8_t type, uint8_t bar, uint32_t off, uint32_t len,
		    const void *extra, uint8_t extra_len)
{
	uint8_t buf[32] = { 0 };
	struct virtio_pci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR, .cap_len = (uint8_t)(sizeof(cap) + extra_len),
		.cfg_type = type, .bar = bar, .offset = off, .length = len,
	};

	memcpy(buf, &cap, sizeof(cap));
	if (extra_len)
		memcpy(buf + sizeof(cap), extra, extra_len);
	return pci_dev_add_cap(&vp->pdev, buf, cap.cap_len);
}

static int add_shm_caps(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;

	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		const struct shm_region *r = dev->shm[i];
		uint64_t off = vp->shm_bar_off[i];
		struct virtio_pci_cap64 c = {
			.cap = { .cap_vndr = PCI_CAP_ID_VNDR, .cap_len = sizeof(c),
				 .cfg_type = VIRTIO_PCI_CAP_SHARED_MEMORY_CFG, .bar = VIRTIO_PCI_SHM_BAR,
				 .id = r->id, .offset = (uint32_t)off,
				 .length = (uint32_t)r->size },
			.offset_hi = (uint32_t)(off >> 32),
			.length_hi = (uint32_t)(r->size >> 32),
		};

		if (pci_dev_add_cap(&vp->pdev, &c, sizeof(c)) < 0)
			return -ENOSPC;
	}
	return 0;
}

static int add_caps(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;
	uint32_t mult = VIRTIO_PCI_NOTIFY_MULT, zero = 0;
	int ret = 0;

	ret |= add_vcap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_MODERN_BAR, VIRTIO_PCI_COMMON_OFF,
			VIRTIO_PCI_COMMON_LEN, NULL, 0);
	ret |= add_vcap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_MODERN_BAR, VIRTIO_PCI_NOTIFY_OFF,
			dev->nr_queues * VIRTIO_PCI_NOTIFY_MULT, &mult, sizeof(mult));
	ret |= add_vcap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_MODERN_BAR, VIRTIO_PCI_ISR_OFF, 4,
			NULL, 0);
	if (dev->config_size)
		ret |= add_vcap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_MODERN_BAR,
				VIRTIO_PCI_DEVCFG_OFF, dev->config_size, NULL, 0);
	vp->pci_cfg_cap = add_vcap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, &zero, sizeof(zero));
	if (ret < 0 || vp->pci_cfg_cap < 0)
		return -ENOSPC;
	/* The driver programs bar, offset, length and data of the window. */
	vp->pdev.wmask[vp->pci_cfg_cap + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(&vp->pdev.wmask[vp->pci_cfg_cap + VIRTIO_PCI_CAP_OFFSET], 0xff, 12);
	return add_shm_caps(vp);
}

/*
 * Config space the transport's own capabilities take (pci_dev_add_cap packs them 4-byte
 * aligned from 0x40): MSI-X 12, common 16, notify 20, ISR 16, device config 16 (only with a
 * device config space), PCI_CFG window 20; each shm region then takes a 24-byte
 * virtio_pci_cap64. The layout checks in add_caps() keep this honest (-ENOSPC).
 */
#define VP_CAPS_START 0x40u
#define VP_CAPS_FIXED (12u + 16u + 20u + 16u + 20u)
#define VP_CAP_DEVCFG 16u
#define VP_CAP_SHM ((unsigned int)sizeof(struct virtio_pci_cap64))

unsigned int virtio_pci_shm_room(uint32_t config_size)
{
	unsigned int used = VP_CAPS_START + VP_CAPS_FIXED + (config_size ? VP_CAP_DEVCFG : 0);
	unsigned int n = (PCI_CFG_SIZE - used) / VP_CAP_SHM;

	return n < VIRTIO_MAX_SHM_REGIONS ? n : VIRTIO_MAX_SHM_REGIONS;
}

_Static_assert((PCI_CFG_SIZE - VP_CAPS_START - VP_CAPS_FIXED) / 24 >= VIRTIO_MAX_SHM_REGIONS,
	       "VIRTIO_MAX_SHM_REGIONS capabilities fit without a device config space");

/* ---- validation and BAR setup ---- */

static int check_device(const struct virtio_device *dev)
{
	if (!dev->ops || !dev->ops->activate || !dev->ops->reset || !dev->vm)
		return -EINVAL;
	if (dev->nr_queues == 0 || dev->nr_queues > VIRTIO_MAX_QUEUES)
		return -EINVAL;
	if (!dev->max_queue_size || dev->max_queue_size > 32768 ||
	    (dev->max_queue_size & (dev->max_queue_size - 1)))
		return -EINVAL;
	if (!(dev->host_features & (1ULL << VIRTIO_F_VERSION_1)))
		return -EINVAL;
	if (dev->config_size > VIRTIO_PCI_DEVCFG_MAX || dev->nr_shm > VIRTIO_MAX_SHM_REGIONS)
		return -EINVAL;
	if (dev->nr_shm > virtio_pci_shm_room(dev->config_size))
		return -ENOSPC;
	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		if (!dev->shm[i] || !dev->shm[i]->hva || !dev->shm[i]->size ||
		    (dev->shm[i]->size & (VIRTIO_PCI_SHM_ALIGN - 1)))
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++)
			if (dev->shm[j]->id == dev->shm[i]->id)
				return -EINVAL;
	}
	return 0;
}

static int setup_shm_bar(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;
	uint64_t off = 0;
	int ret;

	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		vp->shm_bar_off[i] = off;
		off += dev->shm[i]->size;
		vp->shm_slots[i] = vm_memslot_alloc(vp->vm);
		if (vp->shm_slots[i] < 0)
			return -ENOSPC;
		vp->shm_owner[i] = (struct vp_shm_owner){ .vp = vp, .idx = i };
		ret = vm_memslot_set_owner(vp->vm, vp->shm_slots[i], virtio_pci_shm_repair,
					   &vp->shm_owner[i]);
		if (ret < 0)
			return ret;
	}
	if (!dev->nr_shm)
		return 0;
	return pci_dev_set_bar(&vp->pdev, VIRTIO_PCI_SHM_BAR, PCI_BAR_MEM64_PREF, off,
			       &virtio_pci_shm_ops, vp);
}

static int setup_queues(struct virtio_pci *vp)
{
	struct virtio_device *dev = vp->vdev;

	for (unsigned int i = 0; i < dev->nr_queues; i++)
		dev->queues[i].kick_fd = -1;
	for (unsigned int i = 0; i < dev->nr_queues; i++) {
		dev->queues[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev->queues[i].kick_fd < 0)
			return -errno;
	}
	return 0;
}

static int vp_setup(struct virtio_pci *vp, char *err, size_t errlen)
{
	struct virtio_device *dev = vp->vdev;
	int ret;

	pci_dev_init(&vp->pdev, dev->name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + dev->device_id,
		     class_of(dev->device_id), 1, VIRTIO_PCI_VENDOR, VIRTIO_PCI_SUBSYS_ID);
	ret = setup_queues(vp);
	if (ret < 0)
		return ret;
	vp->msix = msix_init(&vp->pdev, vp->vm, dev->nr_queues + 1, VIRTIO_PCI_MSIX_BAR, err,
			     errlen);
	if (!vp->msix)
		return -ENOMEM;
	ret = pci_dev_set_bar(&vp->pdev, VIRTIO_PCI_MODERN_BAR, PCI_BAR_MEM32,
			      VIRTIO_PCI_MODERN_BAR_SIZE, &virtio_pci_modern_ops, vp);
	if (ret < 0)
		return ret;
	ret = setup_shm_bar(vp);
	if (ret < 0)
		return ret;
	return add_caps(vp);
}

int virtio_pci_add(struct pci_bus *bus, struct virtio_device *dev, char *err, size_t errlen)
{
	struct virtio_pci *vp;
	int ret = check_device(dev);

	if (ret < 0)
		return err_fmt(err, errlen, ret, "invalid virtio device description");
	if (err && errlen)
		err[0] = 0;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev = dev;
	vp->vm = dev->vm;
	vp->modern_gpa = vp->shm_gpa = PCI_BAR_UNMAPPED;
	for (unsigned int i = 0; i < VIRTIO_MAX_SHM_REGIONS; i++)
		vp->shm_slots[i] = -1;
	pthread_mutex_init(&vp->lock, NULL);
	ret = vp_setup(vp, err, errlen);
	if (ret == 0) {
		pthread_mutex_lock(&vp->lock);
		virtio_pci_reset_locked(vp);
		pthread_mutex_unlock(&vp->lock);
		ret = pci_bus_add_dev(bus, &vp->pdev, &vp_pci_ops, vp, err, errlen);
		if (ret == 0) {
			/* complete: device and backend threads may notify through it now */
			virtio_pci_publish(dev, vp);
			return 0;
		}
	}
	if (err && errlen && !err[0])
		err_fmt(err, errlen, ret, "cannot create the virtio-pci function: %s", strerror(-ret));
	vp_free(vp);
	return ret;
}
