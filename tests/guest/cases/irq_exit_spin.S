/*
 * tests/guest/cases/irq_exit_spin.S - the two busy loops of cases/irq_exit.c:
 * code that never yields and holds a known value in every general
 * register, so that a context switch made by the interrupt-exit hook
 * (rewriting the frame) can only be seen by its effect: both loops make
 * progress, and every register still holds its value.
 *
 * Each loop loads its context's 15 values (guest_irqx_pattern_a/_b, one
 * word per register, in PVK_SAVE_ALL_REGS order: r15 first), then for
 * ever: compares every register with its value, recording a mismatch as
 * bit n of the context's mask (n: the register's word), without changing
 * any register; every INNER_TURNS such rounds (a count in memory) calls
 * the context's step function in C with every register saved around the
 * call (the C code may clobber what it likes); stops when the context's
 * stop byte is set. A tick may come anywhere in
 * there, the C call included.
 *
 * guest_irqx_spin_a is called from C (it keeps the callee-saved registers
 * for its caller); guest_irqx_spin_b is never called: the hook starts it
 * by writing its address and a fresh stack into a frame, and it never
 * returns (its stop byte is never set).
 */
#include <pvkit/asm/frame.h>

/* Checks between two calls of the step function: the checks, which touch
 * no register, are nearly all of each context's time, so a tick almost
 * always lands among them and a register the entry loses shows at the
 * next compare (a tick inside the C call would hide a lost caller-saved
 * one: the loop restores those itself). */
#define INNER_TURNS	4096

/* Stack at entry: 8 mod 16 (after a call); six pushes keep it so; the
 * fifteen of PVK_SAVE_ALL_REGS make it 0 mod 16 for the call. */
.macro SPIN name, pattern, bad, step, stop, inner
	.text
	.globl	\name
	.type	\name, @function
\name:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	\pattern + PVK_REGS_R15(%rip), %r15
	movq	\pattern + PVK_REGS_R14(%rip), %r14
	movq	\pattern + PVK_REGS_R13(%rip), %r13
	movq	\pattern + PVK_REGS_R12(%rip), %r12
	movq	\pattern + PVK_REGS_R11(%rip), %r11
	movq	\pattern + PVK_REGS_R10(%rip), %r10
	movq	\pattern + PVK_REGS_R9(%rip), %r9
	movq	\pattern + PVK_REGS_R8(%rip), %r8
	movq	\pattern + PVK_REGS_RBP(%rip), %rbp
	movq	\pattern + PVK_REGS_RDI(%rip), %rdi
	movq	\pattern + PVK_REGS_RSI(%rip), %rsi
	movq	\pattern + PVK_REGS_RDX(%rip), %rdx
	movq	\pattern + PVK_REGS_RCX(%rip), %rcx
	movq	\pattern + PVK_REGS_RBX(%rip), %rbx
	movq	\pattern + PVK_REGS_RAX(%rip), %rax
1:
	CHECK	\pattern, \bad, %r15, PVK_REGS_R15
	CHECK	\pattern, \bad, %r14, PVK_REGS_R14
	CHECK	\pattern, \bad, %r13, PVK_REGS_R13
	CHECK	\pattern, \bad, %r12, PVK_REGS_R12
	CHECK	\pattern, \bad, %r11, PVK_REGS_R11
	CHECK	\pattern, \bad, %r10, PVK_REGS_R10
	CHECK	\pattern, \bad, %r9, PVK_REGS_R9
	CHECK	\pattern, \bad, %r8, PVK_REGS_R8
	CHECK	\pattern, \bad, %rbp, PVK_REGS_RBP
	CHECK	\pattern, \bad, %rdi, PVK_REGS_RDI
	CHECK	\pattern, \bad, %rsi, PVK_REGS_RSI
	CHECK	\pattern, \bad, %rdx, PVK_REGS_RDX
	CHECK	\pattern, \bad, %rcx, PVK_REGS_RCX
	CHECK	\pattern, \bad, %rbx, PVK_REGS_RBX
	CHECK	\pattern, \bad, %rax, PVK_REGS_RAX
	subl	$1, \inner(%rip)	/* memory and flags only */
	jnz	1b
	movl	$INNER_TURNS, \inner(%rip)
	PVK_SAVE_ALL_REGS
	cld
	call	\step
	PVK_RESTORE_ALL_REGS
	cmpb	$0, \stop(%rip)
	je	1b
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	\name, . - \name
.endm

/* Bit off/8 of bad when reg is not the word at pattern + off; flags only. */
.macro CHECK pattern, bad, reg, off
	cmpq	\pattern + \off(%rip), \reg
	je	2f
	orq	$(1 << ((\off) / 8)), \bad(%rip)
2:
.endm

	.data
	.balign	4
inner_a:	.long	INNER_TURNS
inner_b:	.long	INNER_TURNS

	SPIN guest_irqx_spin_a, guest_irqx_pattern_a, guest_irqx_bad_a, guest_irqx_step_a, guest_irqx_stop_a, inner_a
	SPIN guest_irqx_spin_b, guest_irqx_pattern_b, guest_irqx_bad_b, guest_irqx_step_b, guest_irqx_stop_b, inner_b
