/*
 * time/clock_max.h - the kit's clocks never go backwards: the largest value
 * returned so far, kept as an atomic maximum. Shared by Xen's clock
 * (time/clock.c) and the native TSC clock (pvops/time_native.c).
 * Not part of the kit's API.
 */
#ifndef PVK_TIME_CLOCK_MAX_H
#define PVK_TIME_CLOCK_MAX_H

#include <pvkit/types.h>

/*
 * Raises *largest to now if now is above it and returns the new maximum:
 * now, or the larger value some CPU returned before. Relaxed: it orders
 * nothing else, it only makes the values themselves monotonic, and a
 * value only ever moves up, so a lost race just reloads and compares.
 */
static inline uint64_t pvk_clock_max(uint64_t *largest, uint64_t now)
{
	uint64_t last = __atomic_load_n(largest, __ATOMIC_RELAXED);

	do {
		if (now <= last)
			return last;
	} while (!__atomic_compare_exchange_n(largest, &last, now, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return now;
}

#endif /* PVK_TIME_CLOCK_MAX_H */
