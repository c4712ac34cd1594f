/*
 * tests/guest/pvh.S - native entry: from the PVH boot protocol (what QEMU's
 * -kernel does with an ELF carrying XEN_ELFNOTE_PHYS32_ENTRY) to 64-bit
 * code at the image's link address, then guest_native_main().
 *
 * The loader enters pvh_start32 in 32-bit protected mode, paging off, flat
 * segments, interrupts off, no stack, %ebx = physical address of the
 * hvm_start_info. Until paging is on we run at physical addresses, so
 * every address we use is phys(sym) = sym - VIRT_BASE + LOAD_PHYS.
 *
 * The page tables are static (in .data, filled in at link time) and map,
 * with 2 MiB pages:
 *
 *   virtual                          | physical           | why
 *   ---------------------------------+--------------------+--------------------
 *   0 .. 1 GiB                       | 0 .. 1 GiB         | the code that turns
 *                                    |                    | paging on; devices
 *   VIRT_BASE .. VIRT_BASE + 1 GiB   | LOAD_PHYS .. +1 GiB| the image, linked
 *                                    |                    | at VIRT_BASE
 *
 * PML4[0] -> pdpt_low[0] -> pd_ident; PML4[511] -> pdpt_high[510] ->
 * pd_image (VIRT_BASE = 0xffffffff80000000 is PML4 slot 511, PDPT 510).
 */
#include "layout.h"

#define PHYS(sym)	((sym) - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS)
#define PTE_PRESENT_RW	0x003
#define PTE_LARGE	0x080
#define MSR_EFER	0xc0000080
#define EFER_LME	0x100
#define CR4_PAE		0x20
#define CR0_PE_PG	0x80000001
#define GDT_CODE64	0x08
#define GDT_DATA	0x10

	.text
	.code32
	.globl	pvh_start32
	.type	pvh_start32, @function
pvh_start32:
	cld
	cli
	movl	%ebx, %esi			/* hvm_start_info, kept for C */
	movl	$PHYS(pvh_pml4), %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PE_PG, %eax
	movl	%eax, %cr0			/* long mode, compatibility */
	lgdt	PHYS(pvh_gdt_ptr)
	ljmp	$GDT_CODE64, $PHYS(pvh_start64)
	.size	pvh_start32, . - pvh_start32

	.code64
	.type	pvh_start64, @function
pvh_start64:
	movl	$GDT_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movabsq	$pvh_high, %rax			/* leave the identity map */
	jmp	*%rax
pvh_high:
	leaq	guest_stack_top(%rip), %rsp
	movl	%esi, %edi			/* 1st argument: hvm_start_info */
	xorl	%ebp, %ebp			/* ends frame-pointer backtraces */
	call	guest_native_main
	ud2					/* it does not return */
	.size	pvh_start64, . - pvh_start64

	.section .rodata
	.balign	8
pvh_gdt:
	.quad	0				/* null */
	.quad	0x00af9a000000ffff		/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff		/* 0x10: data, DPL 0 */
pvh_gdt_end:
pvh_gdt_ptr:
	.word	pvh_gdt_end - pvh_gdt - 1
	.long	PHYS(pvh_gdt)

	.section .data.pvh_pagetables, "aw", @progbits
	.balign	4096
pvh_pml4:
	.quad	PHYS(pvh_pdpt_low) + PTE_PRESENT_RW
	.fill	510, 8, 0
	.quad	PHYS(pvh_pdpt_high) + PTE_PRESENT_RW
pvh_pdpt_low:
	.quad	PHYS(pvh_pd_ident) + PTE_PRESENT_RW
	.fill	511, 8, 0
pvh_pdpt_high:
	.fill	510, 8, 0
	.quad	PHYS(pvh_pd_image) + PTE_PRESENT_RW
	.quad	0
pvh_pd_ident:
	.set	i, 0
	.rept	512
	.quad	(i << 21) + PTE_LARGE + PTE_PRESENT_RW
	.set	i, i + 1
	.endr
pvh_pd_image:
	.set	i, 0
	.rept	512
	.quad	PVK_GUEST_LOAD_PHYS + (i << 21) + PTE_LARGE + PTE_PRESENT_RW
	.set	i, i + 1
	.endr
