/*
 * pvkit/events.h - event channels: binding, masking, sending, and the
 * upcall that dispatches pending ports to their handlers.
 *
 * Event channels are the PV guest's interrupt controller. The kit keeps one
 * handler per local port; Xen's event callback (events/upcall.S, which
 * hands the host its frame on the way out: pvk_port_irq_exit(), port.h)
 * calls pvk_evtchn_do_upcall(), which finds the pending, unmasked ports and runs
 * their handlers with that port masked (the "EOI" is the unmask after the
 * handler returns). A handler reports whether it found work: a port whose
 * handler keeps finding none is a flood from a misbehaving peer and is held
 * masked for PVK_EVTCHN_FLOOD_HOLDOFF_NS instead of spinning the guest
 * (the late-EOI idea of the XSA-391 fix). Floods are counted and logged.
 *
 * All functions return 0 or a negative Xen errno (PVK_XEN_E*). The FIFO
 * ABI is used when Xen offers it (CONFIG_PVK_EVTCHN_FIFO), else the 2-level
 * one. Ports go up to the ABI's limit (pvk_evtchn_nr_ports(): 4,096 for
 * 2-level, 131,072 for FIFO) or the domain's (the toolstack's
 * max_event_channels, 1,023 by default with xl), whichever is lower: a bind
 * beyond it fails with -PVK_XEN_ENOSPC and a log line naming the ABI's
 * limit. The kit's port table and the FIFO event array grow with the ports
 * bound (a page of 128 handler slots, a page of 1,024 event words, each
 * from pvk_port_alloc_page() and kept); a bind that cannot grow them fails
 * with the port closed again, never leaked. See pvk_evtchn_init().
 */
#ifndef PVKIT_EVENTS_H
#define PVKIT_EVENTS_H

#include <pvkit/types.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xen/xen.h>

/* Consecutive no-work events after which a port counts as flooding. */
#define PVK_EVTCHN_FLOOD_LIMIT		64
/* How long a flooding port stays masked before it is given another go. */
#define PVK_EVTCHN_FLOOD_HOLDOFF_NS	(10ULL * 1000 * 1000)

/*
 * Runs in upcall context (event upcalls masked, on the interrupted stack):
 * must not sleep. Returns true when it found work, false for a spurious
 * event (flood accounting).
 */
typedef bool (*pvk_evtchn_handler_t)(pvk_evtchn_port_t port, void *arg);

struct pvk_evtchn_stats {
	uint64_t upcalls;	/* entries into pvk_evtchn_do_upcall() */
	uint64_t dispatched;	/* handler calls */
	uint64_t unhandled;	/* pending ports without a handler */
	uint64_t spurious;	/* handler calls that found no work */
	uint64_t floods;	/* times a port was held masked as flooding */
	uint64_t released;	/* held ports released after their hold-off */
	uint64_t bad_queue;	/* FIFO: READY bits or queue heads naming a
				 * queue or port that cannot exist: ignored */
};

/* pvk_evtchn_init() flags. */
#define PVK_EVTCHN_NO_FIFO	(1U << 0)	/* stay with 2-level */

/*
 * Start of day, before any other call: si is the mapped shared info page.
 * Masks every port (nothing is bound yet), forgets old handlers, and picks
 * the ABI: FIFO if configured, not refused by flags, and Xen accepts
 * EVTCHNOP_init_control (it costs two pages from pvk_port_alloc_page()),
 * else 2-level. Switching to FIFO cannot be undone.
 */
int pvk_evtchn_init(struct pvk_shared_info *si, unsigned int flags);
/* "FIFO" or "2-level". */
const char *pvk_evtchn_abi_name(void);
/* The chosen ABI's port limit: ports are below it. */
unsigned int pvk_evtchn_nr_ports(void);

/*
 * Registers events/upcall.S (or the host's entry, below) as this vCPU's
 * event callback (CALLBACKOP_register, type event). Until the host clears
 * vcpu_info->evtchn_upcall_mask, no upcall is delivered.
 */
int pvk_evtchn_register_upcall(void);

/*
 * For a host with its own interrupt entry code (pvkit/port.h, "Interrupt
 * exit", says what that entry must do): its entry becomes the event
 * callback of every vCPU instead of events/upcall.S. Call it before
 * pvk_evtchn_register_upcall() (pvk_xen_boot() step 7: from cfg->early
 * or before pvk_xen_boot()) and before any other vCPU is started; NULL
 * goes back to the kit's entry. After the registration: -PVK_XEN_EBUSY,
 * nothing changed (vCPU 0 would keep the old entry).
 */
int pvk_evtchn_set_upcall_entry(void (*entry)(void));
/* PVK_XEN_TRAP_COMMON calls it between the handler and the hook: masks
 * upcalls on this vCPU (the frame's RFLAGS.IF decides at the iret). */
void pvk_trap_mask_for_exit(void);

/* Binding: each allocates a local port, installs handler (may be NULL:
 * then the port is left masked and only polled), and unmasks the port
 * when a handler was given. */
int pvk_evtchn_bind_virq(unsigned int virq, unsigned int vcpu,
			 pvk_evtchn_handler_t handler, void *arg,
			 pvk_evtchn_port_t *port);
int pvk_evtchn_bind_ipi(unsigned int vcpu, pvk_evtchn_handler_t handler,
			void *arg, pvk_evtchn_port_t *port);
int pvk_evtchn_bind_interdomain(pvk_domid_t remote_dom,
				pvk_evtchn_port_t remote_port,
				pvk_evtchn_handler_t handler, void *arg,
				pvk_evtchn_port_t *port);
/* A port for remote_dom to bind to later (frontends advertise it). */
int pvk_evtchn_alloc_unbound(pvk_domid_t remote_dom,
			     pvk_evtchn_handler_t handler, void *arg,
			     pvk_evtchn_port_t *port);
/* A port the host got from elsewhere (start_info's console and xenstore). */
int pvk_evtchn_set_handler(pvk_evtchn_port_t port,
			   pvk_evtchn_handler_t handler, void *arg);
/*
 * Changing or removing a handler (set_handler, close) waits until no other
 * CPU runs the old one, so its arg may be freed on return. That wait is
 * bounded (1 s): -PVK_XEN_ETIMEDOUT (logged) means the old handler still
 * ran, the change was not made, the old handler and arg stay in place:
 * the arg is still in use, do not free it. Concurrent changes of one port
 * never pair one caller's handler with another's arg (the last one wins;
 * -PVK_XEN_EBUSY if the others keep changing it).
 */

/*
 * Several CPUs (pvkit/smp.h): a port is delivered to one vCPU, and its
 * handler runs there, one call at a time. Ports start on vCPU 0 (Xen's
 * default for interdomain and unbound ports; IPIs and per-vCPU VIRQs on
 * the vCPU they were bound for). The upcall on each CPU handles only the
 * ports bound to it: 2-level through the kit's record of each port's
 * vCPU, FIFO through that vCPU's own control block and queues.
 * pvk_evtchn_bind_vcpu() moves an interdomain, unbound or global-VIRQ
 * port (EVTCHNOP_bind_vcpu; Xen refuses IPIs and per-vCPU VIRQs:
 * -PVK_XEN_EINVAL). A handler running on the old vCPU finishes there; from
 * the call's return on, events arrive on the new one, and the old vCPU
 * does not start the handler again (the call waits until it took its
 * upcalls once: pvk_smp_call()). Thread context or irqs off, not from an
 * event handler (-PVK_XEN_EINVAL), and as pvk_smp_call(): not holding a
 * lock another CPU may spin on with irqs off (the old vCPU must take its
 * upcalls). cpu must be online (else -PVK_XEN_EINVAL; a CPU going down
 * meanwhile moves the port back to vCPU 0). -PVK_XEN_ETIMEDOUT (logged):
 * moved (in Xen), but the old vCPU did not take its upcalls in 10 s (a
 * warning is logged after 1 s), or a handler still ran after 1 s; the port is then left masked, as its handler may still
 * run there: unmask it (pvk_evtchn_unmask()) once that is over.
 */
int pvk_evtchn_bind_vcpu(pvk_evtchn_port_t port, unsigned int cpu);
/* The vCPU port is delivered to; PVK_MAX_CPUS for a port not bound. */
unsigned int pvk_evtchn_port_cpu(pvk_evtchn_port_t port);

void pvk_evtchn_mask(pvk_evtchn_port_t port);
void pvk_evtchn_unmask(pvk_evtchn_port_t port);
void pvk_evtchn_clear(pvk_evtchn_port_t port);
bool pvk_evtchn_is_pending(pvk_evtchn_port_t port);
bool pvk_evtchn_is_masked(pvk_evtchn_port_t port);
int pvk_evtchn_send(pvk_evtchn_port_t port);
/* Masks, forgets the handler, EVTCHNOP_close. */
int pvk_evtchn_close(pvk_evtchn_port_t port);
/* EVTCHNOP_status of one of our ports: *status is a PVK_EVTCHNSTAT_*
 * (closed for a port that is free). */
int pvk_evtchn_status(pvk_evtchn_port_t port, uint32_t *status);

/*
 * After a resume in a new domain (pvkit/suspend.h): every port of before
 * is gone with the old domain, and the new one hands out numbers that
 * may be the old ones. The rules:
 *  - The VIRQs and IPIs bound through pvk_evtchn_bind_virq() and
 *    pvk_evtchn_bind_ipi() on vCPU 0, and not closed, are bound again by
 *    the kit before the parts' resume() and the host's after(), with the
 *    same virq, vCPU, handler and arg (a global VIRQ moved with
 *    pvk_evtchn_bind_vcpu() comes back on vCPU 0). Their handlers run
 *    with the new number as `port`. The owner finds the new number of an
 *    old one with pvk_evtchn_resumed_port() (in after() or a part's
 *    resume()), and must not bind the same VIRQ again (Xen refuses it:
 *    EEXIST). Those of other vCPUs (down across the suspend) are dropped:
 *    their owner binds them again when it starts that vCPU.
 *  - Interdomain and unbound ports (the frontends') are not bound again:
 *    their owners forget the old numbers without closing them and
 *    reconnect.
 *  - A number of before that no bind or the toolstack gave out again is
 *    stale: pvk_evtchn_close(), pvk_evtchn_set_handler(),
 *    pvk_evtchn_unmask() and pvk_evtchn_send() on it are refused with
 *    -PVK_XEN_EBADF (unmask: nothing done) and logged, so it never acts
 *    on a port the new domain binds under that number later. A number
 *    that a new bind did give out again is that new port's: the kit
 *    cannot tell an owner's stale copy from it. So every owner forgets
 *    its old numbers in its part's resume() or in after(), before it uses
 *    any port (close, send, unmask, set_handler or a new bind): the kit's
 *    own re-binding above may already have handed an old number to
 *    another port, and a number the kit re-bound is reported only
 *    through pvk_evtchn_resumed_port(), never by the number itself.
 * Cancelled (the same domain goes on): nothing changes.
 */
/* 0 and *now: old was the number, before the last resume in a new
 * domain, of a VIRQ or IPI the kit bound again as *now. -PVK_XEN_ENOENT:
 * not one of those. */
int pvk_evtchn_resumed_port(pvk_evtchn_port_t old, pvk_evtchn_port_t *now);

/* The dispatch: called by events/upcall.S with upcalls masked, on the CPU
 * that took the upcall (it handles that CPU's ports), before the host's
 * pvk_port_irq_exit(); called the same way by a host's own entry code
 * (port.h, "Interrupt exit"), and callable by a host that polls with
 * upcalls masked. pvk_evtchn_get_stats() sums every CPU's counters. */
void pvk_evtchn_do_upcall(void);

void pvk_evtchn_get_stats(struct pvk_evtchn_stats *out);
/* One CPU's counters (those its upcalls counted); -PVK_XEN_EINVAL for a
 * cpu >= PVK_MAX_CPUS. */
int pvk_evtchn_get_stats_cpu(unsigned int cpu, struct pvk_evtchn_stats *out);

/* vCPU 0's FIFO control block (shared with Xen), NULL on the 2-level ABI:
 * for debuggers and for tests of how the kit treats what Xen writes. */
struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control(void);
/* The same for any prepared vCPU; NULL for one not prepared or 2-level. */
struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control_cpu(unsigned int cpu);

/* ---- between the kit's own parts (hosts do not call these) ---------- */

/* The address of events/upcall.S's entry: the event callback a new vCPU
 * gets in its VCPUOP_initialise context (smp/), as the boot vCPU gets it
 * from pvk_evtchn_register_upcall(). */
unsigned long pvk_evtchn_upcall_address(void);

/* After a resume in a new domain (suspend/, upcalls masked): every port
 * forgotten and its number marked stale, except given[0..nr_given) (the
 * toolstack's ports of the new start_info); FIFO's pages given to Xen
 * again; the VIRQs and IPIs of vCPU 0 due to be bound again. The kit's
 * parts then bind theirs, then pvk_evtchn_rebind_all(). */
int pvk_evtchn_resume(const pvk_evtchn_port_t *given, unsigned int nr_given);
/* suspend/, after the kit's parts: binds every VIRQ and IPI still due;
 * returns how many failed (each logged). */
int pvk_evtchn_rebind_all(void);

#endif /* PVKIT_EVENTS_H */
