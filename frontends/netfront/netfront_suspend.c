/*
 * frontends/netfront/netfront_suspend.c - netfront across `xl save` /
 * `xl restore` / `xl save -c`: its suspend part (pvkit/suspend.h), the
 * reconnect to the new backend, the resend of what the old one had not
 * answered, and the gratuitous ARP that tells bridges where we are now.
 *
 * quiesce: every device is marked suspended; from then on the host's
 * transmits are refused with -EAGAIN (its frame stays its own; it waits
 * with pvk_netfront_wait_tx() or tries again), nothing already queued is
 * failed or dropped. Each live queue is taken out of service (frozen:
 * live false under its lock), so no kick, poll, wait_tx or catch-up reads
 * a ring or notifies a port until the resume: in a new domain the old
 * port numbers may by then be someone else's (the event table was reset
 * and the watch worker runs xenstore round-trips before our resume).
 *
 * resume, new domain. The old domain's event channels and grants are
 * gone with it, and so is its backend. First, for every device (no
 * watch callback runs before this: pvk_suspend() holds the xenbus worker
 * role for the whole sequence, so an event of the old backend's watch
 * comes after and finds nothing to act on): its ports are forgotten without a close
 * (the kit's event table was reset: closing a number now could close
 * someone else's new port), its grant refs given back to the kit's
 * allocator without waiting for the old backend (the new grant table is
 * empty: ending an entry there frees the ref at once), every page the old
 * backend held (receive buffers, kept pages, kept ring pages) is ours
 * again (frames received in them are dropped), the answers the old
 * backend wrote in the saved tx ring (our page, granted to nobody now)
 * are taken like any answer (read once, checked, the frame completed),
 * and each frame still not answered is put on its queue's replay list,
 * oldest first, its slots and their bounce pages (which hold its bytes:
 * the host's buffers were free once xmit returned) kept out of use. The
 * link is taken down silently (the host hears nothing of a reconnect that
 * succeeds). Then each device is moved to the new backend
 * (pvk_xenbus_device_resume) and left to the state machine: no wait here,
 * this runs on the watch worker that delivers the callbacks. When the new
 * backend is Connected and the receive buffers are posted
 * (netfront_resume_connected): each replay list is written again in
 * place (same slots, pages granted afresh, checked against the new
 * backend's features) when its queue still exists, so a full ring of
 * unanswered frames loses none; a frame of a queue that is gone is
 * copied through the ordinary transmit path to queue tx->queue modulo
 * the new count, waiting (bounded) for room. A frame the new backend
 * cannot take (a feature gone) completes with the refusal. Then the
 * gratuitous ARP is queued, and transmits are taken again.
 *
 * Which frames: those whose done() has not run once the saved ring's
 * answers are taken. A frame answered (its answer written before the
 * save) is never sent again. One the old backend took but whose answer
 * was not written before the save is sent again: the network sees it
 * twice, as it may for any frame (counted in resent).
 *
 * Bounded: a reconnect not done PVK_NETFRONT_RESUME_TIMEOUT_NS after the
 * resume is given up on: the kept frames complete with -ENODEV, the link
 * hook hears down, it is logged; the reconnect itself goes on and brings
 * the link up if it ends. The deadline fires by itself (a guest that
 * sends nothing must hear it too): it is put on the kit's slow one-shot
 * (pvk_time_kit_deadline_set), whose fn, in upcall context, only
 * schedules a work; that work takes the watch worker role, the one the
 * reconnect runs in (netfront_resume_connected() is called from the
 * backend's state watch), and gives up each device still due. The work
 * takes the role only when nobody holds it, this CPU included (it may
 * run inside the wait of a pvk_suspend() or a host's release: it must not
 * act in the middle of that change); refused, it puts its next try on
 * the same timer, 1 ms to 1 s ahead (logged once after 5 s), never a spin.
 * Once a resume's deadline is on the timer (deadline_timer, until that
 * resume ends: Connected's end or an abandon), the give-up is the work's
 * alone: the host's xmit or wait_tx past it only kick the work, even
 * after Connected has disarmed it (deadline_on) and is still resending.
 * And the two ends of a resume exclude each other: the give-up and
 * Connected's completion each decide under dev->lock (resume_gave_up,
 * resume_connected); the one that comes second does nothing of its own
 * (a Connected that lost resends nothing, only frees the slots of the
 * failed frames). The give-up's link-down is made under that lock and
 * the hook is told link_up as it is then, so a later up is never
 * overwritten. The work marks the device in use around the give-up (the
 * host's hooks may remove and release it: not freed under the loop). A
 * removal disarms too. One kit deadline serves every device (they resume
 * together): a firing re-arms for the earliest left. Without the timer
 * (not attached: the host made no pvk_time_timer_init()) the host's next
 * xmit or wait_tx gives up, still exclusive with Connected.
 *
 * The address to announce: the kit has none; the host gives it
 * (pvk_netfront_set_announce_ipv4). Without one nothing is announced.
 *
 * resume, cancelled: the same backend with the same rings; the frozen
 * queues are live again, frames queued meanwhile pushed, both rings
 * looked at, transmits taken again. A device still reconnecting after an
 * earlier resume stays suspended: its reconnect goes on and ends it (the
 * host must not overtake the frames it will resend).
 *
 * Under ports/linux nothing is registered (Linux's xenbus runs its own
 * resume of devices, which the glue does not forward yet): the part is
 * compiled out.
 */
#include <pvkit/log.h>
#include <pvkit/pvops.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

void pvk_netfront_get_resume_stats(const struct pvk_netfront *dev,
				   struct pvk_netfront_resume_stats *out)
{
	*out = dev->rs;
	/* xenbus's count of the last reconnect (it ends with the callback
	 * that brought the link up). */
	{
		struct pvk_xenbus_device *xdev = PVK_READ_ONCE(dev->xdev);

		if (xdev)
			out->last_xs_requests = PVK_READ_ONCE(xdev->resume_xs_requests);
	}
}

void pvk_netfront_set_announce_ipv4(struct pvk_netfront *dev, const uint8_t *ip)
{
	pvk_port_lock(&dev->lock);
	dev->announce = ip != NULL;
	if (ip)
		__builtin_memcpy(dev->announce_ip, ip, 4);
	pvk_port_unlock(&dev->lock);
}

/* The frames kept for a resend complete with status (thread context, no
 * lock held). Each exactly once: its tx is taken out under the lock. */
static unsigned int fail_replays(struct pvk_netfront *dev, int status)
{
	unsigned int failed = 0;

	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		for (unsigned int r = 0;; r++) {
			struct pvk_net_tx *tx = NULL;

			pvk_port_lock(&q->lock);
			if (r >= q->replay_n) {
				q->replay_n = 0;
				pvk_port_unlock(&q->lock);
				break;
			}
			tx = q->txs[q->replay[r]].tx;
			q->txs[q->replay[r]].tx = NULL;
			/* Its slots stay out of use (a resend under way
			 * may still read their pages): the next setup
			 * frees them (netfront_queue.c). */
			pvk_port_unlock(&q->lock);
			if (tx) {
				failed++;
				tx->done(tx, status);
			}
		}
	}
	return failed;
}

static void deadline_cancel(struct pvk_netfront *dev);

/* The kept frames complete with status; the device takes transmits
 * again (its link and queues answer for themselves); its deadline is not
 * wanted any more. */
void netfront_resume_abandon(struct pvk_netfront *dev, int status)
{
	bool was = dev->suspended || dev->resuming;

	fail_replays(dev, status);
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		for (unsigned int id = 0; q->txs && id < NETFRONT_RING_ENTS; id++)
			q->txs[id].replay = false;
		q->frozen = false;
		pvk_port_unlock(&q->lock);
	}
	deadline_cancel(dev);
	dev->resuming = false;
	PVK_WRITE_ONCE(dev->suspended, false);
	PVK_WRITE_ONCE(dev->deadline_timer, false);	/* this resume is over */
	if (was)
		pvk_port_wake(&dev->wait);
}

/* ---- the deadline ---- */

static unsigned int deadlines_on;	/* devices with deadline_on (role) */

#ifdef PVK_HOST_LINUX
/* No resume there (see the top): nothing is ever armed. */
static void deadline_kick(void)
{
}

static int deadline_set(uint64_t at)
{
	(void)at;
	return -PVK_XEN_ENODEV;
}

static void deadline_stop(void)
{
}
#else
static struct pvk_work deadline_work = { .fn = netfront_deadline_work };

static void deadline_kick(void)
{
	pvk_port_schedule_work(&deadline_work);
}

/* Arms the kit's slow one-shot for at (pvk_time_now_ns() time; the timer
 * counts in pvk_clock_ns(), so what is left is carried over). */
static int deadline_set(uint64_t at)
{
	uint64_t now = pvk_time_now_ns();
	uint64_t left = (int64_t)(at - now) > 0 ? at - now : 0;

	return pvk_time_kit_deadline_set(pvk_clock_ns() + left, netfront_deadline_fired, NULL);
}

static void deadline_stop(void)
{
	pvk_time_kit_deadline_stop();
}
#endif

static bool deadline_due(const struct pvk_netfront *dev, uint64_t now)
{
	return PVK_READ_ONCE(dev->resuming) && PVK_READ_ONCE(dev->suspended) &&
	       (int64_t)(now - (dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS)) >= 0;
}

#ifndef PVK_HOST_LINUX	/* only a resume arms it */
/* dev's deadline goes to the timer (forget, before the reconnect). */
static void deadline_arm(struct pvk_netfront *dev)
{
	if (dev->deadline_on) {
		/* A second resume's arm replaces it: counted cancelled, so
		 * armed == cancelled + gave_up once no resume is under way. */
		deadlines_on--;
		dev->rs.deadline_cancelled++;
	}
	PVK_WRITE_ONCE(dev->deadline_on, false);
	PVK_WRITE_ONCE(dev->deadline_timer, false);
	if (deadline_set(dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS))
		return;		/* no timer: the host's calls give up */
	PVK_WRITE_ONCE(dev->deadline_on, true);
	/* Until this resume ends (Connected's end, or abandon), even once
	 * deadline_on is cleared: a host's call past the deadline then only
	 * kicks the work, never gives up beside the reconnect. */
	PVK_WRITE_ONCE(dev->deadline_timer, true);
	deadlines_on++;
	dev->rs.deadline_armed++;
}
#endif

/* dev's deadline is not wanted any more (the reconnect reached Connected,
 * or the device goes): the timer's work passes it over. Role. */
static void deadline_cancel(struct pvk_netfront *dev)
{
	if (!dev->deadline_on)
		return;
	PVK_WRITE_ONCE(dev->deadline_on, false);
	dev->rs.deadline_cancelled++;
	/* The last one: the timer stops on this CPU only; the arm was
	 * usually made on another (pvk_suspend()'s, CPU 0), whose firing
	 * then schedules a work that finds nothing to do. */
	if (!--deadlines_on)
		deadline_stop();
}

/* A reconnect after a resume still not done at its deadline: the host
 * is not left with -EAGAIN and a link it believes up. Once. */
static void give_up(struct pvk_netfront *dev)
{
	unsigned int failed;
	bool won;

	/* One decides (see resume_connected): the link goes down under the
	 * same lock, so a Connected that loses brings it up after, and the
	 * hook is told what link_up is then, never a stale down. */
	pvk_port_lock(&dev->lock);
	won = !dev->resume_gave_up && !dev->resume_connected;
	if (won) {
		dev->resume_gave_up = true;
		dev->info.link_up = false;
	}
	pvk_port_unlock(&dev->lock);
	if (!won)
		return;
	failed = fail_replays(dev, -PVK_XEN_ENODEV);
	dev->rs.gave_up++;
	dev->rs.resend_failed += failed;
	PVK_WRITE_ONCE(dev->suspended, false);
	pvk_err("netfront: %s: not reconnected %llu s after the resume: link down, %u kept frame(s) failed; the reconnect goes on",
		dev->name, (unsigned long long)(PVK_NETFRONT_RESUME_TIMEOUT_NS / 1000000000ULL),
		failed);
	netfront_tell_link(dev);
	pvk_port_wake(&dev->wait);
}

/* From the host's xmit and wait_tx (any context). */
void netfront_resume_check_deadline(struct pvk_netfront *dev)
{
	if (!deadline_due(dev, pvk_time_now_ns()))
		return;
	if (PVK_READ_ONCE(dev->deadline_timer)) {
		/* Its timer's work gives up, in the role (see the top). */
		deadline_kick();
		return;
	}
	give_up(dev);
}

void netfront_deadline_fired(void *arg)
{
	(void)arg;
	deadline_kick();
}

/* The role was busy at a try: the next try on the timer, after a backoff
 * that doubles from 1 ms to 1 s (never a spin), logged once when it has
 * lasted ROLE_BUSY_LOG_NS; counted. */
#define ROLE_BUSY_FIRST_NS	1000000ULL
#define ROLE_BUSY_MAX_NS	1000000000ULL
#define ROLE_BUSY_LOG_NS	(5 * 1000000000ULL)

static uint64_t busy_since, busy_backoff;
static bool busy_logged;
uint64_t netfront_deadline_busy_tries;

static int deadline_busy(void)
{
	uint64_t now = pvk_time_now_ns();

	netfront_deadline_busy_tries++;
	if (!busy_backoff) {
		busy_since = now;
		busy_backoff = ROLE_BUSY_FIRST_NS;
	} else if (busy_backoff < ROLE_BUSY_MAX_NS) {
		busy_backoff *= 2;
	}
	if (!busy_logged && now - busy_since >= ROLE_BUSY_LOG_NS) {
		busy_logged = true;
		pvk_warn("netfront: the reconnect deadline's work has found the watch worker role held for %llu ms: trying again every %llu ms at most",
			 (unsigned long long)((now - busy_since) / 1000000),
			 (unsigned long long)(ROLE_BUSY_MAX_NS / 1000000));
	}
	/* On the timer (fired: the work again). Without one, the port's own
	 * pause between calls of a work not finished (port.h). */
	if (!deadline_set(now + busy_backoff))
		return 1;
	return -PVK_XEN_EBUSY;
}

int netfront_deadline_run(struct pvk_netfront *only)
{
	uint64_t now, next = 0;
	bool left = false;

	/* A try that takes the role only when nobody holds it, not even this
	 * CPU (0: pvkit/xenbus.h): the holder may be the reconnect itself,
	 * or a host's change (a pvk_suspend(), a release) whose wait runs
	 * this work; it must not act in the middle of it. */
	if (pvk_xenbus_worker_enter(0))
		return deadline_busy();
	if (busy_logged)
		pvk_info("netfront: the reconnect deadline's work has the role after %llu ms",
			 (unsigned long long)((pvk_time_now_ns() - busy_since) / 1000000));
	busy_backoff = 0;
	busy_logged = false;
	now = pvk_time_now_ns();
	for (struct pvk_netfront *dev = only ? only : netfront_devices(); dev;
	     dev = only ? NULL : dev->next) {
		uint64_t at = dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS;

		if (!dev->deadline_on)
			continue;
		if (deadline_due(dev, now)) {
			PVK_WRITE_ONCE(dev->deadline_on, false);
			deadlines_on--;
			/* The host's hooks run (tx done, link): a removal and
			 * release in there must not free dev under this loop
			 * (as close_broken_in_role). */
			dev->in_callback++;
			give_up(dev);
			dev->in_callback--;
		} else if (!PVK_READ_ONCE(dev->resuming) && !PVK_READ_ONCE(dev->suspended)) {
			deadline_cancel(dev);	/* ended without Connected */
		} else if (!left || (int64_t)(at - next) < 0) {
			next = at;
			left = true;
		}
	}
	if (left && deadline_set(next))
		pvk_warn("netfront: the reconnect deadline could not be armed again: the host's next transmit gives up");
	pvk_xenbus_worker_leave();
	return 0;
}

bool netfront_deadline_work(struct pvk_work *work)
{
	(void)work;
	/* 1: the role was busy and the retry is on the timer: finished. */
	return netfront_deadline_run(NULL) < 0;
}

/* ---- quiesce ---- */

void netfront_quiesce_one(struct pvk_netfront *dev)
{
	PVK_WRITE_ONCE(dev->suspended, true);
	/* A transmit under way on a queue finishes before we go on; then
	 * the queue is out of service (see the top). */
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		if (q->live) {
			q->frozen = true;
			q->live = false;
		}
		pvk_port_unlock(&q->lock);
	}
}

void netfront_cancelled_one(struct pvk_netfront *dev)
{
	unsigned int nq = dev->info.nr_queues;

	if (!dev->suspended)
		return;
	dev->rs.cancelled++;
	/* Back in service, as the quiesce found them. */
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		if (q->frozen)
			q->live = true;
		q->frozen = false;
		pvk_port_unlock(&q->lock);
	}
	/* Reconnecting after an earlier resume: it goes on and ends the
	 * suspended state after its resend; unless that reconnect was given
	 * up at its deadline (which fires once): then the host must get the
	 * documented -ENODEV, not -EAGAIN for good (review s11-int #2). */
	if (dev->resuming && !PVK_READ_ONCE(dev->resume_gave_up))
		return;
	PVK_WRITE_ONCE(dev->suspended, false);
	/* Frames queued meanwhile go; a receive answer written while
	 * upcalls were masked is taken by the poll. */
	for (unsigned int i = 0; dev->queues && i < nq; i++) {
		struct netfront_queue *q = &dev->queues[i];
		bool live;

		pvk_port_lock(&q->lock);
		live = q->live;
		pvk_port_unlock(&q->lock);
		if (live)
			pvk_netfront_kick(dev, i);
	}
	if (dev->queues)
		pvk_netfront_poll(dev);
	pvk_port_wake(&dev->wait);
}

#ifndef PVK_HOST_LINUX	/* the part itself (see the top) */

static void netfront_quiesce(void *arg)
{
	(void)arg;
	for (struct pvk_netfront *dev = netfront_devices(); dev; dev = dev->next)
		netfront_quiesce_one(dev);
}


/* ---- resumed in a new domain ---- */

/* Head id's frame goes on q's replay list (once), its slots kept. Locked. */
static void replay_add_locked(struct netfront_queue *q, uint16_t id)
{
	unsigned int n = netfront_tx_slots(q->tx_len[id]);
	uint16_t k = id;

	if (q->txs[id].replay || q->replay_n >= NETFRONT_RING_ENTS)
		return;
	for (unsigned int j = 0; j < n && k != NETFRONT_NO_ID; j++, k = q->tx_next[k])
		q->txs[k].replay = true;
	q->replay[q->replay_n++] = id;
}

/*
 * A ref of the old domain's table, given back to the kit's allocator. Its
 * entry in the new, empty table was never written, so ending it finds
 * nobody mapping it: it is freed at once, nothing waited for and nothing
 * of the old backend asked (its table and its mappings are gone).
 */
static unsigned int drop_failed;	/* refs left allocated by drop_ref */

static void drop_ref(pvk_grant_ref_t ref)
{
	if (pvk_grant_end_access(ref)) {
		drop_failed++;
		pvk_warn("netfront: grant ref %u of the old domain busy in the new table: left allocated",
			 ref);
	}
}

/* Everything of the old connection, forgotten (no xenstore request). */
void netfront_resume_forget(struct pvk_netfront *dev)
{
	unsigned int frames = 0, failed0 = drop_failed;

	dev->resume_ns = pvk_time_now_ns();
	dev->rs.resumes++;
	dev->rs.last_reconnect_ns = 0;
	dev->resume_gave_up = false;
	dev->resume_connected = false;
	deadline_arm(dev);
	__builtin_memcpy(dev->mac_before, dev->info.mac, PVK_NET_ETH_ALEN);
	dev->mac_before_known = dev->mac_known;	/* never read: nothing to compare */
	/* The saved ring's answers first, while the slots are as the old
	 * backend left them (see the top). */
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++)
		netfront_tx_drain_saved(&dev->queues[i]);	/* counts them */
	pvk_port_lock(&dev->lock);
	/* Silently: link_told stays what the host heard (see the top). */
	dev->info.link_up = false;
	pvk_port_unlock(&dev->lock);
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &dev->queues[i];
		struct netfront_kept_ring *k, *next;
		uint32_t from, to;

		pvk_port_lock(&q->lock);
		from = q->tx.rsp_cons;
		to = q->tx.req_prod_pvt;
		q->live = false;
		q->frozen = false;
		q->port_tx_bound = q->port_rx_bound = false;
		/* Each ref back to the kit's allocator (drop_ref). */
		if (q->tx_granted)
			drop_ref(q->tx_ref);
		if (q->rx_granted)
			drop_ref(q->rx_ref);
		q->tx_granted = q->rx_granted = false;
		k = q->kept_rings;
		q->kept_rings = NULL;
		for (struct netfront_kept_ring *r = k; r; r = r->next)
			drop_ref(r->ref);
		if (q->txs) {
			/* Oldest first: the ring's own order (our private
			 * indices; a frame by the first of its slots still
			 * there, head answered or not), then any head it did
			 * not show. */
			for (uint32_t n = 0; from != to && n < NETFRONT_RING_ENTS; from++, n++) {
				uint16_t id = q->tx_ring_id[PVK_RING_SLOT(&q->tx, from)], h;

				if (id >= NETFRONT_RING_ENTS)
					continue;
				h = q->txs[id].head;
				if (h < NETFRONT_RING_ENTS && q->txs[h].tx && q->txs[h].head == h)
					replay_add_locked(q, h);
			}
			for (uint16_t id = 0; id < NETFRONT_RING_ENTS; id++)
				if (q->txs[id].tx && q->txs[id].head == id)
					replay_add_locked(q, id);
			for (unsigned int id = 0; id < NETFRONT_RING_ENTS; id++) {
				if (q->txs[id].granted)
					drop_ref(q->txs[id].gref);
				q->txs[id].granted = false;
				q->txs[id].sent = false;
				q->txs[id].kept = false;
			}
			frames += q->replay_n;
		}
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++) {
			if (q->rxb[id].posted || q->rxb[id].kept)
				drop_ref(q->rxb[id].gref);
			q->rxb[id].posted = false;
			q->rxb[id].kept = false;
			if (!q->rx_running)
				q->rxb[id].held = false;	/* else its pass's */
		}
		q->rx_posted = 0;
		__builtin_memset(&q->chain, 0, sizeof(q->chain));
		q->tx_nulls_due = 0;
		q->tx_unpushed = false;
		q->tx_due = q->rx_due = false;
		q->rx_refill_due = false;
		pvk_port_unlock(&q->lock);
		/* Pages the old backend would not let go of: ours again. */
		for (; k; k = next) {
			next = k->next;
			if (k->page)
				pvk_port_free_page(k->page);
			pvk_port_free(k);
		}
	}
	/* A ref left allocated stays counted (pvk_netfront_grants_held). */
	__atomic_store_n(&dev->grants_live, drop_failed - failed0, __ATOMIC_RELAXED);
	pvk_info("netfront: %s: resumed in a new domain: old ports and grants forgotten, %u frame(s) kept to send again",
		 dev->name, frames);
}

static void netfront_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	if (result == PVK_SUSPEND_CANCELLED) {
		for (struct pvk_netfront *dev = netfront_devices(); dev; dev = dev->next)
			netfront_cancelled_one(dev);
		return;
	}
	/* Every device first, before any xenstore request (see the top). */
	for (struct pvk_netfront *dev = netfront_devices(); dev; dev = dev->next)
		netfront_resume_forget(dev);
	for (struct pvk_netfront *dev = netfront_devices(); dev; dev = dev->next) {
		struct pvk_xenbus_device *xdev = dev->xdev;
		int rc;

		if (!xdev || dev->gone || dev->broken) {
			netfront_resume_abandon(dev, dev->broken ? -PVK_XEN_EIO : -PVK_XEN_ENODEV);
			continue;
		}
		dev->resuming = true;
		dev->attempts = 0;
		dev->in_callback++;
		rc = pvk_xenbus_device_resume(xdev);
		dev->in_callback--;
		if (rc) {
			pvk_err("netfront: %s: cannot follow the new backend (%d): device closed",
				dev->name, rc);
			dev->gone = true;
			netfront_resume_abandon(dev, -PVK_XEN_ENODEV);
			netfront_set_link(dev, false);
			continue;
		}
		dev->backend = (pvk_domid_t)xdev->otherend_id;
		/* The backend's state now rather than at the watch's event:
		 * one already in InitWait gets our rings from here (as
		 * Linux's netfront does from its resume); the watch then
		 * brings Connected, and netfront_resume_connected(). */
		pvk_xenbus_otherend_poll(xdev);
	}
}

#endif /* !PVK_HOST_LINUX */

/* ---- the new backend is Connected ---- */

static void garp_done(struct pvk_net_tx *tx, int status)
{
	struct pvk_netfront *dev = tx->arg;

	if (status)
		dev->rs.garp_failed++;
	PVK_WRITE_ONCE(dev->garp_busy, false);
}

/* An ARP request for our own address from our own MAC to everyone: what
 * a bridge learns our port from, and what tells neighbours the address
 * is still ours (RFC 5227's announcement). */
static void announce(struct pvk_netfront *dev)
{
	uint8_t *f = dev->garp, ip[4];
	bool on;
	int rc;

	/* Both under the lock the host writes them under: no torn address. */
	pvk_port_lock(&dev->lock);
	on = dev->announce;
	__builtin_memcpy(ip, dev->announce_ip, 4);
	pvk_port_unlock(&dev->lock);
	if (!on || dev->garp_busy)
		return;
	__builtin_memset(f, 0, sizeof(dev->garp));
	__builtin_memset(f, 0xff, PVK_NET_ETH_ALEN);
	__builtin_memcpy(f + 6, dev->info.mac, PVK_NET_ETH_ALEN);
	f[12] = 0x08, f[13] = 0x06;		/* ARP */
	f[15] = 1;				/* Ethernet */
	f[16] = 0x08, f[17] = 0x00;		/* IPv4 */
	f[18] = PVK_NET_ETH_ALEN, f[19] = 4;
	f[21] = 1;				/* request */
	__builtin_memcpy(f + 22, dev->info.mac, PVK_NET_ETH_ALEN);
	__builtin_memcpy(f + 28, ip, 4);
	__builtin_memcpy(f + 38, ip, 4);
	dev->garp_frag.buf = f;
	dev->garp_frag.len = sizeof(dev->garp);
	__builtin_memset(&dev->garp_tx, 0, sizeof(dev->garp_tx));
	dev->garp_tx.frags = &dev->garp_frag;
	dev->garp_tx.nr_frags = 1;
	dev->garp_tx.done = garp_done;
	dev->garp_tx.arg = dev;
	dev->garp_busy = true;
	rc = netfront_xmit(dev, &dev->garp_tx, &dev->garp_tx, true);
	if (rc) {
		dev->garp_busy = false;
		dev->rs.garp_failed++;
		pvk_err("netfront: %s: gratuitous ARP refused: %d", dev->name, rc);
		return;
	}
	dev->rs.garp_sent++;
}

/* Room on q for a frame of nslots (ring: ring entries), or nothing more
 * to wait for. */
struct room {
	struct netfront_queue *q;
	unsigned int nslots, ring;
};

static bool has_room(void *arg)
{
	const struct room *r = arg;
	struct netfront_queue *q = r->q;

	return !PVK_READ_ONCE(q->live) || PVK_READ_ONCE(q->dev->broken) ||
	       (PVK_READ_ONCE(q->tx_free_count) >= r->nslots &&
		PVK_RING_FREE_REQUESTS(&q->tx) >= r->ring) || PVK_READ_ONCE(q->tx_due);
}

/* Waits for the new backend's answers to make room on q, bounded by the
 * resume's deadline. Pushes what waits first (it is what frees room). */
static void wait_room(struct pvk_netfront *dev, struct netfront_queue *q,
		      unsigned int nslots, unsigned int ring)
{
	struct room r = { q, nslots, ring };
	uint64_t end = dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS, now;

	netfront_tx_push(q);
	netfront_tx_process(q);
	now = pvk_time_now_ns();
	if ((int64_t)(end - now) > 0)
		pvk_port_wait_until(&dev->wait, has_room, &r, end - now);
	netfront_tx_process(q);
}

/* Gives the slots of the frame at head back (their queue exists), or
 * keeps them out of use (it does not). Locked. */
static void replay_slots_free_locked(struct netfront_queue *q, uint16_t head, unsigned int nq)
{
	unsigned int n = 0;

	for (uint16_t k = head; k != NETFRONT_NO_ID && n < NETFRONT_MAX_TX_SLOTS;
	     k = q->tx_next[k], n++) {
		if (!q->txs[k].replay)
			break;
		q->txs[k].replay = false;
		if (q->index < nq) {
			q->tx_free[(q->tx_free_head + q->tx_free_count) % NETFRONT_RING_ENTS] = k;
			q->tx_free_count++;
		}
	}
}

/* The copy path: a frame whose queue is gone goes to tx->queue modulo
 * the new count through the ordinary transmit, waiting (bounded) for
 * room there. Its slots lend their pages only. */
static int resend_copy(struct pvk_netfront *dev, struct netfront_queue *q,
		       uint16_t head, struct pvk_net_tx *tx, unsigned int nq)
{
	struct pvk_net_frag frags[NETFRONT_MAX_TX_SLOTS];
	struct pvk_net_tx shadow = *tx;
	unsigned int n = 0;
	size_t len;
	int rc;

	pvk_port_lock(&q->lock);
	len = q->tx_len[head];
	for (uint16_t k = head; k != NETFRONT_NO_ID && n < NETFRONT_MAX_TX_SLOTS &&
	     (size_t)n * NETFRONT_PAGE < len; k = q->tx_next[k], n++) {
		size_t from = (size_t)n * NETFRONT_PAGE;

		frags[n].buf = q->tx_bounce[k];
		frags[n].len = len - from < NETFRONT_PAGE ? len - from : NETFRONT_PAGE;
	}
	pvk_port_unlock(&q->lock);
	shadow.frags = frags;
	shadow.nr_frags = n;
	shadow.flags |= PVK_NET_TX_MORE;	/* one kick per queue after */
	for (;;) {
		struct netfront_queue *to = &dev->queues[tx->queue % nq];

		rc = netfront_xmit(dev, &shadow, tx, true);
		if (rc != -PVK_XEN_EAGAIN ||
		    (int64_t)(pvk_time_now_ns() - (dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS)) >= 0)
			break;
		wait_room(dev, to, n, n + (tx->gso_type != PVK_NET_GSO_NONE));
	}
	return rc == -PVK_XEN_EAGAIN ? -PVK_XEN_ENODEV : rc;
}

/* Sends q's replay list again on the new connection (see the top). */
static void resend_queue(struct pvk_netfront *dev, struct netfront_queue *q, unsigned int nq)
{
	for (unsigned int r = 0;; r++) {
		struct pvk_net_tx *tx;
		uint16_t head;
		int rc;

		pvk_port_lock(&q->lock);
		if (r >= q->replay_n) {
			/* Slots of frames failed meanwhile (a deadline):
			 * back to the free list. */
			for (uint16_t id = 0; q->txs && id < NETFRONT_RING_ENTS; id++)
				if (q->txs[id].replay && !q->txs[q->txs[id].head].tx)
					replay_slots_free_locked(q, id, nq);
			q->replay_n = 0;
			pvk_port_unlock(&q->lock);
			return;
		}
		head = q->replay[r];
		tx = q->txs[head].tx;
		if (!tx) {
			replay_slots_free_locked(q, head, nq);
			pvk_port_unlock(&q->lock);
			continue;
		}
		/* Counted before it can be answered (a done() hook tells a
		 * resent frame by it); taken back if it fails. */
		dev->rs.resent++;
		if (q->index < nq && tx->queue % nq == q->index) {
			/* In place: its own slots, nothing copied. */
			q->txs[head].tx = NULL;
			rc = netfront_tx_requeue_locked(q, head, tx);
			if (rc == -PVK_XEN_EAGAIN && (!q->live || PVK_READ_ONCE(dev->broken)))
				rc = -PVK_XEN_ENODEV;	/* the connection went again */
			if (rc == -PVK_XEN_EAGAIN) {
				/* No ring room yet: the new backend's answers
				 * make it; this frame is tried again. */
				q->txs[head].tx = tx;
				dev->rs.resent--;
				pvk_port_unlock(&q->lock);
				if ((int64_t)(pvk_time_now_ns() -
					      (dev->resume_ns + PVK_NETFRONT_RESUME_TIMEOUT_NS)) < 0) {
					wait_room(dev, q, 0, netfront_tx_slots(q->tx_len[head]) + 1);
					r--;
					continue;
				}
				pvk_port_lock(&q->lock);
				q->txs[head].tx = NULL;
				rc = -PVK_XEN_ENODEV;
			}
			if (rc)
				replay_slots_free_locked(q, head, nq);
			pvk_port_unlock(&q->lock);
		} else {
			q->txs[head].tx = NULL;
			pvk_port_unlock(&q->lock);
			rc = resend_copy(dev, q, head, tx, nq);
			pvk_port_lock(&q->lock);
			replay_slots_free_locked(q, head, nq);
			pvk_port_unlock(&q->lock);
		}
		if (rc) {
			dev->rs.resent--;
			dev->rs.resend_failed++;
			pvk_err("netfront: %s: a frame kept across the resume was refused by the new connection: %d",
				dev->name, rc);
			tx->done(tx, rc);
		}
	}
}

void netfront_resume_connected(struct pvk_netfront *dev)
{
	unsigned int nq = dev->info.nr_queues;
	uint64_t resent = dev->rs.resent, failed = dev->rs.resend_failed;
	uint64_t garps = dev->rs.garp_sent;

	/* Connected first: the deadline's work passes it over from here
	 * (the resend keeps its own bound, the same deadline). */
	deadline_cancel(dev);
	/* One decides (see give_up): from here a give-up does nothing. One
	 * that came first has failed the kept frames: the resend only gives
	 * their slots back. */
	pvk_port_lock(&dev->lock);
	if (!dev->resume_gave_up)
		dev->resume_connected = true;
	pvk_port_unlock(&dev->lock);
	for (unsigned int i = 0; dev->queues && i < NETFRONT_MAX_QUEUES; i++)
		resend_queue(dev, &dev->queues[i], nq);
	announce(dev);
	for (unsigned int i = 0; i < nq; i++)
		pvk_netfront_kick(dev, i);
	dev->resuming = false;
	dev->rs.last_reconnect_ns = pvk_time_now_ns() - dev->resume_ns;
	if (dev->xdev) {
		/* xenbus measured from the hypercall's return; its count ends
		 * with this callback (get_resume_stats reads it). */
		dev->rs.last_from_hypercall_ns = pvk_time_now_ns() - dev->xdev->resume_t0_ns;
		dev->xdev->resume_done = true;
	}
	PVK_WRITE_ONCE(dev->suspended, false);
	PVK_WRITE_ONCE(dev->deadline_timer, false);	/* this resume is over */
	pvk_info("netfront: %s: reconnected after the resume in %llu us: %llu frame(s) sent again, %llu refused; gratuitous ARP %s",
		 dev->name, (unsigned long long)(dev->rs.last_reconnect_ns / 1000),
		 (unsigned long long)(dev->rs.resent - resent),
		 (unsigned long long)(dev->rs.resend_failed - failed),
		 dev->rs.garp_sent != garps ? "queued" :
		 dev->announce ? "refused" : "not sent (no address given)");
	pvk_info("netfront: %s: reconnected %llu us after the hypercall",
		 dev->name, (unsigned long long)(dev->rs.last_from_hypercall_ns / 1000));
	pvk_port_wake(&dev->wait);
}

#ifdef PVK_HOST_LINUX
int netfront_suspend_register(void)
{
	return 0;	/* see the top: not on Linux yet */
}
#else
static struct pvk_suspend_part netfront_part = {
	.name = "netfront",
	.quiesce = netfront_quiesce,
	.resume = netfront_resume,
};

int netfront_suspend_register(void)
{
	int rc = pvk_suspend_register(&netfront_part);

	return rc == -PVK_XEN_EEXIST ? 0 : rc;
}
#endif
