/*
 * events/dispatch.c - pvk_evtchn_do_upcall(): from "an event is pending" to
 * the handlers, with flood protection.
 *
 * The ABI's scan (evtchn_2l.c, evtchn_fifo.c) finds the pending, unmasked
 * ports of the CPU that took the upcall; each one is handled here: mask,
 * clear pending, run the handler, unmask. Each CPU keeps its own state
 * (struct pvk_evtchn_cpu: counters, the port it is dispatching, its flood
 * hold-offs), so the upcall takes no lock and touches no other CPU's line.
 *
 * Clearing pending before the handler runs means an event that arrives
 * during the handler is not lost: it sets pending again on the masked port,
 * and the ABI's unmask afterwards raises it.
 *
 * Flood protection (the late-EOI idea of the XSA-391 fix): a handler says
 * whether it found work. After PVK_EVTCHN_FLOOD_LIMIT consecutive events
 * without work the port is not unmasked (no EOI) but held masked for
 * PVK_EVTCHN_FLOOD_HOLDOFF_NS, counted and logged, so a flooding peer costs
 * at most one handler call per hold-off period. The hold-off ends on time,
 * whatever else happens: the kit's own deadline on the one-shot timer
 * (time/oneshot.c, beside the host's deadline: each expiry goes to its
 * owner) releases every port whose hold-off passed and re-arms for the
 * next. Without a timer (the host never called pvk_time_timer_init(), so
 * VIRQ_TIMER is not the kit's) held ports are released by the first upcall
 * after their hold-off instead, and the first flood says so.
 *
 * The kit deadline fires on the CPU that set it (time/oneshot.c is per
 * CPU), so each CPU releases the ports it held (slot->held_by).
 *
 * The timer may fire by Xen's clock a little before ours reaches the
 * deadline (time/oneshot.c), so a release counts the deadline it was armed
 * for as passed.
 *
 * A handler never runs with a freed arg: set_handler() on another CPU
 * masks the port, clears the handler and then waits until no CPU's
 * `dispatching` names the port. Here `dispatching` is stored before the
 * port is masked, a locked instruction, and the handler is read after it:
 * so either the waiter sees the port named, or we see the cleared handler.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

struct pvk_evtchn_cpu pvk_evtchn_cpus[PVK_MAX_CPUS];
static bool warned_no_timer;

static void release_held(void *arg);

void pvk_evtchn_dispatch_reset(void)
{
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];

		c->dispatching = PVK_EVTCHN_NONE;
		PVK_WRITE_ONCE(c->nr_held, 0);
	}
}

/* Arms the calling CPU's kit timer for deadline unless it is armed for
 * earlier. */
static void release_timer_arm(struct pvk_evtchn_cpu *c, uint64_t deadline)
{
	int rc;

	if (c->release_at && c->release_at <= deadline)
		return;
	rc = pvk_time_kit_timer_set(deadline, release_held, NULL);
	c->release_by_upcall = rc != 0;
	if (!rc) {
		c->release_at = deadline;
		return;
	}
	if (!warned_no_timer)
		pvk_warn("evtchn: no kit timer (%d: pvk_time_timer_init() not called?): held ports are released by the next upcall after their hold-off",
			 rc);
	warned_no_timer = true;
}

static void flood(pvk_evtchn_port_t port, struct pvk_evtchn_slot *s,
		  unsigned int cpu)
{
	struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];
	uint64_t until = pvk_time_now_ns() + PVK_EVTCHN_FLOOD_HOLDOFF_NS;

	s->spurious_run = 0;
	if (!until)
		until = 1;	/* no clock yet: released next upcall */
	s->held_by = (uint8_t)cpu;
	__atomic_fetch_add(&c->nr_held, 1, __ATOMIC_SEQ_CST);
	/* Published last: whoever takes held_until back to 0 also takes the
	 * port off nr_held (pvk_evtchn_end_hold(), release_until()). */
	__atomic_store_n(&s->held_until, until, __ATOMIC_SEQ_CST);
	c->stats.floods++;
	pvk_warn("evtchn: port %u flooding (%u events without work), held masked for %llu us",
		 port, PVK_EVTCHN_FLOOD_LIMIT,
		 (unsigned long long)(PVK_EVTCHN_FLOOD_HOLDOFF_NS / 1000));
	release_timer_arm(c, until);
}

/* Takes a hold-off from s if it is still `until`; true when we did. */
static bool take_hold(struct pvk_evtchn_slot *s, uint64_t until)
{
	if (!until || !__atomic_compare_exchange_n(&s->held_until, &until, 0, false,
						   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return false;
	__atomic_fetch_sub(&pvk_evtchn_cpus[s->held_by].nr_held, 1, __ATOMIC_SEQ_CST);
	return true;
}

void pvk_evtchn_end_hold(struct pvk_evtchn_slot *s)
{
	take_hold(s, __atomic_load_n(&s->held_until, __ATOMIC_SEQ_CST));
}

void pvk_evtchn_handle_port(pvk_evtchn_port_t port, unsigned int cpu)
{
	struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);
	pvk_evtchn_handler_t handler;

	PVK_WRITE_ONCE(c->dispatching, port);
	/* A locked instruction (both ABIs): orders the store above before
	 * the read of the handler below (see the top of the file). */
	pvk_evtchn_mask(port);
	pvk_evtchn_clear(port);
	handler = s ? PVK_READ_ONCE(s->handler) : NULL;
	if (!handler) {
		/* Nobody bound it: leave it masked so it cannot come back. */
		c->stats.unhandled++;
		goto out;
	}
	c->stats.dispatched++;
	if (handler(port, PVK_READ_ONCE(s->arg))) {
		s->spurious_run = 0;
	} else {
		c->stats.spurious++;
		if (++s->spurious_run >= PVK_EVTCHN_FLOOD_LIMIT) {
			flood(port, s, cpu);
			goto out;
		}
	}
	/* The handler may have closed or rebound the port. */
	if (PVK_READ_ONCE(s->handler) == handler)
		pvk_evtchn_unmask(port);
out:
	__atomic_store_n(&c->dispatching, PVK_EVTCHN_NONE, __ATOMIC_RELEASE);
}

/* Bounded, like every wait of the kit: a handler that runs this long is
 * a bug of its own, logged, and the caller is told (-ETIMEDOUT): the old
 * handler's arg is still in use, so it must keep it. */
#define DISPATCH_WAIT_NS	(1000ULL * 1000 * 1000)
#define DISPATCH_WAIT_SPINS	(1UL << 28)	/* without a clock */

int pvk_evtchn_wait_dispatch_end(pvk_evtchn_port_t port)
{
	unsigned int self = pvk_port_cpu_id();
	uint64_t start = pvk_time_now_ns();

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		unsigned long spins = 0;

		if (cpu == self)
			continue;	/* the handler itself may close its port */
		while (__atomic_load_n(&pvk_evtchn_cpus[cpu].dispatching,
				       __ATOMIC_ACQUIRE) == port) {
			__asm__ __volatile__("pause" ::: "memory");
			if (++spins < DISPATCH_WAIT_SPINS &&
			    (!start || pvk_time_now_ns() - start < DISPATCH_WAIT_NS))
				continue;
			pvk_err("evtchn: port %u: its handler still runs on CPU %u after 1 s: the change is refused (-ETIMEDOUT), the old handler and arg stay",
				port, cpu);
			return -PVK_XEN_ETIMEDOUT;
		}
	}
	return 0;
}

bool pvk_evtchn_dispatched(pvk_evtchn_port_t port)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		if (__atomic_load_n(&pvk_evtchn_cpus[cpu].dispatching,
				    __ATOMIC_ACQUIRE) == port)
			return true;
	return false;
}

/* Unmasks every port this CPU holds whose hold-off ended by due_by, then
 * arms its kit timer for the earliest hold-off left. */
static void release_until(unsigned int cpu, uint64_t due_by)
{
	struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];
	uint64_t next = 0;
	unsigned int seen = 0, held = PVK_READ_ONCE(c->nr_held);

	/* Only the pages of slots that exist; stop once every held port was
	 * seen (most of the table is usually free). */
	for (size_t pg = 0; pg < PVK_EVTCHN_SLOT_PAGES && seen < held; pg++) {
		struct pvk_evtchn_slot *slots = PVK_READ_ONCE(pvk_evtchn_slot_pages[pg]);

		if (!slots)
			continue;
		for (size_t i = 0; i < PVK_EVTCHN_SLOTS_PER_PAGE && seen < held; i++) {
			struct pvk_evtchn_slot *s = &slots[i];
			uint64_t until = PVK_READ_ONCE(s->held_until);

			if (!until || s->held_by != cpu)
				continue;
			seen++;
			if (due_by < until) {
				if (!next || until < next)
					next = until;
				continue;
			}
			if (!take_hold(s, until))
				continue;	/* set_handler() ended it */
			c->stats.released++;
			if (PVK_READ_ONCE(s->handler))
				pvk_evtchn_unmask((pvk_evtchn_port_t)(pg * PVK_EVTCHN_SLOTS_PER_PAGE + i));
		}
	}
	if (next)
		release_timer_arm(c, next);
}

/* cpu is going down: its kit timer is gone (pvk_time_cpu_dead()), so
 * nobody would end its hold-offs. Each one ends now (a port moved to
 * CPU 0 by then is unmasked if it still has a handler: a flood that goes
 * on is held again there; a port pinned to cpu stays masked), and the CPU starts again with no release
 * armed: a stale release_at would keep a later flood there from arming
 * the timer. */
void pvk_evtchn_release_cpu(unsigned int cpu)
{
	struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];

	for (size_t pg = 0; pg < PVK_EVTCHN_SLOT_PAGES && PVK_READ_ONCE(c->nr_held); pg++) {
		struct pvk_evtchn_slot *slots = PVK_READ_ONCE(pvk_evtchn_slot_pages[pg]);

		if (!slots)
			continue;
		for (size_t i = 0; i < PVK_EVTCHN_SLOTS_PER_PAGE; i++) {
			struct pvk_evtchn_slot *s = &slots[i];
			uint64_t until = PVK_READ_ONCE(s->held_until);

			if (!until || s->held_by != cpu || !take_hold(s, until))
				continue;
			c->stats.released++;
			/* Its IPI port and per-vCPU VIRQs stay with it,
			 * masked until it is back (events/cpu.c): their
			 * owner unmasks them then. */
			if (PVK_READ_ONCE(s->handler) &&
			    !(PVK_READ_ONCE(s->flags) & PVK_EVTCHN_SLOT_PINNED))
				pvk_evtchn_unmask((pvk_evtchn_port_t)(pg * PVK_EVTCHN_SLOTS_PER_PAGE + i));
		}
	}
	c->release_at = 0;
	c->release_by_upcall = false;
}

/* The kit timer's expiry (upcall context, on the CPU that armed it). */
static void release_held(void *arg)
{
	unsigned int cpu = pvk_port_cpu_id();
	struct pvk_evtchn_cpu *c = &pvk_evtchn_cpus[cpu];
	uint64_t now = pvk_time_now_ns(), armed_for = c->release_at;

	(void)arg;
	c->release_at = 0;
	release_until(cpu, now > armed_for ? now : armed_for);
}

void pvk_evtchn_do_upcall(void)
{
	unsigned int cpu;
	struct pvk_evtchn_cpu *c;

	if (!pvk_evtchn_si)
		return;
	cpu = pvk_port_cpu_id();
	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("evtchn: upcall on a CPU beyond PVK_MAX_CPUS (pvk_port_cpu_id())");
	c = &pvk_evtchn_cpus[cpu];
	c->stats.upcalls++;
	pvk_evtchn_abi->scan(cpu);
	if (c->nr_held && c->release_by_upcall)
		release_until(cpu, pvk_time_now_ns());
}

void pvk_evtchn_get_stats(struct pvk_evtchn_stats *out)
{
	*out = (struct pvk_evtchn_stats){ 0 };
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		const struct pvk_evtchn_stats *s = &pvk_evtchn_cpus[cpu].stats;

		out->upcalls += PVK_READ_ONCE(s->upcalls);
		out->dispatched += PVK_READ_ONCE(s->dispatched);
		out->unhandled += PVK_READ_ONCE(s->unhandled);
		out->spurious += PVK_READ_ONCE(s->spurious);
		out->floods += PVK_READ_ONCE(s->floods);
		out->released += PVK_READ_ONCE(s->released);
		out->bad_queue += PVK_READ_ONCE(s->bad_queue);
	}
}

int pvk_evtchn_get_stats_cpu(unsigned int cpu, struct pvk_evtchn_stats *out)
{
	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	*out = pvk_evtchn_cpus[cpu].stats;
	return 0;
}
