/* SPDX-License-Identifier: MIT */
/* vCPUs: one thread each running KVM_RUN; exits dispatched to the PIO/MMIO buses. */
#ifndef MICROVM_VCPU_H
#define MICROVM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/worker.h"

struct vm;
struct boot_entry;
struct kvm_run;
struct exit_stats;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	int stats_fd;              /* KVM's own counters (kvm/kvm_stats.h), -1 if none */
	struct kvm_run *run;
	size_t run_size;
	struct worker worker;       /* its thread (util/worker.h); kicked with VCPU_KICK_SIGNAL */
	atomic_ulong exits;        /* all KVM_RUN returns */
	atomic_ulong user_exits;   /* exits handled in the VMM (I/O, MMIO, ...) */
	struct exit_stats *stats;  /* -v: per-reason/port/device counts (exit_stats.h), or NULL */
};

/* Creates nr vCPUs with CPUID, MSRs and LAPIC set up. 0 or -errno (message logged). */
int vcpus_create(struct vm *vm, unsigned int nr);
/* Puts the boot processor into the state the boot protocol expects. */
int vcpu_boot_setup(struct vcpu *vcpu, const struct boot_entry *be);
/* Starts one thread per vCPU. */
int vcpus_start(struct vm *vm);
/* Kicks all vCPUs out of KVM_RUN (after vm_request_stop) and joins them. */
void vcpus_stop(struct vm *vm);
/*
 * Pause: kicks every vCPU out of KVM_RUN and waits (at most timeout_ms) until all are parked;
 * guest state stays in KVM, devices and back-ends are untouched. 0, -EALREADY (paused),
 * -ESHUTDOWN (stopping), -ETIMEDOUT (a vCPU did not park in time: pause undone).
 * Resume: lets them run again; 0 or -EALREADY (not paused). Any thread but a vCPU's.
 */
int vcpus_pause(struct vm *vm, unsigned int timeout_ms);
int vcpus_resume(struct vm *vm);
bool vcpus_paused(struct vm *vm);
/* Run loop: parks the calling vCPU while a pause is requested (and the VM not stopping). */
void vcpu_park(struct vcpu *vcpu);
/* Logs each vCPU's state (run state, RIP, RSP, flags) at info level: after a timeout/signal. */
void vcpus_dump(struct vm *vm);
void vcpus_destroy(struct vm *vm);

#endif
