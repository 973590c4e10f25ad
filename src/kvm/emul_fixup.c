// SPDX-License-Identifier: MIT
#include "kvm/emul_fixup.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/log.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"

#define OP_INT3  0xcc
#define OP_FWAIT 0x9b
#define BP_VECTOR 3
#define FSW_ES (1U << 7)      /* x87 error summary: an unmasked exception is pending */

int vcpu_fetch_insn(struct vcpu *vcpu, uint64_t *rip, uint8_t *buf, size_t len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_translation tr;
	uint64_t lin;
	size_t n = 0;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	*rip = regs.rip;
	lin = sregs.cs.base + regs.rip;
	while (n < len) {
		uint64_t page_left;
		const uint8_t *p;

		memset(&tr, 0, sizeof(tr));
		tr.linear_address = lin + n;
		if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			break;
		page_left = 4096 - (tr.physical_address & 4095);
		if (page_left > len - n)
			page_left = len - n;
		p = guest_mem_ptr(&vcpu->vm->mem, tr.physical_address, page_left);
		if (!p)
			break;
		memcpy(buf + n, p, page_left);
		n += page_left;
	}
	return (int)n;
}

/* int3: the emulator cannot deliver #BP itself; do what the CPU would (trap after the byte). */
static bool fixup_int3(struct vcpu *vcpu, struct kvm_regs *regs)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	regs->rip += 1;
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return false;
	ev.exception.injected = 1;
	ev.exception.nr = BP_VECTOR;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return false;
	return true;
}

/* fwait with no pending x87 exception is a no-op. */
static bool fixup_fwait(struct vcpu *vcpu, struct kvm_regs *regs)
{
	struct kvm_fpu fpu;

	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0 || (fpu.fsw & FSW_ES))
		return false;
	regs->rip += 1;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs) == 0;
}

bool emul_fixup(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	uint64_t rip;
	uint8_t op;

	if (vcpu_fetch_insn(vcpu, &rip, &op, 1) != 1)
		return false;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	switch (op) {
	case OP_INT3:
		pr_debug_rl("vcpu%u: completing int3 at rip 0x%llx", vcpu->id, (unsigned long long)rip);
		return fixup_int3(vcpu, &regs);
	case OP_FWAIT:
		pr_debug_rl("vcpu%u: skipping fwait at rip 0x%llx", vcpu->id, (unsigned long long)rip);
		return fixup_fwait(vcpu, &regs);
	default:
		return false;
	}
}
