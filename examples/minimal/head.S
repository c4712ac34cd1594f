/*
 * examples/minimal/head.S - the minimal kernel's two ways in: Xen's PV
 * entry (start_info in %rsi, already in long mode on Xen's page tables)
 * and the native PVH entry (32-bit protected mode, paging off), with the
 * ELF notes that name both, and the native world's page tables, GDT and
 * the one stack. Both ends call C: minimal_xen_main(si), minimal_native_main().
 */
#include <pvkit/asm/elfnote.h>
#include <pvkit/pv_lint.h>
#include "minimal.h"

	/* Xen's builder: pfn 0 at KBASE, p_paddr are physical (offset 0). */
	PVK_XEN_NOTES "pvkit-minimal", "1", KBASE, 0, minimal_xen_entry
	/* QEMU's -kernel: the 32-bit entry's physical address. */
	PVK_XEN_NOTE_PHYS32_ENTRY (minimal_pvh_entry - KBASE)

	.section .text.head, "ax"
	.globl	minimal_xen_entry
minimal_xen_entry:
	leaq	minimal_stack_top(%rip), %rsp
	movq	%rsi, %rdi
	call	minimal_xen_main
	ud2

	/* Native: load our GDT, turn on PAE, long mode (and SYSCALL), paging. */
	.code32
minimal_pvh_entry:
PVK_NATIVE_ONLY_BEGIN
	lgdt	(minimal_gdt_ptr32 - KBASE)
	movl	$(minimal_pml4 - KBASE), %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx		/* EFER */
	rdmsr
	orl	$0x101, %eax			/* LME, SCE */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* PG, PE */
	movl	%eax, %cr0
	ljmp	$SEL_KCODE, $(1f - KBASE)
	.code64
1:	movl	$SEL_KDATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movabsq	$2f, %rax			/* from the 1:1 alias to KBASE */
	jmp	*%rax
2:	leaq	minimal_stack_top(%rip), %rsp
PVK_NATIVE_ONLY_END
	call	minimal_native_main
	ud2

	.data
	/* 0-1 GiB mapped 1:1 and at KBASE with 2 MiB pages, user-accessible:
	 * the ring-3 program runs where it was linked. */
	.balign	4096
minimal_pml4:
	.quad	minimal_pdpt - KBASE + 7
	.fill	510, 8, 0
	.quad	minimal_pdpt - KBASE + 7
minimal_pdpt:
	.quad	minimal_pd - KBASE + 7
	.fill	509, 8, 0
	.quad	minimal_pd - KBASE + 7
	.quad	0
	.globl	minimal_pd
minimal_pd:
	.set	i, 0
	.rept	512
	.quad	(i << 21) + 0x87		/* present, rw, user, 2 MiB */
	.set	i, i + 1
	.endr

	/* A page of its own: pvk_load_gdt() wants one (TSS at SEL_TSS). */
	.globl	minimal_gdt
minimal_gdt:
	.quad	0
	.quad	0x00af9a000000ffff		/* SEL_KCODE: 64-bit, ring 0 */
	.quad	0x00cf92000000ffff		/* SEL_KDATA */
	.quad	0				/* SEL_UBASE: STAR's base only */
	.quad	0x00cff2000000ffff		/* SEL_UDATA: ring 3 */
	.quad	0x00affa000000ffff		/* SEL_UCODE: 64-bit, ring 3 */
	.fill	512 - 6, 8, 0
minimal_gdt_ptr32:
	.word	GDT_ENTRIES * 8 - 1
	.long	minimal_gdt - KBASE

	.bss
	.balign	4096
	.skip	16384
	.globl	minimal_stack_top
minimal_stack_top:
