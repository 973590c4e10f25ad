/* SPDX-License-Identifier: MIT */
/*
 * The machine: builds a running VM from a validated vm_config (RAM, legacy devices, PCI and
 * virtio devices, boot state, vCPUs), runs it, and tears it down releasing everything.
 */
#ifndef MICROVM_MACHINE_H
#define MICROVM_MACHINE_H

#include <stdint.h>

#include "vmm/boot.h"
#include "vmm/serial.h"
#include "vmm/vm.h"

struct vm_config;

struct machine {
	struct vm vm;
	struct serial serial;
	struct boot_entry boot;
	uint64_t t0_ns;              /* process start, for the boot timer */
	void *devices;               /* device list (machine_devices.c) */
};

/*
 * Creates everything. Returns 0, or an exit status (exit_codes.h) after logging one clear line:
 * EXIT_CONFIG_ERROR for bad kernel/initrd/sizes, EXIT_HOST_ERROR for KVM/host failures.
 */
int machine_create(struct machine *m, const struct vm_config *cfg, uint64_t t0_ns);
/* Runs vCPUs and the main loop until the guest stops; returns the exit status. */
int machine_run(struct machine *m, uint64_t timeout_ms);
void machine_destroy(struct machine *m);

/* Devices from the config (machine_devices.c): PCI bus, virtio-blk, vhost-user devices. */
int machine_devices_create(struct machine *m, const struct vm_config *cfg);
void machine_devices_destroy(struct machine *m);
/* ACPI tables and power-management ports (machine_acpi.c), after the PCI bus exists. */
struct pci_bus;
int machine_acpi_setup(struct machine *m, unsigned int nr_vcpus, const struct pci_bus *pci);

#endif
