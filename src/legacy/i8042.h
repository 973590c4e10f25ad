/* SPDX-License-Identifier: MIT */
/*
 * Minimal i8042: the status port reads "no data, input buffer empty" (0) so Linux's probe
 * finishes at once, and command 0xfe (pulse reset line) stops the VM with status 0: the
 * guest's "I am done" signal (Linux reboot=k).
 */
#ifndef MICROVM_I8042_H
#define MICROVM_I8042_H

struct vm;

int i8042_init(struct vm *vm);

#endif
