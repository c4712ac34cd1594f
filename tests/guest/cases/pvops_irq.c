/*
 * tests/guest/cases/pvops_irq.c - the kit's irq ops on Xen: the vcpu_info
 * upcall mask, the forced upcall on enable, and halting until an event.
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "../test.h"

#define MS		(1000ULL * 1000)
#define WAIT_NS		(1000 * MS)

PVK_GUEST_TEST(pvops_irq_roundtrip)
{
	struct pvk_vcpu_info *v = guest_vcpu0();
	unsigned long saved = pvk_irq_save(), fl_off, fl_on;
	uint8_t mask_off, mask_on;

	/* save_fl reported the mask as it was; irq_save set it. */
	PVK_CHECK_EQ(PVK_READ_ONCE(v->evtchn_upcall_mask), 1);
	fl_off = pvk_save_fl();
	mask_off = PVK_READ_ONCE(v->evtchn_upcall_mask);
	pvk_irq_enable();
	fl_on = pvk_save_fl();
	mask_on = PVK_READ_ONCE(v->evtchn_upcall_mask);
	pvk_irq_disable();
	pvk_restore_fl(saved);
	PVK_CHECK_EQ(fl_off, 0);
	PVK_CHECK_EQ(mask_off, 1);
	PVK_CHECK_EQ(fl_on, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(mask_on, 0);
	PVK_CHECK_EQ(PVK_READ_ONCE(v->evtchn_upcall_mask), saved ? 0 : 1);
}

/*
 * An event that arrives while masked stays pending; irq_enable must see
 * evtchn_upcall_pending and have Xen deliver it before returning.
 */
PVK_GUEST_TEST(pvops_irq_enable_delivers_pending)
{
	struct pvk_vcpu_info *v = guest_vcpu0();
	uint64_t before, t0, delivered_in_enable;
	bool pending = false;

	guest_events_enable();
	pvk_irq_disable();
	before = pvk_time_timer_fired();
	PVK_CHECK_RC(pvk_timer_set(pvk_clock_ns()), 0);	/* fires at once */
	t0 = pvk_clock_ns();
	while (pvk_clock_ns() - t0 < WAIT_NS)
		if ((pending = PVK_READ_ONCE(v->evtchn_upcall_pending)))
			break;
	if (!pending) {
		pvk_irq_enable();
		PVK_FAIL("the timer event never became pending");
	}
	if (pvk_time_timer_fired() != before) {
		pvk_irq_enable();
		PVK_FAIL("upcall delivered while masked");
	}
	pvk_irq_enable();
	delivered_in_enable = pvk_time_timer_fired() - before;
	PVK_CHECK_EQ(delivered_in_enable, 1);
}

/* safe_halt: SCHEDOP_block returns once an event came, with events on. */
PVK_GUEST_TEST(pvops_safe_halt)
{
	uint64_t before, t0, fired;
	unsigned long fl = 0;
	unsigned int halts = 0;

	guest_events_enable();
	before = pvk_time_timer_fired();
	t0 = pvk_clock_ns();
	PVK_CHECK_RC(pvk_timer_set(t0 + 5 * MS), 0);
	for (;;) {
		pvk_irq_disable();
		if (pvk_time_timer_fired() != before || pvk_clock_ns() - t0 > WAIT_NS)
			break;
		pvk_safe_halt();
		fl = pvk_save_fl();
		halts++;
	}
	pvk_irq_enable();
	fired = pvk_time_timer_fired() - before;
	guest_printf("pvops: safe_halt: %u halt(s), woke after %llu us\n", halts,
		     (unsigned long long)((pvk_clock_ns() - t0) / 1000));
	PVK_CHECK_EQ(fired, 1);
	PVK_CHECK_GE(halts, 1);
	PVK_CHECK_EQ(fl, PVK_X86_EFLAGS_IF);
}

/* halt with events enabled: blocks until the timer's event. */
PVK_GUEST_TEST(pvops_halt)
{
	uint64_t before, t0;

	guest_events_enable();
	before = pvk_time_timer_fired();
	t0 = pvk_clock_ns();
	PVK_CHECK_RC(pvk_timer_set(t0 + 5 * MS), 0);
	while (pvk_time_timer_fired() == before && pvk_clock_ns() - t0 < WAIT_NS)
		pvk_halt();
	PVK_CHECK_EQ(pvk_time_timer_fired() - before, 1);
	PVK_CHECK_EQ(pvk_save_fl(), PVK_X86_EFLAGS_IF);
}
