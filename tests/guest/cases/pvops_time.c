/*
 * tests/guest/cases/pvops_time.c - the time ops (on Xen time/'s clock and
 * wall clock, natively the calibrated TSC and the CMOS RTC), the one-shot
 * timer in both worlds (Xen's singleshot timer, natively the local APIC's,
 * both under time/oneshot.c) and the mmu ops every world has (read_cr3,
 * TLB flushes; read_cr2 on Xen).
 *
 * Timer tests check behaviour, never speed (QEMU TCG on a shared 2-core
 * host swings by tens of ms): a timer fires once, for its deadline and not
 * at once: it is seen no earlier than EARLY_SLACK_NS before its deadline.
 * The kit delivers a deadline once the clock reached it, or once the
 * hardware says it passed (a Xen honouring VCPU_SSHOTTMR_future, whose
 * clock once ran ~4 ms ahead of the guest's pvclock under TCG). A stopped
 * or replaced deadline never fires. How late a timer is gets printed, and
 * what the hardware did for it (expiries, idle ones), not asserted.
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "../test.h"

#define MS		(1000ULL * 1000)
#define WAIT_NS		(1000 * MS)	/* for what must come */
#define EARLY_SLACK_NS	(15 * MS)

/* The clock moves forward, never back, in both worlds. */
PVK_GUEST_TEST(pvops_clock)
{
	uint64_t a = pvk_clock_ns(), b = a, c;

	PVK_CHECK_NE(a, 0);
	for (int i = 0; i < 1000; i++) {
		c = pvk_clock_ns();
		PVK_CHECK_GE(c, b);
		b = c;
	}
	for (int i = 0; i < 1000; i++)
		pvk_io_delay();
	c = pvk_clock_ns();
	PVK_CHECK_GT(c, a);
	guest_printf("pvops: 1000 clock reads and 1000 io_delay() took %llu ns\n",
		     (unsigned long long)(c - a));
}

/* Natively the RTC has whole seconds; Xen's wall clock has ns. */
PVK_GUEST_TEST(pvops_wallclock)
{
	struct pvk_wallclock wc;

	pvk_wallclock(&wc);
	guest_printf("pvops: wall clock %llu.%09u\n", (unsigned long long)wc.sec, wc.nsec);
	PVK_CHECK_GE(wc.sec, 1577836800ULL);	/* 2020-01-01 */
	PVK_CHECK_LT(wc.sec, 4102444800ULL);	/* 2100-01-01 */
	if (guest_native_boot)
		PVK_CHECK_EQ(wc.nsec, 0);
	else
		PVK_CHECK_LT(wc.nsec, PVK_NSEC_PER_SEC);
}

/* On Xen the ops are time/'s own functions. */
PVK_GUEST_TEST_XEN(pvops_time)
{
	struct pvk_wallclock a, b;
	uint64_t t0 = pvk_time_now_ns(), t1 = pvk_clock_ns(), t2 = pvk_time_now_ns();

	PVK_CHECK_LE(t0, t1 + MS);
	PVK_CHECK_LE(t1, t2 + MS);
	pvk_wallclock(&a);
	pvk_time_wallclock(&b);
	PVK_CHECK_GE(a.sec, 1577836800ULL);	/* after 2020 */
	PVK_CHECK_LE(b.sec - a.sec, 1);
}

/*
 * Flushing changes no translation and no page-table base. Natively also
 * write_cr3 (the same base: a full flush) and set_pte (a plain store, so
 * any word shows it); on Xen those two need real page tables and pinned
 * frames: mm_pagetables.c tests them.
 */
PVK_GUEST_TEST(pvops_tlb_flush)
{
	static volatile unsigned long probe = 0x5a5a;
	static uint64_t fake_pte;
	unsigned long cr3 = pvk_read_cr3();

	PVK_CHECK_NE(cr3, 0);
	pvk_flush_tlb_one((unsigned long)&probe);
	PVK_CHECK_EQ(probe, 0x5a5a);
	pvk_flush_tlb_local();
	PVK_CHECK_EQ(probe, 0x5a5a);
	PVK_CHECK_EQ(pvk_read_cr3(), cr3);
	if (!guest_native_boot)
		return;
	pvk_write_cr3(cr3);
	PVK_CHECK_EQ(pvk_read_cr3(), cr3);
	PVK_CHECK_EQ(probe, 0x5a5a);
	pvk_set_pte(&fake_pte, 0x1234567003ULL);
	PVK_CHECK_EQ(PVK_READ_ONCE(fake_pte), 0x1234567003ULL);
}

PVK_GUEST_TEST_XEN(pvops_read_cr2)
{
	PVK_CHECK_EQ(pvk_read_cr2(), PVK_READ_ONCE(guest_vcpu0()->arch.cr2));
}

/* ---- the one-shot timer, both worlds ---------------------------------- */

static bool fired_reached(void *arg)
{
	return pvk_time_timer_fired() >= *(const uint64_t *)arg;
}

/* Waits until the host's timer fired n times more than before. */
static int wait_fired(uint64_t before, unsigned int n, uint64_t timeout_ns)
{
	uint64_t target = before + n;

	return guest_wait_until(fired_reached, &target, timeout_ns);
}

/*
 * Waits for the one expiry the timer owes since before, for deadline;
 * prints how late it was seen and what the hardware did for it since a,
 * and checks it was not seen early. A PVK_CHECK_CALL helper.
 */
static void check_expiry(const char *what, uint64_t before, uint64_t deadline,
			 const struct pvk_time_timer_stats *a,
			 uint64_t timeout_ns)
{
	struct pvk_time_timer_stats b;
	uint64_t seen;

	PVK_CHECK_RC(wait_fired(before, 1, timeout_ns), 0);
	seen = pvk_clock_ns();
	pvk_time_timer_get_stats(&b);
	guest_printf("pvops: %s one-shot seen %lld us from its deadline; %llu hardware expiries, %llu found nothing due, %llu declared passed by the hardware\n",
		     what, (long long)((int64_t)(seen - deadline) / 1000),
		     (unsigned long long)(b.expiries - a->expiries),
		     (unsigned long long)(b.idle_expiries - a->idle_expiries),
		     (unsigned long long)(b.hw_said_passed - a->hw_said_passed));
	PVK_CHECK_GE(seen + EARLY_SLACK_NS, deadline);
}

PVK_GUEST_TEST(pvops_timer_oneshot)
{
	struct pvk_time_timer_stats a;
	uint64_t before, deadline;

	guest_timer_prepare();
	PVK_CHECK_RC(pvk_timer_stop(), 0);	/* nothing left from before */
	before = pvk_time_timer_fired();
	pvk_time_timer_get_stats(&a);
	deadline = pvk_clock_ns() + 30 * MS;
	PVK_CHECK_RC(pvk_timer_set(deadline), 0);
	PVK_CHECK_CALL(check_expiry("30 ms", before, deadline, &a, WAIT_NS));
	PVK_CHECK_EQ(pvk_time_timer_fired(), before + 1);
}

/* A deadline already passed fires at once, through the interrupt. */
PVK_GUEST_TEST(pvops_timer_past)
{
	uint64_t before;

	guest_timer_prepare();
	before = pvk_time_timer_fired();
	PVK_CHECK_RC(pvk_timer_set(pvk_clock_ns() - MS), 0);
	PVK_CHECK_RC(wait_fired(before, 1, WAIT_NS), 0);
	PVK_CHECK_EQ(pvk_time_timer_fired(), before + 1);
}

/* A stopped timer never fires (100 ms is far past its deadline). */
PVK_GUEST_TEST(pvops_timer_stop)
{
	uint64_t before;

	guest_timer_prepare();
	before = pvk_time_timer_fired();
	PVK_CHECK_RC(pvk_timer_set(pvk_clock_ns() + 20 * MS), 0);
	PVK_CHECK_RC(pvk_timer_stop(), 0);
	PVK_CHECK_RC(wait_fired(before, 1, 100 * MS), -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(pvk_time_timer_fired(), before);
}

/* A new deadline replaces the old one: the near one fires, the far one it
 * replaced never does. */
PVK_GUEST_TEST(pvops_timer_replace)
{
	struct pvk_time_timer_stats a;
	uint64_t before, far, near, seen;

	guest_timer_prepare();
	before = pvk_time_timer_fired();
	pvk_time_timer_get_stats(&a);
	far = pvk_clock_ns() + 300 * MS;
	PVK_CHECK_RC(pvk_timer_set(far), 0);
	near = pvk_clock_ns() + 30 * MS;
	PVK_CHECK_RC(pvk_timer_set(near), 0);
	PVK_CHECK_CALL(check_expiry("replacing", before, near, &a, WAIT_NS));
	/* Until well past the replaced deadline: no second expiry. */
	far += 100 * MS;
	seen = pvk_clock_ns();
	PVK_CHECK_RC(wait_fired(before, 2, far > seen ? far - seen : 0),
		     -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(pvk_time_timer_fired(), before + 1);
}

/*
 * A deadline beyond one native chunk (500 ms): the APIC timer runs out
 * before it and the kit re-arms from the clock; it must not count a
 * chunk's end as the deadline. On Xen it is one singleshot timer.
 */
PVK_GUEST_TEST(pvops_timer_far)
{
	struct pvk_time_timer_stats a, b;
	uint64_t before, deadline;

	guest_timer_prepare();
	before = pvk_time_timer_fired();
	pvk_time_timer_get_stats(&a);
	deadline = pvk_clock_ns() + 1200 * MS;
	PVK_CHECK_RC(pvk_timer_set(deadline), 0);
	if (guest_native_boot)
		guest_printf("pvops: far one-shot: APIC initial count 0x%x (one chunk)\n",
			     guest_native_lapic_initial_count());
	PVK_CHECK_CALL(check_expiry("1.2 s", before, deadline, &a, 3 * WAIT_NS));
	pvk_time_timer_get_stats(&b);
	PVK_CHECK_EQ(pvk_time_timer_fired(), before + 1);
	PVK_CHECK_EQ(b.host_fired, a.host_fired + 1);
}
