/*
 * tests/guest/native_timer_entry.S - the local APIC's two vectors on a native
 * boot (native_timer.c): the timer interrupt, which calls the kit's
 * pvk_native_timer_interrupt() (EOI, then the one-shot expiry), and the
 * spurious-interrupt vector, which must return without an EOI.
 *
 * The timer's entry is the kit's PVK_NATIVE_IRQ_STUB
 * (pvkit/asm/native_entry.h): struct pvk_regs on the stack, the handler,
 * then the guest's pvk_port_irq_exit() (irq_exit.c), where a tick may
 * switch to another context (cases/irq_exit.c), and iretq from the frame
 * as the hook left it. Vector 0xf0 is GUEST_NATIVE_TIMER_VECTOR (guest.h,
 * checked in native_timer.c). A spurious interrupt is no interrupt of the
 * host's: it returns at once, no hook.
 */
#include <pvkit/asm/native_entry.h>
#include <pvkit/pv_lint.h>

	PVK_NATIVE_IRQ_STUB guest_nirq_lapic_timer, 0xf0, pvk_native_timer_interrupt

	.text
	.globl	guest_nirq_lapic_spurious
	.type	guest_nirq_lapic_spurious, @function
guest_nirq_lapic_spurious:
	iretq
	.size	guest_nirq_lapic_spurious, . - guest_nirq_lapic_spurious
	PVK_NATIVE_ONLY(guest_nirq_lapic_spurious)
