/* SPDX-License-Identifier: MIT */
/*
 * arm64 KVM on plain fds (built only for arm64): vCPU init and boot registers (vcpu.c), the
 * GICv3 with its ITS (gic.c). kvm/arch_arm64.c drives them from the arch interface.
 */
#ifndef MICROVM_KVM_ARM64_H
#define MICROVM_KVM_ARM64_H

#include <stddef.h>
#include <stdint.h>

/*
 * KVM_ARM_PREFERRED_TARGET + KVM_ARM_VCPU_INIT with PSCI 0.2; secondaries (id > 0) start
 * powered off until the guest's PSCI CPU_ON (handled in KVM). 0 or -errno.
 */
int arm64_vcpu_init(int vm_fd, int vcpu_fd, unsigned int id);
/* Boot protocol: PC = entry, x0 = DTB, x1-x3 = 0, PSTATE EL1h with DAIF masked (MMU off). */
int arm64_vcpu_set_boot_regs(int vcpu_fd, uint64_t pc, uint64_t dtb);
/* PC, SP_EL1 and PSTATE for a dump. 0 or -errno. */
int arm64_vcpu_get_pc(int vcpu_fd, uint64_t *pc, uint64_t *sp, uint64_t *pstate);

struct arm64_gic {
	int gic_fd, its_fd;      /* KVM device fds, -1 if none */
};
/*
 * After all vCPUs exist: the GICv3 (distributor, nr_vcpus redistributors, LAYOUT_NR_IRQS) and
 * its ITS, both initialised. 0 or -errno with the failing step in err.
 */
int arm64_gic_create(int vm_fd, unsigned int nr_vcpus, struct arm64_gic *gic, char *err,
		     size_t errlen);
void arm64_gic_destroy(struct arm64_gic *gic);

#endif
