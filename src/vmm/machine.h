/* SPDX-License-Identifier: MIT */
/*
 * The machine: builds a running VM from a validated vm_config (RAM, legacy devices, PCI and
 * virtio devices, boot state, vCPUs), runs it, and tears it down releasing everything.
 */
#ifndef MICROVM_MACHINE_H
#define MICROVM_MACHINE_H

#include <stdint.h>

#include "arch/boot.h"
#include "legacy/serial.h"
#include "kvm/vm.h"

struct vm_config;

struct machine {
	struct vm vm;
	struct serial serial;
	struct boot_entry boot;
	uint64_t t0_ns;              /* process start, for the boot timer */
	void *devices;               /* device list (machine_devices.c) */
	const struct vm_config *cfg; /* the config it was built from (outlives the machine) */
	struct api_server *api;      /* control API, NULL without [api] socket (machine_api.c) */
};

/*
 * Creates everything. Returns 0, or an exit status (exit_codes.h) after logging one clear line:
 * EXIT_CONFIG_ERROR for bad kernel/initrd/sizes, EXIT_HOST_ERROR for KVM/host failures.
 */
int machine_create(struct machine *m, const struct vm_config *cfg, uint64_t t0_ns);
/*
 * Config checks that need the machine layout (machine_check.c), after config_validate: 0, or
 * -1 with "file:line:col: message" in err (exit status 2).
 */
int machine_check_config(const struct vm_config *cfg, char *err, size_t errlen);
/* Runs vCPUs and the main loop until the guest stops; returns the exit status. */
int machine_run(struct machine *m, uint64_t timeout_ms);
void machine_destroy(struct machine *m);

/* Devices from the config (machine_devices.c): PCI bus, virtio-blk, vhost-user devices. */
int machine_devices_create(struct machine *m, const struct vm_config *cfg);
void machine_devices_destroy(struct machine *m);
/* ACPI tables and power-management ports (machine_acpi.c), after the PCI bus exists. */
struct pci_bus;
int machine_acpi_setup(struct machine *m, unsigned int nr_vcpus, const struct pci_bus *pci);

enum machine_dev_kind { MACHINE_DEV_BLK, MACHINE_DEV_VHOST_USER_FS, MACHINE_DEV_VHOST_USER,
		       MACHINE_DEV_NET, MACHINE_DEV_VHOST_USER_NET };
/* Device i of the machine (creation order), its kind and image/socket path; NULL past the end. */
struct virtio_device *machine_device(struct machine *m, unsigned int i,
				     enum machine_dev_kind *kind, const char **path);
unsigned int machine_nr_devices(struct machine *m);

/*
 * Control API (machine_api.c): open the socket at setup (status 2 when it cannot be served),
 * start the API thread once the vCPUs run, stop it before they are stopped.
 */
int machine_api_open(struct machine *m, const struct vm_config *cfg);
int machine_api_start(struct machine *m);
void machine_api_stop(struct machine *m);
/* ACPI power button; -ENOTSUP until the machine has ACPI. */
int machine_power_button(struct machine *m);

#endif
