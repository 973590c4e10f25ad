/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_RUN_LOOP_H
#define MICROVM_RUN_LOOP_H

struct vcpu;

/* Runs KVM_RUN until the VM stops; dispatches exits through a handler table. */
void vcpu_run_loop(struct vcpu *vcpu);

#endif
