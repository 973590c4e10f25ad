// SPDX-License-Identifier: MIT
/*
 * The one rule for what a guest may create or change in the share (docs/SECURITY.md,
 * "microvm-virtiofsd: file policy"). Every opcode that creates an inode, changes its mode,
 * renames with flags, links or opens asks vfsd_policy() first; nothing else decides.
 *
 *   types the guest may create: regular files, directories, symlinks, FIFOs, sockets; never a
 *                               character or block device (a whiteout is a 0:0 char device)
 *   mode bits:                  permissions and sticky; setgid on directories only (group
 *                               inheritance); setuid never
 *   RENAME2 flags:              NOREPLACE or EXCHANGE; WHITEOUT (creates a device node) and
 *                               unknown flags are refused
 *   LINK:                       regular files, symlinks, FIFOs, sockets; no directory, no device
 *   OPEN (and CREATE of an existing name): regular files only, so a FIFO or a device in the
 *                               share is never opened (a FIFO would block a worker)
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "virtiofsd/vfsd_priv.h"

/* Types a guest may create or link (bit per S_IFMT >> 12). */
#define TYPE_BIT(t) (1u << (((t) & S_IFMT) >> 12))
#define GUEST_TYPES (TYPE_BIT(S_IFREG) | TYPE_BIT(S_IFDIR) | TYPE_BIT(S_IFLNK) | \
		     TYPE_BIT(S_IFIFO) | TYPE_BIT(S_IFSOCK))
#define LINK_TYPES (GUEST_TYPES & ~TYPE_BIT(S_IFDIR))

static int check_bits(mode_t type, uint32_t mode)
{
	if (mode & S_ISUID)
		return -EPERM;
	if ((mode & S_ISGID) && !S_ISDIR(type))
		return -EPERM;
	return 0;
}

int vfsd_policy(enum vfsd_change what, mode_t type, uint32_t mode, uint32_t flags)
{
	type &= S_IFMT;
	switch (what) {
	case VFSD_CREATE:
		if (!(TYPE_BIT(type) & GUEST_TYPES) || !type)
			return -EPERM;
		return check_bits(type, mode);
	case VFSD_CHMOD:
		if (S_ISLNK(type))
			return -EOPNOTSUPP;
		return check_bits(type, mode);
	case VFSD_RENAME:
		if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
			return -EINVAL;
		if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
			return -EINVAL;
		return 0;
	case VFSD_LINK:
		return (TYPE_BIT(type) & LINK_TYPES) && type ? 0 : -EPERM;
	case VFSD_OPEN:
		if (S_ISREG(type))
			return 0;
		if (S_ISDIR(type))
			return -EISDIR;
		return S_ISLNK(type) ? -ELOOP : -ENXIO;
	}
	return -EINVAL;
}
