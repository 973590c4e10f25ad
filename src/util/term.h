/* SPDX-License-Identifier: MIT */
/*
 * The host terminal: raw mode while the guest owns the console, restored on every exit path
 * (normal exit, error, SIGINT/SIGTERM/SIGHUP, fatal signals). When stdin is not a terminal
 * (a pipe, /dev/null in scripts and tests) nothing is changed.
 */
#ifndef MICROVM_TERM_H
#define MICROVM_TERM_H

#include <stdbool.h>

/* Puts stdin into raw mode if it is a terminal and installs the restore hooks. */
void term_raw_enter(void);
/* Restores the saved mode; idempotent and async-signal-safe. */
void term_restore(void);
bool term_is_raw(void);

#endif
