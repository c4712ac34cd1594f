/*
 * tests/xen/dom0-tools/hostile-back/net_back.c - one vif served as Linux's
 * netback would serve it: the toolstack's nodes (mac, handle), the offer
 * (feature-rx-copy, feature-sg; one queue, one event channel, no checksum
 * offload), the guest's keys read once it is Connected, its rings mapped;
 * then the guest's transmits consumed (multi-slot frames, extra-info
 * slots answered NETIF_RSP_NULL) and answered OKAY, and frames of ours
 * put into the buffers it posted (whole pages, NETRXF_more_data); and the
 * toolstack's detach, after which the refs the guest gave us are looked
 * up in its grant table, read from dom0: each must no longer grant the
 * page it granted while it was surely this vif's (read at each push,
 * before the guest may see the answer and end it).
 *
 * Each request is copied once from the ring before use; our own indexes
 * (req_cons, rsp_prod_pvt) are ours, never read back from shared memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "../grant-scan.h"
#include "net.h"

#define CONNECT_MS	20000
#define DETACH_MS	20000
#define CLOSE_MS	10000
#define SETTLE_MS	5000

void net_note_ref(struct net_back *nb, uint32_t ref)
{
	unsigned int i = 0;

	while (i < nb->nr_refs && nb->refs[i] != ref)
		i++;
	if (i == nb->nr_refs) {
		if (nb->nr_refs == NET_MAX_REFS)
			return;
		nb->refs[nb->nr_refs++] = ref;
		nb->frames[i] = NET_NO_FRAME;
		nb->pending[i] = false;
	}
	/* Seen again: the guest may have granted it with another page
	 * since (a ref freed by one slot is the next one's). */
	if (!nb->pending[i]) {
		nb->pending[i] = true;
		nb->nr_pending++;
	}
}

void net_tell_guest(struct net_back *nb, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hb_tell_guest_v(nb->d, name, fmt, ap);
	va_end(ap);
}

/* The frontend's state polled every 50 ms until it is in mask, bounded:
 * the state reached, or -1. (No xenstore watch: on dom0, after
 * hb_wait_fe_state's xs_watch every later request of the handle failed.) */
static int wait_fe(struct net_back *nb, unsigned int mask, unsigned int ms)
{
	uint64_t end = hb_now_ms() + hb_left_ms(nb->d, ms);
	int s, last = -2;

	for (;;) {
		s = hb_fe_state(nb->d);
		if (s != last)
			hb_log(nb->d, "frontend state %s", hb_state_name(s));
		last = s;
		if (s >= 0 && (mask & (1u << s)))
			return s;
		if (hb_now_ms() >= end) {
			hb_log(nb->d, "frontend state still %s after the wait: gave up",
			       hb_state_name(s));
			return -1;
		}
		hb_sleep_ms(nb->d, 50);
	}
}

static bool read_key(struct net_back *nb, const char *key, unsigned long *v)
{
	if (hb_read_ulong(nb->d, HB_FE, key, v) == 0)
		return true;
	hb_log(nb->d, "frontend key %s missing or not a number", key);
	return false;
}

int net_connect(struct net_back *nb)
{
	struct hb_dev *d = nb->d;
	char mac[24];
	struct hb_node fe[] = { { "mac", mac }, { NULL, NULL } };
	static const struct hb_node be[] = {
		{ "feature-rx-copy", "1" }, { "feature-rx-flip", "0" },
		{ "feature-sg", "1" }, { "feature-no-csum-offload", "1" },
		{ "feature-gso-tcpv4", "0" }, { "feature-gso-tcpv6", "0" },
		{ "script", "/bin/true" }, { "bridge", "none" },
		{ NULL, NULL },
	};
	unsigned long tx_ref, rx_ref, port, copy = 0;
	uint32_t ref;

	nb->guest_mac[0] = 0x00;
	nb->guest_mac[1] = 0x16;
	nb->guest_mac[2] = 0x3e;
	nb->guest_mac[3] = 0xaa;
	nb->guest_mac[4] = (uint8_t)(d->devid >> 8);
	nb->guest_mac[5] = (uint8_t)d->devid;
	memcpy(nb->my_mac, nb->guest_mac, 6);
	nb->my_mac[3] = 0xbb;
	memcpy(nb->guest_ip, (uint8_t[]){ 10, 0, 1, (uint8_t)d->devid }, 4);
	memcpy(nb->my_ip, (uint8_t[]){ 10, 0, 1, 200 }, 4);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nb->guest_mac[0],
		 nb->guest_mac[1], nb->guest_mac[2], nb->guest_mac[3], nb->guest_mac[4],
		 nb->guest_mac[5]);
	/* Not under /local/domain/0/backend/vif: dom0's own netback watches
	 * that directory and took the device over (its features appeared in
	 * our area). The frontend follows its "backend" key wherever it is. */
	snprintf(d->be, sizeof(d->be), "/local/domain/0/" HB_BACKEND_DIR "/vif/%u/%u", d->domid,
		 d->devid);
	if (hb_create_device(d, fe, be) || hb_set_state(d, XenbusStateInitWait))
		return -1;
	if (wait_fe(nb, 1u << XenbusStateConnected, CONNECT_MS) != XenbusStateConnected) {
		hb_log(d, "the guest did not connect");
		return -1;
	}
	if (!read_key(nb, "tx-ring-ref", &tx_ref) || !read_key(nb, "rx-ring-ref", &rx_ref) ||
	    !read_key(nb, "event-channel", &port))
		return -1;
	if (hb_read_ulong(d, HB_FE, "request-rx-copy", &copy) || copy != 1) {
		hb_log(d, "the guest did not ask for request-rx-copy");
		return -1;
	}
	ref = (uint32_t)tx_ref;
	nb->tx_sring = hb_map(d, &ref, 1, true);
	net_note_ref(nb, ref);
	ref = (uint32_t)rx_ref;
	nb->rx_sring = hb_map(d, &ref, 1, true);
	net_note_ref(nb, ref);
	if (!nb->tx_sring || !nb->rx_sring || hb_evtchn_bind(d, (unsigned int)port))
		return -1;
	BACK_RING_INIT(&nb->tx, (netif_tx_sring_t *)nb->tx_sring, XC_PAGE_SIZE);
	BACK_RING_INIT(&nb->rx, (netif_rx_sring_t *)nb->rx_sring, XC_PAGE_SIZE);
	if (hb_set_state(d, XenbusStateConnected))
		return -1;
	hb_log(d, "connected: tx ring ref %lu, rx ring ref %lu, guest port %lu, mac %s", tx_ref,
	       rx_ref, port, mac);
	return 0;
}

void net_tx_push(struct net_back *nb)
{
	int notify;

	net_record_refs(nb);	/* before the guest may end them */
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&nb->tx, notify);
	(void)notify;
	hb_notify(nb->d);	/* always: a lost event would stall the test */
}

void net_rx_push(struct net_back *nb)
{
	int notify;

	net_record_refs(nb);
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&nb->rx, notify);
	(void)notify;
	hb_notify(nb->d);
}

static void tx_respond(struct net_back *nb, uint16_t id, int16_t status)
{
	netif_tx_response_t *r = RING_GET_RESPONSE(&nb->tx, nb->tx.rsp_prod_pvt);

	r->id = id;
	r->status = status;
	nb->tx.rsp_prod_pvt++;
	if (status == NETIF_RSP_OKAY) {
		nb->last_done_id = id;
		nb->have_done_id = true;
	}
}

void net_tx_answer_held(struct net_back *nb, int16_t status)
{
	for (unsigned int i = 0; i < nb->nr_held; i++)
		tx_respond(nb, nb->held[i].id, nb->held[i].null ? NETIF_RSP_NULL : status);
	nb->nr_held = 0;
	net_tx_push(nb);
}

/* Copies len bytes at off of the guest's page ref into dst (read-only map). */
static bool copy_from_guest(struct net_back *nb, uint32_t ref, unsigned int off,
			    unsigned int len, uint8_t *dst)
{
	void *p;

	net_note_ref(nb, ref);
	if (off + len > XC_PAGE_SIZE)
		return false;
	p = hb_map(nb->d, &ref, 1, false);
	if (!p)
		return false;
	memcpy(dst, (uint8_t *)p + off, len);
	hb_unmap(nb->d, p, 1);
	return true;
}

/* One frame of the guest's, whole: what it is. */
static void tx_frame_seen(struct net_back *nb, const uint8_t *f, size_t len, bool *held)
{
	*held = false;
	if (len >= 21 && f[12] == (NET_ETH_P_HB >> 8) && f[13] == (NET_ETH_P_HB & 0xff) &&
	    !memcmp(f + 14, "PVKHB", 5)) {
		bool ok = true;

		for (size_t k = 21; k < len && ok; k++)
			ok = f[k] == (uint8_t)(k * 7 + f[20]);
		if (!ok)
			nb->bad_frames++;
		nb->guest_frames++;
		*held = f[19] == 1;
		hb_log(nb->d, "guest frame %u (%s): %zu bytes, %s", f[20], *held ? "held" : "normal",
		       len, ok ? "intact" : "CORRUPT");
	} else if (net_frame_is_echo(nb, f, len)) {
		nb->echoes++;
	} else if (net_frame_is_arp_reply(nb, f, len)) {
		nb->arp_replies++;
	} else {
		nb->other_frames++;
	}
}

void net_tx_consume(struct net_back *nb)
{
	static uint8_t frame[NET_MAX_FRAME];
	RING_IDX prod = nb->tx.sring->req_prod;

	__sync_synchronize();
	if (prod - nb->tx.req_cons > RING_SIZE(&nb->tx)) {
		hb_log(nb->d, "tx req_prod %u is more than a ring ahead of %u: ignored", prod,
		       nb->tx.req_cons);
		return;
	}
	/* Whole frames only: a frame's slots are pushed together. */
	while (nb->tx.req_cons != prod) {
		netif_tx_request_t rq[32];
		bool null[32];
		unsigned int n = 0, rest = 0, first_len;
		size_t off;
		RING_IDX i = nb->tx.req_cons;
		bool ok = true, held, more = false;

		do {
			if (i == prod || n == 32)
				break;
			memcpy(&rq[n], RING_GET_REQUEST(&nb->tx, i), sizeof(rq[n]));
			null[n] = false;
			i++;
			more = rq[n].flags & NETTXF_more_data;
			if (n == 0 && (rq[0].flags & NETTXF_extra_info)) {
				/* The extra-info slot that follows: answered NULL. */
				n++;
				if (i == prod)
					break;
				null[n] = true;
				i++;
			}
			n++;
		} while (more);
		if (more && i == prod)
			break;		/* the rest is not pushed yet */
		ok = !more;		/* else more than 32 slots */
		for (unsigned int k = 1; k < n; k++)
			if (!null[k])
				rest += rq[k].size;
		first_len = rq[0].size > rest ? rq[0].size - rest : 0;
		ok = ok &&
		     copy_from_guest(nb, rq[0].gref, rq[0].offset, first_len, frame);
		off = first_len;
		for (unsigned int k = 1; k < n; k++) {
			if (null[k])
				continue;
			if (ok && off + rq[k].size <= NET_MAX_FRAME)
				ok = copy_from_guest(nb, rq[k].gref, rq[k].offset, rq[k].size,
						     frame + off);
			off += rq[k].size;
		}
		nb->tx.req_cons = i;
		tx_frame_seen(nb, frame, ok ? off : 0, &held);
		if (held && nb->nr_held + n <= 64) {
			for (unsigned int k = 0; k < n; k++)
				nb->held[nb->nr_held++] = (struct net_held){ rq[k].id, null[k] };
			nb->held_frames++;
			continue;
		}
		for (unsigned int k = 0; k < n; k++)
			tx_respond(nb, rq[k].id, null[k] ? NETIF_RSP_NULL :
				   ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
	}
	nb->tx.sring->req_event = nb->tx.req_cons + 1;
	net_tx_push(nb);
}

bool net_rx_take(struct net_back *nb, netif_rx_request_t *rq)
{
	RING_IDX prod = nb->rx.sring->req_prod;

	__sync_synchronize();
	if (nb->rx.req_cons == prod || prod - nb->rx.req_cons > RING_SIZE(&nb->rx))
		return false;
	memcpy(rq, RING_GET_REQUEST(&nb->rx, nb->rx.req_cons), sizeof(*rq));
	nb->rx.req_cons++;
	net_note_ref(nb, rq->gref);
	return true;
}

bool net_rx_send(struct net_back *nb, const uint8_t *frame, size_t len)
{
	unsigned int slots = (unsigned int)((len + XC_PAGE_SIZE - 1) / XC_PAGE_SIZE);
	RING_IDX prod = nb->rx.sring->req_prod;

	__sync_synchronize();
	if (prod - nb->rx.req_cons < slots || prod - nb->rx.req_cons > RING_SIZE(&nb->rx))
		return false;
	for (unsigned int k = 0; k < slots; k++) {
		size_t from = (size_t)k * XC_PAGE_SIZE;
		size_t n = len - from < XC_PAGE_SIZE ? len - from : XC_PAGE_SIZE;
		netif_rx_request_t rq;
		netif_rx_response_t *r;
		void *p;

		net_rx_take(nb, &rq);
		r = RING_GET_RESPONSE(&nb->rx, nb->rx.rsp_prod_pvt);
		p = hb_map(nb->d, &rq.gref, 1, true);
		r->id = rq.id;
		r->offset = 0;
		r->flags = k + 1 < slots ? NETRXF_more_data : 0;
		if (p) {
			memcpy(p, frame + from, n);
			hb_unmap(nb->d, p, 1);
			r->status = (int16_t)n;
		} else {
			r->status = NETIF_RSP_ERROR;
		}
		nb->rx.rsp_prod_pvt++;
	}
	nb->rx_frames_sent++;
	net_rx_push(nb);
	return true;
}

/* Our traffic for the guest: an ARP request now and then, a UDP
 * datagram (every third one two pages long) each turn. */
static void rx_traffic(struct net_back *nb, unsigned int turn)
{
	static uint8_t f[NET_MAX_FRAME];
	size_t len;

	if (turn % 20 == 0) {
		len = net_frame_arp_request(nb, f);
		net_rx_send(nb, f, len);
	}
	len = net_frame_udp(nb, f, turn % 3 == 2 ? 5000 : 200);
	net_rx_send(nb, f, len);
}

bool net_guest_said(struct net_back *nb, const char *what)
{
	char path[128];
	unsigned int len;
	char *v;

	snprintf(path, sizeof(path), "/local/domain/%u/data/hostile-net-%s-%u", nb->d->domid,
		 what, nb->d->devid);
	v = xs_read(nb->d->xs, XBT_NULL, path, &len);
	free(v);
	return v != NULL;
}

int net_serve(struct net_back *nb, void (*on_held)(struct net_back *nb))
{
	struct hb_dev *d = nb->d;

	for (unsigned int turn = 0; !hb_expired(d); turn++) {
		int st;

		hb_evtchn_wait(d, 100);
		if (!nb->stopped) {
			net_tx_consume(nb);
			if (turn < 40 || turn % 10 == 0)
				rx_traffic(nb, turn);
		}
		if (!nb->triggered && nb->held_frames >= NET_HELD) {
			hb_log(d, "%u held frames seen (guest frames %lu, corrupt %lu, echoes %lu, ARP replies %lu): the attack",
			       nb->held_frames, nb->guest_frames, nb->bad_frames, nb->echoes,
			       nb->arp_replies);
			nb->triggered = true;
			on_held(nb);
		}
		if (turn % 5)
			continue;
		st = hb_fe_state(d);
		if (net_guest_said(nb, "detach") || st != XenbusStateConnected) {
			hb_log(d, "the guest asks for the detach (frontend %s)", hb_state_name(st));
			return 0;
		}
	}
	return -1;
}

enum ref_scan_mode { SCAN_PENDING, SCAN_CLOSE, SCAN_COUNT };

#define SHOWN_MAX	4

struct ref_scan {
	struct net_back *nb;
	enum ref_scan_mode mode;
	unsigned int active;
	/* SCAN_COUNT: refs the close-time record (the old check) would
	 * have counted: the guest granted them to dom0 again with a page
	 * that is not the one it gave this vif. */
	unsigned int miscounted;
	uint32_t shown_ref[SHOWN_MAX], shown_frame[SHOWN_MAX];
	unsigned int nr_shown;
};

static void visit(void *ctx, unsigned long ref, const grant_entry_v1_t *e, int reserved)
{
	struct ref_scan *s = ctx;
	struct net_back *nb = s->nb;

	if (reserved)
		return;
	for (unsigned int i = 0; i < nb->nr_refs; i++) {
		if (nb->refs[i] != ref)
			continue;
		switch (s->mode) {
		case SCAN_PENDING:
			if (nb->pending[i])
				nb->frames[i] = e->frame;
			break;
		case SCAN_CLOSE:
			nb->close_frames[i] = e->frame;
			break;
		case SCAN_COUNT:
			if (nb->frames[i] != NET_NO_FRAME && nb->frames[i] == e->frame) {
				/* The same page still granted to dom0. */
				if (s->nr_shown < SHOWN_MAX) {
					s->shown_ref[s->nr_shown] = (uint32_t)ref;
					s->shown_frame[s->nr_shown++] = e->frame;
				}
				s->active++;
			} else if (nb->close_frames[i] == e->frame) {
				s->miscounted++;
			}
			break;
		}
	}
}

/* One read of the guest's grant table from dom0 in mode; -1: error. */
static long scan_refs(struct net_back *nb, struct ref_scan *s, enum ref_scan_mode mode,
		      unsigned long *total)
{
	struct grant_scan g;

	memset(s, 0, sizeof(*s));
	s->nb = nb;
	s->mode = mode;
	if (grant_scan_domain(nb->d->domid, &g, visit, s)) {
		hb_log(nb->d, "grant scan failed: %s", g.error);
		return -1;
	}
	if (total)
		*total = g.count;
	return s->active;
}

void net_record_refs(struct net_back *nb)
{
	struct ref_scan s;
	uint64_t t0;

	if (!nb->nr_pending)
		return;
	t0 = hb_now_ms();
	for (unsigned int i = 0; i < nb->nr_refs; i++)
		if (nb->pending[i])
			nb->frames[i] = NET_NO_FRAME;
	/* A failed read leaves refs unrecorded, never counted: the close
	 * then reports no count at all (-1), which fails the check. */
	if (scan_refs(nb, &s, SCAN_PENDING, NULL) < 0)
		nb->record_failed++;
	for (unsigned int i = 0; i < nb->nr_refs; i++)
		nb->pending[i] = false;
	nb->nr_pending = 0;
	nb->scans++;
	nb->scan_ms += hb_now_ms() - t0;
}

/* The receive buffers the guest posted and we never took: their refs are
 * looked up at the close too, not only those we consumed (a teardown that
 * leaks a posted buffer's grant is what the close must show). The
 * producer is read once and bounded by the ring; each request's gref is
 * copied once. */
static void note_posted_rx(struct net_back *nb)
{
	RING_IDX prod, n;

	if (!nb->rx_sring)
		return;
	prod = nb->rx.sring->req_prod;
	__sync_synchronize();
	n = prod - nb->rx.req_cons;
	if (n > RING_SIZE(&nb->rx)) {
		hb_log(nb->d, "rx req_prod %u is more than a ring ahead of %u: posted buffers not looked up",
		       prod, nb->rx.req_cons);
		return;
	}
	for (RING_IDX i = 0; i < n; i++) {
		netif_rx_request_t rq;

		memcpy(&rq, RING_GET_REQUEST(&nb->rx, nb->rx.req_cons + i), sizeof(rq));
		net_note_ref(nb, rq.gref);
	}
	hb_log(nb->d, "%u posted receive buffers we never took: their refs are looked up too", n);
}

/* The same for the transmits the guest pushed and we never consumed (we
 * stopped serving, or it sent them since our last turn): the slot after
 * one flagged extra_info is an extra-info slot, with no gref. */
static void note_pushed_tx(struct net_back *nb)
{
	RING_IDX prod, n;
	bool extra = false;

	if (!nb->tx_sring)
		return;
	prod = nb->tx.sring->req_prod;
	__sync_synchronize();
	n = prod - nb->tx.req_cons;
	if (n > RING_SIZE(&nb->tx)) {
		hb_log(nb->d, "tx req_prod %u is more than a ring ahead of %u: pushed slots not looked up",
		       prod, nb->tx.req_cons);
		return;
	}
	for (RING_IDX i = 0; i < n; i++) {
		netif_tx_request_t rq;

		memcpy(&rq, RING_GET_REQUEST(&nb->tx, nb->tx.req_cons + i), sizeof(rq));
		if (!extra)
			net_note_ref(nb, rq.gref);
		extra = !extra && (rq.flags & NETTXF_extra_info);
	}
	hb_log(nb->d, "%u pushed transmit slots we never consumed: their refs are looked up too", n);
}

int net_close(struct net_back *nb)
{
	struct hb_dev *d = nb->d;
	unsigned int want = nb->kept_page ? 1 : 0, reused = 0;
	unsigned long total = 0;
	struct ref_scan s;
	long active = -1;
	char name[48], still[160] = "";
	size_t at = 0;
	int st;

	note_posted_rx(nb);
	note_pushed_tx(nb);
	net_record_refs(nb);
	hb_log(d, "%lu reads of the guest's grant table while serving took %llu ms in all (%u failed)",
	       nb->scans, (unsigned long long)nb->scan_ms, nb->record_failed);
	memset(nb->close_frames, 0xff, sizeof(nb->close_frames));
	scan_refs(nb, &s, SCAN_CLOSE, NULL);
	for (unsigned int i = 0; i < nb->nr_refs; i++)
		if (nb->close_frames[i] != NET_NO_FRAME && nb->close_frames[i] != nb->frames[i]) {
			reused++;
			if (reused <= 4)
				hb_log(d, "ref %u: the guest gave it to us with frame %#x; now it grants dom0 frame %#x (granted again, for another device): not this vif's",
				       nb->refs[i], nb->frames[i], nb->close_frames[i]);
		}
	hb_log(d, "%u of the %u refs the guest gave us grant dom0 another page now", reused,
	       nb->nr_refs);
	hb_write(d, HB_BE, "online", "0");
	hb_set_state(d, XenbusStateClosing);
	st = wait_fe(nb, 1u << XenbusStateClosed, CLOSE_MS);
	hb_log(d, "frontend %s after our Closing", hb_state_name(st));
	if (nb->tx_sring)
		hb_unmap(d, nb->tx_sring, 1);
	if (nb->rx_sring)
		hb_unmap(d, nb->rx_sring, 1);
	nb->tx_sring = nb->rx_sring = NULL;
	hb_set_state(d, XenbusStateClosed);
	/* The guest ends its grants when it sees Closed: bounded wait. */
	for (unsigned int t = 0; t < SETTLE_MS / 100 && !hb_expired(d) && !nb->record_failed; t++) {
		active = scan_refs(nb, &s, SCAN_COUNT, &total);
		if (active >= 0 && (unsigned long)active <= want)
			break;
		hb_sleep_ms(d, 100);
	}
	hb_log(d, "after Closed: %ld of the %u refs the guest gave us still grant dom0 their page; the guest grants dom0 %lu pages in all; %u refs granted again for another device (the close-time record would have counted them)",
	       active, nb->nr_refs, total, s.miscounted);
	for (unsigned int k = 0; k < s.nr_shown && at < sizeof(still) - 32; k++) {
		hb_log(d, "still active: ref %u, frame %#x", s.shown_ref[k], s.shown_frame[k]);
		at += (size_t)snprintf(still + at, sizeof(still) - at, "%sref %u frame %#x",
				       k ? ", " : " (", s.shown_ref[k], s.shown_frame[k]);
	}
	if (s.nr_shown)
		snprintf(still + at, sizeof(still) - at, ")");
	hb_remove_device(d);
	snprintf(name, sizeof(name), "hostile-net-%u", d->devid);
	net_tell_guest(nb, name, "grants-active: %ld of %u refs%s; dom0 total %lu", active,
		       nb->nr_refs, still, total);
	return active >= 0 && (unsigned long)active <= want ? 0 : -1;
}
