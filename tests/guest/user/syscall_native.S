/*
 * tests/guest/user/syscall_native.S - guest_native_syscall_entry: a user
 * SYSCALL on bare hardware (LSTAR, cpu.c), the native twin of the kit's
 * pvops/xen_syscall.S, building the same struct pvk_syscall_regs so that
 * guest_user_syscall() (run.c) serves both worlds.
 *
 * SYSCALL leaves %rcx = the program's %rip, %r11 = its RFLAGS, switches to
 * %cs 0x08 / %ss 0x10, clears the FMASK bits (IF among them: nothing can
 * interrupt us until SYSRET) and keeps the user %rsp. One CPU and no
 * interrupts, so a plain variable holds the user %rsp while we load the
 * kernel stack: rsp0 of the TSS loaded last (guest_user_cur_tss), the stack
 * exceptions from user mode use too. On it we build, lowest address first:
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | r15 ... rax: PVK_SAVE_ALL_REGS (the table in pvkit/asm/frame.h)
 *    +0x78 | iret flags (0, unused natively)
 *    +0x80 | rip (%rcx) | cs (user) | rflags (%r11) | rsp (user) | ss (user)
 *
 * and return with SYSRET from the (possibly changed) rip, rflags and rsp.
 * The handler never sets a non-canonical rip (SYSRET would fault in ring 0
 * on the user stack); exit does not return here (guest_user_leave).
 */
#include <pvkit/asm/frame.h>

#include "user.h"

	.text
	.code64
	.globl	guest_native_syscall_entry
	.type	guest_native_syscall_entry, @function
guest_native_syscall_entry:
	movq	%rsp, user_rsp(%rip)
	movq	guest_user_cur_tss(%rip), %rsp
	movq	GUEST_TSS_RSP0(%rsp), %rsp
	pushq	$GUEST_SEL_USER_DS
	pushq	user_rsp(%rip)
	pushq	%r11
	pushq	$GUEST_SEL_USER_CS
	pushq	%rcx
	pushq	$0			/* iret flags */
	PVK_SAVE_ALL_REGS
	movq	%rsp, %rdi		/* struct pvk_syscall_regs * */
	PVK_CALL_ALIGNED guest_user_syscall, %rbx
	PVK_RESTORE_ALL_REGS
	movq	0x08(%rsp), %rcx	/* rip */
	movq	0x18(%rsp), %r11	/* rflags */
	movq	0x20(%rsp), %rsp	/* the user stack: nothing interrupts us */
	sysretq
	.size	guest_native_syscall_entry, . - guest_native_syscall_entry

	.bss
	.balign	8
user_rsp:
	.quad	0
