/*
 * tests/guest/user/enter.S - into user mode and back out of it.
 *
 * guest_user_enter(rip, rsp) (Xen) and guest_user_enter_native(rip, rsp)
 * save the callee-saved registers on the caller's stack and that stack
 * pointer in guest_user_saved_sp, then leave for user mode:
 *
 *   Xen: HYPERVISOR_iret with this frame (RPL 3 in %cs: Xen switches to
 *   user mode and to the user L4):
 *     +0x00 flags = 0 | rip | cs = FLAT_USER_CS | rflags = IF | rsp
 *     | ss = FLAT_USER_SS
 *   native: iretq with the CPU's frame, the GDT's user selectors (cpu.c):
 *     +0x00 rip | cs = 0x2b | rflags = IF | rsp | ss = 0x23
 *     (the caller has switched CR3 to the user tables and nulled %fs/%gs,
 *     so the iret does not null them and drop the %fs base.)
 *
 * The kernel's registers are cleared first so nothing leaks to the
 * program. The program's syscalls and exceptions run on another stack
 * (rsp0 of the TSS, cpu.c); guest_user_leave(code), called from one of
 * them, drops that stack and returns code from guest_user_enter*.
 */
#include <pvkit/hypercall.h>
#include <pvkit/pv_lint.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/xen.h>

#include "user.h"

.macro SAVE_KERNEL
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, guest_user_saved_sp(%rip)
.endm

.macro CLEAR_REGS
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
.endm

	.text
	.code64
	.globl	guest_user_enter
	.type	guest_user_enter, @function
guest_user_enter:
	SAVE_KERNEL
	pushq	$PVK_FLAT_USER_SS
	pushq	%rsi
	pushq	$0x202			/* IF (upcalls on), reserved bit 1 */
	pushq	$PVK_FLAT_USER_CS
	pushq	%rdi
	pushq	$0			/* iret flags */
	CLEAR_REGS
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
	.size	guest_user_enter, . - guest_user_enter

	.globl	guest_user_enter_native
	.type	guest_user_enter_native, @function
guest_user_enter_native:
	SAVE_KERNEL
	pushq	$GUEST_SEL_USER_DS
	pushq	%rsi
	pushq	$0x202			/* IF, reserved bit 1 */
	pushq	$GUEST_SEL_USER_CS
	pushq	%rdi
	CLEAR_REGS
	iretq
	.size	guest_user_enter_native, . - guest_user_enter_native
	PVK_NATIVE_ONLY(guest_user_enter_native)

	.globl	guest_user_leave
	.type	guest_user_leave, @function
guest_user_leave:
	movq	guest_user_saved_sp(%rip), %rsp
	movq	%rdi, %rax
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	guest_user_leave, . - guest_user_leave

	.bss
	.balign	8
guest_user_saved_sp:
	.quad	0
