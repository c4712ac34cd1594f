/*
 * pvkit/time.h - Xen time: monotonic system time, wall clock, the one-shot
 * timer on VIRQ_TIMER, and a sleep primitive.
 *
 * System time is nanoseconds since Xen booted,
 * computed from this vCPU's vcpu_time_info (pvclock): a (tsc_timestamp,
 * system_time) pair published under a version counter plus the factor
 * that scales a TSC delta to ns.
 */
#ifndef PVKIT_TIME_H
#define PVKIT_TIME_H

#include <pvkit/types.h>
#include <pvkit/xen/xen.h>

#define PVK_NSEC_PER_SEC	1000000000ULL

struct pvk_wallclock {
	uint64_t sec;		/* seconds since the Unix epoch */
	uint32_t nsec;
};

/* Start of day: si is the mapped shared info page. Needs no events. */
void pvk_time_init(struct pvk_shared_info *si);

/* Monotonic Xen system time in ns, vCPU 0's record. 0 before init. */
uint64_t pvk_time_now_ns(void);

/* The pure pvclock arithmetic: tsc delta -> ns (shift, then 32.32 mul). */
uint64_t pvk_time_scale_delta(uint64_t delta, uint32_t mul, int8_t shift);

/* Wall clock now: shared_info's wc_* (time of system time 0) + now. */
void pvk_time_wallclock(struct pvk_wallclock *out);

/*
 * Binds VIRQ_TIMER (needs pvk_evtchn_init()). fn, if not NULL, is called in
 * upcall context each time the timer fires.
 */
int pvk_time_timer_init(void (*fn)(void *arg), void *arg);

/* Programs the one-shot timer for absolute system time deadline_ns
 * (VCPUOP_set_singleshot_timer); a deadline in the past fires at once. */
int pvk_time_timer_set(uint64_t deadline_ns);
int pvk_time_timer_stop(void);
/* Times VIRQ_TIMER has fired since pvk_time_timer_init(). */
uint64_t pvk_time_timer_fired(void);

/*
 * Sleeps until system time >= now + ns (SCHEDOP_poll with a timeout; the
 * one-shot timer is left alone). Works with event upcalls masked or not;
 * unmasked, events are handled during the sleep. Not from upcall context.
 * Returns 0, or a negative Xen errno (-PVK_XEN_ENODEV before
 * pvk_time_init()).
 */
int pvk_time_sleep_ns(uint64_t ns);

#endif /* PVKIT_TIME_H */
