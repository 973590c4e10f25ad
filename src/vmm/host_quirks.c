// SPDX-License-Identifier: MIT
/* Host-KVM quirks: detection of kvm_pvm and the guest command-line recipe it needs. */
#include "vmm/host_quirks.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum host_quirks host_quirks_detect(const char *module_dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/kvm_pvm", module_dir) >= (int)sizeof(path))
		return HOST_QUIRKS_NONE;
	return access(path, F_OK) == 0 ? HOST_QUIRKS_KVM_PVM : HOST_QUIRKS_NONE;
}

/* Whether the command line has WORD as a whole word or a "WORD=..." word. */
static int has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s; (p = strstr(p, word)); p += n) {
		if ((p == s || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '='))
			return 1;
	}
	return 0;
}

int host_quirks_apply(enum host_quirks *q, const char *module_dir, char **cmdline)
{
	const char *add;
	const char *cur = *cmdline ? *cmdline : "";
	size_t n;
	char *s;

	if (*q == HOST_QUIRKS_AUTO)
		*q = host_quirks_detect(module_dir);
	if (*q != HOST_QUIRKS_KVM_PVM)
		return 0;
	add = HOST_QUIRKS_KVM_PVM_CMDLINE;
	if (has_word(cur, "noxsave") && has_word(cur, "clearcpuid"))
		return 0;
	n = strlen(cur) + 1 + strlen(add);
	if (n > CONFIG_CMDLINE_MAX)
		return -E2BIG;
	s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	snprintf(s, n + 1, "%s%s%s", cur, cur[0] ? " " : "", add);
	free(*cmdline);
	*cmdline = s;
	return 0;
}
