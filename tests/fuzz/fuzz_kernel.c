// SPDX-License-Identifier: MIT
/*
 * Fuzz target: kernel images (bzImage, ELF, PVH ELF, garbage) through boot_setup into a 64 MiB
 * guest created once. The whole input is the kernel file; its last byte picks the vCPU count
 * and an initrd size (none, small, or too big) so placement errors are exercised too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mm/guest_mem.h"
#include "arch/x86/boot/boot.h"

#define FUZZ_RAM (64ULL << 20)

static struct guest_mem gm;
static uint8_t *initrd;
static const size_t initrd_sizes[4] = { 0, 4096 + 17, 8ULL << 20, 70ULL << 20 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_config bc = { .kernel = data, .kernel_size = size, .cmdline = "console=ttyS0" };
	struct boot_entry be;
	uint8_t knob = size ? data[size - 1] : 0;
	char err[256];

	if (!gm.base) {
		if (guest_mem_init(&gm, FUZZ_RAM))
			abort();
		initrd = calloc(1, initrd_sizes[3]);
		if (!initrd)
			abort();
	}
	bc.nr_vcpus = 1 + (knob & 7);
	bc.initrd_size = initrd_sizes[(knob >> 3) & 3];
	bc.initrd = bc.initrd_size ? initrd : NULL;
	if (boot_setup(&gm, &bc, &be, err, sizeof(err)) == 0) {
		/* a successful setup must describe memory that exists */
		if (!guest_mem_ptr(&gm, be.rip, 1) || be.kernel_end > FUZZ_RAM ||
		    (bc.initrd_size && !guest_mem_ptr(&gm, be.initrd_addr, bc.initrd_size)))
			abort();
	}
	return 0;
}
