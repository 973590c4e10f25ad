// SPDX-License-Identifier: MIT
#include "legacy/boot_timer.h"

#include "util/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "kvm/kvm_stats.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"

static uint64_t start_ns;
static atomic_uint_fast64_t init_ns;

/*
 * What the boot cost the vCPUs so far: their threads' CPU time (unlike the wall time, not
 * stretched by other load on the host) and KVM's own counters. On a KVM that emulates guest
 * kernel mode (BRIEF s.6) that is where boot time goes. Counters KVM lacks stay 0.
 */
struct boot_cost {
	uint64_t cpu_ns;
	unsigned long long insns, exits;
};

static void boot_cost(const struct vm *vm, struct boot_cost *c)
{
	struct timespec ts;
	clockid_t clk;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->worker.running && !pthread_getcpuclockid(vcpu->worker.thread, &clk) &&
		    !clock_gettime(clk, &ts))
			c->cpu_ns += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (vcpu->stats_fd < 0)
			continue;
		if (!kvm_stats_read(vcpu->stats_fd, "insn_emulation", &v))
			c->insns += v;
		if (!kvm_stats_read(vcpu->stats_fd, "exits", &v))
			c->exits += v;
	}
}

static void timer_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	uint_fast64_t expected = 0;
	uint64_t now = monotonic_ns() - start_ns;
	struct boot_cost c;

	(void)offset;
	(void)data;
	(void)len;
	if (!atomic_compare_exchange_strong(&init_ns, &expected, now))
		return;
	boot_cost(opaque, &c);
	pr_info("guest init reached after %llu.%03llu ms (vCPU CPU time %llu ms; KVM: %llu "
		"instructions emulated, %llu exits)", (unsigned long long)(now / 1000000),
		(unsigned long long)(now / 1000 % 1000), (unsigned long long)(c.cpu_ns / 1000000),
		c.insns, c.exits);
}

static const struct bus_ops timer_ops = { .write = timer_write };

int boot_timer_init(struct vm *vm, uint64_t t0_ns)
{
	start_ns = t0_ns;
	atomic_store(&init_ns, 0);
	return bus_register(&vm->pio_bus, PORT_BOOT_TIMER, 4, &timer_ops, vm, "boot-timer");
}

uint64_t boot_timer_init_ns(void)
{
	return atomic_load(&init_ns);
}
