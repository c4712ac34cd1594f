/*
 * time/timer.c - Xen's one-shot timer: VCPUOP_set_singleshot_timer and
 * VIRQ_TIMER, as the hardware under time/oneshot.c; and sleeping.
 *
 * Xen starts a PV vCPU with a periodic 10 ms timer; a tickless kernel
 * wants one-shot events only, so attaching stops the periodic one and
 * binds VIRQ_TIMER. Each arm replaces the previous deadline (absolute
 * system time). Without VCPU_SSHOTTMR_future Xen fires at once for a
 * deadline already passed; with it, Xen may refuse with -ETIME instead,
 * which is how oneshot.c asks whether Xen's clock is past a deadline ours
 * is not. Xen's header says the flag "can be ignored", and Debian's Xen
 * 4.17 does (a past deadline with the flag gave 0, not -ETIME): there an
 * expiry our clock has not reached yet is re-armed, fires at once, and so
 * on until our clock catches up; the tests print such idle expiries.
 * Every VIRQ_TIMER is an expiry for oneshot.c, which looks at the
 * deadlines, not at why Xen sent it (a host may run a periodic timer too).
 *
 * Per vCPU: VIRQ_TIMER is a per-vCPU VIRQ, bound once for each vCPU (to
 * it: its events arrive there); Xen lets a vCPU arm and stop only its own
 * singleshot timer (VCPUOP_set/stop_singleshot_timer on another vCPU is
 * -EINVAL), so arm and stop act on the calling CPU. A vCPU's periodic
 * timer may be stopped from another one, before it first runs:
 * pvk_time_cpu_prepare() does that and binds its VIRQ_TIMER. A vCPU taken
 * down keeps its port (masked by events/ while it is down); started again
 * it is not bound a second time (Xen would say -EEXIST).
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
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>

#include "timer_internal.h"

/* Each vCPU's VIRQ_TIMER port, once bound. */
static pvk_evtchn_port_t timer_port[PVK_MAX_CPUS];
static bool timer_bound[PVK_MAX_CPUS];

static bool timer_event(pvk_evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	pvk_time_timer_expired();
	return true;
}

static int xen_arm(uint64_t deadline_ns, bool ask_if_passed)
{
	struct pvk_vcpu_set_singleshot_timer t = {
		.timeout_abs_ns = pvk_time_to_xen_ns(deadline_ns),
		.flags = ask_if_passed ? PVK_VCPU_SSHOTTMR_future : 0,
	};
	long rc = pvk_hyp_vcpu_op(PVK_VCPUOP_set_singleshot_timer,
				  pvk_port_cpu_id(), &t);

	if (ask_if_passed && rc == -PVK_XEN_ETIME)
		return PVK_TIME_HW_PASSED;
	return (int)rc;
}

static int xen_stop(void)
{
	return (int)pvk_hyp_vcpu_op(PVK_VCPUOP_stop_singleshot_timer,
				    pvk_port_cpu_id(), NULL);
}

static const struct pvk_time_hw xen_singleshot = {
	.name = "Xen singleshot timer (VIRQ_TIMER)",
	.arm = xen_arm,
	.stop = xen_stop,
};

/* Stops cpu's periodic timer and binds its VIRQ_TIMER (once). */
static int cpu_timer_setup(unsigned int cpu, bool bind)
{
	long rc;

	rc = pvk_hyp_vcpu_op(PVK_VCPUOP_stop_periodic_timer, cpu, NULL);
	if (rc) {
		pvk_err("time: VCPUOP_stop_periodic_timer of vCPU %u failed: %ld", cpu, rc);
		return (int)rc;
	}
	if (!bind)
		return 0;
	if (timer_bound[cpu]) {
		/* A restart: pvk_evtchn_cpu_dead() left the port masked for
		 * its owner to unmask when the CPU is back. */
		pvk_evtchn_unmask(timer_port[cpu]);
		return 0;
	}
	rc = pvk_evtchn_bind_virq(PVK_VIRQ_TIMER, cpu, timer_event, NULL, &timer_port[cpu]);
	if (rc) {
		pvk_err("time: binding VIRQ_TIMER of vCPU %u failed: %ld", cpu, rc);
		return (int)rc;
	}
	timer_bound[cpu] = true;
	return 0;
}

int pvk_time_xen_timer_attach(void)
{
	int rc;

	if (!pvk_time_now_ns()) {
		pvk_err("time: no one-shot hardware: on Xen call pvk_time_init() first, natively pvk_native_timer_init()");
		return -PVK_XEN_ENODEV;
	}
	rc = cpu_timer_setup(0, true);
	/* CPUs prepared before the host initialised its timer: their
	 * VIRQ_TIMER was not bound then (a remote bind is allowed). */
	for (unsigned int cpu = 1; cpu < PVK_MAX_CPUS && !rc; cpu++)
		if (__atomic_load_n(&pvk_time_prepared_cpus, __ATOMIC_SEQ_CST) & (1ULL << cpu))
			rc = cpu_timer_setup(cpu, true);
	if (rc)
		return rc;
	pvk_time_timer_attach(&xen_singleshot);
	return 0;
}

int pvk_time_xen_cpu_prepare(unsigned int cpu, bool bind)
{
	if (!pvk_time_now_ns())
		return 0;	/* not on Xen: a native boot of a Xen-capable kit */
	return cpu_timer_setup(cpu, bind);
}

int pvk_time_sleep_ns(uint64_t ns)
{
	uint64_t deadline = pvk_time_now_ns() + ns;
	struct pvk_sched_poll poll = { .ports = NULL, .nr_ports = 0 };
	int rc;

	if (!pvk_time_now_ns())
		return -PVK_XEN_ENODEV;
	while (pvk_time_now_ns() < deadline) {
		poll.timeout = pvk_time_to_xen_ns(deadline);
		rc = (int)pvk_hyp_sched_op(PVK_SCHEDOP_poll, &poll);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * After a resume in a new domain (suspend/): no port is bound, vCPU 0 has
 * Xen's periodic timer again and no singleshot one. VIRQ_TIMER is bound
 * again for vCPU 0; the other vCPUs' records are forgotten, so that their
 * next start binds theirs (they were offline across the suspend).
 */
int pvk_time_xen_timer_resume(void)
{
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		timer_bound[cpu] = false;
	if (!pvk_time_timer_hw())
		return 0;	/* the host never attached the timer */
	return cpu_timer_setup(0, true);
}
