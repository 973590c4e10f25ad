/* SPDX-License-Identifier: MIT */
/*
 * Guest-physical memory map of the microvm x86_64 machine.
 *
 *   0x0000_0000  low RAM (e820 RAM up to EBDA)
 *       0x0500   GDT                         0x7000  boot_params (zero page)
 *       0x6000   PVH hvm_start_info+memmap   0x9000  PML4, 0xa000 PDPT, 0xb000.. 4 PDs
 *       0x20000  kernel command line (up to 64 KiB)
 *   0x0009_fc00  EBDA: MP floating pointer + MP config table (e820 reserved)
 *   0x000a_0000  legacy VGA/BIOS hole (e820 reserved 0xe0000-0xfffff)
 *   0x000e_0000  ACPI tables, RSDP first (64 KiB; [machine] acpi = true)
 *   0x000f_fff0  reset vector: writes the ACPI reset register (acpi = true)
 *   0x0010_0000  RAM: kernels load here (bzImage) or at their ELF paddr
 *   ...          RAM below 4 GiB ends at min(ram, LAYOUT_LOW_RAM_MAX)
 *   0xc000_0000  32-bit PCI MMIO window (BARs < 64 MiB)
 *   0xe000_0000  PCI ECAM (bus 0 only, 1 MiB, e820 reserved)
 *   0xfec0_0000  IOAPIC, 0xfee0_0000 LAPIC
 *   0x1_0000_0000 RAM above 4 GiB (the part of RAM beyond LAYOUT_LOW_RAM_MAX)
 *   after RAM, 1 GiB aligned: 64-bit prefetchable PCI window (shared memory BARs), 2 TiB or up
 *                to the guest's physical address limit: any single BAR up to 1 TiB (the
 *                largest cache_size) fits at its natural alignment
 */
#ifndef MICROVM_LAYOUT_H
#define MICROVM_LAYOUT_H

#define LAYOUT_GDT_ADDR        0x500ULL
#define LAYOUT_PVH_INFO_ADDR   0x6000ULL
#define LAYOUT_ZERO_PAGE_ADDR  0x7000ULL
#define LAYOUT_PML4_ADDR       0x9000ULL
#define LAYOUT_PDPT_ADDR       0xa000ULL
#define LAYOUT_PD_ADDR         0xb000ULL /* 4 pages: identity map of 4 GiB with 2 MiB pages */
#define LAYOUT_CMDLINE_ADDR    0x20000ULL
#define LAYOUT_CMDLINE_MAX     0x10000ULL
#define LAYOUT_EBDA_ADDR       0x9fc00ULL
#define LAYOUT_LOW_MEM_END     0xa0000ULL
#define LAYOUT_ACPI_ADDR       0xe0000ULL
#define LAYOUT_ACPI_SIZE       0x10000ULL
#define LAYOUT_BIOS_ADDR       0xf0000ULL
#define LAYOUT_RESET_VECTOR    0xffff0ULL /* F000:FFF0: a stub that writes the ACPI reset register */
#define LAYOUT_HIGH_MEM_START  0x100000ULL /* 1 MiB */

#define LAYOUT_LOW_RAM_MAX     0xc0000000ULL /* RAM below 4 GiB ends here at most */
#define LAYOUT_PCI_MMIO32_BASE 0xc0000000ULL
#define LAYOUT_PCI_MMIO32_SIZE 0x20000000ULL /* 512 MiB */
#define LAYOUT_PCI_ECAM_BASE   0xe0000000ULL
#define LAYOUT_PCI_ECAM_SIZE   0x100000ULL   /* bus 0 */
#define LAYOUT_IOAPIC_ADDR     0xfec00000ULL
#define LAYOUT_LAPIC_ADDR      0xfee00000ULL
#define LAYOUT_HIGH_RAM_START  0x100000000ULL
#define LAYOUT_PCI_MMIO64_ALIGN 0x40000000ULL /* 64-bit window starts 1 GiB aligned after RAM */
#define LAYOUT_PCI_MMIO64_SIZE  0x20000000000ULL /* 2 TiB (clamped to the guest's phys bits) */

/* I/O ports */
#define PORT_SERIAL0           0x3f8
#define PORT_I8042_DATA        0x60
#define PORT_I8042_CMD         0x64
#define PORT_PCI_CONFIG_ADDR   0xcf8
#define PORT_PCI_CONFIG_DATA   0xcfc
#define PORT_BOOT_TIMER        0x440 /* any guest write marks "init reached" (not 0x80: Linux io_delay uses it) */
#define PORT_ACPI_SLEEP_CTL    0x600 /* FADT sleep control, status, reset registers (acpi_pm.c) */
#define PORT_ACPI_SLEEP_STS    0x601
#define PORT_ACPI_RESET        0x602
#define IRQ_SERIAL0            4
#define IRQ_ACPI_GED           9 /* power button events (GED, ACPI0013; the SCI's usual line) */

#endif
