// SPDX-License-Identifier: MIT
/*
 * Test guest: finds the Intel MP floating pointer ("_MP_") in the EBDA (0x9fc00-0xa0000) or the
 * BIOS area (0xf0000-0xfffff), checks both checksums and counts processors and IOAPICs.
 */
#include "guest.h"

struct mpf {
	char sig[4];
	uint32_t physptr;
	uint8_t length; /* 16-byte units */
	uint8_t spec;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc {
	char sig[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf) == 16, "mpf");
_Static_assert(sizeof(struct mpc) == 0x2c, "mpc");

enum { MP_PROCESSOR = 0, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
#define CPU_ENABLED 1

static uint8_t sum8(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct mpf *mpf_scan(uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a + sizeof(struct mpf) <= end; a += 16)
		if (!memcmp((const void *)a, "_MP_", 4))
			return (const struct mpf *)a;
	return NULL;
}

static size_t entry_size(uint8_t type)
{
	return type == MP_PROCESSOR ? 20 : (type <= MP_LINTSRC ? 8 : 0);
}

void mptable_print(void)
{
	const struct mpf *mpf = mpf_scan(0x9fc00, 0xa0000);
	const struct mpc *mpc;
	unsigned int cpus = 0;
	bool ioapic = false;

	if (!mpf)
		mpf = mpf_scan(0xf0000, 0x100000);
	if (!mpf) {
		gprintf("mptable: none\n");
		return;
	}
	if (mpf->length == 0 || mpf->length > 4 || sum8(mpf, mpf->length * 16u)) {
		gprintf("mptable: bad-checksum\n");
		return;
	}
	if (!mpf->physptr || (uint64_t)mpf->physptr + sizeof(*mpc) > 0x100000000ULL) {
		gprintf("mptable: bad-table\n");
		return;
	}
	mpc = (const struct mpc *)(uint64_t)mpf->physptr;
	if (memcmp(mpc->sig, "PCMP", 4) || mpc->length < sizeof(*mpc) ||
	    (uint64_t)mpf->physptr + mpc->length > 0x100000000ULL) {
		gprintf("mptable: bad-table\n");
		return;
	}
	if (sum8(mpc, mpc->length)) {
		gprintf("mptable: bad-checksum\n");
		return;
	}
	const uint8_t *p = (const uint8_t *)(mpc + 1);
	const uint8_t *end = (const uint8_t *)mpc + mpc->length;

	/* Walk by length like Linux (smp_read_mpc): some tables (qboot) leave count at 0. */
	while (p < end) {
		size_t sz = entry_size(p[0]);

		if (!sz || p + sz > end)
			break;
		if (p[0] == MP_PROCESSOR && (p[3] & CPU_ENABLED))
			cpus++;
		else if (p[0] == MP_IOAPIC)
			ioapic = true;
		p += sz;
	}
	gprintf("mptable: cpus=%u ioapic=%s\n", cpus, ioapic ? "yes" : "no");
}
