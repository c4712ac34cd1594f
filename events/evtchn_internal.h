/*
 * events/evtchn_internal.h - state shared by evtchn.c (ports, binding,
 * masking) and dispatch.c (the upcall): the port table and the 2-level
 * bitmap operations on shared_info.
 */
#ifndef PVK_EVENTS_INTERNAL_H
#define PVK_EVENTS_INTERNAL_H

#include <pvkit/events.h>

/* The 2-level ABI: 64 words of 64 bits, one bit per port. */
#define PVK_EVTCHN_BITS		(8 * sizeof(pvk_xen_ulong_t))
#define PVK_EVTCHN_NR		PVK_EVTCHN_2L_NR_CHANNELS

struct pvk_evtchn_slot {
	pvk_evtchn_handler_t handler;
	void *arg;
	uint32_t spurious_run;	/* consecutive no-work events */
	uint64_t held_until;	/* flood hold-off end (system time), 0: none */
};

extern struct pvk_shared_info *pvk_evtchn_si;
extern struct pvk_evtchn_slot pvk_evtchn_slots[PVK_EVTCHN_NR];
extern struct pvk_evtchn_stats pvk_evtchn_counters;
/* Ports currently held masked as flooding (dispatch.c releases them). */
extern unsigned int pvk_evtchn_nr_held;

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
 * one at init and everything else goes through it. Ports are below
 * PVK_EVTCHN_NR with both (the FIFO ABI could go higher; the kit keeps one
 * static handler table).
 */
struct pvk_evtchn_abi {
	const char *name;
	void (*mask)(pvk_evtchn_port_t port);
	void (*unmask)(pvk_evtchn_port_t port);
	void (*clear)(pvk_evtchn_port_t port);
	bool (*is_pending)(pvk_evtchn_port_t port);
	bool (*is_masked)(pvk_evtchn_port_t port);
	/* Make a freshly bound port usable (FIFO: grow the event array). */
	int (*setup_port)(pvk_evtchn_port_t port);
	/* Find pending, unmasked ports and call pvk_evtchn_handle_port(). */
	void (*scan)(void);
};

extern const struct pvk_evtchn_abi pvk_evtchn_2l;
extern const struct pvk_evtchn_abi *pvk_evtchn_abi;
/* Switches to the FIFO ABI; 0 on success, else the 2-level ABI stays. */
int pvk_evtchn_fifo_init(void);
extern const struct pvk_evtchn_abi pvk_evtchn_fifo;

/* Dispatch one pending port (dispatch.c). */
void pvk_evtchn_handle_port(pvk_evtchn_port_t port);

#endif /* PVK_EVENTS_INTERNAL_H */
