/*
 * events/evtchn_resume.c - the event channel state after a resume in a new
 * domain (suspend/), and the VIRQs and IPIs the kit binds again there.
 *
 * A restored domain has no event channel at all: Xen and the toolstack
 * bound only start_info's xenstore and console ports, under numbers that
 * may differ from the old ones. So every record of the port table is
 * forgotten (the pages of slots stay), the per-CPU dispatch state and the
 * 2-level CPU sets start over, and on FIFO the control block and event
 * array pages are given to Xen again (evtchn_fifo.c). Each port that was
 * ours keeps one mark, stale: evtchn.c refuses to close, unmask, send to
 * or set a handler on such a number until a bind hands it out again, so
 * an owner that kept an old number cannot act on a port of the new
 * domain that nobody gave it (events.h, "After a resume"). Runs on CPU 0
 * with upcalls masked, nothing else running.
 *
 * The VIRQs and IPIs bound through pvk_evtchn_bind_virq() and
 * pvk_evtchn_bind_ipi() are remembered here (kind, virq, vCPU, handler,
 * arg, port) until closed. At the resume each one on vCPU 0 becomes due;
 * one on another vCPU is dropped (that vCPU was down across the suspend,
 * and its owner binds afresh when it starts it again, as time/ and smp/
 * do). The kit's own parts bind theirs again first (time/: VIRQ_TIMER,
 * smp/: CPU 0's IPI); a bind with the same kind, virq, vCPU, handler and
 * arg as a due record is that record bound again. pvk_evtchn_rebind_all()
 * then binds every record still due, with its handler and arg, and keeps
 * the number each had before, for its owner to look up
 * (pvk_evtchn_resumed_port()).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

/* Enough for the kit's per-CPU ports of a few CPUs and a host's VIRQs. */
#define MAX_REBIND	(2 * PVK_MAX_CPUS + 32)

enum { R_FREE = 0, R_LIVE, R_DUE };

struct rebind {
	pvk_evtchn_handler_t handler;
	void *arg;
	pvk_evtchn_port_t port;		/* its number now */
	pvk_evtchn_port_t old_port;	/* before the last resume (has_old) */
	uint16_t vcpu;
	uint8_t kind, virq, state;
	bool has_old;
};

static struct rebind records[MAX_REBIND];
static bool warned_full;

void pvk_evtchn_rebind_note(uint8_t kind, unsigned int virq, unsigned int vcpu,
			    pvk_evtchn_handler_t handler, void *arg,
			    pvk_evtchn_port_t port)
{
	struct rebind *free = NULL;
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);

	pvk_port_lock(&pvk_evtchn_bind_lock);
	/* bound() dropped the bind lock: another CPU may have closed the
	 * port since (its close cleared the handler, then the flags, then
	 * forgot the record). A record of a closed port would bind its VIRQ
	 * again at the next resume with a handler its owner may have freed. */
	if (!s || !(s->flags & PVK_EVTCHN_SLOT_BOUND) || s->handler != handler ||
	    s->arg != arg) {
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		return;
	}
	for (unsigned int i = 0; i < MAX_REBIND; i++) {
		struct rebind *r = &records[i];

		if (r->state == R_DUE && r->kind == kind && r->virq == virq &&
		    r->vcpu == vcpu && r->handler == handler && r->arg == arg) {
			/* Its owner bound it again itself. */
			r->port = port;
			r->has_old = true;
			r->state = R_LIVE;
			pvk_port_unlock(&pvk_evtchn_bind_lock);
			return;
		}
		if (r->state == R_FREE && !free)
			free = r;
	}
	if (free) {
		*free = (struct rebind){
			.handler = handler, .arg = arg, .port = port,
			.vcpu = (uint16_t)vcpu, .kind = kind, .virq = (uint8_t)virq,
			.state = R_LIVE,
		};
	}
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	if (!free && !warned_full) {
		warned_full = true;
		pvk_warn("evtchn: more than %u VIRQs and IPIs bound: port %u is not bound again after a resume",
			 MAX_REBIND, port);
	}
}

void pvk_evtchn_rebind_forget(pvk_evtchn_port_t port)
{
	pvk_port_lock(&pvk_evtchn_bind_lock);
	for (unsigned int i = 0; i < MAX_REBIND; i++) {
		if (records[i].state == R_LIVE && records[i].port == port) {
			records[i].state = R_FREE;
			break;
		}
	}
	pvk_port_unlock(&pvk_evtchn_bind_lock);
}

int pvk_evtchn_resume(const pvk_evtchn_port_t *given, unsigned int nr_given)
{
	struct pvk_shared_info *si = pvk_evtchn_si;
	int rc = 0;

	if (!si)
		return -PVK_XEN_ENODEV;
	/* The toolstack masked every port of the new shared_info already;
	 * we do not rely on it. */
	pvk_evtchn_forget_all(si, true);
	/* The toolstack's ports are the new domain's, whatever number they
	 * had before. */
	for (unsigned int i = 0; i < nr_given; i++) {
		struct pvk_evtchn_slot *s = pvk_evtchn_slot(given[i]);

		if (s)
			s->flags = 0;
	}
	for (unsigned int i = 0; i < MAX_REBIND; i++) {
		struct rebind *r = &records[i];

		r->has_old = false;
		if (r->state != R_LIVE)
			continue;
		if (r->vcpu) {
			r->state = R_FREE;
			continue;
		}
		r->old_port = r->port;
		r->state = R_DUE;
	}
#ifdef CONFIG_PVK_EVTCHN_FIFO
	if (pvk_evtchn_abi == &pvk_evtchn_fifo)
		rc = pvk_evtchn_fifo_resume();
#endif
	return rc;
}

int pvk_evtchn_rebind_all(void)
{
	int failed = 0;

	for (unsigned int i = 0; i < MAX_REBIND; i++) {
		struct rebind *r = &records[i];
		pvk_evtchn_port_t port;
		int rc;

		if (r->state != R_DUE)
			continue;
		/* The bind finds r due and fills it in (rebind_note()). */
		if (r->kind == PVK_EVTCHN_REBIND_VIRQ)
			rc = pvk_evtchn_bind_virq(r->virq, r->vcpu, r->handler, r->arg, &port);
		else
			rc = pvk_evtchn_bind_ipi(r->vcpu, r->handler, r->arg, &port);
		if (rc) {
			pvk_err("evtchn: resume: %s %u of vCPU %u (port %u before) not bound again: %d",
				r->kind == PVK_EVTCHN_REBIND_VIRQ ? "VIRQ" : "IPI",
				r->virq, r->vcpu, r->old_port, rc);
			r->state = R_FREE;
			failed++;
			continue;
		}
		pvk_info("evtchn: resume: %s %u of vCPU %u bound again: port %u, was %u",
			 r->kind == PVK_EVTCHN_REBIND_VIRQ ? "VIRQ" : "IPI",
			 r->virq, r->vcpu, port, r->old_port);
	}
	return failed;
}

int pvk_evtchn_resumed_port(pvk_evtchn_port_t old, pvk_evtchn_port_t *now)
{
	int rc = -PVK_XEN_ENOENT;

	pvk_port_lock(&pvk_evtchn_bind_lock);
	for (unsigned int i = 0; i < MAX_REBIND; i++) {
		if (records[i].state == R_LIVE && records[i].has_old &&
		    records[i].old_port == old) {
			*now = records[i].port;
			rc = 0;
			break;
		}
	}
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	return rc;
}
