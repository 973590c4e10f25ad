/* SPDX-License-Identifier: MIT */
/*
 * ACPI table layouts (ACPI 6.5), defined here: there is no UAPI header for them. Packed and
 * little-endian, exactly as the guest reads them. Shared by the table builders and the tests.
 */
#ifndef MICROVM_ACPI_DEFS_H
#define MICROVM_ACPI_DEFS_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_OEM_ID "MICROV"
#define ACPI_OEM_TABLE_ID "MICROVM "
#define ACPI_CREATOR_ID "MVMM"
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_REVISION 1

struct acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	uint8_t checksum;	/* first 20 bytes */
	char oem_id[6];
	uint8_t revision;	/* 2: XSDT */
	uint32_t rsdt_address;
	uint32_t length;	/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* whole structure */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;	/* ACPI_GAS_IO */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* ACPI_GAS_ACCESS_BYTE */
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_IO 1
#define ACPI_GAS_ACCESS_BYTE 1

struct acpi_fadt {
	struct acpi_header header;	/* "FACP", revision 6 */
	uint32_t facs;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_profile;
	uint16_t sci_interrupt;
	uint32_t smi_command;
	uint8_t acpi_enable, acpi_disable, s4bios_request, pstate_control;
	uint32_t pm1a_event_block, pm1b_event_block, pm1a_control_block, pm1b_control_block;
	uint32_t pm2_control_block, pm_timer_block, gpe0_block, gpe1_block;
	uint8_t pm1_event_length, pm1_control_length, pm2_control_length, pm_timer_length;
	uint8_t gpe0_block_length, gpe1_block_length, gpe1_base, cst_control;
	uint16_t c2_latency, c3_latency, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alarm, month_alarm, century;
	uint16_t boot_flags;	/* IA-PC boot architecture flags */
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_register;
	uint8_t reset_value;
	uint16_t arm_boot_flags;
	uint8_t minor_revision;
	uint64_t x_facs;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_event_block, x_pm1b_event_block;
	struct acpi_gas x_pm1a_control_block, x_pm1b_control_block;
	struct acpi_gas x_pm2_control_block, x_pm_timer_block;
	struct acpi_gas x_gpe0_block, x_gpe1_block;
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

#define ACPI_FADT_REVISION 6
#define ACPI_FADT_MINOR_REVISION 5
/* IA-PC boot architecture flags */
#define ACPI_IAPC_LEGACY_DEVICES 0x0001
#define ACPI_IAPC_8042 0x0002
#define ACPI_IAPC_NO_VGA 0x0004
#define ACPI_IAPC_NO_MSI 0x0008
#define ACPI_IAPC_NO_ASPM 0x0010
#define ACPI_IAPC_NO_CMOS_RTC 0x0020
/* FADT flags */
#define ACPI_FADT_PWR_BUTTON (1u << 4)	/* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON (1u << 5)	/* no fixed-feature sleep button */
#define ACPI_FADT_RESET_REGISTER (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

struct acpi_madt {
	struct acpi_header header;	/* "APIC", revision 5 */
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_REVISION 5
#define ACPI_MADT_PCAT_COMPAT 1

enum acpi_madt_type {
	ACPI_MADT_LAPIC = 0,
	ACPI_MADT_IOAPIC = 1,
	ACPI_MADT_INT_OVERRIDE = 2,
	ACPI_MADT_LAPIC_NMI = 4,
};

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t processor_id;
	uint8_t apic_id;
	uint32_t flags;		/* ACPI_MADT_ENABLED */
} __attribute__((packed));

#define ACPI_MADT_ENABLED 1

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_int_override {
	uint8_t type, length;
	uint8_t bus;		/* 0: ISA */
	uint8_t source_irq;
	uint32_t gsi;
	uint16_t flags;		/* 0: conforms to the bus (ISA: edge, active high) */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
	uint8_t type, length;
	uint8_t processor_id;	/* 0xff: all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct acpi_mcfg {
	struct acpi_header header;	/* "MCFG", revision 1 */
	uint8_t reserved[8];
} __attribute__((packed));

struct acpi_mcfg_alloc {
	uint64_t address;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == 36, "rsdp");
_Static_assert(sizeof(struct acpi_header) == 36, "header");
_Static_assert(sizeof(struct acpi_gas) == 12, "gas");
_Static_assert(sizeof(struct acpi_fadt) == 276, "fadt");
_Static_assert(offsetof(struct acpi_fadt, boot_flags) == 109, "fadt boot flags");
_Static_assert(offsetof(struct acpi_fadt, reset_register) == 116, "fadt reset reg");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "fadt x_dsdt");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "fadt sleep control");
_Static_assert(sizeof(struct acpi_madt) == 44, "madt");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8 && sizeof(struct acpi_madt_ioapic) == 12, "madt");
_Static_assert(sizeof(struct acpi_madt_int_override) == 10, "madt iso");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "madt nmi");
_Static_assert(sizeof(struct acpi_mcfg) == 44 && sizeof(struct acpi_mcfg_alloc) == 16, "mcfg");

uint8_t acpi_checksum(const void *p, size_t len);

#endif
