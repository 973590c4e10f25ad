// SPDX-License-Identifier: MIT
/*
 * The rules BAR placement follows, shared by the bus (pci_bar.c, pci_bus.c) and the config-time
 * check (machine_check.c), so both always agree: memory BARs are powers of two of at least
 * 4 KiB, each naturally aligned, placed first-fit in a window; the 64-bit window starts 1 GiB
 * aligned after RAM and ends LAYOUT_PCI_MMIO64_SIZE later or at the guest's physical address
 * limit (CPUID 0x80000008, the host's: KVM passes it through), whichever is lower.
 */
#include <errno.h>

#include "pci/pci.h"
#include "arch/arch.h"
#if !defined(__aarch64__)
#include <cpuid.h>
#endif

#define BAR_MIN_SIZE 4096ULL

uint64_t pci_bar_size(uint64_t size)
{
	uint64_t p = BAR_MIN_SIZE;

	while (p < size && p)
		p <<= 1;
	return p;
}

int pci_window_alloc(uint64_t *next, uint64_t end, uint64_t size, uint64_t *out)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (!size || (size & (size - 1)) || a < *next || a > end || end - a < size)
		return -ENOSPC;
	*out = a;
	*next = a + size;
	return 0;
}

#if defined(__aarch64__)
/* arm64: the IPA size the VM is created with (KVM's default, VM type 0). */
static unsigned int phys_bits(void)
{
	return LAYOUT_IPA_BITS;
}
#else
/* Guest-physical address bits: CPUID 0x80000008 EAX[7:0], 36 if the leaf is missing. */
static unsigned int phys_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000008 ||
	    !__get_cpuid(0x80000008, &a, &b, &c, &d) || (a & 0xff) < 32 || (a & 0xff) > 52)
		return 36;
	return a & 0xff;
}
#endif

void pci_mmio64_window(uint64_t ram_end, uint64_t *base, uint64_t *end)
{
	uint64_t b = (ram_end + LAYOUT_PCI_MMIO64_ALIGN - 1) & ~(LAYOUT_PCI_MMIO64_ALIGN - 1);
	uint64_t limit = 1ULL << phys_bits();

	if (b < LAYOUT_HIGH_RAM_START)
		b = LAYOUT_HIGH_RAM_START;
	*base = b;
	*end = b + LAYOUT_PCI_MMIO64_SIZE < limit ? b + LAYOUT_PCI_MMIO64_SIZE : limit;
	if (*end < b)
		*end = b;
}
