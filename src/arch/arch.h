/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: what differs between the x86_64 and the arm64 machine. The build picks
 * one arch (the compiler's: `make` or `make ARCH=arm64`); generic code includes this header
 * (and arch/boot.h for the boot protocol) instead of an arch's files.
 *
 *  - memory layout: the arch's layout.h (LAYOUT_* and, on x86, the I/O ports);
 *  - vCPU init, boot registers, interrupt controller, exits: the hooks below, implemented by
 *    kvm/arch_x86.c (CPUID, MSRs, LAPIC, IRQCHIP + PIT, legacy GSI pins, the emulation fixups)
 *    or kvm/arch_arm64.c (KVM_ARM_VCPU_INIT with PSCI 0.2, GICv3 + ITS, MSI device ids);
 *  - boot protocol and hardware description: boot_setup() of arch/boot.h: bzImage/ELF/PVH +
 *    e820, MP table (ACPI separately, vmm/machine_acpi.c) on x86; Image + initrd + the device
 *    tree on arm64;
 *  - boot registers: vcpu_boot_setup() (kvm/vcpu.h) in the same two files;
 *  - emulation failures: kvm/emul_fixup.h (x86: int3/fwait on emulating hosts; arm64: none);
 *  - exits: x86 has port I/O (the PIO bus); arm64 only MMIO, and PSCI SYSTEM_OFF/RESET arrive
 *    as KVM_EXIT_SYSTEM_EVENT (kvm/run_loop.c, exit status 0 either way).
 */
#ifndef MICROVM_ARCH_H
#define MICROVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__aarch64__)
#include "arch/arm64/layout.h"
#define ARCH_NAME "arm64"
#define ARCH_HAS_PIO 0               /* no port I/O: PCI config through ECAM only */
#define ARCH_HAS_ACPI 0              /* the device tree describes the machine */
#define ARCH_SERIAL_BUS mmio_bus
#define ARCH_SERIAL_ADDR LAYOUT_UART_BASE
#else
#include "arch/x86/layout.h"
#define ARCH_NAME "x86_64"
#define ARCH_HAS_PIO 1
#define ARCH_HAS_ACPI 1
#define ARCH_SERIAL_BUS pio_bus
#define ARCH_SERIAL_ADDR PORT_SERIAL0
#define LAYOUT_RAM_BASE 0ULL         /* RAM starts at 0 (split around the PCI hole) */
#endif

struct vm;
struct vcpu;
struct kvm_irq_routing_entry;

/* KVM_CREATE_VM's machine type. */
unsigned long arch_vm_type(void);
/* After KVM_CREATE_VM, before memslots and vCPUs: x86 IRQCHIP + PIT. 0 or -errno, reason in err. */
int arch_vm_init(struct vm *vm, char *err, size_t errlen);
/* After KVM_CREATE_VCPU and the kvm_run mapping of vcpu->id. 0 or -errno (logged). */
int arch_vcpu_init(struct vcpu *vcpu);
/* After every vCPU exists: arm64 creates and initialises the GICv3 and its ITS. 0 or -errno. */
int arch_vcpus_created(struct vm *vm);
/* The irqchip pin routes GSI routing always carries (x86's PIC/IOAPIC pins); count written. */
unsigned int arch_irq_routes(struct kvm_irq_routing_entry *e);
/* An MSI route's device id (arm64's ITS: the PCI requester id); x86 ignores it. */
void arch_msi_route_devid(struct kvm_irq_routing_entry *e, uint32_t devid);
/* KVM_IRQ_LINE's irq argument for a legacy line (arm64: an SPI number). */
uint32_t arch_irq_line(uint32_t irq);
/* One info line with the vCPU's registers (after a timeout or a signal). */
void arch_vcpu_dump(struct vcpu *vcpu, const char *state);

#endif
