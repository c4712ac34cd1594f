/*
 * frontends/blkfront/blkfront_request.c - turning a host request into a
 * ring request: checks, the queue's page pool, direct and indirect
 * segment layout, grants, and submission.
 *
 * The host's data never leaves its buffers for the backend's eyes: it is
 * copied into whole pages of the queue's pool, packed from the start of
 * the first page (so scatter-gather pieces of any 512-multiple length at
 * any address make one request), and only those pages are granted.
 * Without persistent grants each page is granted for one request (read-
 * only when the backend only reads it) and its grant ended when the
 * answer comes; parts of a page the request does not fill are zeroed.
 * With persistent grants (feature-persistent) a pool page is granted
 * read-write once, reused for this device's requests only, and its grant
 * ends at teardown after the backend is Closed.
 *
 * A request of more than PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST pages goes
 * as BLKIF_OP_INDIRECT: its segment descriptors in indirect pages (from
 * the same pool; granted read-only unless persistent).
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

#define PAGE	BLKFRONT_PAGE
#define SECT	BLKFRONT_SECT

/* ---- Pure helpers (unit-tested) ----------------------------------------- */

/* The data pieces: req->sg, or buf/len as one piece. */
static const struct pvk_blk_seg *req_pieces(const struct pvk_blk_req *req,
					    struct pvk_blk_seg *one, unsigned int *n)
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

size_t blkfront_req_bytes(const struct pvk_blk_req *req)
{
	struct pvk_blk_seg one;
	unsigned int n;
	const struct pvk_blk_seg *p = req_pieces(req, &one, &n);
	size_t total = 0;

	if (req->sg && (req->buf || !n))
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		if (p[i].len % SECT || (p[i].len && !p[i].buf) ||
		    p[i].len > SIZE_MAX - total)
			return 0;
		total += p[i].len;
	}
	return total;
}

void blkfront_seg_layout(size_t len, unsigned int i, uint8_t *first, uint8_t *last)
{
	size_t start = (size_t)i * PAGE;
	size_t n = len - start < PAGE ? len - start : PAGE;

	*first = 0;
	*last = (uint8_t)(n / SECT - 1);
}

unsigned int blkfront_indirect_pages(unsigned int nr_data)
{
	if (nr_data <= PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return 0;
	return (unsigned int)((nr_data + BLKFRONT_SEGS_PER_INDIRECT_PAGE - 1) /
			      BLKFRONT_SEGS_PER_INDIRECT_PAGE);
}

/* Copies between the slot's part of the request's pieces (bytes off to
 * off + len of its data) and the slot's data pages. */
static void copy_pieces(const struct blkfront_slot *s, bool to_pages)
{
	struct pvk_blk_seg one;
	unsigned int n;
	const struct pvk_blk_seg *p = req_pieces(s->req, &one, &n);
	struct blkfront_page *pg = s->data;
	size_t off = 0;		/* in pg */
	size_t skip = s->off, left = s->len;

	for (unsigned int i = 0; i < n && left; i++) {
		uint8_t *b = p[i].buf;
		size_t done = 0;

		if (skip >= p[i].len) {
			skip -= p[i].len;
			continue;
		}
		done = skip;
		skip = 0;
		while (done < p[i].len && left) {
			size_t k = PAGE - off;

			if (off == PAGE) {
				pg = pg->next;
				off = 0;
				k = PAGE;
			}
			if (k > p[i].len - done)
				k = p[i].len - done;
			if (k > left)
				k = left;
			if (to_pages)
				__builtin_memcpy((uint8_t *)pg->va + off, b + done, k);
			else
				__builtin_memcpy(b + done, (uint8_t *)pg->va + off, k);
			done += k;
			off += k;
			left -= k;
		}
	}
}

void blkfront_copy_out(const struct blkfront_slot *s)
{
	copy_pieces(s, false);
}

/* ---- Slots and pages ---------------------------------------------------- */

struct blkfront_slot *blkfront_take_slot(struct blkfront_queue *q)
{
	unsigned int depth = q->dev->info.depth, id;

	if (!q->free_count || q->outstanding >= depth || PVK_RING_FULL(&q->ring))
		return NULL;
	id = q->free_ids[q->free_head];
	q->free_head = (q->free_head + 1) % depth;
	q->free_count--;
	return blkfront_slot(q, id);
}

void blkfront_put_slot(struct blkfront_queue *q, struct blkfront_slot *s)
{
	unsigned int depth = q->dev->info.depth;

	s->in_use = false;
	s->req = NULL;
	s->split = NULL;
	s->off = 0;
	s->replayed = false;
	q->free_ids[(q->free_head + q->free_count) % depth] = s->id;
	q->free_count++;
}

/* A descriptor from the queue's spares, a new page of them if none. */
static struct blkfront_page *desc_get(struct blkfront_queue *q)
{
	struct blkfront_desc_page *dp;
	struct blkfront_page *p;

	pvk_port_lock(&q->lock);
	p = q->spare;
	if (p)
		q->spare = p->next;
	pvk_port_unlock(&q->lock);
	if (p)
		return p;
	dp = pvk_port_alloc_page();
	if (!dp)
		return NULL;
	pvk_port_lock(&q->lock);
	dp->next = q->desc_pages;
	q->desc_pages = dp;
	for (unsigned int i = 1; i < PVK_ARRAY_SIZE(dp->d); i++) {
		dp->d[i].next = q->spare;
		q->spare = &dp->d[i];
	}
	pvk_port_unlock(&q->lock);
	return &dp->d[0];
}

static void desc_put(struct blkfront_queue *q, struct blkfront_page *p)
{
	pvk_port_lock(&q->lock);
	p->next = q->spare;
	q->spare = p;
	pvk_port_unlock(&q->lock);
}

void blkfront_page_free(struct blkfront_queue *q, struct blkfront_page *p)
{
	pvk_port_free_page(p->va);
	desc_put(q, p);
}

bool blkfront_page_end(struct blkfront_queue *q, struct blkfront_page *p)
{
	if (p->granted) {
		if (pvk_grant_end_access(p->gref))
			return false;	/* kept: the backend still maps it */
		p->granted = false;
		__atomic_fetch_sub(&q->dev->grants_live, 1, __ATOMIC_RELAXED);
	}
	blkfront_page_free(q, p);
	return true;
}

/* Ends the per-request grants of a chain; kept pages leave it for the
 * retired list. Locked. */
static bool end_chain(struct blkfront_queue *q, struct blkfront_page **head,
		      unsigned int id)
{
	bool ok = true;

	for (struct blkfront_page **pp = head; *pp;) {
		struct blkfront_page *p = *pp;

		if (!p->granted || q->dev->info.persistent) {
			pp = &p->next;
			continue;
		}
		if (pvk_grant_end_access(p->gref) == 0) {
			p->granted = false;
			__atomic_fetch_sub(&q->dev->grants_live, 1, __ATOMIC_RELAXED);
			pp = &p->next;
			continue;
		}
		pvk_err("blkfront: %s: backend still maps grant %u of request %u on queue %u: page kept",
			q->dev->name, p->gref, id, q->index);
		*pp = p->next;
		p->next = q->retired;
		q->retired = p;
		ok = false;
	}
	return ok;
}

bool blkfront_release_pages(struct blkfront_queue *q, struct blkfront_slot *s)
{
	bool ok = end_chain(q, &s->data, s->id);

	return end_chain(q, &s->ind, s->id) && ok;
}

/* ---- Checks ------------------------------------------------------------- */

bool blkfront_data_op(enum pvk_blk_op op)
{
	return op == PVK_BLK_READ || op == PVK_BLK_WRITE || op == PVK_BLK_WRITE_BARRIER;
}

/* Largest data a request of op can carry: barriers go direct only. */
size_t blkfront_max_bytes(const struct pvk_blkfront *dev, enum pvk_blk_op op)
{
	if (op == PVK_BLK_WRITE_BARRIER)
		return (size_t)PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST * PAGE;
	return dev->info.max_bytes;
}

bool pvk_blkfront_fits(const struct pvk_blkfront *dev, const struct pvk_blk_req *req)
{
	size_t total;

	if (!blkfront_data_op(req->op))
		return true;
	total = blkfront_req_bytes(req);
	return total && total <= blkfront_max_bytes(dev, req->op);
}

int blkfront_op_offered(const struct pvk_blkfront *dev, const struct pvk_blk_req *req,
			unsigned int vdisk_info)
{
	bool ro = vdisk_info & PVK_VDISK_READONLY;

	switch (req->op) {
	case PVK_BLK_FLUSH:
		return dev->info.flush ? 0 : -PVK_XEN_EOPNOTSUPP;
	case PVK_BLK_DISCARD:
		/* Read-only first: blkback offers no discard on a read-only
		 * disk, and the host must hear the disk's reason. */
		if (ro)
			return -PVK_XEN_EROFS;
		if (!dev->info.discard ||
		    ((req->flags & PVK_BLK_REQ_SECURE) && !dev->info.discard_secure))
			return -PVK_XEN_EOPNOTSUPP;
		return 0;
	case PVK_BLK_WRITE_BARRIER:
		if (!dev->info.barrier)
			return -PVK_XEN_EOPNOTSUPP;
		/* fall through */
	case PVK_BLK_WRITE:
		return ro ? -PVK_XEN_EROFS : 0;
	default:
		return 0;
	}
}

/* 0 and *len (data or discard bytes), or the status for the host. */
static int check_request(struct pvk_blkfront *dev, const struct pvk_blk_req *req,
			 size_t *len)
{
	unsigned int ss, vinfo;
	uint64_t sectors;
	int rc;

	if (!req->done)
		return -PVK_XEN_EINVAL;
	pvk_port_lock(&dev->lock);
	ss = dev->info.sector_size;
	sectors = dev->info.sectors;
	vinfo = dev->info.vdisk_info;
	pvk_port_unlock(&dev->lock);
	*len = 0;
	rc = blkfront_op_offered(dev, req, vinfo);
	if (rc)
		return rc;
	switch (req->op) {
	case PVK_BLK_FLUSH:
		return 0;
	case PVK_BLK_DISCARD:
		if (req->flags & ~(PVK_BLK_REQ_SECURE | PVK_BLK_REQ_MORE))
			return -PVK_XEN_EINVAL;
		*len = req->len;
		break;
	case PVK_BLK_WRITE_BARRIER:
	case PVK_BLK_WRITE:
	case PVK_BLK_READ:
		*len = blkfront_req_bytes(req);
		if (*len > blkfront_max_bytes(dev, req->op))
			return -PVK_XEN_EINVAL;
		break;
	default:
		return -PVK_XEN_EINVAL;
	}
	if (!*len || *len % ss || (req->sector * SECT) % ss ||
	    req->sector > sectors || *len / SECT > sectors - req->sector)
		return -PVK_XEN_EINVAL;
	return 0;
}

/* ---- Building ----------------------------------------------------------- */

static uint8_t ring_op(enum pvk_blk_op op)
{
	switch (op) {
	case PVK_BLK_READ:
		return PVK_BLKIF_OP_READ;
	case PVK_BLK_WRITE:
		return PVK_BLKIF_OP_WRITE;
	case PVK_BLK_WRITE_BARRIER:
		return PVK_BLKIF_OP_WRITE_BARRIER;
	case PVK_BLK_FLUSH:
		return PVK_BLKIF_OP_FLUSH_DISKCACHE;
	default:
		return PVK_BLKIF_OP_DISCARD;
	}
}

/* Takes need pages off the pool into *chain; the rest are to be allocated
 * (counted in pool_pages now). -EAGAIN if the pool is at its limit. Locked. */
static int take_pages(struct blkfront_queue *q, unsigned int need,
		      struct blkfront_page **chain, unsigned int *to_alloc)
{
	unsigned int have = 0;
	struct blkfront_page *list = NULL;

	while (have < need && q->pool) {
		struct blkfront_page *p = q->pool;

		q->pool = p->next;
		p->next = list;
		list = p;
		have++;
	}
	if (need - have > BLKFRONT_QUEUE_PAGES - q->pool_pages) {
		while (list) {
			struct blkfront_page *p = list;

			list = p->next;
			p->next = q->pool;
			q->pool = p;
		}
		return -PVK_XEN_EAGAIN;
	}
	q->pool_pages += need - have;
	*to_alloc = need - have;
	*chain = list;
	return 0;
}

/* Pages for a chain of n: allocated ones appended to *chain. */
static int alloc_pages(struct blkfront_queue *q, struct blkfront_page **chain,
		       unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct blkfront_page *p = desc_get(q);

		if (!p)
			return -PVK_XEN_ENOMEM;
		__builtin_memset(p, 0, sizeof(*p));
		p->va = pvk_port_alloc_page();	/* zeroed */
		if (!p->va) {
			desc_put(q, p);
			return -PVK_XEN_ENOMEM;
		}
		p->next = *chain;
		*chain = p;
	}
	return 0;
}

/* Splits the first nr_ind pages of *all off as the indirect chain. */
static void split_chain(struct blkfront_slot *s, struct blkfront_page *all,
			unsigned int nr_ind)
{
	struct blkfront_page **pp = &all;

	s->ind = NULL;
	if (nr_ind) {
		s->ind = all;
		for (unsigned int i = 0; i < nr_ind; i++)
			pp = &(*pp)->next;
		all = *pp;
		*pp = NULL;
	}
	s->data = all;
}

/* Grants p for this request: persistent pages once, read-write, for good;
 * others now, read-only if the backend only reads them. Counts in st. */
static int grant_page(struct blkfront_queue *q, struct blkfront_page *p,
		      bool readonly, struct pvk_blkfront_stats *st)
{
	struct pvk_blkfront *dev = q->dev;
	bool persistent = dev->info.persistent;
	int rc;

	if (persistent && p->granted) {
		st->grants_reused++;
		return 0;
	}
	rc = pvk_grant_access_page(dev->backend, p->va, persistent ? false : readonly, &p->gref);
	if (rc)
		return rc;
	p->granted = true;
	__atomic_fetch_add(&dev->grants_live, 1, __ATOMIC_RELAXED);
	st->grants++;
	return 0;
}

/* Fills and grants the slot's pages (outside the lock). */
static int prepare(struct blkfront_queue *q, struct blkfront_slot *s,
		   struct pvk_blkfront_stats *st)
{
	bool persistent = q->dev->info.persistent;
	bool write = s->req->op != PVK_BLK_READ;
	unsigned int i = 0;
	int rc;

	if (!blkfront_data_op(s->req->op))
		return 0;	/* flush, discard: no pages */
	if (write)
		copy_pieces(s, true);
	for (struct blkfront_page *p = s->data; p; p = p->next, i++) {
		size_t used = s->len - (size_t)i * PAGE < PAGE ? s->len - (size_t)i * PAGE : PAGE;

		/* What the request does not fill is zeroed: a read's whole
		 * page (the backend could read it), a write's tail. A
		 * persistent page only ever held this device's data. */
		if (!persistent) {
			if (!write)
				__builtin_memset(p->va, 0, PAGE);
			else if (used < PAGE)
				__builtin_memset((uint8_t *)p->va + used, 0, PAGE - used);
		}
		rc = grant_page(q, p, write, st);
		if (rc)
			return rc;
	}
	/* Segment descriptors, now that every data page has its grant; the
	 * rest of each indirect page zeroed unless it is persistent. */
	if (s->ind) {
		struct blkfront_page *ip = s->ind;
		struct pvk_blkif_request_segment *seg = ip->va;

		i = 0;
		for (struct blkfront_page *p = s->data; p; p = p->next, i++) {
			unsigned int k = i % BLKFRONT_SEGS_PER_INDIRECT_PAGE;

			if (i && !k) {
				ip = ip->next;
				seg = ip->va;
			}
			/* Whole descriptor zeroed first: its 2 padding bytes
			 * are on a page the backend reads. */
			__builtin_memset(&seg[k], 0, sizeof(seg[k]));
			seg[k].gref = p->gref;
			blkfront_seg_layout(s->len, i, &seg[k].first_sect, &seg[k].last_sect);
		}
		if (!persistent) {
			unsigned int k = s->nr_data % BLKFRONT_SEGS_PER_INDIRECT_PAGE;

			if (k)
				__builtin_memset(&seg[k], 0,
						 (BLKFRONT_SEGS_PER_INDIRECT_PAGE - k) * sizeof(*seg));
		}
		for (ip = s->ind; ip; ip = ip->next) {
			rc = grant_page(q, ip, true, st);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* The ring request for a prepared slot. */
static void build(struct blkfront_queue *q, struct blkfront_slot *s, uint64_t id,
		  struct pvk_blkif_request *rq)
{
	struct pvk_blk_req *req = s->req;
	pvk_blkif_vdev_t handle = (pvk_blkif_vdev_t)q->dev->info.vdev;

	__builtin_memset(rq, 0, sizeof(*rq));
	if (req->op == PVK_BLK_DISCARD) {
		struct pvk_blkif_request_discard *d = (void *)rq;

		d->operation = PVK_BLKIF_OP_DISCARD;
		d->flag = (req->flags & PVK_BLK_REQ_SECURE) ? PVK_BLKIF_DISCARD_SECURE : 0;
		d->handle = handle;
		d->id = id;
		d->sector_number = req->sector;
		d->nr_sectors = s->len / SECT;
		return;
	}
	if (s->ind) {
		struct pvk_blkif_request_indirect *ind = (void *)rq;
		unsigned int j = 0;

		ind->operation = PVK_BLKIF_OP_INDIRECT;
		ind->indirect_op = ring_op(req->op);
		ind->nr_segments = (uint16_t)s->nr_data;
		ind->id = id;
		ind->sector_number = req->sector + s->off / SECT;
		ind->handle = handle;
		for (struct blkfront_page *ip = s->ind; ip; ip = ip->next)
			ind->indirect_grefs[j++] = ip->gref;
		return;
	}
	rq->operation = ring_op(req->op);
	rq->nr_segments = (uint8_t)s->nr_data;
	rq->handle = handle;
	rq->id = id;
	rq->sector_number = req->op == PVK_BLK_FLUSH ? 0 : req->sector + s->off / SECT;
	{
		unsigned int i = 0;

		for (struct blkfront_page *p = s->data; p; p = p->next, i++) {
			rq->seg[i].gref = p->gref;
			blkfront_seg_layout(s->len, i, &rq->seg[i].first_sect, &rq->seg[i].last_sect);
		}
	}
}

/* A request not sent: its pages back (grants ended; a page the backend
 * mapped though never told of it is kept, and that breaks the device). */
static int undo_locked(struct blkfront_queue *q, struct blkfront_slot *s, int rc)
{
	/* Torn down meanwhile: the pages go where teardown ends grants. */
	struct blkfront_page **to = q->live ? &q->pool : &q->retired;

	if (!blkfront_release_pages(q, s)) {
		blkfront_break_locked(q, "mapped a grant of a request never sent (slot, queue)",
				      s->id, q->index);
		rc = -PVK_XEN_EIO;
	}
	for (struct blkfront_page *p = s->data, *n; p; p = n) {
		n = p->next;
		p->next = *to;
		*to = p;
	}
	for (struct blkfront_page *p = s->ind, *n; p; p = n) {
		n = p->next;
		p->next = *to;
		*to = p;
	}
	s->data = s->ind = NULL;
	blkfront_put_slot(q, s);
	q->outstanding--;
	/* Its pages are back: a submit refused for want of them while this
	 * one was reserved need not wait for a completion (with nothing else
	 * outstanding none would come, and wait_slot would run out). */
	q->starved = false;
	return rc;
}

static int issue(struct pvk_blkfront *dev, struct pvk_blk_req *req, size_t off,
		 size_t len, struct blkfront_split *split, bool replay)
{
	struct pvk_blkfront_stats st = { 0 };
	struct blkfront_page *chain = NULL;
	struct pvk_blkif_request rq;
	struct blkfront_queue *q;
	struct blkfront_slot *s;
	unsigned int nr_data = 0, nr_ind = 0, to_alloc = 0;
	bool notify = false;
	int rc = 0;

	if (!dev->queues || !dev->info.nr_queues)
		return -PVK_XEN_ENODEV;
	if (blkfront_data_op(req->op)) {
		nr_data = (unsigned int)((len + PAGE - 1) / PAGE);
		nr_ind = blkfront_indirect_pages(nr_data);
		if (nr_ind && !dev->info.indirect_segments)
			return -PVK_XEN_EINVAL;
	}
	q = blkfront_queue_of(dev, req->queue);
	pvk_port_lock(&q->lock);
	if (PVK_READ_ONCE(dev->broken))
		rc = -PVK_XEN_EIO;
	else if (!replay && PVK_READ_ONCE(dev->quiesced))
		rc = -PVK_XEN_EAGAIN;	/* a suspend: wait_slot waits it out */
	else if (!PVK_READ_ONCE(dev->connected) || !q->live)
		rc = -PVK_XEN_ENODEV;
	else if (!(s = blkfront_take_slot(q)))
		rc = -PVK_XEN_EAGAIN;
	else if ((rc = take_pages(q, nr_data + nr_ind, &chain, &to_alloc))) {
		blkfront_put_slot(q, s);
		q->starved = q->outstanding > 0;
	}
	if (rc) {
		if (rc == -PVK_XEN_EAGAIN) {
			q->stats.eagain++;
			/* The host will wait for a slot: what is queued must
			 * reach the backend first (not a ring of a domain
			 * that may be dead: after a quiesce, nothing). */
			if (replay || !PVK_READ_ONCE(dev->quiesced))
				notify = blkfront_push_locked(q);
		}
		pvk_port_unlock(&q->lock);
		if (notify)
			blkfront_notify(q);
		return rc;
	}
	s->in_use = true;
	s->req = req;
	s->off = off;
	s->len = len;
	s->split = split;
	s->replayed = replay;
	s->seq = __atomic_fetch_add(&dev->seq, 1, __ATOMIC_RELAXED);
	s->nr_data = nr_data;
	q->outstanding++;
	pvk_port_unlock(&q->lock);

	rc = alloc_pages(q, &chain, to_alloc);
	if (!rc) {
		split_chain(s, chain, nr_ind);
		rc = prepare(q, s, &st);
	} else {
		s->data = chain;	/* short: only to be given back */
		s->ind = NULL;
	}

	pvk_port_lock(&q->lock);
	if (!rc && PVK_READ_ONCE(dev->broken))
		rc = -PVK_XEN_EIO;
	else if (!rc && !replay && PVK_READ_ONCE(dev->quiesced))
		rc = -PVK_XEN_EAGAIN;	/* quiesced meanwhile: not on the ring */
	else if (!rc && (!PVK_READ_ONCE(dev->connected) || !q->live))
		rc = -PVK_XEN_ENODEV;
	if (rc) {
		/* Pages that failed to allocate were never counted in. */
		if (rc == -PVK_XEN_ENOMEM) {
			unsigned int got = 0;

			for (struct blkfront_page *p = s->data; p; p = p->next)
				got++;
			for (struct blkfront_page *p = s->ind; p; p = p->next)
				got++;
			q->pool_pages -= nr_data + nr_ind - got;
		}
		rc = undo_locked(q, s, rc);
		/* Out of grant references or memory: if other requests are
		 * outstanding their completions free some (back-pressure);
		 * else it is a lack the host must hear of. */
		if (rc == -PVK_XEN_ENOSPC || rc == -PVK_XEN_ENOMEM)
			rc = q->outstanding ? -PVK_XEN_EAGAIN : -PVK_XEN_ENOMEM;
		if (rc == -PVK_XEN_EAGAIN) {
			q->stats.eagain++;
			q->starved = q->outstanding > 0;
		}
		pvk_port_unlock(&q->lock);
		blkfront_end_retired_if_down(q);
		pvk_port_wake(&dev->wait);
		if (PVK_READ_ONCE(dev->broken))
			blkfront_break(dev, "device broken", 0, 0);
		return rc;
	}
	s->rsp_op = ring_op(req->op);	/* an indirect answer names indirect_op */
	build(q, s, s->id, &rq);
	blkfront_ring_put_request(q->ring_page, q->ring.nr_ents, q->ring.req_prod_pvt, &rq);
	q->ring.req_prod_pvt++;
	s->sent = true;
	q->unpushed = true;
	q->stats.requests++;
	q->stats.segments += nr_data;
	q->stats.indirect += nr_ind ? 1 : 0;
	q->stats.grants += st.grants;
	q->stats.grants_reused += st.grants_reused;
	if (replay || !(req->flags & PVK_BLK_REQ_MORE))
		notify = blkfront_push_locked(q);
	pvk_port_unlock(&q->lock);
	if (notify)
		blkfront_notify(q);
	return 0;
}

/*
 * Counted while under way: between its two locked sections a submit uses
 * its queue and slot unlocked, and a host may preempt it there across a
 * whole suspend. The part's resume waits (bounded) for none to be under
 * way before it forgets the rings (blkfront_suspend.c); the second
 * section sees the quiesce and gives the slot back.
 */
int blkfront_issue(struct pvk_blkfront *dev, struct pvk_blk_req *req, size_t off,
		   size_t len, struct blkfront_split *split, bool replay)
{
	int rc;

	__atomic_fetch_add(&dev->issuing, 1, __ATOMIC_SEQ_CST);
	rc = issue(dev, req, off, len, split, replay);
	__atomic_fetch_sub(&dev->issuing, 1, __ATOMIC_SEQ_CST);
	if (PVK_READ_ONCE(dev->quiesced))
		pvk_port_wake(&dev->wait);
	return rc;
}

static int submit(struct pvk_blkfront *dev, struct pvk_blk_req *req)
{
	size_t len;
	int rc = check_request(dev, req, &len);

	if (rc)
		return rc;
	/* A reconnect past its deadline is given up by the host's next poll
	 * or wait, never here: that runs other requests' done(). */
	/* Given up or broken: said at once, even while resuming (a host
	 * looping on -EAGAIN would never end). */
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	if (PVK_READ_ONCE(dev->gone))
		return -PVK_XEN_ENODEV;
	/* Suspended, or reconnecting after a resume (the queues are reset):
	 * the host waits (wait_slot) and submits again. */
	if (PVK_READ_ONCE(dev->quiesced))
		return -PVK_XEN_EAGAIN;
	return blkfront_issue(dev, req, 0, len, NULL, false);
}

int pvk_blkfront_submit(struct pvk_blkfront *dev, struct pvk_blk_req *req)
{
	int rc = submit(dev, req);

	/* Refused: what earlier submits queued with PVK_BLK_REQ_MORE must
	 * still reach the backend when the header says it does (-EAGAIN,
	 * whatever the flags: the host waits next; any refusal of a submit
	 * without MORE), or their completions never come. */
	if (rc && (rc == -PVK_XEN_EAGAIN || !(req->flags & PVK_BLK_REQ_MORE)))
		pvk_blkfront_kick(dev, req->queue);
	return rc;
}

void pvk_blkfront_kick(struct pvk_blkfront *dev, unsigned int queue)
{
	struct blkfront_queue *q;
	bool notify;

	if (!dev->queues)
		return;
	q = blkfront_queue_of(dev, queue);
	pvk_port_lock(&q->lock);
	/* Quiesced: nothing more reaches the old backend (what it was not
	 * told of is requeued after a resume, or pushed when cancelled). */
	notify = q->live && !PVK_READ_ONCE(dev->quiesced) && blkfront_push_locked(q);
	pvk_port_unlock(&q->lock);
	if (notify)
		blkfront_notify(q);
}
