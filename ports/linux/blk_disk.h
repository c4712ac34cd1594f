/*
 * ports/linux/blk_disk.h - what pvk-blkfront's disks (blk.c) share with
 * their request timeouts (blk_timeout.c): the per-disk, per-queue and
 * per-request state.
 */
#ifndef PVK_LINUX_BLK_DISK_H
#define PVK_LINUX_BLK_DISK_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/list.h>
#include <linux/workqueue.h>

#include <pvkit/blkfront.h>

#include "blk_name.h"

/* Per hardware queue (hctx->driver_data; hardware queue i is the kit's
 * queue i). */
struct blk_hq {
	/* Requests the backend answered here (and the kit's failures), and
	 * the timeouts' test reads answered: the queue's progress. See
	 * blk_queue_rq() and blk_timeout.c. */
	atomic_t completions;
	atomic_t inflight;	/* submitted to the kit, not yet completed */
	/* blk_timeout.c. The timeout (jiffies) of the last request that
	 * asked for a test of this queue: how long the test waits (set
	 * before the ask; never the gendisk's, which does not exist yet
	 * while device_add_disk() scans the partitions). The test reads'
	 * numbers: the last sent, and the last the backend answered while
	 * its tester waited (written by the probe work alone). */
	unsigned long probe_bound;
	unsigned int probes_sent, probe_answered;
};

/* Per request (blk_mq_rq_to_pdu): what the kit holds until done(). */
struct blk_cmd {
	struct pvk_blk_req req;
	blk_status_t status;
	/* For its timeouts (blk_timeout.c): block-layer timeouts while the
	 * kit held it; its queue's requests in flight when it was sent (its
	 * elders), and the queue's completions then and at its last
	 * timeout; the queue's last test read number at its first timeout
	 * (every later one was sent after it); judged stuck (passed over)
	 * by its last timeout. */
	unsigned int timeouts;
	unsigned int ahead;
	unsigned int completions_at_send, completions_seen;
	unsigned int probes_before;
	bool stuck;
	struct pvk_blk_seg seg[];	/* the disk's max_pieces */
};

struct blk_disk {
	struct list_head link;		/* on disks, under disks_lock */
	struct pvk_blkfront *dev;
	struct pvk_linux_blk_name name;
	bool minors_held;		/* name's minors are this disk's */
	bool dead;			/* the kit removed the device */
	bool deleting;			/* delete_disk() took it */
	/* NULL before the disk exists and once it is deleted. */
	struct gendisk *gd;
	struct blk_mq_tag_set tags;
	struct blk_hq *hqs;
	unsigned int max_pieces;	/* pieces a request's seg[] holds */
	struct work_struct delete_work;
	struct work_struct probe_work;	/* pvk_linux_blk_probe_work() */
	atomic_t probing;		/* probe_work queued or running */
	/* Bit q: a request on queue q timed out with nothing answered there
	 * meanwhile: test it (the kit has at most 8 queues); give_up: one
	 * there is stuck (blk_timeout.c): break the disk. */
	unsigned long probe_queues;
	unsigned long give_up;
};

/* The driver's work queues (blk.c): deletions; the timeouts' tests (on
 * their own: a deletion waiting for disks_lock on the reclaim rescuer
 * must not hold up the test that ends a partition scan holding it). */
extern struct workqueue_struct *pvk_linux_blk_wq;
extern struct workqueue_struct *pvk_linux_blk_probe_wq;

/* blk_timeout.c: blk-mq's .timeout, and the work item it queues. */
enum blk_eh_timer_return pvk_linux_blk_timeout(struct request *rq);
void pvk_linux_blk_probe_work(struct work_struct *w);

#endif /* PVK_LINUX_BLK_DISK_H */
