// SPDX-License-Identifier: MIT
/*
 * 16550A register behaviour Linux depends on: THR-empty interrupt raised when enabled and after
 * each transmitted byte, acknowledged by reading IIR; receive FIFO with data-ready; divisor
 * latch; loopback; output reaching the host fd.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacy/serial.h"
#include "kvm/vm.h"

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static struct vm vm;
static struct serial s;
static int pipefd[2];

static uint8_t rd(int reg)
{
	uint8_t v;

	serial_io_read(&s, reg, &v, 1);
	return v;
}

static void wr(int reg, uint8_t v)
{
	serial_io_write(&s, reg, &v, 1);
}

static void setup(void)
{
	ck_assert_int_eq(vm_init_harness(&vm, 16 << 20), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(serial_init(&s, &vm, pipefd[1]), 0);
}

static void teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
	vm_destroy(&vm);
}

START_TEST(test_output)
{
	char buf[8] = { 0 };

	ck_assert_uint_eq(rd(LSR) & 0x60, 0x60); /* THRE | TEMT */
	wr(RBR, 'o');
	wr(RBR, 'k');
	ck_assert_int_eq(read(pipefd[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "ok");
	ck_assert_uint_eq(s.bytes_out, 2);
}
END_TEST

START_TEST(test_thre_interrupt)
{
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);       /* nothing pending */
	wr(IER, 0x02);                                  /* enable THRI: raised at once */
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x02);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);       /* reading IIR acknowledged it */
	wr(RBR, 'x');                                   /* each byte raises it again */
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x02);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);
	wr(IER, 0x00);
	wr(RBR, 'y');
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);       /* disabled: never reported */
}
END_TEST

START_TEST(test_receive)
{
	uint8_t in[100];

	memset(in, 'a', sizeof(in));
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
	/* nobody listening yet: input is held back by the host side */
	ck_assert_uint_eq(serial_rx_space(&s), 0);
	ck_assert_uint_eq(serial_push_input(&s, in, sizeof(in)), 0);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
	wr(IER, 0x01);
	ck_assert_uint_eq(serial_rx_space(&s), SERIAL_RX_SIZE);
	ck_assert_uint_eq(serial_push_input(&s, in, sizeof(in)), SERIAL_RX_SIZE);
	ck_assert_uint_eq(serial_rx_space(&s), 0);
	ck_assert_uint_eq(rd(LSR) & 0x01, 1);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x04);       /* data available */
	for (int i = 0; i < SERIAL_RX_SIZE; i++)
		ck_assert_uint_eq(rd(RBR), 'a');
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
	ck_assert_uint_eq(rd(IIR) & 0x0f, 0x01);
	ck_assert_uint_eq(serial_rx_space(&s), SERIAL_RX_SIZE);
	/* FCR bit 1 clears the receive FIFO */
	serial_push_input(&s, in, 3);
	wr(IIR, 0x03);
	ck_assert_uint_eq(rd(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_divisor_and_scratch)
{
	wr(LCR, 0x80);          /* DLAB */
	wr(RBR, 0x01);
	wr(IER, 0x02);
	ck_assert_uint_eq(rd(RBR), 0x01);
	ck_assert_uint_eq(rd(IER), 0x02);
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(IER), 0x00); /* the divisor did not leak into IER */
	wr(SCR, 0x5a);
	ck_assert_uint_eq(rd(SCR), 0x5a);
}
END_TEST

START_TEST(test_loopback)
{
	char buf[4];

	wr(MCR, 0x10 | 0x0b);
	wr(RBR, 'L');
	ck_assert_uint_eq(rd(LSR) & 0x01, 1);
	ck_assert_uint_eq(rd(RBR), 'L');
	ck_assert_uint_eq(rd(MSR) & 0xf0, 0xb0);  /* loopback mirrors MCR into MSR */
	wr(MCR, 0x08);
	ck_assert_uint_eq(rd(MSR), 0xb0);
	wr(RBR, 'O');
	ck_assert_int_eq(read(pipefd[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'O');
}
END_TEST

int main(void)
{
	Suite *s = suite_create("serial");
	TCase *tc = tcase_create("serial");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_output);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_receive);
	tcase_add_test(tc, test_divisor_and_scratch);
	tcase_add_test(tc, test_loopback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
