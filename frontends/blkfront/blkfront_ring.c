/*
 * frontends/blkfront/blkfront_ring.c - the block data path: the shared
 * request ring, bounce pages and their grants, submission, and the
 * checked consumption of the backend's responses.
 *
 * Each outstanding request owns a slot (its ring id is the slot's index)
 * with PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST bounce pages of its own. A
 * segment is one whole page, zeroed before use and granted for that
 * request only (read-only for writes), so the backend sees nothing but
 * the request's data. The backend is untrusted: a response is copied once
 * and must name an outstanding request with the operation it had and a
 * status the protocol knows; anything else marks the device broken and
 * fails all its I/O. A grant the backend still maps when we end it keeps
 * its page out of use forever (and breaks the device too).
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

#define PAGE_SIZE	4096u
#define SECT		512u
/* Requests outstanding at most (a one-page ring holds 32). */
#define BLKFRONT_MAX_DEPTH	64

/* A request finished (or failed), its callback still to run. */
struct done_entry {
	struct pvk_blk_req *req;
	int status;
};

struct done_list {
	unsigned int n;
	struct done_entry e[BLKFRONT_MAX_DEPTH];
};

static void run_done(struct pvk_blkfront *dev, struct done_list *dl)
{
	for (unsigned int i = 0; i < dl->n; i++)
		dl->e[i].req->done(dl->e[i].req, dl->e[i].status);
	if (dl->n)
		pvk_port_wake(&dev->wait);
}

/* The data pieces of a read or write: req->sg, or buf/len as one piece. */
static const struct pvk_blk_seg *req_pieces(const struct pvk_blk_req *req,
					    struct pvk_blk_seg *one,
					    unsigned int *n)
{
	if (req->sg) {
		*n = req->nr_sg;
		return req->sg;
	}
	one->buf = req->buf;
	one->len = req->len;
	*n = 1;
	return one;
}

/* Total bytes of valid pieces (each a multiple of 512, no wrap), or 0. */
static size_t pieces_total(const struct pvk_blk_req *req)
{
	struct pvk_blk_seg one;
	unsigned int n;
	const struct pvk_blk_seg *p = req_pieces(req, &one, &n);
	size_t total = 0;

	if ((req->sg && req->buf) || (req->sg && !n))
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (p[i].len % SECT || (p[i].len && !p[i].buf) ||
		    p[i].len > SIZE_MAX - total)
			return 0;
		total += p[i].len;
	}
	return total;
}

/* Copies the request's data between its pieces and the slot's pages, in
 * which it lies packed from the start of page 0. */
static void copy_pieces(struct blkfront_slot *s, const struct pvk_blk_req *req,
			bool to_pages)
{
	struct pvk_blk_seg one;
	unsigned int n;
	const struct pvk_blk_seg *p = req_pieces(req, &one, &n);
	size_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *b = p[i].buf;

		for (size_t done = 0; done < p[i].len;) {
			uint8_t *page = (uint8_t *)s->page[pos / PAGE_SIZE] + pos % PAGE_SIZE;
			size_t k = PAGE_SIZE - pos % PAGE_SIZE;

			if (k > p[i].len - done)
				k = p[i].len - done;
			if (to_pages)
				__builtin_memcpy(page, b + done, k);
			else
				__builtin_memcpy(b + done, page, k);
			done += k;
			pos += k;
		}
	}
}

/* Takes back the slot's grants; false if the backend still maps one (its
 * page is then kept, never reused). */
static bool end_slot_grants(struct pvk_blkfront *dev, struct blkfront_slot *s)
{
	bool ok = true;

	for (unsigned int i = 0; i < s->nr_segs; i++) {
		if (pvk_grant_end_access(s->gref[i]) == 0) {
			dev->grants_live--;
			continue;
		}
		pvk_err("blkfront: %s: backend still maps grant %u of request %u: page kept",
			dev->name, s->gref[i], (unsigned int)(s - dev->slots));
		s->page[i] = NULL;
		ok = false;
	}
	s->nr_segs = 0;
	return ok;
}

static void mark_broken_locked(struct pvk_blkfront *dev, const char *why,
			       unsigned long long v1, unsigned long long v2);

/* Ends the slot's (sent) request with status; the callback goes on dl. */
static void complete_slot_locked(struct pvk_blkfront *dev,
				 struct blkfront_slot *s, int status,
				 struct done_list *dl)
{
	struct pvk_blk_req *req = s->req;
	bool grants_ok = end_slot_grants(dev, s);

	if (!grants_ok) {
		status = -PVK_XEN_EIO;
		if (!dev->broken)
			mark_broken_locked(dev, "completed a request it still maps", 0, 0);
	}
	if (status == 0 && req->op == PVK_BLK_READ)
		copy_pieces(s, req, false);
	s->in_use = false;
	s->sent = false;
	s->req = NULL;
	dev->outstanding--;
	dl->e[dl->n].req = req;
	dl->e[dl->n].status = status;
	dl->n++;
}

static void fail_all_locked(struct pvk_blkfront *dev, int status,
			    struct done_list *dl)
{
	/* A slot reserved but not yet sent is its submitter's to undo. */
	for (unsigned int i = 0; i < dev->info.depth; i++)
		if (dev->slots[i].sent)
			complete_slot_locked(dev, &dev->slots[i], status, dl);
}

static void mark_broken_locked(struct pvk_blkfront *dev, const char *why,
			       unsigned long long v1, unsigned long long v2)
{
	dev->broken = true;
	pvk_err("blkfront: %s: backend %s (%llu, %llu): device broken, its I/O fails from now on",
		dev->name, why, v1, v2);
}

static int map_status(int16_t st)
{
	switch (st) {
	case PVK_BLKIF_RSP_OKAY:
		return 0;
	case PVK_BLKIF_RSP_EOPNOTSUPP:
		return -PVK_XEN_EOPNOTSUPP;
	default:
		return -PVK_XEN_EIO;
	}
}

/* Consumes the responses there are; true if there were any. */
static bool process_responses(struct pvk_blkfront *dev)
{
	struct done_list dl = { .n = 0 };
	struct pvk_blkif_front_ring *r = &dev->ring;
	bool found = false, more;
	uint32_t n;

	pvk_port_lock(&dev->lock);
	if (dev->broken || !dev->slots) {
		pvk_port_unlock(&dev->lock);
		return false;
	}
	do {
		if (!PVK_RING_UNCONSUMED_RESPONSES(r, &n)) {
			mark_broken_locked(dev, "produced more responses than requests outstanding",
					   PVK_READ_ONCE(r->sring->rsp_prod), r->req_prod_pvt);
			break;
		}
		for (; n; n--) {
			struct pvk_blkif_response rsp;
			struct blkfront_slot *s;

			PVK_RING_COPY_RESPONSE(r, r->rsp_cons, &rsp);
			r->rsp_cons++;
			found = true;
			dev->stats.responses++;
			if (rsp.id >= dev->info.depth || !dev->slots[rsp.id].sent) {
				mark_broken_locked(dev, "answered a request not outstanding (id, slots)",
						   rsp.id, dev->info.depth);
				goto out;
			}
			s = &dev->slots[rsp.id];
			if (rsp.operation != s->op) {
				mark_broken_locked(dev, "answered with another operation (sent, answered)",
						   s->op, rsp.operation);
				goto out;
			}
			if (rsp.status != PVK_BLKIF_RSP_OKAY &&
			    rsp.status != PVK_BLKIF_RSP_ERROR &&
			    rsp.status != PVK_BLKIF_RSP_EOPNOTSUPP) {
				mark_broken_locked(dev, "sent an unknown status (id, status)",
						   rsp.id, (unsigned long long)(int64_t)rsp.status);
				goto out;
			}
			if (rsp.status != PVK_BLKIF_RSP_OKAY)
				dev->stats.errors++;
			complete_slot_locked(dev, s, map_status(rsp.status), &dl);
			if (dev->broken)
				goto out;
		}
		/* Ask for an event at the next response, then look again:
		 * one produced meanwhile would otherwise wait for ever. */
		more = PVK_RING_FINAL_CHECK_FOR_RESPONSES(r);
	} while (more);
out:
	if (dev->broken)
		fail_all_locked(dev, -PVK_XEN_EIO, &dl);
	pvk_port_unlock(&dev->lock);
	run_done(dev, &dl);
	return found;
}

static bool blkfront_event(pvk_evtchn_port_t port, void *arg)
{
	struct pvk_blkfront *dev = arg;

	(void)port;
	__atomic_fetch_add(&dev->stats.notify_recv, 1, __ATOMIC_RELAXED);
	return process_responses(dev);
}

void pvk_blkfront_poll(struct pvk_blkfront *dev)
{
	process_responses(dev);
}

void blkfront_fail_all(struct pvk_blkfront *dev, int status)
{
	struct done_list dl = { .n = 0 };

	pvk_port_lock(&dev->lock);
	dev->connected = false;
	if (dev->slots)
		fail_all_locked(dev, status, &dl);
	pvk_port_unlock(&dev->lock);
	run_done(dev, &dl);
}

int blkfront_ring_setup(struct pvk_blkfront *dev)
{
	struct pvk_blkif_sring *sring;
	unsigned int depth;
	int rc;

	dev->ring_page = pvk_port_alloc_page();
	if (!dev->ring_page)
		return -PVK_XEN_ENOMEM;
	sring = dev->ring_page;
	PVK_SHARED_RING_INIT(sring);
	PVK_FRONT_RING_INIT(&dev->ring, sring, PAGE_SIZE);
	depth = PVK_RING_SIZE(&dev->ring);
	if (depth == 0)
		return -PVK_XEN_EINVAL;
	if (depth > BLKFRONT_MAX_DEPTH)
		depth = BLKFRONT_MAX_DEPTH;
	dev->slots = pvk_port_malloc(depth * sizeof(*dev->slots));
	if (!dev->slots)
		return -PVK_XEN_ENOMEM;
	__builtin_memset(dev->slots, 0, depth * sizeof(*dev->slots));
	dev->info.depth = depth;
	dev->info.max_segments = PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	for (unsigned int i = 0; i < depth; i++)
		for (unsigned int j = 0; j < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; j++)
			if (!(dev->slots[i].page[j] = pvk_port_alloc_page()))
				return -PVK_XEN_ENOMEM;
	dev->info.max_bytes = (size_t)PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST * PAGE_SIZE;
	dev->info.ring_pages = 1;
	dev->info.nr_queues = 1;
	rc = pvk_grant_access_page(dev->backend,
				   dev->ring_page, false, &dev->ring_ref);
	if (rc)
		return rc;
	dev->ring_granted = true;
	dev->grants_live++;
	rc = pvk_evtchn_alloc_unbound(dev->backend,
				      blkfront_event, dev, &dev->port);
	if (rc)
		return rc;
	dev->port_bound = true;
	return 0;
}

/* Everything outstanding must have been failed first. */
void blkfront_ring_teardown(struct pvk_blkfront *dev)
{
	if (dev->port_bound) {
		pvk_evtchn_close(dev->port);
		dev->port_bound = false;
	}
	if (dev->slots) {
		for (unsigned int i = 0; i < dev->info.depth; i++)
			for (unsigned int j = 0; j < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; j++)
				if (dev->slots[i].page[j])
					pvk_port_free_page(dev->slots[i].page[j]);
		pvk_port_free(dev->slots);
		dev->slots = NULL;
	}
	if (dev->ring_granted) {
		/* Kept (never freed) if the backend still maps the ring. */
		if (pvk_grant_end_access_page(dev->ring_ref, dev->ring_page))
			pvk_err("blkfront: %s: backend still maps the ring: page kept",
				dev->name);
		else
			dev->grants_live--;
		dev->ring_granted = false;
	} else if (dev->ring_page) {
		pvk_port_free_page(dev->ring_page);
	}
	dev->ring_page = NULL;
}

const struct pvk_blkfront_info *pvk_blkfront_info(const struct pvk_blkfront *dev)
{
	return &dev->info;
}

bool pvk_blkfront_fits(const struct pvk_blkfront *dev, const struct pvk_blk_req *req)
{
	size_t total;

	if (req->op != PVK_BLK_READ && req->op != PVK_BLK_WRITE &&
	    req->op != PVK_BLK_WRITE_BARRIER)
		return true;	/* no data */
	total = pieces_total(req);
	return total && total <= dev->info.max_bytes;
}

static int check_request(const struct pvk_blkfront *dev, const struct pvk_blk_req *req)
{
	unsigned int ss = dev->info.sector_size;

	size_t total;

	if (!req->done)
		return -PVK_XEN_EINVAL;
	if (req->op == PVK_BLK_FLUSH)
		return dev->info.flush ? 0 : -PVK_XEN_EOPNOTSUPP;
	if (req->op == PVK_BLK_WRITE_BARRIER || req->op == PVK_BLK_DISCARD)
		return -PVK_XEN_EOPNOTSUPP;	/* not negotiated yet */
	if (req->op != PVK_BLK_READ && req->op != PVK_BLK_WRITE)
		return -PVK_XEN_EINVAL;
	if (req->op == PVK_BLK_WRITE && (dev->info.vdisk_info & PVK_VDISK_READONLY))
		return -PVK_XEN_EROFS;
	total = pieces_total(req);
	if (!total || total % ss || (req->sector * SECT) % ss ||
	    total > dev->info.max_bytes)
		return -PVK_XEN_EINVAL;
	if (req->sector > dev->info.sectors ||
	    total / SECT > dev->info.sectors - req->sector)
		return -PVK_XEN_EINVAL;
	return 0;
}

/* Fills the slot's bounce pages and grants them; the slot is reserved. */
static int prepare_slot(struct pvk_blkfront *dev, struct blkfront_slot *s,
			struct pvk_blk_req *req)
{
	pvk_domid_t be = dev->backend;
	size_t len = req->op == PVK_BLK_FLUSH ? 0 : pieces_total(req);
	unsigned int nr = (unsigned int)((len + PAGE_SIZE - 1) / PAGE_SIZE);

	s->len = len;
	s->nr_segs = 0;
	for (unsigned int i = 0; i < nr; i++) {
		uint8_t *page = s->page[i];

		/* A page the backend kept mapped left the slot; the device is
		 * broken then, but never write through NULL. */
		if (!page) {
			end_slot_grants(dev, s);
			return -PVK_XEN_EIO;
		}
		/* Whole page zeroed: the backend sees only this request's data. */
		__builtin_memset(page, 0, PAGE_SIZE);
	}
	if (req->op == PVK_BLK_WRITE)
		copy_pieces(s, req, true);
	for (unsigned int i = 0; i < nr; i++) {
		int rc = pvk_grant_access_page(be, s->page[i], req->op == PVK_BLK_WRITE,
					       &s->gref[i]);

		if (rc) {
			end_slot_grants(dev, s);
			return rc;
		}
		dev->grants_live++;
		s->nr_segs++;
	}
	return 0;
}

int pvk_blkfront_submit(struct pvk_blkfront *dev, struct pvk_blk_req *req)
{
	struct pvk_blkif_front_ring *r = &dev->ring;
	struct pvk_blkif_request *rq;
	struct blkfront_slot *s = NULL;
	size_t left;
	bool notify;
	int rc = check_request(dev, req);

	if (rc)
		return rc;
	pvk_port_lock(&dev->lock);
	if (dev->broken)
		rc = -PVK_XEN_EIO;
	else if (!dev->connected)
		rc = -PVK_XEN_ENODEV;
	else if (dev->outstanding >= dev->info.depth || PVK_RING_FULL(r))
		rc = -PVK_XEN_EAGAIN;
	if (!rc) {
		for (unsigned int i = 0; i < dev->info.depth; i++) {
			if (!dev->slots[i].in_use) {
				s = &dev->slots[i];
				break;
			}
		}
		if (!s)
			rc = -PVK_XEN_EAGAIN;
	}
	if (rc) {
		if (rc == -PVK_XEN_EAGAIN)
			dev->stats.eagain++;
		pvk_port_unlock(&dev->lock);
		return rc;
	}
	/* Reserved: each outstanding request holds one ring slot at most,
	 * and depth <= ring size, so the ring has room when we come back. */
	s->in_use = true;
	s->req = req;
	s->op = req->op == PVK_BLK_READ ? PVK_BLKIF_OP_READ :
		req->op == PVK_BLK_WRITE ? PVK_BLKIF_OP_WRITE :
		PVK_BLKIF_OP_FLUSH_DISKCACHE;
	dev->outstanding++;
	pvk_port_unlock(&dev->lock);

	rc = prepare_slot(dev, s, req);

	pvk_port_lock(&dev->lock);
	if (!rc && dev->broken)
		rc = -PVK_XEN_EIO;
	else if (!rc && !dev->connected)
		rc = -PVK_XEN_ENODEV;
	if (rc) {
		/* Not sent: nobody else touches the slot; done() never runs.
		 * A hostile backend may still have mapped a grant it guessed
		 * (prepare_slot's own undo already tried): its page left the
		 * slot, so the slot cannot serve again: the device is broken. */
		bool kept = !end_slot_grants(dev, s);

		for (unsigned int i = 0; i < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
			kept |= !s->page[i];
		if (kept && !dev->broken) {
			mark_broken_locked(dev, "mapped a grant of a request never sent (slot, rc)",
					   (unsigned long long)(s - dev->slots),
					   (unsigned long long)(int64_t)rc);
			rc = -PVK_XEN_EIO;
		}
		s->in_use = false;
		s->req = NULL;
		dev->outstanding--;
		pvk_port_unlock(&dev->lock);
		pvk_port_wake(&dev->wait);
		return rc;
	}
	rq = PVK_RING_GET_REQUEST(r, r->req_prod_pvt);
	rq->operation = s->op;
	rq->nr_segments = s->nr_segs;
	rq->handle = (pvk_blkif_vdev_t)dev->info.vdev;
	rq->id = (uint64_t)(s - dev->slots);
	rq->sector_number = req->op == PVK_BLK_FLUSH ? 0 : req->sector;
	left = s->len;
	for (unsigned int i = 0; i < s->nr_segs; i++) {
		size_t n = PAGE_SIZE < left ? PAGE_SIZE : left;

		rq->seg[i].gref = s->gref[i];
		rq->seg[i].first_sect = 0;
		rq->seg[i].last_sect = (uint8_t)(n / SECT - 1);
		left -= n;
	}
	s->sent = true;
	r->req_prod_pvt++;
	dev->stats.requests++;
	dev->stats.segments += s->nr_segs;
	dev->stats.grants += s->nr_segs;
	notify = PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r);
	if (notify)
		dev->stats.notify_sent++;
	pvk_port_unlock(&dev->lock);
	if (notify)
		pvk_evtchn_send(dev->port);
	return 0;
}

struct sync_req {
	struct pvk_blk_req req;
	bool done;
	int status;
};

static void sync_done(struct pvk_blk_req *req, int status)
{
	struct sync_req *sr = req->arg;

	sr->status = status;
	PVK_WRITE_ONCE(sr->done, true);
}

static bool sync_finished(void *arg)
{
	return PVK_READ_ONCE(((struct sync_req *)arg)->done);
}

static bool slot_free(void *arg)
{
	struct pvk_blkfront *dev = arg;

	return PVK_READ_ONCE(dev->outstanding) < dev->info.depth ||
	       PVK_READ_ONCE(dev->broken) || !PVK_READ_ONCE(dev->connected);
}

int pvk_blkfront_wait_slot(struct pvk_blkfront *dev, unsigned int queue,
			   uint64_t timeout_ns)
{
	(void)queue;	/* one queue */
	return pvk_port_wait_until(&dev->wait, slot_free, dev, timeout_ns);
}

/* A request the backend did not answer in time: stop trusting it. */
static void give_up(struct pvk_blkfront *dev)
{
	struct done_list dl = { .n = 0 };

	pvk_port_lock(&dev->lock);
	if (!dev->broken)
		mark_broken_locked(dev, "did not answer in time (outstanding, depth)",
				   dev->outstanding, dev->info.depth);
	if (dev->slots)
		fail_all_locked(dev, -PVK_XEN_EIO, &dl);
	pvk_port_unlock(&dev->lock);
	run_done(dev, &dl);
}

static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = pvk_time_now_ns();

	return now < deadline ? deadline - now : 0;
}

int pvk_blkfront_rw_sync(struct pvk_blkfront *dev, enum pvk_blk_op op,
			 uint64_t sector, void *buf, size_t len,
			 uint64_t timeout_ns)
{
	struct sync_req sr = {
		.req = { .op = op, .sector = sector, .buf = buf, .len = len,
			 .done = sync_done },
	};
	/* One deadline for the whole call, as the header promises: waiting
	 * for a slot (perhaps more than once, other submitters racing us)
	 * and then for the answer share timeout_ns. */
	uint64_t start = pvk_time_now_ns();
	uint64_t deadline = start + timeout_ns < start ? UINT64_MAX : start + timeout_ns;
	int rc;

	sr.req.arg = &sr;
	while ((rc = pvk_blkfront_submit(dev, &sr.req)) == -PVK_XEN_EAGAIN) {
		if (pvk_blkfront_wait_slot(dev, 0, time_left(deadline))) {
			give_up(dev);
			return -PVK_XEN_EIO;
		}
	}
	if (rc)
		return rc;
	if (pvk_port_wait_until(&dev->wait, sync_finished, &sr, time_left(deadline)))
		give_up(dev);	/* fails sr too: its callback has run */
	return sr.status;
}

void pvk_blkfront_get_stats(const struct pvk_blkfront *dev,
			    struct pvk_blkfront_stats *out)
{
	pvk_port_lock((struct pvk_lock *)&dev->lock);
	*out = dev->stats;
	pvk_port_unlock((struct pvk_lock *)&dev->lock);
}

int pvk_blkfront_get_queue_stats(const struct pvk_blkfront *dev,
				 unsigned int queue,
				 struct pvk_blkfront_stats *out)
{
	if (queue >= dev->info.nr_queues)
		return -PVK_XEN_EINVAL;
	pvk_blkfront_get_stats(dev, out);
	return 0;
}

unsigned int pvk_blkfront_grants_held(const struct pvk_blkfront *dev)
{
	return PVK_READ_ONCE(dev->grants_live);
}

bool pvk_blkfront_broken(const struct pvk_blkfront *dev)
{
	return PVK_READ_ONCE(dev->broken);
}
