/* SPDX-License-Identifier: MIT */
/* vCPUs: one thread each running KVM_RUN; exits dispatched to the PIO/MMIO buses. */
#ifndef MICROVM_VCPU_H
#define MICROVM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct vm;
struct boot_entry;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	int stats_fd;              /* KVM's own counters (vmm/kvm_stats.h), -1 if none */
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int started;
	atomic_ulong exits;        /* all KVM_RUN returns */
	atomic_ulong user_exits;   /* exits handled in the VMM (I/O, MMIO, ...) */
};

/* Creates nr vCPUs with CPUID, MSRs and LAPIC set up. 0 or -errno (message logged). */
int vcpus_create(struct vm *vm, unsigned int nr);
/* Puts the boot processor into the state the boot protocol expects. */
int vcpu_boot_setup(struct vcpu *vcpu, const struct boot_entry *be);
/* Starts one thread per vCPU. */
int vcpus_start(struct vm *vm);
/* Kicks all vCPUs out of KVM_RUN (after vm_request_stop) and joins them. */
void vcpus_stop(struct vm *vm);
/* Logs each vCPU's state (run state, RIP, RSP, flags) at info level: after a timeout/signal. */
void vcpus_dump(struct vm *vm);
void vcpus_destroy(struct vm *vm);

#endif
