// SPDX-License-Identifier: MIT
/* MCFG: one ECAM allocation, segment 0, buses 0..ecam_bus_end. */
#include "acpi/acpi_build.h"

#define MCFG_REVISION 1

uint64_t acpi_mcfg_build(struct acpi_blob *b, const struct acpi_machine *m)
{
	uint32_t len = sizeof(struct acpi_mcfg) + sizeof(struct acpi_mcfg_alloc);
	uint64_t gpa;
	struct acpi_mcfg *t = acpi_alloc(b, len, &gpa);
	struct acpi_mcfg_alloc *e;

	if (!t)
		return 0;
	acpi_header_init(&t->header, "MCFG", len, MCFG_REVISION);
	e = (struct acpi_mcfg_alloc *)(t + 1);
	e->address = m->ecam_base;
	e->segment = 0;
	e->start_bus = 0;
	e->end_bus = m->ecam_bus_end;
	acpi_finish(&t->header);
	return gpa;
}
