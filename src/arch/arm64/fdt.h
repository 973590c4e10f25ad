/* SPDX-License-Identifier: MIT */
/*
 * The arm64 machine's device tree, built at boot with libfdt's sequential-write API: memory,
 * CPUs with PSCI (hvc), GICv3 + ITS, the arch timer, the ns16550a UART, the ECAM PCI host bridge
 * (ranges for both windows, msi-map to the ITS) and /chosen (bootargs, initrd, stdout-path).
 * Pure: it writes into a caller buffer and touches nothing else (unit tests run it on x86).
 */
#ifndef MICROVM_ARM64_FDT_H
#define MICROVM_ARM64_FDT_H

#include <stddef.h>
#include <stdint.h>

struct fdt_desc {
	uint64_t ram_base, ram_size;
	unsigned int nr_vcpus;
	const char *cmdline;                 /* NULL = empty */
	uint64_t initrd_start, initrd_size;  /* size 0 = no initrd */
	uint64_t mmio64_base, mmio64_size;   /* the 64-bit PCI window (size 0 = none) */
};

/* Builds the DTB into buf (at most size bytes): its total size, or -1 with a reason in err. */
int fdt_build(void *buf, size_t size, const struct fdt_desc *d, char *err, size_t errlen);

/* The phandles the tree uses. */
#define FDT_PHANDLE_GIC 1
#define FDT_PHANDLE_ITS 2

#endif
