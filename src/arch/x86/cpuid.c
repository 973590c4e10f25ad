// SPDX-License-Identifier: MIT
/* CPUID for each vCPU: KVM's supported leaves, filtered, with the topology of this VM. */
#include "arch/x86/cpuid.h"

#include <errno.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256
#define CPUID1_ECX_HYPERVISOR (1U << 31)
#define CPUID1_EDX_HTT (1U << 28)

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void cpuid_set_topology(struct kvm_cpuid2 *c, unsigned int id, unsigned int nr_vcpus)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Initial APIC id, logical processor count, hypervisor present. */
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) | ((nr_vcpus & 0xff) << 16);
			e->ecx |= CPUID1_ECX_HYPERVISOR;
			if (nr_vcpus > 1)
				e->edx |= CPUID1_EDX_HTT;
			break;
		case 4:
			/* Cores per package - 1 in EAX[31:26]; one thread per core. */
			e->eax = (e->eax & 0x03ffffff) | (((nr_vcpus - 1) & 0x3f) << 26);
			break;
		case 6:
			/* No thermal/power management inside the VM. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			/* Extended topology: level 0 = SMT (1 thread), level 1 = core (nr_vcpus). */
			e->edx = id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1 << 8) | 0;
			} else if (e->index == 1) {
				unsigned int shift = 0;

				while ((1U << shift) < nr_vcpus)
					shift++;
				e->eax = shift;
				e->ebx = nr_vcpus;
				e->ecx = (2 << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		default:
			break;
		}
	}
}
