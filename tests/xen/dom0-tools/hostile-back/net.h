/*
 * tests/xen/dom0-tools/hostile-back/net.h - what the network backend's
 * files share: one vif's rings as netback sees them, the frames it makes
 * for the guest, the guest's frames it saw, the refs the guest granted it
 * (to count from dom0 which are still active once the vif is closed).
 *
 *   net_back.c    connecting (xenstore keys, rings, event channel), the
 *                 serving loop (tx consumed and answered, rx filled),
 *                 closing as a toolstack detach does, the grant count
 *   net_frames.c  frames made for the guest: ARP request, UDP datagrams
 *   net_attack.c  the attack table ("none" and the misbehaviours)
 *
 * The guest's side is tests/guest/cases/hostile_net.c: its frames of
 * ethertype NET_ETH_P_HB carry "PVKHB", a kind (0 answered at once, 1
 * held for the attack) and a sequence number.
 */
#ifndef PVK_HOSTILE_BACK_NET_H
#define PVK_HOSTILE_BACK_NET_H

#include "hb.h"
#include <xen/io/netif.h>

#define NET_ETH_P_HB		0x88b5u
#define NET_HELD		4	/* held frames the guest sends */
#define NET_MAX_REFS		2048
#define NET_MAX_FRAME		65536
#define NET_NO_FRAME		0xffffffffu
/* Written again and again into the page grant-kept keeps (the guest looks
 * for it at every 64-byte step of its pages). */
#define NET_KEPT_PATTERN	"pvk-hostile-back wrote this after Closed"

struct net_held {
	uint16_t id;
	bool null;			/* an extra-info slot: NETIF_RSP_NULL */
};

struct net_back {
	struct hb_dev *d;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	void *tx_sring, *rx_sring;
	uint8_t guest_mac[6], my_mac[6], guest_ip[4], my_ip[4];
	/* tx: the slots of held frames, answered (or abused) later. */
	struct net_held held[64];
	unsigned int nr_held, held_frames;
	uint16_t last_done_id;		/* a tx id answered OKAY already */
	bool have_done_id;
	unsigned long guest_frames, echoes, arp_replies, other_frames, bad_frames;
	unsigned long rx_frames_sent;
	unsigned int udp_seq;
	bool triggered;			/* on_held ran */
	bool stopped;			/* no more serving: the attack is out */
	/* Every ref the guest gave us (rings, requests), and its frame as
	 * the guest's table said while the ref was surely this vif's: read
	 * before we answer the request that carried it (net_record_refs, at
	 * each push), as the guest may end it once answered and grant the
	 * ref again for another device (its allocator is a stack: vif 0's
	 * next refill takes it). NET_NO_FRAME: not granted to dom0 then. */
	uint32_t refs[NET_MAX_REFS], frames[NET_MAX_REFS];
	/* The frame each ref grants at the close, before the detach: what
	 * was compared once (only shown now, with the refs it would have
	 * miscounted). */
	uint32_t close_frames[NET_MAX_REFS];
	bool pending[NET_MAX_REFS];	/* noted, frame not read yet */
	unsigned int nr_refs, nr_pending;
	unsigned int record_failed;	/* reads that failed: no count */
	unsigned long scans;		/* grant-table reads while serving */
	uint64_t scan_ms;
	/* grant-kept: one receive page left mapped after Closed. */
	void *kept_page;
	uint32_t kept_ref;
};

/* net_back.c */
/* Creates the vif, waits (bounded) for the guest to connect, maps the
 * rings, binds the event channel, goes Connected. 0 or -1 (logged). */
int net_connect(struct net_back *nb);
/* Serves until the guest asks for the detach (data/hostile-net-detach-N)
 * or closes; on_held runs once, when NET_HELD held frames were seen.
 * Returns 0, or -1 if the deadline came first. */
int net_serve(struct net_back *nb, void (*on_held)(struct net_back *nb));
/* Consumes the guest's tx requests: frames parsed, slots answered OKAY
 * (held ones recorded instead). */
void net_tx_consume(struct net_back *nb);
/* Answers the recorded held slots with status (OKAY, ERROR, ...). */
void net_tx_answer_held(struct net_back *nb, int16_t status);
/* Puts a frame into the guest's posted buffers (whole pages, more_data);
 * false when too few are posted. Pushed, notified. */
bool net_rx_send(struct net_back *nb, const uint8_t *frame, size_t len);
/* One rx request taken for an attack (its ref recorded): false if none. */
bool net_rx_take(struct net_back *nb, netif_rx_request_t *rq);
/* Pushes the responses written and notifies the guest. */
void net_rx_push(struct net_back *nb);
void net_tx_push(struct net_back *nb);
/* Detaches as a toolstack does (online 0, Closing, the frontend's Closed,
 * unmap, Closed), counts the refs still active, removes the nodes and
 * tells the guest "grants-active: N of M refs" (data/hostile-net-N). */
int net_close(struct net_back *nb);
/* Whether the guest wrote its data/hostile-net-WHAT-<devid>. */
bool net_guest_said(struct net_back *nb, const char *what);
/* Writes the guest's data/NAME. */
void net_tell_guest(struct net_back *nb, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Notes ref as one the guest gave this vif now (its frame is read at the
 * next push, before the request is answered). */
void net_note_ref(struct net_back *nb, uint32_t ref);
/* Reads from dom0 the frame of every ref noted since the last call. */
void net_record_refs(struct net_back *nb);

/* net_frames.c: frames from us (my_mac, my_ip) to the guest; the length. */
size_t net_frame_arp_request(const struct net_back *nb, uint8_t *f);
/* A UDP datagram to the guest's echo port (7), payload bytes long. */
size_t net_frame_udp(struct net_back *nb, uint8_t *f, size_t payload);
/* Whether frame f (len) is the guest's UDP echo of one of ours. */
bool net_frame_is_echo(const struct net_back *nb, const uint8_t *f, size_t len);
bool net_frame_is_arp_reply(const struct net_back *nb, const uint8_t *f, size_t len);

#endif
