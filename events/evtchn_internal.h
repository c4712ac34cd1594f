/*
 * events/evtchn_internal.h - state shared by evtchn.c (ports, binding,
 * masking), cpu.c (ports and vCPUs) and dispatch.c (the upcall): the port
 * table, the per-CPU dispatch state, the ABI operations and the 2-level
 * bitmap operations on shared_info.
 */
#ifndef PVK_EVENTS_INTERNAL_H
#define PVK_EVENTS_INTERNAL_H

#include <pvkit/events.h>
#include <pvkit/smp.h>

/* The 2-level ABI: 64 words of 64 bits, one bit per port. */
#define PVK_EVTCHN_BITS		(8 * sizeof(pvk_xen_ulong_t))

/* The most ports any ABI has (FIFO's 2^17; 2-level has 4096). */
#define PVK_EVTCHN_MAX_PORTS	PVK_EVTCHN_FIFO_NR_CHANNELS

/* pvk_evtchn_slot.flags */
#define PVK_EVTCHN_SLOT_BOUND	(1u << 0)	/* ours (bound or given) */
#define PVK_EVTCHN_SLOT_PINNED	(1u << 1)	/* IPI / per-vCPU VIRQ: Xen
						 * refuses to move it */
#define PVK_EVTCHN_SLOT_STALE	(1u << 2)	/* bound before the last resume
						 * in a new domain, not bound
						 * again since (events.h) */

struct pvk_evtchn_slot {
	pvk_evtchn_handler_t handler;
	void *arg;
	uint64_t held_until;	/* flood hold-off end (system time), 0: none */
	uint32_t spurious_run;	/* consecutive no-work events */
	uint8_t cpu;		/* the vCPU Xen delivers it to */
	uint8_t held_by;	/* the CPU whose kit timer releases it */
	uint8_t flags;		/* PVK_EVTCHN_SLOT_* (bind lock) */
	uint8_t relink_to;	/* FIFO: sent on to this vCPU + 1, 0: not */
};
PVK_BUILD_BUG_ON(PVK_MAX_CPUS > 256);

/*
 * The port table grows with the ports bound: a page of slots is allocated
 * (pvk_port_alloc_page(), zeroed) the first time a port in its range gets
 * a handler, and kept. Only the directory of page pointers is static: 8 KiB
 * for the FIFO ABI's 131,072 ports, where a flat table would be 4 MiB.
 */
#define PVK_EVTCHN_SLOTS_PER_PAGE	(PVK_PAGE_SIZE / sizeof(struct pvk_evtchn_slot))
#define PVK_EVTCHN_SLOT_PAGES		(PVK_EVTCHN_MAX_PORTS / PVK_EVTCHN_SLOTS_PER_PAGE)
PVK_BUILD_BUG_ON(PVK_PAGE_SIZE % sizeof(struct pvk_evtchn_slot));
PVK_BUILD_BUG_ON(PVK_EVTCHN_MAX_PORTS % PVK_EVTCHN_SLOTS_PER_PAGE);

/* A value of pvk_evtchn_cpu.dispatching: no handler running. */
#define PVK_EVTCHN_NONE		(~(uint32_t)0)

/*
 * What each CPU's upcall keeps for itself (dispatch.c), one cache line
 * apart so that CPUs taking events at once do not share lines.
 */
struct pvk_evtchn_cpu {
	struct pvk_evtchn_stats stats;
	/* The port whose handler runs here, PVK_EVTCHN_NONE: none. Written
	 * before the port's handler is read; set_handler() on another CPU
	 * waits until it moved on. */
	uint32_t dispatching;
	/* Ports this CPU holds masked as flooding (atomic: a set_handler()
	 * elsewhere may end a hold). */
	uint32_t nr_held;
	uint64_t release_at;	/* its kit timer's deadline, 0: not armed */
	bool release_by_upcall;	/* no kit timer: the upcall releases */
} __attribute__((aligned(64)));

extern struct pvk_shared_info *pvk_evtchn_si;
extern struct pvk_evtchn_slot *pvk_evtchn_slot_pages[PVK_EVTCHN_SLOT_PAGES];
extern struct pvk_evtchn_cpu pvk_evtchn_cpus[PVK_MAX_CPUS];
/* Serialises binding, handler changes, moves and the growth of the port
 * table and the FIFO event array (evtchn.c). */
extern struct pvk_lock pvk_evtchn_bind_lock;

/* The slot of port, NULL when its page was never needed (no handler was
 * ever installed in its range) or the port is beyond every ABI. */
static inline struct pvk_evtchn_slot *pvk_evtchn_slot(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_slot *page;

	if (port >= PVK_EVTCHN_MAX_PORTS)
		return NULL;
	page = PVK_READ_ONCE(pvk_evtchn_slot_pages[port / PVK_EVTCHN_SLOTS_PER_PAGE]);
	return page ? &page[port % PVK_EVTCHN_SLOTS_PER_PAGE] : NULL;
}

static inline pvk_xen_ulong_t pvk_evtchn_bit(pvk_evtchn_port_t port)
{
	return (pvk_xen_ulong_t)1 << (port % PVK_EVTCHN_BITS);
}

/* Atomic (locked) bit operations: Xen updates the same words. */
static inline void pvk_evtchn_set_bit(pvk_xen_ulong_t *words,
				      pvk_evtchn_port_t port)
{
	__atomic_fetch_or(&words[port / PVK_EVTCHN_BITS], pvk_evtchn_bit(port),
			  __ATOMIC_SEQ_CST);
}

static inline void pvk_evtchn_clear_bit(pvk_xen_ulong_t *words,
					pvk_evtchn_port_t port)
{
	__atomic_fetch_and(&words[port / PVK_EVTCHN_BITS], ~pvk_evtchn_bit(port),
			   __ATOMIC_SEQ_CST);
}

static inline bool pvk_evtchn_test_bit(const pvk_xen_ulong_t *words,
				       pvk_evtchn_port_t port)
{
	return PVK_READ_ONCE(words[port / PVK_EVTCHN_BITS]) & pvk_evtchn_bit(port);
}

/*
 * One event channel ABI: where pending and mask live and how pending ports
 * are found. evtchn_2l.c (bitmaps in shared_info) and evtchn_fifo.c
 * (per-port event words and priority queues) implement it; evtchn.c picks
 * one at init and everything else goes through it. Every port passed in is
 * below nr_ports (evtchn.c checks).
 */
struct pvk_evtchn_abi {
	const char *name;
	unsigned int nr_ports;		/* the ABI's limit */
	void (*mask)(pvk_evtchn_port_t port);
	/* Masks port; true when it was masked already. */
	bool (*test_and_mask)(pvk_evtchn_port_t port);
	void (*unmask)(pvk_evtchn_port_t port);
	void (*clear)(pvk_evtchn_port_t port);
	bool (*is_pending)(pvk_evtchn_port_t port);
	bool (*is_masked)(pvk_evtchn_port_t port);
	/* Make a freshly bound port usable (FIFO: grow the event array so
	 * the port has its event word). Thread context, kit bind lock held. */
	int (*setup_port)(pvk_evtchn_port_t port);
	/* Xen now delivers port to vCPU to, no longer from (bind lock held,
	 * port masked): 2-level moves its bit between the CPUs' sets. */
	void (*moved)(pvk_evtchn_port_t port, unsigned int from, unsigned int to);
	/* cpu's event state before it starts (FIFO: its control block). */
	int (*cpu_prepare)(unsigned int cpu);
	/* On CPU cpu (upcalls masked): find its pending, unmasked ports and
	 * call pvk_evtchn_handle_port(). */
	void (*scan)(unsigned int cpu);
};

extern const struct pvk_evtchn_abi pvk_evtchn_2l;
extern const struct pvk_evtchn_abi *pvk_evtchn_abi;
/* Switches to the FIFO ABI; 0 on success, else the 2-level ABI stays. */
int pvk_evtchn_fifo_init(void);
extern const struct pvk_evtchn_abi pvk_evtchn_fifo;

/* 2-level: every port is delivered to vCPU 0 (start of day). */
void pvk_evtchn_2l_reset_cpus(void);
/* FIFO: drain the queues of cpu, which is down: what is linked there is
 * raised again on the vCPU each port is bound to now. */
void pvk_evtchn_fifo_drain(unsigned int cpu);
/* FIFO after a resume in a new domain (evtchn_resume.c): the blocks and
 * array pages given to Xen again, cleared. */
int pvk_evtchn_fifo_resume(void);

/* Dispatch one pending port on CPU cpu, the calling one (dispatch.c). */
void pvk_evtchn_handle_port(pvk_evtchn_port_t port, unsigned int cpu);
/* Waits (bounded) until no CPU but the caller runs port's handler: 0, or
 * -PVK_XEN_ETIMEDOUT (logged) when one still runs it after 1 s: its arg
 * is still in use then. */
int pvk_evtchn_wait_dispatch_end(pvk_evtchn_port_t port);
/* Whether some CPU (the caller's included) is dispatching port now: its
 * mask is then the dispatch's, which unmasks it again when it is done. */
bool pvk_evtchn_dispatched(pvk_evtchn_port_t port);
/* Ends a flood hold-off of s early (set_handler): 0 when none. */
void pvk_evtchn_end_hold(struct pvk_evtchn_slot *s);
/* Ends every hold-off cpu (going down) has; forgets its armed release. */
void pvk_evtchn_release_cpu(unsigned int cpu);
/* Reset of the per-CPU dispatch state (init). */
void pvk_evtchn_dispatch_reset(void);
/* evtchn.c: every port of si masked, every handler forgotten (init,
 * resume); resume: the ports that were ours are marked stale. */
void pvk_evtchn_forget_all(struct pvk_shared_info *si, bool resume);

/* evtchn_resume.c: the VIRQs and IPIs bound through the kit, to bind
 * again after a resume in a new domain. kind: */
#define PVK_EVTCHN_REBIND_VIRQ	1
#define PVK_EVTCHN_REBIND_IPI	2
/* A bind succeeded (thread context, bind lock not held). */
void pvk_evtchn_rebind_note(uint8_t kind, unsigned int virq, unsigned int vcpu,
			    pvk_evtchn_handler_t handler, void *arg,
			    pvk_evtchn_port_t port);
/* port was closed. */
void pvk_evtchn_rebind_forget(pvk_evtchn_port_t port);

#endif /* PVK_EVENTS_INTERNAL_H */
