/*
 * events/dispatch.c - pvk_evtchn_do_upcall(): from "an event is pending" to
 * the handlers, with flood protection.
 *
 * The ABI's scan (evtchn_2l.c, evtchn_fifo.c; vCPU 0 only, the kit does
 * not bring up other vCPUs yet) finds the pending, unmasked ports; each
 * one is handled here: mask, clear pending, run the handler, unmask.
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
 * The timer may fire by Xen's clock a little before ours reaches the
 * deadline (time/oneshot.c), so a release counts the deadline it was armed
 * for as passed.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>

#include "evtchn_internal.h"

struct pvk_evtchn_stats pvk_evtchn_counters;
unsigned int pvk_evtchn_nr_held;
static uint64_t release_at;	/* the kit timer's deadline, 0: not armed */
static bool release_by_upcall;	/* no kit timer: the upcall releases */
static bool warned_no_timer;

static void release_held(void *arg);

/* Arms the kit's timer for deadline unless it is armed for earlier. */
static void release_timer_arm(uint64_t deadline)
{
	int rc;

	if (release_at && release_at <= deadline)
		return;
	rc = pvk_time_kit_timer_set(deadline, release_held, NULL);
	release_by_upcall = rc != 0;
	if (!rc) {
		release_at = deadline;
		return;
	}
	if (!warned_no_timer)
		pvk_warn("evtchn: no kit timer (%d: pvk_time_timer_init() not called?): held ports are released by the next upcall after their hold-off",
			 rc);
	warned_no_timer = true;
}

static void flood(pvk_evtchn_port_t port, struct pvk_evtchn_slot *s)
{
	s->spurious_run = 0;
	s->held_until = pvk_time_now_ns() + PVK_EVTCHN_FLOOD_HOLDOFF_NS;
	if (!s->held_until)
		s->held_until = 1;	/* no clock yet: released next upcall */
	pvk_evtchn_nr_held++;
	pvk_evtchn_counters.floods++;
	pvk_warn("evtchn: port %u flooding (%u events without work), held masked for %llu us",
		 port, PVK_EVTCHN_FLOOD_LIMIT,
		 (unsigned long long)(PVK_EVTCHN_FLOOD_HOLDOFF_NS / 1000));
	release_timer_arm(s->held_until);
}

void pvk_evtchn_handle_port(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);
	pvk_evtchn_handler_t handler;

	pvk_evtchn_mask(port);
	pvk_evtchn_clear(port);
	handler = s ? PVK_READ_ONCE(s->handler) : NULL;
	if (!handler) {
		/* Nobody bound it: leave it masked so it cannot come back. */
		pvk_evtchn_counters.unhandled++;
		return;
	}
	pvk_evtchn_counters.dispatched++;
	if (handler(port, s->arg)) {
		s->spurious_run = 0;
	} else {
		pvk_evtchn_counters.spurious++;
		if (++s->spurious_run >= PVK_EVTCHN_FLOOD_LIMIT) {
			flood(port, s);
			return;
		}
	}
	/* The handler may have closed or rebound the port. */
	if (PVK_READ_ONCE(s->handler) == handler)
		pvk_evtchn_unmask(port);
}

/* Unmasks every held port whose hold-off ended by due_by, then arms the
 * kit timer for the earliest hold-off left. */
static void release_until(uint64_t due_by)
{
	uint64_t next = 0;
	unsigned int seen = 0, held = pvk_evtchn_nr_held;

	/* Only the pages of slots that exist; stop once every held port was
	 * seen (most of the table is usually free). */
	for (size_t pg = 0; pg < PVK_EVTCHN_SLOT_PAGES && seen < held; pg++) {
		struct pvk_evtchn_slot *slots = pvk_evtchn_slot_pages[pg];

		if (!slots)
			continue;
		for (size_t i = 0; i < PVK_EVTCHN_SLOTS_PER_PAGE && seen < held; i++) {
			struct pvk_evtchn_slot *s = &slots[i];

			if (!s->held_until)
				continue;
			seen++;
			if (due_by < s->held_until) {
				if (!next || s->held_until < next)
					next = s->held_until;
				continue;
			}
			s->held_until = 0;
			pvk_evtchn_nr_held--;
			pvk_evtchn_counters.released++;
			if (s->handler)
				pvk_evtchn_unmask((pvk_evtchn_port_t)(pg * PVK_EVTCHN_SLOTS_PER_PAGE + i));
		}
	}
	if (next)
		release_timer_arm(next);
}

/* The kit timer's expiry (upcall context). */
static void release_held(void *arg)
{
	uint64_t now = pvk_time_now_ns(), armed_for = release_at;

	(void)arg;
	release_at = 0;
	release_until(now > armed_for ? now : armed_for);
}

void pvk_evtchn_do_upcall(void)
{
	if (!pvk_evtchn_si)
		return;
	pvk_evtchn_counters.upcalls++;
	pvk_evtchn_abi->scan();
	if (pvk_evtchn_nr_held && release_by_upcall)
		release_until(pvk_time_now_ns());
}
