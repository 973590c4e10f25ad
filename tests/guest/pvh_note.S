/* SPDX-License-Identifier: MIT */
/*
 * PVH ELF note (only linked into testguest.elf): XEN_ELFNOTE_PHYS32_ENTRY (18) holds the
 * 32-bit physical entry point. Name "Xen\0", 4-byte descriptor, 4-byte aligned (QEMU aligns
 * the name to the PT_NOTE segment's p_align, so keep that at 4).
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz */
	.long 4				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY	/* type */
	.asciz "Xen"
	.balign 4
	.long pvh_start32
	.balign 4
