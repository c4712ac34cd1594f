/*
 * tests/guest/time.c - the guest's clock: the kit's pvops clock_ns().
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
 */
#include <pvkit/pvops.h>

#include "guest.h"

uint64_t guest_now_ns(void)
{
	if (!guest_strncmp(pvk_pvops_name(), "none", 5))
		return 0;
	return pvk_clock_ns();
}
