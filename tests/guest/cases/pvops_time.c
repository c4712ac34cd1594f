/*
 * tests/guest/cases/pvops_time.c - the time ops on Xen are time/'s clock
 * and wall clock, and the mmu op Xen has now (read_cr2).
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "../test.h"

#define MS	(1000ULL * 1000)

PVK_GUEST_TEST(pvops_time)
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

PVK_GUEST_TEST(pvops_read_cr2)
{
	PVK_CHECK_EQ(pvk_read_cr2(), PVK_READ_ONCE(guest_vcpu0()->arch.cr2));
}
