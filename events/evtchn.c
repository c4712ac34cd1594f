/*
 * events/evtchn.c - event channel ports: bind, close, mask, unmask, send,
 * and the choice of ABI at start of day.
 *
 * pvk_evtchn_init() masks every 2-level port, then (CONFIG_PVK_EVTCHN_FIFO,
 * unless the host passed PVK_EVTCHN_NO_FIFO) asks Xen for the FIFO ABI (evtchn_fifo.c) and keeps the 2-level one
 * (evtchn_2l.c) when Xen refuses or lacks it. Everything below goes
 * through the chosen ABI's operations.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

struct pvk_shared_info *pvk_evtchn_si;
struct pvk_evtchn_slot pvk_evtchn_slots[PVK_EVTCHN_NR];
const struct pvk_evtchn_abi *pvk_evtchn_abi = &pvk_evtchn_2l;

static int check_port(pvk_evtchn_port_t port)
{
	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (port >= PVK_EVTCHN_NR)
		return -PVK_XEN_EINVAL;
	return 0;
}

int pvk_evtchn_init(struct pvk_shared_info *si, unsigned int flags)
{
	if (!si)
		return -PVK_XEN_EINVAL;
	pvk_evtchn_si = si;
	for (size_t i = 0; i < PVK_ARRAY_SIZE(si->evtchn_mask); i++)
		PVK_WRITE_ONCE(si->evtchn_mask[i], ~(pvk_xen_ulong_t)0);
	__builtin_memset(pvk_evtchn_slots, 0, sizeof(pvk_evtchn_slots));
	pvk_evtchn_nr_held = 0;
	pvk_evtchn_abi = &pvk_evtchn_2l;
#ifdef CONFIG_PVK_EVTCHN_FIFO
	if (!(flags & PVK_EVTCHN_NO_FIFO) && !pvk_evtchn_fifo_init())
		pvk_evtchn_abi = &pvk_evtchn_fifo;
#else
	(void)flags;
#endif
	pvk_info("evtchn: %s ABI", pvk_evtchn_abi->name);
	return 0;
}

const char *pvk_evtchn_abi_name(void)
{
	return pvk_evtchn_abi->name;
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

int pvk_evtchn_set_handler(pvk_evtchn_port_t port,
			   pvk_evtchn_handler_t handler, void *arg)
{
	struct pvk_evtchn_slot *s;
	int rc = check_port(port);

	if (rc)
		return rc;
	s = &pvk_evtchn_slots[port];
	pvk_evtchn_mask(port);
	/* Masked, so the upcall cannot see a half-written slot. */
	PVK_WRITE_ONCE(s->handler, NULL);
	pvk_barrier();
	s->arg = arg;
	s->spurious_run = 0;
	if (s->held_until)
		pvk_evtchn_nr_held--;
	s->held_until = 0;
	pvk_barrier();
	PVK_WRITE_ONCE(s->handler, handler);
	if (handler)
		pvk_evtchn_unmask(port);
	return 0;
}

/* Common tail of the bind calls: a fresh port, rc from the hypercall. */
static int bound(long rc, pvk_evtchn_port_t got, pvk_evtchn_handler_t handler,
		 void *arg, pvk_evtchn_port_t *port, const char *what)
{
	if (rc) {
		pvk_err("evtchn: %s failed: %ld", what, rc);
		return (int)rc;
	}
	if (got >= PVK_EVTCHN_NR) {
		/* Only the FIFO ABI has ports this high; we never asked. */
		pvk_err("evtchn: %s gave port %u beyond the 2-level ABI", what, got);
		return -PVK_XEN_ERANGE;
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
