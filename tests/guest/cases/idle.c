/*
 * tests/guest/cases/idle.c - the kit's idle op, pvk_idle_until(), in both
 * worlds, and (explicit, scenario guest-halt-masked) the halt with upcalls
 * masked that must be a clear panic on Xen.
 *
 * The idle op's own deadline must end the halt: the host's one-shot is
 * armed a second later as a backstop, and must not be what woke us.
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "../test.h"

#define MS		(1000ULL * 1000)
#define IDLE_NS		(20 * MS)
#define BACKSTOP_NS	(1000 * MS)

/*
 * One try: idle until IDLE_NS from now with the backstop armed. *fired:
 * whether the idle op's own expiry was counted. Another event can end the
 * last halt just past the deadline before the expiry is delivered (a
 * loaded host delays Xen's timer by milliseconds): the loop then ends on
 * the clock and the expiry is dropped, uncounted. That is a race, not a
 * fault, so the caller tries again; an idle op that never arms its
 * deadline loses every try.
 */
static void idle_try(unsigned int attempt, bool *fired)
{
	struct pvk_time_timer_stats before, after;
	uint64_t t0, deadline, woke;
	unsigned int idles = 0;
	unsigned long fl, fl_after;
	int rc = 0;

	fl = pvk_irq_save();
	pvk_time_timer_get_stats(&before);
	t0 = pvk_clock_ns();
	deadline = t0 + IDLE_NS;
	PVK_CHECK_RC(pvk_time_timer_set(t0 + BACKSTOP_NS), 0);
	/* Other events may end a halt early: idle again until the deadline. */
	while (!rc && pvk_clock_ns() < deadline && idles < 1000) {
		rc = pvk_idle_until(deadline);
		idles++;
	}
	woke = pvk_clock_ns();
	fl_after = pvk_save_fl();
	pvk_time_timer_get_stats(&after);
	pvk_time_timer_stop();
	pvk_restore_fl(fl);
	guest_printf("idle: try %u: %u idle(s), woke %llu us after a %llu us deadline, idle expiries %llu, host expiries %llu\n",
		     attempt, idles, (unsigned long long)((woke - t0) / 1000),
		     (unsigned long long)(IDLE_NS / 1000),
		     (unsigned long long)(after.idle_fired - before.idle_fired),
		     (unsigned long long)(after.host_fired - before.host_fired));
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(fl_after, 0);		/* back with irqs off */
	PVK_CHECK_GE(woke, deadline);
	PVK_CHECK_EQ(after.host_fired - before.host_fired, 0);	/* not the backstop */
	*fired = after.idle_fired - before.idle_fired >= 1;
}

#define IDLE_TRIES	3

PVK_GUEST_TEST(idle_until_deadline)
{
	unsigned int attempt;
	bool fired = false;

	guest_timer_prepare();
	for (attempt = 1; attempt <= IDLE_TRIES && !fired; attempt++)
		PVK_CHECK_CALL(idle_try(attempt, &fired));
	if (!fired)
		PVK_FAIL("the idle op's deadline never ended a halt in %u tries", IDLE_TRIES);
}

/* With irqs on, a halt could miss the wake-up the caller checked for. */
PVK_GUEST_TEST(idle_refuses_irqs_on)
{
	unsigned long fl;
	int rc;

	guest_timer_prepare();
	fl = pvk_save_fl();
	pvk_irq_enable();
	rc = pvk_idle_until(pvk_clock_ns() + MS);
	pvk_restore_fl(fl);
	PVK_CHECK_RC(rc, -PVK_XEN_EINVAL);
	/* A deadline already passed returns at once. */
	fl = pvk_irq_save();
	rc = pvk_idle_until(pvk_clock_ns() - 1);
	pvk_restore_fl(fl);
	PVK_CHECK_RC(rc, 0);
}

/* Nothing can wake a vCPU halted with upcalls masked: the kit says so and
 * crashes the domain (scenario guest-halt-masked expects the line). */
PVK_GUEST_TEST_XEN_EXPLICIT(halt_upcalls_masked)
{
	guest_timer_prepare();
	pvk_irq_disable();
	pvk_halt();
	PVK_FAIL("pvk_halt() with upcalls masked returned");
}
