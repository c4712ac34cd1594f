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
 * We pop %rcx/%r11 back into the registers and build struct pvk_regs
 * (pvkit/regs.h) on the stack: a 0 for the error code Xen does not push,
 * the vector PVK_REGS_VECTOR_UPCALL, then every general register
 * (PVK_SAVE_ALL_REGS, pvkit/asm/frame.h). Two calls follow, each on a
 * 16-byte aligned stack (PVK_CALL_ALIGNED, %rbx keeping %rsp):
 *
 *   pvk_evtchn_do_upcall()       the dispatch: this CPU's pending ports
 *                                to their handlers (dispatch.c);
 *   pvk_port_irq_exit(regs)      the host's hook (pvkit/port.h): it may
 *                                rewrite the frame (another context's
 *                                rip, rsp, registers, cs/ss/rflags: a
 *                                reschedule, a signal on the way to user
 *                                mode) or switch stacks and come back
 *                                here much later.
 *
 * Then every register comes back from the frame as the hook left it, the
 * vector is dropped, and PVK_XEN_TRAP_RETURN (pvkit/asm/xen_entry.h)
 * turns the error-code slot into the VGCF flags word (0: not a syscall)
 * that HYPERVISOR_iret wants under %rip:
 *
 *   +0x00 flags=0 | +0x08 rip | cs | rflags | rsp | ss
 *
 * Xen takes the whole return from that frame: to user mode if the saved
 * %cs has RPL 3 (it switches to the user page tables), else to the guest
 * kernel; the upcall mask from RFLAGS.IF. So a hook that puts a user
 * context's frame where a kernel one was (or the other way round) needs
 * nothing more from this code: cs, ss and rflags are the frame's, and
 * the general registers too (the iret hypercall's stub saves %rax, %r11
 * and %rcx for Xen to restore).
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
 * and it is protected by the mask alone. The one rule: upcalls are masked
 * at the iret hypercall, and nothing unmasks them on the way there that
 * does not mask them again first (pvk_evtchn_do_upcall and the handlers
 * it calls keep the mask set; the host's pvk_port_irq_exit is called with
 * it set and returns with it set; port.h says so). A hook that switches
 * to another context keeps the rule: it rewrites the frame with the mask
 * still set, or runs on another stack and comes back to this frame later
 * with the mask set again, so every frame is left by one iret hypercall
 * and none is half left. A hook may unmask for a while (a reschedule with
 * upcalls on, as Linux's preempt_schedule_irq() runs with interrupts on)
 * if it masks again before it returns: the upcalls that come meanwhile
 * nest like any interrupt of that code, as deep as the host lets its hook
 * recurse (the host bounds that, Linux with its preempt count), and the
 * window at the iret stays closed.
 *
 * tests/guest/cases/upcall_reentry.c proves it on Xen: a handler that
 * re-raises its own port 3000 times is entered through hundreds of
 * upcalls (events pending at the iret) with its frame never moving.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/asm/xen_entry.h>

	.text
	.code64
	.globl	pvk_evtchn_upcall_entry
	.type	pvk_evtchn_upcall_entry, @function
pvk_evtchn_upcall_entry:
	PVK_XEN_TRAP_ENTRY		/* %rcx, %r11 */
	pushq	$0			/* error code */
	pushq	$PVK_REGS_VECTOR_UPCALL_NUM
	PVK_SAVE_ALL_REGS
	cld				/* the C ABI wants DF clear */
	PVK_CALL_ALIGNED pvk_evtchn_do_upcall, %rbx
	movq	%rsp, %rdi		/* struct pvk_regs * */
	PVK_CALL_ALIGNED pvk_port_irq_exit, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$8, %rsp		/* vector */
	PVK_XEN_TRAP_RETURN
	.size	pvk_evtchn_upcall_entry, . - pvk_evtchn_upcall_entry
