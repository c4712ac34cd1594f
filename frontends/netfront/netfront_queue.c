/*
 * frontends/netfront/netfront_queue.c - a vif's queue: a transmit and a
 * receive ring of one page each and one event channel; their setup and
 * teardown, transmit through bounce pages, receive into granted pages
 * with refill, event suppression on both rings, and the checked
 * consumption of responses.
 *
 * The backend is untrusted: each response is copied once from the ring
 * and must name an id outstanding on that ring, a known status and (rx)
 * an offset and size within the page, with no flag for a feature we did
 * not negotiate; the response index may not run past what we produced.
 * Anything else breaks the device (netfront_break): the link goes down,
 * transmits fail with -EIO, and the guest runs on. A grant is ended
 * before its page is read or reused; a page the backend still uses is
 * kept out of use for good.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

PVK_BUILD_BUG_ON(sizeof(struct netfront_tx_slot) * NETFRONT_RING_ENTS > NETFRONT_PAGE);
PVK_BUILD_BUG_ON(sizeof(struct netfront_rx_buf) * NETFRONT_RING_ENTS > NETFRONT_PAGE);
PVK_BUILD_BUG_ON(sizeof(void *) * NETFRONT_RING_ENTS > NETFRONT_PAGE);

/* Set by pvk_netfront_init(); rx is called from here. */
const struct pvk_netfront_hooks *netfront_hooks;

static void grants_add(struct pvk_netfront *dev, int n)
{
	__atomic_fetch_add(&dev->grants_live, (unsigned int)n, __ATOMIC_RELAXED);
}

/* Ends a grant (and frees its reference) before its page is read or
 * reused: false when the
 * backend still uses it (the page must then stay out of use). */
static bool end_grant(struct pvk_netfront *dev, pvk_grant_ref_t ref)
{
	if (pvk_grant_end_access(ref))
		return false;
	grants_add(dev, -1);
	return true;
}

void netfront_set_link(struct pvk_netfront *dev, bool up)
{
	if (dev->info.link_up == up)
		return;
	dev->info.link_up = up;
	pvk_info("netfront: %s: link %s", dev->name, up ? "up" : "down");
	if (netfront_hooks && netfront_hooks->link)
		netfront_hooks->link(dev, up);
	pvk_port_wake(&dev->wait);
}

void netfront_break(struct pvk_netfront *dev, const char *why,
		    unsigned long long v1, unsigned long long v2)
{
	if (__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		return;
	pvk_err("netfront: %s: backend %s (%llu, %llu): device disabled, link down",
		dev->name, why, v1, v2);
}

const char *netfront_check_tx_response(const struct netfront_queue *q,
				       const struct pvk_netif_tx_response *rsp)
{
	if (rsp->id >= NETFRONT_RING_ENTS || !q->txs[rsp->id].sent)
		return "answered a transmit not outstanding (id, status)";
	if (rsp->status != PVK_NETIF_RSP_OKAY && rsp->status != PVK_NETIF_RSP_ERROR &&
	    rsp->status != PVK_NETIF_RSP_DROPPED)
		return "sent an unknown transmit status (id, status)";
	return NULL;
}

const char *netfront_check_rx_response(const struct netfront_queue *q,
				       const struct pvk_netif_rx_response *rsp)
{
	if (rsp->id >= NETFRONT_RING_ENTS || !q->rxb[rsp->id].posted)
		return "answered a receive buffer not posted (id, status)";
	/* No flag for a feature we did not negotiate (sg, gso, csum). */
	if (rsp->flags & (PVK_NETRXF_more_data | PVK_NETRXF_extra_info |
			  PVK_NETRXF_gso_prefix | PVK_NETRXF_csum_blank))
		return "set receive flags not negotiated (id, status)";
	if (rsp->status < PVK_NETIF_RSP_DROPPED)
		return "sent an unknown receive status (id, status)";
	if (rsp->status > 0 &&
	    (uint32_t)rsp->offset + (uint32_t)rsp->status > NETFRONT_PAGE)
		return "placed a frame beyond its page (id, size)";
	return NULL;
}

/* ---- transmit ---- */

/* The backend answered slot id: end its grant, hand back the status. */
static void tx_finish_locked(struct netfront_queue *q, uint16_t id, int status,
			     struct pvk_net_tx **done, int *done_status)
{
	struct netfront_tx_slot *s = &q->txs[id];

	*done = s->tx;
	*done_status = status;
	s->tx = NULL;
	s->sent = false;
	if (!end_grant(q->dev, s->gref)) {
		s->kept = true;		/* never given out again */
		netfront_break(q->dev, "kept a transmit page mapped after answering (id, queue)",
			       id, q->index);
		return;
	}
	q->tx_free[(q->tx_free_head + q->tx_free_count) % NETFRONT_RING_ENTS] = id;
	q->tx_free_count++;
}

static void tx_push_locked(struct netfront_queue *q, bool *notify)
{
	if (!q->tx_unpushed)
		return;
	q->tx_unpushed = false;
	if (PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx)) {
		q->stats.notify_sent++;
		*notify = true;
	}
}

static size_t tx_bytes(const struct pvk_net_tx *tx)
{
	size_t n = 0;

	for (unsigned int i = 0; i < tx->nr_frags; i++) {
		if (tx->frags[i].len > NETFRONT_PAGE)
			return NETFRONT_PAGE + 1;
		n += tx->frags[i].len;
	}
	return n;
}

int pvk_netfront_xmit(struct pvk_netfront *dev, struct pvk_net_tx *tx)
{
	struct netfront_queue *q;
	struct netfront_tx_slot *s;
	struct pvk_netif_tx_request *rq;
	bool notify = false;
	size_t len, off = 0;
	uint16_t id;
	char *page;
	int rc;

	if (!dev || !tx || !tx->done || (!tx->frags && tx->nr_frags))
		return -PVK_XEN_EINVAL;
	if ((tx->flags & PVK_NET_TX_CSUM_PARTIAL) || tx->gso_type != PVK_NET_GSO_NONE)
		return -PVK_XEN_EOPNOTSUPP;	/* offloads: not negotiated yet */
	len = tx_bytes(tx);
	if (len < NETFRONT_MIN_FRAME || len > dev->info.max_frame)
		return -PVK_XEN_EINVAL;
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	q = &dev->queues[tx->queue % dev->info.nr_queues];
	pvk_port_lock(&q->lock);
	if (!q->live || PVK_READ_ONCE(dev->gone)) {
		rc = -PVK_XEN_ENODEV;
		goto out;
	}
	if (!q->tx_free_count || PVK_RING_FULL(&q->tx)) {
		q->stats.tx_eagain++;
		tx_push_locked(q, &notify);
		rc = -PVK_XEN_EAGAIN;
		goto out;
	}
	id = q->tx_free[q->tx_free_head];
	s = &q->txs[id];
	page = q->tx_bounce[id];
	/* The whole page is zeroed: the backend sees this frame, nothing else. */
	__builtin_memset(page, 0, NETFRONT_PAGE);
	for (unsigned int i = 0; i < tx->nr_frags; i++) {
		__builtin_memcpy(page + off, tx->frags[i].buf, tx->frags[i].len);
		off += tx->frags[i].len;
	}
	rc = pvk_grant_access_page(dev->backend, page, true, &s->gref);
	if (rc)
		goto out;
	grants_add(dev, 1);
	q->stats.grants++;
	q->tx_free_head = (q->tx_free_head + 1) % NETFRONT_RING_ENTS;
	q->tx_free_count--;
	s->tx = tx;
	s->sent = true;
	rq = PVK_RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt);
	rq->gref = s->gref;
	rq->offset = 0;
	rq->flags = 0;
	rq->id = id;
	rq->size = (uint16_t)len;
	q->tx.req_prod_pvt++;
	q->tx_unpushed = true;
	q->stats.tx_packets++;
	q->stats.tx_bytes += len;
	if (!(tx->flags & PVK_NET_TX_MORE))
		tx_push_locked(q, &notify);
	rc = 0;
out:
	pvk_port_unlock(&q->lock);
	if (notify)
		pvk_evtchn_send(q->port_tx);
	return rc;
}

void pvk_netfront_kick(struct pvk_netfront *dev, unsigned int queue)
{
	struct netfront_queue *q = &dev->queues[queue % dev->info.nr_queues];
	bool notify = false;

	pvk_port_lock(&q->lock);
	if (q->live)
		tx_push_locked(q, &notify);
	pvk_port_unlock(&q->lock);
	if (notify)
		pvk_evtchn_send(q->port_tx);
}

static int tx_status(int16_t st)
{
	return st == PVK_NETIF_RSP_OKAY ? 0 : -PVK_XEN_EIO;
}

/* Consumes transmit responses, one completion at a time (done() runs
 * unlocked). True if there were any. */
static bool tx_process(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	bool found = false;

	for (;;) {
		struct pvk_netif_tx_response rsp;
		struct pvk_net_tx *done = NULL;
		const char *bad;
		int st = 0;
		uint32_t n;

		pvk_port_lock(&q->lock);
		if (PVK_READ_ONCE(dev->broken) || !q->live) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!PVK_RING_UNCONSUMED_RESPONSES(&q->tx, &n)) {
			netfront_break(dev, "produced more transmit responses than requests (rsp_prod, req_prod)",
				       PVK_READ_ONCE(q->tx.sring->rsp_prod), q->tx.req_prod_pvt);
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n && !PVK_RING_FINAL_CHECK_FOR_RESPONSES(&q->tx)) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n) {
			pvk_port_unlock(&q->lock);
			continue;
		}
		PVK_RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
		q->tx.rsp_cons++;
		found = true;
		bad = netfront_check_tx_response(q, &rsp);
		if (bad) {
			netfront_break(dev, bad, rsp.id, (unsigned long long)(int64_t)rsp.status);
			pvk_port_unlock(&q->lock);
			break;
		}
		if (rsp.status != PVK_NETIF_RSP_OKAY)
			q->stats.tx_errors++;
		tx_finish_locked(q, rsp.id, tx_status(rsp.status), &done, &st);
		pvk_port_unlock(&q->lock);
		if (done)
			done->done(done, st);
		pvk_port_wake(&dev->wait);
	}
	return found;
}

/* ---- receive ---- */

/* Grants buffer id to the backend and puts it on the rx ring. Locked. */
static int rx_post_locked(struct netfront_queue *q, uint16_t id)
{
	struct netfront_rx_buf *b = &q->rxb[id];
	struct pvk_netif_rx_request *rq;
	int rc;

	if (!b->page && !(b->page = pvk_port_alloc_page()))
		return -PVK_XEN_ENOMEM;
	rc = pvk_grant_access_page(q->dev->backend, b->page, false, &b->gref);
	if (rc)
		return rc;
	grants_add(q->dev, 1);
	q->stats.grants++;
	b->posted = true;
	rq = PVK_RING_GET_REQUEST(&q->rx, q->rx.req_prod_pvt);
	rq->id = id;
	rq->pad = 0;
	rq->gref = b->gref;
	q->rx.req_prod_pvt++;
	q->rx_posted++;
	return 0;
}

/* Pushes posted buffers; feature-rx-notify: the backend waits for our
 * event when it ran out of buffers. Locked. */
static void rx_push_locked(struct netfront_queue *q, bool *notify)
{
	if (PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx)) {
		q->stats.notify_sent++;
		*notify = true;
	}
}

static bool rx_process(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	bool found = false, notify = false;

	for (;;) {
		struct pvk_netif_rx_response rsp;
		struct netfront_rx_buf *b;
		struct pvk_net_rx frame = { 0 };
		struct pvk_net_frag piece;
		const char *bad;
		uint32_t n;

		pvk_port_lock(&q->lock);
		if (PVK_READ_ONCE(dev->broken) || !q->live) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!PVK_RING_UNCONSUMED_RESPONSES(&q->rx, &n)) {
			netfront_break(dev, "produced more receive responses than buffers posted (rsp_prod, req_prod)",
				       PVK_READ_ONCE(q->rx.sring->rsp_prod), q->rx.req_prod_pvt);
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n && !PVK_RING_FINAL_CHECK_FOR_RESPONSES(&q->rx)) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n) {
			pvk_port_unlock(&q->lock);
			continue;
		}
		PVK_RING_COPY_RESPONSE(&q->rx, q->rx.rsp_cons, &rsp);
		q->rx.rsp_cons++;
		found = true;
		bad = netfront_check_rx_response(q, &rsp);
		if (bad) {
			pvk_err("netfront: %s: bad receive response: id %u offset %u flags %#x status %d",
				dev->name, rsp.id, rsp.offset, rsp.flags, rsp.status);
			netfront_break(dev, bad, rsp.id, (unsigned long long)(int64_t)rsp.status);
			pvk_port_unlock(&q->lock);
			break;
		}
		b = &q->rxb[rsp.id];
		b->posted = false;
		q->rx_posted--;
		/* Read the page only once the backend can no longer write it. */
		if (!end_grant(dev, b->gref)) {
			b->kept = true;
			netfront_break(dev, "kept a receive page mapped after filling it (id, queue)",
				       rsp.id, q->index);
			pvk_port_unlock(&q->lock);
			break;
		}
		pvk_port_unlock(&q->lock);

		if (rsp.status < 0) {
			q->stats.rx_drop_error++;
		} else if (rsp.status == 0) {
			q->stats.rx_drop_empty++;
		} else {
			piece.buf = (const char *)b->page + rsp.offset;
			piece.len = (size_t)rsp.status;
			frame.frags = &piece;
			frame.nr_frags = 1;
			frame.len = piece.len;
			frame.csum = (rsp.flags & PVK_NETRXF_data_validated) ?
				PVK_NET_CSUM_VALID : PVK_NET_CSUM_NONE;
			frame.queue = q->index;
			q->stats.rx_packets++;
			q->stats.rx_bytes += frame.len;
			if (netfront_hooks && netfront_hooks->rx)
				netfront_hooks->rx(dev, &frame);
		}

		/* Recycle: the same page goes back to the backend. */
		pvk_port_lock(&q->lock);
		if (q->live && !PVK_READ_ONCE(dev->broken)) {
			if (rx_post_locked(q, rsp.id))
				q->stats.rx_drop_nobuf++;
			rx_push_locked(q, &notify);
		}
		pvk_port_unlock(&q->lock);
	}
	if (notify)
		pvk_evtchn_send(q->port_rx);
	return found;
}

static void queue_process(struct netfront_queue *q)
{
	tx_process(q);
	rx_process(q);
	if (PVK_READ_ONCE(q->dev->broken)) {
		netfront_queues_stop(q->dev, -PVK_XEN_EIO);
		netfront_set_link(q->dev, false);
	}
}

static bool queue_event(pvk_evtchn_port_t port, void *arg)
{
	struct netfront_queue *q = arg;

	(void)port;
	pvk_port_lock(&q->lock);
	q->stats.notify_recv++;
	pvk_port_unlock(&q->lock);
	queue_process(q);
	return true;
}

void pvk_netfront_poll(struct pvk_netfront *dev)
{
	for (unsigned int i = 0; dev->queues && i < dev->info.nr_queues; i++)
		queue_process(&dev->queues[i]);
}

/* ---- setup, start, stop, teardown ---- */

static int queue_setup(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	int rc;

	if (!(q->tx_page = pvk_port_alloc_page()) || !(q->rx_page = pvk_port_alloc_page()) ||
	    !(q->txs = pvk_port_alloc_page()) || !(q->rxb = pvk_port_alloc_page()) ||
	    !(q->tx_bounce = pvk_port_alloc_page()))
		return -PVK_XEN_ENOMEM;
	__builtin_memset(q->txs, 0, NETFRONT_PAGE);
	__builtin_memset(q->rxb, 0, NETFRONT_PAGE);
	__builtin_memset(q->tx_bounce, 0, NETFRONT_PAGE);
	for (unsigned int i = 0; i < NETFRONT_RING_ENTS; i++) {
		if (!(q->tx_bounce[i] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
		q->tx_free[i] = (uint16_t)i;
	}
	q->tx_free_head = 0;
	q->tx_free_count = NETFRONT_RING_ENTS;
	PVK_SHARED_RING_INIT((struct pvk_netif_tx_sring *)q->tx_page);
	PVK_FRONT_RING_INIT(&q->tx, (struct pvk_netif_tx_sring *)q->tx_page, NETFRONT_PAGE);
	PVK_SHARED_RING_INIT((struct pvk_netif_rx_sring *)q->rx_page);
	PVK_FRONT_RING_INIT(&q->rx, (struct pvk_netif_rx_sring *)q->rx_page, NETFRONT_PAGE);
	if (q->tx.nr_ents != NETFRONT_RING_ENTS || q->rx.nr_ents != NETFRONT_RING_ENTS)
		return -PVK_XEN_EINVAL;
	rc = pvk_grant_access_page(dev->backend, q->tx_page, false, &q->tx_ref);
	if (rc)
		return rc;
	q->tx_granted = true;
	grants_add(dev, 1);
	q->stats.grants++;
	rc = pvk_grant_access_page(dev->backend, q->rx_page, false, &q->rx_ref);
	if (rc)
		return rc;
	q->rx_granted = true;
	grants_add(dev, 1);
	q->stats.grants++;
	rc = pvk_evtchn_alloc_unbound(dev->backend, queue_event, q, &q->port_tx);
	if (rc)
		return rc;
	q->port_tx_bound = true;
	q->port_rx = q->port_tx;
	return 0;
}

int netfront_queues_setup(struct pvk_netfront *dev, unsigned int nr_queues,
			  bool split_evtchn)
{
	(void)split_evtchn;
	if (nr_queues != 1 || dev->queues)	/* one queue for now */
		return -PVK_XEN_EINVAL;
	dev->queues = pvk_port_malloc(nr_queues * sizeof(*dev->queues));
	if (!dev->queues)
		return -PVK_XEN_ENOMEM;
	__builtin_memset(dev->queues, 0, nr_queues * sizeof(*dev->queues));
	dev->info.nr_queues = nr_queues;
	dev->info.tx_depth = NETFRONT_RING_ENTS;
	dev->info.rx_buffers = netfront_opts.rx_buffers;
	for (unsigned int i = 0; i < nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];
		int rc;

		q->dev = dev;
		q->index = i;
		pvk_port_lock_init(&q->lock);
		rc = queue_setup(q);
		if (rc)
			return rc;
	}
	return 0;
}

int netfront_queues_start(struct pvk_netfront *dev)
{
	int rc = 0;

	for (unsigned int i = 0; i < dev->info.nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];
		bool notify = false;

		pvk_port_lock(&q->lock);
		q->live = true;
		for (unsigned int id = 0; !rc && id < dev->info.rx_buffers; id++)
			if (!q->rxb[id].posted && !q->rxb[id].kept)
				rc = rx_post_locked(q, (uint16_t)id);
		rx_push_locked(q, &notify);
		/* One event in any case: the backend looks at its rings only
		 * once told, whatever req_event says. */
		if (!notify)
			q->stats.notify_sent++;
		pvk_port_unlock(&q->lock);
		pvk_evtchn_send(q->port_rx);
	}
	return rc;
}

void netfront_queues_stop(struct pvk_netfront *dev, int status)
{
	for (unsigned int i = 0; dev->queues && i < dev->info.nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];

		for (unsigned int id = 0; id < NETFRONT_RING_ENTS; id++) {
			struct pvk_net_tx *tx;

			pvk_port_lock(&q->lock);
			q->live = false;
			tx = q->txs[id].sent ? q->txs[id].tx : NULL;
			/* The slot stays sent (its grant kept) until teardown:
			 * the backend may still read the page. */
			q->txs[id].tx = NULL;
			pvk_port_unlock(&q->lock);
			if (tx)
				tx->done(tx, status);
		}
	}
	pvk_port_wake(&dev->wait);
}

void netfront_queues_teardown(struct pvk_netfront *dev)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; dev->queues && i < dev->info.nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		q->live = false;
		if (q->port_tx_bound) {
			pvk_evtchn_close(q->port_tx);
			q->port_tx_bound = false;
		}
		for (unsigned int id = 0; q->txs && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_tx_slot *s = &q->txs[id];

			if (!s->sent)
				continue;
			if (end_grant(dev, s->gref)) {
				s->sent = false;
			} else {
				s->kept = true;
				kept++;
			}
		}
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_rx_buf *b = &q->rxb[id];

			if (!b->posted)
				continue;
			if (end_grant(dev, b->gref)) {
				b->posted = false;
				q->rx_posted--;
			} else {
				b->kept = true;
				kept++;
			}
		}
		if (q->tx_granted && end_grant(dev, q->tx_ref)) {
			q->tx_granted = false;
		}
		if (q->rx_granted && end_grant(dev, q->rx_ref)) {
			q->rx_granted = false;
		}
		kept += q->tx_granted + q->rx_granted;
		pvk_port_unlock(&q->lock);
	}
	if (kept)
		pvk_err("netfront: %s: the backend still maps %u pages after Closed: kept for good",
			dev->name, kept);
}

static bool tx_room(void *arg)
{
	struct netfront_queue *q = arg;

	return !q->live || PVK_READ_ONCE(q->dev->broken) ||
	       (PVK_READ_ONCE(q->tx_free_count) && !PVK_RING_FULL(&q->tx));
}

int pvk_netfront_wait_tx(struct pvk_netfront *dev, unsigned int queue,
			 uint64_t timeout_ns)
{
	struct netfront_queue *q = &dev->queues[queue % dev->info.nr_queues];
	int rc = pvk_port_wait_until(&dev->wait, tx_room, q, timeout_ns);

	if (rc)
		return rc;
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	return q->live ? 0 : -PVK_XEN_ENODEV;
}

void pvk_netfront_get_stats(const struct pvk_netfront *dev,
			    struct pvk_netfront_stats *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; dev->queues && i < dev->info.nr_queues; i++) {
		const uint64_t *src = (const uint64_t *)&dev->queues[i].stats;
		uint64_t *dst = (uint64_t *)out;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}

int pvk_netfront_get_queue_stats(const struct pvk_netfront *dev,
				 unsigned int queue,
				 struct pvk_netfront_stats *out)
{
	if (!dev->queues || queue >= dev->info.nr_queues)
		return -PVK_XEN_EINVAL;
	*out = dev->queues[queue].stats;
	return 0;
}

/* Written by the xenbus side (c11-xenbus) for release and reconnect: only
 * after a teardown that ended every grant (nothing of these pages is
 * still the backend's). */
void netfront_queues_free(struct pvk_netfront *dev)
{
	for (unsigned int i = 0; dev->queues && i < dev->info.nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];

		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++)
			if (q->rxb[id].page)
				pvk_port_free_page(q->rxb[id].page);
		for (unsigned int id = 0; q->tx_bounce && id < NETFRONT_RING_ENTS; id++)
			if (q->tx_bounce[id])
				pvk_port_free_page(q->tx_bounce[id]);
		if (q->tx_bounce)
			pvk_port_free_page(q->tx_bounce);
		if (q->rxb)
			pvk_port_free_page(q->rxb);
		if (q->txs)
			pvk_port_free_page(q->txs);
		if (q->rx_page)
			pvk_port_free_page(q->rx_page);
		if (q->tx_page)
			pvk_port_free_page(q->tx_page);
	}
	if (dev->queues)
		pvk_port_free(dev->queues);
	dev->queues = NULL;
}
