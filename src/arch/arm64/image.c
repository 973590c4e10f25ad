// SPDX-License-Identifier: MIT
/* arm64 Image header parsing and gzip inflation (zlib). */
#include "arch/arm64/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int image_parse(const uint8_t *data, size_t size, struct image_info *out, char *err, size_t errlen)
{
	uint32_t magic;

	if (size < IMAGE_HEADER_SIZE) {
		snprintf(err, errlen, "too small for an arm64 Image header (%zu bytes)", size);
		return -1;
	}
	magic = (uint32_t)data[56] | (uint32_t)data[57] << 8 | (uint32_t)data[58] << 16 |
		(uint32_t)data[59] << 24;
	if (magic != IMAGE_MAGIC) {
		snprintf(err, errlen, "not an arm64 Image (no \"ARM\\x64\" magic at offset 56)");
		return -1;
	}
	out->text_offset = le64(data + 8);
	out->image_size = le64(data + 16);
	out->file_size = size;
	if (out->image_size == 0) {
		/* before Linux 3.17: image_size 0 means text_offset 0x80000, size unknown */
		out->text_offset = 0x80000;
		out->image_size = size;
	}
	if (out->text_offset >= (2ULL << 20) || (out->text_offset & 0xfff)) {
		snprintf(err, errlen, "arm64 Image text_offset 0x%llx is not a page offset below 2 MiB",
			 (unsigned long long)out->text_offset);
		return -1;
	}
	if (out->image_size < size) {
		snprintf(err, errlen, "arm64 Image image_size %llu is smaller than the file (%zu)",
			 (unsigned long long)out->image_size, size);
		return -1;
	}
	return 0;
}

int image_is_gzip(const uint8_t *data, size_t size)
{
	return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

int image_gunzip(const uint8_t *data, size_t size, size_t max, uint8_t **out, size_t *out_size,
		 char *err, size_t errlen)
{
	z_stream zs;
	size_t cap = size * 4 < max ? size * 4 : max;
	uint8_t *buf;
	int ret;

	*out = NULL;
	*out_size = 0;
	if (size > UINT32_MAX || cap == 0) {
		snprintf(err, errlen, "gzip Image of %zu bytes is out of range", size);
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		snprintf(err, errlen, "zlib: cannot initialise inflate");
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		inflateEnd(&zs);
		snprintf(err, errlen, "out of memory for the inflated Image");
		return -1;
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)size;
	for (;;) {
		if (zs.total_out == cap) {
			uint8_t *nb;

			if (cap == max) {
				snprintf(err, errlen, "inflated Image is larger than %zu bytes", max);
				goto fail;
			}
			cap = cap * 2 < max ? cap * 2 : max;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory for the inflated Image");
				goto fail;
			}
			buf = nb;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out < UINT32_MAX ? cap - zs.total_out : UINT32_MAX);
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret != Z_OK && !(ret == Z_BUF_ERROR && zs.avail_out == 0)) {
			snprintf(err, errlen, "gzip Image is corrupt or truncated (zlib %d%s%s)", ret,
				 zs.msg ? ": " : "", zs.msg ? zs.msg : "");
			goto fail;
		}
	}
	*out = buf;
	*out_size = zs.total_out;
	inflateEnd(&zs);
	return 0;
fail:
	free(buf);
	inflateEnd(&zs);
	return -1;
}
