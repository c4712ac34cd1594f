/*
 * pvops/smp_trampoline.S - where a natively started CPU begins: from the
 * real mode a start-up IPI leaves it in to the kit's 64-bit code on the
 * boot CPU's page tables (smp_native.c sends the IPIs and fills the data).
 *
 * The part between pvk_native_tramp_start and pvk_native_tramp_end is
 * copied to low_phys (page 0 of smp_native.h's table) and runs there. The
 * SIPI's vector is low_phys >> 12, so the CPU starts at CS = low_phys >> 4,
 * IP = 0 (Intel SDM vol. 3, "MP initialization"): every address below is
 * an offset from low_phys, through %ds in real mode and %ebx after.
 *
 *   16-bit | %ebx = low_phys; lgdt the trampoline's GDT; CR0.PE; far jump
 *   32-bit | flat segments; copy the boot CPU's PML4 slots 1..511 into the
 *          | temporary PML4 (paging is off: the boot CR3 is read as
 *          | physical memory, hence below 4 GiB); CR4.PAE; CR3 = temporary
 *          | PML4; EFER = LME and the boot CPU's NXE/SCE; CR0.PG: long mode
 *   64-bit | jump to pvk_native_ap_start64, in the kit's image: mapped by
 *          | the copied slots, as it is on the boot CPU
 *
 * pvk_native_ap_start64 then takes the boot CPU's control registers in
 * the order the SDM's checks allow: CR0 first (it clears INIT's CD/NW and
 * sets WP, which CR4.CET requires), then CR4 (PCIDE may be set only while
 * CR3's low 12 bits are 0: the temporary PML4's are), then CR3, which
 * leaves the temporary tables. CR4.LA57 cannot change in long mode and
 * the copy above reads a PML4, so a boot CPU with 5-level paging is
 * refused in C before any start. It loads the boot CPU's GDT and IDT and
 * segments, sets MSR_GS_BASE, switches to the new stack, calls
 * pvk_native_ap_arrived() (smp_native.c: XCR0, IA32_PAT, the APIC) and
 * calls the host's entry with its argument. Each stage writes its
 * number (smp_native.h) so that a CPU that never arrives is reported with
 * where it stopped.
 */
#include "smp_native.h"
#include <pvkit/pv_lint.h>

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define MSR_GS_BASE	0xc0000101

#define OFF(sym)	((sym) - pvk_native_tramp_start)

	.section .rodata.pvk_native_tramp, "a"
	.balign	16
	.globl	pvk_native_tramp_start
pvk_native_tramp_start:
	.code16
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movl	$STAGE_REAL, TD_STAGE
	xorl	%ebx, %ebx
	movw	%ax, %bx
	shll	$4, %ebx			/* low_phys */
	lgdtl	TD_GDT_PTR
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*TD_JMP32			/* to tramp32, CS = TR_CODE32 */

	.code32
tramp32:
	movl	$TR_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	$STAGE_PROTECTED, TD_STAGE(%ebx)
	/* The boot CPU's upper PML4 slots map the kit's image. */
	movl	TD_BOOT_CR3(%ebx), %esi
	andl	$0xfffff000, %esi
	addl	$8, %esi
	leal	TRAMP_PML4 + 8(%ebx), %edi
	movl	$511 * 2, %ecx
	rep movsl
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	leal	TRAMP_PML4(%ebx), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	movl	TD_EFER(%ebx), %eax
	movl	TD_EFER + 4(%ebx), %edx
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0			/* long mode, compatibility */
	ljmpl	*TD_JMP64(%ebx)			/* to tramp64, CS = TR_CODE64 */

	.code64
tramp64:
	movl	%ebx, %ebx			/* the upper half is undefined */
	movl	$STAGE_LONG, TD_STAGE(%rbx)
	movq	TD_TARGET(%rbx), %rax
	jmp	*%rax

	/* smp_native.c fills TD_BASE .. TD_END before each start. */
	.org	TD_BASE
	.fill	TD_END - TD_BASE, 1, 0
	.globl	pvk_native_tramp_end
pvk_native_tramp_end:

	/* Offsets smp_native.c patches the far jumps with. */
	.globl	pvk_native_tramp32_off
	.globl	pvk_native_tramp64_off
	.balign	4
pvk_native_tramp32_off:
	.long	OFF(tramp32)
pvk_native_tramp64_off:
	.long	OFF(tramp64)

/*
 * In the kit's image, still on the temporary page tables (which map it
 * where the boot CPU's do), irqs off, no stack.
 */
	.text
	.code64
	.globl	pvk_native_ap_start64
	.type	pvk_native_ap_start64, @function
pvk_native_ap_start64:
	leaq	pvk_native_ap_params(%rip), %rbp
	movq	AP_STACK(%rbp), %r12
	movq	AP_ENTRY(%rbp), %r13
	movq	AP_ARG(%rbp), %r14
	movq	AP_CR0(%rbp), %rax
	movq	%rax, %cr0			/* before CR4: CET needs WP */
	movq	AP_CR4(%rbp), %rax
	movq	%rax, %cr4			/* before CR3: PCIDE needs CR3[11:0] = 0 */
	movq	AP_CR3(%rbp), %rax
	movq	%rax, %cr3			/* the low pages may be unmapped now */
	movq	%r12, %rsp			/* the new stack (boot tables) */
	lgdt	AP_GDT(%rbp)
	lidt	AP_IDT(%rbp)
	movw	AP_SS(%rbp), %ss
	movw	AP_DS(%rbp), %ds
	movw	AP_DS(%rbp), %es
	movw	AP_DS(%rbp), %fs
	movw	AP_DS(%rbp), %gs		/* before MSR_GS_BASE: it resets it */
	/* CS from the boot CPU's GDT: an iretq will reload it from there. */
	pushq	AP_CS(%rbp)
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	$MSR_GS_BASE, %ecx
	movl	AP_GS_BASE(%rbp), %eax
	movl	AP_GS_BASE + 4(%rbp), %edx
	wrmsr
	movq	%r12, %rsp
	xorl	%ebp, %ebp
	call	pvk_native_ap_arrived		/* releases pvk_native_ap_params */
	movq	%r12, %rsp
	movq	%r14, %rdi
	call	*%r13
	ud2					/* entry does not return */
	.size	pvk_native_ap_start64, . - pvk_native_ap_start64
	PVK_NATIVE_ONLY(pvk_native_ap_start64)
