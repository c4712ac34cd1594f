/*
 * tests/fuzz/fuzz_netif.c - libFuzzer target: a hostile netback against
 * the kit's netfront response consumers, transmit (netfront_tx.c) and
 * receive (netfront_rx.c), with netfront_queue.c and netfront_options.c,
 * compiled unchanged; host stand-ins in fuzz_kit.c; the protocol's
 * verdict on each event in fuzz_netif_expect.c.
 *
 * The first bytes choose the vif (queues, split event channels, the
 * features we receive and send: sg, gso, checksum offload; trusted;
 * receive buffers posted; "chaos" mode; the host driving receive, as
 * Linux's NAPI does: hooks->rx_ready, then pvk_netfront_rx_poll with
 * budgets from the input until one returns less, the rx hook taking
 * pages with pvk_netfront_rx_take_page for dirty pages of its own); the
 * rest is a script of
 * backend actions: the host sends a frame through the real transmit
 * path (one slot or an sg chain, a GSO frame with its extra-info slot,
 * batched with MORE), the backend writes a transmit response (any id,
 * any status, NULL for an extra slot) or a receive response (any
 * buffer id, offset, size, flags: chains with more_data, extra-info
 * slots after the first, GSO extras, checksum flags) or a whole chain
 * of up to 24 slots, sets either
 * rsp_prod to anything, maps or lets go of a grant (or the one given
 * last), answers correctly, fires an event (tx, rx or the shared one),
 * polls, kicks; grants run out (refills retried). In chaos
 * mode the backend also acts at the frontend's lock calls, and done()
 * and the rx hook send again and poll from inside.
 *
 * Checked (assert, abort): each frame completes at most once, only one
 * the host sent, never with a kit lock held; the frames the rx hook gets
 * lie in pages of ours whose grants have ended, within the page, at most
 * PVK_NET_MAX_FRAGS pieces and 65,535 bytes; slot ids on the ring are in
 * the table and not outstanding; rsp_cons never passes what was pushed;
 * buffer and slot states agree with the grant table (a posted buffer is
 * granted, a free one is not); no page freed or granted twice while
 * granted (fuzz_kit.c); the device's grant count is the table's. Outside
 * chaos mode each event is checked exactly against the protocol: every
 * transmit completes when all its slots are answered, with -EIO if one
 * failed; every receive chain is delivered (pieces, checksum state, GSO)
 * or dropped as the protocol says, its buffers posted again; the
 * frontend asks for the next events; the first lie (a producer beyond
 * what was pushed; an id not outstanding or of another ring slot, an
 * unknown status, flags not negotiated or out of place, a frame past its
 * page, a chain longer than a frame, a bad or repeated extra-info slot,
 * a page kept mapped after its answer) disables the device with a log
 * line naming it, the link goes down and every transmit fails with -EIO;
 * no valid backend ever disables it. With the host driving receive: a
 * poll delivers at most its budget; a taken page is the piece's own,
 * its grant ended, never granted again nor freed by the kit (the host
 * frees it a step later); the fresh page is zeroed before it is granted
 * (unless trusted); no work is lost: after a poll under its budget the
 * rx event is asked for at rsp_cons + 1 (or rx_ready was told again),
 * and outside chaos the producer was reached. At the end the vif closes
 * as netfront's detach does, then as the unit does: grants, pages; with
 * pages kept, retry_kept each time the backend lets go of one
 * (fuzz_retry_kept).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/xen/errno.h>

#include "tests/unit/unit.h"
#include "fuzz_kit.h"
#include "fuzz_netif.h"

struct pvk_netfront *nd;
struct txrec txr[MAX_TX];
struct backq bq[NQ];
static struct fuzz_in in;
static bool chaos;
static bool keep_at_close;	/* the backend keeps its maps when Closed */
static bool grants_short;	/* grants were refused in this input */
static bool trace;
static uint8_t frame_buf[NETFRONT_MAX_FRAME_SG];
static struct {
	unsigned int n;
	int rec[2 * MAX_TX];
} seen_tx;
static struct {
	unsigned int n;
	struct frame f[ENTS];
} seen_rx;
static unsigned int link_downs;
/* The host drives receive (hooks->rx_ready, pvk_netfront_rx_poll) and
 * takes pages (pvk_netfront_rx_take_page), as Linux's NAPI does. */
static bool host_rx;
static bool ready[NQ];		/* rx_ready told, not polled yet */
#define MAX_HELD	1024
static struct {
	unsigned int n;
	void *page[MAX_HELD];
} taken, fresh;			/* the host's now; the kit's, not granted yet */

static void sync_pushed(void);
static void xmit_one(void);
static void check_ids(void);

/* ---- the host's hooks ---- */

/* netfront_suspend.c is not built here (no suspend is fuzzed): a device
 * never resumes, so no reconnect has a deadline to pass. */
void netfront_resume_check_deadline(struct pvk_netfront *dev)
{
	(void)dev;
}

static void on_link(struct pvk_netfront *dev, bool up)
{
	(void)dev;
	assert(fuzz_locks_held() == 0);
	link_downs += !up;
}

FUZZ_NO_COVERAGE static bool all_zero(const void *page)
{
	static const uint8_t zero[4096];

	return memcmp(page, zero, sizeof(zero)) == 0;
}

/* The host's pages taken from frames are freed by it (a step later):
 * never by the kit, and never granted again (on_grant). */
FUZZ_NO_COVERAGE static void host_free_taken(void)
{
	for (unsigned int i = 0; i < taken.n; i++) {
		assert(fuzz_page_allocated(taken.page[i]) && !fuzz_page_granted(taken.page[i]));
		pvk_port_free_page(taken.page[i]);
	}
	taken.n = 0;
}

/* Every grant: never of a page the host took; a fresh page the host gave
 * holds none of the host's data by then, unless the backend is trusted. */
FUZZ_NO_COVERAGE static void on_grant(const void *page)
{
	for (unsigned int i = 0; i < taken.n; i++)
		assert(taken.page[i] != page);
	for (unsigned int i = 0; i < fresh.n; i++) {
		if (fresh.page[i] != page)
			continue;
		assert(nd->info.trusted || all_zero(page));
		fresh.page[i] = fresh.page[--fresh.n];
		break;
	}
}

/* In the rx hook: the host takes some of the frame's pages (input bits),
 * giving a page of its own, dirty, for each; one taken twice is refused. */
static void take_pages(const struct pvk_net_rx *f)
{
	uint8_t which = fuzz_u8(&in), again = fuzz_u8(&in);

	for (unsigned int i = 0; i < f->nr_frags; i++) {
		uintptr_t piece_page = (uintptr_t)f->frags[i].buf & ~4095ul;
		void *page, *got;

		if (!(which >> (i % 8) & 1) || taken.n == MAX_HELD || fresh.n == MAX_HELD)
			continue;
		page = pvk_port_alloc_page();
		memset(page, 0xee, 4096);
		got = pvk_netfront_rx_take_page(nd, f, i, page);
		/* The piece's own page, its grant ended, the host's now. */
		assert(got && (uintptr_t)got == piece_page && !fuzz_page_granted(got));
		assert(nd->info.trusted || all_zero(page));
		taken.page[taken.n++] = got;
		fresh.page[fresh.n++] = page;
		if (again >> (i % 8) & 1) {
			void *spare = pvk_port_alloc_page();

			assert(!pvk_netfront_rx_take_page(nd, f, i, spare));
			pvk_port_free_page(spare);
		}
	}
}

static void on_rx_ready(struct pvk_netfront *dev, unsigned int queue)
{
	(void)dev;
	assert(fuzz_locks_held() == 0);
	assert(host_rx && queue < nd->info.nr_queues);
	ready[queue] = true;
}

/* The host's poll of queue qi (NAPI): rx_poll with a budget from the
 * input, again while it returns the budget. Then no work is lost: the
 * ring was left empty with the event asked for, or rx_ready was told
 * again. Outside chaos the polls end, the producer reached. */
static void host_poll(unsigned int qi)
{
	struct netfront_queue *q = &nd->queues[qi];

	ready[qi] = false;
	for (unsigned int polls = 0;; polls++) {
		unsigned int budget = 1 + fuzz_u8(&in) % 64, before = seen_rx.n, got;

		if (polls == 4 * ENTS) {
			/* A backend answering at every lock can keep us
			 * here; a quiet one never does. */
			assert(chaos);
			return;
		}
		got = pvk_netfront_rx_poll(nd, qi, budget);
		assert(got <= budget);
		/* Frames delivered within the budget (drops count too). */
		assert(chaos || seen_rx.n - before <= got);
		if (got < budget)
			break;
	}
	if (nd->broken || !q->live)
		return;
	assert(q->rx.sring->rsp_event == q->rx.rsp_cons + 1 || ready[qi]);
	assert(chaos || q->rx.sring->rsp_prod == q->rx.rsp_cons);
}

static void on_rx(struct pvk_netfront *dev, const struct pvk_net_rx *f)
{
	size_t total = 0;
	struct frame *s = &seen_rx.f[seen_rx.n % ENTS];

	(void)dev;
	assert(fuzz_locks_held() == 0);
	assert(f->nr_frags >= 1 && f->nr_frags <= PVK_NET_MAX_FRAGS);
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < f->nr_frags; i++) {
		const uint8_t *b = f->frags[i].buf;

		/* In a page of ours, within it, the backend's grant ended:
		 * it can no longer write what the host reads. */
		assert(f->frags[i].len && f->frags[i].len <= 4096);
		assert(fuzz_page_allocated(b) && fuzz_page_allocated(b + f->frags[i].len - 1));
		assert(((uintptr_t)b & ~4095ul) == ((uintptr_t)(b + f->frags[i].len - 1) & ~4095ul));
		assert(!fuzz_page_granted(b));
		s->buf[i] = b;
		s->len[i] = f->frags[i].len;
		total += f->frags[i].len;
		(void)*(volatile const uint8_t *)(b + f->frags[i].len - 1);
	}
	assert(total == f->len && total <= NETFRONT_MAX_FRAME_SG);
	s->nr = f->nr_frags;
	s->csum = f->csum;
	s->gso = f->gso_type;
	s->gso_size = f->gso_size;
	seen_rx.n++;
	if (host_rx)
		take_pages(f);
	if (chaos) {
		uint8_t a = fuzz_u8(&in);

		if (a & 1)
			xmit_one();
		if (a & 2)
			pvk_netfront_poll(nd);	/* nested: left to this pass */
		if (host_rx && (a & 4))
			pvk_netfront_rx_poll(nd, a >> 3 & 1, 1 + (a >> 4));
	}
}

static const struct pvk_netfront_hooks hooks = { .link = on_link, .rx = on_rx };
static const struct pvk_netfront_hooks hooks_host_rx = {
	.link = on_link, .rx = on_rx, .rx_ready = on_rx_ready };

static struct txrec *rec_of(struct pvk_net_tx *tx)
{
	struct txrec *r = (struct txrec *)((char *)tx - offsetof(struct txrec, tx));

	assert(r >= txr && r < txr + MAX_TX);
	return r;
}

static void tx_done(struct pvk_net_tx *tx, int status)
{
	struct txrec *r = rec_of(tx);

	assert(fuzz_locks_held() == 0);
	assert(r->state == OUT);
	assert(status == 0 || status == -PVK_XEN_EIO || status == -PVK_XEN_ENODEV);
	r->state = DONE;
	r->status = status;
	for (unsigned int k = 0; k < r->nslots; k++) {
		struct backq *b = &bq[r->q];

		if (b->tx_of[r->id[k]] == r - txr) {
			b->tx_of[r->id[k]] = -1;
			b->sent[r->id[k]] = false;
		}
	}
	if (seen_tx.n < sizeof(seen_tx.rec) / sizeof(seen_tx.rec[0]))
		seen_tx.rec[seen_tx.n++] = (int)(r - txr);
	if (r->resend)
		xmit_one();
}

/* ---- the host sends ---- */

/* An Ethernet + IPv4/IPv6 + TCP frame of len bytes (csum_start 34/54). */
static void make_frame(size_t len, bool v6)
{
	memset(frame_buf, 0x5a, len);
	frame_buf[12] = v6 ? 0x86 : 0x08;
	frame_buf[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		frame_buf[14] = 0x60;
		frame_buf[14 + 6] = 6;
	} else {
		frame_buf[14] = 0x45;
		frame_buf[14 + 6] = 0;
		frame_buf[14 + 7] = 0;
		frame_buf[14 + 9] = 6;
	}
}

/* The requests the frontend pushed since we last looked, as netback
 * reads them: ids of slots (in the table, not outstanding), extra slots;
 * receive buffers posted. */
FUZZ_NO_COVERAGE static void sync_pushed(void)
{
	for (unsigned int qi = 0; qi < nd->info.nr_queues; qi++) {
		struct netfront_queue *q = &nd->queues[qi];
		struct backq *b = &bq[qi];

		for (; b->tx_seen != q->tx_pushed; b->tx_seen++) {
			uint16_t k = b->tx_kind[b->tx_seen % ENTS];

			if (k == NETFRONT_NO_ID) {
				b->nulls_due++;
			} else {
				/* (In chaos mode the model does not follow:
				 * frames may be over before we look.) */
				assert(k < ENTS && (chaos || (b->tx_of[k] >= 0 && !b->sent[k])));
				b->sent[k] = true;
			}
		}
		for (; b->rx_seen != q->rx_pushed; b->rx_seen++) {
			struct pvk_netif_rx_request rq;

			PVK_RING_COPY_REQUEST(&q->rx, b->rx_seen, &rq);
			if (chaos) {
				/* The backend may have written over the
				 * request meanwhile, and the model does not
				 * follow answers (a nested poll may even have
				 * taken the buffer back): the frontend's own
				 * record, unchecked. */
				rq.id = q->rx_ring_id[b->rx_seen % ENTS];
				rq.gref = q->rxb[rq.id].gref;
			}
			assert(rq.id < ENTS);
			assert(chaos || (!b->posted[rq.id] && fuzz_grant_live(rq.gref)));
			b->rx_id_at[b->rx_seen % ENTS] = rq.id;
			b->posted[rq.id] = true;
			b->rx_ref[rq.id] = rq.gref;
			b->rx_page[rq.id] = chaos ? q->rxb[rq.id].page : fuzz_grant_page(rq.gref);
		}
	}
}

static void xmit_one(void)
{
	uint8_t a = fuzz_u8(&in), l = fuzz_u8(&in);
	struct txrec *r = NULL;
	struct netfront_queue *q;
	struct backq *b;
	size_t len = nd->info.sg && (a & 0x80) ? 14 + (size_t)l * 256 : 14 + (size_t)l * 5;
	bool v6 = a & 0x10, gso = a & 0x20, csum = gso || (a & 0x40);
	uint32_t prod;
	int rc;

	for (unsigned int i = 0; i < MAX_TX && !r; i++)
		if (txr[i].state == FREE)
			r = &txr[i];
	if (!r)
		return;
	if (len < 74)
		len = 74;
	memset(r, 0, sizeof(*r));
	make_frame(len, v6);
	r->frag = (struct pvk_net_frag){ frame_buf, len };
	r->tx.frags = &r->frag;
	r->tx.nr_frags = 1;
	r->tx.flags = (csum ? PVK_NET_TX_CSUM_PARTIAL : 0) | (a & 8 ? PVK_NET_TX_MORE : 0);
	r->tx.csum_start = v6 ? 54 : 34;
	r->tx.csum_offset = 16;
	r->tx.gso_type = gso ? (v6 ? PVK_NET_GSO_TCPV6 : PVK_NET_GSO_TCPV4) : PVK_NET_GSO_NONE;
	r->tx.gso_size = gso ? 1 + l : 0;
	r->tx.queue = a & 1;
	r->tx.done = tx_done;
	r->resend = chaos && (a & 6) == 6;
	r->q = r->tx.queue % nd->info.nr_queues;
	q = &nd->queues[r->q];
	b = &bq[r->q];
	prod = q->tx.req_prod_pvt;
	r->state = OUT;
	rc = pvk_netfront_xmit(nd, &r->tx);
	if (rc) {
		assert(r->state == OUT);
		r->state = FREE;
		assert(fuzz_refusal_ok(rc));
		assert(q->tx.req_prod_pvt == prod);
		sync_pushed();
		return;
	}
	/* Learn its slots from the ring: a data slot per page, the extra
	 * slot after the first with GSO. */
	r->nslots = netfront_tx_slots(len);
	assert(q->tx.req_prod_pvt - prod == r->nslots + gso);
	for (uint32_t i = prod, k = 0; i != q->tx.req_prod_pvt; i++) {
		struct pvk_netif_tx_request rq;

		if (gso && i == prod + 1) {
			b->tx_kind[i % ENTS] = NETFRONT_NO_ID;
			continue;
		}
		PVK_RING_COPY_REQUEST(&q->tx, i, &rq);
		if (chaos) {
			/* Perhaps written over meanwhile (see sync_pushed). */
			rq.id = q->tx_ring_id[i % ENTS];
			rq.gref = q->txs[rq.id].gref;
			rq.flags = k + 1 < r->nslots ? PVK_NETTXF_more_data : 0;
		}
		assert(rq.id < ENTS && b->tx_of[rq.id] < 0);
		assert(fuzz_grant_live(rq.gref) && fuzz_grant_readonly(rq.gref));
		assert(!!(rq.flags & PVK_NETTXF_more_data) == (k + 1 < r->nslots));
		r->id[k] = rq.id;
		r->ref[k] = rq.gref;
		r->page[k] = fuzz_grant_page(rq.gref);
		b->tx_of[rq.id] = (int)(r - txr);
		b->tx_kind[i % ENTS] = rq.id;
		k++;
	}
	r->left = r->nslots;
	sync_pushed();
}

/* ---- the backend ---- */

static unsigned int pick_q(void)
{
	return fuzz_u8(&in) % nd->info.nr_queues;
}

static void put_tx(unsigned int qi, uint32_t idx, uint16_t id, int16_t st)
{
	struct netfront_queue *q = &nd->queues[qi];
	struct pvk_netif_tx_response *rsp = PVK_RING_GET_RESPONSE(&q->tx, idx);

	rsp->id = id;
	rsp->status = st;
}

static void put_rx(unsigned int qi, uint32_t idx, const struct pvk_netif_rx_response *r)
{
	struct netfront_queue *q = &nd->queues[qi];

	*PVK_RING_GET_RESPONSE(&q->rx, idx) = *r;
}

/* A sent slot id of queue qi by rank, or any id. */
FUZZ_NO_COVERAGE static uint16_t pick_tx_id(unsigned int qi, uint8_t sel)
{
	unsigned int n = sel & 0x7f;

	if (sel & 0x80)
		return fuzz_u16(&in);
	for (unsigned int pass = 0; pass < 2; pass++)
		for (unsigned int id = 0; id < ENTS; id++)
			if (bq[qi].sent[id] && n-- == 0)
				return (uint16_t)id;
	return fuzz_u8(&in);
}

static void write_tx(void)
{
	unsigned int qi = pick_q();
	struct netfront_queue *q = &nd->queues[qi];
	uint8_t sel = fuzz_u8(&in), how = fuzz_u8(&in);
	uint16_t id = pick_tx_id(qi, sel);
	int16_t st = (int16_t[]){ 0, 0, 0, -1, -2, 1, 1, 0 }[how & 7];

	if ((how & 0x18) == 0x18)
		st = (int16_t)fuzz_u16(&in);
	if (how & 0x40) {
		put_tx(qi, q->tx.rsp_cons + (how >> 5 & 1), id, st);
		return;
	}
	put_tx(qi, bq[qi].tx_back++, id, st);
	if (how & 0x20)
		PVK_WRITE_ONCE(q->tx.sring->rsp_prod, bq[qi].tx_back);
}

/* The page of posted buffer id as the backend reaches it: through its
 * grant, while that is live (the host may have taken and freed a page the
 * backend's view in chaos still names). */
static uint8_t *backend_page(const struct backq *b, uint16_t id)
{
	void *p = fuzz_grant_page(b->rx_ref[id]);

	return p && p == b->rx_page[id] ? p : NULL;
}

/* A posted buffer id (by rank), or any. */
FUZZ_NO_COVERAGE static uint16_t pick_rx_id(unsigned int qi, uint8_t sel)
{
	unsigned int n = sel & 0x7f;

	if (sel & 0x80)
		return fuzz_u16(&in);
	for (unsigned int pass = 0; pass < 2; pass++)
		for (unsigned int id = 0; id < ENTS; id++)
			if (bq[qi].posted[id] && n-- == 0)
				return (uint16_t)id;
	return fuzz_u8(&in);
}

/* A receive response at the producer: for the buffer posted at that
 * slot (as netback) or any; data written into the page. */
static void write_rx(void)
{
	unsigned int qi = pick_q();
	struct netfront_queue *q = &nd->queues[qi];
	struct backq *b = &bq[qi];
	uint8_t sel = fuzz_u8(&in), how = fuzz_u8(&in), fl = fuzz_u8(&in), sz = fuzz_u8(&in);
	uint32_t idx = b->rx_back;
	struct pvk_netif_rx_response r = { 0 };

	if (how & 0x80) {
		/* An extra-info slot. */
		struct pvk_netif_extra_info ex = { 0 };

		ex.type = how & 0x40 ? fuzz_u8(&in) : PVK_XEN_NETIF_EXTRA_TYPE_GSO + (how & 3) % 4;
		ex.flags = fl & 0x81;
		ex.u.gso.type = (uint8_t)(sz & 3);
		ex.u.gso.size = (uint16_t)(sz >> 2) * 9;
		memcpy(&r, &ex, sizeof(r));
	} else {
		r.id = sel & 0x80 ? pick_rx_id(qi, sel) : b->rx_id_at[idx % ENTS];
		r.flags = fl & 0x3f;
		r.offset = how & 0x40 ? fuzz_u16(&in) : (uint16_t)(how & 0x3f) * 2;
		r.status = how & 0x20 && (how & 1) ? (int16_t)fuzz_u16(&in) :
			(int16_t)(sz * 17 % 4096);
		if (r.id < ENTS && b->posted[r.id] && backend_page(b, r.id) && r.status > 0) {
			uint8_t *p = backend_page(b, r.id);
			unsigned int end = r.offset + (unsigned int)r.status;

			/* The payload: an IPv4 or IPv6 header as GSO wants. */
			if (end <= 4096) {
				memset(p + r.offset, 0x33, (size_t)r.status);
				if (r.status >= 14) {
					p[r.offset + 12] = fl & 0x40 ? 0x86 : 0x08;
					p[r.offset + 13] = fl & 0x40 ? 0xdd : 0x00;
				}
			}
		}
	}
	put_rx(qi, b->rx_back++, &r);
	if (!(fl & 0x80))
		PVK_WRITE_ONCE(q->rx.sring->rsp_prod, b->rx_back);
}

/* A whole receive chain at once: k data slots for the buffers posted
 * there, more_data on all but the last (k past 18 is a lie). */
static void write_chain(void)
{
	unsigned int qi = pick_q();
	struct netfront_queue *q = &nd->queues[qi];
	struct backq *b = &bq[qi];
	unsigned int k = 1 + fuzz_u8(&in) % 24;
	uint8_t fl = fuzz_u8(&in), sz = fuzz_u8(&in);

	for (unsigned int i = 0; i < k; i++) {
		struct pvk_netif_rx_response r = {
			.id = b->rx_id_at[b->rx_back % ENTS],
			.flags = (uint16_t)((i + 1 < k ? PVK_NETRXF_more_data : 0) |
					    (i == 0 ? fl & 3 : 0)),
			.status = (int16_t)(sz * 16),
		};

		if (r.id < ENTS && b->posted[r.id] && backend_page(b, r.id) && r.status)
			memset(backend_page(b, r.id), 0x44, (size_t)r.status);
		put_rx(qi, b->rx_back++, &r);
	}
	PVK_WRITE_ONCE(q->rx.sring->rsp_prod, b->rx_back);
}

static void set_prod(void)
{
	unsigned int qi = pick_q();
	struct netfront_queue *q = &nd->queues[qi];
	uint8_t how = fuzz_u8(&in);
	bool rx = how & 0x80;
	uint32_t *p = rx ? &q->rx.sring->rsp_prod : &q->tx.sring->rsp_prod, v;
	uint32_t cons = rx ? q->rx.rsp_cons : q->tx.rsp_cons;
	uint32_t pushed = rx ? q->rx_pushed : q->tx_pushed;

	switch (how & 7) {
	case 0: v = rx ? bq[qi].rx_back : bq[qi].tx_back; break;
	case 1: v = *p + (how >> 3 & 7); break;
	case 2: v = *p - 1 - (how >> 3 & 7); break;
	case 3: v = pushed + 1 + (how >> 3 & 7); break;
	case 4: v = *p + ENTS + (how >> 3 & 7); break;
	case 5: v = fuzz_u32(&in); break;
	case 6: v = cons + (how >> 3 & 7); break;
	default: v = pushed; break;
	}
	PVK_WRITE_ONCE(*p, v);
	if (rx)
		bq[qi].rx_back = v;
	else
		bq[qi].tx_back = v;
}

static void map_grant(void)
{
	unsigned int qi = pick_q();
	uint8_t sel = fuzz_u8(&in), which = fuzz_u8(&in);

	if (sel == 0xff) {
		fuzz_grant_unmap_all();
	} else if (sel == 0xfe) {
		/* The grant given last: perhaps a slot never sent. */
		fuzz_grant_map(fuzz_last_ref(), true);
	} else if (sel & 0x80) {
		uint16_t id = pick_rx_id(qi, sel & 0x7f);

		if (id < ENTS && bq[qi].posted[id])
			fuzz_grant_map(bq[qi].rx_ref[id], !(which & 0x80));
	} else {
		uint16_t id = pick_tx_id(qi, sel & 0x7f);

		if (id < ENTS && bq[qi].tx_of[id] >= 0) {
			struct txrec *r = &txr[bq[qi].tx_of[id]];

			fuzz_grant_map(r->ref[which % r->nslots], !(which & 0x80));
		}
	}
}

/* A correct netback: answers up to n sent transmit slots (NULL for the
 * extra slots) in ring order, and fills up to n posted buffers with
 * small frames, in ring order. */
static void serve(void)
{
	unsigned int qi = pick_q();
	struct netfront_queue *q = &nd->queues[qi];
	struct backq *b = &bq[qi];
	uint8_t n = 1 + fuzz_u8(&in) % 16;
	unsigned int nt = n, nr = n;

	b->tx_back = q->tx.sring->rsp_prod;
	b->rx_back = q->rx.sring->rsp_prod;
	/* Each pushed request not answered yet, in ring order. */
	for (uint32_t i = b->tx_back; nt && i != q->tx_pushed; i++, nt--) {
		uint16_t k = b->tx_kind[i % ENTS];

		if ((uint32_t)(q->tx_pushed - b->tx_back) > ENTS)
			break;
		if (k != NETFRONT_NO_ID && b->tx_of[k] >= 0) {
			struct txrec *r = &txr[b->tx_of[k]];

			for (unsigned int s = 0; s < r->nslots; s++)
				fuzz_grant_map(r->ref[s], false);
		}
		put_tx(qi, b->tx_back++, k == NETFRONT_NO_ID ? 0 : k,
		       k == NETFRONT_NO_ID ? PVK_NETIF_RSP_NULL : PVK_NETIF_RSP_OKAY);
	}
	PVK_WRITE_ONCE(q->tx.sring->rsp_prod, b->tx_back);
	for (uint32_t i = b->rx_back; nr && i != q->rx_pushed; i++, nr--) {
		uint16_t id = b->rx_id_at[i % ENTS];
		struct pvk_netif_rx_response r = { .id = id, .status = 60 };

		if ((uint32_t)(q->rx_pushed - b->rx_back) > ENTS || !b->posted[id])
			break;
		fuzz_grant_map(b->rx_ref[id], false);
		if (backend_page(b, id))
			memset(backend_page(b, id), 0x42, 60);
		put_rx(qi, b->rx_back++, &r);
	}
	PVK_WRITE_ONCE(q->rx.sring->rsp_prod, b->rx_back);
}

FUZZ_NO_COVERAGE static bool log_names(const struct reasons *rs)
{
	for (unsigned int i = 0; i < rs->n; i++)
		if (unit_log_has(rs->why[i]))
			return true;
	return false;
}

FUZZ_NO_COVERAGE static unsigned int outstanding_tx(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < MAX_TX; i++)
		n += txr[i].state == OUT;
	return n;
}

/* One event: kind 0 the shared port (or tx when split), 1 rx, 2 poll. */
static void event(void)
{
	unsigned int qi = pick_q(), kind = fuzz_u8(&in) % 3;
	struct netfront_queue *q = &nd->queues[qi];
	static struct tx_expect te;
	static struct rx_expect re;
	bool do_tx, do_rx;
	uint32_t tc = q->tx.rsp_cons, rc = q->rx.rsp_cons;
	bool lie, was_broken = nd->broken;

	/* A poll runs every queue: one queue's walk is all we check (with
	 * two, outside chaos, it is an rx event instead). */
	if (kind == 2 && nd->info.nr_queues > 1 && !chaos)
		kind = 1;
	do_tx = kind != 1 || !nd->info.split_evtchn;
	do_rx = kind != 0 || !nd->info.split_evtchn;
	if (!chaos) {
		if (do_tx)
			netif_expect_tx(qi, &te);
		else
			memset(&te, 0, sizeof(te)), te.quiet = true;
		if (do_rx && !te.lie.n)
			netif_expect_rx(qi, &re);
		else
			memset(&re, 0, sizeof(re)), re.quiet = true;
	}
	seen_tx.n = seen_rx.n = 0;
	if (kind == 2)
		pvk_netfront_poll(nd);
	else
		fuzz_event(kind == 1 ? q->port_rx : q->port_tx);
	/* The host polls what it was told of (outside chaos, the queue
	 * checked, when its receive side ran). */
	for (unsigned int i = 0; host_rx && i < nd->info.nr_queues; i++)
		if (ready[i] && (chaos || (i == qi && do_rx)))
			host_poll(i);
	sync_pushed();
	check_ids();
	if (trace)
		fprintf(stderr, "event q%u kind %u: tx cons %u->%u lie %s, %u done; rx cons %u->%u lie %s, %u frames (saw %u); broken %d\n",
			qi, kind, tc, q->tx.rsp_cons, te.lie.n ? te.lie.why[0] : "-", te.n,
			rc, q->rx.rsp_cons, re.lie.n ? re.lie.why[0] : "-", re.n, seen_rx.n,
			nd->broken);
	if (chaos)
		return;
	if (was_broken) {
		/* Disabled: the rings are not read again. */
		assert(nd->broken && q->tx.rsp_cons == tc && q->rx.rsp_cons == rc);
		assert(seen_tx.n == 0 && seen_rx.n == 0);
		return;
	}
	lie = te.lie.n || re.lie.n;
	if (!te.quiet) {
		assert(q->tx.rsp_cons == tc + te.consumed);
		assert(seen_tx.n >= te.n);
		for (unsigned int i = 0; i < te.n; i++) {
			assert(seen_tx.rec[i] == te.done[i].rec);
			assert(txr[te.done[i].rec].status == te.done[i].status);
		}
	}
	if (!re.quiet) {
		assert(q->rx.rsp_cons == rc + re.consumed);
		assert(seen_rx.n == re.n);
		for (unsigned int i = 0; i < re.n; i++) {
			const struct frame *a = &seen_rx.f[i], *x = &re.f[i];

			assert(a->nr == x->nr && a->csum == x->csum && a->gso == x->gso &&
			       a->gso_size == x->gso_size);
			for (unsigned int k = 0; k < a->nr; k++)
				assert(a->buf[k] == x->buf[k] && a->len[k] == x->len[k]);
		}
	}
	if (lie) {
		assert(nd->broken && !nd->info.link_up);
		assert(log_names(te.lie.n ? &te.lie : &re.lie));
		assert(outstanding_tx() == 0);
		return;
	}
	assert(!nd->broken);
	if (!te.quiet) {
		assert(seen_tx.n == te.n);
		assert(q->tx.sring->rsp_event == q->tx.rsp_cons + 1);
	}
	if (!re.quiet) {
		/* Asked for the next event; every buffer not held by an
		 * unfinished chain posted again and pushed. */
		assert(q->rx.sring->rsp_event == q->rx.rsp_cons + 1);
		assert(q->rx.req_prod_pvt == q->rx_pushed);
		if (!grants_short)
			assert(q->rx_pushed - q->rx.rsp_cons + bq[qi].chain.nr ==
			       nd->info.rx_buffers);
	}
}

/* The grant table runs out: every grant refused for a while (refills
 * fail, to be retried), or the n-th from now (a frame half granted). */
static void grants_trouble(void)
{
	grants_short = true;
	fuzz_grants_trouble(&in);
}

/* ---- chaos, invariants, setup, close ---- */

/* Chaos: what the backend does while the frontend runs. */
static void meanwhile(uint8_t action)
{
	switch (action % 6) {
	case 0: set_prod(); break;
	case 1: write_tx(); break;
	case 2: write_rx(); break;
	case 3: map_grant(); break;
	case 4: fuzz_grant_map(fuzz_last_ref(), true); break;
	default: serve(); break;
	}
}

/* Buffer and slot states against the grant table (after events, at the
 * close: a walk of every id). */
FUZZ_NO_COVERAGE static void check_ids(void)
{
	for (unsigned int qi = 0; qi < nd->info.nr_queues; qi++) {
		struct netfront_queue *q = &nd->queues[qi];

		for (unsigned int id = 0; id < ENTS; id++) {
			const struct netfront_rx_buf *rb = &q->rxb[id];
			const struct netfront_tx_slot *s = &q->txs[id];

			/* Posted and kept buffers are granted; others not. */
			if (rb->posted || rb->kept)
				assert(fuzz_grant_live(rb->gref) && fuzz_grant_page(rb->gref) == rb->page);
			else if (rb->page)
				assert(!fuzz_page_granted(rb->page));
			if (s->granted)
				assert(fuzz_grant_live(s->gref) &&
				       fuzz_grant_page(s->gref) == q->tx_bounce[id]);
			else if (q->tx_bounce[id])
				assert(!fuzz_page_granted(q->tx_bounce[id]));
		}
		for (unsigned int k = 0; k < q->tx_free_count; k++) {
			uint16_t id = q->tx_free[(q->tx_free_head + k) % ENTS];

			assert(id < ENTS && !q->txs[id].granted && !q->txs[id].kept);
		}
	}
}

FUZZ_NO_COVERAGE static void check_always(void)
{
	fuzz_check_kit(nd->grants_live);
	if (nd->broken)
		assert(outstanding_tx() == 0 && !nd->info.link_up &&
		       unit_log_has("device disabled"));
	for (unsigned int qi = 0; qi < nd->info.nr_queues; qi++) {
		struct netfront_queue *q = &nd->queues[qi];

		assert((uint32_t)(q->tx.req_prod_pvt - q->tx.rsp_cons) <= ENTS);
		assert((uint32_t)(q->rx.req_prod_pvt - q->rx.rsp_cons) <= ENTS);
		assert((uint32_t)(q->tx_pushed - q->tx.rsp_cons) <= ENTS);
	}
}

static void setup(void)
{
	uint8_t cfg = fuzz_u8(&in), feats = fuzz_u8(&in), bufs = fuzz_u8(&in);

	fuzz_kit_reset();
	unit_log_clear();
	memset(txr, 0, sizeof(txr));
	memset(bq, 0, sizeof(bq));
	for (unsigned int qi = 0; qi < NQ; qi++)
		for (unsigned int i = 0; i < ENTS; i++)
			bq[qi].tx_of[i] = -1;
	link_downs = 0;
	chaos = cfg & 0x80;
	keep_at_close = cfg & 4;
	grants_short = false;
	nd = calloc(1, sizeof(*nd));
	assert(nd);
	strcpy(nd->name, "device/vif/0");
	/* Few buffers mostly (each input posts them all: the cost of a
	 * run), the whole ring at times. */
	netfront_opts.rx_buffers = bufs >= 0xf0 ? ENTS : 1 + (bufs & 0x3f) % 40;
	host_rx = bufs & 0x40;
	memset(ready, 0, sizeof(ready));
	taken.n = fresh.n = 0;
	netfront_hooks = host_rx ? &hooks_host_rx : &hooks;
	assert(netfront_queues_setup(nd, 1 + (cfg & 1), cfg & 2) == 0);
	nd->info.sg = feats & 1;
	nd->info.gso_tcpv4 = (feats & 1) && (feats & 2);
	nd->info.gso_tcpv6 = (feats & 1) && (feats & 4);
	nd->info.csum_offload = feats & 8 || nd->info.gso_tcpv4;
	nd->info.ipv6_csum_offload = feats & 16 || nd->info.gso_tcpv6;
	nd->info.trusted = feats & 32;
	/* What we receive is negotiated on its own (the switches). */
	nd->rxf = (struct netfront_rx_features){
		.sg = feats & 0x40, .gso_tcpv4 = feats & 0x80, .gso_tcpv6 = cfg & 0x40,
		.csum = cfg & 0x20, .ipv6_csum = cfg & 0x10 };
	fuzz_grant_hook = on_grant;
	assert(netfront_queues_start(nd) == 0);
	netfront_set_link(nd, true);
	sync_pushed();
	if (chaos)
		fuzz_chaos_start(&in, 1 + (cfg >> 3 & 15), 1, meanwhile);
}

static void retry_kept(void)
{
	netfront_queues_retry_kept(nd);
}

static unsigned int dev_grants(void)
{
	return nd->grants_live;
}

/* netfront's detach: link down, outstanding frames fail, teardown once
 * the backend is Closed, the queues freed once no grant is live. */
static void close_vif(void)
{
	fuzz_lock_hook = NULL;
	check_ids();
	netfront_queues_stop(nd, -PVK_XEN_ENODEV);
	netfront_set_link(nd, false);
	assert(outstanding_tx() == 0);
	if (!keep_at_close)
		fuzz_grant_unmap_all();
	netfront_queues_teardown(nd);
	if (!fuzz_teardown_checked(nd->grants_live))
		fuzz_retry_kept(&in, retry_kept, dev_grants);
	netfront_queues_free(nd);
	host_free_taken();
	fuzz_check_all_freed();
	free(nd);
	nd = NULL;
	netfront_hooks = NULL;
	fuzz_kit_reset();
}

/* The transmits completed since the last action are free again. */
FUZZ_NO_COVERAGE static void reap(void)
{
	for (unsigned int i = 0; i < MAX_TX; i++)
		if (txr[i].state == DONE)
			txr[i].state = FREE;
	host_free_taken();
}

/* One backend (or host) action. */
static void act(uint8_t action)
{
	switch (action % 11) {
	case 0: case 1: xmit_one(); break;
	case 2: write_tx(); break;
	case 3: write_rx(); break;
	case 4: set_prod(); break;
	case 5: event(); break;
	case 6: map_grant(); break;
	case 7: serve(); break;
	case 8:
		pvk_netfront_kick(nd, fuzz_u8(&in));
		sync_pushed();
		break;
	case 9: write_chain(); break;
	default: grants_trouble(); break;
	}
	/* In chaos the host polls whatever it was told of. */
	for (unsigned int i = 0; host_rx && chaos && i < nd->info.nr_queues; i++)
		if (ready[i])
			host_poll(i);
}

static const struct fuzz_script script = {
	.setup = setup, .reap = reap, .act = act, .check = check_always,
	.close = close_vif,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace = fuzz_trace_wanted();
	fuzz_run(&in, data, size, &script);
	return 0;
}
