/*
 * ports/linux/blk.c - pvk-blkfront's block devices: one blk-mq gendisk per
 * virtual disk the kit's blkfront connected (pvkit/blkfront.h).
 *
 * Life of a disk. The kit's hooks run in Linux's xenwatch thread: added
 * creates the gendisk with the backend's geometry and features (named as
 * Linux names it, blk_name.c, under a dynamic major); resized sets the new
 * capacity; removed makes the disk's I/O fail at once (the kit already
 * failed what was in flight) and deletes the gendisk from a work item, as
 * del_gendisk() sleeps until its users let go and xenwatch should not wait
 * for them. The kit's device is released once the kit lets it go (it is
 * off xenbus and the backend maps none of its pages): retried for a while
 * after the removal, and at module exit, where a refusal is logged loudly.
 *
 * Requests. Hardware queue i feeds the kit's queue i (Linux makes at most
 * as many hardware queues as asked, nr_queues). A request becomes one
 * struct pvk_blk_req in the request's own driver data: its pieces are the
 * request's bio_vecs, contiguous ones merged (the kit copies the data into
 * pages of its own that it grants, so any lowmem piece of a multiple of 512
 * bytes will do). The queue limits make every request fit one protocol
 * request (max_hw_sectors = the kit's max_bytes); one that does not anyway
 * is failed with a log line, never sent.
 *
 * Back-pressure. A submit refused with -EAGAIN (no slot or no page free on
 * the kit's queue: requests are outstanding there) stops the hardware
 * queue; the next completion on it starts it again. A completion counter
 * read before the submit closes the window between the refusal and the
 * stop: a completion in it is seen by the submitter, or sees the stop.
 *
 * Timeouts. A request unanswered for the disk's io_timeout (the block
 * layer's 30 s, or the io_timeout module parameter) is judged by
 * blk_timeout.c: an answer whose event was lost is collected, a backend
 * that keeps answering is waited for, a dead one or one that passed over
 * a request is given up (the disk broken, its I/O failed).
 */
#define pr_fmt(fmt) "pvk-blkfront: " fmt

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/hdreg.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <pvkit/blkfront.h>
#include <pvkit/xen/errno.h>

#include "blk.h"
#include "blk_disk.h"
#include "port_linux.h"

/* The kit is handed page_address() of bio pages: every page must have one. */
#ifdef CONFIG_HIGHMEM
#error "pvk-blkfront needs every page in the kernel's direct map (no HIGHMEM)"
#endif

#define BLK_MAJOR_NAME		"pvk-xvd"
/* After a removal, the kit's device is released once the kit lets it go:
 * tried every second for this many seconds (then at module exit). */
#define RELEASE_TRIES		60
/* At module exit, how long each backend gets to close (the kit gives what
 * is in flight 5 s of it). */
#define CLOSE_TIMEOUT_NS	(10ULL * NSEC_PER_SEC)

static int blk_major;
static LIST_HEAD(disks);
static DEFINE_MUTEX(disks_lock);	/* the list, and each disk's fields */
static bool exiting;			/* under disks_lock: no new disk */
struct workqueue_struct *pvk_linux_blk_wq;
struct workqueue_struct *pvk_linux_blk_probe_wq;
static void release_work_fn(struct work_struct *w);
/* On system_wq, not our queues: it waits for the worker role, which
 * xenwatch may hold while it waits on their items (a re-attach's flush of
 * delete_work, a partition scan needing probe_work); on a queue's one
 * rescuer under memory pressure those would queue behind it: deadlock.
 * For the same reason probe_work has a queue of its own: a delete_work
 * on the rescuer waits for disks_lock, which xenwatch holds through a
 * partition scan that only a probe_work can end. */
static DECLARE_DELAYED_WORK(release_work, release_work_fn);
static unsigned int release_tries;	/* under disks_lock */
static unsigned int io_timeout_ms;	/* module parameter; 0: the block layer's */

/* ---- Status ------------------------------------------------------------ */

/* The kit's statuses are Xen's errno values (Linux's numbers). */
static blk_status_t blk_status(int status)
{
	switch (status) {
	case 0:
		return BLK_STS_OK;
	case -PVK_XEN_EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	case -PVK_XEN_ENODEV:		/* the disk closed or was detached */
		return BLK_STS_OFFLINE;
	case -PVK_XEN_ENOMEM:
		return BLK_STS_RESOURCE;
	default:			/* -EIO, -EROFS, -EINVAL */
		return BLK_STS_IOERR;
	}
}

/* ---- Completion -------------------------------------------------------- */

/*
 * The kit's done(): in its event handler (hard irq), or in the thread that
 * failed the device. The request's slot and pages on the kit's queue are
 * free already, so a stopped hardware queue may go again.
 */
static void blk_done(struct pvk_blk_req *req, int status)
{
	struct request *rq = req->arg;
	struct blk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	struct blk_hq *hq = hctx->driver_data;

	cmd->status = blk_status(status);
	/* Counted before it leaves inflight: a sender that counts it among
	 * its elders (blk_queue_rq()) counts its completion too, or had it
	 * in its baseline. */
	atomic_inc(&hq->completions);
	smp_mb__after_atomic();
	atomic_dec(&hq->inflight);
	/* The count before the look at the stop bit: pairs with the barrier
	 * after blk_queue_rq()'s stop. */
	smp_mb__after_atomic();
	if (test_bit(BLK_MQ_S_STOPPED, &hctx->state))
		blk_mq_start_stopped_hw_queue(hctx, true);
	/* Last: once completed, the disk may be deleted and hq freed. */
	blk_mq_complete_request(rq);
}

static void blk_complete(struct request *rq)
{
	struct blk_cmd *cmd = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, cmd->status);
}

/* ---- Submission -------------------------------------------------------- */

/* The request's data as the kit's pieces; BLK_STS_OK or why not. */
static blk_status_t map_data(struct blk_disk *d, struct request *rq,
			     struct blk_cmd *cmd)
{
	struct pvk_blk_req *req = &cmd->req;
	struct req_iterator it;
	struct bio_vec bv;
	unsigned int n = 0;

	rq_for_each_bvec(bv, rq, it) {
		char *va = (char *)page_address(bv.bv_page) + bv.bv_offset;

		if (n && (char *)cmd->seg[n - 1].buf + cmd->seg[n - 1].len == va) {
			cmd->seg[n - 1].len += bv.bv_len;
			continue;
		}
		if (n == d->max_pieces) {
			pr_err_ratelimited("%s: request at sector %llu has more than %u pieces: failed, not sent\n",
					   d->name.name, (unsigned long long)blk_rq_pos(rq),
					   d->max_pieces);
			return BLK_STS_IOERR;
		}
		cmd->seg[n].buf = va;
		cmd->seg[n].len = bv.bv_len;
		n++;
	}
	req->sg = cmd->seg;
	req->nr_sg = n;
	/* The queue limits make this hold; a request past them is never
	 * sent (the kit would refuse it too, less clearly). */
	if (!n || !pvk_blkfront_fits(d->dev, req)) {
		pr_err_ratelimited("%s: request of %u bytes in %u pieces at sector %llu does not fit one protocol request: failed, not sent\n",
				   d->name.name, blk_rq_bytes(rq), n,
				   (unsigned long long)blk_rq_pos(rq));
		return BLK_STS_IOERR;
	}
	return BLK_STS_OK;
}

static blk_status_t build(struct blk_disk *d, struct request *rq,
			  struct blk_cmd *cmd, unsigned int queue, bool last)
{
	struct pvk_blk_req *req = &cmd->req;

	memset(req, 0, sizeof(*req));
	req->sector = blk_rq_pos(rq);
	req->queue = queue;
	req->done = blk_done;
	req->arg = rq;
	/* Not the last of a batch: the kit queues it without notifying;
	 * the last one, or commit_rqs, pushes them all. */
	if (!last)
		req->flags |= PVK_BLK_REQ_MORE;
	switch (req_op(rq)) {
	case REQ_OP_READ:
		req->op = PVK_BLK_READ;
		return map_data(d, rq, cmd);
	case REQ_OP_WRITE:
		req->op = PVK_BLK_WRITE;
		return map_data(d, rq, cmd);
	case REQ_OP_FLUSH:
		req->op = PVK_BLK_FLUSH;
		req->sector = 0;
		return BLK_STS_OK;
	case REQ_OP_SECURE_ERASE:
		req->flags |= PVK_BLK_REQ_SECURE;
		fallthrough;
	case REQ_OP_DISCARD:
		req->op = PVK_BLK_DISCARD;
		req->len = blk_rq_bytes(rq);
		return BLK_STS_OK;
	default:
		/* Not advertised by the queue (write zeroes, zones, ...). */
		return BLK_STS_NOTSUPP;
	}
}

static blk_status_t blk_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct blk_disk *d = hctx->queue->queuedata;
	struct blk_hq *hq = hctx->driver_data;
	struct request *rq = bd->rq;
	struct blk_cmd *cmd = blk_mq_rq_to_pdu(rq);
	blk_status_t st;
	int completed, rc;

	st = build(d, rq, cmd, hctx->queue_num, bd->last);
	if (st)
		return st;
	cmd->timeouts = 0;
	cmd->stuck = false;
	blk_mq_start_request(rq);
	/* Its elders, then the completions (fully ordered after the count:
	 * see blk_done()), for its timeouts (blk_timeout.c). The
	 * completions are read before the submit: a completion after a
	 * refusal changes them. */
	cmd->ahead = atomic_inc_return(&hq->inflight) - 1;
	completed = atomic_read(&hq->completions);
	cmd->completions_at_send = cmd->completions_seen = completed;
	rc = pvk_blkfront_submit(d->dev, &cmd->req);
	if (!rc)
		return BLK_STS_OK;
	atomic_dec(&hq->inflight);
	if (rc == -PVK_XEN_EAGAIN) {
		/* The kit pushed what it queued; a completion restarts us. */
		blk_mq_stop_hw_queue(hctx);
		smp_mb();	/* the stop before the reads: see blk_done() */
		if (atomic_read(&hq->completions) != completed) {
			blk_mq_start_stopped_hw_queue(hctx, true);
		} else if (!atomic_read(&hq->inflight)) {
			/* Nothing outstanding here to complete (the kit says
			 * -EAGAIN only when something is): blk-mq retries
			 * after a delay rather than wait for ever. */
			blk_mq_start_hw_queue(hctx);
			return BLK_STS_RESOURCE;
		}
		return BLK_STS_DEV_RESOURCE;
	}
	if (rc == -PVK_XEN_ENOMEM)
		return BLK_STS_RESOURCE;	/* nothing outstanding: retried later */
	if (rc != -PVK_XEN_ENODEV)
		pr_err_ratelimited("%s: request (op %u, sector %llu, %u bytes) refused: %d\n",
				   d->name.name, req_op(rq), (unsigned long long)blk_rq_pos(rq),
				   blk_rq_bytes(rq), rc);
	return blk_status(rc);
}

/* The last of a batch was not sent (refused, or blk-mq stopped early):
 * push what was queued with PVK_BLK_REQ_MORE. */
static void blk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct blk_disk *d = hctx->queue->queuedata;

	pvk_blkfront_kick(d->dev, hctx->queue_num);
}

static int blk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int index)
{
	struct blk_disk *d = data;

	hctx->driver_data = &d->hqs[index];
	return 0;
}

static const struct blk_mq_ops blk_mq_ops = {
	.queue_rq = blk_queue_rq,
	.commit_rqs = blk_commit_rqs,
	.complete = blk_complete,
	.timeout = pvk_linux_blk_timeout,
	.init_hctx = blk_init_hctx,
};

/* A geometry for tools that still ask (fdisk): LBA's usual 255/63. */
static int blk_getgeo(struct block_device *bdev, struct hd_geometry *geo)
{
	sector_t cylinders = get_capacity(bdev->bd_disk);

	geo->heads = 255;
	geo->sectors = 63;
	sector_div(cylinders, 255 * 63);
	geo->cylinders = cylinders > 0xffff ? 0xffff : (unsigned short)cylinders;
	return 0;
}

static const struct block_device_operations blk_fops = {
	.owner = THIS_MODULE,
	.getgeo = blk_getgeo,
};

/* ---- Disks ------------------------------------------------------------- */

static struct blk_disk *find_disk(struct pvk_blkfront *dev)
{
	struct blk_disk *d;

	list_for_each_entry(d, &disks, link)
		if (d->dev == dev)
			return d;
	return NULL;
}

/* The disk holding one of name's minors, or NULL. Under disks_lock. */
static struct blk_disk *minors_holder(const struct pvk_linux_blk_name *name)
{
	struct blk_disk *d;

	list_for_each_entry(d, &disks, link)
		if (d->minors_held &&
		    name->first_minor < d->name.first_minor + d->name.minors &&
		    d->name.first_minor < name->first_minor + name->minors)
			return d;
	return NULL;
}

static void set_limits(struct request_queue *q, const struct pvk_blkfront_info *info)
{
	unsigned int discard_max;

	blk_queue_logical_block_size(q, info->sector_size);
	blk_queue_physical_block_size(q, info->physical_sector_size);
	/* Every request fits one protocol request: at most max_bytes (the
	 * kit packs pieces into whole pages), in at most max_segments
	 * pieces (what each request's seg[] holds). */
	blk_queue_max_hw_sectors(q, info->max_bytes >> SECTOR_SHIFT);
	blk_queue_max_segments(q, info->max_segments);
	blk_queue_max_segment_size(q, info->max_bytes);
	/* Pieces start on 512-byte boundaries (so their lengths, merged or
	 * split at pages, stay 512-byte multiples). */
	blk_queue_dma_alignment(q, 511);
	blk_queue_flag_set(QUEUE_FLAG_VIRT, q);
	/* No FUA in the protocol: Linux follows a FUA write with a flush. */
	blk_queue_write_cache(q, info->flush, false);
	if (info->discard) {
		/* The kit carries a discard's length in bytes: whole logical
		 * sectors that fit Linux's 32-bit request size. */
		discard_max = round_down(UINT_MAX >> SECTOR_SHIFT,
					 info->sector_size >> SECTOR_SHIFT);
		q->limits.discard_granularity = info->discard_granularity ?
			info->discard_granularity : info->sector_size;
		q->limits.discard_alignment = info->discard_alignment;
		blk_queue_max_discard_sectors(q, discard_max);
		if (info->discard_secure)
			blk_queue_max_secure_erase_sectors(q, discard_max);
	}
}

/* The gendisk for d, added. Under disks_lock. */
static int create_disk(struct blk_disk *d, const struct pvk_blkfront_info *info)
{
	struct gendisk *gd;
	int rc;

	d->hqs = kcalloc(info->nr_queues, sizeof(*d->hqs), GFP_KERNEL);
	if (!d->hqs)
		return -ENOMEM;
	d->max_pieces = info->max_segments;
	d->tags.ops = &blk_mq_ops;
	d->tags.nr_hw_queues = info->nr_queues;
	d->tags.queue_depth = info->depth;
	d->tags.numa_node = NUMA_NO_NODE;
	d->tags.cmd_size = struct_size((struct blk_cmd *)NULL, seg, d->max_pieces);
	d->tags.flags = BLK_MQ_F_SHOULD_MERGE;
	d->tags.driver_data = d;
	rc = blk_mq_alloc_tag_set(&d->tags);
	if (rc)
		goto free_hqs;
	gd = blk_mq_alloc_disk(&d->tags, d);
	if (IS_ERR(gd)) {
		rc = PTR_ERR(gd);
		goto free_tags;
	}
	gd->major = blk_major;
	gd->first_minor = d->name.first_minor;
	gd->minors = d->name.minors;
	gd->fops = &blk_fops;
	gd->private_data = d;
	if (d->name.minors == 1)
		gd->flags |= GENHD_FL_NO_PART;	/* the vbd is one partition */
	if (info->vdisk_info & PVK_VDISK_REMOVABLE)
		gd->flags |= GENHD_FL_REMOVABLE;
	strscpy(gd->disk_name, d->name.name, DISK_NAME_LEN);
	set_limits(gd->queue, info);
	if (io_timeout_ms)
		blk_queue_rq_timeout(gd->queue, msecs_to_jiffies(io_timeout_ms));
	set_capacity(gd, READ_ONCE(info->sectors));
	set_disk_ro(gd, info->vdisk_info & PVK_VDISK_READONLY);
	rc = device_add_disk(NULL, gd, NULL);
	if (rc) {
		put_disk(gd);
		goto free_tags;
	}
	d->gd = gd;
	return 0;

free_tags:
	blk_mq_free_tag_set(&d->tags);
free_hqs:
	kfree(d->hqs);
	d->hqs = NULL;
	return rc;
}

/*
 * Deletes d's gendisk if it has one and no one else is deleting it (thread
 * context; takes disks_lock). gd stays set until the end: the kit's device
 * is not released while a request may still be on its way to it.
 */
static void delete_disk(struct blk_disk *d)
{
	struct pvk_blkfront_stats st;
	struct gendisk *gd;

	mutex_lock(&disks_lock);
	gd = d->deleting ? NULL : d->gd;
	d->deleting = true;
	mutex_unlock(&disks_lock);
	if (!gd)
		return;
	/* Waits for the requests in flight (the kit answers or fails each)
	 * and leaves the queue failing any new one. */
	del_gendisk(gd);
	/* No request left to time out: no probe queued after this one. */
	cancel_work_sync(&d->probe_work);
	blk_mq_free_tag_set(&d->tags);
	put_disk(gd);
	kfree(d->hqs);
	/* Before gd is cleared: from then on a release may free d->dev and d
	 * at any moment (release_deleted()). */
	pvk_blkfront_get_stats(d->dev, &st);
	pr_info("%s: deleted; it sent %llu requests (%llu pages, %llu indirect), %llu grants (%llu reused), %llu notifications (%llu received), %llu errors, %llu submits refused for back-pressure\n",
		d->name.name, st.requests, st.segments, st.indirect, st.grants,
		st.grants_reused, st.notify_sent, st.notify_recv, st.errors, st.eagain);
	mutex_lock(&disks_lock);
	d->hqs = NULL;
	d->minors_held = false;
	d->gd = NULL;		/* the last access to d */
	mutex_unlock(&disks_lock);
}

/* Frees the kit's devices of deleted disks that the kit lets go; final:
 * also those it refuses, loudly (module exit). A release unlinks the
 * device from the kit's list, which the kit's probe changes from xenwatch:
 * called in the kit's worker role (pvk_linux_xenbus_enter, taken before
 * disks_lock, the order xenwatch's hooks take them in), then disks_lock.
 * Returns how many are still held. */
static unsigned int release_deleted(bool final)
{
	struct blk_disk *d, *next;
	unsigned int held = 0;
	int rc;

	list_for_each_entry_safe(d, next, &disks, link) {
		unsigned int vdev;

		if (d->gd || (!d->dead && !final))
			continue;
		vdev = pvk_blkfront_info(d->dev)->vdev;	/* freed by a release */
		rc = pvk_blkfront_release(d->dev);
		if (rc && !final) {
			held++;
			continue;
		}
		if (!rc)
			pr_info("%s: released (vbd %u)\n", d->name.name, vdev);
		else
			pr_err("%s (vbd %u): NOT released (%d): the backend still maps %u grants of it (or its event channel would not close); its pages stay allocated for good\n",
			       d->name.name, vdev, rc, pvk_blkfront_grants_held(d->dev));
		list_del(&d->link);
		kfree(d);
	}
	return held;
}

static void release_work_fn(struct work_struct *w)
{
	/* A release walks the kit's device list, which a probe (xenwatch)
	 * changes: in the worker role, as a xenbus callback would. */
	pvk_linux_xenbus_enter();
	mutex_lock(&disks_lock);
	if (release_deleted(false) && !exiting && ++release_tries < RELEASE_TRIES)
		queue_delayed_work(system_wq, &release_work, HZ);
	mutex_unlock(&disks_lock);
	pvk_linux_xenbus_leave();
}

static void delete_work_fn(struct work_struct *w)
{
	struct blk_disk *d = container_of(w, struct blk_disk, delete_work);

	delete_disk(d);
	mutex_lock(&disks_lock);
	release_tries = 0;
	if (!exiting)
		mod_delayed_work(system_wq, &release_work, 0);
	mutex_unlock(&disks_lock);
}

/* ---- The kit's hooks (xenwatch) ---------------------------------------- */

static void blk_added(struct pvk_blkfront *dev)
{
	const struct pvk_blkfront_info *info = pvk_blkfront_info(dev);
	struct blk_disk *d, *old;
	int rc;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		pr_err("vbd %u: no memory: no disk\n", info->vdev);
		return;
	}
	d->dev = dev;
	INIT_WORK(&d->delete_work, delete_work_fn);
	INIT_WORK(&d->probe_work, pvk_linux_blk_probe_work);
	if (pvk_linux_blk_name(info->vdev, &d->name)) {
		pr_err("vbd %u: not a disk number Linux names (use xvd names): no disk\n",
		       info->vdev);
		/* minors 0: no disk; the name is for the log. */
		memset(&d->name, 0, sizeof(d->name));
		snprintf(d->name.name, sizeof(d->name.name), "vbd-%u", info->vdev);
	}
	mutex_lock(&disks_lock);
	/* Listed even without a disk: its kit device is released with the
	 * others. */
	list_add_tail(&d->link, &disks);
	if (exiting || !d->name.minors) {
		mutex_unlock(&disks_lock);
		return;
	}
	/* The same vdev detached a moment ago and attached again: its old
	 * disk's deletion is queued or under way (it is dead: its I/O fails
	 * at once, nothing there waits for xenwatch). Waited for, so the new
	 * disk gets the name. The old one cannot be freed meanwhile: that
	 * takes the worker role, which this hook holds. */
	old = minors_holder(&d->name);
	if (old && old->dead) {
		mutex_unlock(&disks_lock);
		flush_work(&old->delete_work);
		mutex_lock(&disks_lock);
		if (exiting) {
			mutex_unlock(&disks_lock);
			return;
		}
	}
	if (minors_holder(&d->name)) {
		pr_err("%s (vbd %u): its minors %u..%u belong to another disk: no disk\n",
		       d->name.name, info->vdev, d->name.first_minor,
		       d->name.first_minor + d->name.minors - 1);
		mutex_unlock(&disks_lock);
		return;
	}
	d->minors_held = true;
	rc = create_disk(d, info);
	if (rc) {
		d->minors_held = false;
		pr_err("%s (vbd %u): cannot create the disk: %d\n", d->name.name, info->vdev, rc);
	} else {
		pr_info("%s: vbd %u, %llu sectors of 512 bytes, sector size %u/%u, %u queues of depth %u, requests of at most %zu bytes%s%s%s\n",
			d->name.name, info->vdev, (unsigned long long)info->sectors,
			info->sector_size, info->physical_sector_size, info->nr_queues,
			info->depth, info->max_bytes,
			(info->vdisk_info & PVK_VDISK_READONLY) ? ", read-only" : "",
			info->flush ? ", flush" : "", info->discard ? ", discard" : "");
	}
	mutex_unlock(&disks_lock);
}

static void blk_resized(struct pvk_blkfront *dev, uint64_t old_sectors)
{
	u64 sectors = READ_ONCE(pvk_blkfront_info(dev)->sectors);
	struct blk_disk *d;

	mutex_lock(&disks_lock);
	d = find_disk(dev);
	if (d && d->gd && !d->dead && !d->deleting) {
		pr_info("%s: resized from %llu to %llu sectors\n", d->name.name,
			(unsigned long long)old_sectors, (unsigned long long)sectors);
		set_capacity_and_notify(d->gd, sectors);
	}
	mutex_unlock(&disks_lock);
}

/* The kit failed what was in flight and fails every new request. */
static void blk_removed(struct pvk_blkfront *dev)
{
	struct blk_disk *d;

	mutex_lock(&disks_lock);
	d = find_disk(dev);
	if (d && !d->dead) {
		d->dead = true;
		if (d->gd) {
			pr_info("%s: the backend closed or the disk was detached: its I/O fails from now on\n",
				d->name.name);
			/* New I/O fails before it reaches us; a queue stopped
			 * for back-pressure runs and fails its requests. */
			blk_mark_disk_dead(d->gd);
			blk_mq_start_stopped_hw_queues(d->gd->queue, true);
			if (!exiting)
				queue_work(pvk_linux_blk_wq, &d->delete_work);
		} else if (!exiting) {
			mod_delayed_work(system_wq, &release_work, 0);
		}
	}
	mutex_unlock(&disks_lock);
}

/*
 * A kit device left xenbus (pvk-xen's hook, worker role held, after the
 * kit's remove). One the added hook never saw (it never connected) is
 * listed now, as a disk without a gendisk, and released like the others:
 * at once if the kit lets it go, else by the retries or at module exit.
 */
static void blk_left(void *priv)
{
	struct pvk_blkfront *dev = priv;
	unsigned int vdev = pvk_blkfront_info(dev)->vdev;
	struct blk_disk *d;

	mutex_lock(&disks_lock);
	if (find_disk(dev)) {
		mutex_unlock(&disks_lock);
		return;
	}
	if (!pvk_blkfront_release(dev)) {
		mutex_unlock(&disks_lock);
		pr_info("vbd %u (never connected): released\n", vdev);
		return;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		mutex_unlock(&disks_lock);
		pr_err("vbd %u (never connected): NOT released (the backend still maps %u grants of it), and no memory to try again: its pages stay allocated for good\n",
		       vdev, pvk_blkfront_grants_held(dev));
		return;
	}
	d->dev = dev;
	d->dead = true;
	INIT_WORK(&d->delete_work, delete_work_fn);
	snprintf(d->name.name, sizeof(d->name.name), "vbd-%u", vdev);
	list_add_tail(&d->link, &disks);
	if (!exiting)
		mod_delayed_work(system_wq, &release_work, HZ);
	mutex_unlock(&disks_lock);
}

const struct pvk_blkfront_hooks pvk_linux_blk_hooks = {
	.added = blk_added,
	.resized = blk_resized,
	.removed = blk_removed,
};

/* ---- Module ------------------------------------------------------------ */

int pvk_linux_blk_init(unsigned int io_timeout)
{
	int rc;

	io_timeout_ms = io_timeout;
	pvk_linux_blk_wq = alloc_workqueue("pvk-blkfront", WQ_MEM_RECLAIM, 0);
	if (!pvk_linux_blk_wq)
		return -ENOMEM;
	pvk_linux_blk_probe_wq = alloc_workqueue("pvk-blkfront-probe", WQ_MEM_RECLAIM, 0);
	if (!pvk_linux_blk_probe_wq) {
		rc = -ENOMEM;
		goto free_wq;
	}
	blk_major = register_blkdev(0, BLK_MAJOR_NAME);
	if (blk_major < 0) {
		rc = blk_major;
		goto free_probe_wq;
	}
	rc = pvk_linux_xenbus_set_left_hook("vbd", blk_left);
	if (!rc)
		return 0;
	unregister_blkdev(blk_major, BLK_MAJOR_NAME);
free_probe_wq:
	destroy_workqueue(pvk_linux_blk_probe_wq);
free_wq:
	destroy_workqueue(pvk_linux_blk_wq);
	return rc;
}

void pvk_linux_blk_exit(bool driver_registered)
{
	struct blk_disk *d;
	int rc;

	mutex_lock(&disks_lock);
	exiting = true;		/* no disk created, no work queued from now */
	mutex_unlock(&disks_lock);
	cancel_delayed_work_sync(&release_work);
	flush_workqueue(pvk_linux_blk_wq);
	/* Nothing has them open (they hold this module): deleting them
	 * while their devices still work writes back whatever is cached. */
	for (;;) {
		mutex_lock(&disks_lock);
		list_for_each_entry(d, &disks, link)
			if (d->gd && !d->deleting)
				break;
		mutex_unlock(&disks_lock);
		if (list_entry_is_head(d, &disks, link))
			break;
		delete_disk(d);
	}
	/* Each device is closed with its backend (the kit ends its grants
	 * once the backend is Closed), then unbound. */
	rc = driver_registered ?
		pvk_linux_xenbus_unregister_class("vbd", CLOSE_TIMEOUT_NS) : 0;
	if (rc)
		pr_err("the vbd driver would not unregister (%d): its devices stay\n", rc);
	flush_workqueue(pvk_linux_blk_wq);
	pvk_linux_xenbus_set_left_hook("vbd", NULL);
	pvk_linux_xenbus_enter();
	mutex_lock(&disks_lock);
	release_deleted(true);
	mutex_unlock(&disks_lock);
	pvk_linux_xenbus_leave();
	unregister_blkdev(blk_major, BLK_MAJOR_NAME);
	/* Every disk is deleted, which cancelled its probe_work. */
	destroy_workqueue(pvk_linux_blk_probe_wq);
	destroy_workqueue(pvk_linux_blk_wq);
}
