/* SPDX-License-Identifier: MIT */
/*
 * The arm64 Linux `Image` (Documentation/arch/arm64/booting.rst): a 64-byte header with
 * text_offset, image_size and the magic "ARM\x64" at 56. Debian ships it uncompressed; other
 * distributions ship Image.gz, which image_unpack inflates (zlib) into a bounded buffer.
 */
#ifndef MICROVM_ARM64_IMAGE_H
#define MICROVM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAGIC 0x644d5241U    /* "ARM\x64" little-endian */
#define IMAGE_HEADER_SIZE 64

struct image_info {
	uint64_t text_offset;    /* load offset from a 2 MiB aligned base */
	uint64_t image_size;     /* bytes the kernel occupies from there (incl. bss) */
	uint64_t file_size;      /* bytes to copy */
};

/* Parses an uncompressed Image: 0, or -1 with a reason in err. */
int image_parse(const uint8_t *data, size_t size, struct image_info *out, char *err, size_t errlen);
/* True if data starts with the gzip magic. */
int image_is_gzip(const uint8_t *data, size_t size);
/*
 * Inflates a gzip-compressed Image into a malloc'd buffer of at most max bytes (*out, *out_size;
 * free() it). 0, or -1 with a reason in err (corrupt, truncated, larger than max).
 */
int image_gunzip(const uint8_t *data, size_t size, size_t max, uint8_t **out, size_t *out_size,
		 char *err, size_t errlen);

#endif
