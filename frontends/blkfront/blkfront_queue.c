/*
 * frontends/blkfront/blkfront_queue.c - a device's queues: each one ring
 * (of 1 << ring-page-order pages), one event channel, one lock, its slots
 * and its page pool; their setup and teardown, the pushing of requests
 * with event suppression, and the checked consumption of responses.
 *
 * The backend is untrusted: each response is copied once and must name a
 * request outstanding on that queue, with the operation it had, and a
 * status the protocol knows; the response index may not run past the
 * requests we produced. Anything else marks the whole device broken
 * (blkfront_break): its I/O fails with -EIO from then on, and the rest of
 * the guest runs on. Pages the backend may still map are never freed or
 * reused: grants end at completion (per-request grants) or at teardown
 * once the backend is Closed (persistent grants, and the pages of
 * requests failed while it was still connected).
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

/* Callbacks are collected under the lock and run after it, in batches. */
#define DONE_BATCH	32

struct done_list {
	unsigned int n;
	struct {
		struct pvk_blk_req *req;
		int status;
	} e[DONE_BATCH];
};

static void run_done(struct pvk_blkfront *dev, struct done_list *dl)
{
	for (unsigned int i = 0; i < dl->n; i++)
		dl->e[i].req->done(dl->e[i].req, dl->e[i].status);
	if (dl->n)
		pvk_port_wake(&dev->wait);
	dl->n = 0;
}

/* Pushes every page of chain onto the list *to. */
static void move_pages(struct blkfront_page *chain, struct blkfront_page **to)
{
	for (struct blkfront_page *p = chain, *n; p; p = n) {
		n = p->next;
		p->next = *to;
		*to = p;
	}
}

bool blkfront_piece_over_locked(struct pvk_blkfront *dev, struct blkfront_split *split,
				bool replayed, int *status)
{
	struct pvk_blkfront_resume_stats *rs = &dev->rstats;

	if (split) {
		if (*status && !split->status)
			split->status = *status;
		if (--split->left)
			return false;	/* other pieces still out */
		*status = split->status;
		pvk_port_free(split);
	}
	if (replayed) {
		__atomic_fetch_add(&rs->completed, 1, __ATOMIC_RELAXED);
		if (*status)
			__atomic_fetch_add(&rs->failed, 1, __ATOMIC_RELAXED);
	}
	return true;
}

/* The slot's request is over: status to its callback (on dl), pages back
 * to the pool. With end_grants false (the backend may still be using
 * them: the device is closing or broken), the pages are retired instead,
 * their grants ended at teardown. Locked. */
static void finish_slot_locked(struct blkfront_queue *q, struct blkfront_slot *s,
			       int status, bool end_grants, struct done_list *dl)
{
	struct pvk_blk_req *req = s->req;
	bool due;

	q->starved = false;	/* pages, or at least a slot, come free */
	if (end_grants) {
		if (!blkfront_release_pages(q, s)) {
			status = -PVK_XEN_EIO;
			blkfront_break_locked(q, "kept a page mapped after answering its request (id, queue)",
					      s->id, q->index);
		} else if (status == 0 && req->op == PVK_BLK_READ) {
			blkfront_copy_out(s);
		}
		/* The pages go back to the pool only now, after the copy. */
		move_pages(s->data, &q->pool);
		move_pages(s->ind, &q->pool);
	} else {
		move_pages(s->data, &q->retired);
		move_pages(s->ind, &q->retired);
	}
	s->data = s->ind = NULL;
	s->nr_data = 0;
	s->sent = false;
	due = blkfront_piece_over_locked(q->dev, s->split, s->replayed, &status);
	blkfront_put_slot(q, s);
	q->outstanding--;
	if (!due)
		return;
	dl->e[dl->n].req = req;
	dl->e[dl->n].status = status;
	dl->n++;
}

/* Fails up to a batch of the queue's sent requests; true if more remain.
 * A slot reserved but not yet sent is its submitter's to undo. */
static bool fail_batch(struct blkfront_queue *q, int status)
{
	struct done_list dl = { .n = 0 };
	bool more = false;

	pvk_port_lock(&q->lock);
	for (unsigned int i = 0; q->slot_page[0] && i < q->dev->info.depth; i++) {
		if (!blkfront_slot(q, i)->sent)
			continue;
		if (dl.n == DONE_BATCH) {
			more = true;
			break;
		}
		finish_slot_locked(q, blkfront_slot(q, i), status, false, &dl);
	}
	pvk_port_unlock(&q->lock);
	run_done(q->dev, &dl);
	return more;
}

static void fail_queues(struct pvk_blkfront *dev, int status)
{
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++)
		while (fail_batch(&dev->queues[i], status))
			;
}

void blkfront_fail_all(struct pvk_blkfront *dev, int status)
{
	pvk_port_lock(&dev->lock);
	dev->connected = false;
	pvk_port_unlock(&dev->lock);
	fail_queues(dev, status);
	pvk_port_wake(&dev->wait);
}

void blkfront_break_locked(struct blkfront_queue *q, const char *why,
			   unsigned long long v1, unsigned long long v2)
{
	struct pvk_blkfront *dev = q->dev;

	if (__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		return;
	pvk_err("blkfront: %s: backend %s (%llu, %llu): device broken, its I/O fails from now on",
		dev->name, why, v1, v2);
}

void blkfront_break(struct pvk_blkfront *dev, const char *why,
		    unsigned long long v1, unsigned long long v2)
{
	if (!__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		pvk_err("blkfront: %s: %s (%llu, %llu): device broken, its I/O fails from now on",
			dev->name, why, v1, v2);
	fail_queues(dev, -PVK_XEN_EIO);
	/* And the requests of before a restore not yet requeued. */
	blkfront_replay_fail(dev, -PVK_XEN_EIO);
	pvk_port_wake(&dev->wait);
}

void pvk_blkfront_break(struct pvk_blkfront *dev, const char *why)
{
	if (!__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		pvk_err("blkfront: %s: the host gave up on the backend: %s: device broken, its I/O fails from now on",
			dev->name, why);
	fail_queues(dev, -PVK_XEN_EIO);
	/* And the requests of before a restore not yet requeued. */
	blkfront_replay_fail(dev, -PVK_XEN_EIO);
	pvk_port_wake(&dev->wait);
}

const char *blkfront_check_response(const struct blkfront_queue *q,
				    const struct pvk_blkif_response *rsp)
{
	const struct blkfront_slot *s;

	if (rsp->id >= q->dev->info.depth || !blkfront_slot(q, (unsigned int)rsp->id)->sent)
		return "answered a request not outstanding (id, queue)";
	s = blkfront_slot(q, (unsigned int)rsp->id);
	if (rsp->operation != s->rsp_op)
		return "answered with another operation (id, operation)";
	if (rsp->status != PVK_BLKIF_RSP_OKAY && rsp->status != PVK_BLKIF_RSP_ERROR &&
	    rsp->status != PVK_BLKIF_RSP_EOPNOTSUPP)
		return "sent an unknown status (id, status)";
	return NULL;
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

/* Responses ready, validated: the backend's producer read once. False:
 * it claims more than are outstanding (the device is broken). Locked. */
static bool responses_ready_locked(struct blkfront_queue *q, uint32_t *n)
{
	struct pvk_blkif_front_ring *r = &q->ring;
	pvk_ring_idx_t prod;

	if (pvk_ring_unconsumed_seen(&r->sring->rsp_prod, r->rsp_cons,
				     r->req_prod_pvt - r->rsp_cons, n, &prod))
		return true;
	blkfront_break_locked(q, "produced more responses than requests outstanding (rsp_prod, req_prod)",
			      prod, r->req_prod_pvt);
	return false;
}

bool blkfront_process(struct blkfront_queue *q)
{
	struct pvk_blkfront *dev = q->dev;
	struct pvk_blkif_front_ring *r = &q->ring;
	struct done_list dl = { .n = 0 };
	bool found = false;

	for (;;) {
		uint32_t n;
		bool ok;

		pvk_port_lock(&q->lock);
		if (PVK_READ_ONCE(dev->broken) || !q->live || PVK_READ_ONCE(dev->gone) ||
		    blkfront_rings_frozen(dev)) {
			pvk_port_unlock(&q->lock);
			break;
		}
		ok = responses_ready_locked(q, &n);
		if (ok && !n) {
			/* Ask for an event at the next response, then look
			 * again (that read is used): one produced meanwhile
			 * would wait for ever. */
			pvk_ring_ask_event(&r->sring->rsp_event, r->rsp_cons);
			ok = responses_ready_locked(q, &n);
		}
		if (!ok || !n) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (n > DONE_BATCH)
			n = DONE_BATCH;
		for (; n; n--) {
			struct pvk_blkif_response rsp;
			const char *bad;

			/* One copy, checked and used. */
			pvk_ring_hook_entry(r->sring, r->rsp_cons);
			blkfront_ring_get_response(q->ring_page, r->nr_ents, r->rsp_cons, &rsp);
			r->rsp_cons++;
			found = true;
			q->stats.responses++;
			bad = blkfront_check_response(q, &rsp);
			if (bad) {
				blkfront_break_locked(q, bad, rsp.id,
						      rsp.id < dev->info.depth ?
						      (unsigned long long)(int64_t)rsp.status :
						      q->index);
				break;
			}
			if (rsp.status != PVK_BLKIF_RSP_OKAY)
				q->stats.errors++;
			finish_slot_locked(q, blkfront_slot(q, (unsigned int)rsp.id),
					   map_status(rsp.status), true, &dl);
			if (PVK_READ_ONCE(dev->broken))
				break;
		}
		pvk_port_unlock(&q->lock);
		run_done(dev, &dl);
	}
	run_done(dev, &dl);
	if (PVK_READ_ONCE(dev->broken))
		fail_queues(dev, -PVK_XEN_EIO);
	return found;
}

static bool queue_event(pvk_evtchn_port_t port, void *arg)
{
	struct blkfront_queue *q = arg;

	(void)port;
	pvk_port_lock(&q->lock);
	q->stats.notify_recv++;
	pvk_port_unlock(&q->lock);
	return blkfront_process(q);
}

void pvk_blkfront_poll(struct pvk_blkfront *dev)
{
	blkfront_resume_check_deadline(dev);
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++)
		blkfront_process(&dev->queues[i]);
}

void pvk_blkfront_poll_queue(struct pvk_blkfront *dev, unsigned int queue)
{
	unsigned int n = PVK_READ_ONCE(dev->info.nr_queues);

	/* The same queue as a submit with this number would use. */
	if (dev->queues && n && queue % n < dev->nr_queues_set_up)
		blkfront_process(&dev->queues[queue % n]);
}

bool blkfront_push_locked(struct blkfront_queue *q)
{
	bool notify;

	if (!q->unpushed)
		return false;
	q->unpushed = false;
	notify = PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring);
	if (notify)
		q->stats.notify_sent++;
	return notify;
}

void blkfront_notify(struct blkfront_queue *q)
{
	/* Never a port of a dead domain: after the quiesce the number may
	 * be another's once the domain is restored (the part's resume
	 * clears live and port_bound, under the lock, before anything). */
	if (PVK_READ_ONCE(q->live) && PVK_READ_ONCE(q->port_bound) &&
	    !blkfront_rings_frozen(q->dev))
		pvk_evtchn_send(q->port);
}

static int queue_setup(struct blkfront_queue *q, unsigned int ring_pages)
{
	struct pvk_blkfront *dev = q->dev;
	unsigned int depth = dev->info.depth;
	int rc;

	for (unsigned int i = 0; i < ring_pages; i++)
		if (!(q->ring_page[i] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
	PVK_SHARED_RING_INIT((struct pvk_blkif_sring *)q->ring_page[0]);
	PVK_FRONT_RING_INIT(&q->ring, (struct pvk_blkif_sring *)q->ring_page[0],
			    (size_t)ring_pages * BLKFRONT_PAGE);
	/* Kept zeroed across a resume (blkfront_queue_reset_locked). */
	for (unsigned int i = 0; i * BLKFRONT_SLOTS_PER_PAGE < depth; i++)
		if (!q->slot_page[i] && !(q->slot_page[i] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
	for (unsigned int i = 0; i < depth; i++) {
		blkfront_slot(q, i)->id = (uint16_t)i;
		q->free_ids[i] = (uint16_t)i;
	}
	q->free_head = 0;
	q->free_count = depth;
	for (unsigned int i = 0; i < ring_pages; i++) {
		rc = pvk_grant_access_page(dev->backend, q->ring_page[i], false, &q->ring_ref[i]);
		if (rc)
			return rc;
		q->ring_granted++;
		__atomic_fetch_add(&dev->grants_live, 1, __ATOMIC_RELAXED);
	}
	rc = pvk_evtchn_alloc_unbound(dev->backend, queue_event, q, &q->port);
	if (rc)
		return rc;
	q->port_bound = true;
	q->live = true;
	return 0;
}

/*
 * The queue array holds BLKFRONT_MAX_QUEUES and lives as long as the
 * device: a host thread may hold a queue's address across a resume (a
 * waiter in pvk_blkfront_wait_slot, a submit between its two locked
 * sections), so a reconnect to a backend with other limits resets the
 * queues in place (blkfront_queue_reset) and never frees the array. Every
 * lock is set up once, before the array is published.
 */
int blkfront_queues_setup(struct pvk_blkfront *dev, unsigned int nr_queues,
			  unsigned int ring_pages)
{
	uint32_t ents = blkfront_ring_entries(ring_pages);
	unsigned int depth = ents < BLKFRONT_MAX_DEPTH ? ents : BLKFRONT_MAX_DEPTH;

	if (!nr_queues || nr_queues > BLKFRONT_MAX_QUEUES || !ring_pages ||
	    ring_pages > BLKFRONT_MAX_RING_PAGES || !ents || dev->nr_queues_set_up)
		return -PVK_XEN_EINVAL;
	if (!dev->queues) {
		struct blkfront_queue *qs = pvk_port_malloc(BLKFRONT_MAX_QUEUES * sizeof(*qs));

		if (!qs)
			return -PVK_XEN_ENOMEM;
		__builtin_memset(qs, 0, BLKFRONT_MAX_QUEUES * sizeof(*qs));
		for (unsigned int i = 0; i < BLKFRONT_MAX_QUEUES; i++) {
			qs[i].dev = dev;
			qs[i].index = i;
			pvk_port_lock_init(&qs[i].lock);
		}
		__atomic_store_n(&dev->queues, qs, __ATOMIC_RELEASE);
	}
	pvk_port_lock(&dev->lock);
	dev->info.ring_pages = ring_pages;
	dev->info.depth = depth;
	pvk_port_unlock(&dev->lock);
	for (unsigned int i = 0; i < nr_queues; i++) {
		int rc;

		/* Counted first: a failure half-way tears this one down too. */
		dev->nr_queues_set_up = i + 1;
		rc = queue_setup(&dev->queues[i], ring_pages);
		if (rc)
			return rc;
	}
	/* Set up before a submit's modulo can name them. */
	__atomic_store_n(&dev->info.nr_queues, nr_queues, __ATOMIC_RELEASE);
	return 0;
}

void blkfront_queue_reset_locked(struct blkfront_queue *q)
{
	struct blkfront_desc_page *desc = q->desc_pages;
	struct blkfront_page *spare = q->spare;
	struct blkfront_slot *slots[BLKFRONT_SLOT_PAGES];
	struct pvk_blkfront_stats stats = q->stats;
	char *from = (char *)&q->ring;

	/* Descriptors and slot pages are kept (the slots zeroed), and the
	 * statistics (a host's counters go on across a resume: review s12
	 * N3); the rest is as new. The lock, dev and index are never
	 * touched. */
	__builtin_memcpy(slots, q->slot_page, sizeof(slots));
	__builtin_memset(from, 0, sizeof(*q) - (size_t)(from - (char *)q));
	q->desc_pages = desc;
	q->spare = spare;
	q->stats = stats;
	for (unsigned int j = 0; j < BLKFRONT_SLOT_PAGES; j++) {
		q->slot_page[j] = slots[j];
		if (slots[j])
			__builtin_memset(slots[j], 0, BLKFRONT_PAGE);
	}
}

/* Ends the grants of a list of pages and frees them; a page the backend
 * still maps is kept on the retired list (never freed or reused).
 * Returns how many were kept. */
static unsigned int end_list(struct blkfront_queue *q, struct blkfront_page *p)
{
	unsigned int kept = 0;

	for (struct blkfront_page *n; p; p = n) {
		n = p->next;
		if (blkfront_page_end(q, p))
			continue;
		pvk_port_lock(&q->lock);
		p->next = q->retired;
		q->retired = p;
		pvk_port_unlock(&q->lock);
		kept++;
	}
	return kept;
}

void blkfront_end_retired_if_down(struct blkfront_queue *q)
{
	struct blkfront_page *list = NULL;

	pvk_port_lock(&q->lock);
	if (!q->live) {
		list = q->retired;
		q->retired = NULL;
	}
	pvk_port_unlock(&q->lock);
	end_list(q, list);
}

/* The queue structures stay (a host thread may still hold the device and
 * look at them); only pages, grants and the event channel go. */
void blkfront_queues_teardown(struct pvk_blkfront *dev)
{
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];
		struct blkfront_page *pool, *retired;
		unsigned int kept, ring_kept = 0;

		/* A port whose close failed (its handler, running on another
		 * CPU, did not end in time) stays marked bound: the device is
		 * then never released under it (pvk_blkfront_release). */
		if (q->port_bound) {
			int rc = pvk_evtchn_close(q->port);

			if (rc)
				pvk_err("blkfront: event channel %u not closed (%d): the device is kept, never released",
					q->port, rc);
			else
				q->port_bound = false;
		}
		pvk_port_lock(&q->lock);
		q->live = false;
		pool = q->pool;
		retired = q->retired;
		q->pool = q->retired = NULL;
		pvk_port_unlock(&q->lock);
		kept = end_list(q, pool) + end_list(q, retired);
		/* A ring page the backend still maps stays in ring_page[]. */
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++) {
			if (!q->ring_page[j])
				continue;
			if (j < q->ring_granted) {
				if (pvk_grant_end_access_page(q->ring_ref[j], q->ring_page[j])) {
					ring_kept++;
					continue;
				}
				__atomic_fetch_sub(&dev->grants_live, 1, __ATOMIC_RELAXED);
			} else {
				pvk_port_free_page(q->ring_page[j]);
			}
			q->ring_page[j] = NULL;
		}
		if (kept || ring_kept)
			pvk_err("blkfront: %s: queue %u: %u data and %u ring pages still mapped by the backend at teardown: kept, never reused",
				dev->name, i, kept, ring_kept);
	}
}

/* After teardown: tries again to end the grants of pages the backend had
 * kept mapped (a data page on a retired list, a ring page left in
 * ring_page[]); those it has let go since are freed, the rest stay. */
void blkfront_queues_retry_kept(struct pvk_blkfront *dev)
{
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];
		unsigned int ring_ended = 0;

		if (PVK_READ_ONCE(q->live))
			continue;
		blkfront_end_retired_if_down(q);
		for (unsigned int j = 0; j < q->ring_granted && j < BLKFRONT_MAX_RING_PAGES; j++) {
			if (!q->ring_page[j] || pvk_grant_end_access(q->ring_ref[j]))
				continue;
			__atomic_fetch_sub(&dev->grants_live, 1, __ATOMIC_RELAXED);
			pvk_port_free_page(q->ring_page[j]);
			q->ring_page[j] = NULL;
			ring_ended++;
		}
		if (ring_ended)
			pvk_info("blkfront: %s: queue %u: the backend let go of %u kept ring page(s): grants ended",
				 dev->name, i, ring_ended);
	}
}

/* Frees what the queues keep after teardown: slot and descriptor pages,
 * the array. Only when no grant of the device is live any more (so no
 * page on a retired list is still mapped, and the lists are empty). */
void blkfront_queues_free(struct pvk_blkfront *dev)
{
	/* Every queue of the array: one used before a resume may hold
	 * pages although fewer are set up now. */
	for (unsigned int i = 0; dev->queues && i < BLKFRONT_MAX_QUEUES; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		for (unsigned int j = 0; j < BLKFRONT_SLOT_PAGES; j++)
			if (q->slot_page[j])
				pvk_port_free_page(q->slot_page[j]);
		for (struct blkfront_desc_page *dp = q->desc_pages, *n; dp; dp = n) {
			n = dp->next;
			pvk_port_free_page(dp);
		}
	}
	if (dev->queues)
		pvk_port_free(dev->queues);
	dev->queues = NULL;
}

static void add_stats(struct pvk_blkfront_stats *to, const struct pvk_blkfront_stats *s)
{
	to->requests += s->requests;
	to->segments += s->segments;
	to->indirect += s->indirect;
	to->grants += s->grants;
	to->grants_reused += s->grants_reused;
	to->notify_sent += s->notify_sent;
	to->notify_recv += s->notify_recv;
	to->responses += s->responses;
	to->errors += s->errors;
	to->eagain += s->eagain;
}

int pvk_blkfront_get_queue_stats(const struct pvk_blkfront *dev,
				 unsigned int queue,
				 struct pvk_blkfront_stats *out)
{
	struct blkfront_queue *q;

	__builtin_memset(out, 0, sizeof(*out));
	if (!dev->queues || queue >= dev->nr_queues_set_up)
		return -PVK_XEN_EINVAL;
	q = &dev->queues[queue];
	pvk_port_lock(&q->lock);
	*out = q->stats;
	pvk_port_unlock(&q->lock);
	return 0;
}

void pvk_blkfront_get_stats(const struct pvk_blkfront *dev,
			    struct pvk_blkfront_stats *out)
{
	struct pvk_blkfront_stats one;

	struct blkfront_queue *qs = __atomic_load_n(&dev->queues, __ATOMIC_ACQUIRE);

	/* Every queue of the array: its counters stay across a resume, one
	 * not set up again (a new backend offering fewer queues) or not yet
	 * (the reconnect under way) still counted (review s12 N3). */
	__builtin_memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; qs && i < BLKFRONT_MAX_QUEUES; i++) {
		pvk_port_lock(&qs[i].lock);
		one = qs[i].stats;
		pvk_port_unlock(&qs[i].lock);
		add_stats(out, &one);
	}
}

bool pvk_blkfront_broken(const struct pvk_blkfront *dev)
{
	return PVK_READ_ONCE(dev->broken);
}

unsigned int pvk_blkfront_grants_held(const struct pvk_blkfront *dev)
{
	return __atomic_load_n(&dev->grants_live, __ATOMIC_RELAXED);
}

const struct pvk_blkfront_info *pvk_blkfront_info(const struct pvk_blkfront *dev)
{
	return &dev->info;
}
