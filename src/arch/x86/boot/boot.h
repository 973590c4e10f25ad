/* SPDX-License-Identifier: MIT */
/*
 * x86 boot setup in guest RAM: loads a bzImage (64-bit boot protocol >= 2.12), an ELF vmlinux
 * (64-bit entry with a zero page) or a PVH ELF (Xen PVH note, 32-bit entry with hvm_start_info),
 * and writes the GDT, identity page tables, command line, initrd, e820 map and MP table.
 *
 * CPU state the caller must set before the first KVM_RUN:
 *   BOOT_LINUX64: long mode. CR0 = PE|PG|ET (|NE), CR4 = PAE, EFER = LME|LMA, CR3 = out->cr3,
 *     GDTR = {gdt_base, gdt_limit}, CS = 0x10 (64-bit code, L=1), DS/ES/SS/FS/GS = 0x18,
 *     a valid TR (the GDT has no TSS entry: set a busy 64-bit TSS in sregs directly),
 *     RIP = out->rip, RSI = out->rsi (zero page), RFLAGS = 0x2, other GPRs 0.
 *   BOOT_PVH: 32-bit protected mode, paging off. CR0 = PE|ET, CR4 = 0, EFER = 0,
 *     GDTR as above, CS = 0x08 (flat 32-bit code), DS/ES/SS/FS/GS = 0x18, a valid TR,
 *     RIP = out->rip, RBX = out->rbx (hvm_start_info), RFLAGS = 0x2, other GPRs 0.
 * Application processors (SMP) start through INIT/SIPI from the guest; only the BSP needs this.
 */
#ifndef MICROVM_BOOT_H
#define MICROVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "arch/boot_config.h"
#include "mm/guest_mem.h"

enum boot_protocol { BOOT_LINUX64, BOOT_PVH };

struct boot_entry {
	enum boot_protocol protocol;
	uint64_t rip;		/* entry point */
	uint64_t rsi;		/* BOOT_LINUX64: zero page address */
	uint64_t rbx;		/* BOOT_PVH: hvm_start_info address */
	uint64_t cr3;		/* BOOT_LINUX64: PML4 address (identity map of 4 GiB); 0 for PVH */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t kernel_start, kernel_end;	/* loaded image (bzImage: up to init_size), for messages */
	uint64_t initrd_addr;
	uint64_t initrd_size;
};

/* For messages: which protocol boot_setup picked. */
#define BOOT_PROTOCOL_NAME(be) ((be)->protocol == BOOT_PVH ? "PVH" : "64-bit")

/* GDT selectors written by boot_setup. */
#define BOOT_GDT_CODE32  0x08
#define BOOT_GDT_CODE64  0x10
#define BOOT_GDT_DATA    0x18
#define BOOT_GDT_ENTRIES 4

/* MP table limit: APIC ids are 8 bits, the IOAPIC takes id nr_vcpus, 0xff is broadcast. */
#define BOOT_MAX_VCPUS 254

/*
 * e820 map of gm: RAM [0, EBDA), reserved EBDA and ACPI/BIOS area, RAM [1 MiB, end of low RAM),
 * the reserved ECAM,
 * RAM above 4 GiB when present. Returns the number of entries (<= max) or -1 if max is too small.
 */
int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, unsigned int max);

/*
 * MP floating pointer in the EBDA and MP configuration table (EBDA, or the BIOS area when too
 * big): nr_vcpus processors (APIC ids 0..n-1), ISA bus 0, IOAPIC id nr_vcpus at
 * LAYOUT_IOAPIC_ADDR, ISA IRQs 0-15 (IRQ0 -> pin 2, IRQ2 omitted), ExtINT/NMI on LINT0/1.
 * Returns 0 or -1 with err.
 */
int mptable_setup(struct guest_mem *gm, unsigned int nr_vcpus, char *err, size_t errlen);

#endif
