/* SPDX-License-Identifier: MIT */
/*
 * Guest-physical memory map of the microvm arm64 machine (the layout of QEMU's "virt" board
 * where it matters to Linux; the device tree, arch/arm64/fdt.c, describes all of it):
 *
 *   0x0800_0000  GICv3 distributor (64 KiB)
 *   0x0808_0000  GICv3 ITS (128 KiB): MSI-X messages write its GITS_TRANSLATER
 *   0x080a_0000  GICv3 redistributors, 128 KiB per vCPU (64 vCPUs: up to 0x088a_0000)
 *   0x0900_0000  ns16550a UART (4 KiB, SPI 1): legacy/serial.c on the MMIO bus
 *   0x1000_0000  32-bit PCI MMIO window (512 MiB)
 *   0x3000_0000  PCI ECAM (bus 0 only, 1 MiB); no I/O port space on arm64
 *   0x4000_0000  RAM, one region: the kernel Image at its start + text_offset, the initrd and
 *                the DTB at its end (the DTB in the last 2 MiB)
 *   after RAM, 1 GiB aligned: 64-bit prefetchable PCI window (shared memory BARs), up to the
 *                40-bit IPA space KVM gives every arm64 VM by default (1 TiB)
 */
#ifndef MICROVM_ARM64_LAYOUT_H
#define MICROVM_ARM64_LAYOUT_H

#define LAYOUT_GICD_BASE       0x08000000ULL
#define LAYOUT_GICD_SIZE       0x10000ULL
#define LAYOUT_GITS_BASE       0x08080000ULL
#define LAYOUT_GITS_SIZE       0x20000ULL
#define LAYOUT_GICR_BASE       0x080a0000ULL
#define LAYOUT_GICR_SIZE_PER_CPU 0x20000ULL
#define LAYOUT_UART_BASE       0x09000000ULL
#define LAYOUT_UART_SIZE       0x1000ULL

#define LAYOUT_PCI_MMIO32_BASE 0x10000000ULL
#define LAYOUT_PCI_MMIO32_SIZE 0x20000000ULL /* 512 MiB */
#define LAYOUT_PCI_ECAM_BASE   0x30000000ULL
#define LAYOUT_PCI_ECAM_SIZE   0x100000ULL   /* bus 0 */

#define LAYOUT_RAM_BASE        0x40000000ULL
#define LAYOUT_LOW_RAM_MAX     0xfc0000000ULL /* RAM is one region: at most 63 GiB */
#define LAYOUT_HIGH_RAM_START  0x100000000ULL /* the 64-bit window starts here at the lowest */
#define LAYOUT_PCI_MMIO64_ALIGN 0x40000000ULL
#define LAYOUT_PCI_MMIO64_SIZE  0x20000000000ULL /* clamped to LAYOUT_IPA_BITS */
#define LAYOUT_IPA_BITS        40            /* KVM's default arm64 IPA size (VM type 0) */

#define LAYOUT_DTB_MAX         0x200000ULL   /* arm64 boot protocol: a DTB is at most 2 MiB */

/* Interrupts: SPIs are GIC INTIDs 32 + n; KVM_IRQ_LINE takes type << 24 | INTID. */
#define LAYOUT_SPI_UART        1
#define IRQ_SERIAL0            LAYOUT_SPI_UART /* vm_irq_line: an SPI number (arch_irq_line) */
#define LAYOUT_NR_IRQS         256           /* INTIDs the distributor implements (SPIs 0-223) */
#define LAYOUT_PPI_TIMER_SEC   13
#define LAYOUT_PPI_TIMER_NS    14
#define LAYOUT_PPI_TIMER_VIRT  11
#define LAYOUT_PPI_TIMER_HYP   10

#endif
