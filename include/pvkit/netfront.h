/*
 * pvkit/netfront.h - the PV network frontend: the network interface a
 * host kernel uses for the virtual NICs (vif devices) the toolstack gave
 * it.
 *
 * The kit finds each device/vif/N on xenbus, negotiates with the backend
 * (netback), reads the MAC from the device's "mac" key, and once the
 * backend is Connected the link is up: frames can be sent with
 * pvk_netfront_xmit() and arrive through hooks->rx. Transmit is
 * asynchronous: the request's done() runs once with its status.
 *
 * Lifecycle. A backend that goes away and comes back (Closing/Closed,
 * then InitWait again) takes the link down (outstanding transmits fail
 * with -PVK_XEN_ENODEV) and the frontend goes Closed; once the backend is
 * Closed too the grants are ended, and if its "online" key still says 1
 * the device reconnects by itself: the frontend returns to Initialising,
 * negotiates again, the link comes up with the same struct pvk_netfront.
 * netback unbound and bound again in dom0 shows no Closed (it leaves its
 * state as it was, then writes InitWait and maps the rings it finds at
 * once): InitWait (or its state written again) while we are connected
 * makes the frontend go Closed first, and the grants end at netback's
 * Closed. A backend Closed with "online" 0 (the toolstack's detach) only
 * leaves the device Closed, waiting: the device ends for good when its
 * node is deleted (hooks->removed runs once, then pvk_netfront_release()
 * may free it). A device whose link never comes up in 3 connections in
 * a row, or whose backend keeps pages mapped after Closed, is disabled
 * (a log line; it stays until removed). A device marked broken is closed
 * toward the backend from thread context (the next xenstore watch of it,
 * pvk_netfront_wait_connected() or pvk_netfront_release()) and never
 * reconnects.
 *
 * Protocol: tx-ring-ref / rx-ring-ref of one page each per queue;
 * one event-channel per queue, or event-channel-tx / event-channel-rx when
 * the backend offers feature-split-event-channels; multi-queue
 * (multi-queue-max-queues from the backend, multi-queue-num-queues and
 * queue-N/ keys from us, when more than one queue is asked for);
 * request-rx-copy (mandatory); feature-rx-notify (written: we notify
 * when we post receive buffers; netback then waits for them instead of
 * dropping on a short timeout);
 * feature-sg (frames of several slots each way, up to 65,535 bytes);
 * feature-gso-tcpv4 / -tcpv6 (TCP segmentation offload each way: a GSO
 * extra-info slot); transmit and receive checksum offload (IPv4 always
 * unless feature-no-csum-offload=1 is written, IPv6 with
 * feature-ipv6-csum-offload); event suppression on both rings; the MAC
 * from the device's "mac" key; "trusted" from the frontend's own node
 * (absent means untrusted). What we send uses a feature when the host's
 * switches (pvk_netfront_option) allow it AND the backend accepts it;
 * pvk_netfront_info() says what was negotiated (its sg, gso and csum
 * flags: the transmit direction). What we can receive is written from the
 * switches alone (the directions are independent): a received frame may
 * be a chain, GSO or checksum-blank whenever the switches allow it. A frame asking for an
 * offload that was not negotiated is refused with -PVK_XEN_EOPNOTSUPP.
 *
 * The backend is untrusted: transmit data is copied into whole pages of
 * the kit's, zeroed before each use (unless the backend is trusted: then
 * the rest of a page is not zeroed), never the host's own buffers; receive
 * pages are the kit's, granted for one frame at a time. Each response is
 * copied once and checked (id outstanding, offset + size within the page,
 * a known status, no flag asking for a feature not negotiated); one the
 * backend cannot have sent marks the device broken: a clear log line,
 * the link goes down, every outstanding and future transmit fails with
 * -PVK_XEN_EIO, and the rest of the guest runs on. A grant the backend
 * still uses is never ended by force: its page is never freed or reused.
 * Every wait is bounded.
 *
 * Status values: 0, -PVK_XEN_EIO (device broken, or the backend reported
 * an error), -PVK_XEN_ENODEV (link down: closed, removed, not yet
 * connected), -PVK_XEN_EINVAL (a frame shorter than an Ethernet header or
 * longer than info->max_frame, more pieces than PVK_NET_MAX_FRAGS, a bad
 * csum_start/csum_offset, gso_size 0), -PVK_XEN_EOPNOTSUPP (offload not
 * negotiated), -PVK_XEN_EAGAIN (transmit ring full, or no grant reference
 * free while frames of the queue are in flight, or the guest suspending or
 * reconnecting after a resume: wait for completions,
 * pvk_netfront_wait_tx(), then try again), -PVK_XEN_ENOMEM (no memory,
 * or no grant reference free and nothing in flight).
 */
#ifndef PVKIT_NETFRONT_H
#define PVKIT_NETFRONT_H

#include <pvkit/types.h>

struct pvk_netfront;

#define PVK_NET_ETH_ALEN	6
#define PVK_NET_ETH_HLEN	14

/* A piece of a frame to send: any address, any length. */
struct pvk_net_frag {
	const void *buf;
	size_t len;
};

/* pvk_net_tx.flags */
/* The transport checksum is left for the backend (the field holds the
 * pseudo-header sum, as for any checksum offload). netback finds the
 * checksum itself: csum_start and csum_offset are not sent but checked
 * against what it will find (csum_start the TCP or UDP header's offset,
 * csum_offset 16 for TCP, 6 for UDP; else -PVK_XEN_EINVAL). It finds one
 * only in TCP or UDP over IPv4 (not a fragment) or IPv6 (no extension
 * header) right after the Ethernet header (no VLAN tag): other frames
 * are refused with -PVK_XEN_EOPNOTSUPP (netback would drop them while
 * answering success). Needs info->csum_offload (IPv4) or
 * info->ipv6_csum_offload (IPv6); GSO frames need it too (and TCP). */
#define PVK_NET_TX_CSUM_PARTIAL	(1u << 0)
/* More frames follow at once on this queue: queue this one without
 * notifying the backend; the next xmit without it, or
 * pvk_netfront_kick(), pushes them with at most one notification. */
#define PVK_NET_TX_MORE		(1u << 1)

enum pvk_net_gso {
	PVK_NET_GSO_NONE,
	PVK_NET_GSO_TCPV4,	/* needs info->gso_tcpv4 (and sg) */
	PVK_NET_GSO_TCPV6,	/* needs info->gso_tcpv6 (and sg) */
};

/* Pieces of one frame at most, each way (a transmit frame is re-cut into
 * slots of at most one page; the backend takes at most 18 slots). */
#define PVK_NET_MAX_FRAGS	18

/*
 * One frame to send, owned by the host until done() ran: nr_frags pieces
 * making one Ethernet frame (header included, no FCS). The data is copied
 * by pvk_netfront_xmit(): the host's buffers are free again once it
 * returns, whatever it returned.
 */
struct pvk_net_tx {
	const struct pvk_net_frag *frags;
	unsigned int nr_frags;
	unsigned int flags;		/* PVK_NET_TX_* */
	uint16_t csum_start;		/* CSUM_PARTIAL: from the frame start */
	uint16_t csum_offset;		/* CSUM_PARTIAL: from csum_start */
	enum pvk_net_gso gso_type;
	uint16_t gso_size;		/* MSS, with gso_type */
	unsigned int queue;		/* modulo info->nr_queues */
	/* Runs once, in event-handler context (must not sleep), or inside
	 * a call of the host's: pvk_netfront_poll(), pvk_netfront_kick(),
	 * pvk_netfront_wait_tx(), pvk_netfront_xmit() (of another frame:
	 * after a failure that broke the device, or refused for room,
	 * which takes answers waiting), pvk_netfront_wait_connected() and
	 * pvk_netfront_release() (they may close a broken device), or in
	 * xenstore-watch context when the device closes (-PVK_XEN_ENODEV)
	 * or reconnects after a resume (answers taken then, or a frame the
	 * new connection refused: see "Suspend and resume" below).
	 * Never with a kit lock held: it may send again. */
	void (*done)(struct pvk_net_tx *tx, int status);
	void *arg;			/* the host's */
};

/* Checksum state of a received frame. */
enum pvk_net_csum {
	PVK_NET_CSUM_NONE,	/* nothing known: the host checks it */
	PVK_NET_CSUM_VALID,	/* the backend says the data is validated */
	PVK_NET_CSUM_PARTIAL,	/* checksum not filled in, data validated
				 * (only with the csum or ipv6_csum switch on):
				 * the host fills it in or passes it on */
};

/*
 * A received frame, handed to hooks->rx: nr_frags pieces (1 without sg,
 * up to PVK_NET_MAX_FRAGS with it), in pages of the kit's, valid only
 * until rx returns: then the pages are recycled (granted again and
 * posted to the backend for the next frame, the refill). len is the sum
 * of the pieces. A GSO frame (only with gso negotiated) says the MSS the
 * host must cut it to if it forwards it.
 */
struct pvk_net_rx {
	const struct pvk_net_frag *frags;
	unsigned int nr_frags;
	size_t len;
	enum pvk_net_csum csum;
	enum pvk_net_gso gso_type;
	uint16_t gso_size;
	unsigned int queue;
};

struct pvk_netfront_info {
	unsigned int id;		/* the xenbus id: device/vif/<id> */
	uint8_t mac[PVK_NET_ETH_ALEN];	/* from the device's "mac" key */
	unsigned int nr_queues;
	unsigned int tx_depth;		/* ring slots outstanding at most, per
					 * queue: a frame takes one per page
					 * of data, plus one with GSO */
	unsigned int rx_buffers;	/* receive pages posted, per queue */
	size_t max_frame;		/* bytes of one frame at most: 1,514
					 * without sg, 65,535 with it (the
					 * backend's MTU decides what it
					 * forwards) */
	bool sg, gso_tcpv4, gso_tcpv6, csum_offload, ipv6_csum_offload;
	bool split_evtchn, trusted;
	bool link_up;
};

/* Per queue; pvk_netfront_get_stats() sums them. */
struct pvk_netfront_stats {
	uint64_t tx_packets, tx_bytes;	/* counted when queued */
	uint64_t tx_errors;		/* the backend answered an error or drop */
	uint64_t tx_eagain;		/* xmit refused: ring full */
	uint64_t rx_packets, rx_bytes;
	/* Received frames dropped, and why: */
	uint64_t rx_drop_error;		/* the backend's status was an error */
	uint64_t rx_drop_empty;		/* zero bytes */
	uint64_t rx_drop_nobuf;		/* frames whose pages could not all be
					 * posted again at once (no grant or
					 * page: retried on each event) */
	uint64_t rx_drop_toolong;	/* more pieces or bytes than a frame may have */
	uint64_t notify_sent;		/* event-channel sends */
	uint64_t notify_recv;		/* events received */
	uint64_t grants;		/* grants issued (rings, data pages) */
};

/*
 * Host hooks (all optional):
 * added    a vif is known and negotiating (xenstore-watch context)
 * link     the link went up (backend Connected) or down (closing,
 *          removed, broken) (xenstore-watch or event context, or inside
 *          pvk_netfront_xmit(), _poll(), _kick(), _wait_tx() when the
 *          device broke there, or _wait_connected() and _release(),
 *          which may close a broken device)
 * rx       a frame arrived (event context, or inside pvk_netfront_poll());
 *          rx hooks of one queue never nest and see frames in order (an
 *          rx of that queue started from inside the hook, e.g. by
 *          pvk_netfront_poll(), is left to the running one)
 * removed  the vif closed for good (xenstore-watch context)
 */
struct pvk_netfront_hooks {
	void (*added)(struct pvk_netfront *dev);
	void (*link)(struct pvk_netfront *dev, bool up);
	void (*rx)(struct pvk_netfront *dev, const struct pvk_net_rx *frame);
	void (*removed)(struct pvk_netfront *dev);
	/* Optional: the host drives receive itself (a NAPI-style poll).
	 * When set, the kit never consumes receive responses on its own:
	 * where it would (an rx event, pvk_netfront_poll(), _kick(),
	 * _wait_tx(), a refused xmit) it calls rx_ready(dev, queue) instead,
	 * only when that queue has work (responses waiting, or work a budget
	 * or a failed refill left), in event context or inside those calls;
	 * the host then calls pvk_netfront_rx_poll() for the queue (from one
	 * context at a time per queue) until it returns less than its
	 * budget, and rx runs only inside those calls. While the host polls,
	 * no rx event is asked for: one is armed again only when a poll
	 * finds the ring empty. */
	void (*rx_ready)(struct pvk_netfront *dev, unsigned int queue);
};

/*
 * Switches from the host's command line, before pvk_netfront_init():
 * name is the part after "netfront." (the host strips it), value decimal:
 *   sg=0|1  gso_tcpv4=0|1  gso_tcpv6=0|1  csum=0|1  ipv6_csum=0|1
 *   split_evtchn=0|1     what we may ask for (default 1 each; the
 *                        backend must offer it too); gso needs sg and csum
 *   trusted=0|1          0: bounce into zeroed pages even when the
 *                        frontend's "trusted" key says 1 (default 1: obey
 *                        the key)
 *   queues=N             queues asked for, 1..8 (default 2; fewer if the
 *                        backend offers fewer)
 *   rx_buffers=N         receive pages posted per queue, 1..256 (default 256;
 *                        with sg at least 19 are posted, logged: netback
 *                        waits for room for its largest frame)
 * Returns 0, or -PVK_XEN_EINVAL for an unknown name or a bad value.
 */
int pvk_netfront_option(const char *name, const char *value);

/* Registers the vif driver with xenbus (once; later calls return 0). */
int pvk_netfront_init(const struct pvk_netfront_hooks *hooks);

/*
 * Waits (bounded, running xenstore watches) until vif id has its link up.
 * -PVK_XEN_ETIMEDOUT when it is not by then: a vif of that id whose
 * backend never connected it (stuck in InitWait, say) is then given up
 * (logged, closed toward the backend, grants ended but a page the backend
 * maps, no reconnect; it stays until removed, as a disabled device does).
 *
 * The give-up, and closing a broken device (here and in
 * pvk_netfront_release()), change the device as its xenbus callbacks do,
 * so they run in the watch worker role (pvk_xenbus_worker_enter(), taken
 * here, at most PVK_XS_TIMEOUT_NS: the callbacks of another CPU return
 * first) and decide there: a link that came up meanwhile is returned (0);
 * nothing is given up when the role could not be had (logged) or when the
 * vif's own callback is running (the host waits from a hook that callback
 * called). Any thread may call it, holding the role or not (on a host with
 * several threads per CPU: see pvk_xenbus_worker_enter()).
 *
 * How long it takes, at most: timeout_ns; plus the watch callbacks it
 * runs meanwhile (it delivers them, and each is bounded by its own
 * waits); plus twice PVK_XS_TIMEOUT_NS waiting for the role (once to
 * close a broken vif: a call asks for it for that once at most; once for
 * the give-up when timeout_ns has run out), and the closes' state writes
 * (xenstore requests, each bounded by PVK_XS_TIMEOUT_NS, retried on
 * conflict a bounded number of times). The host calls again to close or
 * give up what the role kept it from.
 */
int pvk_netfront_wait_connected(unsigned int id, uint64_t timeout_ns,
				struct pvk_netfront **out);

const struct pvk_netfront_info *pvk_netfront_info(const struct pvk_netfront *dev);

/* 0: queued, done() will run. Else nothing was queued, done() will not
 * run, and the value is a status as above. */
int pvk_netfront_xmit(struct pvk_netfront *dev, struct pvk_net_tx *tx);
/* Pushes frames queued with PVK_NET_TX_MORE on queue. */
void pvk_netfront_kick(struct pvk_netfront *dev, unsigned int queue);
/* Processes responses now, on every queue (a host polling). */
void pvk_netfront_poll(struct pvk_netfront *dev);
/*
 * With hooks->rx_ready: consumes queue's receive responses, delivering
 * up to budget frames (hooks->rx, inside this call; dropped frames count
 * too), and posts their buffers again with at most one notification.
 * Returns the frames taken: less than budget means the ring was empty
 * and the rx event is armed again (the host may stop polling; the next
 * frame calls rx_ready); budget (or more work than it allowed) means
 * poll again. 0 for a queue out of range, not connected or broken.
 */
unsigned int pvk_netfront_rx_poll(struct pvk_netfront *dev, unsigned int queue,
				  unsigned int budget);

/*
 * Only inside hooks->rx, for the frame it was given: the page holding
 * piece i (frames[i].buf lies within it) becomes the host's, and fresh,
 * a page of the host's, takes its place among the queue's receive
 * buffers: no copy. The taken page is no longer granted (the backend
 * cannot reach it) and stays valid after rx returns; the host frees it
 * as it frees pages of pvk_port_alloc_page(). fresh must be such a page
 * too (the kit frees it with pvk_port_free_page() at release) and is
 * the kit's from this call on; the kit zeroes it before granting it
 * unless the backend is trusted (no data of the host's reaches an
 * untrusted backend). Returns the taken page (its start), or NULL if
 * nothing changed hands (not inside rx for this frame, i out of range,
 * the piece's page taken already, fresh NULL): fresh stays the host's.
 */
void *pvk_netfront_rx_take_page(struct pvk_netfront *dev, const struct pvk_net_rx *frame,
				unsigned int i, void *fresh);

/* Waits (bounded) until queue has room for a frame of info->max_frame
 * (so a frame sent next is never refused for room). Thread context. */
int pvk_netfront_wait_tx(struct pvk_netfront *dev, unsigned int queue,
			 uint64_t timeout_ns);

void pvk_netfront_get_stats(const struct pvk_netfront *dev,
			    struct pvk_netfront_stats *out);
int pvk_netfront_get_queue_stats(const struct pvk_netfront *dev,
				 unsigned int queue,
				 struct pvk_netfront_stats *out);
/* Whether the device was marked broken (a misbehaving backend). */
bool pvk_netfront_broken(const struct pvk_netfront *dev);
/* Grants the device holds now (rings, posted and in-flight pages). */
unsigned int pvk_netfront_grants_held(const struct pvk_netfront *dev);

/*
 * Suspend and resume (`xl save`, `xl restore`, `xl save -c`; pvkit/suspend.h).
 * netfront takes part by itself (pvk_netfront_init registers its part):
 *  - before the suspend every transmit is refused with -PVK_XEN_EAGAIN
 *    (nothing queued: the host keeps its frame and tries again, as for a
 *    full ring) and pvk_netfront_wait_tx() waits (bounded) until the
 *    device takes frames again; frames already queued stay queued;
 *  - quiesced: the queues are out of service until the resume: no kick,
 *    poll, wait_tx or transmit touches the rings or notifies a port;
 *  - resumed in a new domain: the old ports and grants died with the old
 *    domain (forgotten, never closed or ended); receive pages posted to
 *    the old backend are ours again (frames in them are dropped); the
 *    answers the old backend wrote into the saved transmit ring before
 *    the save are read (each once, checked): those frames complete with
 *    their status and are never sent again. The device reconnects to the
 *    new backend through xenbus (new rings, its features and queue count
 *    read again; a MAC other than the one read before disables the
 *    device, logged). Once it is Connected, every frame whose answer was
 *    not written before the save is sent again, in its order, in place
 *    (its own slots and pages, granted afresh) when its queue still
 *    exists, else copied to queue tx->queue modulo the new count, waiting
 *    (bounded) for room (one the old backend took whose answer it had
 *    not written yet is sent twice: a duplicate the network allows,
 *    counted in resent). A frame the new connection cannot take (a
 *    feature gone) completes with the refusal xmit would give. Then,
 *    when the host gave an address, a gratuitous ARP (request, sender
 *    and target both the address, from our MAC, to broadcast) so bridges
 *    and switches learn where we are now. The link hook is not told
 *    anything across a reconnect that succeeds (info->link_up is false
 *    meanwhile); one that fails takes the link down as any close does.
 *    A reconnect not done PVK_NETFRONT_RESUME_TIMEOUT_NS after the resume
 *    (seen by a timer of the kit's, or without one by the host's xmit or
 *    wait_tx) is given up on: the kept frames
 *    complete with -PVK_XEN_ENODEV, the link hook is told down, it is
 *    logged, transmits answer -PVK_XEN_ENODEV until the reconnect (which
 *    goes on) brings the link up;
 *  - cancelled (`xl save -c`): the same backend goes on; frames queued are
 *    pushed and transmits taken again.
 * Under ports/linux the part is not registered (Linux's own xenbus resumes
 * its devices; the glue does not forward that yet).
 */
#define PVK_NETFRONT_RESUME_TIMEOUT_NS	(30ULL * 1000 * 1000 * 1000)
struct pvk_netfront_resume_stats {
	uint64_t resumes;		/* resumed in a new domain */
	uint64_t cancelled;
	uint64_t resent;		/* frames sent again on a new backend */
	uint64_t resend_failed;		/* ... that it refused */
	/* Frames whose answer the old backend had written in the saved
	 * ring: completed at the resume, not sent again. */
	uint64_t answered_saved;
	uint64_t gave_up;		/* reconnects past the deadline */
	uint64_t garp_sent, garp_failed;	/* gratuitous ARPs queued, refused */
	/* The last resume, by the kit's clock: from netfront's resume() to
	 * the link back up (new backend Connected, buffers posted, frames
	 * resent, ARP queued); 0 until then. */
	uint64_t last_reconnect_ns;
	/* Resumes whose deadline was put on the kit's timer (it then fires
	 * by itself: no host call needed), and those the reconnect ended (or
	 * the device's removal) before it fired. */
	uint64_t deadline_armed, deadline_cancelled;
	/* The same end, from the suspend hypercall's return (kit clock),
	 * and the xenstore requests the reconnect made (pvkit/xenbus.h). */
	uint64_t last_from_hypercall_ns;
	uint64_t last_xs_requests;
};
void pvk_netfront_get_resume_stats(const struct pvk_netfront *dev,
				   struct pvk_netfront_resume_stats *out);
/* The IPv4 address the gratuitous ARP after a resume announces (the kit
 * knows no address of its own); NULL: none, nothing is announced. */
void pvk_netfront_set_announce_ipv4(struct pvk_netfront *dev, const uint8_t *ip);

/* Frees a removed device (after its removed hook ran and the host is done
 * with it: no xmit or wait on it running or to come). -PVK_XEN_EBUSY,
 * and nothing freed, while it is still on xenbus, or a callback of it is
 * under way, or a grant of it is live (the backend is not yet Closed, or
 * kept a page mapped: each call tries again to end the grants of pages
 * kept at teardown, and frees the device once the backend has let go of
 * them all; until then the device and those pages stay, as they must).
 * It unlinks the device from the list a hot-plugged vif's probe links
 * into, so it decides in the watch worker role (taken here; nested when
 * called from a hook inside a callback): -PVK_XEN_EBUSY too, nothing
 * changed, when that role could not be had within PVK_XS_TIMEOUT_NS
 * (logged). Every -PVK_XEN_EBUSY means "call again later". */
int pvk_netfront_release(struct pvk_netfront *dev);

#endif /* PVKIT_NETFRONT_H */
