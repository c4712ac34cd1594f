/*
 * pvkit/xen/event_channel.h - HYPERVISOR_event_channel_op (Xen's public
 * event_channel.h): the commands and their argument structs, channel
 * status codes, and the FIFO event-channel ABI (control block, event word
 * bits, priorities).
 */
#ifndef PVKIT_XEN_EVENT_CHANNEL_H
#define PVKIT_XEN_EVENT_CHANNEL_H

#include <pvkit/xen/xen.h>

/* event_channel_op commands => struct pvk_evtchn_<command> */
#define PVK_EVTCHNOP_bind_interdomain	0
#define PVK_EVTCHNOP_bind_virq		1
#define PVK_EVTCHNOP_bind_pirq		2
#define PVK_EVTCHNOP_close		3
#define PVK_EVTCHNOP_send		4
#define PVK_EVTCHNOP_status		5
#define PVK_EVTCHNOP_alloc_unbound	6
#define PVK_EVTCHNOP_bind_ipi		7
#define PVK_EVTCHNOP_bind_vcpu		8
#define PVK_EVTCHNOP_unmask		9
#define PVK_EVTCHNOP_reset		10
#define PVK_EVTCHNOP_init_control	11
#define PVK_EVTCHNOP_expand_array	12
#define PVK_EVTCHNOP_set_priority	13

/* pvk_evtchn_bind_pirq.flags */
#define PVK_BIND_PIRQ__WILL_SHARE	1

/* pvk_evtchn_status.status */
#define PVK_EVTCHNSTAT_closed		0
#define PVK_EVTCHNSTAT_unbound		1	/* waiting for a remote domain */
#define PVK_EVTCHNSTAT_interdomain	2
#define PVK_EVTCHNSTAT_pirq		3
#define PVK_EVTCHNSTAT_virq		4
#define PVK_EVTCHNSTAT_ipi		5

/* 2-level ABI: 64 selector bits x 64 pending bits. */
#define PVK_EVTCHN_2L_NR_CHANNELS	(8 * 8 * 64)

/* FIFO ABI: 16 priority queues, 0 the highest. */
#define PVK_EVTCHN_FIFO_PRIORITY_MAX		0
#define PVK_EVTCHN_FIFO_PRIORITY_DEFAULT	7
#define PVK_EVTCHN_FIFO_PRIORITY_MIN		15
#define PVK_EVTCHN_FIFO_MAX_QUEUES	(PVK_EVTCHN_FIFO_PRIORITY_MIN + 1)

/* FIFO event word: bit numbers of the flags, and the link to the next word. */
#define PVK_EVTCHN_FIFO_PENDING		31
#define PVK_EVTCHN_FIFO_MASKED		30
#define PVK_EVTCHN_FIFO_LINKED		29
#define PVK_EVTCHN_FIFO_BUSY		28
#define PVK_EVTCHN_FIFO_LINK_BITS	17
#define PVK_EVTCHN_FIFO_LINK_MASK	((1 << PVK_EVTCHN_FIFO_LINK_BITS) - 1)
#define PVK_EVTCHN_FIFO_NR_CHANNELS	(1 << PVK_EVTCHN_FIFO_LINK_BITS)

#ifndef __ASSEMBLY__

typedef uint32_t pvk_evtchn_port_t;

/* A new port that remote_dom may bind to; dom is normally DOMID_SELF. */
struct pvk_evtchn_alloc_unbound {
	pvk_domid_t dom, remote_dom;
	pvk_evtchn_port_t port;		/* out */
};

/* Connect to remote_dom's unbound remote_port. */
struct pvk_evtchn_bind_interdomain {
	pvk_domid_t remote_dom;
	pvk_evtchn_port_t remote_port;
	pvk_evtchn_port_t local_port;	/* out */
};

struct pvk_evtchn_bind_virq {
	uint32_t virq;			/* PVK_VIRQ_* */
	uint32_t vcpu;
	pvk_evtchn_port_t port;		/* out */
};

struct pvk_evtchn_bind_pirq {
	uint32_t pirq;
	uint32_t flags;			/* PVK_BIND_PIRQ__* */
	pvk_evtchn_port_t port;		/* out */
};

struct pvk_evtchn_bind_ipi {
	uint32_t vcpu;
	pvk_evtchn_port_t port;		/* out */
};

struct pvk_evtchn_close {
	pvk_evtchn_port_t port;
};

struct pvk_evtchn_send {
	pvk_evtchn_port_t port;
};

struct pvk_evtchn_status {
	pvk_domid_t dom;
	pvk_evtchn_port_t port;
	uint32_t status;		/* out: PVK_EVTCHNSTAT_* */
	uint32_t vcpu;			/* out: vCPU the channel notifies */
	union {
		struct {
			pvk_domid_t dom;
		} unbound;
		struct {
			pvk_domid_t dom;
			pvk_evtchn_port_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_evtchn_status) != 24);

/* Deliver port's notifications to another vCPU. */
struct pvk_evtchn_bind_vcpu {
	pvk_evtchn_port_t port;
	uint32_t vcpu;
};

/* Unmask port and re-raise it if it became pending while masked. */
struct pvk_evtchn_unmask {
	pvk_evtchn_port_t port;
};

/* Close all of dom's channels. */
struct pvk_evtchn_reset {
	pvk_domid_t dom;
};

/* Switch to the FIFO ABI: register vcpu's control block at gfn + offset. */
struct pvk_evtchn_init_control {
	uint64_t control_gfn;
	uint32_t offset;
	uint32_t vcpu;
	uint8_t link_bits;		/* out */
	uint8_t _pad[7];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_evtchn_init_control) != 24);

/* Add one page of event words to the FIFO event array. */
struct pvk_evtchn_expand_array {
	uint64_t array_gfn;
};

struct pvk_evtchn_set_priority {
	pvk_evtchn_port_t port;
	uint32_t priority;		/* PVK_EVTCHN_FIFO_PRIORITY_* range */
};

/* The argument of the old multiplexed event_channel_op_compat hypercall. */
struct pvk_evtchn_op {
	uint32_t cmd;			/* PVK_EVTCHNOP_* */
	union {
		struct pvk_evtchn_alloc_unbound alloc_unbound;
		struct pvk_evtchn_bind_interdomain bind_interdomain;
		struct pvk_evtchn_bind_virq bind_virq;
		struct pvk_evtchn_bind_pirq bind_pirq;
		struct pvk_evtchn_bind_ipi bind_ipi;
		struct pvk_evtchn_close close;
		struct pvk_evtchn_send send;
		struct pvk_evtchn_status status;
		struct pvk_evtchn_bind_vcpu bind_vcpu;
		struct pvk_evtchn_unmask unmask;
	} u;
};

/* One FIFO event word per port. */
typedef uint32_t pvk_event_word_t;

/* Per-vCPU FIFO control block: ready bitmap and the head of each queue. */
struct pvk_evtchn_fifo_control_block {
	uint32_t ready;
	uint32_t _rsvd;
	uint32_t head[PVK_EVTCHN_FIFO_MAX_QUEUES];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_evtchn_fifo_control_block) != 72);

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_EVENT_CHANNEL_H */
