// SPDX-License-Identifier: MIT
/* vCPU lifecycle: creation (CPUID, MSRs, LAPIC), boot register state, threads. */
#include "kvm/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/boot/boot.h"
#include "util/clock.h"
#include "arch/x86/cpuid.h"
#include "kvm/kvm_stats.h"
#include "util/log.h"
#include "kvm/run_loop.h"
#include "kvm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

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

static int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id, struct kvm_cpuid2 *cpuid)
{
	int ret;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		ret = -errno;
		pr_err("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return ret;
	}
	/* optional: only read for the -v boot report */
	ret = kvm_stats_open(vcpu->fd);
	vcpu->stats_fd = ret < 0 ? -1 : ret;
	ret = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EINVAL;
	}
	vcpu->run_size = (size_t)ret;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		ret = -errno;
		pr_err("mmap kvm_run of vcpu %u: %s", id, strerror(errno));
		return ret;
	}
	cpuid_set_topology(cpuid, id, vm->nr_vcpus);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
		ret = -errno;
		pr_err("KVM_SET_CPUID2 on vcpu %u: %s", id, strerror(errno));
		return ret;
	}
	ret = setup_msrs(vcpu);
	if (!ret)
		ret = setup_lapic(vcpu);
	if (!ret)
		ret = setup_fpu(vcpu);
	if (ret)
		pr_err("cannot initialise vcpu %u: %s", id, strerror(-ret));
	return ret;
}

int vcpus_create(struct vm *vm, unsigned int nr)
{
	struct kvm_cpuid2 *cpuid;
	int max, ret = 0;

	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (nr == 0 || nr > VM_MAX_VCPUS || (max > 0 && nr > (unsigned int)max)) {
		pr_err("vcpus = %u is out of range (1..%d on this host)", nr,
		       max > 0 && max < VM_MAX_VCPUS ? max : VM_MAX_VCPUS);
		return -EINVAL;
	}
	cpuid = cpuid_get_supported(vm->kvm_fd);
	if (!cpuid) {
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
	}
	vm->vcpus = calloc(nr, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		pr_err("out of memory for %u vCPUs", nr);
		free(cpuid);
		return -ENOMEM;
	}
	vm->nr_vcpus = nr;
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	for (unsigned int i = 0; i < nr; i++)
		vm->vcpus[i].fd = vm->vcpus[i].stats_fd = -1;
	for (unsigned int i = 0; i < nr && !ret; i++)
		ret = vcpu_create(vm, &vm->vcpus[i], i, cpuid);
	free(cpuid);
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

static void kick_handler(int sig)
{
	(void)sig;
}

static void vcpu_thread(struct worker *w)
{
	vcpu_run_loop(w->arg);
}

int vcpus_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		char name[16];
		int ret;

		snprintf(name, sizeof(name), "vcpu%u", i);
		ret = worker_start(&vm->vcpus[i].worker, name, THREAD_ROLE_VCPU, vcpu_thread,
				   &vm->vcpus[i]);
		if (ret) {
			pr_err("cannot start vcpu %u thread: %s", i, strerror(-ret));
			vm_request_stop(vm, 1);
			return ret;
		}
	}
	return 0;
}

void vcpu_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->pause_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_req) && !vm_stopping(vm))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->parked--;
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vcpus_paused(struct vm *vm)
{
	return atomic_load(&vm->pause_req);
}

/* Kicks every started vCPU out of KVM_RUN (immediate_exit covers the one about to enter). */
static void kick_all(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->worker.running)
			continue;
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELAXED);
		pthread_kill(vcpu->worker.thread, VCPU_KICK_SIGNAL);
	}
}

int vcpus_pause(struct vm *vm, unsigned int timeout_ms)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000;
	int ret = 0;

	pthread_mutex_lock(&vm->pause_lock);
	if (vm_stopping(vm))
		ret = -ESHUTDOWN;
	else if (atomic_load(&vm->pause_req))
		ret = -EALREADY;
	if (ret) {
		pthread_mutex_unlock(&vm->pause_lock);
		return ret;
	}
	atomic_store(&vm->pause_req, true);
	while (vm->parked < vm->nr_vcpus && !vm_stopping(vm)) {
		struct timespec ts;

		if (monotonic_ns() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		kick_all(vm);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_clockwait(&vm->pause_cond, &vm->pause_lock, CLOCK_MONOTONIC, &ts);
	}
	if (!ret && vm_stopping(vm))
		ret = -ESHUTDOWN;
	if (ret) {
		atomic_store(&vm->pause_req, false);
		pthread_cond_broadcast(&vm->pause_cond);
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return ret;
}

int vcpus_resume(struct vm *vm)
{
	int ret = 0;

	pthread_mutex_lock(&vm->pause_lock);
	if (!atomic_load(&vm->pause_req))
		ret = -EALREADY;
	atomic_store(&vm->pause_req, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	return ret;
}

void vcpus_stop(struct vm *vm)
{
	/* wake parked vCPUs: they see the stop request and leave */
	if (vm->nr_vcpus) {
		pthread_mutex_lock(&vm->pause_lock);
		pthread_cond_broadcast(&vm->pause_cond);
		pthread_mutex_unlock(&vm->pause_lock);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->worker.running)
			continue;
		/*
		 * The stop request is set: immediate_exit makes the next KVM_RUN return at once,
		 * the signal (no SA_RESTART) ends the current one or any blocking syscall.
		 */
		if (vcpu->run)
			__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELAXED);
		pthread_kill(vcpu->worker.thread, VCPU_KICK_SIGNAL);
		worker_join(&vcpu->worker);
	}
}

void vcpus_dump(struct vm *vm)
{
	static const char *const mp_states[] = {
		[KVM_MP_STATE_RUNNABLE] = "runnable", [KVM_MP_STATE_UNINITIALIZED] = "waiting for INIT",
		[KVM_MP_STATE_INIT_RECEIVED] = "INIT received", [KVM_MP_STATE_HALTED] = "halted",
		[KVM_MP_STATE_SIPI_RECEIVED] = "SIPI received",
	};

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		struct kvm_mp_state mp = { 0 };
		struct kvm_regs regs;
		struct kvm_sregs sregs;

		if (vcpu->fd < 0 || ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
			continue;
		ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);
		pr_info("vcpu%u: %s, rip 0x%llx rsp 0x%llx rflags 0x%llx cr0 0x%llx cr3 0x%llx, %lu exits",
			i, mp.mp_state < sizeof(mp_states) / sizeof(mp_states[0]) && mp_states[mp.mp_state] ?
			mp_states[mp.mp_state] : "?", (unsigned long long)regs.rip,
			(unsigned long long)regs.rsp, (unsigned long long)regs.rflags,
			(unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
			atomic_load(&vcpu->exits));
	}
}

void vcpus_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->run)
			munmap(vcpu->run, vcpu->run_size);
		if (vcpu->stats_fd >= 0)
			close(vcpu->stats_fd);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		free(vcpu->stats);
	}
	if (vm->vcpus) {
		pthread_cond_destroy(&vm->pause_cond);
		pthread_mutex_destroy(&vm->pause_lock);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
}
