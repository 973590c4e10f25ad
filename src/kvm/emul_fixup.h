/* SPDX-License-Identifier: MIT */
/*
 * Recovery for KVM_EXIT_INTERNAL_ERROR emulation failures on hosts whose KVM emulates guest
 * kernel mode (BRIEF section 6): instructions the VMM can complete itself. Never triggers on
 * hardware KVM, where these instructions run natively.
 */
#ifndef MICROVM_EMUL_FIXUP_H
#define MICROVM_EMUL_FIXUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* Reads up to len instruction bytes at the vCPU's RIP (through its page tables). */
int vcpu_fetch_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t *buf, size_t len);
/* Completes the failed instruction if it is one we know (int3, fwait). true = resume the vCPU. */
bool emul_fixup(struct vcpu *vcpu);

#endif
