/*
 * tests/guest/user/program.S - the user program, a position-independent
 * blob the kernel copies to USER_CODE_VA (user.h). Two entry points:
 *
 * guest_user_main: write a line, get a value, read a fresh demand-zero page
 * (a fault: must read 0), write the value there and read it back, write a
 * second fresh page (another fault), read %fs:0 and store it plus
 * USER_FS_DELTA at %fs:8, report (first read, read-back, %fs:0), exit
 * USER_EXIT_OK.
 *
 * guest_user_poke_kernel: passes a kernel address to write (refused: -1),
 * then reads it, which faults (not mapped in user mode): the kernel must
 * kill it.
 */
#include "user.h"

	.section .rodata.user, "a"
	.balign	16
	.globl	guest_user_blob, guest_user_blob_end
	.globl	guest_user_main, guest_user_poke_kernel
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

msg:
	.ascii	"hello from ring 3 through the syscall callback"
msg_end:
guest_user_blob_end:
