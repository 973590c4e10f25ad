/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's KVM statistics (KVM_GET_STATS_FD): counters KVM keeps itself, such as the guest
 * instructions it emulated (insn_emulation) and all exits, also those handled in the kernel.
 * microvm's own counters (struct vcpu) only see the exits that reach user space. Reading the
 * stats fd needs no debugfs (which a locked-down host refuses).
 */
#ifndef MICROVM_KVM_STATS_H
#define MICROVM_KVM_STATS_H

#include <stdint.h>

/* The stats fd of a vCPU (or VM) fd, or -errno (KVM without KVM_CAP_BINARY_STATS_FD). */
int kvm_stats_open(int kvm_obj_fd);
/* Reads the single-value counter NAME. 0, -ENOENT (no such counter) or -errno. */
int kvm_stats_read(int stats_fd, const char *name, uint64_t *val);

#endif
