/*
 * time/timer.c - the one-shot timer on VIRQ_TIMER, and sleeping on it.
 *
 * Xen starts a PV vCPU with a periodic 10 ms timer; a tickless kernel
 * wants one-shot events only, so pvk_time_timer_init() stops the periodic
 * one and binds VIRQ_TIMER. Each pvk_time_timer_set() replaces the previous
 * deadline (VCPUOP_set_singleshot_timer, absolute system time). Without
 * VCPU_SSHOTTMR_future Xen fires at once for a deadline already passed,
 * which is what a sleep wants.
 *
 * Sleeping does not use the one-shot timer (that belongs to the host's
 * tick): it is SCHEDOP_poll on no ports with the deadline as timeout.
 * Xen blocks the vCPU until the timeout, or until an event needs delivery
 * (upcalls unmasked: it is delivered, then we sleep on), so upcalls keep
 * running during a sleep. The loop looks at the clock, not at why Xen
 * woke us.
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>

static pvk_evtchn_port_t timer_port;
static bool timer_bound;
static void (*timer_fn)(void *arg);
static void *timer_arg;
static uint64_t timer_fired;

static bool timer_event(pvk_evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	timer_fired++;
	if (timer_fn)
		timer_fn(timer_arg);
	return true;
}

int pvk_time_timer_init(void (*fn)(void *arg), void *arg)
{
	long rc;

	if (timer_bound)
		return -PVK_XEN_EBUSY;
	timer_fn = fn;
	timer_arg = arg;
	rc = pvk_hyp_vcpu_op(PVK_VCPUOP_stop_periodic_timer, 0, NULL);
	if (rc) {
		pvk_err("time: VCPUOP_stop_periodic_timer failed: %ld", rc);
		return (int)rc;
	}
	rc = pvk_evtchn_bind_virq(PVK_VIRQ_TIMER, 0, timer_event, NULL, &timer_port);
	if (rc)
		return (int)rc;
	timer_bound = true;
	return 0;
}

int pvk_time_timer_set(uint64_t deadline_ns)
{
	struct pvk_vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline_ns };

	if (!timer_bound)
		return -PVK_XEN_ENODEV;
	return (int)pvk_hyp_vcpu_op(PVK_VCPUOP_set_singleshot_timer, 0, &t);
}

int pvk_time_timer_stop(void)
{
	if (!timer_bound)
		return -PVK_XEN_ENODEV;
	return (int)pvk_hyp_vcpu_op(PVK_VCPUOP_stop_singleshot_timer, 0, NULL);
}

uint64_t pvk_time_timer_fired(void)
{
	return PVK_READ_ONCE(timer_fired);
}

int pvk_time_sleep_ns(uint64_t ns)
{
	uint64_t deadline = pvk_time_now_ns() + ns;
	struct pvk_sched_poll poll = { .ports = NULL, .nr_ports = 0 };
	int rc;

	if (!pvk_time_now_ns())
		return -PVK_XEN_ENODEV;
	while (pvk_time_now_ns() < deadline) {
		poll.timeout = deadline;
		rc = (int)pvk_hyp_sched_op(PVK_SCHEDOP_poll, &poll);
		if (rc)
			return rc;
	}
	return 0;
}
