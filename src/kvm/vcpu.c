// SPDX-License-Identifier: MIT
/* vCPU lifecycle: creation (the arch part: arch_vcpu_init), threads, pause, stop. */
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

#include "arch/arch.h"
#include "util/clock.h"
#include "kvm/kvm_stats.h"
#include "util/log.h"
#include "kvm/run_loop.h"
#include "kvm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id)
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
	ret = arch_vcpu_init(vcpu);
	if (ret)
		pr_err("cannot initialise vcpu %u: %s", id, strerror(-ret));
	return ret;
}

int vcpus_create(struct vm *vm, unsigned int nr)
{
	int max, ret = 0;

	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (nr == 0 || nr > VM_MAX_VCPUS || (max > 0 && nr > (unsigned int)max)) {
		pr_err("vcpus = %u is out of range (1..%d on this host)", nr,
		       max > 0 && max < VM_MAX_VCPUS ? max : VM_MAX_VCPUS);
		return -EINVAL;
	}
	vm->vcpus = calloc(nr, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		pr_err("out of memory for %u vCPUs", nr);
		return -ENOMEM;
	}
	vm->nr_vcpus = nr;
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	for (unsigned int i = 0; i < nr; i++)
		vm->vcpus[i].fd = vm->vcpus[i].stats_fd = -1;
	for (unsigned int i = 0; i < nr && !ret; i++)
		ret = vcpu_create(vm, &vm->vcpus[i], i);
	return ret ? ret : arch_vcpus_created(vm);
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
		[KVM_MP_STATE_SIPI_RECEIVED] = "SIPI received", [KVM_MP_STATE_STOPPED] = "stopped",
	};

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		struct kvm_mp_state mp = { 0 };

		if (vcpu->fd < 0)
			continue;
		ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);
		arch_vcpu_dump(vcpu, mp.mp_state < sizeof(mp_states) / sizeof(mp_states[0]) &&
			       mp_states[mp.mp_state] ? mp_states[mp.mp_state] : "?");
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
