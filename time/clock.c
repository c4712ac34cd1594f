/*
 * time/clock.c - Xen system time and the wall clock.
 *
 * Xen publishes per vCPU a (tsc_timestamp, system_time) pair and the
 * factors that turn a TSC delta into nanoseconds (pvclock):
 *   now = system_time + ((delta << shift or >> -shift) * mul) >> 32
 * The record is rewritten under a version counter that is odd while Xen
 * is updating it, so it is read like a seqlock: retry while odd or changed.
 *
 * Two reads around one of Xen's record updates can come out a few ns
 * backwards (the new record's extrapolation starts slightly behind the old
 * one's); callers are promised a monotonic clock, so the result never goes
 * below the largest value returned so far (an atomic maximum).
 *
 * Per CPU: each vCPU reads its own record, in the vcpu_info it uses
 * (pvk_xen_vcpu_info(): shared_info's slot, or the kit page
 * VCPUOP_register_vcpu_info moved it to; Xen updates only the new place
 * after a move). Xen keeps the vCPUs' records consistent to within its
 * own error, not exactly: one vCPU's extrapolation may be a little behind
 * another's. The same atomic maximum, shared by every CPU, makes the
 * clock monotonic across CPUs too: a value read on one CPU is never above
 * one read after it on another. It is the one the single-CPU clock had
 * already, so one CPU pays nothing new; with several it is one contended
 * cache line, bounced only when the clock moved on.
 *
 * The wall clock (shared_info wc_*) is the Unix time at system time 0,
 * under its own version counter; adding system time gives "now".
 *
 * Across a resume in a new domain (suspend/) Xen's system time is the new
 * host's: on the same host it went on while we were saved, on another it
 * may be far behind. The kit's clock is Xen's plus `rebase_ns`, set by
 * pvk_time_resume() so that the clock goes on from where it was when the
 * guest stopped and never goes back; what the kit gives Xen (timer
 * deadlines, poll timeouts) is turned back with pvk_time_to_xen_ns().
 * On the same host rebase_ns stays 0.
 */
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/xen.h>

#include "clock_max.h"
#include "timer_internal.h"

static struct pvk_shared_info *time_si;
static uint64_t last_ns;
/* Written only by pvk_time_resume(), with every other CPU stopped. */
static uint64_t rebase_ns;
static uint64_t suspended_at;
static uint64_t rebase_at_suspend;	/* what the rebase was then */

void pvk_time_init(struct pvk_shared_info *si)
{
	time_si = si;
	rebase_ns = 0;		/* a boot: Xen's time is ours */
	suspended_at = 0;
}

uint64_t pvk_time_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* lfence: rdtsc must not run ahead of the loads of the record. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Xen's system time from this vCPU's record, without the rebase. */
static uint64_t xen_now_here(void)
{
	const struct pvk_vcpu_time_info *t;
	uint64_t system_time, stamp, tsc;
	uint32_t version, mul;
	int8_t shift;
	struct pvk_vcpu_info *vi;

	if (!time_si)
		return 0;
	/* NULL: the irq ops have no shared_info yet; time_init's is it. */
	vi = pvk_xen_vcpu_info(pvk_port_cpu_id());
	t = vi ? &vi->time : &time_si->vcpu_info[0].time;
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
	return system_time + pvk_time_scale_delta(tsc - stamp, mul, shift);
}

/* This vCPU's record read now: its own clock, no cross-CPU maximum. */
uint64_t pvk_time_now_ns_here(void)
{
	if (!time_si)
		return 0;
	return xen_now_here() + PVK_READ_ONCE(rebase_ns);
}

uint64_t pvk_time_to_xen_ns(uint64_t kit_ns)
{
	uint64_t r = PVK_READ_ONCE(rebase_ns);

	return kit_ns > r ? kit_ns - r : 0;
}

void pvk_time_suspend(void)
{
	suspended_at = pvk_time_now_ns();
	rebase_at_suspend = PVK_READ_ONCE(rebase_ns);
}

uint64_t pvk_time_rebase(void)
{
	uint64_t xen = xen_now_here();

	/* The largest value handed out is what must not be undercut. */
	if (suspended_at < PVK_READ_ONCE(last_ns))
		suspended_at = PVK_READ_ONCE(last_ns);
	if (xen + rebase_ns < suspended_at)
		PVK_WRITE_ONCE(rebase_ns, suspended_at - xen);
	return rebase_ns;
}

uint64_t pvk_time_now_ns(void)
{
	uint64_t now = pvk_time_now_ns_here();

	if (!time_si)
		return 0;
	return pvk_clock_max(&last_ns, now);
}

void pvk_time_wallclock(struct pvk_wallclock *out)
{
	uint32_t version, sec, nsec, sec_hi;
	uint64_t ns;

	out->sec = 0;
	out->nsec = 0;
	if (!time_si)
		return;
	do {
		version = PVK_READ_ONCE(time_si->wc_version);
		pvk_barrier();
		sec = PVK_READ_ONCE(time_si->wc_sec);
		nsec = PVK_READ_ONCE(time_si->wc_nsec);
		sec_hi = PVK_READ_ONCE(time_si->wc_sec_hi);
		pvk_barrier();
	} while ((version & 1) || version != PVK_READ_ONCE(time_si->wc_version));

	/* Xen's wc is the host's boot in wall time: add the host's system
	 * time, not the kit's (re-based after a resume on another host, which
	 * would put the wall clock ahead by the rebase; review s10-16 #2). */
	ns = (uint64_t)nsec + pvk_time_to_xen_ns(pvk_time_now_ns());
	out->sec = ((uint64_t)sec_hi << 32 | sec) + ns / PVK_NSEC_PER_SEC;
	out->nsec = (uint32_t)(ns % PVK_NSEC_PER_SEC);
}

uint64_t pvk_time_rebase_raised(void)
{
	uint64_t r = PVK_READ_ONCE(rebase_ns);

	return r > rebase_at_suspend ? r - rebase_at_suspend : 0;
}
