// SPDX-License-Identifier: MIT
#include "legacy/i8042.h"

#include <string.h>

#include "util/exit_codes.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "kvm/vm.h"

#define I8042_CMD_RESET 0xfe

static void i8042_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, len);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct vm *vm = opaque;

	(void)offset;
	(void)len;
	if (*(const uint8_t *)data == I8042_CMD_RESET) {
		pr_info("guest reset through the i8042");
		vm_request_stop(vm, EXIT_GUEST_OK);
	}
}

static void i8042_data_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
}

static const struct bus_ops data_ops = { i8042_read, i8042_data_write };
static const struct bus_ops cmd_ops = { i8042_read, i8042_cmd_write };

int i8042_init(struct vm *vm)
{
	int ret = bus_register(&vm->pio_bus, PORT_I8042_DATA, 1, &data_ops, vm, "i8042-data");

	if (!ret)
		ret = bus_register(&vm->pio_bus, PORT_I8042_CMD, 1, &cmd_ops, vm, "i8042-cmd");
	return ret;
}
