/* SPDX-License-Identifier: MIT */
/* Internal to src/acpi: the output buffer and one builder per table. */
#ifndef MICROVM_ACPI_BUILD_H
#define MICROVM_ACPI_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"
#include "acpi/acpi_defs.h"

struct acpi_blob {
	uint8_t *buf;
	size_t cap, len;
	uint64_t gpa;		/* guest address of buf[0] */
};

/* len zeroed bytes, 16-byte aligned, and their guest address; NULL when the buffer is full. */
void *acpi_alloc(struct acpi_blob *b, size_t len, uint64_t *gpa);
/* Fills the common header (length, revision, OEM ids); checksum 0 until acpi_finish. */
void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev);
/* Sets the checksum over h->length bytes. */
void acpi_finish(struct acpi_header *h);

/* Each returns the table's guest address, or 0 when the buffer is full. */
uint64_t acpi_dsdt_build(struct acpi_blob *b, const struct acpi_machine *m);
uint64_t acpi_fadt_build(struct acpi_blob *b, const struct acpi_machine *m, uint64_t dsdt);
uint64_t acpi_madt_build(struct acpi_blob *b, const struct acpi_machine *m);
uint64_t acpi_mcfg_build(struct acpi_blob *b, const struct acpi_machine *m);

#endif
