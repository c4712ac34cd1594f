/*
 * events/upcall.S - pvk_evtchn_upcall_entry: where Xen's event callback lands.
 *
 * Xen delivers an event upcall like an exception without error code: it
 * masks upcalls (vcpu_info->evtchn_upcall_mask = 1), then builds this frame
 * on the current kernel stack and jumps here:
 *
 *   offset | contents                        | who
 *   -------+---------------------------------+------------------------------
 *    +0x00 | %rcx                            | Xen (the hypercall page's
 *    +0x08 | %r11                            |  SYSCALL clobbers them)
 *    +0x10 | %rip      (interrupted)         | Xen, hardware-frame shape
 *    +0x18 | %cs       (bits 32-39: the upcall mask before delivery)
 *    +0x20 | %rflags   (IF = !that mask)
 *    +0x28 | %rsp      (interrupted)
 *    +0x30 | %ss
 *
 * We pop %rcx/%r11 back into the registers, save the caller-clobbered
 * registers (PVK_SAVE_CALLER_REGS, pvkit/asm/frame.h) and %rbp, which
 * keeps %rsp while pvk_evtchn_do_upcall() runs on a 16-byte aligned stack,
 * restore, and leave through HYPERVISOR_iret with this frame (iret wants
 * one more word, the VGCF flags, 0 here, under %rip):
 *
 *   after "pushq $0":  +0x00 flags=0 | +0x08 rip | cs | rflags | rsp | ss
 *
 * The critical region: an upcall arriving while the previous one is on its
 * way out would nest a frame on the stack for every event and could, in
 * the worst case, overflow it. Kernels that re-enable upcalls themselves
 * before their final iret (32-bit Linux, Mini-OS) need a fix-up that
 * folds the half-popped frame into the new one. Here there is no such
 * window: upcalls stay masked from Xen's delivery to the iret hypercall,
 * and HYPERVISOR_iret restores the mask from the frame's RFLAGS.IF inside
 * Xen, atomically with the return; an event pending at that moment is
 * delivered by Xen on its way back, as a new frame at the interrupted
 * %rsp (the old frame is already gone). So the region is
 *
 *   [pvk_evtchn_upcall_entry, pvk_hypercall_page + iret slot)
 *
 * and it is protected by the mask alone. The one rule: nothing between
 * those points may unmask upcalls (pvk_evtchn_do_upcall and the handlers
 * it calls run with the mask set and must keep it so; port.h says so).
 * tests/guest/cases/upcall_reentry.c proves it on Xen: a handler that
 * re-raises its own port 3000 times is entered through hundreds of
 * upcalls (events pending at the iret) with its frame never moving.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/hypercall.h>
#include <pvkit/xen/xen.h>

	.text
	.code64
	.globl	pvk_evtchn_upcall_entry
	.type	pvk_evtchn_upcall_entry, @function
pvk_evtchn_upcall_entry:
	popq	%rcx
	popq	%r11
	PVK_SAVE_CALLER_REGS
	pushq	%rbp			/* PVK_CALL_ALIGNED keeps %rsp in it */
	cld
	PVK_CALL_ALIGNED pvk_evtchn_do_upcall, %rbp
	popq	%rbp
	PVK_RESTORE_CALLER_REGS
	pushq	$0			/* VGCF flags: not in a syscall */
	jmp	pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret)
	.size	pvk_evtchn_upcall_entry, . - pvk_evtchn_upcall_entry
