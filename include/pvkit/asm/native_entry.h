/*
 * pvkit/asm/native_entry.h - interrupt and exception entries for a native
 * boot (bare hardware or a full VM, the CPU's IDT), as assembler macros
 * that build struct pvk_regs (pvkit/regs.h) and call the host's
 * pvk_port_irq_exit() (pvkit/port.h) on the way out, as the Xen side does
 * (events/upcall.S, PVK_XEN_TRAP_COMMON in pvkit/asm/xen_entry.h).
 *
 * The CPU pushes, for an interrupt or an exception without error code,
 * %rip, %cs, %rflags, %rsp, %ss (64-bit mode: always all five, %rsp first
 * aligned down to 16 bytes, from ring 3 on the TSS's rsp0); an exception
 * with error code has it under %rip. The entries push a 0 where there is
 * no error code, then the vector, then the general registers
 * (PVK_SAVE_ALL_REGS): that is struct pvk_regs at %rsp, whatever the
 * vector, 22 words above a 16-byte boundary, so the calls are aligned
 * (PVK_CALL_ALIGNED makes sure).
 *
 * PVK_NATIVE_IRQ_STUB name, vector, handler
 *	An IDT interrupt gate's target (global function name): saves the
 *	frame with vector PVK_REGS_VECTOR_IRQ(vector), calls
 *	handler(struct pvk_regs *) (the kit's pvk_native_timer_interrupt()
 *	and pvk_native_ipi_interrupt() take no argument and ignore it: the
 *	SysV ABI allows that), then pvk_port_irq_exit(regs), restores the
 *	registers from the frame as the hook left it and returns with iretq.
 *	The gate must be an interrupt gate (pvk_trap_desc.mask_irqs): the
 *	hook runs with IF clear, and so does the handler.
 *
 * PVK_NATIVE_TRAP_COMMON name, handler
 *	The common part of exception stubs that pushed (error code or 0,
 *	vector) like PVK_NATIVE_IRQ_STUB: saves the registers, calls
 *	handler(struct pvk_regs *), then pvk_port_irq_exit(regs), restores
 *	and iretq. With interrupt gates the hook runs with IF clear; with a
 *	trap gate it would not, so the macro clears IF itself before the
 *	hook (iretq restores the frame's IF).
 *
 * Everything these macros emit runs only natively (iretq, cli): each is
 * marked for scripts/pv-lint (pvkit/pv_lint.h), so the host's allow-list
 * needs no line for them. There is no swapgs: the kit keeps no per-CPU
 * data behind %gs; a host that does so from user mode adds its own
 * swapgs around these (test RPL 3 in the saved %cs, PVK_REGS_CS).
 */
#ifndef PVKIT_ASM_NATIVE_ENTRY_H
#define PVKIT_ASM_NATIVE_ENTRY_H

#include <pvkit/asm/frame.h>
#include <pvkit/pv_lint.h>

#ifdef __ASSEMBLY__

/* From "registers saved" to iretq: the two calls and the way out. */
.macro PVK_NATIVE_ENTRY_BODY handler:req
	PVK_SAVE_ALL_REGS
	cld				/* the C ABI wants DF clear */
	movq	%rsp, %rdi		/* struct pvk_regs * */
	PVK_CALL_ALIGNED \handler, %rbx
	cli				/* a no-op behind an interrupt gate */
	movq	%rsp, %rdi
	PVK_CALL_ALIGNED pvk_port_irq_exit, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$16, %rsp		/* vector, error code */
	iretq
.endm

.macro PVK_NATIVE_IRQ_STUB name:req, vector:req, handler:req
	.text
	.globl	\name
	.type	\name, @function
\name:
	pushq	$0			/* error code */
	pushq	$(PVK_REGS_VECTOR_IRQ_BASE + (\vector))
	PVK_NATIVE_ENTRY_BODY \handler
	.size	\name, . - \name
	PVK_NATIVE_ONLY(\name)
.endm

.macro PVK_NATIVE_TRAP_COMMON name:req, handler:req
	.text
	.type	\name, @function
\name:
	PVK_NATIVE_ENTRY_BODY \handler
	.size	\name, . - \name
	PVK_NATIVE_ONLY(\name)
.endm

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_NATIVE_ENTRY_H */
