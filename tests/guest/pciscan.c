// SPDX-License-Identifier: MIT
/* Test guest: pci-scan (bus 0 listing, virtio vendor capabilities). */
#include "virtio.h"

static bool print_cap(const struct pci_dev *d, const struct vcap *c, void *ctx)
{
	(void)d;
	(void)ctx;
	gprintf("pci-cap: cfg_type=%u bar=%u offset=0x%lx length=0x%lx\n", c->cfg_type, c->bar,
		c->offset, c->length);
	return false;
}

static bool print_dev(struct pci_dev *d, void *ctx)
{
	unsigned int *count = ctx;

	(*count)++;
	gprintf("pci: %02x:%02x.%x %04x:%04x class=%06x\n", d->bus, d->dev, d->fn, d->vendor,
		d->device, d->class);
	pci_assign_bars(d);
	if (d->vendor == VIRTIO_VENDOR)
		vcap_for_each(d, print_cap, NULL);
	return false;
}

int test_pci_scan(const char *arg)
{
	unsigned int count = 0;

	(void)arg;
	pci_for_each(print_dev, &count);
	gprintf("pci: %u functions\n", count);
	return 0;
}
