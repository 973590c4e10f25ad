// SPDX-License-Identifier: MIT
/*
 * DSDT: the devices the machine has, in AML.
 *   \_SB.PCI0  PCI Express host bridge (PNP0A08): bus range, the 0xcf8 config ports, the 32-bit
 *              and 64-bit (prefetchable) memory windows the VMM places BARs in
 *   \_SB.COM1  8250 UART (PNP0501): 8 ports, ISA IRQ
 *   \_SB.MRES  motherboard resources (PNP0C02): the ECAM (Linux wants it reserved here before it
 *              uses the MCFG) and the sleep/reset ports of the FADT
 *   \_SB.GED0  generic event device (ACPI0013): an edge on power_button_gsi runs _EVT, which
 *              notifies \_SB.PWRB (PNP0C0C, a control-method power button) with 0x80 "pressed"
 *   \_S5_      soft-off: SLP_TYP ACPI_SLEEP_TYPE_S5
 */
#include "acpi/acpi_build.h"
#include "acpi/aml.h"

#define DSDT_REVISION 2
#define DSDT_MAX 4096
#define ECAM_BUS_SIZE (1ULL << 20)

static void pci_host_bridge(struct aml *a, const struct acpi_machine *m)
{
	aml_device(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a);
	aml_res_bus_range(a, 0, m->ecam_bus_end);
	aml_res_io(a, m->pci_cfg_port, 8);
	aml_res_mem32_window(a, (uint32_t)m->mmio32_base, (uint32_t)m->mmio32_size);
	aml_res_mem64_window(a, m->mmio64_base, m->mmio64_size, true);
	aml_close(a);
	aml_close(a);
}

static void serial(struct aml *a, const struct acpi_machine *m)
{
	aml_device(a, "COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a);
	aml_res_io(a, m->serial_port, 8);
	aml_res_irq(a, m->serial_irq);
	aml_close(a);
	aml_close(a);
}

static void motherboard(struct aml *a, const struct acpi_machine *m)
{
	aml_device(a, "MRES");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a);
	aml_res_mem32_fixed(a, (uint32_t)m->ecam_base,
			    (uint32_t)((m->ecam_bus_end + 1ULL) * ECAM_BUS_SIZE));
	aml_res_io(a, m->sleep_ctl_port, 1);
	aml_res_io(a, m->sleep_sts_port, 1);
	aml_res_io(a, m->reset_port, 1);
	aml_close(a);
	aml_close(a);
}

#define NOTIFY_BUTTON_PRESSED 0x80

static void power_button(struct aml *a, const struct acpi_machine *m)
{
	aml_device(a, "PWRB");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C0C");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_close(a);

	aml_device(a, "GED0");
	aml_name(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_resource_template(a);
	aml_res_interrupt(a, m->power_button_gsi);
	aml_close(a);
	aml_method(a, "_EVT", 1);
	aml_if_arg0_equals(a, m->power_button_gsi);
	aml_notify(a, "\\_SB_.PWRB", NOTIFY_BUTTON_PRESSED);
	aml_close(a);
	aml_close(a);
	aml_close(a);
}

uint64_t acpi_dsdt_build(struct acpi_blob *b, const struct acpi_machine *m)
{
	uint8_t *p;
	struct aml a;
	uint64_t gpa;
	long len;

	p = acpi_alloc(b, DSDT_MAX, &gpa);
	if (!p)
		return 0;
	aml_init(&a, p + sizeof(struct acpi_header), DSDT_MAX - sizeof(struct acpi_header));
	aml_scope(&a, "\\_SB_");
	pci_host_bridge(&a, m);
	serial(&a, m);
	motherboard(&a, m);
	if (m->power_button_gsi)
		power_button(&a, m);
	aml_close(&a);
	aml_name(&a, "\\_S5_");
	aml_package(&a, 2);
	aml_integer(&a, ACPI_SLEEP_TYPE_S5);
	aml_integer(&a, 0);
	aml_close(&a);
	len = aml_finish(&a);
	if (len < 0)
		return 0;
	/* Give back what the AML did not use. */
	b->len -= DSDT_MAX - sizeof(struct acpi_header) - (size_t)len;
	acpi_header_init((struct acpi_header *)p, "DSDT", (uint32_t)(sizeof(struct acpi_header) + len),
			 DSDT_REVISION);
	acpi_finish((struct acpi_header *)p);
	return gpa;
}
