/*
 * tests/guest/cases/lock.c - pvk_port_lock() masks event upcalls (natively
 * interrupts) and puts the state back as it found it, also when locks nest.
 *
 * The guest normally keeps upcalls masked; to see the lock set the mask
 * the test clears it for a moment. That is safe only because every event
 * channel is masked (shared_info.c), so Xen cannot raise
 * evtchn_upcall_pending meanwhile: we check that it is clear first.
 *
 * Natively the same through RFLAGS.IF: no interrupt source is unmasked at
 * the PIC between tests, so enabling for a moment is as safe.
 */
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>

#include "../test.h"

static bool irqs_on(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(irqs_on);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return fl & PVK_X86_EFLAGS_IF;
}

static void lock_native(void)
{
	struct pvk_lock a, b;
	bool after_a, after_b, after_unlock_b, after_unlock_a;

	pvk_port_lock_init(&a);
	pvk_port_lock_init(&b);
	PVK_CHECK(!irqs_on());
	pvk_irq_enable();
	pvk_port_lock(&a);
	after_a = irqs_on();
	pvk_port_lock(&b);
	after_b = irqs_on();
	pvk_port_unlock(&b);
	after_unlock_b = irqs_on();
	pvk_port_unlock(&a);
	after_unlock_a = irqs_on();
	pvk_irq_disable();

	PVK_CHECK(!after_a);
	PVK_CHECK(!after_b);
	PVK_CHECK(!after_unlock_b);		/* a still held */
	PVK_CHECK(after_unlock_a);		/* as before pvk_port_lock(&a) */
	PVK_CHECK(!guest_lock_held(&a) && !guest_lock_held(&b));

	pvk_port_lock(&a);
	pvk_port_unlock(&a);
	PVK_CHECK(!irqs_on());
}

PVK_GUEST_TEST(lock)
{
	struct pvk_vcpu_info *v;
	struct pvk_lock a, b;
	uint8_t mask_after_a, mask_after_b, mask_after_unlock_b, mask_after_unlock_a;
	bool events_on;

	if (guest_native_boot) {
		lock_native();
		return;
	}
	v = guest_vcpu0();
	pvk_port_lock_init(&a);
	pvk_port_lock_init(&b);
	/* An explicit test before the defaults (pvkit.test=NAME,defaults) may
	 * have turned events on: masked here as at boot, on again after. */
	events_on = !PVK_READ_ONCE(v->evtchn_upcall_mask);
	if (events_on)
		pvk_irq_disable();
	PVK_CHECK_EQ(PVK_READ_ONCE(v->evtchn_upcall_mask), 1);
	if (!events_on)
		PVK_CHECK_EQ(PVK_READ_ONCE(v->evtchn_upcall_pending), 0);

	PVK_WRITE_ONCE(v->evtchn_upcall_mask, 0);
	pvk_port_lock(&a);
	mask_after_a = PVK_READ_ONCE(v->evtchn_upcall_mask);
	pvk_port_lock(&b);
	mask_after_b = PVK_READ_ONCE(v->evtchn_upcall_mask);
	pvk_port_unlock(&b);
	mask_after_unlock_b = PVK_READ_ONCE(v->evtchn_upcall_mask);
	pvk_port_unlock(&a);
	mask_after_unlock_a = PVK_READ_ONCE(v->evtchn_upcall_mask);
	PVK_WRITE_ONCE(v->evtchn_upcall_mask, 1);

	PVK_CHECK_EQ(mask_after_a, 1);
	PVK_CHECK_EQ(mask_after_b, 1);
	PVK_CHECK_EQ(mask_after_unlock_b, 1);	/* a still held */
	PVK_CHECK_EQ(mask_after_unlock_a, 0);	/* as before pvk_port_lock(&a) */
	PVK_CHECK(!guest_lock_held(&a) && !guest_lock_held(&b));

	/* With upcalls already masked, locking leaves them masked. */
	pvk_port_lock(&a);
	pvk_port_unlock(&a);
	PVK_CHECK_EQ(PVK_READ_ONCE(v->evtchn_upcall_mask), 1);
	if (events_on)
		pvk_irq_enable();
}
