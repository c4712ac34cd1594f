/*
 * frontends/blkfront/blkfront_sync.c - the bounded waits a simple host
 * uses: for a free slot on a queue, and for one whole request on a given
 * queue (pvk_blkfront_rw_sync_queue; a host's test whether that queue
 * still answers). A backend that does not answer in time is no
 * longer trusted: the device is marked broken and its I/O failed, so a
 * late answer can never land in memory that was given back.
 */
#include <pvkit/log.h>
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
 * break a disk whose backend did nothing wrong. So a wait that ran out
 * after a suspend began during it gets its whole timeout once more, from
 * now (once per suspend: still bounded). True when that is the case.
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
	struct sync_req sr = {
		.req = { .op = op, .sector = sector, .buf = buf, .len = len,
			 .queue = queue, .done = sync_done },
	};
	/* One deadline for the whole call, as the header promises: waiting
	 * for a slot (perhaps more than once, other submitters racing us)
	 * and then for the answer share timeout_ns. */
	unsigned int gen = __atomic_load_n(&dev->suspends, __ATOMIC_ACQUIRE);
	uint64_t deadline = deadline_from_now(timeout_ns);
	int rc;

	sr.req.arg = &sr;
	while ((rc = pvk_blkfront_submit(dev, &sr.req)) == -PVK_XEN_EAGAIN) {
		if (pvk_blkfront_wait_slot(dev, queue, time_left(deadline))) {
			if (suspended_meanwhile(dev, &gen)) {
				deadline = deadline_from_now(timeout_ns);
				continue;
			}
			blkfront_break(dev, "backend did not free a slot in time (queue, timeout ms)",
				       queue, timeout_ns / 1000000);
			return -PVK_XEN_EIO;
		}
	}
	if (rc)
		return rc;
	while (blkfront_wait_capped(dev, sync_finished, &sr, time_left(deadline))) {
		if (suspended_meanwhile(dev, &gen)) {
			deadline = deadline_from_now(timeout_ns);
			continue;
		}
		/* Fails sr too, on a ring or in the list of requests of
		 * before a restore: its callback has run when this returns
		 * (sr lives on this stack). A requeue under way in the watch
		 * worker sees the break and ends it: waited for, bounded. */
		blkfront_break(dev, "backend did not answer in time (queue, timeout ms)",
			       queue, timeout_ns / 1000000);
		if (pvk_port_wait_until(&dev->wait, sync_finished, &sr, BREAK_END_WAIT_NS)) {
			pvk_err("blkfront: %s: a request still not ended %llu ms after the break: its buffer and record are lost to the device",
				dev->name, (unsigned long long)(BREAK_END_WAIT_NS / 1000000));
			return -PVK_XEN_EIO;
		}
		break;
	}
	return sr.status;
}
