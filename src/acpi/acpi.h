/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables of the machine, generated at boot: RSDP, XSDT, FADT (revision 6, hardware-reduced,
 * sleep control/status and reset registers), MADT, DSDT (AML) and MCFG. Pure: the tables are
 * written into a caller buffer that the guest sees at a given guest-physical address; nothing
 * here knows the VM. The caller describes the machine in struct acpi_machine.
 */
#ifndef MICROVM_ACPI_H
#define MICROVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_VCPUS 254	/* xAPIC ids 0..253; the IOAPIC takes id nr_vcpus */

/* Values of the FADT sleep control register the guest writes (ACPI 6.5 s.4.8.3.7). */
#define ACPI_SLEEP_TYPE_S5 5	/* the _S5_ package's SLP_TYP */
#define ACPI_SLEEP_CTL_TYPE(v) (((v) >> 2) & 0x7)
#define ACPI_SLEEP_CTL_EN 0x20
#define ACPI_RESET_VALUE 0x0f	/* FADT RESET_VALUE */

struct acpi_machine {
	unsigned int nr_vcpus;		/* 1..ACPI_MAX_VCPUS, APIC ids 0..n-1 */
	uint64_t lapic_addr, ioapic_addr;
	uint64_t mmio32_base, mmio32_size;	/* PCI windows (host bridge _CRS) */
	uint64_t mmio64_base, mmio64_size;
	uint64_t ecam_base;		/* ECAM of bus 0..ecam_bus_end (MCFG, PNP0C02 reservation) */
	uint8_t ecam_bus_end;
	uint16_t pci_cfg_port;		/* 0xcf8: 8 ports */
	uint16_t serial_port;		/* COM1 (8 ports) and its ISA IRQ */
	uint8_t serial_irq;
	uint16_t sleep_ctl_port, sleep_sts_port, reset_port;	/* 1 port each */
	uint8_t power_button_gsi;	/* GED (ACPI0013) edge interrupt -> power button notify; 0 = none */
};

/*
 * Builds every table into buf[0, cap), which the guest sees at gpa (16-byte aligned, below
 * 4 GiB: the RSDP is at gpa itself, where the guest scans for it). Returns the number of bytes
 * used, or -1 with one line in err (machine out of range, buffer too small).
 */
long acpi_build(uint8_t *buf, size_t cap, uint64_t gpa, const struct acpi_machine *m,
		char *err, size_t errlen);

#endif
