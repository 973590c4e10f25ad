// SPDX-License-Identifier: MIT
/*
 * The arm64 Image loader's parsing (src/arch/arm64/image.c): the header (magic, text_offset,
 * image_size, the pre-3.17 image_size 0 rule), and Image.gz inflation with its bounds
 * (corrupt, truncated, larger than the cap).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arch/arm64/image.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A fake Image of size bytes: header + a pattern. */
static uint8_t *fake_image(size_t size, uint64_t text_offset, uint64_t image_size)
{
	uint8_t *p = calloc(1, size);

	for (size_t i = IMAGE_HEADER_SIZE; i < size; i++)
		p[i] = (uint8_t)(i * 7);
	put64(p + 8, text_offset);
	put64(p + 16, image_size);
	memcpy(p + 56, "ARM\x64", 4);
	return p;
}

static uint8_t *gzip(const uint8_t *in, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = compressBound(len) + 64;
	uint8_t *out = malloc(cap);

	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

START_TEST(test_header)
{
	uint8_t *img = fake_image(4096, 0, 1 << 20);
	struct image_info info;
	char err[128];

	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.text_offset, 0);
	ck_assert_uint_eq(info.image_size, 1 << 20);
	ck_assert_uint_eq(info.file_size, 4096);
	/* image_size 0: an old kernel, text_offset 0x80000 */
	put64(img + 16, 0);
	put64(img + 8, 0x1234);
	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.text_offset, 0x80000);
	ck_assert_uint_eq(info.image_size, 4096);
	/* text_offset past 2 MiB or unaligned, image_size below the file, bad magic, short */
	put64(img + 16, 1 << 20);
	put64(img + 8, 2 << 20);
	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), -1);
	put64(img + 8, 0x80001);
	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), -1);
	put64(img + 8, 0);
	put64(img + 16, 100);
	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), -1);
	put64(img + 16, 1 << 20);
	img[59] = 0x65;
	ck_assert_int_eq(image_parse(img, 4096, &info, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
	ck_assert_int_eq(image_parse(img, 63, &info, err, sizeof(err)), -1);
	free(img);
}
END_TEST

START_TEST(test_gunzip)
{
	const size_t n = 3 << 20;    /* compresses well: the buffer has to grow several times */
	uint8_t *img = fake_image(n, 0, 4 << 20), *gz, *out;
	size_t gz_len, out_len;
	struct image_info info;
	char err[128];

	gz = gzip(img, n, &gz_len);
	ck_assert(image_is_gzip(gz, gz_len));
	ck_assert(!image_is_gzip(img, n));
	ck_assert_int_eq(image_gunzip(gz, gz_len, 64 << 20, &out, &out_len, err, sizeof(err)), 0);
	ck_assert_uint_eq(out_len, n);
	ck_assert_mem_eq(out, img, n);
	ck_assert_int_eq(image_parse(out, out_len, &info, err, sizeof(err)), 0);
	free(out);
	/* larger than the cap */
	ck_assert_int_eq(image_gunzip(gz, gz_len, n - 1, &out, &out_len, err, sizeof(err)), -1);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "larger"));
	/* truncated, corrupt */
	ck_assert_int_eq(image_gunzip(gz, gz_len / 2, 64 << 20, &out, &out_len, err, sizeof(err)), -1);
	ck_assert_ptr_null(out);
	gz[gz_len / 2] ^= 0xff;
	gz[gz_len / 2 + 1] ^= 0x55;
	ck_assert_int_eq(image_gunzip(gz, gz_len, 64 << 20, &out, &out_len, err, sizeof(err)), -1);
	ck_assert_ptr_null(out);
	free(gz);
	free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arm64_image");
	TCase *tc = tcase_create("arm64_image");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_gunzip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
