/* SPDX-License-Identifier: MIT */
/*
 * Test guest entry points.
 *
 * pvh_start32: PVH (32-bit protected mode, paging off, EBX = struct hvm_start_info).
 *   Zeroes .bss, builds identity page tables (2 MiB pages, 4 GiB), enables PAE + LME + paging
 *   and far-jumps into 64-bit code with our own GDT.
 * start64 (e_entry): Linux 64-bit boot protocol (long mode, identity map, RSI = boot_params).
 *   Zeroes .bss, loads our GDT, builds the same page tables and switches CR3 to them.
 * Both then call guest_main(), which never returns.
 */
#define BOOT_PVH	1
#define BOOT_LINUX64	2

#define SEL_CODE64	0x08
#define SEL_DATA	0x10

#define PTE_P		0x1
#define PTE_W		0x2
#define PTE_PS		0x80

	.section .text.entry32, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl	%ebx, %ebp			/* hvm_start_info, kept across the .bss wipe */

	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* PML4[0] -> PDPT */
	movl	$pt_pdpt, %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	%eax, pt_pml4
	/* PDPT[0..3] -> PD0..PD3 */
	movl	$pt_pd, %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	$pt_pdpt, %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$0x1000, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	1b
	/* PD entries: 2048 x 2 MiB = 4 GiB identity */
	movl	$pt_pd, %edi
	movl	$(PTE_P | PTE_W | PTE_PS), %eax
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	2b

	lgdt	gdt_desc
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$pt_pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER */
	rdmsr
	orl	$0x100, %eax			/* LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG | PE */
	movl	%eax, %cr0
	ljmp	$SEL_CODE64, $pvh_start64

	.code64
pvh_start64:
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	stack_top(%rip), %rsp
	movl	%ebp, %eax
	movq	%rax, boot_info_ptr(%rip)
	movl	$BOOT_PVH, boot_mode(%rip)
	call	guest_main
	jmp	halt_forever

	.section .text.entry64, "ax"
	.code64
	.globl start64
start64:
	cli
	cld
	movq	%rsi, %r12			/* boot_params */

	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx
	xorl	%eax, %eax
	rep stosq

	lgdt	gdt_desc(%rip)
	leaq	stack_top(%rip), %rsp
	pushq	$SEL_CODE64
	leaq	3f(%rip), %rax
	pushq	%rax
	lretq
3:	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	leaq	pt_pdpt(%rip), %rax
	orq	$(PTE_P | PTE_W), %rax
	movq	%rax, pt_pml4(%rip)
	leaq	pt_pd(%rip), %rax
	orq	$(PTE_P | PTE_W), %rax
	leaq	pt_pdpt(%rip), %rdi
	movl	$4, %ecx
4:	movq	%rax, (%rdi)
	addq	$0x1000, %rax
	addq	$8, %rdi
	decl	%ecx
	jnz	4b
	leaq	pt_pd(%rip), %rdi
	movq	$(PTE_P | PTE_W | PTE_PS), %rax
	movl	$2048, %ecx
5:	movq	%rax, (%rdi)
	addq	$0x200000, %rax
	addq	$8, %rdi
	decl	%ecx
	jnz	5b
	leaq	pt_pml4(%rip), %rax
	movq	%rax, %cr3

	movq	%r12, boot_info_ptr(%rip)
	movl	$BOOT_LINUX64, boot_mode(%rip)
	call	guest_main

	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp	halt_forever

/* Exception stubs: push a zero error code where the CPU pushes none, then the vector. */
	.text
	.code64
	.balign 16
	.globl exc_stubs
exc_stubs:
	.set vec, 0
	.rept 32
	.balign 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	pushq	$vec
	.else
	pushq	$0
	pushq	$vec
	.endif
	jmp	exc_common
	.set vec, vec + 1
	.endr

exc_common:
	/* Save the caller-saved registers so a handled exception (#BP) can resume. */
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbp
	leaq	80(%rsp), %rdi			/* struct exc_frame * */
	movq	%rsp, %rbp
	andq	$-16, %rsp
	call	exception_handler		/* returns 1 to resume, else does not return */
	movq	%rbp, %rsp
	testl	%eax, %eax
	jz	halt_forever
	popq	%rbp
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp			/* vector, error code */
	iretq

	/*
	 * The one deliberate int3 of the test guest (check "int3"): on hosts whose KVM emulates
	 * CPL0 the VMM must complete it (advance RIP, inject #BP). check-insns.sh allows it here only.
	 */
	.globl	deliberate_int3
deliberate_int3:
	int3
	ret

	/*
	 * The one deliberate fwait (check "fwait"): with no x87 exception pending it is a no-op;
	 * on emulating hosts the VMM skips it. Returns 1 in eax when execution continued past it.
	 */
	.globl	deliberate_fwait
deliberate_fwait:
	xorl	%eax, %eax
	fwait
	movl	$1, %eax
	ret

	.section .rodata
	.balign 16
gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: flat data */
	.quad	0x00cf9a000000ffff		/* 0x18: flat 32-bit code */
gdt_end:
	.balign 16
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.data
	.balign 8
	.globl boot_info_ptr, boot_mode
boot_info_ptr:	.quad 0
boot_mode:	.long 0

	.bss
	.balign 4096
	.globl pt_pml4, pt_pdpt, pt_pd
pt_pml4:	.skip 4096
pt_pdpt:	.skip 4096
pt_pd:		.skip 4 * 4096
	.balign 16
stack:		.skip 16384
stack_top:
