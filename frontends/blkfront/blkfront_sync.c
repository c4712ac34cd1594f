/*
 * frontends/blkfront/blkfront_sync.c - the bounded waits a simple host
 * uses: for a free slot on a queue, and for one whole request on a given
 * queue (pvk_blkfront_rw_sync_queue; a host's test whether that queue
 * still answers). A backend that does not answer in time is no
 * longer trusted: the device is marked broken and its I/O failed, so a
 * late answer can never land in memory that was given back.
 */
#include <pvkit/log.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

struct slot_wait {
	struct pvk_blkfront *dev;
	unsigned int queue;		/* the host's number */
};

/* How long a break may take to end a request a requeue holds. */
#define BREAK_END_WAIT_NS	(5ULL * 1000 * 1000 * 1000)

/*
 * A wait that a suspend fell inside counts the domain's downtime and the
 * reconnect on the guest's clock: a host timeout shorter than that would
 * break a disk whose backend did nothing wrong. wait_slot's wait that ran
 * out after a suspend began during it gets its whole timeout once more,
 * from now (once per call). True when that is the case.
 */
static bool suspended_meanwhile(struct pvk_blkfront *dev, unsigned int *gen)
{
	unsigned int now = __atomic_load_n(&dev->suspends, __ATOMIC_ACQUIRE);

	if (now == *gen)
		return false;
	*gen = now;
	return true;
}

static uint64_t deadline_from_now(uint64_t timeout_ns)
{
	uint64_t start = pvk_time_now_ns();

	return start + timeout_ns < start ? UINT64_MAX : start + timeout_ns;
}

static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = pvk_time_now_ns();

	return now < deadline ? deadline - now : 0;
}

/* Suspended or reconnecting: until the device is back, or given up. */
static bool device_back(void *arg)
{
	struct pvk_blkfront *dev = arg;

	return !PVK_READ_ONCE(dev->quiesced) || PVK_READ_ONCE(dev->broken) ||
	       PVK_READ_ONCE(dev->gone);
}

static bool slot_free(void *arg)
{
	struct slot_wait *w = arg;
	struct blkfront_queue *q;
	bool ok;

	if (PVK_READ_ONCE(w->dev->broken) || PVK_READ_ONCE(w->dev->quiesced) ||
	    !PVK_READ_ONCE(w->dev->connected))
		return true;
	/* The queue of now (a resume may have changed how many there are;
	 * the array stays): one not live lets the submit say why. */
	q = blkfront_queue_of(w->dev, w->queue);
	pvk_port_lock(&q->lock);
	ok = !q->live || (q->outstanding < w->dev->info.depth && !PVK_RING_FULL(&q->ring) &&
			  !q->starved);
	pvk_port_unlock(&q->lock);
	return ok;
}

int pvk_blkfront_wait_slot(struct pvk_blkfront *dev, unsigned int queue,
			   uint64_t timeout_ns)
{
	struct slot_wait w = { .dev = dev, .queue = queue };
	unsigned int gen = __atomic_load_n(&dev->suspends, __ATOMIC_ACQUIRE);
	uint64_t deadline = deadline_from_now(timeout_ns);
	int rc;

	/* A suspend or the reconnect after it first (the queues may be
	 * gone and come back others), then a slot on the queue of now. */
	if (PVK_READ_ONCE(dev->quiesced)) {
		/* No longer than the reconnect's own deadline: past it the
		 * device is given up (broken) and the wait is over. */
		rc = blkfront_wait_capped(dev, device_back, dev, timeout_ns);
		if (rc)
			return rc;
	}
	if (!dev->queues || !PVK_READ_ONCE(dev->info.nr_queues))
		return 0;	/* the next submit says why */
	/* Whatever is queued must reach the backend, or nothing frees. */
	pvk_blkfront_kick(dev, queue);
	rc = pvk_port_wait_until(&dev->wait, slot_free, &w, time_left(deadline));
	if (rc && suspended_meanwhile(dev, &gen))
		rc = pvk_port_wait_until(&dev->wait, slot_free, &w, timeout_ns);
	return rc;
}

/*
 * rw_sync's record lives on the heap (review s12 N4): a request the break
 * could not end in time may still be named by a piece being requeued, and
 * its done() would write into the frame of a call that has returned. The
 * state says who frees it: the caller when done() ran first, done() when
 * the caller gave up on it first (exchanged atomically, each sees the
 * other's mark).
 */
enum { SYNC_WAITING, SYNC_DONE, SYNC_ABANDONED };

struct sync_req {
	struct pvk_blk_req req;
	int status;
	int state;			/* SYNC_* (atomic) */
};

static void sync_done(struct pvk_blk_req *req, int status)
{
	struct sync_req *sr = req->arg;

	sr->status = status;
	if (__atomic_exchange_n(&sr->state, SYNC_DONE, __ATOMIC_ACQ_REL) == SYNC_ABANDONED)
		pvk_port_free(sr);	/* its caller is gone */
}

static bool sync_finished(void *arg)
{
	return __atomic_load_n(&((struct sync_req *)arg)->state, __ATOMIC_ACQUIRE) == SYNC_DONE;
}

/*
 * rw_sync's one deadline across suspends (review s12 S3). The time the
 * kit's parts spent quiesced during the call (pvk_suspend_parts_out_ns():
 * the downtime and the quiesce and resume around it) is not the
 * backend's: the deadline moves on by exactly that much. A reconnect
 * after a resume in a new domain still under way when the deadline passes
 * is waited for once per call (bounded by the call's timeout) and moves
 * it by what that took. Under periodic checkpoints (`xl save -c`, Remus)
 * the wait thus still ends once the backend had timeout_ns of the time
 * the guest ran, where restarting the whole timeout at each suspend
 * never ended.
 */
struct sync_deadline {
	uint64_t at;			/* kit clock */
	uint64_t out_seen;		/* pvk_suspend_parts_out_ns() counted */
	uint64_t timeout_ns;
	bool reconnect_waited;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* The wait ran out: true when the deadline moved and is not past. */
static bool deadline_moved(struct pvk_blkfront *dev, struct sync_deadline *d)
{
	uint64_t out = pvk_suspend_parts_out_ns();
	bool moved = false;

	if (out != d->out_seen) {
		d->at = add_sat(d->at, out - d->out_seen);
		d->out_seen = out;
		moved = true;
	}
	if (!d->reconnect_waited && !device_back(dev)) {
		uint64_t t0 = pvk_time_now_ns(), waited, grew;

		d->reconnect_waited = true;
		/* Capped by the reconnect's own deadline (blkfront_suspend.c). */
		(void)blkfront_wait_capped(dev, device_back, dev, d->timeout_ns);
		/* Read again (review s12-revfix SF-3): the suspend may have
		 * gone on meanwhile (its clock jump among it). The two spans
		 * overlap: the deadline moves by the longer. */
		waited = pvk_time_now_ns() - t0;
		out = pvk_suspend_parts_out_ns();
		grew = out - d->out_seen;
		d->out_seen = out;
		d->at = add_sat(d->at, grew > waited ? grew : waited);
		moved = true;
	}
	return moved && time_left(d->at);
}

int pvk_blkfront_rw_sync(struct pvk_blkfront *dev, enum pvk_blk_op op,
			 uint64_t sector, void *buf, size_t len,
			 uint64_t timeout_ns)
{
	return pvk_blkfront_rw_sync_queue(dev, 0, op, sector, buf, len, timeout_ns);
}

int pvk_blkfront_rw_sync_queue(struct pvk_blkfront *dev, unsigned int queue,
			       enum pvk_blk_op op, uint64_t sector, void *buf,
			       size_t len, uint64_t timeout_ns)
{
	/* One deadline for the whole call, as the header promises: waiting
	 * for a slot (perhaps more than once, other submitters racing us)
	 * and then for the answer share timeout_ns. */
	struct sync_deadline d = {
		.at = deadline_from_now(timeout_ns),
		.out_seen = pvk_suspend_parts_out_ns(),
		.timeout_ns = timeout_ns,
	};
	struct sync_req *sr = pvk_port_malloc(sizeof(*sr));
	int rc;

	if (!sr)
		return -PVK_XEN_ENOMEM;
	*sr = (struct sync_req){
		.req = { .op = op, .sector = sector, .buf = buf, .len = len,
			 .queue = queue, .done = sync_done, .arg = sr },
		.state = SYNC_WAITING,
	};
	while ((rc = pvk_blkfront_submit(dev, &sr->req)) == -PVK_XEN_EAGAIN) {
		if (pvk_blkfront_wait_slot(dev, queue, time_left(d.at))) {
			if (deadline_moved(dev, &d))
				continue;
			blkfront_break(dev, "backend did not free a slot in time (queue, timeout ms)",
				       queue, timeout_ns / 1000000);
			pvk_port_free(sr);
			return -PVK_XEN_EIO;
		}
	}
	if (rc) {
		pvk_port_free(sr);	/* refused: done() never runs */
		return rc;
	}
	while (blkfront_wait_capped(dev, sync_finished, sr, time_left(d.at))) {
		if (deadline_moved(dev, &d))
			continue;
		/* Fails sr too, on a ring or in the list of requests of
		 * before a restore: its callback has run when this returns.
		 * A requeue under way in the watch worker sees the break and
		 * ends it: waited for, bounded. */
		blkfront_break(dev, "backend did not answer in time (queue, timeout ms)",
			       queue, timeout_ns / 1000000);
		if (pvk_port_wait_until(&dev->wait, sync_finished, sr, BREAK_END_WAIT_NS) &&
		    __atomic_exchange_n(&sr->state, SYNC_ABANDONED, __ATOMIC_ACQ_REL) !=
		    SYNC_DONE) {
			/* Its done() frees the record, if it ever runs. */
			pvk_err("blkfront: %s: a request still not ended %llu ms after the break: its buffer is lost to the device",
				dev->name, (unsigned long long)(BREAK_END_WAIT_NS / 1000000));
			return -PVK_XEN_EIO;
		}
		break;
	}
	rc = sr->status;
	pvk_port_free(sr);
	return rc;
}
