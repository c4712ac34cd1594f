/*
 * pvkit/asm/xen_entry.h - the two ends of a Xen PV exception entry, as
 * assembler macros for the host's trap stubs.
 *
 * A 64-bit PV kernel runs in ring 3, so exceptions reach it through Xen,
 * which builds this frame on the kernel stack:
 *
 *   offset | with error code     | without error code
 *   -------+---------------------+--------------------
 *    +0x00 | %rcx                | %rcx                <- %rsp on entry
 *    +0x08 | %r11                | %r11
 *    +0x10 | error code          | %rip
 *    +0x18 | %rip                | %cs
 *    +0x20 | %cs                 | %rflags
 *    +0x28 | %rflags             | %rsp (interrupted)
 *    +0x30 | %rsp (interrupted)  | %ss
 *    +0x38 | %ss                 |
 *
 * Xen adds %rcx and %r11 because the hypercall page's SYSCALL clobbers
 * them: the interrupted code's values are on the stack, and the first
 * thing a stub does is take them back (PVK_XEN_TRAP_ENTRY). What is left
 * is the hardware exception frame, except that in the %cs slot Xen shows
 * the guest kernel's selector with RPL 0 (3 means user mode) and the
 * interrupted event upcall mask in bits 32-39, and RFLAGS.IF is the
 * inverse of that mask. A stub that forgets the two pops sees every
 * field two words off: the error code is %r11, %rip is the error code.
 *
 * The way out is HYPERVISOR_iret, never iretq (an iretq from ring 3 to
 * ring 3 would not restore the upcall mask). It wants, from %rsp up:
 * %rax, %r11, %rcx (which its hypercall stub pushes itself), then flags
 * (0: not returning from a syscall), %rip, %cs, %rflags, %rsp, %ss.
 * PVK_XEN_TRAP_RETURN takes %rsp pointing at the error-code slot (a stub
 * for a vector without one pushes a 0 there) with every register already
 * restored, writes 0 there and jumps to the iret hypercall. Xen takes the
 * upcall mask to restore from RFLAGS.IF.
 *
 * The kit's own entries (events/upcall.S, pvops/xen_syscall.S) do the
 * same; pvkit/asm/frame.h saves the registers in between.
 */
#ifndef PVKIT_ASM_XEN_ENTRY_H
#define PVKIT_ASM_XEN_ENTRY_H

#include <pvkit/hypercall.h>
#include <pvkit/xen/xen.h>

#ifdef __ASSEMBLY__

.macro PVK_XEN_TRAP_ENTRY
	popq	%rcx
	popq	%r11
.endm

.macro PVK_XEN_TRAP_RETURN
	movq	$0, (%rsp)		/* error code slot -> iret flags */
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
.endm

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_XEN_ENTRY_H */
