// SPDX-License-Identifier: MIT
/*
 * Fuzz target: TOML parser and the vm.toml schema on the same input, then the layout checks
 * (machine_check_config: BAR placement of the cache_size windows, with positions).
 */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/toml.h"
#include "vmm/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_error err;
	struct toml_node *root;
	struct vm_config cfg;
	char msg[256];

	root = toml_parse((const char *)data, size, &err);
	toml_free(root);

	config_init(&cfg);
	if (!config_parse(&cfg, (const char *)data, size, "dir/vm.toml", msg, sizeof(msg)) &&
	    !config_validate(&cfg, msg, sizeof(msg)))
		machine_check_config(&cfg, msg, sizeof(msg));
	config_free(&cfg);
	return 0;
}
