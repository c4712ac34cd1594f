/*
 * ports/linux/events.c - pvkit/events.h's frontend calls on Linux's event
 * channels: pvk_evtchn_alloc_unbound(), _send() and _close().
 *
 * Each port the kit allocates is bound to a Linux irq with the "late EOI"
 * variant (Linux's XSA-391 defence, the same idea as the kit's flood
 * hold-off): the port stays masked until the kit's handler returned, and a
 * handler that found no work reports the event as spurious, so a backend
 * that floods us is throttled by Linux. The kit's handler runs as the
 * Linux hard-irq handler: that is the kit's "event handler context".
 * The kit's call has no name for the irq: it is named after the xenbus
 * device whose callback allocates it, and renamed with its queue once the
 * driver publishes it (port_linux.h).
 *
 * Unlike the kit's own (port.h: any kit call may run with irqs off unless
 * its comment says otherwise), pvk_evtchn_alloc_unbound() and _close()
 * here sleep (GFP_KERNEL, request_irq, free_irq): thread context only.
 * The frontends call them from their xenbus callbacks and release paths,
 * which are thread context on Linux.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/interrupt.h>
#include <linux/string.h>
#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <asm/xen/hypercall.h>

#include <pvkit/events.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "port_linux.h"

/* One port of ours and the Linux irq it is bound to. */
struct pvk_linux_evtchn {
	struct list_head link;
	pvk_evtchn_port_t port;
	int irq;
	pvk_evtchn_handler_t handler;
	void *arg;
	/* The irq's name (Linux keeps this pointer): see port_linux.h. */
	char name[PVK_LINUX_IRQ_NAME_MAX];
};

/* Binding and closing sleep (request_irq, free_irq): a mutex guards the list. */
static LIST_HEAD(bound_ports);
static DEFINE_MUTEX(bound_lock);

/*
 * The irq is ours alone, so it was handled either way: IRQ_NONE would let
 * Linux's "nobody cared" logic disable it for good, where the kit's rule
 * (and Linux's own Xen drivers') is to slow a flooding port down, which
 * the spurious EOI does.
 */
static irqreturn_t evtchn_irq(int irq, void *dev_id)
{
	struct pvk_linux_evtchn *e = dev_id;
	bool work = e->handler(e->port, e->arg);

	xen_irq_lateeoi(irq, work ? 0 : XEN_EOI_FLAG_SPURIOUS);
	return IRQ_HANDLED;
}

int pvk_evtchn_alloc_unbound(pvk_domid_t remote_dom, pvk_evtchn_handler_t handler,
			     void *arg, pvk_evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote_dom };
	struct pvk_linux_evtchn *e;
	int rc;

	if (!handler)
		return -PVK_XEN_EINVAL;	/* the frontends always have one */
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -PVK_XEN_ENOMEM;
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
	if (rc) {
		pvk_err("evtchn: alloc_unbound for domain %u failed (%d)",
			(unsigned int)remote_dom, rc);
		kfree(e);
		return rc;
	}
	e->port = op.port;
	e->handler = handler;
	e->arg = arg;
	pvk_linux_xenbus_irq_name(e->name, sizeof(e->name));
	/*
	 * Two steps, so we know who closes the port on failure. A failed
	 * bind may already have closed it (Linux does when its irq record
	 * cannot be set up) or not (no irq left): closing it again could
	 * close a number another driver was given meanwhile, so the port
	 * is left alone, at worst one unbound port reserved until the
	 * domain ends. Once bound, Linux owns the port: undoing the bind
	 * (evtchn_put of a binding made counted, the one exported undo
	 * without a handler) closes it, once.
	 */
	rc = bind_evtchn_to_irq_lateeoi(op.port);
	if (rc < 0) {
		pvk_err("evtchn: binding port %u to an irq failed (%d): port left to Linux",
			op.port, rc);
		kfree(e);
		return rc;
	}
	e->irq = rc;
	/* The handler may run as soon as this returns: e is complete. */
	rc = request_irq(e->irq, evtchn_irq, 0, e->name, e);
	if (rc) {
		pvk_err("evtchn: request_irq for port %u (irq %d) failed (%d)", op.port, e->irq, rc);
		if (!WARN_ON(evtchn_make_refcounted(op.port)))
			evtchn_put(op.port);
		kfree(e);
		return rc;
	}
	mutex_lock(&bound_lock);
	list_add(&e->link, &bound_ports);
	mutex_unlock(&bound_lock);
	*port = op.port;
	return 0;
}

/*
 * The final name, once the driver published the port (xenbus.c). Linux
 * reads the name through the pointer it was given, without our lock: the
 * new one is written in place, its last byte always NUL, so a reader of
 * /proc/interrupts at that moment sees at worst a mix of the two names,
 * never past the buffer. (/proc/irq/N/ keeps the directory named at bind.)
 */
void pvk_linux_evtchn_rename(unsigned int port, const char *name)
{
	struct pvk_linux_evtchn *e;

	mutex_lock(&bound_lock);
	list_for_each_entry(e, &bound_ports, link) {
		if (e->port == port) {
			strscpy(e->name, name, sizeof(e->name));
			break;
		}
	}
	mutex_unlock(&bound_lock);
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	struct evtchn_send op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

/*
 * unbind_from_irqhandler() is free_irq(), which waits for a handler still
 * running on another CPU, then closes the port: on return nothing of the
 * kit's arg is in use. Thread context (it sleeps), as the kit's close is.
 */
int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	struct pvk_linux_evtchn *e, *found = NULL;

	mutex_lock(&bound_lock);
	list_for_each_entry(e, &bound_ports, link) {
		if (e->port == port) {
			found = e;
			list_del(&e->link);
			break;
		}
	}
	mutex_unlock(&bound_lock);
	if (!found) {
		pvk_warn("evtchn: close of port %u, which is not ours", port);
		return -PVK_XEN_EINVAL;
	}
	unbind_from_irqhandler(found->irq, found);
	kfree(found);
	return 0;
}

/* Module unload: ports the frontends left bound (their bug) are reported
 * and closed, so no handler into unloaded code stays behind. */
void pvk_linux_events_exit(void)
{
	struct pvk_linux_evtchn *e, *next;

	list_for_each_entry_safe(e, next, &bound_ports, link) {
		pvk_err("evtchn: port %u still bound at unload: closing it", e->port);
		list_del(&e->link);
		unbind_from_irqhandler(e->irq, e);
		kfree(e);
	}
}
