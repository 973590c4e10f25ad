// SPDX-License-Identifier: MIT
/*
 * 16550A UART. The transmitter is always empty (output is written synchronously), so a
 * THR-empty interrupt is raised whenever the guest enables it or writes a byte: Linux's
 * serial driver relies on it to keep transmitting from its buffer.
 */
#include "legacy/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "util/log.h"
#include "kvm/vm.h"

enum { UART_RX_TX = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
       UART_MSR = 6, UART_SCR = 7 };

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_DEFAULT 0xb0 /* DCD, DSR, CTS */

static const struct bus_ops serial_ops = { serial_io_read, serial_io_write };

int serial_init(struct serial *s, struct vm *vm, int out_fd)
{
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->out_fd = out_fd;
	s->iir = IIR_NO_INT;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DEFAULT;
	s->mcr = 0x08; /* OUT2 */
	pthread_mutex_init(&s->lock, NULL);
	/* x86: ports 0x3f8-0x3ff; arm64: the same registers as bytes over MMIO (ns16550a) */
	return bus_register(&vm->ARCH_SERIAL_BUS, ARCH_SERIAL_ADDR, 8, &serial_ops, s, "serial0");
}

/*
 * Recomputes IIR and drives the IRQ line when the pending interrupt changes (as kvmtool does):
 * KVM's IOAPIC delivers an edge-triggered pin again once the previous one was delivered, so a
 * new event needs no explicit pulse, and register reads while an interrupt is pending must not
 * re-raise it. Caller holds the lock.
 */
static void update_irq(struct serial *s)
{
	uint8_t iir = IIR_NO_INT;

	if ((s->ier & IER_RDI) && s->rx_count)
		iir = IIR_RDI;
	else if ((s->ier & IER_THRI) && s->thr_pending)
		iir = IIR_THRI;
	if ((s->iir & 0x0f) != iir)
		vm_irq_line(s->vm, IRQ_SERIAL0, iir != IIR_NO_INT);
	s->iir = iir | ((s->fcr & 1) ? IIR_FIFO : 0);
}

static void transmit(struct serial *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_count < SERIAL_RX_SIZE) {
			s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_SIZE] = byte;
			s->rx_count++;
		}
		return;
	}
	if (s->out_fd >= 0) {
		ssize_t n;

		do {
			n = write(s->out_fd, &byte, 1);
		} while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN)
			s->out_fd = -1; /* output closed: drop further output, keep the guest running */
	}
	s->bytes_out++;
}

void serial_io_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct serial *s = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&s->lock);
	switch (offset) {
	case UART_RX_TX:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
		} else {
			transmit(s, v);
			s->thr_pending = true;
		}
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
		} else {
			/* Enabling THRI with an empty transmitter raises the interrupt at once. */
			if (!(s->ier & IER_THRI) && (v & IER_THRI))
				s->thr_pending = true;
			s->ier = v & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		s->fcr = v;
		if (v & 0x02) { /* clear receive FIFO */
			s->rx_head = 0;
			s->rx_count = 0;
		}
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default: /* LSR, MSR: read-only */
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_io_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct serial *s = opaque;
	uint8_t v = 0;

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	switch (offset) {
	case UART_RX_TX:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
			s->rx_count--;
		}
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		v = s->iir;
		/* Reading IIR while it reports THRE acknowledges that interrupt. */
		if ((s->iir & 0x0f) == IIR_THRI)
			s->thr_pending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
		break;
	case UART_MSR:
		v = (s->mcr & MCR_LOOP) ? (uint8_t)((s->mcr & 0x0f) << 4) : s->msr;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	*(uint8_t *)data = v;
}

/*
 * Host input is held back until the guest's driver listens (receive interrupts enabled): input
 * that arrives during boot would otherwise be thrown away when the driver resets the FIFOs, and
 * scripted consoles (stdin a pipe) would lose their first commands.
 */
static size_t rx_space_locked(const struct serial *s)
{
	if (!(s->ier & IER_RDI))
		return 0;
	return SERIAL_RX_SIZE - s->rx_count;
}

size_t serial_rx_space(struct serial *s)
{
	size_t space;

	pthread_mutex_lock(&s->lock);
	space = rx_space_locked(s);
	pthread_mutex_unlock(&s->lock);
	return space;
}

size_t serial_push_input(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && rx_space_locked(s)) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_SIZE] = buf[n++];
		s->rx_count++;
	}
	if (n)
		update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}
