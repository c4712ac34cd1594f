/*
 * frontends/blkfront/blkfront_suspend.c - blkfront across `xl save`,
 * `xl restore` and `xl save -c`: its suspend part (pvkit/suspend.h), the
 * list of requests kept across a resume, and their requeueing.
 *
 * quiesce (thread context, the watch worker, before upcalls are masked):
 * every device stops putting requests on its rings: host submits say
 * -EAGAIN and pvk_blkfront_wait_slot() waits (bounded by the host's
 * timeout) until the device is back; a kick pushes nothing more, and
 * nothing reads the rings' answers or notifies their ports until the
 * resume (blkfront_rings_frozen): an answer the saved image holds proves
 * nothing about its data page, and a port number of before may be
 * another's in a new domain. What is in flight stays as it is, each slot the record needed to issue it again
 * (the shadow): the host's request (sectors, direction and buffers, the
 * host's until done() runs), the part of its data the slot carries, its
 * split and its issue number. Nothing is failed.
 *
 * resume, new domain: the rings, grants and ports of before went with the
 * old domain, and the old backend with them. Each device forgets them: its
 * event channels without closing them (the kit's table was reset; the
 * numbers may already be someone else's), its grants ended at once (the new
 * table is empty: nothing maps them, nobody to wait for), persistent ones
 * too, and its pages freed; the queue structures stay, reset in place (a
 * host thread may hold one). The requests in flight are listed in the
 * order they were issued; xenbus moves to the new backend, and when it is
 * Connected (blkfront_connect: features read again, the disk checked to be
 * the same) they are requeued first, in that order, each split again to
 * what the new backend carries per request (fewer segments, no indirect
 * descriptors), before the host's own submits are taken again. The host's
 * done() runs once per request, when its last piece is over, with the
 * first error.
 *
 * Replaying is correct for a block device because every request is
 * idempotent: a read reads the same sectors again, a write writes the same
 * data to the same sectors again (the host's buffer is the host's until
 * done() ran, so it still holds that data). A write the old backend had
 * done, but whose answer we never took, is written twice with the same
 * bytes: the disk ends the same. They are issued again in the order
 * they were first issued (a backend orders nothing within a ring, so
 * this is the order of issue, not of completion).
 *
 * resume, cancelled (`xl save -c`, or Xen refused): the same domain, the
 * same backend, the same rings: whatever was held back is pushed and the
 * device goes on.
 *
 * The backend stays untrusted: the new one is negotiated with as at boot,
 * every check of blkfront_xenbus.c and blkfront_queue.c applies to it.
 *
 * A reconnect that fails (the new backend refused, xenbus lost), or a
 * host's break meanwhile, fails every request of before once with an
 * error. Bounded by the host's waits and by its own deadline
 * (PVK_BLKFRONT_RESUME_TIMEOUT_NS, 30 s as netfront's): past it the
 * device is broken, what it kept fails with -PVK_XEN_ENODEV, and a new
 * backend that shows up later is told Closed. No timer: the deadline is
 * looked at by the host's poll, by the waits of wait_slot and rw_sync
 * (blkfront_wait_capped: no longer than it) and by the device's
 * backend-state callbacks, never by a submit (it would run other
 * requests' done() there). It ends at Connected.
 *
 * Fast: the resume itself moves the device to the new backend and, when
 * that backend already waits (InitWait: xl restore set it up before the
 * domain ran), publishes the new rings and Initialised at once, one
 * transaction, without waiting for the watch's round trip
 * (pvk_xenbus_otherend_poll); the backend then connects while the other
 * devices are resumed.
 *
 * Assumed: one CPU across the suspend (the kit refuses it otherwise). A
 * submit a host preempted between its two locked sections is waited for
 * (bounded) before the rings are forgotten.
 */
#include <pvkit/log.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

/* How long the requeueing waits for room on a queue of the new backend. */
#define REPLAY_WAIT_NS	(30ULL * 1000 * 1000 * 1000)

/* ---- the replay list ---------------------------------------------------- */

static struct blkfront_replay *entry_at(struct pvk_blkfront *dev, unsigned int i)
{
	return &dev->replay[i / BLKFRONT_REPLAY_PER_PAGE]->e[i % BLKFRONT_REPLAY_PER_PAGE];
}

/* Appends e, keeping the list in issue order (slots come in id order,
 * nearly the issue order: the insertion moves few). -ENOMEM without room. */
static int replay_add(struct pvk_blkfront *dev, const struct blkfront_replay *e)
{
	unsigned int i = dev->replay_n, page = i / BLKFRONT_REPLAY_PER_PAGE;

	/* The list is added to only at a resume, when nothing of it was
	 * taken yet (compact_replay; review s12 N6): the insertion below
	 * may move entries over the whole list. */
	if (dev->replay_next)
		return -PVK_XEN_EINVAL;
	if (page >= BLKFRONT_REPLAY_PAGES)
		return -PVK_XEN_ENOSPC;
	if (!dev->replay[page] && !(dev->replay[page] = pvk_port_alloc_page()))
		return -PVK_XEN_ENOMEM;
	dev->replay_n++;
	for (; i && entry_at(dev, i - 1)->seq > e->seq; i--)
		*entry_at(dev, i) = *entry_at(dev, i - 1);
	*entry_at(dev, i) = *e;
	return 0;
}

/*
 * Drops the entries already taken from the list's front, so that a resume
 * adds to a list with nothing taken (replay_add). A resume never comes
 * while a requeue runs today (no suspend nests inside replay_all: its
 * waits run no watch work, and the role is held), so this is a guard
 * (review s12 N6): what was taken is another's (being requeued or
 * failed by whoever took it), what is left keeps its order.
 */
static void compact_replay(struct pvk_blkfront *dev)
{
	unsigned int taken;

	pvk_port_lock(&dev->lock);
	taken = dev->replay_next;
	for (unsigned int i = taken; taken && i < dev->replay_n; i++)
		*entry_at(dev, i - taken) = *entry_at(dev, i);
	dev->replay_n -= taken;
	dev->replay_next = 0;
	pvk_port_unlock(&dev->lock);
}

/* Takes the next entry not yet requeued or failed, a copy (dev->lock:
 * the watch worker requeues while a host's break may fail the rest; each
 * entry is taken once). False when none is left: the list is emptied. */
static bool replay_take(struct pvk_blkfront *dev, struct blkfront_replay *out)
{
	struct blkfront_replay_page *pages[BLKFRONT_REPLAY_PAGES];
	bool got = false;

	pvk_port_lock(&dev->lock);
	if (dev->replay_next < dev->replay_n) {
		*out = *entry_at(dev, dev->replay_next++);
		got = true;
	}
	__builtin_memcpy(pages, dev->replay, sizeof(pages));
	if (!got) {
		__builtin_memset(dev->replay, 0, sizeof(dev->replay));
		dev->replay_n = dev->replay_next = 0;
	}
	pvk_port_unlock(&dev->lock);
	if (!got)
		for (unsigned int p = 0; p < BLKFRONT_REPLAY_PAGES; p++)
			if (pages[p])
				pvk_port_free_page(pages[p]);
	return got;
}

static unsigned int replay_left(struct pvk_blkfront *dev)
{
	unsigned int n;

	pvk_port_lock(&dev->lock);
	n = dev->replay_n - dev->replay_next;
	pvk_port_unlock(&dev->lock);
	return n;
}

/* A listed piece is over without reaching a ring: counted as its slot's
 * would be, done() if it was the request's last. */
static void end_piece(struct pvk_blkfront *dev, const struct blkfront_replay *e, int status)
{
	struct blkfront_queue *q = NULL;
	bool due;

	/* A split's other pieces may be on the new rings: their lock. */
	if (dev->queues && dev->info.nr_queues)
		q = blkfront_queue_of(dev, e->req->queue);
	if (q)
		pvk_port_lock(&q->lock);
	due = blkfront_piece_over_locked(dev, e->split, true, &status);
	if (q)
		pvk_port_unlock(&q->lock);
	if (due) {
		e->req->done(e->req, status);
		pvk_port_wake(&dev->wait);
	}
}

/* The device is back for the host (requeued, or given up). */
static void resume_over(struct pvk_blkfront *dev)
{
	pvk_port_lock(&dev->lock);
	dev->resuming = false;
	dev->quiesced = false;
	dev->resume_deadline_armed = false;
	pvk_port_unlock(&dev->lock);
	pvk_port_wake(&dev->wait);
}

void blkfront_replay_fail(struct pvk_blkfront *dev, int status)
{
	unsigned int n;
	struct blkfront_replay e;

	if (!PVK_READ_ONCE(dev->resuming))
		return;
	n = replay_left(dev);
	if (n)
		pvk_err("blkfront: %s: %u requests of before the restore fail with %d",
			dev->name, n, status);
	while (replay_take(dev, &e))
		end_piece(dev, &e, status);
	resume_over(dev);
}

/* ---- the reconnect's deadline ------------------------------------------ */

/* The deadline runs: resuming, not yet Connected, not given up. */
static bool deadline_running(struct pvk_blkfront *dev)
{
	return PVK_READ_ONCE(dev->resuming) && PVK_READ_ONCE(dev->resume_deadline_armed) &&
	       !__atomic_load_n(&dev->resume_gave_up, __ATOMIC_ACQUIRE);
}

static int64_t deadline_remaining(struct pvk_blkfront *dev)
{
	return (int64_t)(PVK_READ_ONCE(dev->resume_t0) + PVK_BLKFRONT_RESUME_TIMEOUT_NS -
			 pvk_time_now_ns());
}

/* Nanoseconds to the deadline; 0 when due or when none runs. */
uint64_t blkfront_resume_deadline_left(struct pvk_blkfront *dev)
{
	int64_t left;

	if (!deadline_running(dev))
		return 0;
	left = deadline_remaining(dev);
	return left > 0 ? (uint64_t)left : 0;
}

/*
 * Gives the reconnect up once its deadline passed. Never from inside a
 * host's submit: it runs done() of the requests kept, and a host may hold
 * the lock its done() takes around submit (the review's N7). Decided
 * under dev->lock against blkfront_replay_all's disarming: a backend that
 * reached Connected first is never broken by it while it requeues.
 */
void blkfront_resume_check_deadline(struct pvk_blkfront *dev)
{
	bool due;

	if (!deadline_running(dev) || deadline_remaining(dev) > 0)
		return;
	pvk_port_lock(&dev->lock);
	due = dev->resuming && dev->resume_deadline_armed &&
	      !__atomic_exchange_n(&dev->resume_gave_up, true, __ATOMIC_ACQ_REL);
	/* Broken first: a requeue the watch worker is doing stops, and a
	 * backend that connects later is told Closed (blkfront_xenbus.c). */
	if (due)
		__atomic_store_n(&dev->broken, true, __ATOMIC_SEQ_CST);
	pvk_port_unlock(&dev->lock);
	if (!due)
		return;
	__atomic_fetch_add(&dev->rstats.gave_up, 1, __ATOMIC_RELAXED);
	pvk_err("blkfront: %s: not connected again %llu s after the resume (backend %s): device broken, the %u requests it kept fail with %d",
		dev->name, PVK_BLKFRONT_RESUME_TIMEOUT_NS / 1000000000ULL,
		dev->xdev ? pvk_xenbus_state_name(dev->xdev->otherend_state) : "gone",
		replay_left(dev), -PVK_XEN_ENODEV);
	blkfront_replay_fail(dev, -PVK_XEN_ENODEV);
}

struct capped_wait {
	struct pvk_blkfront *dev;
	bool (*cond)(void *arg);
	void *arg;
	unsigned int seen;	/* deadline_gen when this pass began */
};

/* The host's condition, or a deadline started running since the pass
 * began: then the wait is capped again. */
static bool cond_or_armed(void *arg)
{
	struct capped_wait *c = arg;

	return c->cond(c->arg) ||
	       __atomic_load_n(&c->dev->deadline_gen, __ATOMIC_ACQUIRE) != c->seen;
}

/*
 * A host's wait on the device (cond) no longer than its timeout, nor past
 * the reconnect's deadline: a wait that reaches the deadline gives the
 * reconnect up (its requests kept fail, cond may then hold) and goes on
 * for the rest of its timeout. One already past is given up first (the
 * review's S3, S4: a waiter on an idle disk is the only one to see it).
 * A deadline armed by a resume while the wait runs caps it too (review
 * s12-int M2): the resume wakes the waiters, which cap again with the
 * time they have left.
 */
int blkfront_wait_capped(struct pvk_blkfront *dev, bool (*cond)(void *arg), void *arg,
			 uint64_t timeout_ns)
{
	struct capped_wait c = { .dev = dev, .cond = cond, .arg = arg };

	for (;;) {
		uint64_t left, cap, t0, waited;
		int rc;

		c.seen = __atomic_load_n(&dev->deadline_gen, __ATOMIC_ACQUIRE);
		blkfront_resume_check_deadline(dev);
		left = blkfront_resume_deadline_left(dev);
		cap = left && left < timeout_ns ? left : timeout_ns;
		t0 = pvk_time_now_ns();
		rc = pvk_port_wait_until(&dev->wait, cond_or_armed, &c, cap);
		if (cond(arg))
			return 0;
		if (rc) {
			if (cap == timeout_ns)
				return rc;
			timeout_ns -= cap;	/* the deadline's pass: next */
			continue;
		}
		/* A deadline was armed: the rest of the timeout, capped. */
		waited = pvk_time_now_ns() - t0;
		if (waited >= timeout_ns)
			return -PVK_XEN_ETIMEDOUT;
		timeout_ns -= waited;
	}
}

/* ---- forgetting the old domain's rings ----------------------------------- */

/* Ends the grants of a chain at once and frees its pages; returns how
 * many the (new, empty) table unexpectedly says are mapped: kept. */
static unsigned int forget_chain(struct blkfront_queue *q, struct blkfront_page *p)
{
	unsigned int kept = 0;

	for (struct blkfront_page *n; p; p = n) {
		n = p->next;
		if (!blkfront_page_end(q, p))
			kept++;
	}
	return kept;
}

/*
 * Every ring, page, grant and port of the device's queues, of the old
 * domain, let go without a word to the old backend (gone). The queue
 * structures stay where they are (a host thread may hold one), reset in
 * place for the new backend. False if a grant of before is still mapped
 * in the new table (cannot be): then that queue is kept as it is, never
 * reused, and the device must not reconnect.
 */
static bool forget_queues(struct pvk_blkfront *dev)
{
	unsigned int kept = 0, n = dev->nr_queues_set_up;

	for (unsigned int i = 0; dev->queues && i < n; i++) {
		struct blkfront_queue *q = &dev->queues[i];
		struct blkfront_page *pool, *retired;
		unsigned int kept_q = 0;

		pvk_port_lock(&q->lock);
		q->live = false;
		/* The kit's event table was reset: the number is not ours
		 * any more, never closed or notified. */
		q->port_bound = false;
		pool = q->pool;
		retired = q->retired;
		q->pool = q->retired = NULL;
		pvk_port_unlock(&q->lock);
		for (unsigned int id = 0; q->slot_page[0] && id < dev->info.depth; id++) {
			struct blkfront_slot *s = blkfront_slot(q, id);

			kept_q += forget_chain(q, s->data) + forget_chain(q, s->ind);
			s->data = s->ind = NULL;
		}
		kept_q += forget_chain(q, pool) + forget_chain(q, retired);
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++) {
			if (!q->ring_page[j])
				continue;
			if (j < q->ring_granted) {
				if (pvk_grant_end_access(q->ring_ref[j])) {
					kept_q++;
					continue;
				}
				__atomic_fetch_sub(&dev->grants_live, 1, __ATOMIC_RELAXED);
			}
			pvk_port_free_page(q->ring_page[j]);
			q->ring_page[j] = NULL;
		}
		kept += kept_q;
		if (kept_q)
			continue;
		pvk_port_lock(&q->lock);
		blkfront_queue_reset_locked(q);
		pvk_port_unlock(&q->lock);
	}
	if (kept) {
		/* Pages whose grants would not end are lost (never reused). */
		pvk_err("blkfront: %s: %u grants of before the restore still mapped in the new table: their pages are never reused, the device is not reconnected",
			dev->name, kept);
		return false;
	}
	dev->nr_queues_set_up = 0;
	return true;
}

static bool none_issuing(void *arg)
{
	return !__atomic_load_n(&((struct pvk_blkfront *)arg)->issuing, __ATOMIC_SEQ_CST);
}

/* How long the resume waits for a submit preempted half-way to finish. */
#define ISSUING_WAIT_NS	(1000ULL * 1000 * 1000)

/* ---- the part ------------------------------------------------------------ */

static void blkfront_quiesce(void *arg)
{
	(void)arg;
	for (struct pvk_blkfront *dev = blkfront_devices(); dev; dev = dev->next) {
		unsigned int out = 0;

		pvk_port_lock(&dev->lock);
		dev->quiesced = true;
		pvk_port_unlock(&dev->lock);
		/* A host wait this falls inside gets its timeout again. */
		__atomic_fetch_add(&dev->suspends, 1, __ATOMIC_RELEASE);
		/* Waiters for a slot wait for the device instead. */
		pvk_port_wake(&dev->wait);
		for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++)
			out += PVK_READ_ONCE(dev->queues[i].outstanding);
		if (dev->xdev && !dev->gone)
			pvk_info("blkfront: %s: quiesced for the suspend, %u requests in flight kept",
				 dev->name, out);
	}
}

/* The same backend goes on: push what was held back, take what came. */
static void resume_cancelled(struct pvk_blkfront *dev)
{
	__atomic_fetch_add(&dev->rstats.cancelled, 1, __ATOMIC_RELAXED);
	/* Still reconnecting after an earlier restore: its rings are not up
	 * yet; it stays quiesced until the reconnect is over (requeued
	 * first, then the host's). */
	if (PVK_READ_ONCE(dev->resuming))
		return;
	pvk_port_lock(&dev->lock);
	dev->quiesced = false;
	pvk_port_unlock(&dev->lock);
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		pvk_blkfront_kick(dev, i);
		blkfront_process(&dev->queues[i]);
	}
	pvk_port_wake(&dev->wait);
}

/* A new domain: list what was in flight, forget the old rings, reconnect. */
static void resume_new_domain(struct pvk_blkfront *dev)
{
	unsigned int lost = 0;
	bool forgot;
	struct pvk_xenbus_device *xdev;
	int rc;

	/* A submit preempted between its locked sections still uses its
	 * queue: it sees the quiesce and gives its slot back first. */
	if (pvk_port_wait_until(&dev->wait, none_issuing, dev, ISSUING_WAIT_NS)) {
		pvk_err("blkfront: %s: a submit still under way %llu ms after the resume: device broken, its rings kept",
			dev->name, (unsigned long long)(ISSUING_WAIT_NS / 1000000));
		PVK_WRITE_ONCE(dev->broken, true);
		/* Nothing of the old rings can be used: fail what they held
		 * (their grants stay, never reused). */
		for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
			pvk_port_lock(&dev->queues[i].lock);
			dev->queues[i].live = false;
			dev->queues[i].port_bound = false;
			pvk_port_unlock(&dev->queues[i].lock);
		}
		blkfront_fail_all(dev, -PVK_XEN_EIO);
		/* Still reconnecting after an earlier restore: what it listed
		 * then fails too (each done() once, the list's pages freed);
		 * replay_fail ends the reconnect (review s12 N5). */
		if (PVK_READ_ONCE(dev->resuming))
			blkfront_replay_fail(dev, -PVK_XEN_EIO);
		else
			resume_over(dev);
		return;
	}
	if (!dev->xdev || dev->gone) {
		/* Closed or removed: nothing to requeue or reconnect; what it
		 * still held (pages the old backend kept) can go now. */
		forget_queues(dev);
		resume_over(dev);
		return;
	}
	__atomic_fetch_add(&dev->rstats.resumes, 1, __ATOMIC_RELAXED);
	dev->resume_t0 = pvk_time_now_ns();
	__atomic_store_n(&dev->resume_gave_up, false, __ATOMIC_RELEASE);
	pvk_port_lock(&dev->lock);
	dev->resume_deadline_armed = true;
	pvk_port_unlock(&dev->lock);
	/* Before anything is listed, no poll may take an answer of the old
	 * rings (rings_frozen holds until resuming is set, below). */
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		pvk_port_lock(&q->lock);
		q->live = false;
		q->port_bound = false;
		pvk_port_unlock(&q->lock);
	}
	pvk_port_lock(&dev->lock);
	dev->connected = false;
	pvk_port_unlock(&dev->lock);
	compact_replay(dev);
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		for (unsigned int id = 0; q->slot_page[0] && id < dev->info.depth; id++) {
			struct blkfront_slot *s = blkfront_slot(q, id);
			struct blkfront_replay e;

			pvk_port_lock(&q->lock);
			if (!s->sent) {
				pvk_port_unlock(&q->lock);
				continue;
			}
			e = (struct blkfront_replay){ .req = s->req, .split = s->split,
						      .off = s->off, .len = s->len, .seq = s->seq };
			s->sent = false;
			pvk_port_unlock(&q->lock);
			int arc = replay_add(dev, &e);

			if (arc) {
				/* No page to list it: it fails, said below. A
				 * list already taken from (a kit bug, review s13
				 * N5) is said apart. */
				if (arc == -PVK_XEN_EINVAL)
					pvk_err("blkfront: %s: replay list already being taken: a request of before not listed (a kit bug)",
						dev->name);
				lost++;
				end_piece(dev, &e, -PVK_XEN_EIO);
			}
		}
	}
	forgot = forget_queues(dev);
	pvk_port_lock(&dev->lock);
	dev->resuming = true;
	/* The deadline runs from here: a host already in a capped wait
	 * (rw_sync, wait_slot, begun before it) wakes to cap by it (M2). */
	__atomic_fetch_add(&dev->deadline_gen, 1, __ATOMIC_RELEASE);
	pvk_port_unlock(&dev->lock);
	pvk_port_wake(&dev->wait);
	pvk_info("blkfront: %s: resumed in a new domain: %u requests of before to requeue%s; reconnecting",
		 dev->name, replay_left(dev), lost ? " (some could not be listed: failed)" : "");
	if (lost)
		pvk_err("blkfront: %s: %u requests in flight failed: no memory to list them",
			dev->name, lost);
	if (!forgot || PVK_READ_ONCE(dev->broken)) {
		/* Broken by the host meanwhile (its wait ran out), or rings
		 * that cannot be reused: nothing is requeued. */
		PVK_WRITE_ONCE(dev->broken, true);
		blkfront_replay_fail(dev, -PVK_XEN_EIO);
		return;
	}
	/* As in a xenbus callback (netfront does the same): watches run in
	 * its xenstore waits must not free dev under us (review s12 N8),
	 * held to the poll's end (review s13 S4: the poll's callbacks wait
	 * on xenstore too); a removal meanwhile clears dev->xdev, read again
	 * under the lock. */
	dev->in_callback++;
	rc = pvk_xenbus_device_resume(dev->xdev);
	if (rc) {
		dev->in_callback--;
		pvk_err("blkfront: %s: cannot follow the new backend (%d): device closed",
			dev->name, rc);
		dev->gone = true;
		blkfront_replay_fail(dev, -PVK_XEN_ENODEV);
		return;
	}
	/* The new backend may live in another domain (a driver domain of
	 * the target host): every grant and channel from now on is its. */
	pvk_port_lock(&dev->lock);
	xdev = dev->xdev;
	if (xdev)
		dev->backend = (pvk_domid_t)xdev->otherend_id;
	pvk_port_unlock(&dev->lock);
	/* Its state now, not at the watch's event: a backend waiting
	 * already gets our rings from here (the handshake's callbacks run
	 * as from the watch; the device may be removed in there). */
	if (xdev)
		pvk_xenbus_otherend_poll(xdev);
	else
		pvk_info("blkfront: %s: removed while it resumed", dev->name);
	dev->in_callback--;
}

static void blkfront_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	for (struct pvk_blkfront *dev = blkfront_devices(); dev; dev = dev->next) {
		if (result == PVK_SUSPEND_CANCELLED)
			resume_cancelled(dev);
		else
			resume_new_domain(dev);
	}
}

static struct pvk_suspend_part part = {
	.name = "blkfront",
	.quiesce = blkfront_quiesce,
	.resume = blkfront_resume,
};

void blkfront_suspend_register(void)
{
	static bool done;
	int rc;

	if (done)
		return;
	done = true;
	rc = pvk_suspend_register(&part);
	/* A host whose own xenbus does suspend (Linux) says so. */
	if (rc && rc != -PVK_XEN_EOPNOTSUPP)
		pvk_warn("blkfront: cannot take part in suspend and resume: %d", rc);
}

/* ---- requeueing on the new backend --------------------------------------- */

struct room_wait {
	struct pvk_blkfront *dev;
	struct blkfront_queue *q;
};

/* Room on q for one more request (a slot, and pages unless starved), or
 * the device is gone or broken. */
static bool room(void *arg)
{
	struct room_wait *w = arg;
	bool ok;

	if (PVK_READ_ONCE(w->dev->broken) || PVK_READ_ONCE(w->dev->gone))
		return true;
	pvk_port_lock(&w->q->lock);
	ok = w->q->outstanding < w->dev->info.depth && !PVK_RING_FULL(&w->q->ring) &&
	     !w->q->starved;
	pvk_port_unlock(&w->q->lock);
	return ok;
}

/* One piece on its queue, waiting (bounded) for room; 0 or its status. */
static int issue_piece(struct pvk_blkfront *dev, struct pvk_blk_req *req, size_t off,
		       size_t len, struct blkfront_split *split)
{
	struct room_wait w = { .dev = dev, .q = blkfront_queue_of(dev, req->queue) };
	int rc;

	while ((rc = blkfront_issue(dev, req, off, len, split, true)) == -PVK_XEN_EAGAIN) {
		if (pvk_port_wait_until(&dev->wait, room, &w, REPLAY_WAIT_NS)) {
			blkfront_break(dev, "backend did not free a slot for the requeued requests (queue, timeout s)",
				       w.q->index, REPLAY_WAIT_NS / 1000000000ULL);
			return -PVK_XEN_EIO;
		}
	}
	return rc;
}

/* Entry e on the new backend, split as it needs; 0 or the status that
 * ended the rest of it. */
static int requeue(struct pvk_blkfront *dev, struct blkfront_replay *e)
{
	size_t max = blkfront_data_op(e->req->op) ? blkfront_max_bytes(dev, e->req->op) : 0;
	unsigned int pieces = 1;
	struct blkfront_queue *q = blkfront_queue_of(dev, e->req->queue);
	/* What the new backend refuses of a request the old one took. */
	int rc = blkfront_op_offered(dev, e->req, dev->info.vdisk_info);

	if (rc)
		return rc;
	if (max && e->len > max)
		pieces = (unsigned int)((e->len + max - 1) / max);
	if (pieces > 1) {
		if (!e->split) {
			e->split = pvk_port_malloc(sizeof(*e->split));
			if (!e->split)
				return -PVK_XEN_EIO;	/* logged by the caller */
			*e->split = (struct blkfront_split){ .req = e->req, .left = 1 };
		}
		/* This piece becomes pieces: counted before any is out. */
		pvk_port_lock(&q->lock);
		e->split->left += pieces - 1;
		pvk_port_unlock(&q->lock);
		__atomic_fetch_add(&dev->rstats.split, 1, __ATOMIC_RELAXED);
	} else {
		max = e->len;
	}
	for (unsigned int k = 0; k < pieces; k++) {
		size_t off = (size_t)k * max;
		size_t len = e->len - off < max ? e->len - off : max;

		rc = issue_piece(dev, e->req, e->off + off, len, e->split);
		if (rc) {
			/* This piece and those not yet issued end here. */
			for (unsigned int j = k; j < pieces; j++)
				end_piece(dev, e, rc);
			return 0;
		}
		__atomic_fetch_add(&dev->rstats.pieces, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

void blkfront_replay_all(struct pvk_blkfront *dev)
{
	unsigned int n = 0;
	uint64_t t = pvk_time_now_ns();
	struct pvk_blkfront_resume_stats before = dev->rstats;
	struct blkfront_replay e;

	/* Connected: the deadline is over (the requeue below is bounded by
	 * REPLAY_WAIT_NS per wait); one already decided broke the device. */
	pvk_port_lock(&dev->lock);
	dev->resume_deadline_armed = false;
	pvk_port_unlock(&dev->lock);
	dev->rstats.last_reconnect_ns = t - dev->resume_t0;
	if (dev->xdev) {
		/* xenbus measured from the hypercall's return; its count ends
		 * with this callback (get_resume_stats reads it). */
		dev->rstats.last_from_hypercall_ns = t - dev->xdev->resume_t0_ns;
		dev->xdev->resume_done = true;
	}
	while (replay_take(dev, &e)) {
		int rc = PVK_READ_ONCE(dev->broken) ? -PVK_XEN_EIO :
			 PVK_READ_ONCE(dev->gone) ? -PVK_XEN_ENODEV : requeue(dev, &e);

		n++;
		__atomic_fetch_add(&dev->rstats.requeued, 1, __ATOMIC_RELAXED);
		if (rc)
			end_piece(dev, &e, rc);
	}
	pvk_info("blkfront: %s: connected again %llu us after the hypercall",
		 dev->name, (unsigned long long)(dev->rstats.last_from_hypercall_ns / 1000));
	pvk_info("blkfront: %s: connected again %llu ms after the resume: %u requests requeued, %llu split again, %llu ring requests",
		 dev->name, (unsigned long long)(dev->rstats.last_reconnect_ns / 1000000), n,
		 (unsigned long long)(dev->rstats.split - before.split),
		 (unsigned long long)(dev->rstats.pieces - before.pieces));
	resume_over(dev);
}

void pvk_blkfront_get_resume_stats(const struct pvk_blkfront *dev,
				   struct pvk_blkfront_resume_stats *out)
{
	struct pvk_blkfront_resume_stats s;

	s.resumes = __atomic_load_n(&dev->rstats.resumes, __ATOMIC_RELAXED);
	s.cancelled = __atomic_load_n(&dev->rstats.cancelled, __ATOMIC_RELAXED);
	s.requeued = __atomic_load_n(&dev->rstats.requeued, __ATOMIC_RELAXED);
	s.split = __atomic_load_n(&dev->rstats.split, __ATOMIC_RELAXED);
	s.pieces = __atomic_load_n(&dev->rstats.pieces, __ATOMIC_RELAXED);
	s.completed = __atomic_load_n(&dev->rstats.completed, __ATOMIC_RELAXED);
	s.failed = __atomic_load_n(&dev->rstats.failed, __ATOMIC_RELAXED);
	s.last_reconnect_ns = dev->rstats.last_reconnect_ns;
	s.gave_up = __atomic_load_n(&dev->rstats.gave_up, __ATOMIC_RELAXED);
	s.last_from_hypercall_ns = dev->rstats.last_from_hypercall_ns;
	/* xenbus's count of the last reconnect (it ends with the callback
	 * that connected the disk). */
	pvk_port_lock((struct pvk_lock *)&dev->lock);
	s.last_xs_requests = dev->xdev ? PVK_READ_ONCE(dev->xdev->resume_xs_requests) : 0;
	pvk_port_unlock((struct pvk_lock *)&dev->lock);
	*out = s;
}
