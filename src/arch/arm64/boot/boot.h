/* SPDX-License-Identifier: MIT */
/*
 * arm64 boot setup in guest RAM (the arm64 side of arch/boot.h): the kernel Image (plain or
 * gzip) at the start of RAM + text_offset, the initrd and the device tree at the end of RAM.
 *
 * CPU state the caller sets (vcpu_boot_setup): PC = out->rip, x0 = out->dtb_addr, x1-x3 = 0,
 * PSTATE EL1h with DAIF masked, MMU and caches off (KVM_ARM_VCPU_INIT's reset state).
 * Secondary CPUs start through PSCI CPU_ON, handled by KVM.
 */
#ifndef MICROVM_ARM64_BOOT_H
#define MICROVM_ARM64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/boot_config.h"
#include "mm/guest_mem.h"

enum boot_protocol { BOOT_ARM64_IMAGE };

struct boot_entry {
	enum boot_protocol protocol;
	uint64_t rip;		/* entry point (PC) */
	uint64_t dtb_addr;	/* x0 */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_addr;
	uint64_t initrd_size;
};

#define BOOT_PROTOCOL_NAME(be) ((void)(be), "arm64 Image")
#define BOOT_MAX_VCPUS 64

#endif
