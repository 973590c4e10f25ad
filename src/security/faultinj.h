/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (test-only build: make FAULTINJ=1 BUILD=build/faultinj, see faultinj.mk).
 * The link wraps malloc, calloc, mmap, sendmsg and ioctl (-Wl,--wrap=...) for every object of
 * microvm, so calls from libc itself are untouched. MICROVM_FAULT="kind:N[,kind:N...]" makes
 * the N-th call (1-based, counted over all threads) of that kind fail once with a plausible
 * errno: malloc/calloc -> NULL/ENOMEM, mmap -> MAP_FAILED/ENOMEM, sendmsg -> -1/ECONNRESET,
 * ioctl -> -1/ENOMEM. Each injected failure prints "microvm: faultinj: failing <kind> call #N"
 * on stderr. MICROVM_FAULT_COUNT=1 prints the number of calls of each kind at exit
 * ("microvm: faultinj: calls <kind>=<n>", one line per kind). In a sanitizer build
 * (SAN=1), MICROVM_FAULT_TRACE=1 prints the stack of each injected failure.
 * In a normal build this file compiles to nothing but faultinj_enabled() == false.
 */
#ifndef MICROVM_SECURITY_FAULTINJ_H
#define MICROVM_SECURITY_FAULTINJ_H

#include <stdbool.h>

enum faultinj_kind { FI_MALLOC, FI_CALLOC, FI_MMAP, FI_SENDMSG, FI_IOCTL, FI_NR_KINDS };

/* True in a FAULTINJ=1 build. */
bool faultinj_enabled(void);
/* Calls of kind so far (0 in a normal build). */
unsigned long faultinj_calls(enum faultinj_kind kind);

#endif
