/*
 * tests/guest/entry_native.S - exception entry stubs for a native boot
 * (pvh.S): the hardware frame, no Xen additions.
 *
 * The CPU pushes (64-bit mode; from ring 0 on the current stack, from a
 * user program, RPL 3 in %cs, on rsp0 of the TSS, user/cpu.c):
 *
 *   offset | with error code     | without error code
 *   -------+---------------------+--------------------
 *    +0x00 | error code          | %rip                <- %rsp on entry
 *    +0x08 | %rip                | %cs
 *    +0x10 | %cs                 | %rflags
 *    +0x18 | %rflags             | %rsp (interrupted)
 *    +0x20 | %rsp (interrupted)  | %ss
 *    +0x28 | %ss                 |
 *
 * Each stub pushes a 0 in place of a missing error code and the vector,
 * then the common part pushes the registers (PVK_SAVE_ALL_REGS): the same
 * struct guest_regs as entry.S builds (the table there), and calls the
 * same guest_trap_dispatch() (entry.S), so guest_trap()/guest_fault() and
 * guest_user_trap() serve both worlds. An exception from user mode goes
 * to guest_user_trap() (user/run.c: maps a page or kills the program). A
 * fixed-up or resolved exception returns with iretq.
 */
#include <pvkit/asm/frame.h>

	.text
	.code64

.macro NTRAP_NOERR vec
	.type guest_ntrap_\vec, @function
guest_ntrap_\vec:
	pushq	$0
	pushq	$\vec
	jmp	guest_ntrap_common
	.size guest_ntrap_\vec, . - guest_ntrap_\vec
.endm

.macro NTRAP_ERR vec
	.type guest_ntrap_\vec, @function
guest_ntrap_\vec:
	pushq	$\vec
	jmp	guest_ntrap_common
	.size guest_ntrap_\vec, . - guest_ntrap_\vec
.endm

	.irp vec, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	NTRAP_NOERR \vec
	.endr
	.irp vec, 8,10,11,12,13,14,17,21,29,30
	NTRAP_ERR \vec
	.endr

	.type guest_ntrap_common, @function
guest_ntrap_common:
	PVK_SAVE_ALL_REGS
	movq	%rsp, %rdi		/* struct guest_regs * */
	cld				/* the C ABI wants DF clear; the interrupted code may have set it */
	PVK_CALL_ALIGNED guest_trap_dispatch, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$16, %rsp		/* vector, error code */
	iretq
	.size guest_ntrap_common, . - guest_ntrap_common

	.section .rodata
	.balign 8
	.globl guest_native_trap_stubs
guest_native_trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	guest_ntrap_\vec
	.endr
	.size guest_native_trap_stubs, . - guest_native_trap_stubs

	/*
	 * IRQ 0 (PIT) after native.c remapped the PIC to vector 32: no error
	 * code, so the CPU's five words leave %rsp 8 mod 16; the nine words of
	 * PVK_SAVE_CALLER_REGS make the call aligned. Only the C ABI's
	 * caller-saved registers need saving.
	 */
	.text
	.globl	guest_nirq_timer
	.type	guest_nirq_timer, @function
guest_nirq_timer:
	PVK_SAVE_CALLER_REGS
	call	guest_native_timer_irq
	PVK_RESTORE_CALLER_REGS
	iretq
	.size	guest_nirq_timer, . - guest_nirq_timer

	/*
	 * The kit's IPI vector (GUEST_NATIVE_IPI_VECTOR, native_smp.c): like
	 * the timer's, an interrupt gate without error code; the kit's
	 * pvk_native_ipi_interrupt() EOIs and runs the pending IPI kinds.
	 */
	.globl	guest_nirq_ipi
	.type	guest_nirq_ipi, @function
guest_nirq_ipi:
	PVK_SAVE_CALLER_REGS
	cld
	call	pvk_native_ipi_interrupt
	PVK_RESTORE_CALLER_REGS
	iretq
	.size	guest_nirq_ipi, . - guest_nirq_ipi
