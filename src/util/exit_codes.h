/* SPDX-License-Identifier: MIT */
/* Exit-status contract of the microvm binary (documented in README and --help). */
#ifndef MICROVM_EXIT_CODES_H
#define MICROVM_EXIT_CODES_H

enum microvm_exit {
	EXIT_GUEST_OK = 0,        /* guest reset (i8042 / triple-fault-free reboot) or powered off */
	EXIT_HOST_ERROR = 1,      /* host-side failure: KVM ioctl, out of memory, I/O error */
	EXIT_CONFIG_ERROR = 2,    /* bad command line, config file, kernel or initrd */
	EXIT_GUEST_TRIPLE_FAULT = 3, /* guest triple fault (KVM_EXIT_SHUTDOWN) */
	EXIT_GUEST_INTERNAL = 4,  /* KVM_EXIT_INTERNAL_ERROR / emulation failure / unhandled exit */
	EXIT_GUEST_PANIC = 5,     /* guest reported a panic (pvpanic-style port) */
	EXIT_TIMEOUT = 6,         /* --timeout elapsed before the guest stopped */
	EXIT_SIGNAL = 7,          /* stopped by SIGINT/SIGTERM */
};

#endif
