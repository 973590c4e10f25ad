/* SPDX-License-Identifier: MIT */
/*
 * The main thread's event loop: console input (stdin -> serial receive FIFO, with the
 * "Ctrl-A x" escape to quit), SIGINT/SIGTERM/SIGHUP, the optional --timeout, and the VM's stop
 * request. Returns when the VM must stop.
 */
#ifndef MICROVM_MAIN_LOOP_H
#define MICROVM_MAIN_LOOP_H

#include <stdint.h>

struct vm;
struct serial;

/* Blocks SIGINT/SIGTERM/SIGHUP/SIGQUIT in the calling thread (call before creating threads). */
int main_loop_block_signals(void);
/* Runs until vm_request_stop(); timeout_ms 0 = none. Returns the VM's exit status. */
int main_loop_run(struct vm *vm, struct serial *serial, uint64_t timeout_ms);

#endif
