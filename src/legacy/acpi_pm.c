// SPDX-License-Identifier: MIT
#include "legacy/acpi_pm.h"

#include <string.h>

#include "acpi/acpi.h"
#include "util/exit_codes.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "kvm/vm.h"

enum { PM_SLEEP_CTL, PM_SLEEP_STS, PM_RESET, PM_NR_PORTS };

_Static_assert(PORT_ACPI_SLEEP_STS == PORT_ACPI_SLEEP_CTL + PM_SLEEP_STS &&
	       PORT_ACPI_RESET == PORT_ACPI_SLEEP_CTL + PM_RESET, "ACPI PM ports are contiguous");

static void pm_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
}

static void pm_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct vm *vm = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	if (offset == PM_SLEEP_CTL && (v & ACPI_SLEEP_CTL_EN) &&
	    ACPI_SLEEP_CTL_TYPE(v) == ACPI_SLEEP_TYPE_S5) {
		pr_info("guest powered off (ACPI S5)");
		vm_request_stop(vm, EXIT_GUEST_OK);
	} else if (offset == PM_RESET && v == ACPI_RESET_VALUE) {
		pr_info("guest reset through the ACPI reset register");
		vm_request_stop(vm, EXIT_GUEST_OK);
	}
}

static const struct bus_ops pm_ops = { pm_read, pm_write };

int acpi_pm_reset_vector_setup(struct vm *vm)
{
	/* mov al, RESET_VALUE; mov dx, PORT_ACPI_RESET; out dx, al; 1: hlt; jmp 1b */
	const uint8_t stub[] = {
		0xb0, ACPI_RESET_VALUE, 0xba, PORT_ACPI_RESET & 0xff, PORT_ACPI_RESET >> 8, 0xee,
		0xf4, 0xeb, 0xfd,
	};

	return guest_mem_write(&vm->mem, LAYOUT_RESET_VECTOR, stub, sizeof(stub)) ? -1 : 0;
}

int acpi_pm_init(struct vm *vm)
{
	return bus_register(&vm->pio_bus, PORT_ACPI_SLEEP_CTL, PM_NR_PORTS, &pm_ops, vm, "acpi-pm");
}

int acpi_pm_power_button(struct vm *vm)
{
	int ret = vm_irq_line(vm, IRQ_ACPI_GED, 1);

	if (!ret)
		ret = vm_irq_line(vm, IRQ_ACPI_GED, 0);
	return ret;
}
