/*
 * tests/guest/time.c - the guest's clock (the kit's pvops clock_ns()) and
 * waiting for the one-shot timer.
 *
 * Bounded waits and the boot-to-shutdown time use whatever clock the
 * selected pvops table has: on Xen the kit's pvclock reader (time/clock.c,
 * Xen system time from vcpu_info[0].time), natively the TSC calibrated
 * against the PIT. The guest keeps no clock reader of its own, so both
 * worlds time their waits the same way.
 *
 * Before a table is selected (pvops "none") every op panics; the clock
 * reads 0 instead, so early code may take a timestamp without caring.
 * On Xen it also reads 0 until boot.c has given the kit shared_info.
 *
 * It also has the timer tests' wait, the same in both worlds (below).
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>

#include "guest.h"

uint64_t guest_now_ns(void)
{
	if (!guest_strncmp(pvk_pvops_name(), "none", 5))
		return 0;
	return pvk_clock_ns();
}

/*
 * Waiting for a timer in both worlds. On Xen: the port's wait (SCHEDOP_poll
 * with upcalls on). Natively the guest runs with interrupts off; the wait
 * turns them on and polls the condition with the clock as its bound. It
 * does not halt: an interrupt between the check and a hlt would leave the
 * hlt waiting for one that already came, and polling has no such window.
 */
void guest_timer_prepare(void)
{
	guest_world->timer_prepare();
}

/* The port's wait (wait.c: the world's). */
int guest_wait_until(bool (*cond)(void *arg), void *arg, uint64_t timeout_ns)
{
	struct pvk_wait w;

	pvk_port_wait_init(&w);
	return pvk_port_wait_until(&w, cond, arg, timeout_ns);
}
