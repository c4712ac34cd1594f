/*
 * tests/guest/entry.S - exception entry stubs for the trap table (traps.c).
 *
 * Xen's PV exception frame and its %rcx/%r11 are described in
 * pvkit/asm/xen_entry.h, whose PVK_XEN_TRAP_ENTRY takes them back.
 *
 * Each stub restores %rcx/%r11, pushes a 0 in place of a missing error
 * code and the vector number; guest_trap_common then pushes the general
 * registers, so the stack holds struct guest_regs (guest.h):
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | r15 ... rax: PVK_SAVE_ALL_REGS (the table in pvkit/asm/frame.h)
 *    +0x78 | vector
 *    +0x80 | error code (0 if the exception has none)
 *    +0x88 | rip, cs, rflags, rsp, ss (from Xen, as above)
 *
 * and calls guest_trap_dispatch() below, which entry_native.S's stubs
 * share: an exception from user mode (RPL 3 in the saved %cs; Xen then
 * switched to the stack of the last stack_switch) goes to
 * guest_user_trap() (user/run.c), which maps a demand-zero page or kills
 * the program, any other to guest_trap() (fault.c).
 *
 * guest_trap() either fixes the exception up (a #GP of one of the kit's
 * safe instructions: pvk_pvops_fixup() moves the saved RIP) and
 * returns, or reports it and crashes the domain. On return the registers
 * are restored from the (possibly changed) frame, the vector is dropped
 * and PVK_XEN_TRAP_RETURN leaves through HYPERVISOR_iret.
 */
#include <pvkit/asm/frame.h>
#include <pvkit/asm/xen_entry.h>

/* The saved %cs in struct guest_regs: above vector, error code and %rip. */
#define REGS_CS		(PVK_REGS_SIZE + 0x18)

	.text
	.code64

/* Stub for a vector whose exception pushes no error code. */
.macro TRAP_NOERR vec
	.type guest_trap_\vec, @function
guest_trap_\vec:
	PVK_XEN_TRAP_ENTRY
	pushq	$0
	pushq	$\vec
	jmp	guest_trap_common
	.size guest_trap_\vec, . - guest_trap_\vec
.endm

/* Stub for a vector whose exception pushes an error code. */
.macro TRAP_ERR vec
	.type guest_trap_\vec, @function
guest_trap_\vec:
	PVK_XEN_TRAP_ENTRY
	pushq	$\vec
	jmp	guest_trap_common
	.size guest_trap_\vec, . - guest_trap_\vec
.endm

	TRAP_NOERR 0	/* #DE */
	TRAP_NOERR 1	/* #DB */
	TRAP_NOERR 2	/* NMI (Xen delivers NMIs through a callback instead) */
	TRAP_NOERR 3	/* #BP */
	TRAP_NOERR 4	/* #OF */
	TRAP_NOERR 5	/* #BR */
	TRAP_NOERR 6	/* #UD */
	TRAP_NOERR 7	/* #NM */
	TRAP_ERR   8	/* #DF */
	TRAP_NOERR 9	/* coprocessor segment overrun */
	TRAP_ERR   10	/* #TS */
	TRAP_ERR   11	/* #NP */
	TRAP_ERR   12	/* #SS */
	TRAP_ERR   13	/* #GP */
	TRAP_ERR   14	/* #PF */
	TRAP_NOERR 15	/* reserved */
	TRAP_NOERR 16	/* #MF */
	TRAP_ERR   17	/* #AC */
	TRAP_NOERR 18	/* #MC */
	TRAP_NOERR 19	/* #XM */
	TRAP_NOERR 20	/* #VE */
	TRAP_ERR   21	/* #CP */
	TRAP_NOERR 22
	TRAP_NOERR 23
	TRAP_NOERR 24
	TRAP_NOERR 25
	TRAP_NOERR 26
	TRAP_NOERR 27
	TRAP_NOERR 28	/* #HV */
	TRAP_ERR   29	/* #VC */
	TRAP_ERR   30	/* #SX */
	TRAP_NOERR 31

	.type guest_trap_common, @function
guest_trap_common:
	PVK_SAVE_ALL_REGS
	movq	%rsp, %rdi		/* struct guest_regs * */
	cld				/* the C ABI wants DF clear; the interrupted code may have set it */
	PVK_CALL_ALIGNED guest_trap_dispatch, %rbx
	PVK_RESTORE_ALL_REGS
	addq	$8, %rsp		/* vector */
	PVK_XEN_TRAP_RETURN
	.size guest_trap_common, . - guest_trap_common

/*
 * guest_trap_dispatch(struct guest_regs *regs), called by both worlds'
 * common stubs on an aligned stack. It jumps (does not call) to the
 * handler, which so returns straight to the common stub, as if called
 * by it.
 */
	.globl guest_trap_dispatch
	.type guest_trap_dispatch, @function
guest_trap_dispatch:
	testb	$3, REGS_CS(%rdi)	/* %cs RPL 3: from a user program */
	jnz	guest_user_trap		/* user/run.c: returns when resolved */
	jmp	guest_trap		/* returns only when fixed up */
	.size guest_trap_dispatch, . - guest_trap_dispatch

	/* Stub addresses by vector, for the trap table. */
	.section .rodata
	.balign 8
	.globl guest_trap_stubs
guest_trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	guest_trap_\vec
	.endr
	.size guest_trap_stubs, . - guest_trap_stubs
