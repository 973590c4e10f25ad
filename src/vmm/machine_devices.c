// SPDX-License-Identifier: MIT
/* PCI and virtio devices of the machine, created from the config. */
#include "vmm/machine.h"

#include "config/config.h"
#include "vmm/exit_codes.h"
#include "vmm/log.h"

int machine_devices_create(struct machine *m, const struct vm_config *cfg)
{
	(void)m;
	if (cfg->nr_disks || cfg->nr_fs || cfg->nr_vhost_user) {
		pr_err("%s: PCI devices are not wired into the machine yet", cfg->source ? cfg->source : "config");
		return EXIT_CONFIG_ERROR;
	}
	return 0;
}

void machine_devices_destroy(struct machine *m)
{
	(void)m;
}
