/* SPDX-License-Identifier: MIT */
/* 8250/16550A UART at 0x3f8, IRQ 4: output to a file descriptor, input pushed by the main loop. */
#ifndef MICROVM_SERIAL_H
#define MICROVM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_RX_SIZE 64

struct vm;

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	int out_fd;                 /* guest output goes here (stdout) */
	uint8_t ier, iir, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_pending;           /* THR-empty interrupt pending until IIR is read or THR written */
	uint8_t rx[SERIAL_RX_SIZE];
	unsigned int rx_head, rx_count;
	uint64_t bytes_out;
};

int serial_init(struct serial *s, struct vm *vm, int out_fd);
/*
 * Queues input bytes for the guest; returns how many were accepted: none while the guest has
 * receive interrupts disabled (its driver is not listening yet), fewer when the FIFO fills.
 */
size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t len);
/* Free space in the receive FIFO. */
size_t serial_rx_space(struct serial *s);

/* Register-level access, for the PIO bus and unit tests. */
void serial_io_read(void *opaque, uint64_t offset, void *data, uint32_t len);
void serial_io_write(void *opaque, uint64_t offset, const void *data, uint32_t len);

#endif
