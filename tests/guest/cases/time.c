/*
 * tests/guest/cases/time.c - the kit's time on real Xen: pvclock, the wall
 * clock and sleeping.
 *
 * What is checked is behaviour, never speed (timings under QEMU TCG on a
 * shared 2-core host swing by tens of milliseconds): a sleep of d never
 * ends early (the kit's loop re-checks the clock). How late sleeps are is
 * measured and printed, not asserted.
 *
 * The kit's time/ is Xen's clock: only the arithmetic runs natively (the
 * native clock is tested through the pvops, pvops_time.c). The one-shot
 * timer is the same in both worlds: pvops_time.c tests it through the
 * pvops, natively on the local APIC.
 */
#include <pvkit/time.h>

#include "../test.h"

#define MS			(1000ULL * 1000)

PVK_GUEST_TEST_XEN(time_monotonic)
{
	uint64_t a = pvk_time_now_ns(), b;

	PVK_CHECK_NE(a, 0);
	for (int i = 0; i < 1000; i++) {
		b = pvk_time_now_ns();
		PVK_CHECK_GE(b, a);
		a = b;
	}
	/* The kit's clock and the guest's own agree (same record): the
	 * guest's read falls between two of the kit's, give or take the
	 * kit's monotonic clamp (1 ms is far more than it ever moves). */
	a = pvk_time_now_ns();
	b = guest_now_ns();
	PVK_CHECK_LE(a, b + MS);
	PVK_CHECK_LE(b, pvk_time_now_ns() + MS);
}

PVK_GUEST_TEST_XEN(time_wallclock)
{
	struct pvk_wallclock wc;

	pvk_time_wallclock(&wc);
	/* After 2020-01-01 and before 2100: the host's clock, via Xen. */
	PVK_CHECK_GE(wc.sec, 1577836800ULL);
	PVK_CHECK_LT(wc.sec, 4102444800ULL);
	PVK_CHECK_LT(wc.nsec, PVK_NSEC_PER_SEC);
	guest_printf("time: wall clock %llu.%09u\n",
		     (unsigned long long)wc.sec, wc.nsec);
}

PVK_GUEST_TEST(time_scale_delta)
{
	/* mul = 2^31 halves; shift +1 then doubles back. */
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 0), 500);
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 1), 1000);
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, -1), 250);
}

PVK_GUEST_TEST_XEN(time_sleep_accuracy)
{
	static const uint64_t lengths[] = {
		1 * MS, 5 * MS, 10 * MS, 20 * MS, 50 * MS, 100 * MS, 200 * MS,
	};
	uint64_t worst = 0, total = 0;

	guest_events_enable();
	for (size_t i = 0; i < PVK_ARRAY_SIZE(lengths); i++) {
		uint64_t t0 = pvk_time_now_ns(), slept, late;

		PVK_CHECK_RC(pvk_time_sleep_ns(lengths[i]), 0);
		slept = pvk_time_now_ns() - t0;
		PVK_CHECK_GE(slept, lengths[i]);
		late = slept - lengths[i];
		if (late > worst)
			worst = late;
		total += late;
	}
	guest_printf("time: %zu sleeps (1-200 ms): mean lateness %llu us, worst %llu us\n",
		     PVK_ARRAY_SIZE(lengths),
		     (unsigned long long)(total / PVK_ARRAY_SIZE(lengths) / 1000),
		     (unsigned long long)(worst / 1000));
}
