// SPDX-License-Identifier: MIT
/* AML encoder: see aml.h. Opcodes and descriptor layouts from ACPI 6.5 chapters 6.4 and 20. */
#include "acpi/aml.h"

#include <string.h>

enum {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a, AML_WORD = 0x0b,
	AML_DWORD = 0x0c, AML_STRING = 0x0d, AML_QWORD = 0x0e, AML_SCOPE = 0x10,
	AML_BUFFER = 0x11, AML_PACKAGE = 0x12, AML_EXT = 0x5b, AML_DEVICE = 0x82,
	AML_ROOT = 0x5c, AML_DUAL_NAME = 0x2e, AML_MULTI_NAME = 0x2f, AML_METHOD = 0x14,
	AML_ARG0 = 0x68, AML_NOTIFY = 0x86, AML_LEQUAL = 0x93, AML_IF = 0xa0,
};

/* Resource descriptor tags */
enum {
	RES_IRQ_NOFLAGS = 0x22, RES_IO = 0x47, RES_END = 0x79, RES_MEM32_FIXED = 0x86,
	RES_DWORD = 0x87, RES_WORD = 0x88, RES_EXT_IRQ = 0x89, RES_QWORD = 0x8a,
};
#define RES_IRQ_CONSUMER_EDGE 0x03	/* consumer, edge, active high, exclusive */
#define RES_TYPE_MEM 0
#define RES_TYPE_BUS 2
#define RES_WINDOW_FLAGS 0x0c	/* producer, positive decode, min and max fixed */
#define RES_MEM_RW 0x01
#define RES_MEM_PREFETCH (3 << 1)
#define PKG_PLACEHOLDER 4	/* bytes reserved for a PkgLength, shrunk on close */

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

long aml_finish(struct aml *a)
{
	return a->error || a->depth ? -1 : (long)a->len;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->error || n > a->cap - a->len) {
		a->error = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		byte(a, (uint8_t)(v >> (8 * i)));
}

static void nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4) {
		a->error = true;
		return;
	}
	memcpy(seg, s, n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	unsigned int nsegs = 1;
	const char *p;

	if (*path == '\\') {
		byte(a, AML_ROOT);
		path++;
	}
	for (p = path; *p; p++)
		nsegs += *p == '.';
	if (nsegs == 2)
		byte(a, AML_DUAL_NAME);
	else if (nsegs > 2) {
		byte(a, AML_MULTI_NAME);
		byte(a, (uint8_t)nsegs);
	}
	while (*path) {
		size_t n = strcspn(path, ".");

		nameseg(a, path, n);
		path += n + (path[n] == '.');
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		byte(a, AML_ZERO);
	} else if (v == 1) {
		byte(a, AML_ONE);
	} else if (v <= 0xff) {
		byte(a, AML_BYTE);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		byte(a, AML_WORD);
		le(a, v, 2);
	} else if (v <= 0xffffffffULL) {
		byte(a, AML_DWORD);
		le(a, v, 4);
	} else {
		byte(a, AML_QWORD);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

static unsigned int hexval(char c)
{
	return c <= '9' ? (unsigned int)(c - '0') : (unsigned int)((c | 0x20) - 'a' + 10);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v;

	if (strlen(id) != 7) {
		a->error = true;
		return;
	}
	/* Three 5-bit letters ('A' = 1) and four hex digits, stored big-endian. */
	v = (uint32_t)((id[0] - 0x40) & 0x1f) << 26 | (uint32_t)((id[1] - 0x40) & 0x1f) << 21 |
	    (uint32_t)((id[2] - 0x40) & 0x1f) << 16 | hexval(id[3]) << 12 | hexval(id[4]) << 8 |
	    hexval(id[5]) << 4 | hexval(id[6]);
	byte(a, AML_DWORD);
	byte(a, (uint8_t)(v >> 24));
	byte(a, (uint8_t)(v >> 16));
	byte(a, (uint8_t)(v >> 8));
	byte(a, (uint8_t)v);
}

void aml_name(struct aml *a, const char *name)
{
	byte(a, AML_NAME);
	aml_namestring(a, name);
}

static void open_pkg(struct aml *a, bool is_buffer)
{
	if (a->depth >= AML_MAX_DEPTH) {
		a->error = true;
		return;
	}
	a->open[a->depth] = a->len;
	a->is_buffer[a->depth] = is_buffer;
	a->depth++;
	le(a, 0, PKG_PLACEHOLDER);
}

void aml_scope(struct aml *a, const char *path)
{
	byte(a, AML_SCOPE);
	open_pkg(a, false);
	aml_namestring(a, path);
}

void aml_device(struct aml *a, const char *name)
{
	byte(a, AML_EXT);
	byte(a, AML_DEVICE);
	open_pkg(a, false);
	aml_namestring(a, name);
}

void aml_package(struct aml *a, uint8_t nr_elements)
{
	byte(a, AML_PACKAGE);
	open_pkg(a, false);
	byte(a, nr_elements);
}

void aml_method(struct aml *a, const char *name, uint8_t nr_args)
{
	byte(a, AML_METHOD);
	open_pkg(a, false);
	aml_namestring(a, name);
	byte(a, nr_args & 7);	/* not serialized, sync level 0 */
}

void aml_if_arg0_equals(struct aml *a, uint64_t v)
{
	byte(a, AML_IF);
	open_pkg(a, false);
	byte(a, AML_LEQUAL);
	byte(a, AML_ARG0);
	aml_integer(a, v);
}

void aml_notify(struct aml *a, const char *path, uint8_t value)
{
	byte(a, AML_NOTIFY);
	aml_namestring(a, path);
	aml_integer(a, value);
}

void aml_resource_template(struct aml *a)
{
	byte(a, AML_BUFFER);
	open_pkg(a, true);
	byte(a, AML_WORD);	/* BufferSize, patched on close */
	le(a, 0, 2);
}

/*
 * PkgLength counts itself: 1 byte up to 63, else a lead byte (count of extra bytes in bits 7-6,
 * low nibble in bits 3-0) and up to 3 more bytes.
 */
void aml_close(struct aml *a)
{
	size_t pos, body, total;
	unsigned int n;

	if (a->error || a->depth == 0) {
		a->error = true;
		return;
	}
	a->depth--;
	pos = a->open[a->depth];
	if (a->is_buffer[a->depth]) {
		byte(a, RES_END);
		byte(a, 0);	/* checksum 0: "the descriptors are valid" */
		if (a->error)
			return;
		body = a->len - pos - PKG_PLACEHOLDER - 3;
		a->buf[pos + PKG_PLACEHOLDER + 1] = (uint8_t)body;
		a->buf[pos + PKG_PLACEHOLDER + 2] = (uint8_t)(body >> 8);
	}
	body = a->len - pos - PKG_PLACEHOLDER;
	for (n = 1; n <= 4; n++)
		if (body + n < (n == 1 ? 64u : 1u << (4 + 8 * (n - 1))))
			break;
	if (n > 4) {
		a->error = true;
		return;
	}
	total = body + n;
	memmove(a->buf + pos + n, a->buf + pos + PKG_PLACEHOLDER, body);
	a->len -= PKG_PLACEHOLDER - n;
	if (n == 1) {
		a->buf[pos] = (uint8_t)total;
		return;
	}
	a->buf[pos] = (uint8_t)((n - 1) << 6 | (total & 0xf));
	for (unsigned int i = 1; i < n; i++)
		a->buf[pos + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void aml_res_bus_range(struct aml *a, uint16_t min, uint16_t max)
{
	byte(a, RES_WORD);
	le(a, 13, 2);
	byte(a, RES_TYPE_BUS);
	byte(a, RES_WINDOW_FLAGS);
	byte(a, 0);
	le(a, 0, 2);			/* granularity */
	le(a, min, 2);
	le(a, max, 2);
	le(a, 0, 2);			/* translation */
	le(a, (uint16_t)(max - min + 1), 2);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	byte(a, RES_IO);
	byte(a, 1);			/* 16-bit decode */
	le(a, base, 2);
	le(a, base, 2);
	byte(a, 1);			/* alignment */
	byte(a, len);
}

void aml_res_mem32_window(struct aml *a, uint32_t base, uint32_t len)
{
	byte(a, RES_DWORD);
	le(a, 23, 2);
	byte(a, RES_TYPE_MEM);
	byte(a, RES_WINDOW_FLAGS);
	byte(a, RES_MEM_RW);		/* non-cacheable */
	le(a, 0, 4);
	le(a, base, 4);
	le(a, base + len - 1, 4);
	le(a, 0, 4);
	le(a, len, 4);
}

void aml_res_mem64_window(struct aml *a, uint64_t base, uint64_t len, bool prefetchable)
{
	byte(a, RES_QWORD);
	le(a, 43, 2);
	byte(a, RES_TYPE_MEM);
	byte(a, RES_WINDOW_FLAGS);
	byte(a, RES_MEM_RW | (prefetchable ? RES_MEM_PREFETCH : 0));
	le(a, 0, 8);
	le(a, base, 8);
	le(a, base + len - 1, 8);
	le(a, 0, 8);
	le(a, len, 8);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	byte(a, RES_MEM32_FIXED);
	le(a, 9, 2);
	byte(a, RES_MEM_RW);
	le(a, base, 4);
	le(a, len, 4);
}

void aml_res_irq(struct aml *a, uint8_t isa_irq)
{
	if (isa_irq > 15) {
		a->error = true;
		return;
	}
	byte(a, RES_IRQ_NOFLAGS);
	le(a, 1u << isa_irq, 2);
}

void aml_res_interrupt(struct aml *a, uint32_t gsi)
{
	byte(a, RES_EXT_IRQ);
	le(a, 6, 2);
	byte(a, RES_IRQ_CONSUMER_EDGE);
	byte(a, 1);
	le(a, gsi, 4);
}
