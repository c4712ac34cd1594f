/*
 * time/oneshot.c - the one-shot timer's owners on the vCPU's one hardware
 * timer, and the expiry path both worlds run.
 *
 * Four owners want the one-shot: the host (pvk_time_timer_set(), the pvops
 * timer_set op), the kit (events/dispatch.c ends a flood hold-off), the
 * kit's slow deadline (netfront gives up a reconnect after a resume,
 * pvk_time_kit_deadline_set()) and an idle CPU's wake-up
 * (pvk_idle_until(), time/idle.c). Each
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
 * Per CPU: each CPU has its own hardware one-shot (its vCPU's singleshot
 * timer, its local APIC's), so each keeps its own pair of deadlines, its
 * own record of what its hardware is armed for and its own counters, in
 * arrays indexed by pvk_port_cpu_id(). The hardware's arm/stop act on the
 * calling CPU's timer; an expiry is handled on the CPU that took it. All
 * of a CPU's state is changed only on that CPU with interrupts / upcalls
 * off (pvk_irq_save(), or the expiry path, which already runs so), so no
 * lock is needed; other CPUs only read the counters (word-sized loads).
 * The host's fn and arg are one for all CPUs (set once at init); the
 * kit's fn and arg are per CPU (the flood hold-off of that CPU's events),
 * and so are the slow deadline's (armed where its owner ran; a stop
 * disarms the calling CPU's only, so its owner's fn must find out for
 * itself whether it is still wanted).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "timer_internal.h"

/* Owners: the host's (index HOST), the kit's (KIT), the kit's slow
 * deadline (SLOW) and pvk_idle_until()'s (IDLE: no fn, its expiry only
 * ends the halt). */
enum { HOST, KIT, SLOW, IDLE, NR_OWNERS };

struct owner {
	bool armed;
	uint64_t deadline;	/* clock_ns(), when armed */
};

/* One CPU's one-shot. */
struct cpu_timer {
	struct owner owner[NR_OWNERS];
	void (*kit_fn)(void *arg);
	void *kit_arg;
	void (*slow_fn)(void *arg);
	void *slow_arg;
	/* What program() last armed the hardware for; forgotten at each
	 * expiry. */
	bool hw_armed;
	uint64_t hw_armed_for;
	struct pvk_time_timer_stats stats;
};

static const struct pvk_time_hw *hw;
static bool host_ready;	/* pvk_time_timer_init() done */
static void (*host_fn)(void *arg);
static void *host_arg;
static struct cpu_timer cpus[PVK_MAX_CPUS];

/* The calling CPU's timer. */
static struct cpu_timer *this_cpu(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("time: pvk_port_cpu_id() beyond PVK_MAX_CPUS");
	return &cpus[cpu];
}

void pvk_time_timer_attach(const struct pvk_time_hw *h)
{
	if (hw) {
		pvk_err("time: one-shot hardware %s attached, then %s", hw->name, h->name);
		pvk_port_panic("time: one-shot hardware attached twice");
	}
	hw = h;
}

static struct owner *earliest(struct cpu_timer *c)
{
	struct owner *e = NULL;

	for (unsigned int i = 0; i < NR_OWNERS; i++)
		if (c->owner[i].armed && (!e || c->owner[i].deadline < e->deadline))
			e = &c->owner[i];
	return e;
}

/* Arms this CPU's hardware for its earliest deadline, or stops it. */
static int program(struct cpu_timer *c)
{
	struct owner *e = earliest(c);
	int rc;

	c->hw_armed = false;
	if (!e)
		return hw->stop();
	rc = hw->arm(e->deadline, false);
	c->hw_armed = !rc;
	c->hw_armed_for = e->deadline;
	return rc;
}

static void deliver(struct cpu_timer *c, uint64_t due_by)
{
	for (unsigned int i = 0; i < NR_OWNERS; i++) {
		struct owner *o = &c->owner[i];
		void (*fn)(void *arg) = i == HOST ? host_fn : i == KIT ? c->kit_fn :
					i == SLOW ? c->slow_fn : NULL;
		void *arg = i == HOST ? host_arg : i == SLOW ? c->slow_arg : c->kit_arg;

		if (!o->armed || o->deadline > due_by)
			continue;
		o->armed = false;	/* before fn: it may arm again */
		if (i == HOST)
			c->stats.host_fired++;
		else if (i == KIT || i == SLOW)
			c->stats.kit_fired++;
		else
			c->stats.idle_fired++;
		if (fn)
			fn(arg);
	}
}

void pvk_time_timer_expired(void)
{
	struct cpu_timer *c = this_cpu();
	uint64_t fired_before = c->stats.host_fired + c->stats.kit_fired + c->stats.idle_fired;
	struct owner *e;
	int rc;

	c->stats.expiries++;
	c->hw_armed = false;	/* it fired: armed for nothing we know of */
	deliver(c, pvk_clock_ns());
	e = earliest(c);
	if (!e) {
		rc = hw->stop();
	} else if (c->hw_armed && c->hw_armed_for == e->deadline) {
		rc = 0;		/* an fn re-armed it for this one */
	} else {
		rc = hw->arm(e->deadline, true);
		if (rc == PVK_TIME_HW_PASSED) {
			c->stats.hw_said_passed++;
			deliver(c, e->deadline);
			rc = program(c);
		}
	}
	if (c->stats.host_fired + c->stats.kit_fired + c->stats.idle_fired == fired_before)
		c->stats.idle_expiries++;
	if (rc < 0)
		pvk_err("time: re-arming the %s one-shot of CPU %u failed: %d", hw->name,
			pvk_port_cpu_id(), rc);
}

/* Sets owner `which` of the calling CPU; with kit_fn for the kit's two
 * (a stop of the slow one keeps its fn: nothing calls it unarmed). */
static int owner_set(unsigned int which, bool armed, uint64_t deadline,
		     void (*kit_fn)(void *arg), void *kit_arg)
{
	unsigned long flags = pvk_irq_save();
	struct cpu_timer *c = this_cpu();	/* irqs off: we stay on it */
	int rc;

	if (which == KIT) {
		c->kit_fn = kit_fn;
		c->kit_arg = kit_arg;
	} else if (which == SLOW && armed) {
		c->slow_fn = kit_fn;
		c->slow_arg = kit_arg;
	}
	c->owner[which].armed = armed;
	c->owner[which].deadline = deadline;
	rc = program(c);
	pvk_restore_fl(flags);
	return rc;
}

int pvk_time_timer_reprogram(void)
{
	unsigned long flags;
	int rc;

	if (!hw)
		return 0;
	flags = pvk_irq_save();
	rc = program(this_cpu());
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
	host_fn = fn;
	host_arg = arg;
	host_ready = true;
	pvk_info("time: one-shot timer on %s", hw->name);
	return 0;
}

const struct pvk_time_hw *pvk_time_timer_hw(void)
{
	return hw;
}

bool pvk_time_timer_host_ready(void)
{
	return host_ready;
}

int pvk_time_timer_set(uint64_t deadline_ns)
{
	if (!host_ready)
		return -PVK_XEN_ENODEV;
	return owner_set(HOST, true, deadline_ns, NULL, NULL);
}

int pvk_time_timer_stop(void)
{
	if (!host_ready)
		return -PVK_XEN_ENODEV;
	return owner_set(HOST, false, 0, NULL, NULL);
}

int pvk_time_kit_timer_set(uint64_t deadline_ns, void (*fn)(void *arg), void *arg)
{
	if (!hw)
		return -PVK_XEN_ENODEV;
	return owner_set(KIT, true, deadline_ns, fn, arg);
}

int pvk_time_kit_deadline_set(uint64_t deadline_ns, void (*fn)(void *arg), void *arg)
{
	if (!hw)
		return -PVK_XEN_ENODEV;
	return owner_set(SLOW, true, deadline_ns, fn, arg);
}

int pvk_time_kit_deadline_stop(void)
{
	if (!hw)
		return -PVK_XEN_ENODEV;
	return owner_set(SLOW, false, 0, NULL, NULL);
}

int pvk_time_idle_timer_set(bool armed, uint64_t deadline_ns)
{
	if (!host_ready)
		return -PVK_XEN_ENODEV;
	return owner_set(IDLE, armed, deadline_ns, NULL, NULL);
}

void pvk_time_timer_cpu_drop(unsigned int cpu)
{
	unsigned long flags;
	struct cpu_timer *c;

	if (cpu >= PVK_MAX_CPUS)
		return;
	flags = pvk_irq_save();
	c = &cpus[cpu];
	c->owner[HOST].armed = false;
	c->owner[KIT].armed = false;
	c->owner[SLOW].armed = false;
	c->owner[IDLE].armed = false;
	if (hw && cpu == pvk_port_cpu_id())
		program(c);	/* stops this CPU's hardware */
	else
		c->hw_armed = false;
	pvk_restore_fl(flags);
}

uint64_t pvk_time_timer_fired(void)
{
	uint64_t n = 0;

	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		n += PVK_READ_ONCE(cpus[cpu].stats.host_fired);
	return n;
}

uint64_t pvk_time_timer_fired_cpu(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS ? PVK_READ_ONCE(cpus[cpu].stats.host_fired) : 0;
}

void pvk_time_timer_get_stats(struct pvk_time_timer_stats *out)
{
	*out = (struct pvk_time_timer_stats){ 0 };
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		const struct pvk_time_timer_stats *s = &cpus[cpu].stats;

		out->expiries += PVK_READ_ONCE(s->expiries);
		out->idle_expiries += PVK_READ_ONCE(s->idle_expiries);
		out->hw_said_passed += PVK_READ_ONCE(s->hw_said_passed);
		out->host_fired += PVK_READ_ONCE(s->host_fired);
		out->kit_fired += PVK_READ_ONCE(s->kit_fired);
		out->idle_fired += PVK_READ_ONCE(s->idle_fired);
	}
}
