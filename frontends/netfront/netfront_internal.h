/*
 * frontends/netfront/netfront_internal.h - what netfront's files share:
 * the device, its queue (tx and rx rings of one page each, one event
 * channel, one lock, the transmit slots and receive buffers), the limits
 * of this implementation, and the functions one file offers the others.
 *
 *   netfront_options.c    the host's switches (what we may ask for)
 *   netfront_negotiate.c  pure decisions: what is negotiated, the keys we
 *                         write, what follows a Closed backend
 *   netfront_xenbus.c     the vif driver: negotiation and lifecycle
 *                         (reconnect, removal, release), the device list
 *   netfront_queue.c    rings, event channel, transmit, receive, checks
 */
#ifndef PVKIT_NETFRONT_INTERNAL_H
#define PVKIT_NETFRONT_INTERNAL_H

#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/xen/io/netif.h>
#include <pvkit/xenbus.h>

#define NETFRONT_PAGE		4096u
/* Without feature-sg a frame is one slot: the backend's MTU is 1500. */
#define NETFRONT_MAX_FRAME	1514u
#define NETFRONT_MIN_FRAME	PVK_NET_ETH_HLEN
/* A one-page ring of either kind holds 256 entries. */
#define NETFRONT_RING_ENTS	256u
#define NETFRONT_MAX_QUEUES	8u
/* With feature-sg: the largest frame a transmit request's size can say. */
#define NETFRONT_MAX_FRAME_SG	65535u
/* multi-queue-max-queues beyond this is nonsense (netback offers one per
 * dom0 CPU): taken as this, and logged. */
#define NETFRONT_QUEUES_ABSURD	1024u

struct netfront_options {
	bool sg, gso_tcpv4, gso_tcpv6, csum, ipv6_csum, split_evtchn;
	bool trusted;			/* 0: untrusted whatever the key says */
	unsigned int queues;
	unsigned int rx_buffers;
};
extern struct netfront_options netfront_opts;
int netfront_parse_option(struct netfront_options *opts, const char *name,
			  const char *value);

/* netfront_negotiate.c */
/* What the backend's directory says (absent keys read as 0, except
 * max_queues: absent is 1), and our own node's "trusted" (absent: 0). */
struct netfront_offer {
	unsigned long rx_copy, sg, gso_tcpv4, gso_tcpv6, no_csum_offload;
	unsigned long ipv6_csum_offload, split_evtchn, max_queues;
	unsigned long trusted;
};
/* Sets info's nr_queues, sg, gso_tcpv4/6, csum_offload,
 * ipv6_csum_offload, split_evtchn, trusted, max_frame: the switches AND
 * the offer. -PVK_XEN_EOPNOTSUPP without feature-rx-copy. *queues_capped:
 * the backend's multi-queue-max-queues was absurd (log it). */
int netfront_negotiate(const struct netfront_options *o,
		       const struct netfront_offer *b,
		       struct pvk_netfront_info *info, bool *queues_capped);

/* What one queue publishes. */
struct netfront_queue_keys {
	unsigned int tx_ref, rx_ref, port_tx, port_rx;
};
#define NETFRONT_MAX_KEYS	(1 + 4 * NETFRONT_MAX_QUEUES + 7)
struct netfront_keys {
	unsigned int n;
	struct pvk_xenbus_kv kv[NETFRONT_MAX_KEYS];
	char key[NETFRONT_MAX_KEYS][32];
	char val[NETFRONT_MAX_KEYS][12];
};
/* Every key we write for a connection, for one transaction: queue keys
 * flat (one queue) or under queue-N/, event-channel or -tx/-rx, and our
 * features as negotiated in info. */
void netfront_build_keys(struct netfront_keys *ks,
			 const struct pvk_netfront_info *info,
			 const struct netfront_queue_keys *q);

enum netfront_after {
	NETFRONT_RECONNECT,		/* back to Initialising */
	NETFRONT_WAIT_REMOVAL,		/* detached: the node goes next */
	NETFRONT_DISABLE,		/* pages kept by the backend */
};
/* The backend is Closed and we tore down: online_rc/online from the
 * backend's "online" key; pages_kept: grants it did not let go. */
enum netfront_after netfront_after_closed(int online_rc, unsigned long online,
					  bool pages_kept);

/* A transmit slot: its ring id is its index. */
struct netfront_tx_slot {
	struct pvk_net_tx *tx;
	pvk_grant_ref_t gref;
	bool sent;			/* on the ring: may be answered */
	bool kept;			/* the backend would not let go: never reused */
};

/* A receive buffer: its ring id is its index. */
struct netfront_rx_buf {
	void *page;
	pvk_grant_ref_t gref;
	bool posted;			/* granted and on the ring */
	bool kept;			/* the backend would not let go: never reused */
};

struct netfront_queue {
	struct pvk_netfront *dev;
	unsigned int index;
	struct pvk_lock lock;			/* all below */
	struct pvk_netif_tx_front_ring tx;
	struct pvk_netif_rx_front_ring rx;
	void *tx_page, *rx_page;
	pvk_grant_ref_t tx_ref, rx_ref;
	bool tx_granted, rx_granted;
	/* Equal unless the event channels are split (tx, rx). */
	pvk_evtchn_port_t port_tx, port_rx;
	bool port_tx_bound, port_rx_bound;
	bool live;				/* rings up and backend Connected */
	/* Slots, buffers and bounce-page pointers live in whole pages (the
	 * kit's heap is for small control structures). */
	struct netfront_tx_slot *txs;		/* NETFRONT_RING_ENTS */
	void **tx_bounce;			/* bounce page of each slot */
	uint16_t tx_free[NETFRONT_RING_ENTS];	/* free ids, oldest freed first */
	unsigned int tx_free_head, tx_free_count;
	bool tx_unpushed;
	struct netfront_rx_buf *rxb;		/* NETFRONT_RING_ENTS */
	unsigned int rx_posted;
	struct pvk_netfront_stats stats;
};

struct pvk_netfront {
	struct pvk_xenbus_device *xdev;		/* NULL once removed */
	char name[32];				/* "device/vif/0", for logs */
	pvk_domid_t backend;
	struct pvk_lock lock;
	struct pvk_netfront_info info;
	struct pvk_wait wait;			/* completions, state changes */
	struct netfront_queue *queues;		/* info.nr_queues */
	bool broken;
	bool gone;				/* removed or failed: for good */
	bool removed_told;
	bool closed;				/* backend went away: reconnect pending */
	unsigned int in_callback;		/* a xenbus callback of ours runs */
	unsigned int connects;			/* times the link came up */
	unsigned int grants_live;
	struct pvk_netfront *next;
};

extern const struct pvk_netfront_hooks *netfront_hooks;

/* netfront_queue.c */
/* Allocates nr_queues queues (1..NETFRONT_MAX_QUEUES): rings granted, one
 * event channel each (two, tx and rx, if split_evtchn); after it each
 * dev->queues[i] has tx_ref, rx_ref, port_tx, port_rx to publish. May be
 * called again after netfront_queues_teardown (a reconnect). */
int netfront_queues_setup(struct pvk_netfront *dev, unsigned int nr_queues,
			  bool split_evtchn);
/* The backend is Connected: post the receive buffers, take frames. */
int netfront_queues_start(struct pvk_netfront *dev);
/* Link down: transmits outstanding and future fail with status. */
void netfront_queues_stop(struct pvk_netfront *dev, int status);
/* After the backend is Closed: end every grant, free what it let go. */
void netfront_queues_teardown(struct pvk_netfront *dev);
/* After a teardown that ended every grant: frees the queues and their
 * pages (dev->queues NULL again, ready for a new setup). */
void netfront_queues_free(struct pvk_netfront *dev);
/* The link's state, told to the host's link hook on each change. */
void netfront_set_link(struct pvk_netfront *dev, bool up);
/* Marks the device broken (once, logged), the link down. */
void netfront_break(struct pvk_netfront *dev, const char *why,
		    unsigned long long v1, unsigned long long v2);
/* The checks of one response, pure: NULL or the complaint. */
const char *netfront_check_tx_response(const struct netfront_queue *q,
				       const struct pvk_netif_tx_response *rsp);
const char *netfront_check_rx_response(const struct netfront_queue *q,
				       const struct pvk_netif_rx_response *rsp);

#endif /* PVKIT_NETFRONT_INTERNAL_H */
