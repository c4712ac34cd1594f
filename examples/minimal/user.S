/*
 * examples/minimal/user.S - the ring-3 program: one write system call,
 * whose result it checks, then exit with 42 if the result was right
 * (1 if not). It runs where it was linked (minimal.lds.S): on Xen every
 * page of a PV kernel is user-accessible and the program runs on the
 * kernel's own page table; natively head.S maps it with the user bit.
 */
#include "minimal.h"

	.text
	.globl	minimal_user_main
minimal_user_main:
	leaq	msg(%rip), %rdi
	movq	$(msg_end - msg), %rsi
	movq	$SYS_WRITE, %rax
	syscall
	movq	$42, %rdi
	cmpq	$(msg_end - msg), %rax
	je	1f
	movq	$1, %rdi
1:	movq	$SYS_EXIT, %rax
	syscall
	ud2					/* exit does not return */

	.section .rodata
msg:	.ascii	"hello from ring 3"
msg_end:

	.bss
	.balign	4096
	.skip	4096
	.globl	minimal_user_stack_top
minimal_user_stack_top:
