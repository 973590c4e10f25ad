// SPDX-License-Identifier: MIT
#include "vmm/boot_timer.h"

#include "vmm/clock.h"

#include <stdatomic.h>

#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static uint64_t start_ns;
static atomic_uint_fast64_t init_ns;

static void timer_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	uint_fast64_t expected = 0;
	uint64_t now = monotonic_ns() - start_ns;

	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
	if (atomic_compare_exchange_strong(&init_ns, &expected, now))
		pr_info("guest init reached after %llu.%03llu ms", (unsigned long long)(now / 1000000),
			(unsigned long long)(now / 1000 % 1000));
}

static const struct bus_ops timer_ops = { .write = timer_write };

int boot_timer_init(struct vm *vm, uint64_t t0_ns)
{
	start_ns = t0_ns;
	atomic_store(&init_ns, 0);
	return bus_register(&vm->pio_bus, PORT_BOOT_TIMER, 4, &timer_ops, NULL, "boot-timer");
}

uint64_t boot_timer_init_ns(void)
{
	return atomic_load(&init_ns);
}
