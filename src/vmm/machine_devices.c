// SPDX-License-Identifier: MIT
/*
 * PCI and virtio devices of the machine, created from the config: the PCI bus (always, so the
 * guest finds the host bridge), one virtio-blk per [[disk]], one vhost-user-fs per
 * [[vhost_user_fs]], one generic vhost-user device per [[vhost_user]]; then the ACPI tables
 * that describe the bus.
 * Teardown: the bus first (it resets every transport, which stops device threads and backend
 * sessions), then the device models.
 */
#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "config/config.h"
#include "pci/pci.h"
#include "vhost_user/vhost_user.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/virtio_pci.h"
#include "util/exit_codes.h"
#include "util/log.h"

struct machine_device {
	struct virtio_device *dev;
	void (*destroy)(struct virtio_device *dev);
	enum machine_dev_kind kind;
	const char *path;            /* config string: image or socket */
};

struct machine_devices {
	struct pci_bus *pci;
	unsigned int nr;
	struct machine_device list[];
};

/* Plugs a created device into the bus and remembers how to destroy it. */
static int add_device(struct machine_devices *md, struct virtio_device *dev,
		      void (*destroy)(struct virtio_device *), const char *what,
		      enum machine_dev_kind kind)
{
	char err[256];
	int ret = virtio_pci_add(md->pci, dev, err, sizeof(err));

	if (ret < 0) {
		pr_err("%s: cannot add to the PCI bus: %s", what, err);
		destroy(dev);
		return EXIT_HOST_ERROR;
	}
	md->list[md->nr].dev = dev;
	md->list[md->nr].destroy = destroy;
	md->list[md->nr].kind = kind;
	md->list[md->nr].path = what;
	md->nr++;
	return 0;
}

int machine_devices_create(struct machine *m, const struct vm_config *cfg)
{
	unsigned int total = cfg->nr_disks + cfg->nr_fs + cfg->nr_vhost_user + cfg->nr_nets +
			      cfg->nr_vu_net;
	struct machine_devices *md = calloc(1, sizeof(*md) + total * sizeof(md->list[0]));
	struct virtio_device *dev;
	char err[512];
	int ret;

	if (!md) {
		pr_err("out of memory for the device list");
		return EXIT_HOST_ERROR;
	}
	m->devices = md;
	md->pci = pci_bus_create(&m->vm, err, sizeof(err));
	if (!md->pci) {
		pr_err("cannot create the PCI bus: %s", err);
		return EXIT_HOST_ERROR;
	}
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		dev = virtio_blk_create(&m->vm, &cfg->disks[i], err, sizeof(err));
		if (!dev) {
			pr_err("disk '%s': %s", cfg->disks[i].path, err);
			return EXIT_CONFIG_ERROR;
		}
		ret = add_device(md, dev, virtio_blk_destroy, cfg->disks[i].path,
				 MACHINE_DEV_BLK);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < cfg->nr_fs; i++) {
		dev = vhost_user_fs_create(&m->vm, &cfg->fs[i], err, sizeof(err));
		if (!dev) {
			pr_err("vhost_user_fs '%s': %s", cfg->fs[i].socket, err);
			return EXIT_CONFIG_ERROR;
		}
		ret = add_device(md, dev, vhost_user_device_destroy, cfg->fs[i].socket,
				 MACHINE_DEV_VHOST_USER_FS);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < cfg->nr_vhost_user; i++) {
		dev = vhost_user_generic_create(&m->vm, &cfg->vhost_user[i], err, sizeof(err));
		if (!dev) {
			pr_err("vhost_user '%s': %s", cfg->vhost_user[i].socket, err);
			return EXIT_CONFIG_ERROR;
		}
		ret = add_device(md, dev, vhost_user_device_destroy, cfg->vhost_user[i].socket,
				 MACHINE_DEV_VHOST_USER);
		if (ret)
			return ret;
	}
	/* [[net]]: built-in virtio-net over a TAP (src/virtio/net.h); MAC seed: the config path */
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		dev = virtio_net_create(&m->vm, &cfg->nets[i], cfg->source, i, err, sizeof(err));
		if (!dev) {
			pr_err("net '%s': %s", cfg->nets[i].tap, err);
			return EXIT_CONFIG_ERROR;
		}
		ret = add_device(md, dev, virtio_net_destroy, cfg->nets[i].tap, MACHINE_DEV_NET);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < cfg->nr_vu_net; i++) {
		dev = vhost_user_net_create(&m->vm, &cfg->vu_net[i], err, sizeof(err));
		if (!dev) {
			pr_err("vhost_user_net '%s': %s", cfg->vu_net[i].socket, err);
			return EXIT_CONFIG_ERROR;
		}
		ret = add_device(md, dev, vhost_user_device_destroy, cfg->vu_net[i].socket,
				 MACHINE_DEV_VHOST_USER_NET);
		if (ret)
			return ret;
	}
	/* arm64: the device tree (boot_setup) describes the machine, [machine] acpi is x86's */
	return ARCH_HAS_ACPI && cfg->acpi ? machine_acpi_setup(m, cfg->vcpus, md->pci) : 0;
}

unsigned int machine_nr_devices(struct machine *m)
{
	struct machine_devices *md = m->devices;

	return md ? md->nr : 0;
}

struct virtio_device *machine_device(struct machine *m, unsigned int i,
				     enum machine_dev_kind *kind, const char **path)
{
	struct machine_devices *md = m->devices;

	if (!md || i >= md->nr)
		return NULL;
	*kind = md->list[i].kind;
	*path = md->list[i].path;
	return md->list[i].dev;
}

void machine_devices_destroy(struct machine *m)
{
	struct machine_devices *md = m->devices;

	if (!md)
		return;
	pci_bus_destroy(md->pci);
	for (unsigned int i = 0; i < md->nr; i++)
		md->list[i].destroy(md->list[i].dev);
	free(md);
	m->devices = NULL;
}
