/*
 * events/evtchn.c - event channel ports: bind, close, mask, unmask, send,
 * the port table, and the choice of ABI at start of day.
 *
 * pvk_evtchn_init() masks every 2-level port, then (CONFIG_PVK_EVTCHN_FIFO,
 * unless the host passed PVK_EVTCHN_NO_FIFO) asks Xen for the FIFO ABI
 * (evtchn_fifo.c) and keeps the 2-level one (evtchn_2l.c) when Xen refuses
 * or lacks it. Everything below goes through the chosen ABI's operations.
 *
 * Binding: Xen allocates the port; only then do we learn its number and can
 * make it usable: its slot in the port table (a page of slots may be
 * needed) and, on FIFO, its event word (the event array may have to grow).
 * Either can fail (no memory, Xen refuses a page); the port is then closed
 * in Xen again before the error is returned, so a failed bind never leaves
 * a port behind. Xen running out of ports (ENOSPC) is reported with the
 * ABI's limit, as the domain's own limit (max_event_channels) may be what
 * was reached instead.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

struct pvk_shared_info *pvk_evtchn_si;
struct pvk_evtchn_slot *pvk_evtchn_slot_pages[PVK_EVTCHN_SLOT_PAGES];
const struct pvk_evtchn_abi *pvk_evtchn_abi = &pvk_evtchn_2l;
struct pvk_lock pvk_evtchn_bind_lock;

static int check_port(pvk_evtchn_port_t port)
{
	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (port >= pvk_evtchn_abi->nr_ports)
		return -PVK_XEN_EINVAL;
	return 0;
}

/* Every port masked in si and every handler forgotten (the pages stay for
 * the ports to come): at init, and at resume in a new domain, where each
 * port that was ours keeps only the mark that its number is stale. */
void pvk_evtchn_forget_all(struct pvk_shared_info *si, bool resume)
{
	for (size_t i = 0; i < PVK_ARRAY_SIZE(si->evtchn_mask); i++)
		PVK_WRITE_ONCE(si->evtchn_mask[i], ~(pvk_xen_ulong_t)0);
	for (size_t i = 0; i < PVK_EVTCHN_SLOT_PAGES; i++) {
		struct pvk_evtchn_slot *page = pvk_evtchn_slot_pages[i];

		if (!page)
			continue;
		for (size_t j = 0; j < PVK_EVTCHN_SLOTS_PER_PAGE; j++) {
			bool ours = page[j].flags &
				    (PVK_EVTCHN_SLOT_BOUND | PVK_EVTCHN_SLOT_STALE);

			__builtin_memset(&page[j], 0, sizeof(page[j]));
			if (resume && ours)
				page[j].flags = PVK_EVTCHN_SLOT_STALE;
		}
	}
	pvk_evtchn_dispatch_reset();
	pvk_evtchn_2l_reset_cpus();
}

/*
 * A port number of before a resume in a new domain that no bind gave us
 * again (events.h, "After a resume"): refused, so that it never acts on
 * whatever the new domain may bind under that number later. Logged (the
 * first few: an owner that kept its old number usually keeps using it).
 */
static unsigned int stale_refusals;

static int check_live(pvk_evtchn_port_t port, const char *what)
{
	struct pvk_evtchn_slot *s;
	int rc = check_port(port);

	if (rc)
		return rc;
	s = pvk_evtchn_slot(port);
	if (!s || !(PVK_READ_ONCE(s->flags) & PVK_EVTCHN_SLOT_STALE))
		return 0;
	if (__atomic_fetch_add(&stale_refusals, 1, __ATOMIC_RELAXED) < 16)
		pvk_err("evtchn: %s of port %u refused (EBADF): its number is of before the resume in this new domain and nothing bound it again",
			what, port);
	return -PVK_XEN_EBADF;
}

int pvk_evtchn_init(struct pvk_shared_info *si, unsigned int flags)
{
	if (!si)
		return -PVK_XEN_EINVAL;
	pvk_port_lock_init(&pvk_evtchn_bind_lock);
	pvk_evtchn_si = si;
	pvk_evtchn_forget_all(si, false);
	pvk_evtchn_abi = &pvk_evtchn_2l;
#ifdef CONFIG_PVK_EVTCHN_FIFO
	if (!(flags & PVK_EVTCHN_NO_FIFO) && !pvk_evtchn_fifo_init())
		pvk_evtchn_abi = &pvk_evtchn_fifo;
#else
	(void)flags;
#endif
	pvk_info("evtchn: %s ABI (%u ports)", pvk_evtchn_abi->name,
		 pvk_evtchn_abi->nr_ports);
	return 0;
}

const char *pvk_evtchn_abi_name(void)
{
	return pvk_evtchn_abi->name;
}

unsigned int pvk_evtchn_nr_ports(void)
{
	return pvk_evtchn_abi->nr_ports;
}

void pvk_evtchn_mask(pvk_evtchn_port_t port)
{
	if (!check_port(port))
		pvk_evtchn_abi->mask(port);
}

void pvk_evtchn_unmask(pvk_evtchn_port_t port)
{
	if (!check_live(port, "unmask"))
		pvk_evtchn_abi->unmask(port);
}

void pvk_evtchn_clear(pvk_evtchn_port_t port)
{
	if (!check_port(port))
		pvk_evtchn_abi->clear(port);
}

bool pvk_evtchn_is_pending(pvk_evtchn_port_t port)
{
	return !check_port(port) && pvk_evtchn_abi->is_pending(port);
}

bool pvk_evtchn_is_masked(pvk_evtchn_port_t port)
{
	return !check_port(port) && pvk_evtchn_abi->is_masked(port);
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_send op = { .port = port };
	int rc = check_live(port, "send");

	if (rc)
		return rc;
	return (int)pvk_hyp_event_channel_op(PVK_EVTCHNOP_send, &op);
}

int pvk_evtchn_status(pvk_evtchn_port_t port, uint32_t *status)
{
	struct pvk_evtchn_status op = { .dom = PVK_DOMID_SELF, .port = port };
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_status, &op);
	if (!rc)
		*status = op.status;
	return (int)rc;
}

/* Makes port's slot exist (allocating its page of slots) and, through the
 * ABI, its pending and mask state. */
static int setup_port(pvk_evtchn_port_t port)
{
	size_t page = port / PVK_EVTCHN_SLOTS_PER_PAGE;
	int rc = 0;

	if (port >= pvk_evtchn_abi->nr_ports)
		return -PVK_XEN_ERANGE;
	pvk_port_lock(&pvk_evtchn_bind_lock);
	if (!pvk_evtchn_slot_pages[page]) {
		struct pvk_evtchn_slot *slots = pvk_port_alloc_page();

		if (slots) {
			__builtin_memset(slots, 0, PVK_PAGE_SIZE);
			/* Zeroed before the upcall can see the page. */
			pvk_barrier();
			PVK_WRITE_ONCE(pvk_evtchn_slot_pages[page], slots);
		} else {
			rc = -PVK_XEN_ENOMEM;
		}
	}
	if (!rc)
		rc = pvk_evtchn_abi->setup_port(port);
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	return rc;
}

/*
 * Records port as ours and delivered to cpu (bind lock held): the ports
 * Xen just bound, and those the host got elsewhere (on vCPU 0, Xen's
 * default). A port we know keeps its record.
 */
static void mark_bound(pvk_evtchn_port_t port, struct pvk_evtchn_slot *s,
		       unsigned int cpu, uint8_t pinned)
{
	if (s->flags & PVK_EVTCHN_SLOT_BOUND)
		return;
	if (s->cpu != cpu) {
		pvk_evtchn_abi->moved(port, s->cpu, cpu);
		PVK_WRITE_ONCE(s->cpu, (uint8_t)cpu);
	}
	s->flags = PVK_EVTCHN_SLOT_BOUND | pinned;
}

/*
 * Handler changes race with the port's dispatch on another CPU: the port
 * is masked and its handler cleared first, then we wait until no other
 * CPU still runs the old handler (dispatch.c), so its arg may be freed
 * once we return; only then is the new pair installed and the port
 * unmasked. The wait is outside the bind lock: the running handler may
 * itself bind or close ports.
 *
 * A wait that times out (a handler running for a second) refuses the
 * change: the old handler is put back (its arg was never touched), the
 * port unmasked again if it was unmasked before and is not held as
 * flooding, and -ETIMEDOUT tells the caller the arg is still in
 * use. Two changes of one port at once: the second may find the handler
 * already cleared and install its pair while the first still waits; the
 * first then finds a handler again where it left none, so it clears and
 * waits once more before writing its own arg: a dispatch never pairs one
 * caller's handler with the other's arg. The last to install wins.
 */
#define SET_HANDLER_TRIES	8
static int set_handler_on(pvk_evtchn_port_t port, pvk_evtchn_handler_t handler,
			  void *arg, unsigned int cpu, uint8_t pinned)
{
	struct pvk_evtchn_slot *s;
	pvk_evtchn_handler_t old;
	bool was_masked, dispatched;
	int rc = check_live(port, handler ? "set_handler" : "close or set_handler(NULL)");

	if (rc)
		return rc;
	s = pvk_evtchn_slot(port);
	if (!s && handler) {
		/* A port bound by someone else (start_info's): make it usable. */
		rc = setup_port(port);
		if (rc)
			return rc;
		s = pvk_evtchn_slot(port);
	}
	if (!s) {
		pvk_evtchn_mask(port);
		return 0;	/* never had a handler: nothing to forget */
	}
	/* Whether someone else (the host, a flood hold) wants it masked:
	 * a refused change must not undo that. A mask that is a running
	 * dispatch's does not count: that dispatch unmasks only if it still
	 * finds its handler, which it may not when it ends before the old
	 * handler is put back (handle_port() stores `dispatching` before
	 * it masks, so its mask seen here comes with the port named).
	 * Named before or after the mask is read: a dispatch that ends
	 * (unmask, then `dispatching` cleared) between the two reads is
	 * seen by the first, one that starts between them by the second. */
	dispatched = pvk_evtchn_dispatched(port);
	was_masked = pvk_evtchn_abi->test_and_mask(port);
	was_masked = was_masked && !dispatched && !pvk_evtchn_dispatched(port);
	for (unsigned int tries = 0;; tries++) {
		pvk_evtchn_mask(port);
		pvk_port_lock(&pvk_evtchn_bind_lock);
		old = s->handler;
		/* Masked, so no new dispatch; a running one is waited for
		 * below. */
		PVK_WRITE_ONCE(s->handler, NULL);
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		if (old && pvk_evtchn_wait_dispatch_end(port)) {
			pvk_port_lock(&pvk_evtchn_bind_lock);
			if (!s->handler)
				PVK_WRITE_ONCE(s->handler, old);
			pvk_port_unlock(&pvk_evtchn_bind_lock);
			/* As relink() does: not during a flood hold-off (its
			 * release unmasks), not if it was masked before. */
			if (!was_masked &&
			    !__atomic_load_n(&s->held_until, __ATOMIC_SEQ_CST))
				pvk_evtchn_unmask(port);
			return -PVK_XEN_ETIMEDOUT;
		}
		pvk_port_lock(&pvk_evtchn_bind_lock);
		if (!s->handler)
			break;		/* still ours to set: bind lock held */
		/* Another change installed its pair meanwhile. */
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		if (tries + 1 == SET_HANDLER_TRIES) {
			pvk_err("evtchn: port %u: its handler changed %u times under one change: refused (-EBUSY)",
				port, SET_HANDLER_TRIES);
			return -PVK_XEN_EBUSY;
		}
	}
	PVK_WRITE_ONCE(s->arg, arg);
	s->spurious_run = 0;
	pvk_evtchn_end_hold(s);
	if (handler)
		mark_bound(port, s, cpu, pinned);
	pvk_barrier();
	PVK_WRITE_ONCE(s->handler, handler);
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	if (handler)
		pvk_evtchn_unmask(port);
	return 0;
}

int pvk_evtchn_set_handler(pvk_evtchn_port_t port,
			   pvk_evtchn_handler_t handler, void *arg)
{
	return set_handler_on(port, handler, arg, 0, 0);
}

/* EVTCHNOP_close only: for a port we never made usable. */
static void close_in_xen(pvk_evtchn_port_t port, const char *what)
{
	struct pvk_evtchn_close op = { .port = port };
	long rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_close, &op);

	if (rc)
		pvk_err("evtchn: %s: closing unusable port %u failed too: %ld",
			what, port, rc);
}

/* Common tail of the bind calls: a fresh port, rc from the hypercall,
 * the vCPU Xen delivers it to and whether it may move. */
static int bound(long rc, pvk_evtchn_port_t got, pvk_evtchn_handler_t handler,
		 void *arg, pvk_evtchn_port_t *port, const char *what,
		 unsigned int cpu, uint8_t pinned)
{
	struct pvk_evtchn_slot *s;

	if (rc == -PVK_XEN_ENOSPC) {
		pvk_err("evtchn: %s: no free port (ENOSPC): the %s ABI has %u ports, the domain's max_event_channels may allow fewer",
			what, pvk_evtchn_abi->name, pvk_evtchn_abi->nr_ports);
		return (int)rc;
	}
	if (rc) {
		pvk_err("evtchn: %s failed: %ld", what, rc);
		return (int)rc;
	}
	rc = setup_port(got);
	if (rc) {
		pvk_err("evtchn: %s: port %u cannot be used (%ld): closed again",
			what, got, rc);
		close_in_xen(got, what);
		return (int)rc;
	}
	/* Recorded even without a handler: the port is ours from now on. */
	s = pvk_evtchn_slot(got);
	pvk_port_lock(&pvk_evtchn_bind_lock);
	s->flags = 0;
	mark_bound(got, s, cpu, pinned);
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	*port = got;
	return set_handler_on(got, handler, arg, cpu, pinned);
}

int pvk_evtchn_bind_virq(unsigned int virq, unsigned int vcpu,
			 pvk_evtchn_handler_t handler, void *arg,
			 pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (vcpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_virq, &op);
	/* Xen binds global VIRQs to vCPU 0 only: one elsewhere is per vCPU
	 * and cannot move. */
	rc = bound(rc, op.port, handler, arg, port, "bind_virq", vcpu,
		   vcpu ? PVK_EVTCHN_SLOT_PINNED : 0);
	if (!rc)
		pvk_evtchn_rebind_note(PVK_EVTCHN_REBIND_VIRQ, virq, vcpu, handler, arg, *port);
	return (int)rc;
}

int pvk_evtchn_bind_ipi(unsigned int vcpu, pvk_evtchn_handler_t handler,
			void *arg, pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_bind_ipi op = { .vcpu = vcpu };
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (vcpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_ipi, &op);
	rc = bound(rc, op.port, handler, arg, port, "bind_ipi", vcpu,
		   PVK_EVTCHN_SLOT_PINNED);
	if (!rc)
		pvk_evtchn_rebind_note(PVK_EVTCHN_REBIND_IPI, 0, vcpu, handler, arg, *port);
	return (int)rc;
}

int pvk_evtchn_bind_interdomain(pvk_domid_t remote_dom,
				pvk_evtchn_port_t remote_port,
				pvk_evtchn_handler_t handler, void *arg,
				pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_bind_interdomain op = {
		.remote_dom = remote_dom,
		.remote_port = remote_port,
	};
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_interdomain, &op);
	return bound(rc, op.local_port, handler, arg, port, "bind_interdomain",
		     0, 0);
}

int pvk_evtchn_alloc_unbound(pvk_domid_t remote_dom,
			     pvk_evtchn_handler_t handler, void *arg,
			     pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_alloc_unbound op = {
		.dom = PVK_DOMID_SELF,
		.remote_dom = remote_dom,
	};
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_alloc_unbound, &op);
	return bound(rc, op.port, handler, arg, port, "alloc_unbound", 0, 0);
}

int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_close op = { .port = port };
	struct pvk_evtchn_slot *s;
	int rc = pvk_evtchn_set_handler(port, NULL, NULL);

	if (rc)
		return rc;
	pvk_evtchn_clear(port);
	rc = (int)pvk_hyp_event_channel_op(PVK_EVTCHNOP_close, &op);
	s = pvk_evtchn_slot(port);
	if (!rc && s) {
		/* Xen delivers the port's next user to vCPU 0 unless told
		 * otherwise: so does our record. */
		pvk_port_lock(&pvk_evtchn_bind_lock);
		if (s->cpu) {
			pvk_evtchn_abi->moved(port, s->cpu, 0);
			PVK_WRITE_ONCE(s->cpu, 0);
		}
		s->flags = 0;
		pvk_port_unlock(&pvk_evtchn_bind_lock);
	}
	if (!rc)
		pvk_evtchn_rebind_forget(port);
	return rc;
}

#ifndef CONFIG_PVK_EVTCHN_FIFO
struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control(void)
{
	return NULL;
}

struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control_cpu(unsigned int cpu)
{
	(void)cpu;
	return NULL;
}

void pvk_evtchn_fifo_drain(unsigned int cpu)
{
	(void)cpu;
}
#endif
