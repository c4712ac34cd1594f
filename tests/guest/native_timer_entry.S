/*
 * tests/guest/native_timer_entry.S - the local APIC's two vectors on a native
 * boot (native_timer.c): the timer interrupt, which calls the kit's
 * pvk_native_timer_interrupt() (EOI, then the one-shot expiry), and the
 * spurious-interrupt vector, which must return without an EOI.
 *
 * Interrupt gates, no error code: the CPU aligns %rsp to 16 and pushes five
 * words (%rip, %cs, %rflags, %rsp, %ss), leaving it 8 mod 16; the nine
 * caller-saved registers of PVK_SAVE_CALLER_REGS (pvkit/asm/frame.h) bring
 * it back to 0 mod 16 for the call. The callee-saved ones are the C code's
 * to keep.
 */
#include <pvkit/asm/frame.h>

	.text
	.code64

	.globl	guest_nirq_lapic_timer
	.type	guest_nirq_lapic_timer, @function
guest_nirq_lapic_timer:
	PVK_SAVE_CALLER_REGS
	cld
	call	pvk_native_timer_interrupt
	PVK_RESTORE_CALLER_REGS
	iretq
	.size	guest_nirq_lapic_timer, . - guest_nirq_lapic_timer

	.globl	guest_nirq_lapic_spurious
	.type	guest_nirq_lapic_spurious, @function
guest_nirq_lapic_spurious:
	iretq
	.size	guest_nirq_lapic_spurious, . - guest_nirq_lapic_spurious
