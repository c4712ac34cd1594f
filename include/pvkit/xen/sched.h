/*
 * pvkit/xen/sched.h - HYPERVISOR_sched_op (Xen's public sched.h): yield,
 * block, shutdown with a reason, poll a set of event channels, and the
 * shutdown reasons themselves.
 */
#ifndef PVKIT_XEN_SCHED_H
#define PVKIT_XEN_SCHED_H

#include <pvkit/xen/event_channel.h>

/* sched_op commands; the argument each takes is in the comment. */
#define PVK_SCHEDOP_yield		0	/* NULL: give up the CPU */
#define PVK_SCHEDOP_block		1	/* NULL: sleep until an event */
#define PVK_SCHEDOP_shutdown		2	/* struct pvk_sched_shutdown */
#define PVK_SCHEDOP_poll		3	/* struct pvk_sched_poll */
#define PVK_SCHEDOP_remote_shutdown	4	/* struct pvk_sched_remote_shutdown */
#define PVK_SCHEDOP_shutdown_code	5	/* struct pvk_sched_shutdown: record, don't act */
#define PVK_SCHEDOP_watchdog		6	/* struct pvk_sched_watchdog */
#define PVK_SCHEDOP_pin_override	7	/* struct pvk_sched_pin_override */

/* Shutdown reasons, reported to the toolstack. */
#define PVK_SHUTDOWN_poweroff		0	/* exited normally */
#define PVK_SHUTDOWN_reboot		1
#define PVK_SHUTDOWN_suspend		2	/* save state, then kill */
#define PVK_SHUTDOWN_crash		3
#define PVK_SHUTDOWN_watchdog		4	/* watchdog expired */
#define PVK_SHUTDOWN_soft_reset		5
#define PVK_SHUTDOWN_MAX		5

#ifndef __ASSEMBLY__

struct pvk_sched_shutdown {
	uint32_t reason;		/* PVK_SHUTDOWN_* */
};

/* Block until one of ports is pending or timeout (absolute ns, 0: none). */
struct pvk_sched_poll {
	pvk_evtchn_port_t *ports;
	uint32_t nr_ports;
	uint64_t timeout;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_sched_poll) != 24);

struct pvk_sched_remote_shutdown {
	pvk_domid_t domain_id;
	uint32_t reason;		/* PVK_SHUTDOWN_* */
};

/* id 0 creates a watchdog (its id is returned); timeout 0 destroys it. */
struct pvk_sched_watchdog {
	uint32_t id;
	uint32_t timeout;		/* seconds */
};

struct pvk_sched_pin_override {
	int32_t pcpu;			/* -1: end the override */
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_SCHED_H */
