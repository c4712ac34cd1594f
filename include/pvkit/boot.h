/*
 * pvkit/boot.h - booting the kit in one call: pvk_xen_boot() from the PV
 * entry point, pvk_native_boot() from a native one, and the Xen console
 * that works from the first instruction on.
 *
 * The kit's parts depend on each other in one order, which these calls
 * keep; the host fills a struct pvk_boot_config with what only it knows
 * (its trap stubs, its allocator, its CPUs) and gets called back at the
 * two points where the kit needs its help. A host that needs its own
 * sequence calls the same steps itself, in the order of the README's
 * porting guide ("Boot in one call"), which is the order of
 * boot/xen_boot.c.
 *
 * On Xen, pvk_xen_boot(si, cfg):
 *   1. checks the hypercall page is filled (else a crash with %rsp 0: no
 *      hypercall works, so nothing can be said) and selects the Xen pvops;
 *   2. loads cfg->traps (HYPERVISOR_set_trap_table), so a fault from here
 *      on reaches the host's stubs; calls cfg->early (per-CPU area: from
 *      here pvk_port_cpu_id() must answer);
 *   3. checks start_info's magic (else says so on Xen's console and
 *      crashes the domain);
 *   4. maps shared_info at a page of the kit's, masks upcalls and every
 *      port, hands it to the pvops and the clock (pvk_xen_shared_info());
 *   5. cfg->boot_area: the host takes in the start-of-day area Xen mapped
 *      (pvk_boot_area()), so that cfg->pfn_to_virt answers for its pfns;
 *      the PV MMU (p2m, page-table queues, cfg->pfn_to_virt) and the
 *      multicall batcher; the early console on start_info's ring (below);
 *   6. calls cfg->memory: the host maps its memory and starts its
 *      allocator (pvk_port_alloc_page() works once it returns);
 *   7. event channels (FIFO unless cfg->evtchn_flags says 2-level) and the
 *      upcall entry registered with Xen; upcalls stay masked;
 *   8. unless cfg->events_later, pvk_xen_boot_events(cfg):
 *   9. the one-shot timer (VIRQ_TIMER, cfg->timer_fn), the xenstore client
 *      and the console driver on start_info's rings; upcalls unmasked;
 *  10. cfg->cpus_start (the host starts its CPUs: pvkit/smp.h);
 *  11. the balloon driver (cfg->balloon), waiting until it has read the
 *      target once, and domain control (cfg->control).
 * A step that fails is logged with its name and error and is a panic: a
 * kernel cannot go on without it. Xenbus devices need no step: a
 * frontend's init (pvk_blkfront_init(), pvk_netfront_init()) registers
 * its driver with xenbus once xenstore runs, and hotplug, backend state
 * and control are watch callbacks, delivered as the host's background
 * work (pvk_port_schedule_work(), port.h).
 *
 * Natively, pvk_native_boot(cfg) selects the native pvops, loads
 * cfg->traps as the IDT, calls cfg->early, starts the local APIC one-shot
 * (the host maps the page: cfg->native_map_lapic), calls cfg->memory and
 * then cfg->cpus_start.
 *
 * The Xen console: pvk_xen_console_write() works at every stage. Before
 * step 5 it is HYPERVISOR_console_io (Xen's own console: xl dmesg, with
 * guest_loglvl=all for a domU); from step 5 the domain's console ring,
 * written directly and kicked with EVTCHNOP_send on start_info's port (a
 * port needs no binding to send on, so this works before event channels
 * exist); from step 9 the kit's console driver. A backend that does not
 * drain the ring for 10 s sends the rest to console_io, said once. A host's
 * pvk_port_log_write() can simply call it.
 */
#ifndef PVKIT_BOOT_H
#define PVKIT_BOOT_H

#include <pvkit/frame.h>
#include <pvkit/pvops.h>
#include <pvkit/types.h>

struct pvk_start_info;
struct pvk_shared_info;
struct pvk_balloon_host;
enum pvk_control_request;

struct pvk_boot_config {
	/* Both worlds. The exception vectors (pvk_load_idt()); NULL: none. */
	const struct pvk_trap_desc *traps;
	unsigned int nr_traps;
	/* Right after the trap table (may be NULL). */
	void (*early)(void *arg);
	/* Xen: the start-of-day area (step 5; may be NULL). */
	void (*boot_area)(const struct pvk_start_info *si, void *arg);
	/* The host's memory and allocator (si is NULL natively). */
	void (*memory)(const struct pvk_start_info *si, void *arg);
	/* With upcalls/interrupts on: start the other CPUs (may be NULL). */
	void (*cpus_start)(void *arg);
	void *arg;			/* for every hook */

	/* Xen. Where the host maps a pfn of the start-of-day area. */
	void *(*pfn_to_virt)(pvk_pfn_t pfn);
	unsigned int evtchn_flags;	/* pvk_evtchn_init()'s */
	/* Stop after step 7 (upcalls masked); the host calls
	 * pvk_xen_boot_events() later. */
	bool events_later;
	void (*timer_fn)(void *arg);	/* the host's one-shot deadline */
	void *timer_arg;
	void (*console_rx)(void *arg);	/* console input arrived */
	void *console_rx_arg;
	/* NULL: no balloon driver / no domain control. */
	const struct pvk_balloon_host *balloon;
	void (*control)(enum pvk_control_request req, char key, void *arg);
	void *control_arg;

	/* Native: maps the local APIC's register page (physical address
	 * phys, uncached) and returns where; NULL hook: no one-shot timer.
	 * The two vectors' stubs are in traps (pvk_native_timer_init()). */
	void *(*native_map_lapic)(uint64_t phys, void *arg);
	uint8_t native_timer_vector, native_spurious_vector;
};

void pvk_xen_boot(const struct pvk_start_info *si, const struct pvk_boot_config *cfg);
void pvk_xen_boot_events(const struct pvk_boot_config *cfg);
void pvk_native_boot(const struct pvk_boot_config *cfg);

/* Step 4's page (NULL before). */
struct pvk_shared_info *pvk_xen_shared_info(void);

/* The Xen console (see the top). Any context, whole lines. */
void pvk_xen_console_write(const char *text, size_t len);
/* Straight to HYPERVISOR_console_io: for when nothing else may work. */
void pvk_xen_console_io_write(const char *text, size_t len);
/* Waits (bounded) until the backend has read everything; false if not. */
bool pvk_xen_console_flush(void);
/* The early ring's state, for tests: in use (mapped, not given up), and
 * its indexes. */
bool pvk_xen_console_ring_ready(void);
uint32_t pvk_xen_console_ring_prod(void);
uint32_t pvk_xen_console_ring_cons(void);
/* Step 5 by hand: the ring and port of start_info's console.domU. */
void pvk_xen_console_early_init(void *ring, uint32_t port);
/* After a resume in a new domain (suspend/): start_info's new port. */
void pvk_xen_console_early_set_port(uint32_t port);

#endif /* PVKIT_BOOT_H */
