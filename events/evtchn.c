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
/* Serialises the growth of the port table and the FIFO event array. */
static struct pvk_lock setup_lock;

static int check_port(pvk_evtchn_port_t port)
{
	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (port >= pvk_evtchn_abi->nr_ports)
		return -PVK_XEN_EINVAL;
	return 0;
}

int pvk_evtchn_init(struct pvk_shared_info *si, unsigned int flags)
{
	if (!si)
		return -PVK_XEN_EINVAL;
	pvk_port_lock_init(&setup_lock);
	pvk_evtchn_si = si;
	for (size_t i = 0; i < PVK_ARRAY_SIZE(si->evtchn_mask); i++)
		PVK_WRITE_ONCE(si->evtchn_mask[i], ~(pvk_xen_ulong_t)0);
	/* Forget every handler; the pages stay for the ports to come. */
	for (size_t i = 0; i < PVK_EVTCHN_SLOT_PAGES; i++) {
		if (pvk_evtchn_slot_pages[i])
			__builtin_memset(pvk_evtchn_slot_pages[i], 0, PVK_PAGE_SIZE);
	}
	pvk_evtchn_nr_held = 0;
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
	if (!check_port(port))
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
	int rc = check_port(port);

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
	pvk_port_lock(&setup_lock);
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
	pvk_port_unlock(&setup_lock);
	return rc;
}

int pvk_evtchn_set_handler(pvk_evtchn_port_t port,
			   pvk_evtchn_handler_t handler, void *arg)
{
	struct pvk_evtchn_slot *s;
	int rc = check_port(port);

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
	pvk_evtchn_mask(port);
	if (!s)
		return 0;	/* never had a handler: nothing to forget */
	/* Masked, so the upcall cannot see a half-written slot. */
	PVK_WRITE_ONCE(s->handler, NULL);
	pvk_barrier();
	s->arg = arg;
	s->spurious_run = 0;
	/* Upcalls off (the lock masks them): the kit timer's release of a
	 * held port must not run between the test and the clear, or both
	 * would take the port off pvk_evtchn_nr_held. */
	pvk_port_lock(&setup_lock);
	if (s->held_until)
		pvk_evtchn_nr_held--;
	s->held_until = 0;
	pvk_port_unlock(&setup_lock);
	pvk_barrier();
	PVK_WRITE_ONCE(s->handler, handler);
	if (handler)
		pvk_evtchn_unmask(port);
	return 0;
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

/* Common tail of the bind calls: a fresh port, rc from the hypercall. */
static int bound(long rc, pvk_evtchn_port_t got, pvk_evtchn_handler_t handler,
		 void *arg, pvk_evtchn_port_t *port, const char *what)
{
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
	*port = got;
	return pvk_evtchn_set_handler(got, handler, arg);
}

int pvk_evtchn_bind_virq(unsigned int virq, unsigned int vcpu,
			 pvk_evtchn_handler_t handler, void *arg,
			 pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_virq, &op);
	return bound(rc, op.port, handler, arg, port, "bind_virq");
}

int pvk_evtchn_bind_ipi(unsigned int vcpu, pvk_evtchn_handler_t handler,
			void *arg, pvk_evtchn_port_t *port)
{
	struct pvk_evtchn_bind_ipi op = { .vcpu = vcpu };
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_ipi, &op);
	return bound(rc, op.port, handler, arg, port, "bind_ipi");
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
	return bound(rc, op.local_port, handler, arg, port, "bind_interdomain");
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
	return bound(rc, op.port, handler, arg, port, "alloc_unbound");
}

int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_close op = { .port = port };
	int rc = pvk_evtchn_set_handler(port, NULL, NULL);

	if (rc)
		return rc;
	pvk_evtchn_clear(port);
	return (int)pvk_hyp_event_channel_op(PVK_EVTCHNOP_close, &op);
}

void pvk_evtchn_get_stats(struct pvk_evtchn_stats *out)
{
	*out = pvk_evtchn_counters;
}

#ifndef CONFIG_PVK_EVTCHN_FIFO
struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control(void)
{
	return NULL;
}
#endif
