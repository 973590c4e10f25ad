/* SPDX-License-Identifier: MIT */
/*
 * The arch's boot protocol (arch/arch.h): struct boot_config (kernel, initrd, cmdline, vCPUs in;
 * arch/boot_config.h), the arch's struct boot_entry (the boot vCPU's entry state out) and
 * boot_setup(), which loads the kernel and initrd into guest RAM and writes the hardware description the
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
