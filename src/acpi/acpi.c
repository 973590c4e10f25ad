// SPDX-License-Identifier: MIT
/*
 * acpi_build: the RSDP at the start of the buffer (where the guest scans), then the DSDT, FADT,
 * MADT, MCFG and the XSDT that lists them (the DSDT is reached through the FADT).
 */
#include "util/err.h"
#include "acpi/acpi_build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ACPI_ALIGN 16
#define RSDP_REVISION 2
#define RSDP_V1_LEN 20
#define XSDT_REVISION 1
#define XSDT_ENTRIES 3

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

void *acpi_alloc(struct acpi_blob *b, size_t len, uint64_t *gpa)
{
	size_t off = (b->len + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);
	void *p;

	if (off > b->cap || len > b->cap - off)
		return NULL;
	p = b->buf + off;
	memset(p, 0, len);
	b->len = off + len;
	*gpa = b->gpa + off;
	return p;
}

void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	h->checksum = 0;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

void acpi_finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static int check_machine(const struct acpi_machine *m, uint64_t gpa, char *err, size_t errlen)
{
	if (m->nr_vcpus == 0 || m->nr_vcpus > ACPI_MAX_VCPUS)
		return (int)err_fmt(err, errlen, -1, "%u vCPUs: the MADT describes 1 to %u", m->nr_vcpus,
				 ACPI_MAX_VCPUS);
	if (gpa % ACPI_ALIGN || gpa >= 1ULL << 32)
		return (int)err_fmt(err, errlen, -1, "ACPI tables at 0x%llx: not 16-byte aligned below 4 GiB",
				 (unsigned long long)gpa);
	if (!m->mmio32_size || m->mmio32_base + m->mmio32_size > 1ULL << 32 || !m->mmio64_size ||
	    m->mmio64_base + m->mmio64_size < m->mmio64_base || m->ecam_base >= 1ULL << 32 ||
	    m->lapic_addr >= 1ULL << 32 || m->ioapic_addr >= 1ULL << 32 || m->serial_irq > 15)
		return (int)err_fmt(err, errlen, -1, "machine layout out of range for the ACPI tables");
	return 0;
}

static uint64_t xsdt_build(struct acpi_blob *b, const uint64_t *tables, unsigned int n)
{
	uint32_t len = (uint32_t)(sizeof(struct acpi_header) + n * sizeof(uint64_t));
	uint64_t gpa;
	uint8_t *p = acpi_alloc(b, len, &gpa);

	if (!p)
		return 0;
	acpi_header_init((struct acpi_header *)p, "XSDT", len, XSDT_REVISION);
	memcpy(p + sizeof(struct acpi_header), tables, n * sizeof(uint64_t));
	acpi_finish((struct acpi_header *)p);
	return gpa;
}

long acpi_build(uint8_t *buf, size_t cap, uint64_t gpa, const struct acpi_machine *m,
		char *err, size_t errlen)
{
	struct acpi_blob b = { .buf = buf, .cap = cap, .gpa = gpa };
	uint64_t rsdp_gpa, dsdt, tables[XSDT_ENTRIES], xsdt;
	struct acpi_rsdp *rsdp;

	if (check_machine(m, gpa, err, errlen))
		return -1;
	rsdp = acpi_alloc(&b, sizeof(*rsdp), &rsdp_gpa);
	dsdt = rsdp ? acpi_dsdt_build(&b, m) : 0;
	tables[0] = dsdt ? acpi_fadt_build(&b, m, dsdt) : 0;
	tables[1] = tables[0] ? acpi_madt_build(&b, m) : 0;
	tables[2] = tables[1] ? acpi_mcfg_build(&b, m) : 0;
	xsdt = tables[2] ? xsdt_build(&b, tables, XSDT_ENTRIES) : 0;
	if (!xsdt)
		return err_fmt(err, errlen, -1, "the ACPI tables do not fit in %zu bytes", cap);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = RSDP_REVISION;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt;
	rsdp->checksum = acpi_checksum(rsdp, RSDP_V1_LEN);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return (long)b.len;
}
