// SPDX-License-Identifier: MIT
/*
 * Fuzz target: arm64 kernel files (Image, Image.gz, garbage) through the header parser and the
 * bounded gzip inflation (src/arch/arm64/image.c). A parsed header must describe a load that
 * stays below 2 MiB + image_size and covers the file; inflation must respect its cap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "arch/arm64/image.h"

#define FUZZ_INFLATE_MAX (16ULL << 20)

static void check(const uint8_t *data, size_t size)
{
	struct image_info info;
	char err[256];

	if (image_parse(data, size, &info, err, sizeof(err)) == 0) {
		if (info.text_offset >= (2ULL << 20) || (info.text_offset & 0xfff) ||
		    info.image_size < info.file_size || info.file_size != size)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;
	size_t out_size;
	char err[256];

	check(data, size);
	if (image_is_gzip(data, size) &&
	    image_gunzip(data, size, FUZZ_INFLATE_MAX, &out, &out_size, err, sizeof(err)) == 0) {
		if (out_size > FUZZ_INFLATE_MAX)
			abort();
		check(out, out_size);
		free(out);
	}
	return 0;
}
