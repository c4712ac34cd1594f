/*
 * tests/fuzz/fuzz_blkif.c - libFuzzer target: a hostile blkback against
 * the kit's blkfront response consumer (blkfront_queue.c, _request.c,
 * _ring.c compiled unchanged; host stand-ins in fuzz_kit.c).
 *
 * The first bytes choose the device (queues, ring pages, persistent
 * grants, indirect descriptors, "chaos" mode); the rest is a script of
 * backend actions: the host submits a request through the real submit
 * path (read, write, flush, discard; direct or indirect; batched with
 * MORE), the backend writes a response at a ring slot of its choosing
 * (an outstanding id or any id, the right operation or not, any
 * status), sets rsp_prod to anything (ahead, back, far beyond), maps or
 * lets go of a request's grant (or a ring page's, or the one given
 * last), answers correctly, fires an event; grants run out. In
 * chaos mode the backend also acts while the frontend runs (at its lock
 * calls): rsp_prod and the entry at rsp_cons changed between two reads.
 *
 * Checked (assert, abort): each request completes at most once, only
 * one the host submitted, never with a kit lock held; ids on the ring
 * are in the table and unique among those outstanding; rsp_cons never
 * passes what was produced; the grants of a completed request are ended
 * (unless the device is broken or closing: then they end at teardown);
 * no page is freed or granted again while granted (fuzz_kit.c); the
 * device's grant count is the grant table's. Outside chaos mode each
 * event is also checked exactly against the protocol: every valid
 * response completes its request with its status, in order, and the
 * frontend asks for the next event; the first lie (producer beyond the
 * requests, unknown or repeated id, other operation, unknown status, a
 * page kept mapped after the answer) breaks the device with a log line
 * naming it, and every outstanding request fails with -EIO; no valid
 * backend ever breaks it. At the end the device closes as blkfront's
 * close does: everything outstanding fails, teardown ends every grant
 * the backend does not map, and with none mapped every page is freed;
 * with some mapped, blkfront_queues_retry_kept ends nothing until the
 * backend lets go of one, then ends that one's grant and frees no other
 * page, until none is left and every page is freed.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/xen/errno.h>

#include "frontends/blkfront/blkfront_internal.h"
#include "tests/unit/unit.h"
#include "fuzz_kit.h"

/* blkfront_suspend.c is not linked: the fuzzed device never resumes, so
 * a break has no list of requests of before a restore to fail (the real
 * one returns at once when not resuming). */
void blkfront_replay_fail(struct pvk_blkfront *dev, int status)
{
	(void)dev;
	(void)status;
}

/* Nor a reconnect whose deadline could pass. */
void blkfront_resume_check_deadline(struct pvk_blkfront *dev)
{
	(void)dev;
}

#define MAX_RECS	128
#define MAX_PAGES_REQ	24		/* > 11: indirect; one indirect page */
#define SECTORS		(1u << 20)

struct rec {
	struct pvk_blk_req req;
	enum { FREE, OUT, DONE } state;
	int status;
	unsigned int q;
	uint16_t id;
	uint8_t rsp_op;
	bool resubmit;			/* submits another from its done() */
	unsigned int nref;
	pvk_grant_ref_t ref[MAX_PAGES_REQ + 1];
	void *page[MAX_PAGES_REQ + 1];
};

static struct rec recs[MAX_RECS];
/* The host's data, for every request: what the backend puts there is
 * not checked, only where the frontend copies it. */
static uint8_t data_buf[MAX_PAGES_REQ * 4096];
static struct pvk_blkfront *dev;
static struct fuzz_in in;
static bool chaos;
static bool keep_at_close;	/* the backend keeps its maps when Closed */
static bool trace;		/* FUZZ_TRACE set: one line per event */
/* The backend's view: outstanding request of each id, per queue. */
static int out[BLKFRONT_MAX_QUEUES][BLKFRONT_MAX_DEPTH];
static uint32_t back_prod[BLKFRONT_MAX_QUEUES];	/* responses written */
/* Completions during one event, for the exact check. */
static struct {
	unsigned int n;
	int rec[4 * MAX_RECS];
} seen;

static void submit_one(void);

static struct rec *rec_of(struct pvk_blk_req *req)
{
	struct rec *r = (struct rec *)((char *)req - offsetof(struct rec, req));

	assert(r >= recs && r < recs + MAX_RECS);
	return r;
}

static void on_done(struct pvk_blk_req *req, int status)
{
	struct rec *r = rec_of(req);

	/* Once, a request of ours that was outstanding, no lock held. */
	assert(fuzz_locks_held() == 0);
	assert(r->state == OUT);
	assert(status == 0 || status == -PVK_XEN_EIO || status == -PVK_XEN_EOPNOTSUPP ||
	       status == -PVK_XEN_ENODEV);
	r->state = DONE;
	r->status = status;
	assert(out[r->q][r->id] == r - recs);
	out[r->q][r->id] = -1;
	if (seen.n < sizeof(seen.rec) / sizeof(seen.rec[0]))
		seen.rec[seen.n++] = (int)(r - recs);
	/* Its grants are ended now, unless the device gave up on the
	 * backend (broken: -EIO) or is closing (-ENODEV): then teardown
	 * ends them. Persistent ones stay with the pool. */
	if (!dev->info.persistent) {
		for (unsigned int i = 0; i < r->nref; i++)
			if (fuzz_grant_page(r->ref[i]) == r->page[i])
				assert((status == -PVK_XEN_EIO && dev->broken) ||
				       status == -PVK_XEN_ENODEV);
	}
	if (r->resubmit)
		submit_one();
}

/* The ring entry the frontend just produced, as the backend reads it:
 * its id (in the table, not outstanding), the operation its answer
 * names, and its grants (data, indirect pages and their segments). */
static void learn_request(struct rec *r, struct blkfront_queue *q)
{
	struct pvk_blkif_request rq;

	blkfront_ring_get_request(q->ring_page, q->ring.nr_ents, q->ring.req_prod_pvt - 1, &rq);
	assert(rq.id < dev->info.depth);
	assert(out[r->q][rq.id] < 0);
	r->id = (uint16_t)rq.id;
	r->nref = 0;
	if (rq.operation == PVK_BLKIF_OP_INDIRECT) {
		const struct pvk_blkif_request_indirect *ind = (const void *)&rq;
		unsigned int nind = (ind->nr_segments + BLKFRONT_SEGS_PER_INDIRECT_PAGE - 1) /
				    BLKFRONT_SEGS_PER_INDIRECT_PAGE;

		assert(ind->nr_segments > PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST &&
		       ind->nr_segments <= MAX_PAGES_REQ && nind == 1);
		r->rsp_op = ind->indirect_op;
		for (unsigned int k = 0; k < nind; k++) {
			const struct pvk_blkif_request_segment *seg =
				fuzz_grant_page(ind->indirect_grefs[k]);

			assert(seg && fuzz_grant_readonly(ind->indirect_grefs[k]) ==
			       !dev->info.persistent);
			for (unsigned int s = 0; s < ind->nr_segments; s++) {
				assert(fuzz_grant_live(seg[s].gref));
				r->ref[r->nref] = seg[s].gref;
				r->page[r->nref++] = fuzz_grant_page(seg[s].gref);
			}
			r->ref[r->nref] = ind->indirect_grefs[k];
			r->page[r->nref++] = (void *)seg;
		}
	} else {
		r->rsp_op = rq.operation;
		if (rq.operation != PVK_BLKIF_OP_DISCARD) {
			assert(rq.nr_segments <= PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST);
			for (unsigned int s = 0; s < rq.nr_segments; s++) {
				assert(fuzz_grant_live(rq.seg[s].gref));
				r->ref[r->nref] = rq.seg[s].gref;
				r->page[r->nref++] = fuzz_grant_page(rq.seg[s].gref);
			}
		}
	}
	out[r->q][r->id] = (int)(r - recs);
}

FUZZ_NO_COVERAGE static struct rec *free_rec(void)
{
	for (unsigned int i = 0; i < MAX_RECS; i++)
		if (recs[i].state == FREE)
			return &recs[i];
	return NULL;
}

/* The host submits: op, queue, size, sector, MORE from the input. */
static void submit_one(void)
{
	uint8_t a = fuzz_u8(&in), b = fuzz_u8(&in);
	/* Done ones are free again at the next step (their status is
	 * still checked in this one). */
	struct rec *r = free_rec();
	struct blkfront_queue *q;
	unsigned int pages = 1 + b % MAX_PAGES_REQ;
	uint32_t prod;
	int rc;

	if (!r)
		return;
	if (!dev->info.indirect_segments && pages > PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST)
		pages = 1 + pages % PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	memset(r, 0, sizeof(*r));
	r->req.op = (enum pvk_blk_op[]){ PVK_BLK_READ, PVK_BLK_WRITE, PVK_BLK_READ,
					 PVK_BLK_WRITE, PVK_BLK_FLUSH, PVK_BLK_DISCARD,
					 PVK_BLK_WRITE_BARRIER, PVK_BLK_READ }[a & 7];
	r->req.sector = (uint64_t)fuzz_u8(&in) * 64;
	r->req.buf = data_buf;
	/* Sizes of 512-byte multiples, not always whole pages. */
	r->req.len = (size_t)pages * 4096 - (a & 0x40 ? 512u * (b & 7) : 0);
	r->req.flags = a & 0x80 ? PVK_BLK_REQ_MORE : 0;
	r->req.queue = (a >> 3) & 1;
	r->req.done = on_done;
	/* From done() only in chaos mode: an id freed and taken again in one
	 * event makes a repeated answer valid, which the exact check cannot
	 * know. */
	r->resubmit = chaos && (a & 0x30) == 0x30;
	r->q = r->req.queue % dev->info.nr_queues;
	q = &dev->queues[r->q];
	prod = q->ring.req_prod_pvt;
	r->state = OUT;
	rc = pvk_blkfront_submit(dev, &r->req);
	if (rc) {
		/* Refused: nothing on the ring, done() never runs. */
		assert(r->state == OUT);
		r->state = FREE;
		assert(fuzz_refusal_ok(rc));
		assert(q->ring.req_prod_pvt == prod);
		return;
	}
	assert(q->ring.req_prod_pvt == prod + 1);
	if (r->state == OUT)
		learn_request(r, q);
	/* else: failed at once (the device broke meanwhile) */
}

static struct blkfront_queue *pick_queue(void)
{
	return &dev->queues[fuzz_u8(&in) % dev->info.nr_queues];
}

/* An outstanding request's id on q (by rank), or any id at all. */
FUZZ_NO_COVERAGE static uint64_t pick_id(unsigned int qi, uint8_t sel, int *rec)
{
	unsigned int n = sel & 0x3f;

	*rec = -1;
	if (sel & 0x80)
		return sel & 0x40 ? fuzz_u32(&in) | (uint64_t)fuzz_u32(&in) << 32 : fuzz_u8(&in);
	for (unsigned int pass = 0; pass < 2; pass++)
		for (unsigned int id = 0; id < dev->info.depth; id++)
			if (out[qi][id] >= 0 && n-- == 0) {
				*rec = out[qi][id];
				return id;
			}
	return fuzz_u8(&in);
}

/* The backend writes one response, at its producer or near it. */
static void write_response(void)
{
	struct blkfront_queue *q = pick_queue();
	uint8_t sel = fuzz_u8(&in), how = fuzz_u8(&in);
	struct pvk_blkif_response rsp = { 0 };
	int rec;

	rsp.id = pick_id(q->index, sel, &rec);
	rsp.operation = rec >= 0 && !(how & 0x80) ? recs[rec].rsp_op : fuzz_u8(&in) % 8;
	switch (how & 7) {
	case 0: case 1: case 2: rsp.status = PVK_BLKIF_RSP_OKAY; break;
	case 3: rsp.status = PVK_BLKIF_RSP_ERROR; break;
	case 4: rsp.status = PVK_BLKIF_RSP_EOPNOTSUPP; break;
	default: rsp.status = (int16_t)fuzz_u16(&in); break;
	}
	if (how & 0x40) {
		/* At a slot of its choosing, the producer left alone. */
		blkfront_ring_put_response(q->ring_page, q->ring.nr_ents,
					   q->ring.rsp_cons + (how >> 3 & 7), &rsp);
		return;
	}
	blkfront_ring_put_response(q->ring_page, q->ring.nr_ents, back_prod[q->index]++, &rsp);
	if (how & 0x20)
		PVK_WRITE_ONCE(q->ring.sring->rsp_prod, back_prod[q->index]);
}

static void set_rsp_prod(void)
{
	struct blkfront_queue *q = pick_queue();
	uint8_t how = fuzz_u8(&in);
	uint32_t *p = &q->ring.sring->rsp_prod, v;

	switch (how & 7) {
	case 0: v = back_prod[q->index]; break;
	case 1: v = *p + (how >> 3); break;
	case 2: v = *p - 1 - (how >> 3); break;		/* backwards */
	case 3: v = q->ring.req_prod_pvt + 1 + (how >> 3); break;
	case 4: v = *p + q->ring.nr_ents + (how >> 3); break;	/* a ring ahead */
	case 5: v = fuzz_u32(&in); break;
	case 6: v = q->ring.rsp_cons + (how >> 3); break;
	default: v = q->ring.req_prod_pvt; break;
	}
	PVK_WRITE_ONCE(*p, v);
	back_prod[q->index] = v;
}

/* The backend maps (or lets go of) a grant of an outstanding request. */
static void map_grant(void)
{
	struct blkfront_queue *q = pick_queue();
	uint8_t sel = fuzz_u8(&in), which = fuzz_u8(&in);
	int rec;

	if (sel == 0xff) {
		fuzz_grant_unmap_all();
		return;
	}
	if (sel == 0xfe) {
		/* A ring page: kept mapped past the close, it must stay. */
		fuzz_grant_map(q->ring_ref[which % q->ring_granted], !(which & 0x80));
		return;
	}
	if (sel == 0xfd) {
		/* The grant given last: perhaps of a request not yet sent. */
		fuzz_grant_map(fuzz_last_ref(), true);
		return;
	}
	pick_id(q->index, sel & 0x3f, &rec);
	if (rec >= 0 && recs[rec].nref)
		fuzz_grant_map(recs[rec].ref[which % recs[rec].nref], !(which & 0x80));
}

/* A correct backend: answers the n oldest-numbered outstanding requests
 * of q with the right operation, OKAY, having let go of their grants. */
static void serve(void)
{
	struct blkfront_queue *q = pick_queue();
	unsigned int n = 1 + fuzz_u8(&in) % 8;
	bool answered[BLKFRONT_MAX_DEPTH] = { 0 };

	back_prod[q->index] = q->ring.sring->rsp_prod;
	/* The ids answered already and not yet consumed (while those fit
	 * in the ring: a producer set far ahead leaves none). */
	for (uint32_t j = q->ring.rsp_cons; j != back_prod[q->index] &&
	     (uint32_t)(back_prod[q->index] - q->ring.rsp_cons) <= q->ring.nr_ents; j++) {
		struct pvk_blkif_response o;

		blkfront_ring_get_response(q->ring_page, q->ring.nr_ents, j, &o);
		if (o.id < BLKFRONT_MAX_DEPTH)
			answered[o.id] = true;
	}
	for (unsigned int id = 0; n && id < dev->info.depth; id++) {
		struct pvk_blkif_response rsp = { .id = id, .status = PVK_BLKIF_RSP_OKAY };
		struct rec *r;

		if (out[q->index][id] < 0)
			continue;
		r = &recs[out[q->index][id]];
		/* Not one answered already and not yet consumed (nor past a
		 * ring's worth of answers). */
		if (answered[id] &&
		    (uint32_t)(back_prod[q->index] - q->ring.rsp_cons) <= q->ring.nr_ents)
			continue;
		for (unsigned int i = 0; i < r->nref; i++)
			fuzz_grant_map(r->ref[i], false);
		rsp.operation = r->rsp_op;
		blkfront_ring_put_response(q->ring_page, q->ring.nr_ents, back_prod[q->index]++, &rsp);
		n--;
	}
	PVK_WRITE_ONCE(q->ring.sring->rsp_prod, back_prod[q->index]);
}

static int map_status(int16_t st)
{
	return st == PVK_BLKIF_RSP_OKAY ? 0 :
	       st == PVK_BLKIF_RSP_EOPNOTSUPP ? -PVK_XEN_EOPNOTSUPP : -PVK_XEN_EIO;
}

FUZZ_NO_COVERAGE static unsigned int outstanding_recs(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < MAX_RECS; i++)
		n += recs[i].state == OUT;
	return n;
}

/* One event on q, checked against the protocol (not in chaos mode).
 * The lies are named by the words of blkfront's log line for them
 * (blkfront_check_response, blkfront_process): reworded there, they are
 * to be reworded here. */
static void event(void)
{
	struct blkfront_queue *q = pick_queue();
	uint32_t c = q->ring.rsp_cons, p = q->ring.sring->rsp_prod;
	uint32_t r = q->ring.req_prod_pvt;
	bool was_broken = dev->broken, quiet = dev->broken || !q->live || dev->gone;
	const char *lie = NULL;
	unsigned int consumed = 0, nexp = 0;
	struct { int rec, status; } exp[BLKFRONT_MAX_DEPTH];
	bool answered[BLKFRONT_MAX_DEPTH] = { 0 };

	if (!quiet && (uint32_t)(p - c) > (uint32_t)(r - c)) {
		lie = "produced more responses than requests outstanding";
	} else if (!quiet) {
		for (uint32_t j = c; j != p; j++) {
			struct pvk_blkif_response rsp;
			struct rec *rr;
			bool kept = false;

			blkfront_ring_get_response(q->ring_page, q->ring.nr_ents, j, &rsp);
			consumed++;
			if (rsp.id >= dev->info.depth || out[q->index][rsp.id] < 0 ||
			    answered[rsp.id]) {
				lie = "answered a request not outstanding";
				break;
			}
			rr = &recs[out[q->index][rsp.id]];
			if (rsp.operation != rr->rsp_op) {
				lie = "answered with another operation";
				break;
			}
			if (rsp.status != PVK_BLKIF_RSP_OKAY && rsp.status != PVK_BLKIF_RSP_ERROR &&
			    rsp.status != PVK_BLKIF_RSP_EOPNOTSUPP) {
				lie = "sent an unknown status";
				break;
			}
			answered[rsp.id] = true;
			for (unsigned int i = 0; !dev->info.persistent && i < rr->nref; i++)
				kept |= fuzz_grant_mapped(rr->ref[i]);
			exp[nexp].rec = (int)(rr - recs);
			exp[nexp++].status = kept ? -PVK_XEN_EIO : map_status(rsp.status);
			if (kept) {
				lie = "kept a page mapped after answering its request";
				break;
			}
		}
	}
	seen.n = 0;
	fuzz_event(q->port);
	if (trace)
		fprintf(stderr, "event q%u: cons %u prod %u req %u: expect %u done, lie %s; saw %u done, broken %d\n",
			q->index, c, p, r, nexp, lie ? lie : "none", seen.n, dev->broken);
	if (chaos)
		return;
	if (quiet) {
		assert(q->ring.rsp_cons == c && seen.n == 0);
		assert(dev->broken == was_broken);
		return;
	}
	assert(q->ring.rsp_cons == c + consumed);
	/* The valid answers completed their requests, in order. */
	assert(seen.n >= nexp);
	for (unsigned int i = 0; i < nexp; i++) {
		assert(seen.rec[i] == exp[i].rec);
		assert(recs[exp[i].rec].status == exp[i].status);
	}
	if (lie) {
		/* Broken, saying why; everything outstanding failed. */
		assert(dev->broken);
		assert(unit_log_has(lie));
		assert(outstanding_recs() == 0);
		for (unsigned int i = nexp; i < seen.n; i++)
			assert(recs[seen.rec[i]].status == -PVK_XEN_EIO);
	} else {
		/* A valid backend never breaks it; the next answer gets an
		 * event; nothing else completed (resubmits' early failures
		 * aside: none, the device is fine). */
		assert(!dev->broken);
		assert(seen.n == nexp);
		assert(q->ring.sring->rsp_event == q->ring.rsp_cons + 1);
	}
}

/* Chaos: what the backend does while the frontend runs. */
static void meanwhile(uint8_t action)
{
	switch (action % 5) {
	case 0: set_rsp_prod(); break;
	case 1: write_response(); break;
	case 2: map_grant(); break;
	case 3: fuzz_grant_map(fuzz_last_ref(), true); break;
	default: serve(); break;
	}
}

/* After every action: what holds whatever the backend did. */
FUZZ_NO_COVERAGE static void check_always(void)
{
	fuzz_check_kit(dev->grants_live);
	if (dev->broken)
		assert(outstanding_recs() == 0 && unit_log_has("device broken"));
	for (unsigned int i = 0; i < dev->info.nr_queues; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		/* Never consumed past what it produced. */
		assert((uint32_t)(q->ring.req_prod_pvt - q->ring.rsp_cons) <= q->ring.nr_ents);
		assert(q->outstanding <= dev->info.depth);
	}
}

static void setup(void)
{
	uint8_t cfg = fuzz_u8(&in), cfg2 = fuzz_u8(&in);
	unsigned int ring_pages = 1u << (cfg % 5);

	fuzz_kit_reset();
	unit_log_clear();
	memset(out, 0xff, sizeof(out));
	memset(back_prod, 0, sizeof(back_prod));
	chaos = cfg & 0x80;
	keep_at_close = cfg2 & 0x80;
	dev = calloc(1, sizeof(*dev));
	assert(dev);
	strcpy(dev->name, "device/vbd/51712");
	dev->info.vdev = 51712;
	assert(blkfront_queues_setup(dev, 1 + (cfg >> 3 & 1), ring_pages) == 0);
	dev->info.sectors = SECTORS;
	dev->info.sector_size = 512;
	dev->info.physical_sector_size = 512;
	dev->info.flush = true;
	dev->info.barrier = cfg & 0x40;
	dev->info.discard = true;
	dev->info.persistent = cfg & 0x10;
	dev->info.indirect_segments = cfg & 0x20 ? BLKFRONT_MAX_INDIRECT : 0;
	dev->info.max_segments = dev->info.indirect_segments ? dev->info.indirect_segments :
		PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	dev->info.max_bytes = (size_t)dev->info.max_segments * 4096;
	dev->connected = true;
	if (chaos)
		fuzz_chaos_start(&in, 1 + cfg2 % 16, 0, meanwhile);
}

static void retry_kept(void)
{
	blkfront_queues_retry_kept(dev);
}

static unsigned int dev_grants(void)
{
	return dev->grants_live;
}

/* blkfront's close (blkfront_close, then Closed: teardown, release; with
 * pages kept, release again each time the backend lets go of one). */
static void close_device(void)
{
	fuzz_lock_hook = NULL;
	dev->connected = false;
	dev->gone = true;
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	assert(outstanding_recs() == 0);
	if (!keep_at_close)
		fuzz_grant_unmap_all();
	blkfront_queues_teardown(dev);
	if (!fuzz_teardown_checked(dev->grants_live))
		fuzz_retry_kept(&in, retry_kept, dev_grants);
	blkfront_queues_free(dev);
	fuzz_check_all_freed();
	free(dev);
	dev = NULL;
	for (unsigned int i = 0; i < MAX_RECS; i++)
		recs[i].state = FREE;
	fuzz_kit_reset();
}

/* The requests completed since the last action are free again. */
FUZZ_NO_COVERAGE static void reap(void)
{
	for (unsigned int i = 0; i < MAX_RECS; i++)
		if (recs[i].state == DONE)
			recs[i].state = FREE;
}

/* One backend (or host) action. */
static void act(uint8_t action)
{
	switch (action % 9) {
	case 0: case 1: submit_one(); break;
	case 2: write_response(); break;
	case 3: set_rsp_prod(); break;
	case 4: event(); break;
	case 5: map_grant(); break;
	case 6: serve(); break;
	case 7: pvk_blkfront_kick(dev, fuzz_u8(&in)); break;
	default: fuzz_grants_trouble(&in); break;
	}
}

static const struct fuzz_script script = {
	.setup = setup, .reap = reap, .act = act, .check = check_always,
	.close = close_device,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace = fuzz_trace_wanted();
	fuzz_run(&in, data, size, &script);
	return 0;
}
