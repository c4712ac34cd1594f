/*
 * tests/guest/user/program.S - the user programs, one position-independent
 * blob the kernel copies to USER_CODE_VA (user.h). Entry points:
 *
 * guest_user_main: write a line, get a value, read a fresh demand-zero page
 * (a fault: must read 0), write the value there and read it back, write a
 * second fresh page (another fault), read %fs:0 and store it plus
 * USER_FS_DELTA at %fs:8, report (first read, read-back, %fs:0), exit
 * USER_EXIT_OK.
 *
 * guest_user_poke_kernel: passes a kernel address to write (refused: -1),
 * then reads it, which faults (not mapped for user mode): the kernel must
 * kill it.
 *
 * guest_user_ldt: loads %gs with USER_LDT_SEL (an LDT data segment the
 * kernel set up, base USER_TLS_VA), reads %gs:0, the segment's limit (lsl)
 * and %gs back, nulls %gs again, reports the three, exits USER_EXIT_OK.
 *
 * guest_user_probe: USER_SYS_probe for each of the USER_PROBES kernel
 * addresses, reports what the kernel read (unused slots: 0), exits
 * USER_EXIT_OK.
 *
 * guest_user_bench_syscall: mark, USER_BENCH_SYSCALLS null syscalls, mark.
 * guest_user_bench_fault: mark, one read in each page of the zero-page
 * area (USER_ZERO_PAGES faults), mark. Both exit USER_EXIT_OK.
 */
#include "user.h"

	.section .rodata.user, "a"
	.balign	16
	.globl	guest_user_blob, guest_user_blob_end
	.globl	guest_user_main, guest_user_poke_kernel, guest_user_ldt
	.globl	guest_user_bench_syscall, guest_user_bench_fault, guest_user_probe
guest_user_blob:

guest_user_main:
	movl	$USER_SYS_write, %eax
	leaq	msg(%rip), %rdi
	movl	$(msg_end - msg), %esi
	syscall
	cmpq	$(msg_end - msg), %rax
	jne	fail

	movl	$USER_SYS_get_value, %eax
	syscall
	movq	%rax, %r13

	movq	$USER_DEMAND_VA, %rbx
	movq	(%rbx), %r12		/* fault 1: demand-zero read */
	movq	%r13, (%rbx)
	movq	(%rbx), %r14
	movq	%r13, 0x3000(%rbx)	/* fault 2: demand-zero write */

	movq	%fs:0, %r15
	leaq	USER_FS_DELTA(%r15), %rax
	movq	%rax, %fs:8

	movl	$USER_SYS_report, %eax
	movq	%r12, %rdi
	movq	%r14, %rsi
	movq	%r15, %rdx
	syscall

exit_ok:				/* the end of every program that passed */
	movl	$USER_SYS_exit, %eax
	movl	$USER_EXIT_OK, %edi
	syscall
	ud2

fail:
	movl	$USER_SYS_exit, %eax
	movl	$1, %edi
	syscall
	ud2

guest_user_poke_kernel:
	movabsq	$0xffffffff80000000, %rbx
	movl	$USER_SYS_write, %eax	/* a kernel pointer: must be refused */
	movq	%rbx, %rdi
	movl	$8, %esi
	syscall
	cmpq	$-1, %rax
	jne	fail
	movq	(%rbx), %rax		/* killed here */
	movl	$USER_SYS_exit, %eax
	movl	$2, %edi
	syscall
	ud2

guest_user_ldt:
	movl	$USER_LDT_SEL, %eax
	movl	%eax, %gs		/* #GP here if the LDT is not there */
	movq	%gs:0, %r12		/* through the segment's base */
	lsll	%eax, %r13d		/* its limit */
	movw	%gs, %r14w		/* the selector, read back */
	xorl	%eax, %eax
	movl	%eax, %gs
	movl	$USER_SYS_report, %eax
	movq	%r12, %rdi
	movq	%r13, %rsi
	movq	%r14, %rdx
	syscall
	jmp	exit_ok

guest_user_probe:
	movl	$USER_SYS_probe, %eax
	xorl	%edi, %edi
	syscall
	movq	%rax, %r12
	movl	$USER_SYS_probe, %eax
	movl	$1, %edi
	syscall
	movq	%rax, %r13
	movl	$USER_SYS_report, %eax
	movq	%r12, %rdi
	movq	%r13, %rsi
	xorl	%edx, %edx
	syscall
	jmp	exit_ok

guest_user_bench_syscall:
	movl	$USER_SYS_mark, %eax
	syscall
	movl	$USER_BENCH_SYSCALLS, %ebx
1:	movl	$USER_SYS_null, %eax
	syscall
	decl	%ebx
	jnz	1b
	movl	$USER_SYS_mark, %eax
	syscall
	jmp	exit_ok

guest_user_bench_fault:
	movl	$USER_SYS_mark, %eax
	syscall
	movq	$USER_ZERO_VA, %rbx
	movl	$USER_ZERO_PAGES, %r12d
2:	movq	(%rbx), %rax		/* a fault: the zero page comes in */
	addq	$0x1000, %rbx
	decl	%r12d
	jnz	2b
	movl	$USER_SYS_mark, %eax
	syscall
	jmp	exit_ok

msg:
	.ascii	"hello from ring 3 through a system call"
msg_end:
guest_user_blob_end:
