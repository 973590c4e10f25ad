// SPDX-License-Identifier: MIT
/*
 * [machine] acpi = true: the ACPI tables (src/acpi) at LAYOUT_ACPI_ADDR, describing this
 * machine's layout (layout.h) and PCI windows, the power-management ports they point at, and a
 * reset vector that uses the reset port.
 */
#include "vmm/machine.h"

#include <stdlib.h>

#include "acpi/acpi.h"
#include "pci/pci.h"
#include "legacy/acpi_pm.h"
#include "util/exit_codes.h"
#include "arch/x86/layout.h"
#include "util/log.h"

int machine_acpi_setup(struct machine *m, unsigned int nr_vcpus, const struct pci_bus *pci)
{
	struct acpi_machine am = {
		.nr_vcpus = nr_vcpus,
		.lapic_addr = LAYOUT_LAPIC_ADDR, .ioapic_addr = LAYOUT_IOAPIC_ADDR,
		.mmio32_base = LAYOUT_PCI_MMIO32_BASE, .mmio32_size = LAYOUT_PCI_MMIO32_SIZE,
		.mmio64_base = pci_bus_mmio64_base(pci), .mmio64_size = pci_bus_mmio64_size(pci),
		.ecam_base = LAYOUT_PCI_ECAM_BASE,
		.ecam_bus_end = (uint8_t)(LAYOUT_PCI_ECAM_SIZE / (1 << 20) - 1),
		.pci_cfg_port = PORT_PCI_CONFIG_ADDR,
		.serial_port = PORT_SERIAL0, .serial_irq = IRQ_SERIAL0,
		.sleep_ctl_port = PORT_ACPI_SLEEP_CTL, .sleep_sts_port = PORT_ACPI_SLEEP_STS,
		.reset_port = PORT_ACPI_RESET, .power_button_gsi = IRQ_ACPI_GED,
	};
	uint8_t *dst = guest_mem_ptr(&m->vm.mem, LAYOUT_ACPI_ADDR, LAYOUT_ACPI_SIZE);
	char err[256];
	long len;

	if (!dst) {
		pr_err("guest RAM too small for the ACPI tables");
		return EXIT_CONFIG_ERROR;
	}
	len = acpi_build(dst, LAYOUT_ACPI_SIZE, LAYOUT_ACPI_ADDR, &am, err, sizeof(err));
	if (len < 0) {
		pr_err("ACPI tables: %s", err);
		return EXIT_CONFIG_ERROR;
	}
	if (acpi_pm_reset_vector_setup(&m->vm)) {
		pr_err("guest RAM too small for the reset vector");
		return EXIT_CONFIG_ERROR;
	}
	if (acpi_pm_init(&m->vm)) {
		pr_err("cannot register the ACPI power-management ports");
		return EXIT_HOST_ERROR;
	}
	pr_debug("ACPI tables at 0x%llx, %ld bytes", (unsigned long long)LAYOUT_ACPI_ADDR, len);
	return 0;
}
