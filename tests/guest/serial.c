// SPDX-License-Identifier: MIT
/* Test guest: polled 8250 output at 0x3f8 and a small printf (%s %c %d %u %x %p, l/ll, 0/width). */
#include "guest.h"
#include "arch/x86/layout.h"

#define UART_LSR	5
#define UART_LSR_THRE	0x20
#define THRE_SPINS	100000

void putc_serial(char c)
{
	/* Bounded: a UART that never drains must not hang the guest. */
	for (int i = 0; i < THRE_SPINS; i++)
		if (inb(PORT_SERIAL0 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(PORT_SERIAL0, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void put_num(uint64_t v, unsigned int base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		putc_serial(pad);
	while (n)
		putc_serial(buf[--n]);
}

static uint64_t get_arg(va_list *ap, int lng, bool sign)
{
	if (lng) {
		int64_t v = va_arg(*ap, int64_t);

		return (uint64_t)v;
	}
	if (sign)
		return (uint64_t)(int64_t)va_arg(*ap, int);
	return va_arg(*ap, unsigned int);
}

void gvprintf(const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0, lng = 0;
		uint64_t v;

		if (*fmt != '%') {
			putc_serial(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(aq, const char *);

			puts_serial(s ? s : "(null)");
			break;
		}
		case 'c':
			putc_serial((char)va_arg(aq, int));
			break;
		case 'd':
			v = get_arg(&aq, lng, true);
			if ((int64_t)v < 0) {
				putc_serial('-');
				v = -v;
			}
			put_num(v, 10, width, pad);
			break;
		case 'u':
			put_num(get_arg(&aq, lng, false), 10, width, pad);
			break;
		case 'x':
			put_num(get_arg(&aq, lng, false), 16, width, pad);
			break;
		case 'p':
			puts_serial("0x");
			put_num((uint64_t)va_arg(aq, void *), 16, 0, ' ');
			break;
		case '%':
			putc_serial('%');
			break;
		case '\0':
			va_end(aq);
			return;
		default:
			putc_serial('%');
			putc_serial(*fmt);
			break;
		}
	}
	va_end(aq);
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
}
