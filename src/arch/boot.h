/* SPDX-License-Identifier: MIT */
/*
 * The arch's boot protocol (arch/arch.h): struct boot_config (kernel, initrd, cmdline, vCPUs in),
 * struct boot_entry (the boot vCPU's entry state out) and
 *   int boot_setup(const struct guest_mem *mem, const struct boot_config *bc,
 *                  struct boot_entry *be, char *err, size_t errlen);
 * which loads the kernel and initrd into guest RAM and writes the hardware description the
 * kernel reads at boot (x86: zero page/PVH info, e820, MP table; arm64: the device tree).
 */
#ifndef MICROVM_ARCH_BOOT_H
#define MICROVM_ARCH_BOOT_H

#if defined(__aarch64__)
#include "arch/arm64/boot/boot.h"
#else
#include "arch/x86/boot/boot.h"
#endif

#endif
