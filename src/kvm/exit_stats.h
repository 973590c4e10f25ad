/* SPDX-License-Identifier: MIT */
/*
 * Exit counters for `microvm -v`: every KVM_RUN return by exit reason, PIO exits by port, MMIO
 * exits by device. Each vCPU counts into its own struct (plain counters, no lock or atomic on
 * the hot path); exit_stats_report sums them after the vCPU threads are joined and logs three
 * lines at info level. Counting is off (vcpu->stats NULL) unless exit_stats_enable ran (-v, or
 * the control API, whose vm.counters reads reason[] with relaxed loads while vCPUs run).
 */
#ifndef MICROVM_EXIT_STATS_H
#define MICROVM_EXIT_STATS_H

#include <stdint.h>

#define EXIT_STATS_REASONS 64		/* reasons >= this count in the last slot */
#define EXIT_STATS_MMIO_SLOTS 64	/* distinct 4 KiB pages per vCPU; more count as "other" */
#define EXIT_STATS_PORTS 65536

struct kvm_run;
struct vm;

struct exit_stats {
	uint64_t reason[EXIT_STATS_REASONS];
	uint32_t pio[EXIT_STATS_PORTS];
	struct {
		uint64_t addr;		/* first address seen in the page, for the device lookup */
		uint64_t count;
	} mmio[EXIT_STATS_MMIO_SLOTS];
	uint64_t mmio_other;
};

/* "io", "mmio", ... by KVM_EXIT_* reason; NULL where KVM has no name we know. */
extern const char *const exit_stats_reason_names[EXIT_STATS_REASONS];

/* Allocates the per-vCPU counters (before the vCPUs start). 0 or -ENOMEM. */
int exit_stats_enable(struct vm *vm);
/* Called by the vCPU thread after each KVM_RUN return. */
void exit_stats_count(struct exit_stats *st, const struct kvm_run *run);
/* Logs the sums (after the vCPU threads are joined) and frees the counters. */
void exit_stats_report(struct vm *vm);

#endif
