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
 * PVK_EVTCHN_FLOOD_HOLDOFF_NS, counted and logged; held ports are released
 * by the first upcall after their hold-off (any event: the timer tick of a
 * running kernel is enough), so a flooding peer costs at most one handler
 * call per hold-off period.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>

#include "evtchn_internal.h"

struct pvk_evtchn_stats pvk_evtchn_counters;
unsigned int pvk_evtchn_nr_held;

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
}

void pvk_evtchn_handle_port(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_slot *s = &pvk_evtchn_slots[port];
	pvk_evtchn_handler_t handler;

	pvk_evtchn_mask(port);
	pvk_evtchn_clear(port);
	handler = PVK_READ_ONCE(s->handler);
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

static void release_held(void)
{
	uint64_t now = pvk_time_now_ns();

	for (pvk_evtchn_port_t p = 0; p < PVK_EVTCHN_NR && pvk_evtchn_nr_held; p++) {
		struct pvk_evtchn_slot *s = &pvk_evtchn_slots[p];

		if (!s->held_until || now < s->held_until)
			continue;
		s->held_until = 0;
		pvk_evtchn_nr_held--;
		if (s->handler)
			pvk_evtchn_unmask(p);
	}
}

void pvk_evtchn_do_upcall(void)
{
	if (!pvk_evtchn_si)
		return;
	pvk_evtchn_counters.upcalls++;
	pvk_evtchn_abi->scan();
	if (pvk_evtchn_nr_held)
		release_held();
}
