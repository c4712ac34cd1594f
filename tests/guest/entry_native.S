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
 * then the common part (PVK_NATIVE_TRAP_COMMON, pvkit/asm/native_entry.h)
 * pushes the registers: the same struct guest_regs (= struct pvk_regs)
 * as entry.S builds (the table there), calls the same
 * guest_trap_dispatch() (entry.S), so guest_trap()/guest_fault() and
 * guest_user_trap() serve both worlds, then the host hook
 * pvk_port_irq_exit() (irq_exit.c) with that frame. An exception from
 * user mode goes to guest_user_trap() (user/run.c: maps a page or kills
 * the program). A fixed-up or resolved exception returns with iretq.
 *
 * The PIT's and the kit's IPI interrupts are PVK_NATIVE_IRQ_STUBs: the
 * same frame (vector PVK_REGS_VECTOR_IRQ(n)), their handler, the hook.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/asm/native_entry.h>

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

	PVK_NATIVE_TRAP_COMMON guest_ntrap_common, guest_trap_dispatch

	.section .rodata
	.balign 8
	.globl guest_native_trap_stubs
guest_native_trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	guest_ntrap_\vec
	.endr
	.size guest_native_trap_stubs, . - guest_native_trap_stubs

	/* IRQ 0 (PIT), after native.c remapped the PIC to vector 32. */
	PVK_NATIVE_IRQ_STUB guest_nirq_timer, 32, guest_native_timer_irq

	/*
	 * The kit's IPI vector (GUEST_NATIVE_IPI_VECTOR, 0xf8: guest.h,
	 * checked in native_timer.c); pvk_native_ipi_interrupt() EOIs and runs
	 * the pending IPI kinds.
	 */
	PVK_NATIVE_IRQ_STUB guest_nirq_ipi, 0xf8, pvk_native_ipi_interrupt
