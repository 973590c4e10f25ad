// SPDX-License-Identifier: MIT
/*
 * Intel MultiProcessor Specification 1.4 tables: the floating pointer in the first KiB of the
 * EBDA (where Linux scans) and the configuration table after it, or in the BIOS area
 * (0xf0000, e820 reserved) when it does not fit in the EBDA (more than ~40 vCPUs).
 */
#include <string.h>

#include "arch/x86/boot/boot.h"
#include "arch/x86/layout.h"
#include "arch/x86/boot/loader.h"

#define MPF_SIGNATURE "_MP_"
#define MPC_SIGNATURE "PCMP"
#define MP_SPEC_REV 4
#define MP_LAPIC_VERSION 0x14	/* KVM's in-kernel LAPIC */
#define MP_IOAPIC_VERSION 0x11	/* KVM's in-kernel IOAPIC, 24 pins */

enum mp_entry_type { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum mp_irq_type { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_CPU_SIGNATURE 0x600	/* family 6 */
#define MP_CPU_FEATURES 0x201	/* FPU, APIC */
#define MP_ISA_BUS_ID 0
#define MP_ISA_IRQS 16
#define BDA_EBDA_SEG_ADDR 0x40e	/* BIOS data area: EBDA segment */
#define BDA_BASE_MEM_ADDR 0x413	/* BIOS data area: base memory in KiB */

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;	/* 0: a configuration table is present */
	uint8_t feature2;
	uint8_t feature3, feature4, feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;	/* base table, header included */
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;	/* number of entries */
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;	/* 0: conforms to the bus (ISA: edge, active high) */
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf_intel) == 16, "mpf size");
_Static_assert(sizeof(struct mpc_table) == 44, "mpc header size");
_Static_assert(sizeof(struct mpc_cpu) == 20, "mpc cpu size");
_Static_assert(sizeof(struct mpc_bus) == 8 && sizeof(struct mpc_ioapic) == 8, "mpc entry size");
_Static_assert(sizeof(struct mpc_intsrc) == 8, "mpc intsrc size");

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static size_t mpc_size(unsigned int nr_vcpus)
{
	return sizeof(struct mpc_table) + nr_vcpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) + (MP_ISA_IRQS - 1 + 2) * sizeof(struct mpc_intsrc);
}

static uint8_t *mp_cpus(uint8_t *p, unsigned int nr_vcpus)
{
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = MP_LAPIC_VERSION,
			.cpuflag = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.cpufeature = MP_CPU_SIGNATURE,
			.featureflag = MP_CPU_FEATURES,
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	return p;
}

static uint8_t *mp_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype, uint8_t bus, uint8_t busirq,
			  uint8_t dstapic, uint8_t dstirq)
{
	struct mpc_intsrc e = {
		.type = type, .irqtype = irqtype, .srcbus = bus, .srcbusirq = busirq,
		.dstapic = dstapic, .dstirq = dstirq,
	};

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

static uint8_t *mp_io_entries(uint8_t *p, unsigned int nr_vcpus)
{
	uint8_t ioapic_id = (uint8_t)nr_vcpus;
	struct mpc_bus bus = { .type = MP_BUS, .busid = MP_ISA_BUS_ID, .bustype = "ISA   " };
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC, .apicid = ioapic_id, .apicver = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED, .apicaddr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	};

	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	/* ISA IRQ n -> pin n, except the PIT (IRQ0) on pin 2; IRQ2 is the PIC cascade. */
	for (unsigned int irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;
		p = mp_intsrc(p, MP_INTSRC, MP_INT, MP_ISA_BUS_ID, (uint8_t)irq, ioapic_id,
			      irq == 0 ? 2 : (uint8_t)irq);
	}
	/* Every local APIC: ExtINT on LINT0, NMI on LINT1. */
	p = mp_intsrc(p, MP_LINTSRC, MP_EXTINT, MP_ISA_BUS_ID, 0, 0xff, 0);
	p = mp_intsrc(p, MP_LINTSRC, MP_NMI, MP_ISA_BUS_ID, 0, 0xff, 1);
	return p;
}

/* Point the BIOS data area at the EBDA, as a BIOS would (Linux reads it to reserve the EBDA). */
static int bda_setup(struct guest_mem *gm, char *err, size_t errlen)
{
	uint16_t ebda_seg = (uint16_t)(LAYOUT_EBDA_ADDR >> 4);
	uint16_t base_kib = (uint16_t)(LAYOUT_EBDA_ADDR >> 10);

	if (guest_mem_write(gm, BDA_EBDA_SEG_ADDR, &ebda_seg, sizeof(ebda_seg)) ||
	    guest_mem_write(gm, BDA_BASE_MEM_ADDR, &base_kib, sizeof(base_kib)))
		return err_fmt(err, errlen, -1, "guest RAM too small for the BIOS data area");
	return 0;
}

int mptable_setup(struct guest_mem *gm, unsigned int nr_vcpus, char *err, size_t errlen)
{
	size_t size = mpc_size(nr_vcpus);
	uint64_t mpc_addr = LAYOUT_EBDA_ADDR + sizeof(struct mpf_intel);
	struct mpf_intel *mpf;
	struct mpc_table hdr;
	uint8_t *mpc, *p;

	if (nr_vcpus == 0 || nr_vcpus > BOOT_MAX_VCPUS)
		return err_fmt(err, errlen, -1, "%u vCPUs do not fit in an MP table (1-%u)", nr_vcpus,
				BOOT_MAX_VCPUS);
	if (mpc_addr + size > LAYOUT_LOW_MEM_END)
		mpc_addr = LAYOUT_BIOS_ADDR;
	mpf = guest_mem_ptr(gm, LAYOUT_EBDA_ADDR, sizeof(*mpf));
	mpc = guest_mem_ptr(gm, mpc_addr, size);
	if (!mpf || !mpc)
		return err_fmt(err, errlen, -1, "guest RAM too small for the MP table");

	p = mp_cpus(mpc + sizeof(hdr), nr_vcpus);
	p = mp_io_entries(p, nr_vcpus);
	hdr = (struct mpc_table){
		.signature = MPC_SIGNATURE, .length = (uint16_t)size, .spec = MP_SPEC_REV,
		.oem = "MICROVM ", .productid = "MICROVM     ",
		.oemcount = (uint16_t)(nr_vcpus + 1 + 1 + (MP_ISA_IRQS - 1) + 2),
		.lapic = (uint32_t)LAYOUT_LAPIC_ADDR,
	};
	memcpy(mpc, &hdr, sizeof(hdr));
	((struct mpc_table *)mpc)->checksum = mp_checksum(mpc, (size_t)(p - mpc));

	memset(mpf, 0, sizeof(*mpf));
	memcpy(mpf->signature, MPF_SIGNATURE, 4);
	mpf->physptr = (uint32_t)mpc_addr;
	mpf->length = 1;
	mpf->specification = MP_SPEC_REV;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
	return bda_setup(gm, err, errlen);
}
