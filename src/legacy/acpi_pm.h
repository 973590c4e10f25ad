/* SPDX-License-Identifier: MIT */
/*
 * ACPI power management ports of the hardware-reduced FADT (PORT_ACPI_*): writing SLP_TYP=S5
 * with SLP_EN to the sleep control register powers the VM off, writing ACPI_RESET_VALUE to the
 * reset register resets it; either ends microvm with status 0. The sleep status register reads
 * 0 (the machine never sleeps and wakes). Other values are ignored.
 * acpi_pm_power_button: an edge on IRQ_ACPI_GED; the DSDT's GED turns it into a power-button
 * press (Notify 0x80 on \_SB.PWRB), which the guest handles as it likes (systemd: poweroff).
 */
#ifndef MICROVM_ACPI_PM_H
#define MICROVM_ACPI_PM_H

struct vm;

int acpi_pm_init(struct vm *vm);
/*
 * The real-mode reset vector (LAYOUT_RESET_VECTOR): a stub that writes ACPI_RESET_VALUE to the
 * reset register. Linux with hardware-reduced ACPI and no EFI reboots through "EFI", then the
 * BIOS (a far jump to F000:FFF0): this stub is that BIOS. 0 or -1 (no RAM there).
 */
int acpi_pm_reset_vector_setup(struct vm *vm);
/* Presses the power button (thread-safe). 0 or -errno. */
int acpi_pm_power_button(struct vm *vm);

#endif
