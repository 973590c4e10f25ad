// SPDX-License-Identifier: MIT
/*
 * Split virtqueue walker: valid chains (direct, indirect, zero-length) and malformed ones, at the
 * library level and through a virtio-blk device (NEEDS_RESET, no crash, nothing outside RAM).
 */
#include <check.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness/harness.h"
#include "virtio/virtqueue.h"

#define MiB (1ULL << 20)
#define QSZ 8
#define RAM (16 * MiB)

static struct harness *h;
static struct virtq vq;
static struct virtq_elem elem;
static struct vring_desc *desc;
static struct vring_avail *avail;
static struct vring_used *used;
static uint64_t buf;        /* 64 KiB of guest RAM for buffers and tables */
static uint16_t avail_idx;
static struct virtio_queue ring;   /* the rings' guest addresses */

static void setup(void)
{
	struct virtio_queue q = { .size = QSZ, .call_fd = -1 };

	h = harness_create(RAM);
	ck_assert_ptr_nonnull(h);
	q.desc_gpa = harness_alloc(h, 16 * QSZ, 16);
	q.avail_gpa = harness_alloc(h, 6 + 2 * QSZ, 2);
	q.used_gpa = harness_alloc(h, 6 + 8 * QSZ, 4);
	buf = harness_alloc(h, 65536, 4096);
	desc = harness_ptr(h, q.desc_gpa, 16 * QSZ);
	avail = harness_ptr(h, q.avail_gpa, 6 + 2 * QSZ);
	used = harness_ptr(h, q.used_gpa, 6 + 8 * QSZ);
	avail_idx = 0;
	ring = q;
	ck_assert_int_eq(virtq_init(&vq, &h->vm.mem, &q, 1ULL << VIRTIO_RING_F_INDIRECT_DESC, "test"), 0);
	ck_assert_int_eq(virtq_elem_alloc(&elem, &vq), 0);
}

static void teardown(void)
{
	virtq_elem_free(&elem);
	harness_destroy(h);
}

static void set_desc(struct vring_desc *t, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void publish(uint16_t head)
{
	avail->ring[avail_idx % QSZ] = head;
	avail_idx++;
	avail->idx = avail_idx;
}

static int pop_head(uint16_t head)
{
	publish(head);
	return virtq_pop(&vq, &elem);
}

START_TEST(test_empty_and_simple_chain)
{
	ck_assert_int_eq(virtq_pop(&vq, &elem), 0);
	set_desc(desc, 0, buf, 16, VRING_DESC_F_NEXT, 3);
	set_desc(desc, 3, buf + 16, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 5);
	set_desc(desc, 5, buf + 1024, 1, VRING_DESC_F_WRITE, 0);
	ck_assert_int_eq(pop_head(0), 1);
	ck_assert_uint_eq(elem.head, 0);
	ck_assert_uint_eq(elem.out_num, 1);
	ck_assert_uint_eq(elem.in_num, 2);
	ck_assert_uint_eq(elem.out_len, 16);
	ck_assert_uint_eq(elem.in_len, 513);
	ck_assert_ptr_eq(elem.iov[0].iov_base, harness_ptr(h, buf, 16));
	ck_assert_ptr_eq(elem.iov[2].iov_base, harness_ptr(h, buf + 1024, 1));
	virtq_push(&vq, 0, 513);
	ck_assert_uint_eq(used->idx, 1);
	ck_assert_uint_eq(used->ring[0].id, 0);
	ck_assert_uint_eq(used->ring[0].len, 513);
	ck_assert_int_eq(virtq_pop(&vq, &elem), 0);
}
END_TEST

START_TEST(test_full_length_chain_ok)
{
	for (unsigned int i = 0; i < QSZ; i++)
		set_desc(desc, i, buf + i * 64, 64, i + 1 < QSZ ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	ck_assert_int_eq(pop_head(0), 1);
	ck_assert_uint_eq(elem.out_num, QSZ);
}
END_TEST

START_TEST(test_zero_length_skipped)
{
	set_desc(desc, 0, buf, 0, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, buf, 8, VRING_DESC_F_NEXT, 2);
	set_desc(desc, 2, buf, 0, VRING_DESC_F_WRITE, 0);
	ck_assert_int_eq(pop_head(0), 1);
	ck_assert_uint_eq(elem.out_num, 1);
	ck_assert_uint_eq(elem.in_num, 0);
	ck_assert(!vq.broken);
}
END_TEST

START_TEST(test_indirect_ok)
{
	struct vring_desc *t = harness_ptr(h, buf + 4096, 16 * 4);

	set_desc(t, 0, buf, 16, VRING_DESC_F_NEXT, 2);
	set_desc(t, 2, buf + 64, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(t, 1, buf + 8192, 1, VRING_DESC_F_WRITE, 0);
	set_desc(desc, 4, buf + 4096, 16 * 3, VRING_DESC_F_INDIRECT, 0);
	ck_assert_int_eq(pop_head(4), 1);
	ck_assert_uint_eq(elem.head, 4);
	ck_assert_uint_eq(elem.out_num, 1);
	ck_assert_uint_eq(elem.in_num, 2);
	ck_assert_uint_eq(elem.in_len, 4097);
}
END_TEST

/* Each malformed case: -EINVAL, queue broken, later pops refused. */
static void expect_broken(uint16_t head)
{
	ck_assert_int_eq(pop_head(head), -EINVAL);
	ck_assert(vq.broken);
	ck_assert_int_eq(virtq_pop(&vq, &elem), -EINVAL);
}

START_TEST(test_loop)
{
	set_desc(desc, 0, buf, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, buf, 16, VRING_DESC_F_NEXT, 2);
	set_desc(desc, 2, buf, 16, VRING_DESC_F_NEXT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_self_loop)
{
	set_desc(desc, 3, buf, 16, VRING_DESC_F_NEXT, 3);
	expect_broken(3);
}
END_TEST

START_TEST(test_head_past_ring)
{
	expect_broken(QSZ);
}
END_TEST

START_TEST(test_next_past_ring)
{
	set_desc(desc, 0, buf, 16, VRING_DESC_F_NEXT, QSZ);
	expect_broken(0);
}
END_TEST

START_TEST(test_avail_idx_jump)
{
	set_desc(desc, 0, buf, 16, 0, 0);
	avail->idx = QSZ + 1;
	ck_assert_int_eq(virtq_pop(&vq, &elem), -EINVAL);
	ck_assert(vq.broken);
}
END_TEST

START_TEST(test_address_outside_ram)
{
	set_desc(desc, 0, RAM - 8, 16, 0, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_address_in_mmio_hole)
{
	set_desc(desc, 0, 0xfee00000, 4, 0, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_overflowing_length)
{
	set_desc(desc, 0, 0xffffffffffff0000ULL, 0x20000, 0, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_huge_length)
{
	set_desc(desc, 0, buf, 0xffffffffu, 0, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_read_after_write)
{
	set_desc(desc, 0, buf, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(desc, 1, buf, 16, 0, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_nested_indirect)
{
	struct vring_desc *t = harness_ptr(h, buf + 4096, 32);

	set_desc(t, 0, buf + 8192, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc, 0, buf + 4096, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_bad_length)
{
	set_desc(desc, 0, buf + 4096, 24, VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_too_long)
{
	set_desc(desc, 0, buf + 4096, 16 * (QSZ + 1), VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_outside_ram)
{
	set_desc(desc, 0, RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_with_next)
{
	set_desc(desc, 0, buf + 4096, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_loop)
{
	struct vring_desc *t = harness_ptr(h, buf + 4096, 32);

	set_desc(t, 0, buf, 8, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, buf, 8, VRING_DESC_F_NEXT, 0);
	set_desc(desc, 0, buf + 4096, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_indirect_not_negotiated)
{
	struct virtio_queue q = { .size = QSZ, .call_fd = -1 };

	q.desc_gpa = harness_alloc(h, 16 * QSZ, 16);
	q.avail_gpa = harness_alloc(h, 6 + 2 * QSZ, 2);
	q.used_gpa = harness_alloc(h, 6 + 8 * QSZ, 4);
	ck_assert_int_eq(virtq_init(&vq, &h->vm.mem, &q, 0, "noindirect"), 0);
	desc = harness_ptr(h, q.desc_gpa, 16 * QSZ);
	avail = harness_ptr(h, q.avail_gpa, 6 + 2 * QSZ);
	set_desc(desc, 0, buf + 4096, 32, VRING_DESC_F_INDIRECT, 0);
	expect_broken(0);
}
END_TEST

START_TEST(test_bad_ring_addresses)
{
	struct virtio_queue q = { .size = QSZ, .desc_gpa = RAM - 64, .avail_gpa = 0x2000,
				  .used_gpa = 0x3000, .call_fd = -1 };
	struct virtq t;

	ck_assert_int_eq(virtq_init(&t, &h->vm.mem, &q, 0, "bad"), -EINVAL);   /* past RAM */
	q.desc_gpa = 0x1008;
	ck_assert_int_eq(virtq_init(&t, &h->vm.mem, &q, 0, "bad"), -EINVAL);   /* misaligned */
	q.desc_gpa = 0x1000;
	q.used_gpa = 0x3002;
	ck_assert_int_eq(virtq_init(&t, &h->vm.mem, &q, 0, "bad"), -EINVAL);
	q.used_gpa = 0x3000;
	q.size = 6;
	ck_assert_int_eq(virtq_init(&t, &h->vm.mem, &q, 0, "bad"), -EINVAL);   /* not 2^n */
	q.size = QSZ;
	ck_assert_int_eq(virtq_init(&t, &h->vm.mem, &q, 0, "ok"), 0);
}
END_TEST

START_TEST(test_interrupt_suppression)
{
	set_desc(desc, 0, buf, 16, 0, 0);
	ck_assert_int_eq(pop_head(0), 1);
	virtq_push(&vq, 0, 0);
	ck_assert(virtq_should_notify(&vq));
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	ck_assert(!virtq_should_notify(&vq));
}
END_TEST

/* EVENT_IDX at the library level: used_event decides interrupts, avail_event is published. */
START_TEST(test_event_idx)
{
	uint16_t *used_event = &avail->ring[QSZ];
	uint16_t *avail_ev = (uint16_t *)&used->ring[QSZ];

	ck_assert_int_eq(virtq_init(&vq, &h->vm.mem, &ring, 1ULL << VIRTIO_RING_F_EVENT_IDX, "ev"),
			 0);
	set_desc(desc, 0, buf, 16, 0, 0);
	*avail_ev = 0xffff;
	/* running dry publishes avail_event = the next index we need a kick for */
	ck_assert_int_eq(virtq_pop(&vq, &elem), 0);
	ck_assert_uint_eq(*avail_ev, 0);
	ck_assert_int_eq(pop_head(0), 1);
	ck_assert_int_eq(pop_head(0), 1);
	ck_assert_int_eq(virtq_pop(&vq, &elem), 0);
	ck_assert_uint_eq(*avail_ev, 2);
	/* the first completion is always signalled; NO_INTERRUPT is ignored under EVENT_IDX */
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 0;
	virtq_push(&vq, 0, 0);                    /* used idx 1 */
	ck_assert(virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                    /* 2: used_event 0 already passed */
	ck_assert(!virtq_should_notify(&vq));
	*used_event = 2;
	virtq_push(&vq, 0, 0);                    /* 3 passes 2 */
	ck_assert(virtq_should_notify(&vq));
	/* a batch 3 -> 6 crossing used_event 4: one interrupt; one not reaching 10: none */
	*used_event = 4;
	for (int i = 0; i < 3; i++)
		virtq_push(&vq, 0, 0);
	ck_assert(virtq_should_notify(&vq));
	*used_event = 10;
	for (int i = 0; i < 3; i++)
		virtq_push(&vq, 0, 0);
	ck_assert(!virtq_should_notify(&vq));
	/* 16-bit wrap-around: used_event 65535 is passed by 65535 -> 0 */
	vq.used_idx = 65534;
	vq.signalled_used = 65534;
	*used_event = 65535;
	virtq_push(&vq, 0, 0);                    /* 65535 */
	ck_assert(!virtq_should_notify(&vq));
	virtq_push(&vq, 0, 0);                    /* 0 */
	ck_assert(virtq_should_notify(&vq));
}
END_TEST

START_TEST(test_iov_helpers)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[5] = { 5, 6, 7, 8, 9 }, out[9];
	struct iovec iov[2] = { { a, 4 }, { b, 5 } }, sl[2];

	ck_assert_uint_eq(iov_to_buf(iov, 2, 2, out, 9), 7);
	ck_assert_uint_eq(out[0], 3);
	ck_assert_uint_eq(out[6], 9);
	ck_assert_int_eq(iov_slice(iov, 2, 3, 3, sl, 2), 2);
	ck_assert_uint_eq(sl[0].iov_len, 1);
	ck_assert_uint_eq(sl[1].iov_len, 2);
	ck_assert_int_eq(iov_slice(iov, 2, 3, 7, sl, 2), -1);
	ck_assert_int_eq(iov_slice(iov, 2, 0, 9, sl, 1), -1);
	ck_assert_uint_eq(iov_from_buf(iov, 2, 8, "xy", 2), 1);
	ck_assert_uint_eq(b[4], 'x');
}
END_TEST

/* ---- the same through virtio-blk: NEEDS_RESET, config interrupt, device survives ---- */

static char *img;
static struct hblk blk;

static void blk_setup(void)
{
	int slot;

	h = harness_create(RAM);
	img = harness_temp_image(MiB, 3);
	slot = harness_add_blk(h, img, false, NULL);
	ck_assert_int_gt(slot, 0);
	ck_assert_int_eq(hblk_init(&blk, h, (unsigned int)slot, 1), 0);
	buf = harness_alloc(h, 65536, 4096);
}

static void blk_teardown(void)
{
	hvirtio_cleanup(&blk.v);
	harness_destroy(h);
	unlink(img);
	free(img);
}

/* Publishes head, kicks, and expects NEEDS_RESET with a config interrupt; then recovers. */
static void blk_expect_needs_reset(uint16_t head)
{
	uint8_t data[512];

	hvq_publish(&blk.v, 0, head);
	hvq_kick(&blk.v, 0);
	ck_assert(hvirtio_wait_vector(&blk.v, 0, 5000));
	ck_assert(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(hvq_used_idx(&blk.v, 0), 0);
	/* Reset and the device works again. */
	ck_assert_int_eq(hvirtio_start(&blk.v, blk.v.features, 1), 0);
	ck_assert_int_eq(hblk_read(&blk, 0, 0, data, sizeof(data)), VIRTIO_BLK_S_OK);
}

static void blk_hdr(uint64_t gpa, uint32_t type)
{
	struct virtio_blk_outhdr hdr = { .type = type, .sector = 0 };

	harness_memwrite(h, gpa, &hdr, sizeof(hdr));
}

static struct vring_desc *bd(unsigned int i)
{
	return hvq_desc(&blk.v, 0, i);
}

START_TEST(test_blk_loop)
{
	blk_hdr(buf, VIRTIO_BLK_T_IN);
	*bd(0) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ buf + 512, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0 };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_chain_longer_than_queue)
{
	uint16_t n = blk.v.vq[0].size;

	blk_hdr(buf, VIRTIO_BLK_T_IN);
	for (uint16_t i = 0; i < n; i++)
		*bd(i) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % n) };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_head_past_ring)
{
	blk_expect_needs_reset(blk.v.vq[0].size + 3);
}
END_TEST

START_TEST(test_blk_outside_ram)
{
	blk_hdr(buf, VIRTIO_BLK_T_IN);
	*bd(0) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ RAM - 256, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	*bd(2) = (struct vring_desc){ buf + 16, 1, VRING_DESC_F_WRITE, 0 };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_overflowing_length)
{
	blk_hdr(buf, VIRTIO_BLK_T_IN);
	*bd(0) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ ~0ULL - 100, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	*bd(2) = (struct vring_desc){ buf + 16, 1, VRING_DESC_F_WRITE, 0 };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_zero_length_status)
{
	/* The only writable descriptor has length 0: no status byte to report in. */
	blk_hdr(buf, VIRTIO_BLK_T_FLUSH);
	*bd(0) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ buf + 16, 0, VRING_DESC_F_WRITE, 0 };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_zero_length_data_ok)
{
	uint8_t status = 0xff;

	/* A zero-length data buffer inside a valid request is simply skipped. */
	blk_hdr(buf, VIRTIO_BLK_T_FLUSH);
	harness_memwrite(h, buf + 16, &status, 1);
	*bd(0) = (struct vring_desc){ buf, 16, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ buf + 4096, 0, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	*bd(2) = (struct vring_desc){ buf + 16, 1, VRING_DESC_F_WRITE, 0 };
	hvq_publish(&blk.v, 0, 0);
	hvq_kick(&blk.v, 0);
	ck_assert_int_eq(hvq_wait_used(&blk.v, 0, 5000, NULL), 0);
	harness_memread(h, buf + 16, &status, 1);
	ck_assert_uint_eq(status, VIRTIO_BLK_S_OK);
	ck_assert(!(hvirtio_get_status(&blk.v) & VIRTIO_CONFIG_S_NEEDS_RESET));
}
END_TEST

START_TEST(test_blk_indirect_not_negotiated)
{
	struct vring_desc *t = harness_ptr(h, buf + 4096, 32);

	blk_hdr(buf, VIRTIO_BLK_T_IN);
	t[0] = (struct vring_desc){ buf + 8192, 32, VRING_DESC_F_INDIRECT, 0 };   /* nested */
	*bd(0) = (struct vring_desc){ buf + 4096, 32, VRING_DESC_F_INDIRECT, 0 };
	blk_expect_needs_reset(0);
}
END_TEST

START_TEST(test_blk_short_header)
{
	uint8_t status = 0xff;

	/* Malformed request but well-formed chain: IOERR, no reset. */
	*bd(0) = (struct vring_desc){ buf, 8, VRING_DESC_F_NEXT, 1 };
	*bd(1) = (struct vring_desc){ buf + 16, 1, VRING_DESC_F_WRITE, 0 };
	hvq_publish(&blk.v, 0, 0);
	hvq_kick(&blk.v, 0);
	ck_assert_int_eq(hvq_wait_used(&blk.v, 0, 5000, NULL), 0);
	harness_memread(h, buf + 16, &status, 1);
	ck_assert_uint_eq(status, VIRTIO_BLK_S_IOERR);
}
END_TEST

static Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("walker");
	TCase *tb = tcase_create("blk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty_and_simple_chain);
	tcase_add_test(tc, test_full_length_chain_ok);
	tcase_add_test(tc, test_zero_length_skipped);
	tcase_add_test(tc, test_indirect_ok);
	tcase_add_test(tc, test_loop);
	tcase_add_test(tc, test_self_loop);
	tcase_add_test(tc, test_head_past_ring);
	tcase_add_test(tc, test_next_past_ring);
	tcase_add_test(tc, test_avail_idx_jump);
	tcase_add_test(tc, test_address_outside_ram);
	tcase_add_test(tc, test_address_in_mmio_hole);
	tcase_add_test(tc, test_overflowing_length);
	tcase_add_test(tc, test_huge_length);
	tcase_add_test(tc, test_read_after_write);
	tcase_add_test(tc, test_nested_indirect);
	tcase_add_test(tc, test_indirect_bad_length);
	tcase_add_test(tc, test_indirect_too_long);
	tcase_add_test(tc, test_indirect_outside_ram);
	tcase_add_test(tc, test_indirect_with_next);
	tcase_add_test(tc, test_indirect_loop);
	tcase_add_test(tc, test_indirect_not_negotiated);
	tcase_add_test(tc, test_bad_ring_addresses);
	tcase_add_test(tc, test_interrupt_suppression);
	tcase_add_test(tc, test_event_idx);
	tcase_add_test(tc, test_iov_helpers);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, blk_setup, blk_teardown);
	tcase_set_timeout(tb, 60);
	tcase_add_test(tb, test_blk_loop);
	tcase_add_test(tb, test_blk_chain_longer_than_queue);
	tcase_add_test(tb, test_blk_head_past_ring);
	tcase_add_test(tb, test_blk_outside_ram);
	tcase_add_test(tb, test_blk_overflowing_length);
	tcase_add_test(tb, test_blk_zero_length_status);
	tcase_add_test(tb, test_blk_zero_length_data_ok);
	tcase_add_test(tb, test_blk_indirect_not_negotiated);
	tcase_add_test(tb, test_blk_short_header);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtqueue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
