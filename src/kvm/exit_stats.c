// SPDX-License-Identifier: MIT
#include "kvm/exit_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"

#define REPORT_MAX 24		/* entries per line, largest first */
#define LINE_MAX_LEN 1024

const char *const exit_stats_reason_names[EXIT_STATS_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception", [KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall", [KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio", [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq-window",
	[KVM_EXIT_SHUTDOWN] = "shutdown", [KVM_EXIT_FAIL_ENTRY] = "fail-entry",
	[KVM_EXIT_INTR] = "intr", [KVM_EXIT_INTERNAL_ERROR] = "internal-error",
	[KVM_EXIT_SYSTEM_EVENT] = "system-event",
};

int exit_stats_enable(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].stats = calloc(1, sizeof(struct exit_stats));
		if (!vm->vcpus[i].stats)
			return -ENOMEM;
	}
	return 0;
}

static void count_mmio(struct exit_stats *st, uint64_t addr)
{
	uint64_t page = addr >> 12;
	unsigned int h = (unsigned int)((page * 0x9e3779b97f4a7c15ULL) >> 58);

	for (unsigned int i = 0; i < EXIT_STATS_MMIO_SLOTS; i++) {
		unsigned int s = (h + i) % EXIT_STATS_MMIO_SLOTS;

		if (st->mmio[s].count && st->mmio[s].addr >> 12 != page)
			continue;
		if (!st->mmio[s].count)
			st->mmio[s].addr = addr;
		st->mmio[s].count++;
		return;
	}
	st->mmio_other++;
}

void exit_stats_count(struct exit_stats *st, const struct kvm_run *run)
{
	uint32_t r = run->exit_reason;
	uint64_t *c = &st->reason[r < EXIT_STATS_REASONS ? r : EXIT_STATS_REASONS - 1];

	/* one writer (this vCPU); the control API reads it with relaxed loads: plain moves on x86 */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	if (r == KVM_EXIT_IO)
		st->pio[run->io.port]++;
	else if (r == KVM_EXIT_MMIO)
		count_mmio(st, run->mmio.phys_addr);
}

struct tally {
	const char *name;
	uint64_t key;
	uint64_t count;
};

static int by_count(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* "title: a 1, b 2, ... (N more)" with up to REPORT_MAX entries, largest first. */
static void log_tally(const char *title, struct tally *t, unsigned int n, bool hex_keys)
{
	char line[LINE_MAX_LEN];
	size_t len = 0;

	qsort(t, n, sizeof(*t), by_count);
	len += (size_t)snprintf(line, sizeof(line), "%s:", title);
	for (unsigned int i = 0; i < n && i < REPORT_MAX && len < sizeof(line); i++) {
		if (hex_keys)
			len += (size_t)snprintf(line + len, sizeof(line) - len, " 0x%llx%s%s%s %llu,",
						(unsigned long long)t[i].key, t[i].name ? " (" : "",
						t[i].name ? t[i].name : "", t[i].name ? ")" : "",
						(unsigned long long)t[i].count);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %llu,", t[i].name,
						(unsigned long long)t[i].count);
	}
	if (n > REPORT_MAX && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, " (%u more)", n - REPORT_MAX);
	else if (n && len < sizeof(line) && line[len - 1] == ',')
		line[--len] = 0;
	pr_info("%s%s", line, n ? "" : " none");
}

static void report_reasons(struct vm *vm)
{
	struct tally t[EXIT_STATS_REASONS];
	static char other[EXIT_STATS_REASONS][16];
	unsigned int n = 0;

	for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++) {
		uint64_t c = 0;

		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			c += vm->vcpus[i].stats->reason[r];
		if (!c)
			continue;
		if (exit_stats_reason_names[r]) {
			t[n].name = exit_stats_reason_names[r];
		} else {
			snprintf(other[r], sizeof(other[r]), "reason-%u", r);
			t[n].name = other[r];
		}
		t[n].key = r;
		t[n++].count = c;
	}
	log_tally("exits by reason", t, n, false);
}

static void report_ports(struct vm *vm)
{
	struct tally *t = calloc(REPORT_MAX * 4, sizeof(*t));
	unsigned int n = 0, cap = REPORT_MAX * 4;
	struct bus_range r;

	if (!t)
		return;
	for (unsigned int port = 0; port < EXIT_STATS_PORTS; port++) {
		uint64_t c = 0;

		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			c += vm->vcpus[i].stats->pio[port];
		if (!c)
			continue;
		if (n == cap) {
			/* Keep the largest: sort and drop the smallest half. */
			qsort(t, n, sizeof(*t), by_count);
			n = cap / 2;
		}
		t[n].key = port;
		t[n].name = bus_find(&vm->pio_bus, port, &r) ? r.name : NULL;
		t[n++].count = c;
	}
	log_tally("PIO exits by port", t, n, true);
	free(t);
}

static void add_named(struct tally *t, unsigned int *n, unsigned int cap, const char *name,
		      uint64_t count)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (!strcmp(t[i].name, name)) {
			t[i].count += count;
			return;
		}
	}
	if (*n < cap)
		t[(*n)++] = (struct tally){ .name = name, .count = count };
}

static void report_mmio(struct vm *vm)
{
	unsigned int cap = EXIT_STATS_MMIO_SLOTS + 2, n = 0;
	struct tally t[EXIT_STATS_MMIO_SLOTS + 2];
	struct bus_range r;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		const struct exit_stats *st = vm->vcpus[i].stats;

		for (unsigned int s = 0; s < EXIT_STATS_MMIO_SLOTS; s++) {
			if (!st->mmio[s].count)
				continue;
			add_named(t, &n, cap, bus_find(&vm->mmio_bus, st->mmio[s].addr, &r) ?
				  r.name : "unassigned", st->mmio[s].count);
		}
		if (st->mmio_other)
			add_named(t, &n, cap, "other", st->mmio_other);
	}
	log_tally("MMIO exits by device", t, n, false);
}

void exit_stats_report(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (!vm->vcpus[i].stats)
			goto out;
	report_reasons(vm);
	report_ports(vm);
	report_mmio(vm);
out:
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		free(vm->vcpus[i].stats);
		vm->vcpus[i].stats = NULL;
	}
}
