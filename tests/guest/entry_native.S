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
 * then the common part pushes the registers: the same struct guest_regs
 * as entry.S builds, so guest_trap()/guest_fault() and guest_user_trap()
 * serve both worlds. An exception from user mode goes to
 * guest_user_trap() (user/run.c: maps a page or kills the program). A
 * fixed-up or resolved exception returns with iretq.
 */
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
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi		/* struct guest_regs * */
	movq	%rsp, %rbx
	andq	$-16, %rsp
	testb	$3, 0x90(%rbx)		/* %cs RPL 3: from a user program */
	jnz	1f
	call	guest_trap		/* returns only when fixed up */
	jmp	2f
1:	call	guest_user_trap		/* user/run.c: returns when resolved */
2:	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
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
	 * code, so the CPU's five words leave %rsp 8 mod 16; nine pushes make
	 * the call aligned. Only the C ABI's caller-saved registers need saving.
	 */
	.text
	.globl	guest_nirq_timer
	.type	guest_nirq_timer, @function
guest_nirq_timer:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	call	guest_native_timer_irq
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq
	.size	guest_nirq_timer, . - guest_nirq_timer
