/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_CPUID_H
#define MICROVM_CPUID_H

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID into a malloc'd table (NULL + errno on failure). */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);
/* Sets APIC id, package topology and the hypervisor bit for vCPU id of nr_vcpus. */
void cpuid_set_topology(struct kvm_cpuid2 *cpuid, unsigned int id, unsigned int nr_vcpus);

#endif
