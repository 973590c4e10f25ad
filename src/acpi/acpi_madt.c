// SPDX-License-Identifier: MIT
/*
 * MADT: one local APIC per vCPU (ids 0..n-1), the IOAPIC (id n, GSI base 0), the same ISA
 * routing as the MP table (IRQ0 -> GSI 2, every other ISA IRQ identity-mapped, edge/high) and
 * NMI on LINT1 of every local APIC.
 */
#include "acpi/acpi_build.h"

#include <string.h>

#define PIT_IRQ 0
#define PIT_GSI 2
#define NMI_LINT 1
#define ALL_PROCESSORS 0xff

static uint8_t *put(uint8_t *p, const void *e, size_t len)
{
	memcpy(p, e, len);
	return p + len;
}

uint64_t acpi_madt_build(struct acpi_blob *b, const struct acpi_machine *m)
{
	uint32_t len = (uint32_t)(sizeof(struct acpi_madt) +
				  m->nr_vcpus * sizeof(struct acpi_madt_lapic) +
				  sizeof(struct acpi_madt_ioapic) +
				  sizeof(struct acpi_madt_int_override) +
				  sizeof(struct acpi_madt_lapic_nmi));
	struct acpi_madt_ioapic io = {
		.type = ACPI_MADT_IOAPIC, .length = sizeof(io), .id = (uint8_t)m->nr_vcpus,
		.address = (uint32_t)m->ioapic_addr, .gsi_base = 0,
	};
	struct acpi_madt_int_override iso = {
		.type = ACPI_MADT_INT_OVERRIDE, .length = sizeof(iso), .bus = 0,
		.source_irq = PIT_IRQ, .gsi = PIT_GSI, .flags = 0,
	};
	struct acpi_madt_lapic_nmi nmi = {
		.type = ACPI_MADT_LAPIC_NMI, .length = sizeof(nmi), .processor_id = ALL_PROCESSORS,
		.flags = 0, .lint = NMI_LINT,
	};
	uint64_t gpa;
	struct acpi_madt *t = acpi_alloc(b, len, &gpa);
	uint8_t *p;

	if (!t)
		return 0;
	acpi_header_init(&t->header, "APIC", len, ACPI_MADT_REVISION);
	t->lapic_address = (uint32_t)m->lapic_addr;
	t->flags = ACPI_MADT_PCAT_COMPAT;	/* KVM emulates the 8259 pair too */
	p = (uint8_t *)(t + 1);
	for (unsigned int i = 0; i < m->nr_vcpus; i++) {
		struct acpi_madt_lapic l = {
			.type = ACPI_MADT_LAPIC, .length = sizeof(l), .processor_id = (uint8_t)i,
			.apic_id = (uint8_t)i, .flags = ACPI_MADT_ENABLED,
		};

		p = put(p, &l, sizeof(l));
	}
	p = put(p, &io, sizeof(io));
	p = put(p, &iso, sizeof(iso));
	put(p, &nmi, sizeof(nmi));
	acpi_finish(&t->header);
	return gpa;
}
