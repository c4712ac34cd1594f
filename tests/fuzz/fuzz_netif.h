/*
 * tests/fuzz/fuzz_netif.h - what fuzz_netif.c (the hostile netback's
 * script, the host, the checks) and fuzz_netif_expect.c (the protocol's
 * verdict on one event) share: the backend's view of each queue, the
 * frames sent, the frames as they must arrive.
 */
#ifndef FUZZ_NETIF_H
#define FUZZ_NETIF_H

#include "frontends/netfront/netfront_internal.h"

#define NQ		2
#define ENTS		NETFRONT_RING_ENTS
#define MAX_TX		256
#define MAX_REASONS	8

struct txrec {
	struct pvk_net_tx tx;
	struct pvk_net_frag frag;
	enum { FREE, OUT, DONE } state;
	int status;
	unsigned int q;
	bool resend;			/* chaos: sends another from done() */
	unsigned int nslots, left;
	uint16_t id[NETFRONT_MAX_TX_SLOTS];
	pvk_grant_ref_t ref[NETFRONT_MAX_TX_SLOTS];
	void *page[NETFRONT_MAX_TX_SLOTS];
	bool failed;
};

/* The backend's view of one queue. */
struct backq {
	/* Transmit: the frame of each slot id, and whether pushed (sent)
	 * and not answered; the kind of each ring slot (id, or extra). */
	int tx_of[ENTS];
	bool sent[ENTS];
	uint16_t tx_kind[ENTS];		/* NETFRONT_NO_ID: an extra slot */
	uint32_t tx_seen;		/* pushed requests learnt up to */
	unsigned int nulls_due;
	uint32_t tx_back, rx_back;	/* responses written (producers) */
	/* Receive: the buffer posted at each ring slot, posted buffers
	 * (pushed, not answered), their grants. */
	uint16_t rx_id_at[ENTS];
	bool posted[ENTS];
	pvk_grant_ref_t rx_ref[ENTS];
	void *rx_page[ENTS];
	uint32_t rx_seen;
	/* The chain being assembled, as the protocol makes it. */
	struct {
		bool active, extra_due, more, drop;
		uint16_t flags;
		unsigned int slots, nr, bytes;
		uint32_t extras;
		enum pvk_net_gso gso;
		uint16_t gso_size;
		struct netfront_rx_piece piece[PVK_NET_MAX_FRAGS];
	} chain;
};

/* A frame as the rx hook saw it, or as the protocol says it comes. */
struct frame {
	unsigned int nr;
	const void *buf[PVK_NET_MAX_FRAGS];
	size_t len[PVK_NET_MAX_FRAGS];
	enum pvk_net_csum csum;
	enum pvk_net_gso gso;
	uint16_t gso_size;
};

/* The reasons of a lie: the words of netfront's log line for each. */
struct reasons {
	unsigned int n;
	const char *why[MAX_REASONS];
};

/* What one event must do on a ring: nothing (quiet: the device is
 * disabled), or consume this many responses, completing these frames
 * (tx) or delivering these frames (rx), and, on a lie, disable it. */
struct tx_expect {
	bool quiet;
	struct reasons lie;
	uint32_t consumed;
	unsigned int n;
	struct { int rec, status; } done[MAX_TX];
};

struct rx_expect {
	bool quiet;
	struct reasons lie;
	uint32_t consumed;
	unsigned int n;
	struct frame f[ENTS];
};

extern struct pvk_netfront *nd;
extern struct txrec txr[MAX_TX];
extern struct backq bq[NQ];

/* The protocol's walk of queue qi's responses now; the model (sent and
 * posted slots, the chain) moves with it, as the frontend must. */
void netif_expect_tx(unsigned int qi, struct tx_expect *e);
void netif_expect_rx(unsigned int qi, struct rx_expect *e);

#endif /* FUZZ_NETIF_H */
