/*
 * tests/guest/cases/pvops_irq.c - the kit's irq ops: on Xen the vcpu_info
 * upcall mask, the forced upcall on enable, and halting until an event;
 * natively RFLAGS.IF and halting until a PIT interrupt (native.c).
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/vcpu.h>

#include "../test.h"

#define MS		(1000ULL * 1000)
#define WAIT_NS		(1000 * MS)

static unsigned long rflags(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(rflags);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return fl;
}

/* Natively the flag is the CPU's; the guest runs with interrupts off. */
static void irq_roundtrip_native(void)
{
	unsigned long saved = pvk_irq_save(), if_off, if_on, fl_on;

	if_off = rflags() & PVK_X86_EFLAGS_IF;
	pvk_irq_enable();	/* only a timer a test arms is unmasked */
	if_on = rflags() & PVK_X86_EFLAGS_IF;
	fl_on = pvk_save_fl();
	pvk_restore_fl(saved);
	PVK_CHECK_EQ(saved, 0);
	PVK_CHECK_EQ(if_off, 0);
	PVK_CHECK_EQ(if_on, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(fl_on, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(rflags() & PVK_X86_EFLAGS_IF, 0);
}

PVK_GUEST_TEST(pvops_irq_roundtrip)
{
	struct pvk_vcpu_info *v;
	unsigned long saved, fl_off, fl_on;
	uint8_t mask_off, mask_on;

	if (guest_native_boot) {
		irq_roundtrip_native();
		return;
	}
	v = guest_vcpu0();
	saved = pvk_irq_save();

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
 *
 * The event is one the test raises itself on a loopback port: Xen marks
 * it pending inside the send hypercall, so "upcall pending" is known to be
 * ours. (It was the one-shot timer armed for "now", with any upcall_pending
 * taken as its event: an event of someone else's, such as xenconsoled's
 * notification after the lines guest_events_enable() just printed, could
 * set the flag while Xen's timer, by its clock, was not yet due; irq_enable
 * then delivered that one, not the timer's: 0 timer events vs 1.)
 */
static unsigned int lb_calls;

static bool lb_event(pvk_evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	PVK_WRITE_ONCE(lb_calls, lb_calls + 1);
	return true;
}

PVK_GUEST_TEST_XEN(pvops_irq_enable_delivers_pending)
{
	unsigned int before, while_masked, delivered_in_enable;
	struct pvk_vcpu_info *v;
	pvk_evtchn_port_t rx, tx;
	bool pending;
	int rc;

	guest_events_enable();
	v = guest_vcpu0();	/* after: starting SMP moves CPU 0's vcpu_info */
	PVK_CHECK_RC(pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, lb_event, NULL, &rx), 0);
	rc = pvk_evtchn_bind_interdomain(PVK_DOMID_SELF, rx, NULL, NULL, &tx);
	if (rc)
		pvk_evtchn_close(rx);
	PVK_CHECK_RC(rc, 0);
	pvk_irq_disable();
	before = PVK_READ_ONCE(lb_calls);
	rc = pvk_evtchn_send(tx);
	pending = PVK_READ_ONCE(v->evtchn_upcall_pending);
	while_masked = PVK_READ_ONCE(lb_calls) - before;
	pvk_irq_enable();
	delivered_in_enable = PVK_READ_ONCE(lb_calls) - before;
	pvk_evtchn_close(tx);
	pvk_evtchn_close(rx);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK(pending);
	PVK_CHECK_EQ(while_masked, 0);
	PVK_CHECK_EQ(delivered_in_enable, 1);
}

/* The timer the halt tests wait for: Xen's one-shot or the PIT's. */
static uint64_t timer_count(void)
{
	return guest_native_boot ? guest_native_timer_irqs() : pvk_time_timer_fired();
}

static int timer_arm_soon(uint64_t now)
{
	if (guest_native_boot) {
		guest_native_timer_oneshot_10ms();
		return 0;
	}
	return pvk_timer_set(now + 5 * MS);
}

/* safe_halt: sti;hlt or SCHEDOP_block returns once an interrupt or event
 * came, with them enabled. */
PVK_GUEST_TEST(pvops_safe_halt)
{
	uint64_t before, t0, fired;
	unsigned long fl = 0;
	unsigned int halts = 0;
	int rc;

	guest_timer_prepare();
	pvk_irq_disable();
	before = timer_count();
	t0 = pvk_clock_ns();
	rc = timer_arm_soon(t0);
	for (;;) {
		pvk_irq_disable();
		if (rc || timer_count() != before || pvk_clock_ns() - t0 > WAIT_NS)
			break;
		pvk_safe_halt();
		fl = pvk_save_fl();
		halts++;
	}
	if (!guest_native_boot)
		pvk_irq_enable();	/* the guest's state on Xen after events_enable */
	fired = timer_count() - before;
	PVK_CHECK_RC(rc, 0);
	guest_printf("pvops: safe_halt: %u halt(s), woke after %llu us\n", halts,
		     (unsigned long long)((pvk_clock_ns() - t0) / 1000));
	PVK_CHECK_EQ(fired, 1);
	PVK_CHECK_GE(halts, 1);
	PVK_CHECK_EQ(fl, PVK_X86_EFLAGS_IF);
}

/*
 * halt with events enabled cannot be made race-free: the timer may fire
 * after the "not yet" check and before the halt, and the halt then waits
 * for an event that already came. Kernels call it only with a periodic
 * tick behind it, so the test does the same: a 10 ms periodic timer
 * (Xen's VCPUOP_set_periodic_timer, the PIT's rate generator) guarantees
 * a later wake-up. On Xen the one-shot timer runs beside it; natively the
 * PIT has one channel 0, so the periodic tick is the only timer.
 */
static int backstop_start(void)
{
	struct pvk_vcpu_set_periodic_timer p = { .period_ns = 10 * MS };

	if (guest_native_boot) {
		guest_native_timer_periodic_10ms();
		return 0;
	}
	return (int)pvk_hyp_vcpu_op(PVK_VCPUOP_set_periodic_timer, 0, &p);
}

/* Stops the periodic tick and lets a tick already raised arrive now, with
 * interrupts/events still enabled, so that no later test sees it. */
static int backstop_stop(void)
{
	uint64_t before, t0;
	int rc = 0;

	if (!guest_native_boot)
		return (int)pvk_hyp_vcpu_op(PVK_VCPUOP_stop_periodic_timer, 0, NULL);
	/* Mode 0 ends the rate generator with one last interrupt. */
	pvk_irq_disable();
	before = timer_count();
	t0 = pvk_clock_ns();
	guest_native_timer_oneshot_10ms();
	for (;;) {
		pvk_irq_disable();
		if (timer_count() != before)
			break;
		if (pvk_clock_ns() - t0 > WAIT_NS) {
			rc = -1;
			break;
		}
		pvk_safe_halt();
	}
	pvk_irq_enable();
	return rc;
}

/* halt with interrupts/events enabled: stops until the next one. */
PVK_GUEST_TEST(pvops_halt)
{
	uint64_t before, t0, fired, woke_us;
	unsigned long fl;
	unsigned int halts = 0;
	int rc = 0;

	guest_timer_prepare();
	pvk_irq_disable();
	PVK_CHECK_RC(backstop_start(), 0);
	before = timer_count();
	t0 = pvk_clock_ns();
	pvk_irq_enable();
	/* At least one halt. Natively the backstop's periodic tick ends any
	 * halt. On Xen it ends none: Xen stops a vCPU's periodic timer while
	 * the vCPU is descheduled, so a blocked vCPU gets no tick, and a
	 * one-shot that fired before the halt (the vCPU preempted in between)
	 * would leave the halt waiting for good. So on Xen the one-shot is
	 * armed 50 ms ahead just before each halt: only a preemption of more
	 * than 50 ms between that arm and the block could still lose it. */
	do {
		if (!guest_native_boot && (rc = pvk_timer_set(pvk_clock_ns() + 50 * MS)))
			break;
		pvk_halt();
		halts++;
	} while (timer_count() == before && pvk_clock_ns() - t0 < WAIT_NS);
	fired = timer_count() - before;
	fl = pvk_save_fl();
	woke_us = (pvk_clock_ns() - t0) / 1000;
	PVK_CHECK_RC(backstop_stop(), 0);
	if (guest_native_boot)
		pvk_irq_disable();	/* the native guest runs with irqs off */
	guest_printf("pvops: halt: %u halt(s), %llu timer event(s), woke after %llu us\n",
		     halts, (unsigned long long)fired, (unsigned long long)woke_us);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_GE(fired, 1);
	PVK_CHECK_EQ(fl, PVK_X86_EFLAGS_IF);
}
