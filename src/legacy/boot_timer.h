/* SPDX-License-Identifier: MIT */
/*
 * Boot-timer port (PORT_BOOT_TIMER): the guest's init writes any value there once it runs;
 * microvm records the time since process start ("guest init reached after X ms").
 */
#ifndef MICROVM_BOOT_TIMER_H
#define MICROVM_BOOT_TIMER_H

#include <stdint.h>

struct vm;

/* t0_ns: CLOCK_MONOTONIC at process start. */
int boot_timer_init(struct vm *vm, uint64_t t0_ns);
/* Nanoseconds from start to the first write, 0 if the guest never wrote. */
uint64_t boot_timer_init_ns(void);

#endif
