/*
 * ports/linux/blk_timeout.c - pvk-blkfront's request timeouts: what a
 * request unanswered for the disk's io_timeout tells of its backend, and
 * what is done about it (blk-mq's .timeout, and the work item it queues).
 *
 * At each timeout of a request (blk-mq's timeout work, process context):
 *  1. its queue's ring is polled: an answer already there whose event was
 *     lost (or is late) completes the request now;
 *  2. progress is judged over the request's own last period, as long as
 *     the timeout: did its queue complete anything (a test read included)
 *     since this request's deadline was last armed? Not since the last
 *     look of any request: blk-mq times out a disk's requests back to
 *     back, and a backend saturated by slow I/O answers far less often
 *     than that;
 *  3. after STUCK_TIMEOUTS periods the request is stuck if requests sent
 *     after it were answered before it: its queue answered more since it
 *     was sent than it had elders then (one per CPU allowed for, as CPUs
 *     sending at once may miss one another), or a test read sent after
 *     its first timeout was answered (counted apart, no allowance: it
 *     was sent after the request by construction). The backend passed it
 *     over, the disk is broken (pvk_blkfront_break);
 *  4. otherwise, with progress, the backend works through its queue (slow
 *     or saturated, not dead): we wait on, for as long as it keeps
 *     answering in order;
 *  5. without progress the queue is tested, in a work item (it sleeps):
 *     one read of the first sector is sent there, and if within one more
 *     timeout nothing on that queue is answered (the read or anything
 *     else), the backend is taken for dead and the disk broken. A full
 *     ring is no sign of death: an answer to anything in it frees a slot
 *     and counts as one. A test read sent after the request's first
 *     timeout and answered passes it over (3.).
 * A broken disk fails every request the kit holds with an I/O error, and
 * every later one, for good; the grants of requests the backend may still
 * map are not ended by force (the kit keeps their pages). So nothing waits
 * on a backend for ever: a silent one is given up after two timeouts, one
 * that drops a request after STUCK_TIMEOUTS even on an idle queue (the
 * test read sent at its first timeout is answered: passed over; its
 * second timeout sees that answer as progress, its third gives it up),
 * a slow one is waited for as long as it answers something every
 * timeout, in order.
 *
 * None of this touches the gendisk: a disk's first request is the
 * partition scan that device_add_disk() runs (in xenwatch, the worker
 * role and disks_lock held) before the gendisk is d->gd; its timeouts
 * must end it like any other's.
 */
#define pr_fmt(fmt) "pvk-blkfront: " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <pvkit/xen/errno.h>

#include "blk_disk.h"

#define STUCK_TIMEOUTS	3
/* How often a test waiting for answers looks at its queue's progress. */
#define PROBE_LOOK	(HZ / 10)

/* A test read of one queue. Freed by the last of the tester and the kit's
 * done(): the read may be answered after the tester stopped waiting. */
struct blk_probe {
	struct pvk_blk_req req;
	wait_queue_head_t wq;
	refcount_t refs;
	bool answered;
	int status;
	char data[];		/* one logical sector */
};

static void probe_put(struct blk_probe *p)
{
	if (refcount_dec_and_test(&p->refs))
		kfree(p);
}

/* The kit's done(): its event handler, a poll, or where the device failed. */
static void probe_done(struct pvk_blk_req *req, int status)
{
	struct blk_probe *p = req->arg;

	p->status = status;
	smp_store_release(&p->answered, true);
	wake_up(&p->wq);
	probe_put(p);
}

static bool queue_moved(struct blk_hq *hq, unsigned int since)
{
	return (unsigned int)atomic_read(&hq->completions) != since;
}

/* Sends p on queue q; 0, or why not (-PVK_XEN_EAGAIN: the ring stayed
 * full and nothing there was answered, or something was: see moved). */
static int probe_send(struct blk_disk *d, unsigned int q, struct blk_probe *p,
		      unsigned int since, unsigned long end)
{
	struct blk_hq *hq = &d->hqs[q];
	unsigned long now;
	int rc;

	for (;;) {
		/* done() may run before the submit returns: its reference. */
		refcount_set(&p->refs, 2);
		rc = pvk_blkfront_submit(d->dev, &p->req);
		if (rc != -PVK_XEN_EAGAIN)
			break;
		refcount_set(&p->refs, 1);	/* not sent: no done() */
		now = jiffies;		/* once: the check and the rest agree */
		if (queue_moved(hq, since) || !time_before(now, end) ||
		    pvk_blkfront_wait_slot(d->dev, q, jiffies_to_nsecs(end - now)))
			break;
	}
	if (rc && rc != -PVK_XEN_EAGAIN)
		refcount_set(&p->refs, 1);
	return rc;
}

/*
 * Whether queue q still answers: a read of the first sector sent there;
 * within one timeout of the disk, that read or anything else on the queue
 * answered means alive (the request that timed out waits on), nothing
 * means dead: the disk is broken.
 */
static void probe_queue(struct blk_disk *d, unsigned int q)
{
	struct blk_hq *hq = &d->hqs[q];
	unsigned int size = pvk_blkfront_info(d->dev)->sector_size;
	/* The asking request's timeout (set before its bit): never the
	 * gendisk's, which a partition scan's request may have none of. */
	unsigned long bound = READ_ONCE(hq->probe_bound);
	unsigned long end = jiffies + bound;
	unsigned int since = atomic_read(&hq->completions);
	unsigned int seq;
	struct blk_probe *p;
	char why[128];
	bool answered;
	int rc;

	p = kzalloc(struct_size(p, data, size), GFP_NOIO);
	if (!p)
		return;		/* the request's next timeout tests again */
	p->req.op = PVK_BLK_READ;
	p->req.buf = p->data;
	p->req.len = size;
	p->req.queue = q;
	p->req.done = probe_done;
	p->req.arg = p;
	init_waitqueue_head(&p->wq);
	/* Numbered before it is sent: a request whose first timeout saw the
	 * number before this one was sent before this read (see
	 * pvk_linux_blk_timeout()). Only this work writes it. */
	seq = hq->probes_sent + 1;
	WRITE_ONCE(hq->probes_sent, seq);
	smp_mb();	/* the number before the send */
	rc = probe_send(d, q, p, since, end);
	while (!rc && !smp_load_acquire(&p->answered) && !queue_moved(hq, since) &&
	       !pvk_blkfront_broken(d->dev) && time_before(jiffies, end))
		wait_event_timeout(p->wq, smp_load_acquire(&p->answered),
				   min_t(unsigned long, PROBE_LOOK, end - jiffies));
	answered = !rc && smp_load_acquire(&p->answered);
	if (pvk_blkfront_broken(d->dev) || (rc && rc != -PVK_XEN_EAGAIN) ||
	    (answered && p->status == -PVK_XEN_ENODEV)) {
		/* Broken meanwhile (said where), or gone (the read failed by
		 * the kit as the disk closed: no answer of the backend). */
	} else if (answered) {
		/* The answer before the count that makes it progress: a
		 * timeout that sees the progress sees the answer. */
		WRITE_ONCE(hq->probe_answered, seq);
		smp_mb__before_atomic();
		atomic_inc(&hq->completions);	/* an answer on q: progress */
		pr_warn("%s: queue %u answers (a test read: %d): its request waits on\n",
			d->name.name, q, p->status);
	} else if (queue_moved(hq, since)) {
		pr_warn("%s: queue %u answers other requests%s: its request waits on\n",
			d->name.name, q, rc ? " (its ring full)" : " (a test read outstanding)");
	} else {
		snprintf(why, sizeof(why), "queue %u answered nothing for %u ms, %s", q,
			 jiffies_to_msecs(bound),
			 rc ? "its ring full and no slot freed" : "a test read sent there included");
		/* Fails p too, if it was sent. */
		pvk_blkfront_break(d->dev, why);
		pr_err("%s: %s: disk broken, all its I/O fails from now on\n", d->name.name, why);
	}
	probe_put(p);
}

/* Whether a request on queue q that its timeout judged stuck is still in
 * flight (it may have been answered since its timeout said so). */
struct stuck_look {
	unsigned int queue;
	bool found;
	unsigned int timeouts;
};

static bool stuck_request(struct request *rq, void *data)
{
	struct stuck_look *l = data;
	struct blk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (rq->mq_hctx->queue_num == l->queue &&
	    blk_mq_rq_state(rq) == MQ_RQ_IN_FLIGHT && READ_ONCE(cmd->stuck)) {
		l->found = true;
		l->timeouts = READ_ONCE(cmd->timeouts);
		return false;
	}
	return true;
}

static void give_up_queue(struct blk_disk *d, unsigned int q)
{
	struct stuck_look look = { .queue = q };
	char why[96];

	/* Deletion cancels this work before it frees the tags. */
	blk_mq_tagset_busy_iter(&d->tags, stuck_request, &look);
	if (!look.found)
		return;	/* answered since */
	/* The count is the request's own: how long the give-up took. */
	snprintf(why, sizeof(why), "a request on queue %u stuck for %u block-layer timeouts", q,
		 look.timeouts);
	pvk_blkfront_break(d->dev, why);
	pr_err("%s: %s: disk broken, all its I/O fails from now on\n", d->name.name, why);
}

void pvk_linux_blk_probe_work(struct work_struct *w)
{
	struct blk_disk *d = container_of(w, struct blk_disk, probe_work);
	unsigned long queues;
	unsigned int q;

	for (;;) {
		queues = xchg(&d->probe_queues, 0);
		for_each_set_bit(q, &queues, BITS_PER_LONG) {
			if (pvk_blkfront_broken(d->dev))
				break;
			if (test_and_clear_bit(q, &d->give_up))
				give_up_queue(d, q);
			else
				probe_queue(d, q);
		}
		atomic_set(&d->probing, 0);
		/* A timeout that set its bit after our xchg but saw probing
		 * still set queued nothing: take it now. */
		smp_mb__after_atomic();
		if (!READ_ONCE(d->probe_queues) || atomic_xchg(&d->probing, 1))
			break;
	}
}

enum blk_eh_timer_return pvk_linux_blk_timeout(struct request *rq)
{
	struct blk_disk *d = rq->q->queuedata;
	struct blk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct blk_hq *hq = rq->mq_hctx->driver_data;
	unsigned int q = rq->mq_hctx->queue_num;	/* = cmd->req.queue */
	unsigned int now, since_sent;
	bool progress, overtaken, probe_passed, stuck;
	const char *what;

	/* blk-mq's timeout work holds a reference on rq and runs one at a
	 * time per disk: the kit's done() may complete rq in here. */
	pvk_blkfront_poll_queue(d->dev, q);
	if (blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT) {
		pr_warn_ratelimited("%s: request (op %u, queue %u) answered meanwhile (its event late or lost); completed by polling\n",
				    d->name.name, req_op(rq), q);
		return BLK_EH_DONE;
	}
	/* The test this timeout may ask for waits as long as rq did. */
	WRITE_ONCE(hq->probe_bound, rq->timeout);
	/* At the first timeout: every test read numbered later is sent
	 * after rq (rq's queue_rq submitted it right after arming the
	 * deadline that has now passed). */
	if (!cmd->timeouts)
		cmd->probes_before = READ_ONCE(hq->probes_sent);
	now = atomic_read(&hq->completions);
	smp_rmb();	/* the count, then the answer it may stand for */
	progress = now != cmd->completions_seen;
	cmd->completions_seen = now;
	since_sent = now - cmd->completions_at_send;
	/* More answered than were ahead of it: later ones went first. CPUs
	 * sending on one queue at once may miss one another in ahead (see
	 * blk_queue_rq()): one each is allowed for. */
	overtaken = since_sent > cmd->ahead + nr_cpu_ids - 1;
	/* A test read sent after it was answered while it was not: passed
	 * over for certain (no allowance). On an idle queue it is the only
	 * thing that can pass it over. */
	probe_passed = (int)(READ_ONCE(hq->probe_answered) - cmd->probes_before) > 0;
	WRITE_ONCE(cmd->timeouts, cmd->timeouts + 1);
	stuck = cmd->timeouts >= STUCK_TIMEOUTS && (overtaken || probe_passed);
	if (stuck) {
		/* The mark before the give-up bit: the work's look
		 * (stuck_request) must see it. */
		WRITE_ONCE(cmd->stuck, true);
		smp_mb__before_atomic();
		set_bit(q, &d->give_up);
	}
	what = stuck ? "requests sent after it were answered first: giving the disk up" :
	       progress ? "its queue answers meanwhile: waiting on" :
			  "nothing answered on its queue meanwhile: testing it";
	pr_warn_ratelimited("%s: request (op %u, sector %llu, queue %u) unanswered for %u ms (%u times; %u answered there since it was sent, %u were ahead of it); %s\n",
			    d->name.name, req_op(rq), (unsigned long long)blk_rq_pos(rq), q,
			    jiffies_to_msecs(rq->timeout), cmd->timeouts, since_sent, cmd->ahead,
			    what);
	if (progress && !stuck)
		return BLK_EH_RESET_TIMER;
	smp_mb__before_atomic();
	set_bit(q, &d->probe_queues);
	smp_mb__after_atomic();	/* the bit before the look: see pvk_linux_blk_probe_work() */
	if (!atomic_xchg(&d->probing, 1))
		queue_work(pvk_linux_blk_probe_wq, &d->probe_work);
	return BLK_EH_RESET_TIMER;
}
