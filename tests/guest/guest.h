/* SPDX-License-Identifier: MIT */
/* Test guest: shared declarations (freestanding, no libc). */
#ifndef TESTGUEST_GUEST_H
#define TESTGUEST_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_PVH	1
#define BOOT_LINUX64	2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* entry.S */
extern uint64_t boot_info_ptr;
extern uint32_t boot_mode;
extern char __image_start[], __image_end[];
extern uint64_t pt_pml4[512];
extern char exc_stubs[];
void halt_forever(void) __attribute__((noreturn));

/* Port and MMIO access */
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t mmio_read8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* Full barrier without SSE (mfence): a locked add to the stack. */
static inline void mb(void) { asm volatile("lock addl $0, (%%rsp)" : : : "memory", "cc"); }
static inline void barrier(void) { asm volatile("" : : : "memory"); }
static inline void cpu_relax(void) { asm volatile("pause" : : : "memory"); }
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strncmp(const char *a, const char *b, size_t n);
uint32_t crc32(const void *buf, size_t len);
bool parse_u64(const char *s, size_t len, int base, uint64_t *out);

/* serial.c: 8250 at 0x3f8, polled */
void putc_serial(char c);
void puts_serial(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gvprintf(const char *fmt, va_list ap);

/* paging.c: makes [addr, addr+len) identity-mapped (2 MiB pages). 0 or -1 (pool exhausted). */
int map_identity(uint64_t addr, uint64_t len);
void idt_init(void);

/* boot.c: what the VMM handed over */
struct e820 {
	uint64_t addr, size;
	uint32_t type;
};
#define MAX_E820 128
extern struct e820 e820_map[MAX_E820];
extern unsigned int e820_count;
extern char cmdline[4096];
void boot_info_read(void);
void boot_info_print(void);
bool e820_is_ram(uint64_t addr, uint64_t len);

/* mptable.c */
void mptable_print(void);

/* main.c: test bookkeeping */
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_finish(void) __attribute__((noreturn));
void guest_reset(void) __attribute__((noreturn));

/* checks */
typedef int (*test_fn)(const char *arg);
int test_memtest(const char *arg);
int test_triple_fault(const char *arg);
int test_exec_mmio(const char *arg);
int test_unhandled_io(const char *arg);
int test_int3(const char *arg);
int test_fwait(const char *arg);
int deliberate_fwait(void);
void deliberate_int3(void);
extern volatile int bp_expected;
extern volatile unsigned int bp_hits;
extern volatile uint64_t bp_rip;
int test_pci_scan(const char *arg);
int test_blk_read(const char *arg);
int test_blk_write(const char *arg);
int test_shm_read(const char *arg);
int test_shm_write(const char *arg);
int test_shm_wait(const char *arg);
int test_tick(const char *arg);

#endif
