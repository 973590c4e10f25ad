// SPDX-License-Identifier: MIT
/*
 * virtio-pci shared memory BAR: owns the guest accesses to the window that reach the VMM.
 *
 * Each region of dev->shm[] sits at vp->shm_bar_off[i] in the BAR under its own memslot, so
 * KVM normally completes guest accesses without an exit. Two cases come back to the VMM:
 *   - an MMIO exit inside the BAR (this project's CI KVM, whose emulator cannot fault in a page
 *     with no file behind it): the bus calls shm_bar_read/write, which hand the access to the
 *     region (shm_region_access: repair, then a fault-safe copy);
 *   - KVM_RUN failing with EFAULT (hardware KVM, same cause): the vCPU loop asks the VM's memory
 *     owners (vm_repair_memory) and this file registered virtio_pci_shm_repair as the owner of
 *     each region's memslot.
 * A failed repair leaves the region empty (every mapping dropped, guest reads zeros) and puts
 * the device into DEVICE_NEEDS_RESET. Log lines: the first repair per device and the first
 * SHM_LOG_LIMIT failures; the counts of all of them are in the region stats (printed at exit).
 */
#include <errno.h>
#include <string.h>

#include "mm/shm_region.h"
#include "virtio/virtio_pci_priv.h"
#include "util/log.h"

#define SHM_LOG_LIMIT 4

/* One log line for the first few events of a class; the rest are only counted. */
static bool shm_log_more(atomic_uint *count, unsigned int limit)
{
	return atomic_fetch_add(count, 1) < limit;
}

static void shm_failed(struct virtio_pci *vp, const struct shm_region *r, int err)
{
	if (shm_log_more(&vp->shm_failures, SHM_LOG_LIMIT))
		pr_err("%s: shm region %u: cannot repair a mapping the guest reached (%s): all its "
		       "mappings dropped%s", vp->vdev->name, r->id, strerror(-err),
		       atomic_load(&vp->shm_failures) == SHM_LOG_LIMIT ?
		       " (further failures counted, not logged)" : "");
	virtio_device_needs_reset(vp->vdev);
}

static void shm_repaired(struct virtio_pci *vp, const struct shm_region *r)
{
	if (shm_log_more(&vp->shm_repairs, 1))
		pr_warn("%s: shm region %u: the guest reached pages with no file behind them (past "
			"EOF, or truncated by the host): they read zeros until the mapping goes "
			"(further cases counted in the region stats)", vp->vdev->name, r->id);
}

/* Region i holding [off, off + len) of the BAR, or -1 (gap between regions, or past them). */
static int shm_find(struct virtio_pci *vp, uint64_t off, uint32_t len)
{
	for (unsigned int i = 0; i < vp->vdev->nr_shm; i++) {
		uint64_t base = vp->shm_bar_off[i], size = vp->vdev->shm[i]->size;

		if (off >= base && off - base < size && len <= size - (off - base))
			return (int)i;
	}
	return -1;
}

static void shm_bar_access(struct virtio_pci *vp, uint64_t off, void *data, uint32_t len,
			   bool is_write)
{
	int i = shm_find(vp, off, len);
	struct shm_region *r;
	int ret;

	if (i < 0) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	r = vp->vdev->shm[i];
	ret = shm_region_access(r, off - vp->shm_bar_off[i], data, len, is_write);
	if (ret == -EFAULT) {
		/* not repairable and no danger to the VMM: the access was dropped / read zeros */
		if (shm_log_more(&vp->shm_failures, SHM_LOG_LIMIT))
			pr_warn("%s: shm region %u: guest %s at 0x%llx that the host cannot complete "
				"(read-only?): dropped", vp->vdev->name, r->id,
				is_write ? "write" : "read",
				(unsigned long long)(off - vp->shm_bar_off[i]));
	} else if (ret < 0) {
		shm_failed(vp, r, ret);
	} else if (ret > 0) {
		shm_repaired(vp, r);
	}
}

static void shm_bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	shm_bar_access(opaque, off, data, len, false);
}

static void shm_bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	shm_bar_access(opaque, off, (void *)data, len, true);
}

const struct bus_ops virtio_pci_shm_ops = { .read = shm_bar_read, .write = shm_bar_write };

int virtio_pci_shm_repair(void *opaque, uint64_t offset)
{
	struct vp_shm_owner *o = opaque;
	struct shm_region *r = o->vp->vdev->shm[o->idx];
	int ret = shm_region_repair(r, offset);

	if (ret < 0) {
		shm_failed(o->vp, r, ret);
		return 1;   /* the region is all zero scratch now: the vCPU can re-enter */
	}
	if (ret > 0)
		shm_repaired(o->vp, r);
	return ret;
}
