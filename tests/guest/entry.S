/*
 * tests/guest/entry.S - exception entry stubs for the trap table (traps.c).
 *
 * Xen's PV exception frame and its %rcx/%r11 are described in
 * pvkit/asm/xen_entry.h, whose PVK_XEN_TRAP_ENTRY takes them back.
 *
 * Each stub (PVK_XEN_TRAP_STUBS) restores %rcx/%r11, pushes a 0 in place
 * of a missing error code and the vector number; guest_trap_common then
 * pushes the general registers, so the stack holds struct guest_regs
 * (guest.h):
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | r15 ... rax: PVK_SAVE_ALL_REGS (the table in pvkit/asm/frame.h)
 *    +0x78 | vector
 *    +0x80 | error code (0 if the exception has none)
 *    +0x88 | rip, cs, rflags, rsp, ss (Xen's frame, pvkit/asm/xen_entry.h)
 *
 * (the kit's PVK_XEN_TRAP_COMMON, pvkit/asm/xen_entry.h, is that common
 * part) and calls guest_trap_dispatch() below, which entry_native.S's
 * stubs share: an exception from user mode (RPL 3 in the saved %cs; Xen
 * then switched to the stack of the last stack_switch) goes to
 * guest_user_trap() (user/run.c), which maps a demand-zero page or kills
 * the program, any other to guest_trap() (fault.c).
 *
 * guest_trap() either fixes the exception up (a #GP of one of the kit's
 * safe instructions: pvk_pvops_fixup() moves the saved RIP) and
 * returns, or reports it and crashes the domain. On return the common
 * part calls the guest's pvk_port_irq_exit() (irq_exit.c) with the same
 * frame, the way out of every trap (where a kernel would deliver a
 * signal before a return to user mode), upcalls still masked (the trap
 * table's mask_irqs, traps.c); then the registers are restored from the
 * (possibly changed) frame, the vector is dropped and PVK_XEN_TRAP_RETURN
 * leaves through HYPERVISOR_iret.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/asm/xen_entry.h>

	.text
	.code64

/* guest_trap_0 ... guest_trap_31 and their table guest_trap_stubs (traps.c). */
	PVK_XEN_TRAP_STUBS guest_trap_, guest_trap_common, guest_trap_stubs

	PVK_XEN_TRAP_COMMON guest_trap_common, guest_trap_dispatch

/*
 * guest_trap_dispatch(struct guest_regs *regs), called by both worlds'
 * common stubs on an aligned stack. It jumps (does not call) to the
 * handler, which so returns straight to the common stub, as if called
 * by it.
 */
	.globl guest_trap_dispatch
	.type guest_trap_dispatch, @function
guest_trap_dispatch:
	testb	$3, PVK_REGS_CS(%rdi)	/* %cs RPL 3: from a user program */
	jnz	guest_user_trap		/* user/run.c: returns when resolved */
	jmp	guest_trap		/* returns only when fixed up */
	.size guest_trap_dispatch, . - guest_trap_dispatch
