/*
 * tests/guest/head.S - the first instructions the guest runs.
 *
 * Xen's PV boot protocol (x86-64, see the start-of-day comment in Xen's
 * public xen.h) enters at XEN_ELFNOTE_ENTRY in 64-bit mode, in guest kernel
 * mode (ring 3 underneath), with paging on and:
 *
 *   %rsi  virtual address of struct start_info
 *   %rsp  top of a one-page bootstrap stack, the last bootstrap element
 *
 * The bootstrap area is mapped read-write except the bootstrap page tables,
 * .bss is already zeroed by the domain builder, and event upcalls are not
 * set up. We keep %rsp's value (it tells guest_main where Xen stopped
 * allocating), switch to our own larger stack and call C.
 */
#include "layout.h"

	.section .text.head, "ax", @progbits
	.code64
	.globl _start
	.type _start, @function
_start:
	cld
	movq	%rsi, %rdi		/* 1st argument: start_info */
	movq	%rsp, %rsi		/* 2nd argument: Xen's bootstrap stack top */
	leaq	guest_stack_top(%rip), %rsp
	xorl	%ebp, %ebp		/* terminates frame-pointer backtraces */
	call	guest_main
	/* guest_main never returns; if it did, there is nothing to go back to. */
	ud2
	.size _start, . - _start

	/* The guest's stack, in .bss (zeroed by the builder). */
	.section .bss.page_aligned, "aw", @nobits
	.balign 4096
	.globl guest_stack_bottom
guest_stack_bottom:
	.skip PVK_GUEST_STACK_SIZE
	.globl guest_stack_top
guest_stack_top:
