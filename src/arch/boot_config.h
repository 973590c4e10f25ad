/* SPDX-License-Identifier: MIT */
/*
 * What every arch's boot protocol takes (struct boot_config) and its one entry point. Each
 * arch's boot.h includes this and defines struct boot_entry, the boot vCPU's entry state.
 */
#ifndef MICROVM_ARCH_BOOT_CONFIG_H
#define MICROVM_ARCH_BOOT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct boot_config {
	const uint8_t *kernel;	/* whole file contents */
	size_t kernel_size;
	const uint8_t *initrd;	/* NULL/0 = none */
	size_t initrd_size;
	const char *cmdline;	/* NULL = empty */
	unsigned int nr_vcpus;
};

struct boot_entry;
struct guest_mem;

/*
 * Validates the image against RAM, loads the kernel and initrd and writes the hardware
 * description the kernel reads at boot, fills *out. On error returns -1 with one line in err
 * (no trailing newline), written to read well after a "kernel 'PATH': " prefix. Nothing is
 * assumed about guest RAM contents before the call.
 */
int boot_setup(struct guest_mem *gm, const struct boot_config *bc, struct boot_entry *out,
	       char *err, size_t errlen);

#endif
