/* SPDX-License-Identifier: MIT */
/*
 * Host-KVM quirks: a nested, software-assisted KVM (kvm_pvm, BRIEF s.6) emulates guest kernel
 * mode and cannot run XSAVE/AVX, POPCNT, PCID, ... at CPL0, so a Linux guest there needs those
 * features hidden on its command line. Hardware KVM (kvm_intel, kvm_amd) needs nothing.
 */
#ifndef MICROVM_HOST_QUIRKS_H
#define MICROVM_HOST_QUIRKS_H

#include "config/config.h"

/* The guest command-line words for kvm_pvm (noxsave, clearcpuid= of RDTSCP ... FSGSBASE). */
#define HOST_QUIRKS_KVM_PVM_CMDLINE \
	"noxsave clearcpuid=59,151,141,145,298,297,580,534,312,308,295,288"

/* Which quirks this host's KVM needs: KVM_PVM when MODULE_DIR/kvm_pvm exists (sysfs), else NONE. */
enum host_quirks host_quirks_detect(const char *module_dir);

/*
 * Resolves *q (AUTO -> host_quirks_detect("/sys/module")) and appends the quirks' words to
 * *cmdline (heap-owned) unless they are already there. Returns 0, -ENOMEM, or -E2BIG when the
 * result would exceed CONFIG_CMDLINE_MAX.
 */
int host_quirks_apply(enum host_quirks *q, const char *module_dir, char **cmdline);

#endif
