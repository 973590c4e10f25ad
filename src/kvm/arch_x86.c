// SPDX-License-Identifier: MIT
/*
 * The x86_64 side of the arch interface (arch/arch.h) at the KVM layer: the in-kernel PIC,
 * IOAPIC and PIT, their GSI pins, CPUID/MSRs/LAPIC/FPU of each vCPU, the boot registers of the
 * 64-bit and 32-bit (PVH) boot protocols, and the register dump.
 */
#include "arch/arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/boot.h"
#include "arch/x86/cpuid.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"
#include "util/err.h"
#include "util/log.h"

unsigned long arch_vm_type(void)
{
	return 0;
}

static int set_identity_and_tss(struct vm *vm)
{
	/* Intel VMX needs these below 4 GiB, outside RAM; harmless elsewhere. */
	uint64_t identity = 0xfeffc000;

	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0 && errno != EINVAL)
		pr_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfeffd000UL) < 0)
		pr_debug("KVM_SET_TSS_ADDR: %s", strerror(errno));
	return 0;
}

int arch_vm_init(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	set_identity_and_tss(vm);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_fmt(err, errlen, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_fmt(err, errlen, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}

unsigned int arch_irq_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int n = 0;

	/*
	 * Legacy pins, as the MP table describes them: GSI n -> PIC pin n % 8 for n < 16 and
	 * IOAPIC pin n, except the PIT's GSI 0 which is wired to IOAPIC pin 2 (GSI 2 is the
	 * PIC cascade and has no IOAPIC route), like QEMU/KVM's interrupt source override.
	 */
	for (uint32_t gsi = 0; gsi < VM_IRQCHIP_GSIS; gsi++) {
		if (gsi < 16) {
			e[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi % 8 },
			};
		}
		if (gsi == 2)
			continue;
		e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi == 0 ? 2 : gsi },
		};
	}
	return n;
}

void arch_msi_route_devid(struct kvm_irq_routing_entry *e, uint32_t devid)
{
	(void)e;
	(void)devid;
}

uint32_t arch_irq_line(uint32_t irq)
{
	return irq;
}

int arch_vcpus_created(struct vm *vm)
{
	(void)vm;
	return 0;
}

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRR_DEF_TYPE       0x2ff
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

static int setup_msrs(struct vcpu *vcpu)
{
	static const struct { uint32_t index; uint64_t data; } init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 }, { MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 }, { MSR_CSTAR, 0 }, { MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 }, { MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 },                /* fast strings */
		{ MSR_MTRR_DEF_TYPE, (1 << 11) | 6 },       /* MTRRs enabled, default write-back */
	};
	const unsigned int n = sizeof(init) / sizeof(init[0]);
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + n * sizeof(msrs->entries[0]));
	int ret;

	if (!msrs)
		return -ENOMEM;
	msrs->nmsrs = n;
	for (unsigned int i = 0; i < n; i++) {
		msrs->entries[i].index = init[i].index;
		msrs->entries[i].data = init[i].data;
	}
	ret = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
	free(msrs);
	if (ret < 0)
		return -errno;
	if ((unsigned int)ret != n)
		pr_debug("vcpu%u: KVM accepted %d of %u MSRs", vcpu->id, ret, n);
	return 0;
}

/* LINT0 = ExtINT (the PIC), LINT1 = NMI, as firmware leaves them. */
static int setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;
	uint32_t *lint0 = (uint32_t *)&lapic.regs[0x350];
	uint32_t *lint1 = (uint32_t *)&lapic.regs[0x360];

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	*lint0 = (*lint0 & ~0x700U) | 0x700;   /* delivery mode ExtINT */
	*lint1 = (*lint1 & ~0x700U) | 0x400;   /* delivery mode NMI */
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

static int setup_fpu(struct vcpu *vcpu)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid = cpuid_get_supported(vcpu->vm->kvm_fd);
	int ret;

	if (!cpuid) {
		ret = -errno;
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return ret;
	}
	cpuid_set_topology(cpuid, vcpu->id, vcpu->vm->nr_vcpus);
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (ret) {
		pr_err("KVM_SET_CPUID2 on vcpu %u: %s", vcpu->id, strerror(-ret));
		return ret;
	}
	ret = setup_msrs(vcpu);
	if (!ret)
		ret = setup_lapic(vcpu);
	if (!ret)
		ret = setup_fpu(vcpu);
	return ret;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
	};
}

int vcpu_boot_setup(struct vcpu *vcpu, const struct boot_entry *be)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment data = flat_segment(0x18, 3, false);

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = be->gdt_base;
	sregs.gdt.limit = be->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = (struct kvm_segment){ .selector = 0, .limit = 0xffff, .type = 11, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .selector = 0, .limit = 0xffff, .type = 2, .present = 1 };
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = be->rip;
	if (be->protocol == BOOT_LINUX64) {
		sregs.cs = flat_segment(0x10, 11, true);
		sregs.cr0 = 0x80050033;     /* PG WP NE ET MP PE */
		sregs.cr3 = be->cr3;
		sregs.cr4 = 0x20;           /* PAE */
		sregs.efer = 0x500;         /* LME LMA */
		regs.rsi = be->rsi;
		regs.rsp = regs.rbp = 0x8ff0;
	} else {
		sregs.cs = flat_segment(0x08, 11, false);
		sregs.cr0 = 0x11;           /* ET PE, paging off */
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rbx = be->rbx;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

void arch_vcpu_dump(struct vcpu *vcpu, const char *state)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return;
	pr_info("vcpu%u: %s, rip 0x%llx rsp 0x%llx rflags 0x%llx cr0 0x%llx cr3 0x%llx, %lu exits",
		vcpu->id, state, (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
		(unsigned long long)regs.rflags, (unsigned long long)sregs.cr0,
		(unsigned long long)sregs.cr3, atomic_load(&vcpu->exits));
}
