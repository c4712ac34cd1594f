/*
 * pvkit/time.h - Xen time: monotonic system time, wall clock, the one-shot
 * timer (VIRQ_TIMER on Xen, the local APIC natively), and a sleep primitive.
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

/* Monotonic Xen system time in ns from the calling vCPU's record (vCPU 0's
 * before pvk_smp_init()). Monotonic across CPUs too: a value read on one
 * CPU is never above one read later on another (the kit keeps the
 * largest value returned and never returns less). 0 before init. */
uint64_t pvk_time_now_ns(void);
/*
 * For diagnostics and tests only: the calling CPU's own clock, without the
 * cross-CPU maximum that makes pvk_clock_ns() monotonic across CPUs (Xen:
 * this vCPU's pvclock record; native: this CPU's TSC scaled). It may go
 * back a little, and differ between CPUs by their skew: that is what it
 * shows. pvk_time_now_ns_here() is the Xen one; pvk_clock_ns_here() picks
 * the running world's.
 */
uint64_t pvk_time_now_ns_here(void);
uint64_t pvk_clock_ns_here(void);

/* The pure pvclock arithmetic: tsc delta -> ns (shift, then 32.32 mul). */
uint64_t pvk_time_scale_delta(uint64_t delta, uint32_t mul, int8_t shift);

/* Wall clock now: shared_info's wc_* (time of system time 0) + now. */
void pvk_time_wallclock(struct pvk_wallclock *out);

/*
 * The one-shot timer, the same in both worlds (time/oneshot.c): one
 * deadline of the host's at a time, in pvk_clock_ns() time, on the vCPU's
 * one hardware timer (Xen: VCPUOP_set_singleshot_timer and VIRQ_TIMER,
 * time/timer.c; natively the local APIC timer, pvops/timer_native.c). The
 * kit keeps a deadline of its own on the same timer (event channel flood
 * hold-off, events/dispatch.c): the hardware is armed for the earlier one
 * and each expiry is delivered to its owner only.
 *
 * Per CPU: each CPU has its own one-shot (its vCPU's singleshot timer and
 * VIRQ_TIMER, its local APIC timer); pvk_time_timer_set()/_stop() act on
 * the calling CPU's, and fn runs on the CPU whose deadline expired.
 * Secondary CPUs get theirs from pvk_smp_cpu_start()/_up_here(); on Xen a
 * pvk_time_timer_init() made after CPUs were started binds their VIRQ_TIMER
 * too (not concurrently with a CPU being started).
 *
 * pvk_time_timer_init(): fn, if not NULL, is called in upcall context
 * (natively: from pvk_native_timer_interrupt(), irqs off) each time the
 * host's deadline expires. On Xen it stops Xen's default periodic timer
 * and binds VIRQ_TIMER (needs pvk_time_init() and pvk_evtchn_init());
 * natively it needs pvk_native_timer_init() first (pvops.h).
 */
int pvk_time_timer_init(void (*fn)(void *arg), void *arg);

/* Arms the host's one-shot for absolute clock_ns() time deadline_ns,
 * replacing its previous deadline; a deadline already passed fires at once
 * (asynchronously, through the interrupt/upcall). -PVK_XEN_ENODEV before
 * pvk_time_timer_init(). Any context. */
int pvk_time_timer_set(uint64_t deadline_ns);
int pvk_time_timer_stop(void);
/* Times the host's deadline has expired since pvk_time_timer_init(), on
 * every CPU together / on one CPU. */
uint64_t pvk_time_timer_fired(void);
uint64_t pvk_time_timer_fired_cpu(unsigned int cpu);

struct pvk_time_timer_stats {
	uint64_t expiries;	/* hardware firings (VIRQ_TIMER, APIC interrupts) */
	uint64_t idle_expiries;	/* ... that found nothing due (a chunk of a far
				 * deadline, a periodic tick, a stop's late one) */
	uint64_t hw_said_passed;	/* deadlines the hardware declared passed
				 * before our clock did (Xen runs ahead of pvclock) */
	uint64_t host_fired;	/* = pvk_time_timer_fired() */
	uint64_t kit_fired;	/* the kit's own deadlines delivered */
	uint64_t idle_fired;	/* pvk_idle_until() deadlines that ended a halt */
};
void pvk_time_timer_get_stats(struct pvk_time_timer_stats *out);

/* ---- between the kit's own parts (hosts do not call these) ---------- */

/* One world's hardware one-shot, attached once (time/timer.c on Xen,
 * pvops/timer_native.c natively). arm() replaces what was armed; with
 * ask_if_passed it returns PVK_TIME_HW_PASSED instead of arming when the
 * hardware's clock is already past deadline_ns (if it can tell: a Xen may
 * not), else a passed deadline fires at once. 0 when armed, or a negative
 * Xen errno. */
#define PVK_TIME_HW_PASSED	1
struct pvk_time_hw {
	const char *name;
	int (*arm)(uint64_t deadline_ns, bool ask_if_passed);
	int (*stop)(void);
	/* On a CPU just started (pvk_time_cpu_up_here()): set up its own
	 * timer like the boot CPU's (N: the local APIC); NULL: nothing to do
	 * (X: prepared remotely, pvk_time_cpu_prepare()). */
	int (*cpu_up_here)(void);
};
void pvk_time_timer_attach(const struct pvk_time_hw *hw);
/* Set by pvk_time_cpu_prepare() (time/cpu.c) when a second CPU is about
 * to start, never cleared: from then on the clocks (time/clock.c, the
 * native TSC clock) keep the largest value returned across CPUs; before,
 * the native one skips that atomic. */
extern bool pvk_time_many_cpus;
/* The hardware fired: upcall or interrupt context. */
void pvk_time_timer_expired(void);
/* The kit's deadline (one owner: the event channel flood release). fn runs
 * like the host's, in upcall context. Needs the timer attached (on Xen:
 * the host's pvk_time_timer_init()); -PVK_XEN_ENODEV otherwise. */
int pvk_time_kit_timer_set(uint64_t deadline_ns, void (*fn)(void *arg), void *arg);
/* The kit's slow deadline, a second one beside it (one owner: netfront
 * gives up a reconnect after a resume, frontends/netfront/netfront_suspend.c).
 * On the calling CPU, like the one above; _stop() disarms the calling
 * CPU's only (one armed on another CPU still fires: its fn must tell
 * whether it is still wanted). -PVK_XEN_ENODEV without the timer. */
int pvk_time_kit_deadline_set(uint64_t deadline_ns, void (*fn)(void *arg), void *arg);
int pvk_time_kit_deadline_stop(void);

/* pvk_idle_until()'s deadline on the calling CPU (irqs off). */
int pvk_time_idle_timer_set(bool armed, uint64_t deadline_ns);

/*
 * The idle op: the calling CPU stops until an event (Xen) or interrupt
 * (native) arrives or clock_ns() reaches deadline_ns, whichever is first,
 * without the lost wake-up of "enable, then halt". Call it with irqs off,
 * after finding no work; the handlers of what arrived have run when it
 * returns, with irqs off again. A deadline in the past returns at once;
 * PVK_IDLE_FOREVER waits for an event only. It borrows the CPU's one-shot
 * (a third deadline next to the host's and the kit's: neither is
 * disturbed), so it needs pvk_time_timer_init(): -PVK_XEN_ENODEV before.
 * Returns 0 or the timer's error; -PVK_XEN_EINVAL with irqs on (a halt
 * could then miss the wake-up the caller checked for).
 */
#define PVK_IDLE_FOREVER	(~0ULL)
int pvk_idle_until(uint64_t deadline_ns);

/*
 * Sleeps until system time >= now + ns (SCHEDOP_poll with a timeout; the
 * one-shot timer is left alone). Works with event upcalls masked or not;
 * unmasked, events are handled during the sleep. Not from upcall context.
 * Returns 0, or a negative Xen errno (-PVK_XEN_ENODEV before
 * pvk_time_init()).
 */
int pvk_time_sleep_ns(uint64_t ns);

/*
 * Suspend and resume (pvkit/suspend.h; the kit's suspend/ calls these).
 * The kit's clock is Xen's system time plus a rebase, 0 until a resume in
 * a new domain finds Xen's time behind what the clock said when the guest
 * stopped. A host that hands Xen a time of the kit's clock itself (a
 * SCHEDOP_poll timeout, a singleshot deadline) turns it into Xen's with
 * pvk_time_to_xen_ns().
 */
uint64_t pvk_time_to_xen_ns(uint64_t kit_ns);
/* Notes the clock just before the suspend hypercall. */
void pvk_time_suspend(void);
/* After it: the rebase set so the clock is not behind the note (returns
 * the rebase); in a new domain also vCPU 0's VIRQ_TIMER bound again and
 * its one-shot armed again (0 or the failing step's error). */
uint64_t pvk_time_rebase(void);
int pvk_time_resume(bool new_domain);

#endif /* PVKIT_TIME_H */
