/*
 * frontends/netfront/netfront_queue.c - a vif's queues (up to
 * NETFRONT_MAX_QUEUES, each with its own lock, rings, slots, buffers,
 * counters and event channels): their setup (one event channel per
 * queue, or one for tx and one for rx when split), start, stop and
 * teardown (which leaves the device ready to be set up again for a
 * reconnect), the event handlers and polling, the link state, marking
 * the device broken, and the counters.
 *
 * A grant is ended before its page is read or reused; a page the backend
 * still uses is kept out of use for good, across reconnects too.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

PVK_BUILD_BUG_ON(sizeof(struct netfront_tx_slot) * NETFRONT_RING_ENTS > NETFRONT_PAGE);
PVK_BUILD_BUG_ON(sizeof(struct netfront_rx_buf) * NETFRONT_RING_ENTS > NETFRONT_PAGE);
PVK_BUILD_BUG_ON(sizeof(void *) * NETFRONT_RING_ENTS > NETFRONT_PAGE);
PVK_BUILD_BUG_ON(sizeof(uint16_t) * NETFRONT_RING_ENTS > NETFRONT_PAGE);

/* Set by pvk_netfront_init(); rx is called from netfront_rx.c. */
const struct pvk_netfront_hooks *netfront_hooks;

void netfront_grants_add(struct pvk_netfront *dev, int n)
{
	__atomic_fetch_add(&dev->grants_live, (unsigned int)n, __ATOMIC_RELAXED);
}

bool netfront_end_grant(struct pvk_netfront *dev, pvk_grant_ref_t ref)
{
	if (pvk_grant_end_access(ref))
		return false;
	netfront_grants_add(dev, -1);
	return true;
}

/* Runs from event and xenstore-watch context at once: the state changes
 * under dev->lock, where a broken or gone device cannot come up; the hook
 * runs unlocked and is told until what it heard last is the state. One
 * teller at a time (a call nested in the hook, e.g. an upcall breaking
 * the device, only changes the state): the hook's calls never overlap,
 * and the last one it gets is the state. */
static void tell_link_locked(struct pvk_netfront *dev);

void netfront_set_link(struct pvk_netfront *dev, bool up)
{
	pvk_port_lock(&dev->lock);
	if (up && (PVK_READ_ONCE(dev->broken) || PVK_READ_ONCE(dev->gone)))
		up = false;
	if (dev->info.link_up != up) {
		dev->info.link_up = up;
		pvk_info("netfront: %s: link %s", dev->name, up ? "up" : "down");
	}
	tell_link_locked(dev);
}

/* The hook hears link_up as it is now, whoever set it (a give-up that set
 * it down under the lock must not overwrite a later up). */
void netfront_tell_link(struct pvk_netfront *dev)
{
	pvk_port_lock(&dev->lock);
	tell_link_locked(dev);
}

/* dev->lock held; released here. */
static void tell_link_locked(struct pvk_netfront *dev)
{
	if (dev->link_telling) {
		pvk_port_unlock(&dev->lock);
		pvk_port_wake(&dev->wait);
		return;		/* the running teller tells this too */
	}
	dev->link_telling = true;
	for (;;) {
		bool now = dev->info.link_up;

		if (dev->link_told == now)
			break;
		dev->link_told = now;
		pvk_port_unlock(&dev->lock);
		if (netfront_hooks && netfront_hooks->link)
			netfront_hooks->link(dev, now);
		pvk_port_lock(&dev->lock);
	}
	dev->link_telling = false;
	pvk_port_unlock(&dev->lock);
	pvk_port_wake(&dev->wait);
}

void netfront_break(struct pvk_netfront *dev, const char *why,
		    long long v1, long long v2)
{
	if (__atomic_exchange_n(&dev->broken, true, __ATOMIC_SEQ_CST))
		return;
	pvk_err("netfront: %s: backend %s (%lld, %lld): device disabled, link down",
		dev->name, why, v1, v2);
}

/* ---- events ---- */

void netfront_broken_stop(struct pvk_netfront *dev)
{
	if (PVK_READ_ONCE(dev->broken) &&
	    !__atomic_exchange_n(&dev->broken_stopped, true, __ATOMIC_SEQ_CST)) {
		netfront_queues_stop(dev, -PVK_XEN_EIO);
		netfront_set_link(dev, false);
	}
}

/* Whether a response was there: the event loop's flood hold-off counts
 * events that found nothing. */
static bool queue_process(struct netfront_queue *q, bool tx, bool rx)
{
	bool found = false;

	if (tx)
		found |= netfront_tx_process(q);
	if (rx)
		found |= netfront_rx_kick(q);
	netfront_broken_stop(q->dev);
	return found;
}

static void count_event(struct netfront_queue *q)
{
	pvk_port_lock(&q->lock);
	q->stats.notify_recv++;
	pvk_port_unlock(&q->lock);
}

/* One event channel for both rings. */
static bool queue_event(pvk_evtchn_port_t port, void *arg)
{
	(void)port;
	count_event(arg);
	return queue_process(arg, true, true);
}

void netfront_queue_catch_up(struct netfront_queue *q)
{
	bool tx, rx, notify = false;

	pvk_port_lock(&q->lock);
	tx = q->tx_due && !q->tx_running;
	rx = q->rx_due && !q->rx_running;
	/* A refill that failed is otherwise retried only when a receive
	 * event comes, and netback, short of buffers, waits for our
	 * notify: retry it here and tell the backend. */
	if (!rx && q->rx_refill_due && !q->rx_running && q->live &&
	    !PVK_READ_ONCE(q->dev->broken)) {
		netfront_rx_refill_locked(q);
		netfront_rx_push_locked(q, &notify);
	}
	if (notify)
		pvk_evtchn_send(q->port_rx);	/* live: this domain's port */
	pvk_port_unlock(&q->lock);
	if (tx)
		netfront_tx_process(q);
	if (rx)
		netfront_rx_kick(q);
	netfront_broken_stop(q->dev);
}

/* Split event channels: each ring its own. */
static bool queue_event_tx(pvk_evtchn_port_t port, void *arg)
{
	bool found;

	(void)port;
	count_event(arg);
	found = queue_process(arg, true, false);
	netfront_queue_catch_up(arg);	/* the rx ring's refill too */
	return found;
}

static bool queue_event_rx(pvk_evtchn_port_t port, void *arg)
{
	(void)port;
	count_event(arg);
	return queue_process(arg, false, true);
}

void pvk_netfront_poll(struct pvk_netfront *dev)
{
	unsigned int nq = PVK_READ_ONCE(dev->info.nr_queues);

	for (unsigned int i = 0; PVK_READ_ONCE(dev->queues) && i < nq; i++)
		queue_process(&dev->queues[i], true, true);
}

/* ---- setup, start, stop, teardown ---- */

/* A zeroed page for p, unless it has one. */
static int page_for(void **p)
{
	if (!*p && !(*p = pvk_port_alloc_page()))
		return -PVK_XEN_ENOMEM;
	return 0;
}

static int queue_setup(struct netfront_queue *q, bool split)
{
	struct pvk_netfront *dev = q->dev;
	int rc;

	/* Our own bookkeeping pages: the backend never sees them, so they
	 * stay from one connection to the next. */
	if ((rc = page_for((void **)&q->txs)) || (rc = page_for((void **)&q->rxb)) ||
	    (rc = page_for((void **)&q->tx_bounce)) || (rc = page_for((void **)&q->rx_ring_id)))
		return rc;
	/* Ring pages: new ones when the backend kept the old ones mapped. */
	if ((rc = page_for(&q->tx_page)) || (rc = page_for(&q->rx_page)))
		return rc;
	__builtin_memset(q->tx_page, 0, NETFRONT_PAGE);
	__builtin_memset(q->rx_page, 0, NETFRONT_PAGE);
	q->tx_free_head = 0;
	q->tx_free_count = 0;
	for (unsigned int i = 0; i < NETFRONT_RING_ENTS; i++) {
		struct netfront_tx_slot *s = &q->txs[i];

		if (s->kept || s->replay)
			continue;	/* the backend may still read it; or a
					 * frame to send again holds it */
		s->tx = NULL;
		s->granted = false;
		s->sent = false;
		s->left = 0;
		q->tx_free[q->tx_free_count++] = (uint16_t)i;
	}
	/* Held buffers are a chain's, or, while an rx hook runs (a
	 * reconnect from inside it, or beside it), the frame it reads: those
	 * stay out of the refill until the pass that owns them ends, and it
	 * (rx_running, rx_again: its own) posts them again. */
	pvk_port_lock(&q->lock);
	for (unsigned int i = 0; !q->rx_running && i < NETFRONT_RING_ENTS; i++)
		q->rxb[i].held = false;
	__builtin_memset(&q->chain, 0, sizeof(q->chain));
	pvk_port_unlock(&q->lock);
	q->tx_nulls_due = 0;
	q->tx_unpushed = false;
	q->tx_pushed = 0;
	q->rx_pushed = 0;
	q->tx_due = q->rx_due = false;
	q->rx_refill_due = false;
	q->rx_posted = 0;
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
	netfront_grants_add(dev, 1);
	q->stats.grants++;
	rc = pvk_grant_access_page(dev->backend, q->rx_page, false, &q->rx_ref);
	if (rc)
		return rc;
	q->rx_granted = true;
	netfront_grants_add(dev, 1);
	q->stats.grants++;
	rc = pvk_evtchn_alloc_unbound(dev->backend, split ? queue_event_tx : queue_event,
				      q, &q->port_tx);
	if (rc)
		return rc;
	q->port_tx_bound = true;
	q->port_rx = q->port_tx;
	if (split) {
		rc = pvk_evtchn_alloc_unbound(dev->backend, queue_event_rx, q, &q->port_rx);
		if (rc)
			return rc;
		q->port_rx_bound = true;
	}
	return 0;
}

int netfront_queues_setup(struct pvk_netfront *dev, unsigned int nr_queues,
			  bool split_evtchn)
{
	if (nr_queues < 1 || nr_queues > NETFRONT_MAX_QUEUES)
		return -PVK_XEN_EINVAL;
	/* Room for the most queues at once: a reconnect may ask for more,
	 * and what the backend kept of a queue stays with it. */
	if (!dev->queues) {
		size_t sz = NETFRONT_MAX_QUEUES * sizeof(*dev->queues);

		dev->queues = pvk_port_malloc(sz);
		if (!dev->queues)
			return -PVK_XEN_ENOMEM;
		__builtin_memset(dev->queues, 0, sz);
		for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++) {
			dev->queues[i].dev = dev;
			dev->queues[i].index = i;
			pvk_port_lock_init(&dev->queues[i].lock);
		}
	}
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++)
		if (dev->queues[i].live || dev->queues[i].port_tx_bound ||
		    dev->queues[i].port_rx_bound ||
		    dev->queues[i].tx_granted || dev->queues[i].rx_granted)
			return -PVK_XEN_EBUSY;	/* not torn down */
	dev->info.nr_queues = nr_queues;
	dev->info.split_evtchn = split_evtchn;
	dev->info.tx_depth = NETFRONT_RING_ENTS;
	dev->info.rx_buffers = netfront_opts.rx_buffers;
	for (unsigned int i = 0; i < nr_queues; i++) {
		int rc = queue_setup(&dev->queues[i], split_evtchn);

		if (rc)
			return rc;	/* teardown undoes what was done */
	}
	return 0;
}

int netfront_queues_start(struct pvk_netfront *dev)
{
	int rc = 0;

	dev->info.max_frame = dev->info.sg ? NETFRONT_MAX_FRAME_SG : NETFRONT_MAX_FRAME;
	/* netback holds a frame until ceil(len / 4096) + 1 buffers are posted
	 * at once: with sg, fewer than that for 64 KiB stall it for good. */
	if (dev->rxf.sg && dev->info.rx_buffers < NETFRONT_MIN_RX_BUFFERS_SG) {
		pvk_warn("netfront: %s: rx_buffers=%u too few for sg frames: %u posted",
			 dev->name, dev->info.rx_buffers, NETFRONT_MIN_RX_BUFFERS_SG);
		dev->info.rx_buffers = NETFRONT_MIN_RX_BUFFERS_SG;
	}
	for (unsigned int i = 0; i < dev->info.nr_queues; i++) {
		struct netfront_queue *q = &dev->queues[i];
		bool notify = false;

		pvk_port_lock(&q->lock);
		q->live = true;
		/* What cannot be posted now is retried on each event. */
		netfront_rx_refill_locked(q);
		if (!q->rx_posted)
			rc = -PVK_XEN_ENOMEM;
		netfront_rx_push_locked(q, &notify);
		/* One event in any case: the backend looks at its rings only
		 * once told, whatever req_event says. */
		if (!notify)
			q->stats.notify_sent++;
		pvk_evtchn_send(q->port_rx);
		pvk_port_unlock(&q->lock);
	}
	return rc;
}

void netfront_queues_stop(struct pvk_netfront *dev, int status)
{
	/* Every queue: one not in use now may hold frames of an earlier
	 * connection with more queues (they are failed at most once). */
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		for (unsigned int id = 0; id < NETFRONT_RING_ENTS; id++) {
			struct pvk_net_tx *tx;

			pvk_port_lock(&q->lock);
			q->live = false;
			/* Every frame not completed, whatever of it was
			 * answered (only a head holds tx, until done()). */
			tx = q->txs ? q->txs[id].tx : NULL;
			/* The slots stay granted until teardown: the backend
			 * may still read the pages. */
			if (q->txs)
				q->txs[id].tx = NULL;
			pvk_port_unlock(&q->lock);
			if (tx)
				tx->done(tx, status);
		}
	}
	pvk_port_wake(&dev->wait);
}

/* Ends the grant of a ring page; one the backend keeps is put on the
 * queue's kept_rings list, to be tried again at release, however many
 * connections kept theirs (the next setup takes a new page). True if
 * kept. Locked. */
static bool ring_page_end(struct netfront_queue *q, bool *granted, pvk_grant_ref_t ref,
			  void **page)
{
	struct netfront_kept_ring *k;

	if (!*granted)
		return false;
	*granted = false;
	if (netfront_end_grant(q->dev, ref))
		return false;
	k = pvk_port_malloc(sizeof(*k));
	if (k) {
		k->page = *page;
		k->ref = ref;
		k->next = q->kept_rings;
		q->kept_rings = k;
	} else {
		/* Still counted in grants_live: the device is never
		 * released, and the page never freed. */
		pvk_err("netfront: %s: no memory to track kept ring page (ref %u): it stays granted for good",
			q->dev->name, ref);
	}
	*page = NULL;
	return true;
}

void netfront_queues_retry_kept(struct pvk_netfront *dev)
{
	unsigned int ended = 0;

	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];
		struct netfront_kept_ring **pp = &q->kept_rings, *k;

		pvk_port_lock(&q->lock);
		while ((k = *pp)) {
			if (!netfront_end_grant(dev, k->ref)) {
				pp = &k->next;
				continue;
			}
			*pp = k->next;
			pvk_port_free_page(k->page);
			pvk_port_free(k);
			ended++;
		}
		for (unsigned int id = 0; q->txs && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_tx_slot *s = &q->txs[id];

			if (s->kept && s->granted && netfront_end_grant(dev, s->gref)) {
				s->granted = false;
				s->kept = false;
				ended++;
			}
		}
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_rx_buf *b = &q->rxb[id];

			if (b->kept && netfront_end_grant(dev, b->gref)) {
				b->kept = false;
				ended++;
			}
		}
		pvk_port_unlock(&q->lock);
	}
	if (ended)
		pvk_info("netfront: %s: the backend let go of %u kept page(s): grants ended",
			 dev->name, ended);
}

/* A port whose close failed: its handler may still run on q. */
bool netfront_ports_bound(const struct pvk_netfront *dev)
{
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++)
		if (dev->queues[i].port_tx_bound || dev->queues[i].port_rx_bound)
			return true;
	return false;
}

static int netfront_close_port(struct pvk_netfront *dev, pvk_evtchn_port_t port)
{
	int rc = pvk_evtchn_close(port);

	if (rc)
		pvk_err("netfront: %s: event channel %u not closed (%d): the device is kept, never released",
			dev->name, port, rc);
	return rc;
}

void netfront_queues_teardown(struct pvk_netfront *dev)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		q->live = false;
		pvk_port_unlock(&q->lock);
		/* Closed outside the queue lock: pvk_evtchn_close() waits for
		 * a handler of the port running on another CPU, and that
		 * handler takes the lock (it finds the queue not live and
		 * returns). A port whose close failed stays marked bound, so
		 * the device is never released under a handler that may
		 * still run (netfront_queues_setup() and release refuse). */
		if (q->port_rx_bound && netfront_close_port(dev, q->port_rx) == 0)
			q->port_rx_bound = false;
		if (q->port_tx_bound && netfront_close_port(dev, q->port_tx) == 0)
			q->port_tx_bound = false;
		pvk_port_lock(&q->lock);
		for (unsigned int id = 0; q->txs && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_tx_slot *s = &q->txs[id];

			s->sent = false;
			s->tx = NULL;
			/* Kept ones are tried again: a backend now Closed
			 * may have let go at last. */
			if (!s->granted)
				continue;
			if (!netfront_end_grant(dev, s->gref)) {
				s->kept = true;
				kept++;
				continue;
			}
			s->granted = false;
			s->kept = false;
		}
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++) {
			struct netfront_rx_buf *b = &q->rxb[id];

			if (!q->rx_running)
				b->held = false;	/* else the hook's (see queue_setup) */
			if (b->kept) {
				/* Its grant is live: tried again. */
				if (netfront_end_grant(dev, b->gref))
					b->kept = false;
				else
					kept++;
				continue;
			}
			if (!b->posted)
				continue;
			b->posted = false;
			q->rx_posted--;
			if (!netfront_end_grant(dev, b->gref)) {
				b->kept = true;
				kept++;
			}
		}
		__builtin_memset(&q->chain, 0, sizeof(q->chain));
		q->tx_nulls_due = 0;
		q->tx_unpushed = false;
		kept += ring_page_end(q, &q->tx_granted, q->tx_ref, &q->tx_page);
		kept += ring_page_end(q, &q->rx_granted, q->rx_ref, &q->rx_page);
		pvk_port_unlock(&q->lock);
	}
	if (kept)
		pvk_err("netfront: %s: the backend still maps %u pages after Closed: kept until it lets go",
			dev->name, kept);
}

void netfront_queues_free(struct pvk_netfront *dev)
{
	if (!dev->queues)
		return;
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		/* Only the records: a page still on the list is granted (the
		 * release refuses then; a caller that frees anyway leaves the
		 * backend's page alone). */
		for (struct netfront_kept_ring *k = q->kept_rings, *n; k; k = n) {
			n = k->next;
			pvk_port_free(k);
		}
		q->kept_rings = NULL;
		for (unsigned int id = 0; q->tx_bounce && id < NETFRONT_RING_ENTS; id++)
			if (q->tx_bounce[id] && !(q->txs && q->txs[id].kept))
				pvk_port_free_page(q->tx_bounce[id]);
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++)
			if (q->rxb[id].page && !q->rxb[id].kept)
				pvk_port_free_page(q->rxb[id].page);
		if (q->tx_page)
			pvk_port_free_page(q->tx_page);
		if (q->rx_page)
			pvk_port_free_page(q->rx_page);
		if (q->txs)
			pvk_port_free_page(q->txs);
		if (q->rxb)
			pvk_port_free_page(q->rxb);
		if (q->tx_bounce)
			pvk_port_free_page(q->tx_bounce);
		if (q->rx_ring_id)
			pvk_port_free_page(q->rx_ring_id);
	}
	pvk_port_free(dev->queues);
	dev->queues = NULL;
	dev->info.nr_queues = 0;
}

/* ---- waiting, counters ---- */

/* Room for the largest frame the queue may be given (info.max_frame):
 * a host that waits and then sends any frame never waits in a loop. */
static bool tx_space(struct netfront_queue *q)
{
	const struct pvk_netfront_info *info = &q->dev->info;
	unsigned int slots = netfront_tx_slots(info->max_frame);
	unsigned int ring = slots + (info->gso_tcpv4 || info->gso_tcpv6);

	/* Suspended: no room until the device takes frames again. */
	if (PVK_READ_ONCE(q->dev->suspended) && !PVK_READ_ONCE(q->dev->broken) &&
	    !PVK_READ_ONCE(q->dev->gone))
		return false;
	return !q->live || PVK_READ_ONCE(q->dev->broken) ||
	       (PVK_READ_ONCE(q->tx_free_count) >= slots &&
		PVK_RING_FREE_REQUESTS(&q->tx) >= ring);
}

/* Room, or responses a budget left (which only we will take). */
static bool tx_room(void *arg)
{
	struct netfront_queue *q = arg;

	return tx_space(q) || PVK_READ_ONCE(q->tx_due);
}

int pvk_netfront_wait_tx(struct pvk_netfront *dev, unsigned int queue,
			 uint64_t timeout_ns)
{
	unsigned int nq = PVK_READ_ONCE(dev->info.nr_queues);
	struct netfront_queue *q;
	uint64_t end;
	int rc;

	if (!PVK_READ_ONCE(dev->queues) || !nq)
		return -PVK_XEN_ENODEV;
	netfront_resume_check_deadline(dev);
	q = &dev->queues[queue % nq];
	/* Responses a budget left (tx_due) get no event: taken here, and
	 * again if the wait ends for them, until the deadline. */
	end = pvk_time_now_ns() + timeout_ns;
	for (;;) {
		uint64_t now;

		netfront_queue_catch_up(q);
		now = pvk_time_now_ns();
		rc = pvk_port_wait_until(&dev->wait, tx_room, q,
					 (int64_t)(end - now) > 0 ? end - now : 0);
		if (rc)
			return rc;
		pvk_port_lock(&q->lock);
		rc = q->tx_due && !q->tx_running && !tx_space(q);
		pvk_port_unlock(&q->lock);
		if (!rc)
			break;
		if ((int64_t)(pvk_time_now_ns() - end) >= 0)
			return -PVK_XEN_ETIMEDOUT;
	}
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	return q->live ? 0 : -PVK_XEN_ENODEV;
}

void pvk_netfront_get_stats(const struct pvk_netfront *dev,
			    struct pvk_netfront_stats *out)
{
	unsigned int nq = PVK_READ_ONCE(dev->info.nr_queues);

	__builtin_memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; PVK_READ_ONCE(dev->queues) && i < nq; i++) {
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
