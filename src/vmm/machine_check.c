// SPDX-License-Identifier: MIT
/*
 * Config checks that need the machine layout, run with the config checks (before anything is
 * opened or created), so a config that cannot work fails with status 2 and file:line:col:
 * the shared-memory BARs of the [[vhost_user_fs]] DAX windows must fit the 64-bit PCI window
 * by the bus's own placement rules (pci_window.c). Generic [[vhost_user]] devices learn their
 * regions from the back-end, later; they are placed after these.
 */
#include "vmm/machine.h"

#include <stdio.h>

#include "config/config.h"
#include "mm/guest_mem.h"
#include "pci/pci.h"

int machine_check_config(const struct vm_config *cfg, char *err, size_t errlen)
{
	const char *src = cfg->source ? cfg->source : "config";
	uint64_t base, end, next, addr, size;
	char v[24], b[24], w[24];

	pci_mmio64_window(guest_mem_layout_end(cfg->memory), &base, &end);
	next = base;
	for (unsigned int i = 0; i < cfg->nr_fs; i++) {
		const struct vhost_user_fs_config *fs = &cfg->fs[i];

		if (!fs->cache_size)
			continue;
		size = pci_bar_size(fs->cache_size);
		if (!pci_window_alloc(&next, end, size, &addr))
			continue;
		format_size(fs->cache_size, v, sizeof(v));
		format_size(size, b, sizeof(b));
		format_size(end - base, w, sizeof(w));
		snprintf(err, errlen, "%s:%d:%d: [[vhost_user_fs]] cache_size = %s does not fit the "
			 "64-bit PCI window (0x%llx-0x%llx, %s%s): its BAR takes %s at a %s "
			 "boundary (BARs are powers of two, naturally aligned)", src,
			 fs->cache_size_pos.line ? fs->cache_size_pos.line : 1,
			 fs->cache_size_pos.line ? fs->cache_size_pos.col : 1, v,
			 (unsigned long long)base, (unsigned long long)end, w,
			 i ? ", shared with the cache_size of the entries before" : "", b, b);
		return -1;
	}
	return 0;
}
