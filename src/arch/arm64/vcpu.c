// SPDX-License-Identifier: MIT
/* arm64 vCPU init and boot registers (kvm_arm64.h). */
#include "arch/arm64/kvm_arm64.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <sys/ioctl.h>

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			(offsetof(struct kvm_regs, name) / sizeof(__u32)))
#define PSTATE_EL1H_DAIF (PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

int arm64_vcpu_init(int vm_fd, int vcpu_fd, unsigned int id)
{
	struct kvm_vcpu_init init = { 0 };

	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return -errno;
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	if (id > 0)
		init.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return -errno;
	return 0;
}

static int set_reg(int vcpu_fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static int get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int arm64_vcpu_set_boot_regs(int vcpu_fd, uint64_t pc, uint64_t dtb)
{
	int ret = set_reg(vcpu_fd, CORE_REG(regs.pstate), PSTATE_EL1H_DAIF);

	for (unsigned int i = 0; i < 4 && !ret; i++)
		ret = set_reg(vcpu_fd, CORE_REG(regs.regs[i]), i == 0 ? dtb : 0);
	if (!ret)
		ret = set_reg(vcpu_fd, CORE_REG(regs.pc), pc);
	return ret;
}

int arm64_vcpu_get_pc(int vcpu_fd, uint64_t *pc, uint64_t *sp, uint64_t *pstate)
{
	int ret = get_reg(vcpu_fd, CORE_REG(regs.pc), pc);

	if (!ret)
		ret = get_reg(vcpu_fd, CORE_REG(sp_el1), sp);
	if (!ret)
		ret = get_reg(vcpu_fd, CORE_REG(regs.pstate), pstate);
	return ret;
}
