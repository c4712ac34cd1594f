/*
 * frontends/netfront/netfront_internal.h - what netfront's files share:
 * the device, its queues (per queue: tx and rx rings of one page each,
 * one event channel or two, one lock, the transmit slots and receive
 * buffers, the receive chain being assembled, the counters), the limits
 * of this implementation, and the functions one file offers the others.
 *
 *   netfront_options.c    the host's switches (what we may ask for)
 *   netfront_negotiate.c  pure decisions: what is negotiated, the keys we
 *                         write, what follows a Closed backend
 *   netfront_xenbus.c     the vif driver: negotiation and lifecycle
 *                         (reconnect, removal, release), the device list
 *   netfront_queue.c      queue setup, start, stop, teardown; events; link
 *   netfront_tx.c         transmit: checks, slot cutting, bounce, completion
 *   netfront_rx.c         receive: posting, chains, extras, checks, refill
 *   netfront_rx_host.c    receive driven by the host: its polls with a
 *                         budget, pages it takes in place of a copy
 *   netfront_suspend.c    xl save/restore: quiesce, reconnect to the new
 *                         backend, resend, the gratuitous ARP
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
/* Steps one call of netfront_tx_process / netfront_rx_process may take
 * (responses, passes): it runs in upcall context, so a host hook that
 * keeps queueing and a backend that keeps answering cannot hold it. */
#define NETFRONT_PROCESS_BUDGET	(4 * NETFRONT_RING_ENTS)
#define NETFRONT_MAX_QUEUES	8u
/* With sg, netback waits for ceil(65,535 / 4096) + 1 = 17 buffers posted
 * at once for its largest frame, plus its GSO extra-info slot: 19. */
#define NETFRONT_MIN_RX_BUFFERS_SG	19u
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

/* What we can receive, as our feature-sg / -gso-tcpv4 / -gso-tcpv6 /
 * -no-csum-offload / -ipv6-csum-offload keys tell the backend: the
 * host's switches alone. The backend's keys of the same names say what
 * it accepts from us (transmit, in pvk_netfront_info); the two
 * directions are independent. A GSO frame needs sg and the checksum. */
struct netfront_rx_features {
	bool sg, gso_tcpv4, gso_tcpv6, csum, ipv6_csum;
};
void netfront_rx_features(const struct netfront_options *o,
			  struct netfront_rx_features *rx);

/* What one queue publishes. */
struct netfront_queue_keys {
	unsigned int tx_ref, rx_ref, port_tx, port_rx;
};
/* Written: multi-queue-num-queues, 4 per queue, 7 features. Removed (the
 * other layouts' keys, left by an earlier connection): at most the 5 flat
 * queue keys and two per queue (or its whole queue-N directory). */
#define NETFRONT_MAX_KEYS	(1 + 4 * NETFRONT_MAX_QUEUES + 7 + 5 + 2 * NETFRONT_MAX_QUEUES)
struct netfront_keys {
	unsigned int n;
	struct pvk_xenbus_kv kv[NETFRONT_MAX_KEYS];
	char key[NETFRONT_MAX_KEYS][32];
	char val[NETFRONT_MAX_KEYS][12];
};
/* Every key we write for a connection, for one transaction: queue keys
 * flat (one queue) or under queue-N/, event-channel or -tx/-rx, and what
 * we can receive (rx); and, with a NULL value (removed in the
 * same transaction), every key of the other layouts an earlier connection
 * may have left: netback reads event-channel-tx/-rx before event-channel,
 * and the flat keys or queue-N/ by multi-queue-num-queues. */
void netfront_build_keys(struct netfront_keys *ks,
			 const struct pvk_netfront_info *info,
			 const struct netfront_rx_features *rx,
			 const struct netfront_queue_keys *q);

/* A "mac" key's value: 0, or -PVK_XEN_EINVAL if it is not exactly
 * "aa:bb:cc:dd:ee:ff", and *why set if it is multicast or all zeros. */
int netfront_parse_mac(const char *s, uint8_t mac[PVK_NET_ETH_ALEN], const char **why);

/* Connections in a row that never bring the link up before the device is
 * disabled (a backend failing each connect would loop for ever). */
#define NETFRONT_MAX_ATTEMPTS	3u

enum netfront_after {
	NETFRONT_RECONNECT,		/* back to Initialising */
	NETFRONT_WAIT_REMOVAL,		/* detached: the node goes next */
	NETFRONT_DISABLE,		/* pages kept by the backend */
	NETFRONT_GIVE_UP,		/* NETFRONT_MAX_ATTEMPTS failed in a row */
	NETFRONT_RETRY_LATER,		/* online unreadable: decided at the next event */
};
/* The backend is Closed and we tore down: online_rc/online from the
 * backend's "online" key; pages_kept: grants it did not let go; attempts:
 * connections since the link was last up. */
enum netfront_after netfront_after_closed(int online_rc, unsigned long online,
					  bool pages_kept, unsigned int attempts);

/* Slots of one transmit frame at most: netback drops a frame of more than
 * XEN_NETBK_LEGACY_SLOTS_MAX (18) slots and disables a frontend sending
 * more than 20. We pack into whole pages, so 65,535 bytes take 16. */
#define NETFRONT_MAX_TX_SLOTS	18u
PVK_BUILD_BUG_ON((NETFRONT_MAX_FRAME_SG + NETFRONT_PAGE - 1) / NETFRONT_PAGE >
		 NETFRONT_MAX_TX_SLOTS);

#define NETFRONT_ETH_P_IP	0x0800u
#define NETFRONT_ETH_P_IPV6	0x86ddu
#define NETFRONT_ETH_P_8021Q	0x8100u
#define NETFRONT_ETH_P_8021AD	0x88a8u

/*
 * A transmit slot: one request on the tx ring with its bounce page; its
 * ring id is its index. A frame takes one slot per page of data; its
 * first slot (the head) holds the frame and counts what is unanswered.
 * No slot of a frame returns to the free list before the whole frame is
 * answered: netback may answer the head (or a middle slot) first, and a
 * head reused early would have its frame state overwritten.
 */
struct netfront_tx_slot {
	struct pvk_net_tx *tx;		/* head only: the frame, until done() */
	pvk_grant_ref_t gref;
	uint16_t head;			/* the frame's first slot */
	uint8_t left;			/* head: slots not yet answered */
	/* Bits, so that 256 slots fit one page. */
	uint8_t granted : 1;		/* gref is live */
	uint8_t sent : 1;		/* pushed to the backend, not answered */
	uint8_t kept : 1;		/* the backend would not let go: never reused */
	uint8_t failed : 1;		/* head: a slot was answered with an error */
	/* Of a frame the old backend had not answered when the domain was
	 * saved: its page holds the data until the resend copied it. */
	uint8_t replay : 1;
};
#define NETFRONT_NO_ID		0xffffu
/* A receive buffer: its id is its index. */
struct netfront_rx_buf {
	void *page;
	pvk_grant_ref_t gref;
	bool posted;			/* granted and on the ring */
	bool held;			/* answered, part of the chain being assembled */
	bool kept;			/* the backend would not let go: never reused */
};

/* A piece of a received frame: the data is in buffer id. */
struct netfront_rx_piece {
	uint16_t id, offset, len;
};

/*
 * The receive chain being assembled (NETRXF_more_data): responses are
 * consumed one by one, each read once; the buffers of the pieces stay
 * held until the frame is delivered or dropped, so a chain the backend
 * has not finished yet waits for the next event.
 */
struct netfront_rx_chain {
	bool active;			/* a first slot was taken */
	bool extra_due;			/* an extra-info slot comes next */
	bool more;			/* the last data slot said more_data */
	bool drop_error;		/* a slot's status was an error */
	bool drop_toolong;		/* more bytes than a frame has */
	uint32_t extras_seen;		/* bit per extra-info type taken */
	bool nobuf;			/* a buffer of it could not be posted again */
	uint16_t flags;			/* the first slot's NETRXF_* */
	unsigned int slots;		/* data slots taken */
	unsigned int nr;		/* pieces held */
	uint32_t bytes;
	enum pvk_net_gso gso_type;
	uint16_t gso_size;
	struct netfront_rx_piece piece[PVK_NET_MAX_FRAGS];
};

/* A ring page set aside at teardown because the backend still mapped
 * it. The link is not kept in the page itself (as blkfront's retired
 * list keeps it in its page descriptors): the backend maps a ring page
 * writable and could rewrite a link stored there. */
struct netfront_kept_ring {
	struct netfront_kept_ring *next;
	void *page;
	pvk_grant_ref_t ref;
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
	/* Ring pages the backend still mapped at teardown, of this and
	 * earlier connections: their grants are tried again at release
	 * (netfront_queues_retry_kept). */
	struct netfront_kept_ring *kept_rings;
	/* Equal unless the event channels are split (tx, rx). */
	pvk_evtchn_port_t port_tx, port_rx;
	bool port_tx_bound, port_rx_bound;
	bool live;				/* rings up and backend Connected */
	/* Quiesced for a suspend: live was true and is false until the
	 * resume (nothing touches the rings or notifies the ports). */
	bool frozen;
	/* Slots, buffers and bounce-page pointers live in whole pages (the
	 * kit's heap is for small control structures). */
	struct netfront_tx_slot *txs;		/* NETFRONT_RING_ENTS */
	void **tx_bounce;			/* bounce page of each slot (lazily) */
	uint16_t tx_free[NETFRONT_RING_ENTS];	/* free ids, oldest freed first */
	unsigned int tx_free_head, tx_free_count;
	uint16_t tx_next[NETFRONT_RING_ENTS];	/* next slot of the frame, or NO_ID */
	uint16_t tx_ring_id[NETFRONT_RING_ENTS]; /* ring slot -> slot id (NO_ID: extra) */
	uint16_t tx_len[NETFRONT_RING_ENTS];	/* head: the frame's bytes (ours) */
	/* After a resume: heads of the frames to send again, oldest first
	 * (netfront_suspend.c). */
	uint16_t replay[NETFRONT_RING_ENTS];
	unsigned int replay_n;
	unsigned int tx_nulls_due;		/* pushed extra-info slots not yet answered */
	bool tx_unpushed;
	/* What we published (private: the shared req_prod is the backend's
	 * to scribble on): responses beyond it were never asked for. */
	uint32_t tx_pushed, rx_pushed;
	bool rx_running, rx_again;		/* rx hook of this queue under way */
	bool rx_refill_due;			/* a buffer could not be posted */
	/* A call stopped on its budget with responses waiting: no event
	 * will come for them (rsp_event is behind rsp_prod), so the next
	 * poll, kick, wait_tx or EAGAIN transmit takes them. */
	bool tx_due, rx_due;
	unsigned int tx_running;		/* netfront_tx_process calls under way */
	struct netfront_rx_buf *rxb;		/* NETFRONT_RING_ENTS */
	uint16_t *rx_ring_id;			/* ring slot -> buffer posted there */
	unsigned int rx_posted;
	struct netfront_rx_chain chain;
	/* The frame the rx hook holds now, and the buffer of each piece
	 * (pvk_netfront_rx_take_page swaps that buffer's page). */
	const struct pvk_net_rx *rx_frame;
	uint16_t rx_frame_ids[PVK_NET_MAX_FRAGS];
	struct pvk_netfront_stats stats;
};

struct pvk_netfront {
	struct pvk_xenbus_device *xdev;		/* NULL once removed */
	char name[32];				/* "device/vif/0", for logs */
	pvk_domid_t backend;
	struct pvk_lock lock;
	struct pvk_netfront_info info;		/* sg..ipv6_csum_offload: transmit */
	struct netfront_rx_features rxf;	/* what we said we receive */
	struct pvk_wait wait;			/* completions, state changes */
	struct netfront_queue *queues;		/* info.nr_queues */
	bool broken;
	bool broken_stopped;			/* the stop after broken ran */
	bool link_told;				/* what the link hook heard last */
	bool link_telling;			/* a link hook call is under way */
	bool gone;				/* removed or failed: for good */
	bool removed_told;
	/* Thread-context lifecycle (xenstore watches, wait_connected,
	 * release): */
	unsigned int attempts;			/* negotiations since the link was up */
	bool broken_closed;			/* Closed written for the broken device */
	unsigned int in_callback;		/* a xenbus callback of ours runs */
	unsigned int grants_live;
	/* Suspend (netfront_suspend.c): quiesced, transmits refused with
	 * -EAGAIN until the connection after it is up (or the device goes). */
	bool suspended;
	bool resuming;				/* reconnecting after a resume */
	uint8_t mac_before[PVK_NET_ETH_ALEN];	/* checked on the new backend */
	bool mac_known;				/* info.mac was read once */
	bool mac_before_known;			/* mac_before is one read */
	/* How this resume ended, decided once under lock: the give-up or
	 * Connected's completion, whichever comes first; the other does
	 * nothing of its own (netfront_suspend.c). */
	bool resume_gave_up;			/* the reconnect took too long */
	bool resume_connected;			/* Connected came first */
	bool deadline_timer;			/* the give-up is the timer work's alone */
	bool deadline_on;			/* its give-up is the timer's (netfront_suspend.c) */
	bool announce;				/* the host gave an IPv4 address */
	uint8_t announce_ip[4];
	uint8_t garp[60];			/* the gratuitous ARP frame */
	struct pvk_net_frag garp_frag;
	struct pvk_net_tx garp_tx;
	bool garp_busy;				/* garp_tx not yet done() */
	uint64_t resume_ns;			/* resume() ran, kit's clock */
	struct pvk_netfront_resume_stats rs;
	struct pvk_netfront *next;
};

extern const struct pvk_netfront_hooks *netfront_hooks;

/* netfront_queue.c */
/* Allocates nr_queues queues (1..NETFRONT_MAX_QUEUES): rings granted, one
 * event channel each (two, tx and rx, if split_evtchn); after it each
 * dev->queues[i] has tx_ref, rx_ref, port_tx, port_rx to publish. Sets
 * info.nr_queues, tx_depth, rx_buffers, split_evtchn. May be called again
 * after netfront_queues_teardown (a reconnect). */
int netfront_queues_setup(struct pvk_netfront *dev, unsigned int nr_queues,
			  bool split_evtchn);
/* The backend is Connected: with dev->info.{sg, gso_tcpv4, gso_tcpv6,
 * csum_offload, ipv6_csum_offload, trusted} set as negotiated, sets
 * info.max_frame, posts the receive buffers, takes frames. */
int netfront_queues_start(struct pvk_netfront *dev);
/* Link down: transmits outstanding and future fail with status. */
void netfront_queues_stop(struct pvk_netfront *dev, int status);
/* True while a queue's port is still bound (a close that failed). */
bool netfront_ports_bound(const struct pvk_netfront *dev);
/* After the backend is Closed: end every grant, close the event channels,
 * keep what the backend would not let go; setup may run again. */
void netfront_queues_teardown(struct pvk_netfront *dev);
/* After teardown: ends the grants of kept pages (ring pages, transmit
 * and receive buffers) the backend has let go of since. */
void netfront_queues_retry_kept(struct pvk_netfront *dev);
/* Frees the queues and every page of theirs the backend did not keep
 * (after teardown, once no grant of the device is live: release only;
 * a reconnect keeps the array, which the host may still be using). */
void netfront_queues_free(struct pvk_netfront *dev);
/* The link's state, told to the host's link hook on each change. */
void netfront_set_link(struct pvk_netfront *dev, bool up);
void netfront_tell_link(struct pvk_netfront *dev);
/* Marks the device broken (once, logged), the link down. */
void netfront_break(struct pvk_netfront *dev, const char *why,
		    long long v1, long long v2);
/* Once the device is broken: fails every transmit outstanding (-EIO),
 * takes the link down; runs once, unlocked. */
void netfront_broken_stop(struct pvk_netfront *dev);
void netfront_grants_add(struct pvk_netfront *dev, int n);
/* Ends a grant before its page is read or reused: false while the backend
 * still maps it (the page must then stay out of use for good). */
bool netfront_end_grant(struct pvk_netfront *dev, pvk_grant_ref_t ref);

/* netfront_xenbus.c: the device list (in the watch worker role). */
struct pvk_netfront *netfront_devices(void);

/* netfront_suspend.c */
/* Registers netfront's suspend part (pvk_netfront_init). */
int netfront_suspend_register(void);
/* Resumed in a new domain: the old connection forgotten (ports, grants,
 * pages the old backend held), frames not answered put on their queues'
 * replay lists, the link down without telling the host. No xenstore. */
void netfront_resume_forget(struct pvk_netfront *dev);
/* The backend is Connected after a resume: resend, announce, let the
 * host transmit again. Thread context, after netfront_queues_start. */
void netfront_resume_connected(struct pvk_netfront *dev);
/* The device closes or goes before its reconnect finished: the frames
 * kept for the resend complete with status, transmits are no longer
 * refused with -EAGAIN (the link's own state answers). */
void netfront_resume_abandon(struct pvk_netfront *dev, int status);

/* netfront_tx.c */
/* pvk_netfront_xmit() with the frame's bytes taken from data (same
 * length and flags as tx) and done() called on tx; resend: the frame was
 * kept across a resume (the device's suspended state does not refuse it). */
int netfront_xmit(struct pvk_netfront *dev, const struct pvk_net_tx *data,
		  struct pvk_net_tx *tx, bool resend);
/* A frame the host asks to send, against what was negotiated: 0 and its
 * length, or -PVK_XEN_EINVAL / -PVK_XEN_EOPNOTSUPP. Pure. */
int netfront_tx_check(const struct pvk_netfront_info *info,
		      const struct pvk_net_tx *tx, size_t *len);
/* Slots a frame of len bytes is cut into (whole pages, packed). */
unsigned int netfront_tx_slots(size_t len);
/* Across a resume: the saved ring's answers taken (frames completed), and
 * a kept frame written again in place (netfront_tx.c). */
unsigned int netfront_tx_drain_saved(struct netfront_queue *q);
int netfront_tx_requeue_locked(struct netfront_queue *q, uint16_t head,
			       struct pvk_net_tx *tx);
/* Gives up a reconnect after a resume that took too long (suspend.c):
 * called by the host's xmit and wait_tx. */
void netfront_resume_check_deadline(struct pvk_netfront *dev);
/* The reconnect deadline's own timer (netfront_suspend.c): its fn, as the
 * kit's slow one-shot calls it (upcall context), and the work that fn
 * schedules (thread context); the unit tests call both as the kit would. */
void netfront_deadline_fired(void *arg);
bool netfront_deadline_work(struct pvk_work *work);
/* The work's pass, in the role, taken only when nobody holds it: only,
 * or every device when NULL. 0 done; the role held: 1 when the retry is
 * on the timer (backoff), -PVK_XEN_EBUSY when the work must be called
 * again by the port. */
int netfront_deadline_run(struct pvk_netfront *only);
extern uint64_t netfront_deadline_busy_tries;	/* tries that found the role held */
/* One device's quiesce, and its resume cancelled (suspend.c). */
void netfront_quiesce_one(struct pvk_netfront *dev);
void netfront_cancelled_one(struct pvk_netfront *dev);
/* The checks of one response, pure: NULL or the complaint. */
const char *netfront_check_tx_response(const struct netfront_queue *q,
				       const struct pvk_netif_tx_response *rsp);
/* Consumes transmit responses (event or poll): whether any was there. */
bool netfront_tx_process(struct netfront_queue *q);
/* Thread or host calls (poll, kick, wait_tx, an EAGAIN transmit): runs
 * what a budget left due and retries a failed refill (notifying the
 * backend), unless a call of the same ring runs already (then it does). */
void netfront_queue_catch_up(struct netfront_queue *q);
void netfront_tx_push_locked(struct netfront_queue *q, bool *notify);
/* Pushes what a live queue holds and notifies if the backend asked. */
void netfront_tx_push(struct netfront_queue *q);

/* netfront_rx.c */
/* The checks of one data response, pure: NULL or the complaint. first:
 * the chain's first slot (the only one that may carry checksum and
 * extra-info flags). */
const char *netfront_check_rx_response(const struct netfront_queue *q,
				       const struct pvk_netif_rx_response *rsp,
				       bool first);
/* The checks of one extra-info slot, pure: NULL or the complaint. */
const char *netfront_check_rx_extra(const struct netfront_queue *q,
				    const struct pvk_netif_extra_info *ex);
/* Grants buffer id and puts it on the rx ring. Locked. */
int netfront_rx_post_locked(struct netfront_queue *q, uint16_t id);
void netfront_rx_push_locked(struct netfront_queue *q, bool *notify);
/* Posts again every buffer (of the first info.rx_buffers) that is not
 * posted, held or kept: a failed post is retried here. Locked. */
void netfront_rx_refill_locked(struct netfront_queue *q);
/* Consumes receive responses, delivers whole frames (event or poll):
 * whether any was there. A call while the queue's rx already runs (from
 * its rx hook, or an event during a poll) leaves the work to it. */
bool netfront_rx_process(struct netfront_queue *q);
/* The same, stopping once max_frames frames were taken (delivered or
 * dropped) without asking for the next event: returns the frames taken;
 * *found says whether any response was there. */
unsigned int netfront_rx_process_budget(struct netfront_queue *q, unsigned int max_frames,
					bool *found);

/* netfront_rx_host.c (the host-driven receive: pvk_netfront_rx_poll,
 * pvk_netfront_rx_take_page) */
/* Where the kit would consume q's receive responses itself: it does, or,
 * when the host drives receive (hooks->rx_ready), tells the host if q has
 * work. Whether q had work. */
bool netfront_rx_kick(struct netfront_queue *q);

#endif /* PVKIT_NETFRONT_INTERNAL_H */
