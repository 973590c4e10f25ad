/* SPDX-License-Identifier: MIT */
/*
 * A tiny AML byte-code builder (ACPI 6.5 chapter 20) for the DSDT: names, integers, strings,
 * EISA ids, Scope/Device/Package/Buffer with back-patched PkgLength, and the resource
 * descriptors a ResourceTemplate needs. Writes into a fixed buffer; an overflow or an unbalanced
 * open/close is remembered and reported once by aml_finish.
 */
#ifndef MICROVM_AML_H
#define MICROVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap, len;
	bool error;
	unsigned int depth;
	size_t open[AML_MAX_DEPTH];	/* offset of each open PkgLength placeholder */
	bool is_buffer[AML_MAX_DEPTH];
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
/* Length written, or -1 after an overflow or with objects still open. */
long aml_finish(struct aml *a);

void aml_bytes(struct aml *a, const void *p, size_t n);
/* NameString: "NAME", "\\_SB_.PCI0" (segments shorter than 4 are padded with '_'). */
void aml_namestring(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* "PNP0A08" -> its compressed 32-bit EISA id. */
void aml_eisaid(struct aml *a, const char *id);
/* Name (NAME, ...): the value follows (integer, string, package, buffer). */
void aml_name(struct aml *a, const char *name);

void aml_scope(struct aml *a, const char *path);	/* ... aml_close */
void aml_device(struct aml *a, const char *name);	/* ... aml_close */
void aml_package(struct aml *a, uint8_t nr_elements);	/* ... aml_close */
void aml_method(struct aml *a, const char *name, uint8_t nr_args);	/* ... aml_close */
void aml_if_arg0_equals(struct aml *a, uint64_t v);	/* If (Arg0 == v) { ... aml_close */
void aml_notify(struct aml *a, const char *path, uint8_t value);	/* Notify (path, value) */
void aml_resource_template(struct aml *a);		/* descriptors, then aml_close */
void aml_close(struct aml *a);

/* Resource descriptors (inside aml_resource_template; the end tag is added by aml_close). */
void aml_res_bus_range(struct aml *a, uint16_t min, uint16_t max);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_mem32_window(struct aml *a, uint32_t base, uint32_t len);
void aml_res_mem64_window(struct aml *a, uint64_t base, uint64_t len, bool prefetchable);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_irq(struct aml *a, uint8_t isa_irq);
/* Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi } */
void aml_res_interrupt(struct aml *a, uint32_t gsi);

#endif
