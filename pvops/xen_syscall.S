/*
 * pvops/xen_syscall.S - pvk_xen_syscall_entry: a 64-bit user SYSCALL,
 * bounced to the kernel by Xen (CALLBACKTYPE_syscall).
 *
 * Xen has switched to kernel mode (kernel L4, kernel %gs base, the stack of
 * the last stack_switch) and, with CALLBACKF_mask_events, masked upcalls.
 * It built this frame:
 *
 *   offset | contents                                 | from
 *   -------+------------------------------------------+---------------------
 *    +0x00 | %rcx = the program's return address      | SYSCALL put it there
 *    +0x08 | %r11 = the program's RFLAGS              | SYSCALL put it there
 *    +0x10 | %rip   (= the %rcx above)                | Xen
 *    +0x18 | %cs    (not reliable for a syscall)      | Xen
 *    +0x20 | %rflags                                  | Xen
 *    +0x28 | %rsp   (the program's stack)             | Xen
 *    +0x30 | %ss    (not reliable for a syscall)      | Xen
 *
 * All other registers are the program's (%rax the number, %rdi, %rsi,
 * %rdx ... the arguments). We push a word for the iret flags and the
 * general registers, giving struct pvk_syscall_regs (pvops_callbacks.h):
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | r15 ... rax: PVK_SAVE_ALL_REGS (the table in pvkit/asm/frame.h)
 *    +0x78 | iret flags
 *    +0x80 | rip, cs, rflags, rsp, ss (Xen's, as above)
 *
 * call the handler, restore, and leave through HYPERVISOR_iret with
 *
 *   +0x00 flags = VGCF_in_syscall | +0x08 rip | cs | rflags | rsp | ss
 *
 * VGCF_in_syscall lets Xen return with SYSRET, which does not restore %rcx
 * and %r11 (the program lost them to SYSCALL anyway). %cs and %ss are
 * rewritten to the flat user selectors (RPL 3: back to user mode, user L4),
 * since Xen does not promise what it left in those slots. The upcall mask
 * comes back from the frame's RFLAGS.IF.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/hypercall.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/xen.h>
#include "../hypercall/iret.h"	/* the HYPERVISOR_iret frame, checked against Xen's */

	.text
	.code64
	.globl	pvk_xen_syscall_entry
	.type	pvk_xen_syscall_entry, @function
pvk_xen_syscall_entry:
	popq	%rcx
	popq	%r11
	pushq	$0			/* iret flags */
	PVK_SAVE_ALL_REGS
	movq	%rsp, %rdi		/* struct pvk_syscall_regs * */
	movq	pvk_xen_syscall_handler(%rip), %rax
	cld				/* the C ABI wants DF clear; the interrupted code may have set it */
	PVK_CALL_ALIGNED *%rax, %rbx
	PVK_RESTORE_ALL_REGS
	movq	$PVK_VGCF_in_syscall, (%rsp)
	movq	$PVK_FLAT_USER_CS, (PVK_IRET_CS - PVK_IRET_FLAGS)(%rsp)
	movq	$PVK_FLAT_USER_SS, (PVK_IRET_SS - PVK_IRET_FLAGS)(%rsp)
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
	.size	pvk_xen_syscall_entry, . - pvk_xen_syscall_entry
