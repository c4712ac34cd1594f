/*
 * time/oneshot.c - the one-shot timer's owners on the vCPU's one hardware
 * timer, and the expiry path both worlds run.
 *
 * Two owners want the one-shot: the host (pvk_time_timer_set(), the pvops
 * timer_set op) and the kit (events/dispatch.c ends a flood hold-off). Each
 * keeps its own deadline here; the hardware (Xen's singleshot timer,
 * time/timer.c, or the local APIC's, pvops/timer_native.c) is armed for the
 * earlier one. On expiry every deadline already passed is delivered to its
 * owner, then the hardware is armed for what is left.
 *
 *   expiry --> deliver the deadlines <= clock --> earliest one left?
 *                 none: stop the hardware
 *                 one:  arm it, asking whether the hardware's clock is
 *                       past it already; if so, deliver it and arm the
 *                       rest plainly
 *
 * "Passed" is judged by pvk_clock_ns(), but the hardware may know better:
 * Xen fires by its own clock, which under TCG once ran ~4 ms ahead of the
 * guest's pvclock extrapolation. Re-arming such a deadline plainly makes
 * Xen fire again at once, over and over until our clock catches up, so
 * the re-arm asks (VCPU_SSHOTTMR_future; a Xen may ignore the flag, see
 * time/timer.c); a deadline the hardware calls passed is delivered then.
 * The plain arm after it cannot loop: it only runs once per expiry. An
 * expiry that finds nothing due (a chunk of a far native deadline, Xen's
 * periodic tick, the late interrupt of a stopped timer) only re-arms.
 *
 * An owner's fn usually arms its next deadline (a host's tick does, every
 * time). That arm already programs the hardware for the earliest deadline,
 * so when nothing changed after it the expiry does not arm again: one arm
 * per expiry, not two. It was a plain arm: should the hardware call it
 * passed, it fires at once and that expiry asks.
 *
 * The kit drives vCPU 0 only: state changes run with interrupts / upcalls
 * off (pvk_irq_save()) and the expiry path already runs so, no lock needed.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "timer_internal.h"

struct owner {
	bool armed;
	uint64_t deadline;	/* clock_ns(), when armed */
	void (*fn)(void *arg);
	void *arg;
	uint64_t *fired;	/* this owner's count in stats */
};

static const struct pvk_time_hw *hw;
static bool host_ready;	/* pvk_time_timer_init() done */
static struct pvk_time_timer_stats stats;
static struct owner host = { .fired = &stats.host_fired };
static struct owner kit = { .fired = &stats.kit_fired };
static struct owner *const owners[] = { &host, &kit };
/* What program() last armed the hardware for; forgotten at each expiry. */
static bool hw_armed;
static uint64_t hw_armed_for;

void pvk_time_timer_attach(const struct pvk_time_hw *h)
{
	if (hw) {
		pvk_err("time: one-shot hardware %s attached, then %s", hw->name, h->name);
		pvk_port_panic("time: one-shot hardware attached twice");
	}
	hw = h;
}

static struct owner *earliest(void)
{
	struct owner *e = NULL;

	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(owners); i++)
		if (owners[i]->armed && (!e || owners[i]->deadline < e->deadline))
			e = owners[i];
	return e;
}

/* Arms the hardware for the earliest deadline, or stops it. */
static int program(void)
{
	struct owner *e = earliest();
	int rc;

	hw_armed = false;
	if (!e)
		return hw->stop();
	rc = hw->arm(e->deadline, false);
	hw_armed = !rc;
	hw_armed_for = e->deadline;
	return rc;
}

static void deliver(uint64_t due_by)
{
	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(owners); i++) {
		struct owner *o = owners[i];

		if (!o->armed || o->deadline > due_by)
			continue;
		o->armed = false;	/* before fn: it may arm again */
		(*o->fired)++;
		if (o->fn)
			o->fn(o->arg);
	}
}

void pvk_time_timer_expired(void)
{
	uint64_t fired_before = stats.host_fired + stats.kit_fired;
	struct owner *e;
	int rc;

	stats.expiries++;
	hw_armed = false;	/* it fired: armed for nothing we know of */
	deliver(pvk_clock_ns());
	e = earliest();
	if (!e) {
		rc = hw->stop();
	} else if (hw_armed && hw_armed_for == e->deadline) {
		rc = 0;		/* an fn re-armed it for this one */
	} else {
		rc = hw->arm(e->deadline, true);
		if (rc == PVK_TIME_HW_PASSED) {
			stats.hw_said_passed++;
			deliver(e->deadline);
			rc = program();
		}
	}
	if (stats.host_fired + stats.kit_fired == fired_before)
		stats.idle_expiries++;
	if (rc < 0)
		pvk_err("time: re-arming the %s one-shot failed: %d", hw->name, rc);
}

static int owner_set(struct owner *o, bool armed, uint64_t deadline)
{
	unsigned long flags = pvk_irq_save();
	int rc;

	o->armed = armed;
	o->deadline = deadline;
	rc = program();
	pvk_restore_fl(flags);
	return rc;
}

int pvk_time_timer_init(void (*fn)(void *arg), void *arg)
{
	int rc;

	if (host_ready)
		return -PVK_XEN_EBUSY;
	if (!hw) {
#ifdef CONFIG_PVK_XEN_PV
		rc = pvk_time_xen_timer_attach();
#else
		pvk_err("time: no one-shot hardware: call pvk_native_timer_init() first");
		rc = -PVK_XEN_ENODEV;
#endif
		if (rc)
			return rc;
	}
	host.fn = fn;
	host.arg = arg;
	host_ready = true;
	pvk_info("time: one-shot timer on %s", hw->name);
	return 0;
}

int pvk_time_timer_set(uint64_t deadline_ns)
{
	if (!host_ready)
		return -PVK_XEN_ENODEV;
	return owner_set(&host, true, deadline_ns);
}

int pvk_time_timer_stop(void)
{
	if (!host_ready)
		return -PVK_XEN_ENODEV;
	return owner_set(&host, false, 0);
}

int pvk_time_kit_timer_set(uint64_t deadline_ns, void (*fn)(void *arg), void *arg)
{
	unsigned long flags;
	int rc;

	if (!hw)
		return -PVK_XEN_ENODEV;
	flags = pvk_irq_save();
	kit.fn = fn;
	kit.arg = arg;
	rc = owner_set(&kit, true, deadline_ns);
	pvk_restore_fl(flags);
	return rc;
}

uint64_t pvk_time_timer_fired(void)
{
	return PVK_READ_ONCE(stats.host_fired);
}

void pvk_time_timer_get_stats(struct pvk_time_timer_stats *out)
{
	unsigned long flags = pvk_irq_save();

	*out = stats;
	pvk_restore_fl(flags);
}
