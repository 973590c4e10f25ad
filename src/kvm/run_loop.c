// SPDX-License-Identifier: MIT
/* The vCPU run loop: KVM_RUN and a table of exit handlers. */
#include "kvm/run_loop.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/emul_fixup.h"
#include "util/exit_codes.h"
#include "kvm/exit_stats.h"
#include "util/log.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"

#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39        /* Linux 6.8 (older headers: Debian 12's 6.1 lack it) */
#endif
/* Its payload in the kvm_run exit union (struct kvm_run::memory_fault in 6.8+ headers). */
struct run_memory_fault {
	uint64_t flags, gpa, size;
};
/* EFAULTs in a row that memory owners repaired before the VM is stopped as a host error. */
#define RUN_MAX_REPAIRS 64

/* A handler returns RUN_CONTINUE, or an exit status (exit_codes.h, >= 0) to stop the VM. */
#define RUN_CONTINUE (-1)
typedef int (*exit_handler)(struct vcpu *vcpu);

static int handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* data_offset and size*count come from KVM and stay inside the kvm_run page(s). */
	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_access(&vcpu->vm->pio_bus, run->io.port, data, run->io.size, is_write);
		data += run->io.size;
	}
	return RUN_CONTINUE;
}

static int handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (!bus_access(&vcpu->vm->mmio_bus, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			run->mmio.is_write))
		pr_debug_rl("vcpu%u: unassigned MMIO %s at 0x%llx len %u", vcpu->id,
			 run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len);
	return RUN_CONTINUE;
}

static int handle_shutdown(struct vcpu *vcpu)
{
	pr_err("guest triple fault on vcpu %u (KVM_EXIT_SHUTDOWN)", vcpu->id);
	return EXIT_GUEST_TRIPLE_FAULT;
}

static int handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		return EXIT_GUEST_OK;
	case KVM_SYSTEM_EVENT_CRASH:
		pr_err("guest crashed (KVM_SYSTEM_EVENT_CRASH) on vcpu %u", vcpu->id);
		return EXIT_GUEST_PANIC;
	default:
		pr_err("unhandled KVM system event %u on vcpu %u", vcpu->run->system_event.type, vcpu->id);
		return EXIT_GUEST_INTERNAL;
	}
}

static void report_insn(struct vcpu *vcpu, const char *what)
{
	uint8_t insn[15];
	char hex[15 * 3 + 1] = "";
	uint64_t rip = 0;
	int n = vcpu_fetch_insn(vcpu, &rip, insn, sizeof(insn));

	for (int i = 0; i < n; i++)
		snprintf(hex + i * 3, sizeof(hex) - (size_t)i * 3, "%02x ", insn[i]);
	pr_err("%s on vcpu %u at rip 0x%llx, instruction bytes: %s", what, vcpu->id,
	       (unsigned long long)rip, n > 0 ? hex : "(unreadable)");
}

static int handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && emul_fixup(vcpu))
		return RUN_CONTINUE;
	report_insn(vcpu, run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			  "KVM could not emulate an instruction" : "KVM internal error");
	pr_err("hint: suberror %u; on hosts whose KVM emulates guest kernel mode, hide the CPU "
	       "feature on the kernel command line (noxsave, clearcpuid=...); executing from "
	       "non-RAM memory also ends here", run->internal.suberror);
	return EXIT_GUEST_INTERNAL;
}

static int handle_fail_entry(struct vcpu *vcpu)
{
	pr_err("KVM_EXIT_FAIL_ENTRY on vcpu %u: hardware entry failure reason 0x%llx", vcpu->id,
	       (unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
	return EXIT_GUEST_INTERNAL;
}

static int handle_hlt(struct vcpu *vcpu)
{
	(void)vcpu;
	/* Only without an in-kernel LAPIC; nothing can wake the vCPU: the guest is done. */
	return EXIT_GUEST_OK;
}

static const exit_handler exit_handlers[] = {
	[KVM_EXIT_IO] = handle_io,
	[KVM_EXIT_MMIO] = handle_mmio,
	[KVM_EXIT_SHUTDOWN] = handle_shutdown,
	[KVM_EXIT_SYSTEM_EVENT] = handle_system_event,
	[KVM_EXIT_INTERNAL_ERROR] = handle_internal_error,
	[KVM_EXIT_FAIL_ENTRY] = handle_fail_entry,
	[KVM_EXIT_HLT] = handle_hlt,
};

/*
 * KVM_RUN failed with EFAULT: a guest access to memory whose host page cannot be faulted in
 * (hardware KVM; e.g. a shared memory mapping past EOF of its file). The owners of the VM's
 * memory repair what they can (vm_repair_memory); KVM_EXIT_MEMORY_FAULT (Linux 6.8+) says
 * where, else every owner checks all its memory. True: re-enter KVM_RUN.
 */
static bool repair_after_efault(struct vcpu *vcpu, unsigned int *streak)
{
	struct kvm_run *run = vcpu->run;
	uint64_t gpa = UINT64_MAX;

	if (vcpu->vm->memory_fault_info && run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
		struct run_memory_fault mf;

		memcpy(&mf, &run->mmio, sizeof(mf));   /* the exit union starts there */
		gpa = mf.gpa;
	}
	if (++*streak > RUN_MAX_REPAIRS)
		return false;
	return vm_repair_memory(vcpu->vm, gpa) > 0;
}

void vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	unsigned int repairs = 0;

	while (!vm_stopping(vm)) {
		uint32_t reason;
		int status;

		if (atomic_load(&vm->pause_req)) {
			vcpu_park(vcpu);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			int err = errno;

			if (err == EINTR || err == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			if (err == EFAULT && repair_after_efault(vcpu, &repairs))
				continue;
			pr_err("KVM_RUN on vcpu %u: %s", vcpu->id, strerror(err));
			if (err == EFAULT)
				pr_err("hint: the guest touched guest-physical memory whose host mapping is "
				       "missing or has the wrong protection, and no memory owner could "
				       "repair it");
			vm_request_stop(vm, EXIT_HOST_ERROR);
			break;
		}
		repairs = 0;
		atomic_fetch_add(&vcpu->exits, 1);
		if (vcpu->stats)
			exit_stats_count(vcpu->stats, vcpu->run);
		reason = vcpu->run->exit_reason;
		if (reason == KVM_EXIT_INTR)
			continue;
		atomic_fetch_add(&vcpu->user_exits, 1);
		if (reason >= sizeof(exit_handlers) / sizeof(exit_handlers[0]) || !exit_handlers[reason]) {
			report_insn(vcpu, "unhandled KVM exit");
			pr_err("exit reason %u is not handled by microvm", reason);
			vm_request_stop(vm, EXIT_GUEST_INTERNAL);
			break;
		}
		status = exit_handlers[reason](vcpu);
		if (status != RUN_CONTINUE) {
			vm_request_stop(vm, status);
			break;
		}
	}
}
