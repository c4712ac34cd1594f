/*
 * examples/minimal/entry.S - the minimal kernel's exception, interrupt and
 * system-call entries. Every one builds a struct pvk_regs (pvkit/regs.h:
 * registers, vector, error code, hardware frame) and calls minimal_trap(),
 * or, for SYSCALL natively, a struct pvk_syscall_regs for the same handler
 * the kit's Xen syscall entry calls (pvkit/pvops_callbacks.h).
 */
#include <pvkit/asm/frame.h>
#include <pvkit/asm/xen_entry.h>
#include <pvkit/asm/native_entry.h>
#include <pvkit/pv_lint.h>
#include "minimal.h"

	.text
	/* Xen: the kit's 32 stubs and their common part (which also calls
	 * the interrupt-exit hook on the way out). */
	PVK_XEN_TRAP_STUBS minimal_xtrap, minimal_xtrap_common, minimal_xtrap_table
	PVK_XEN_TRAP_COMMON minimal_xtrap_common, minimal_trap

	/* Native: the same frame. Vector 32 is the APIC timer's, through the
	 * kit's stub (handler, then the hook); 33 the spurious vector. */
	.macro	NSTUB vec, code
minimal_ntrap\vec:
	.if	((PVK_X86_ERROR_CODE_VECTORS >> \vec) & 1) == 0 || \vec > 31
	pushq	$0
	.endif
	pushq	$\code
	jmp	minimal_ntrap_common
	.endm
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	NSTUB	\vec, \vec
	.endr
	NSTUB	33, (PVK_REGS_VECTOR_IRQ_BASE + VEC_SPURIOUS)
	PVK_NATIVE_TRAP_COMMON minimal_ntrap_common, minimal_trap
	PVK_NATIVE_IRQ_STUB minimal_ntrap32, VEC_TIMER, pvk_native_timer_interrupt

	.section .rodata
	.balign	8
	.globl	minimal_ntrap_table
minimal_ntrap_table:
	.irp	vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33
	.quad	minimal_ntrap\vec
	.endr
	.text

	/* Native SYSCALL: the program's %rsp parked, the kernel stack of
	 * the TSS (one CPU), a pvk_syscall_regs frame, back with iretq. */
	.globl	minimal_native_syscall
minimal_native_syscall:
	movq	%rsp, minimal_user_rsp(%rip)
	movq	minimal_stack_top_ptr(%rip), %rsp
	pushq	$(SEL_UDATA | 3)
	pushq	minimal_user_rsp(%rip)
	pushq	%r11				/* the program's rflags */
	pushq	$(SEL_UCODE | 3)
	pushq	%rcx				/* where it resumes */
	pushq	$0
	PVK_SAVE_ALL_REGS
	movq	%rsp, %rdi
	PVK_CALL_ALIGNED minimal_syscall, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$8, %rsp
PVK_NATIVE_ONLY_BEGIN
	iretq

	/* minimal_native_enter_user(rip, rsp): to ring 3, irqs on. */
	.globl	minimal_native_enter_user
minimal_native_enter_user:
	pushq	$(SEL_UDATA | 3)
	pushq	%rsi
	pushq	$0x202
	pushq	$(SEL_UCODE | 3)
	pushq	%rdi
	iretq
PVK_NATIVE_ONLY_END

	.data
minimal_user_rsp:
	.quad	0
minimal_stack_top_ptr:
	.quad	minimal_stack_top
