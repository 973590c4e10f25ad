// SPDX-License-Identifier: MIT
/*
 * Unit tests of vCPU pause/resume (src/kvm/vcpu.c) without KVM: fake vCPU threads run the same
 * loop head as vcpu_run_loop (park while pause_req, else "run": count), so pause must freeze
 * every counter, resume restart them, a stop wake parked vCPUs, and a vCPU that does not park
 * in time undo the pause.
 */
#include <check.h>
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "kvm/vcpu.h"
#include "kvm/vm.h"

#define NR 3

static struct vm vm;
static struct kvm_run runs[NR];
static atomic_int busy_ms;      /* vCPU 0 ignores the pause this long once (a slow MMIO exit) */

static void fake_vcpu(struct worker *w)
{
	struct vcpu *v = w->arg;

	while (!vm_stopping(v->vm)) {
		if (v->id == 0 && atomic_load(&busy_ms)) {
			/* like a device request retrying after EINTR: kicks do not shorten it */
			uint64_t end = monotonic_ns() + (uint64_t)atomic_exchange(&busy_ms, 0) * 1000000;

			while (monotonic_ns() < end)
				usleep(1000);
			continue;
		}
		if (atomic_load(&v->vm->pause_req)) {
			vcpu_park(v);
			continue;
		}
		atomic_fetch_add(&v->exits, 1);
		usleep(200);
	}
}

static void noop(int sig)
{
	(void)sig;
}

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(runs, 0, sizeof(runs));
	vm.stop_fd = -1;
	signal(SIGUSR1, noop);
	pthread_mutex_init(&vm.pause_lock, NULL);
	pthread_cond_init(&vm.pause_cond, NULL);
	vm.vcpus = calloc(NR, sizeof(*vm.vcpus));
	ck_assert_ptr_nonnull(vm.vcpus);
	vm.nr_vcpus = NR;
	for (unsigned int i = 0; i < NR; i++) {
		vm.vcpus[i] = (struct vcpu){ .vm = &vm, .id = i, .fd = -1, .run = &runs[i] };
		ck_assert_int_eq(worker_start(&vm.vcpus[i].worker, "fake-vcpu", THREAD_ROLE_VCPU,
					      fake_vcpu, &vm.vcpus[i]), 0);
	}
}

static void teardown(void)
{
	vm_request_stop(&vm, 0);
	vcpus_stop(&vm);
	free(vm.vcpus);
	pthread_cond_destroy(&vm.pause_cond);
	pthread_mutex_destroy(&vm.pause_lock);
}

static void counts(unsigned long *out)
{
	for (unsigned int i = 0; i < NR; i++)
		out[i] = atomic_load(&vm.vcpus[i].exits);
}

static void wait_all_advance(const unsigned long *before)
{
	unsigned long now[NR];

	for (int t = 0; t < 2000; t++) {
		bool all = true;

		counts(now);
		for (unsigned int i = 0; i < NR; i++)
			all &= now[i] > before[i];
		if (all)
			return;
		usleep(1000);
	}
	ck_abort_msg("a vCPU did not run");
}

START_TEST(pause_freezes_resume_restarts)
{
	unsigned long zero[NR] = { 0 }, a[NR], b[NR];

	wait_all_advance(zero);
	ck_assert(!vcpus_paused(&vm));
	ck_assert_int_eq(vcpus_pause(&vm, 2000), 0);
	ck_assert(vcpus_paused(&vm));
	ck_assert_uint_eq(vm.parked, NR);
	counts(a);
	usleep(50000);
	counts(b);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_int_eq(vcpus_pause(&vm, 2000), -EALREADY);
	ck_assert_int_eq(vcpus_resume(&vm), 0);
	ck_assert_int_eq(vcpus_resume(&vm), -EALREADY);
	wait_all_advance(b);
	/* twice more: parking is repeatable */
	ck_assert_int_eq(vcpus_pause(&vm, 2000), 0);
	ck_assert_int_eq(vcpus_resume(&vm), 0);
}
END_TEST

START_TEST(stop_while_paused)
{
	ck_assert_int_eq(vcpus_pause(&vm, 2000), 0);
	vm_request_stop(&vm, 7);
	ck_assert_int_eq(vcpus_pause(&vm, 2000), -ESHUTDOWN);
	vcpus_stop(&vm);      /* wakes the parked vCPUs; returns once all are joined */
	for (unsigned int i = 0; i < NR; i++)
		ck_assert(!vm.vcpus[i].worker.running);
}
END_TEST

START_TEST(slow_vcpu_times_out)
{
	unsigned long a[NR];

	atomic_store(&busy_ms, 1500);
	usleep(10000);
	ck_assert_int_eq(vcpus_pause(&vm, 100), -ETIMEDOUT);
	ck_assert(!vcpus_paused(&vm));        /* undone: everyone runs again */
	counts(a);
	wait_all_advance(a);
	ck_assert_int_eq(vcpus_pause(&vm, 2000), 0);
	ck_assert_int_eq(vcpus_resume(&vm), 0);
}
END_TEST

static Suite *pause_suite(void)
{
	Suite *s = suite_create("vcpu_pause");
	TCase *tc = tcase_create("pause");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, pause_freezes_resume_restarts);
	tcase_add_test(tc, stop_while_paused);
	tcase_add_test(tc, slow_vcpu_times_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pause_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
