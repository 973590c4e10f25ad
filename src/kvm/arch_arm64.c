// SPDX-License-Identifier: MIT
/*
 * The arm64 side of the arch interface (arch/arch.h) at the KVM layer: vCPUs through
 * KVM_ARM_VCPU_INIT (PSCI 0.2, secondaries powered off until CPU_ON), the GICv3 + ITS once all
 * vCPUs exist, MSI routes carrying the PCI requester id for the ITS, SPIs for KVM_IRQ_LINE,
 * the boot registers, and no emulation fixups (emul_fixup.h).
 */
#include "arch/arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arm64/kvm_arm64.h"
#include "arch/boot.h"
#include "kvm/emul_fixup.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"
#include "util/log.h"

unsigned long arch_vm_type(void)
{
	return 0;       /* 40-bit IPA space (LAYOUT_IPA_BITS) */
}

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	(void)vm;       /* the GIC needs the vCPUs: arch_vcpus_created */
	(void)err;
	(void)errlen;
	return 0;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	int ret = arm64_vcpu_init(vcpu->vm->vm_fd, vcpu->fd, vcpu->id);

	if (ret)
		pr_err("KVM_ARM_VCPU_INIT on vcpu %u: %s", vcpu->id, strerror(-ret));
	return ret;
}

int arch_vcpus_created(struct vm *vm)
{
	struct arm64_gic gic;
	char err[128];
	int ret = arm64_gic_create(vm->vm_fd, vm->nr_vcpus, &gic, err, sizeof(err));

	if (ret) {
		pr_err("cannot create the GICv3: %s", err);
		return ret;
	}
	/* the devices live as long as the VM; their fds are not needed after init */
	arm64_gic_destroy(&gic);
	return 0;
}

unsigned int arch_irq_routes(struct kvm_irq_routing_entry *e)
{
	(void)e;        /* KVM_IRQ_LINE reaches SPIs without routes */
	return 0;
}

void arch_msi_route_devid(struct kvm_irq_routing_entry *e, uint32_t devid)
{
	e->flags = KVM_MSI_VALID_DEVID;
	e->u.msi.devid = devid;
}

uint32_t arch_irq_line(uint32_t irq)
{
	return KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (32 + irq);
}

int vcpu_boot_setup(struct vcpu *vcpu, const struct boot_entry *be)
{
	return arm64_vcpu_set_boot_regs(vcpu->fd, be->rip, be->dtb_addr);
}

void arch_vcpu_dump(struct vcpu *vcpu, const char *state)
{
	uint64_t pc, sp, pstate;

	if (arm64_vcpu_get_pc(vcpu->fd, &pc, &sp, &pstate))
		return;
	pr_info("vcpu%u: %s, pc 0x%llx sp_el1 0x%llx pstate 0x%llx, %lu exits", vcpu->id, state,
		(unsigned long long)pc, (unsigned long long)sp, (unsigned long long)pstate,
		atomic_load(&vcpu->exits));
}

int vcpu_fetch_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t *buf, size_t len)
{
	uint64_t sp, pstate;

	(void)buf;
	(void)len;
	if (arm64_vcpu_get_pc(vcpu->fd, rip, &sp, &pstate))
		return -EIO;
	return 0;       /* no guest page-table walk on arm64: the PC alone */
}

bool emul_fixup(struct vcpu *vcpu)
{
	(void)vcpu;
	return false;
}
