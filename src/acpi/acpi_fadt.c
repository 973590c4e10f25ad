// SPDX-License-Identifier: MIT
/*
 * FADT revision 6: hardware-reduced ACPI (no PM1/GPE blocks, no SCI, no FACS), the sleep
 * control/status registers (S5 = power off) and the reset register as 8-bit I/O ports, and IA-PC
 * boot flags that say what legacy hardware is absent: no i8042, no VGA, no CMOS RTC (the guest
 * takes its wall clock from kvmclock).
 */
#include "acpi/acpi_build.h"

#include <string.h>

static struct acpi_gas io_port(uint16_t port)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_IO, .bit_width = 8, .bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE, .address = port,
	};
}

uint64_t acpi_fadt_build(struct acpi_blob *b, const struct acpi_machine *m, uint64_t dsdt)
{
	uint64_t gpa;
	struct acpi_fadt *t = acpi_alloc(b, sizeof(*t), &gpa);

	if (!t)
		return 0;
	acpi_header_init(&t->header, "FACP", sizeof(*t), ACPI_FADT_REVISION);
	t->minor_revision = ACPI_FADT_MINOR_REVISION;
	t->dsdt = (uint32_t)dsdt;
	t->x_dsdt = dsdt;
	t->flags = ACPI_FADT_HW_REDUCED | ACPI_FADT_RESET_REGISTER | ACPI_FADT_PWR_BUTTON |
		   ACPI_FADT_SLP_BUTTON;
	t->boot_flags = ACPI_IAPC_NO_VGA | ACPI_IAPC_NO_CMOS_RTC;
	t->reset_register = io_port(m->reset_port);
	t->reset_value = ACPI_RESET_VALUE;
	t->sleep_control = io_port(m->sleep_ctl_port);
	t->sleep_status = io_port(m->sleep_sts_port);
	memcpy(&t->hypervisor_id, "MICROVM ", 8);
	acpi_finish(&t->header);
	return gpa;
}
