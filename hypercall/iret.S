/*
 * hypercall/iret.S - pvk_hypercall_iret_enter(): return through HYPERVISOR_iret.
 *
 * HYPERVISOR_iret is the one hypercall that is jumped to, not called: Xen's
 * stub pushes rcx, r11 and rax and expects the rest of the frame (iret.h)
 * already above them on the stack. This builds that rest from the
 * struct pvk_iret_context at %rdi, loads rax/r11/rcx from it, and jumps.
 * The pushes only write below %rsp, so ctx may sit in the caller's frame.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/xen.h>
#include "iret.h"

	.text
	.globl	pvk_hypercall_iret_enter
	.type	pvk_hypercall_iret_enter, @function
pvk_hypercall_iret_enter:
	pushq	PVK_IRET_SS(%rdi)
	pushq	PVK_IRET_RSP(%rdi)
	pushq	PVK_IRET_RFLAGS(%rdi)
	pushq	PVK_IRET_CS(%rdi)
	pushq	PVK_IRET_RIP(%rdi)
	pushq	PVK_IRET_FLAGS(%rdi)
	movq	PVK_IRET_RCX(%rdi), %rcx
	movq	PVK_IRET_R11(%rdi), %r11
	movq	PVK_IRET_RAX(%rdi), %rax
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
	.size	pvk_hypercall_iret_enter, . - pvk_hypercall_iret_enter
