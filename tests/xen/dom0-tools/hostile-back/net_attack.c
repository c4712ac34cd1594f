/*
 * tests/xen/dom0-tools/hostile-back/net_attack.c - the network attacks:
 * each serves the vif correctly (net_back.c) until the guest has NET_HELD
 * transmits outstanding (its "held" frames, left unanswered), then does
 * one thing wrong on the shared rings, then detaches the vif as a
 * toolstack would and tells the guest how many of the refs it gave are
 * still active. "none" answers the held frames and misbehaves in nothing.
 *
 * What each mode does is in its table line; the guest's side and what it
 * must see are in tests/guest/cases/hostile_net.c.
 */
#include <stdio.h>
#include <string.h>
#include "net.h"

enum net_mode {
	M_NONE, M_TX_UNKNOWN_ID, M_TX_DUP_ID, M_TX_DONE_ID, M_TX_BAD_STATUS,
	M_TX_RSP_JUMP, M_TX_RSP_BACK, M_RX_UNKNOWN_ID, M_RX_DUP_ID, M_RX_BAD_STATUS,
	M_RX_OFFSET_PAST_PAGE, M_RX_SIZE_OVER_BUFFER, M_RX_MORE_FRAGS, M_RX_MORE_DATA_END,
	M_RX_EXTRA_CHAIN, M_RX_RSP_JUMP, M_RX_RSP_BACK, M_RX_RSP_WRAP, M_EVENT_FLOOD,
	M_GRANT_KEPT,
};

/* The flood: bursts of events until the guest says it held the port off
 * (data/hostile-net-flood-held-N), at most FLOOD_MS. A fixed count is not
 * enough: Xen folds the sends made while the port is pending into one
 * event, and a slow guest saw 5,000 sends as 90 events, short of its
 * flood limit of 64 in a row. */
#define FLOOD_BURST	500
#define FLOOD_MS	5000
#define KEPT_WRITE_MS	10000

static void tx_bad(struct net_back *nb, uint16_t id, int16_t status, const char *what)
{
	netif_tx_response_t *r = RING_GET_RESPONSE(&nb->tx, nb->tx.rsp_prod_pvt);

	r->id = id;
	r->status = status;
	nb->tx.rsp_prod_pvt++;
	hb_log(nb->d, "tx response: id %u status %d (%s)", id, status, what);
}

/* One rx response for a request taken now: id, offset, flags, status. */
static bool rx_bad(struct net_back *nb, int id, uint16_t offset, uint16_t flags, int16_t status)
{
	netif_rx_request_t rq;
	netif_rx_response_t *r;

	if (!net_rx_take(nb, &rq)) {
		hb_log(nb->d, "no receive buffer posted: the attack cannot be made");
		return false;
	}
	r = RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt);
	r->id = id < 0 ? rq.id : (uint16_t)id;
	r->offset = offset;
	r->flags = flags;
	r->status = status;
	nb->rx.rsp_prod_pvt++;
	hb_log(nb->d, "rx response: id %u (buffer posted there: %u) offset %u flags %#x status %d",
	       r->id, rq.id, offset, flags, status);
	return true;
}

static bool rx_extra(struct net_back *nb, uint8_t type, uint8_t flags)
{
	netif_rx_request_t rq;
	struct netif_extra_info *ex;

	if (!net_rx_take(nb, &rq))
		return false;
	ex = (struct netif_extra_info *)RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt);
	memset(ex, 0, sizeof(*ex));
	ex->type = type;
	ex->flags = flags;
	ex->u.gso.size = 1400;
	ex->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	nb->rx.rsp_prod_pvt++;
	hb_log(nb->d, "rx extra-info slot: type %u flags %#x", type, flags);
	return true;
}

/* Before moving a producer back: waits (bounded, 3 s) until the guest
 * has consumed every response pushed (it asks for the next one:
 * rsp_event one past them). Otherwise the index moved back may still be
 * at or past what it consumed, which is no lie it can see (run 3 of
 * session 9: rx moved back to 30 while the guest had taken 30 of 32). */
static void wait_consumed(struct net_back *nb, bool tx)
{
	RING_IDX want = (tx ? nb->tx.rsp_prod_pvt : nb->rx.rsp_prod_pvt) + 1, ev = 0;
	uint64_t t0 = hb_now_ms();

	while (hb_now_ms() - t0 < 3000) {
		ev = tx ? nb->tx.sring->rsp_event : nb->rx.sring->rsp_event;
		__sync_synchronize();
		if (ev == want)
			break;
		hb_sleep_ms(nb->d, 10);
	}
	hb_log(nb->d, "%s: the guest's rsp_event %u (%s after %llu ms)", tx ? "tx" : "rx", ev,
	       ev == want ? "all consumed" : "NOT all consumed",
	       (unsigned long long)(hb_now_ms() - t0));
}

/* The producer index written as given, not as RING_PUSH would. */
static void set_rsp_prod(struct net_back *nb, bool tx, RING_IDX prod)
{
	__sync_synchronize();
	if (tx)
		nb->tx.sring->rsp_prod = prod;
	else
		nb->rx.sring->rsp_prod = prod;
	__sync_synchronize();
	hb_log(nb->d, "%s rsp_prod set to %u (pushed so far: %u)", tx ? "tx" : "rx", prod,
	       tx ? nb->tx.rsp_prod_pvt : nb->rx.rsp_prod_pvt);
	hb_notify(nb->d);
}

static void on_held(struct net_back *nb)
{
	struct hb_dev *d = nb->d;
	uint16_t id0 = nb->nr_held ? nb->held[0].id : 0;
	uint64_t t0;

	switch ((enum net_mode)d->attack->mode) {
	case M_NONE:
	case M_GRANT_KEPT:
		net_tx_answer_held(nb, NETIF_RSP_OKAY);
		return;
	case M_EVENT_FLOOD: {
		unsigned int sent = 0;
		bool held = false;

		t0 = hb_now_ms();
		while (!(held = net_guest_said(nb, "flood-held")) && hb_now_ms() - t0 < FLOOD_MS &&
		       !hb_expired(d)) {
			for (unsigned int i = 0; i < FLOOD_BURST; i++)
				hb_notify(d);
			sent += FLOOD_BURST;
		}
		hb_log(d, "%u events sent with nothing on the rings in %llu ms: %s", sent,
		       (unsigned long long)(hb_now_ms() - t0),
		       held ? "the guest says it held the port off" :
		       "the guest never said it held the port off");
		net_tx_answer_held(nb, NETIF_RSP_OKAY);
		return;
	}
	case M_RX_MORE_DATA_END:
		/* A frame whose last published slot says more is coming;
		 * nothing more is ever sent. The held frames are answered. */
		rx_bad(nb, -1, 0, NETRXF_more_data, 1000);
		rx_bad(nb, -1, 0, NETRXF_more_data, 1000);
		net_rx_push(nb);
		net_tx_answer_held(nb, NETIF_RSP_OKAY);
		nb->stopped = true;
		return;
	default:
		break;
	}
	nb->stopped = true;	/* the held frames stay unanswered */
	switch ((enum net_mode)d->attack->mode) {
	case M_TX_UNKNOWN_ID:
		tx_bad(nb, 1000, NETIF_RSP_OKAY, "an id never sent");
		net_tx_push(nb);
		break;
	case M_TX_DUP_ID:
		tx_bad(nb, id0, NETIF_RSP_OKAY, "a held slot");
		tx_bad(nb, id0, NETIF_RSP_OKAY, "the same id again");
		net_tx_push(nb);
		break;
	case M_TX_DONE_ID:
		tx_bad(nb, nb->last_done_id, NETIF_RSP_OKAY, "an id answered OKAY before");
		net_tx_push(nb);
		break;
	case M_TX_BAD_STATUS:
		tx_bad(nb, id0, 7, "a status netif does not have");
		net_tx_push(nb);
		break;
	case M_TX_RSP_JUMP:
		set_rsp_prod(nb, true, nb->tx.rsp_prod_pvt + 1000);
		break;
	case M_TX_RSP_BACK:
		wait_consumed(nb, true);
		set_rsp_prod(nb, true, nb->tx.rsp_prod_pvt - 3);
		break;
	case M_RX_UNKNOWN_ID:
		rx_bad(nb, 999, 0, 0, 100);
		net_rx_push(nb);
		break;
	case M_RX_DUP_ID: {
		netif_rx_request_t rq;

		/* The first answered right, the second with the first's id. */
		if (!net_rx_take(nb, &rq))
			break;
		RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt)->id = rq.id;
		RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt)->offset = 0;
		RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt)->flags = 0;
		RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt)->status = 60;
		nb->rx.rsp_prod_pvt++;
		rx_bad(nb, rq.id, 0, 0, 60);
		net_rx_push(nb);
		break;
	}
	case M_RX_BAD_STATUS:
		rx_bad(nb, -1, 0, 0, -9);
		net_rx_push(nb);
		break;
	case M_RX_OFFSET_PAST_PAGE:
		rx_bad(nb, -1, 4000, 0, 200);
		net_rx_push(nb);
		break;
	case M_RX_SIZE_OVER_BUFFER:
		rx_bad(nb, -1, 0, 0, 5000);
		net_rx_push(nb);
		break;
	case M_RX_MORE_FRAGS:
		/* More slots than a frame has, every one saying "more". */
		for (unsigned int i = 0; i < 24; i++)
			rx_bad(nb, -1, 0, NETRXF_more_data, 100);
		net_rx_push(nb);
		break;
	case M_RX_EXTRA_CHAIN:
		rx_bad(nb, -1, 0, NETRXF_extra_info, 60);
		rx_extra(nb, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE);
		rx_extra(nb, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE);
		net_rx_push(nb);
		break;
	case M_RX_RSP_JUMP:
		set_rsp_prod(nb, false, nb->rx.rsp_prod_pvt + 1000);
		break;
	case M_RX_RSP_BACK:
		wait_consumed(nb, false);
		set_rsp_prod(nb, false, nb->rx.rsp_prod_pvt - 2);
		break;
	case M_RX_RSP_WRAP:
		set_rsp_prod(nb, false, nb->rx.rsp_prod_pvt + 0x80000000u);
		break;
	default:
		break;
	}
}

/* grant-kept: after Closed, our write into the page we kept, again and
 * again, each followed by the count in data/hostile-net-kept-N, until the
 * guest says it has looked at its pages (data/hostile-net-kept-checked-N),
 * or KEPT_WRITE_MS. Then the page is
 * unmapped and the guest told so (data/hostile-net-unmapped-N): its
 * release, refused while we map the page, must now succeed. */
static void kept_writes(struct net_back *nb)
{
	char name[48];
	unsigned int n = 0;

	snprintf(name, sizeof(name), "hostile-net-kept-%u", nb->d->devid);
	for (uint64_t end = hb_now_ms() + KEPT_WRITE_MS; hb_now_ms() < end && !hb_expired(nb->d);) {
		for (unsigned int off = 0; off + sizeof(NET_KEPT_PATTERN) <= XC_PAGE_SIZE; off += 64)
			memcpy((char *)nb->kept_page + off, NET_KEPT_PATTERN,
			       sizeof(NET_KEPT_PATTERN) - 1);
		n++;
		net_tell_guest(nb, name, "written %u times into ref %u", n, nb->kept_ref);
		if (net_guest_said(nb, "kept-checked"))
			break;
		hb_sleep_ms(nb->d, 200);
	}
	hb_log(nb->d, "wrote the pattern %u times into the kept page (ref %u)", n, nb->kept_ref);
	hb_unmap(nb->d, nb->kept_page, 1);
	nb->kept_page = NULL;
	snprintf(name, sizeof(name), "hostile-net-unmapped-%u", nb->d->devid);
	net_tell_guest(nb, name, "unmapped ref %u after %u writes", nb->kept_ref, n);
}

static int net_run(struct hb_dev *d)
{
	static struct net_back nb;
	int rc;

	memset(&nb, 0, sizeof(nb));
	nb.d = d;
	if (net_connect(&nb)) {
		hb_remove_device(d);
		return HB_EXIT_FAIL;
	}
	rc = net_serve(&nb, on_held);
	hb_log(d, "served: %lu guest frames (%lu corrupt), %lu echoes, %lu ARP replies, %lu other; %lu frames sent to the guest",
	       nb.guest_frames, nb.bad_frames, nb.echoes, nb.arp_replies, nb.other_frames,
	       nb.rx_frames_sent);
	if (d->attack->mode == M_GRANT_KEPT) {
		netif_rx_request_t rq;

		/* A posted buffer mapped now and kept past Closed. */
		if (net_rx_take(&nb, &rq) && (nb.kept_page = hb_map(d, &rq.gref, 1, true))) {
			nb.kept_ref = rq.gref;
			hb_log(d, "receive buffer %u (ref %u) mapped: kept past Closed", rq.id,
			       rq.gref);
		}
	}
	if (net_close(&nb))
		rc = -1;
	if (nb.kept_page)
		kept_writes(&nb);
	return rc ? HB_EXIT_FAIL : HB_EXIT_OK;
}

static const struct hb_attack net_attacks[] = {
	{ "none", "vif", M_NONE, net_run, "serve correctly: tx answered, rx frames sent" },
	{ "tx-unknown-id", "vif", M_TX_UNKNOWN_ID, net_run, "a tx response with an id never sent" },
	{ "tx-dup-id", "vif", M_TX_DUP_ID, net_run, "two tx responses with the same id" },
	{ "tx-done-id", "vif", M_TX_DONE_ID, net_run, "a tx response for an id already completed" },
	{ "tx-bad-status", "vif", M_TX_BAD_STATUS, net_run, "a tx response with status 7" },
	{ "tx-rsp-jump", "vif", M_TX_RSP_JUMP, net_run, "tx rsp_prod 1000 ahead (> ring size)" },
	{ "tx-rsp-back", "vif", M_TX_RSP_BACK, net_run, "tx rsp_prod moved 3 back" },
	{ "rx-unknown-id", "vif", M_RX_UNKNOWN_ID, net_run, "an rx response with id 999" },
	{ "rx-dup-id", "vif", M_RX_DUP_ID, net_run, "two rx responses with the same buffer id" },
	{ "rx-bad-status", "vif", M_RX_BAD_STATUS, net_run, "an rx response with status -9" },
	{ "rx-offset-past-page", "vif", M_RX_OFFSET_PAST_PAGE, net_run,
	  "rx offset 4000 + size 200, past the page" },
	{ "rx-size-over-buffer", "vif", M_RX_SIZE_OVER_BUFFER, net_run,
	  "rx size 5000, more than the buffer" },
	{ "rx-more-frags", "vif", M_RX_MORE_FRAGS, net_run,
	  "24 rx slots each with NETRXF_more_data" },
	{ "rx-more-data-end", "vif", M_RX_MORE_DATA_END, net_run,
	  "NETRXF_more_data on the last slot published, then nothing" },
	{ "rx-extra-chain", "vif", M_RX_EXTRA_CHAIN, net_run,
	  "extra-info chain: GSO with FLAG_MORE twice" },
	{ "rx-rsp-jump", "vif", M_RX_RSP_JUMP, net_run, "rx rsp_prod 1000 ahead (> ring size)" },
	{ "rx-rsp-back", "vif", M_RX_RSP_BACK, net_run, "rx rsp_prod moved 2 back" },
	{ "rx-rsp-wrap", "vif", M_RX_RSP_WRAP, net_run, "rx rsp_prod moved 2^31 on (index wrap)" },
	{ "event-flood", "vif", M_EVENT_FLOOD, net_run,
	  "events with nothing on the rings until the guest holds them off (5 s at most)" },
	{ "grant-kept", "vif", M_GRANT_KEPT, net_run,
	  "an rx buffer kept mapped after Closed, then written" },
	{ NULL, NULL, 0, NULL, NULL },
};
HB_ATTACKS(net_attacks)
