/*
 * tests/guest/time.c - Xen system time from vcpu_info[0].time.
 *
 * Xen publishes, per vCPU, a (tsc_timestamp, system_time) pair and the
 * factors that turn a TSC delta into nanoseconds:
 *   now = system_time + (((tsc - tsc_timestamp) << shift) * mul) >> 32
 * (a negative shift shifts right). The record is rewritten under a version
 * counter that is odd while an update is in progress, so we read it like a
 * seqlock. Used for bounded waits and the boot-to-shutdown time.
 */
#include "guest.h"

/* lfence keeps rdtsc from running ahead of the loads before it. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t guest_now_ns(void)
{
	const struct pvk_vcpu_time_info *t;
	uint64_t system_time, stamp, tsc;
	uint32_t version, mul;
	int8_t shift;

	if (!guest_shared_info)
		return 0;
	t = &guest_shared_info->vcpu_info[0].time;
	do {
		version = PVK_READ_ONCE(t->version);
		pvk_barrier();	/* x86 keeps loads in order; the compiler must too */
		stamp = PVK_READ_ONCE(t->tsc_timestamp);
		system_time = PVK_READ_ONCE(t->system_time);
		mul = PVK_READ_ONCE(t->tsc_to_system_mul);
		shift = PVK_READ_ONCE(t->tsc_shift);
		tsc = rdtsc_ordered();
		pvk_barrier();
	} while ((version & 1) || version != PVK_READ_ONCE(t->version));

	return system_time + scale_delta(tsc - stamp, mul, shift);
}
