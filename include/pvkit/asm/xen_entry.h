/*
 * pvkit/asm/xen_entry.h - the two ends of a Xen PV exception entry, as
 * assembler macros for the host's trap stubs.
 *
 * A 64-bit PV kernel runs in ring 3, so exceptions reach it through Xen,
 * which builds this frame on the kernel stack:
 *
 *   offset | with error code     | without error code
 *   -------+---------------------+--------------------
 *    +0x00 | %rcx                | %rcx                <- %rsp on entry
 *    +0x08 | %r11                | %r11
 *    +0x10 | error code          | %rip
 *    +0x18 | %rip                | %cs
 *    +0x20 | %cs                 | %rflags
 *    +0x28 | %rflags             | %rsp (interrupted)
 *    +0x30 | %rsp (interrupted)  | %ss
 *    +0x38 | %ss                 |
 *
 * Xen adds %rcx and %r11 because the hypercall page's SYSCALL clobbers
 * them: the interrupted code's values are on the stack, and the first
 * thing a stub does is take them back (PVK_XEN_TRAP_ENTRY). What is left
 * is the hardware exception frame, except that in the %cs slot Xen shows
 * the guest kernel's selector with RPL 0 (3 means user mode) and the
 * interrupted event upcall mask in bits 32-39, and RFLAGS.IF is the
 * inverse of that mask. A stub that forgets the two pops sees every
 * field two words off: the error code is %r11, %rip is the error code.
 *
 * The way out is HYPERVISOR_iret, never iretq (an iretq from ring 3 to
 * ring 3 would not restore the upcall mask). It wants, from %rsp up:
 * %rax, %r11, %rcx (which its hypercall stub pushes itself), then flags
 * (0: not returning from a syscall), %rip, %cs, %rflags, %rsp, %ss.
 * PVK_XEN_TRAP_RETURN takes %rsp pointing at the error-code slot (a stub
 * for a vector without one pushes a 0 there) with every register already
 * restored, writes 0 there and jumps to the iret hypercall. Xen takes the
 * upcall mask to restore from RFLAGS.IF.
 *
 * PVK_XEN_TRAP_STUBS makes the 32 exception stubs at once: each takes
 * %rcx/%r11 back, pushes a 0 where the CPU pushes no error code, then the
 * vector, and jumps to the host's common code (which so always finds
 * vector and error code above its saved registers); and a table of their
 * addresses by vector in .rodata, for the pvk_trap_desc array that
 * pvk_load_idt() takes.
 *
 * PVK_XEN_TRAP_COMMON name, handler is such common code, for a host that
 * has nothing of its own to add: it saves the general registers
 * (PVK_SAVE_ALL_REGS), so that struct pvk_regs (pvkit/regs.h) lies at
 * %rsp, calls handler(struct pvk_regs *), then the host's
 * pvk_port_irq_exit(regs) (pvkit/port.h: the way out of every trap, where
 * a kernel reschedules or delivers signals before a return to user mode),
 * restores every register from the frame as the two left it and returns
 * through PVK_XEN_TRAP_RETURN. The hook runs with upcalls masked: the
 * macro masks them after the handler (pvk_trap_mask_for_exit(), events.h),
 * since a trap gate without pvk_trap_desc.mask_irqs leaves them as they
 * were; the iret hypercall takes the mask back from the frame's
 * RFLAGS.IF.
 *
 * The kit's own entries (events/upcall.S, pvops/xen_syscall.S) do the
 * same; pvkit/asm/frame.h saves the registers in between. Natively,
 * pvkit/asm/native_entry.h has the same shapes for the IDT.
 */
#ifndef PVKIT_ASM_XEN_ENTRY_H
#define PVKIT_ASM_XEN_ENTRY_H

#include <pvkit/asm/frame.h>
#include <pvkit/hypercall.h>
#include <pvkit/xen/xen.h>

/* Exception vectors whose CPU frame has an error code (bit n: vector n):
 * #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
#define PVK_X86_ERROR_CODE_VECTORS	0x60227d00

#ifdef __ASSEMBLY__

.macro PVK_XEN_TRAP_ENTRY
	popq	%rcx
	popq	%r11
.endm

.macro PVK_XEN_TRAP_RETURN
	movq	$0, (%rsp)		/* error code slot -> iret flags */
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
.endm

.macro PVK_XEN_TRAP_STUB prefix, vec, common
	.type	\prefix\vec, @function
\prefix\vec:
	PVK_XEN_TRAP_ENTRY
	.if	((PVK_X86_ERROR_CODE_VECTORS >> \vec) & 1) == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	\common
	.size	\prefix\vec, . - \prefix\vec
.endm

/* \name: the common code the stubs jump to (see the top of the file). */
.macro PVK_XEN_TRAP_COMMON name:req, handler:req
	.type	\name, @function
\name:
	PVK_SAVE_ALL_REGS
	cld				/* the C ABI wants DF clear */
	movq	%rsp, %rdi		/* struct pvk_regs * */
	PVK_CALL_ALIGNED \handler, %rbx
	PVK_CALL_ALIGNED pvk_trap_mask_for_exit, %rbx	/* the hook runs masked */
	movq	%rsp, %rdi
	PVK_CALL_ALIGNED pvk_port_irq_exit, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$8, %rsp		/* vector */
	PVK_XEN_TRAP_RETURN
	.size	\name, . - \name
.endm

/* Stubs \prefix0 ... \prefix31 here, and \table (global, .rodata). */
.macro PVK_XEN_TRAP_STUBS prefix, common, table
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	PVK_XEN_TRAP_STUB \prefix, \vec, \common
	.endr
	.pushsection .rodata
	.balign	8
	.globl	\table
\table:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	\prefix\vec
	.endr
	.size	\table, . - \table
	.popsection
.endm

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_XEN_ENTRY_H */
