/*
 * pvkit/blkfront.h - the PV block frontend: the block interface a host
 * kernel uses for the virtual disks (vbd devices) the toolstack gave it.
 *
 * The kit finds each device/vbd/N on xenbus, negotiates with the
 * backend (blkback), and once the backend is Connected the disk can be
 * read and written here. Requests are asynchronous: pvk_blkfront_submit()
 * queues one on a shared ring and returns; its done() callback runs once
 * with the status. At most pvk_blkfront_info()->depth requests are
 * outstanding per queue; past that submit says -PVK_XEN_EAGAIN (wait for a
 * completion, pvk_blkfront_wait_slot(), then submit again).
 * pvk_blkfront_rw_sync() does one request and waits for it (bounded), for
 * simple kernels.
 *
 * Protocol negotiated with the backend (each can be switched off, see
 * pvk_blkfront_option()): multi-page rings (ring-page-order), multi-queue
 * (multi-queue-num-queues, keys under queue-N/), persistent grants
 * (feature-persistent), indirect descriptors
 * (feature-max-indirect-segments), cache flush (feature-flush-cache),
 * write barriers (feature-barrier), discard (feature-discard with its
 * granularity, alignment and secure flag); the disk's sectors,
 * sector-size, physical-sector-size and info (read-only, removable,
 * cdrom); online resize (the backend rewrites sectors while Connected);
 * clean close; disks attached and detached while the guest runs.
 *
 * The backend is untrusted: data goes through whole pages of the kit's
 * (zeroed before each use unless persistently granted, in which case they
 * only ever hold this device's data), never the host's own buffers, so
 * nothing beyond the request is visible to it; each response is copied
 * once and checked against the requests outstanding; one it cannot have
 * sent marks the device broken: a clear log line, every outstanding and
 * future request fails with -PVK_XEN_EIO, and the rest of the guest runs
 * on. A page the backend still maps is never freed or reused.
 *
 * Status values: 0, -PVK_XEN_EIO (backend error or device broken),
 * -PVK_XEN_EOPNOTSUPP (the backend does not offer the operation),
 * -PVK_XEN_ENODEV (the device closed or was removed), -PVK_XEN_EROFS
 * (write or discard on a read-only disk), -PVK_XEN_EINVAL (a request the
 * protocol cannot carry, or outside the disk); from submit also
 * -PVK_XEN_ENOMEM (no memory or grant references for its pages with
 * nothing else outstanding on the queue; with requests outstanding that
 * is -PVK_XEN_EAGAIN).
 */
#ifndef PVKIT_BLKFRONT_H
#define PVKIT_BLKFRONT_H

#include <pvkit/types.h>
#include <pvkit/xen/io/blkif.h>	/* PVK_VDISK_*: info->vdisk_info bits */

struct pvk_blkfront;

enum pvk_blk_op {
	PVK_BLK_READ,
	PVK_BLK_WRITE,
	PVK_BLK_FLUSH,		/* the backend's write cache to stable storage */
	PVK_BLK_WRITE_BARRIER,	/* a write ordered after all before it */
	PVK_BLK_DISCARD,	/* the range's data is no longer needed */
};

/* One piece of a scatter-gather request: any address, len a multiple of
 * 512 bytes (and the pieces together of the disk's sector size). */
struct pvk_blk_seg {
	void *buf;
	size_t len;
};

#define PVK_BLK_REQ_SECURE	(1u << 0)	/* discard: erase securely */
/* More requests follow on this queue at once: queue this one on the ring
 * without telling the backend yet; the next submit without it (even one
 * refused), pvk_blkfront_kick(), or a submit refused with -PVK_XEN_EAGAIN
 * pushes them all with at most one notification. */
#define PVK_BLK_REQ_MORE	(1u << 1)

/*
 * One request, owned by the host until done() ran.
 *
 * Data (read, write, write barrier): either one buffer (buf, len; sg NULL)
 * or nr_sg pieces (sg; buf NULL, len ignored). The total must be a
 * multiple of the disk's sector size and fit in one protocol request
 * (pvk_blkfront_fits(), at most info->max_bytes); hosts split larger I/O.
 * Flush takes neither data nor sector. Discard takes sector and len (bytes,
 * a multiple of the sector size), no data; flags PVK_BLK_REQ_SECURE asks
 * for a secure erase (only if info->discard_secure).
 *
 * queue: which of the device's queues carries it, taken modulo
 * info->nr_queues (a host passes its CPU number, for example).
 */
struct pvk_blk_req {
	enum pvk_blk_op op;
	uint64_t sector;		/* in 512-byte units, as the protocol */
	void *buf;
	size_t len;
	const struct pvk_blk_seg *sg;
	unsigned int nr_sg;
	unsigned int flags;		/* PVK_BLK_REQ_* */
	unsigned int queue;
	/* Runs once, in event-handler context (must not sleep) or inside
	 * pvk_blkfront_poll() / the caller of a function that failed the
	 * device (submit, rw_sync), or in xenstore-watch context when the
	 * disk closes or is detached (-PVK_XEN_ENODEV). */
	void (*done)(struct pvk_blk_req *req, int status);
	void *arg;			/* the host's */
};

struct pvk_blkfront_info {
	unsigned int vdev;		/* the xenbus id: 51712 is xvda */
	uint64_t sectors;		/* size in 512-byte sectors */
	unsigned int sector_size;	/* logical: the unit of every request */
	unsigned int physical_sector_size;
	unsigned int vdisk_info;	/* PVK_VDISK_*: read-only, removable, cdrom */
	bool flush;			/* feature-flush-cache negotiated */
	bool barrier;			/* feature-barrier negotiated */
	bool discard;			/* feature-discard negotiated */
	bool discard_secure;
	unsigned int discard_granularity;	/* bytes (0: none stated) */
	unsigned int discard_alignment;		/* bytes */
	bool persistent;		/* feature-persistent negotiated */
	unsigned int indirect_segments;	/* 0: no indirect descriptors */
	unsigned int ring_pages;	/* per queue: 1 << ring-page-order */
	unsigned int nr_queues;
	unsigned int depth;		/* requests outstanding at most, per queue */
	unsigned int max_segments;	/* pages one request can carry */
	size_t max_bytes;		/* max_segments pages */
};

struct pvk_blkfront_stats {
	uint64_t requests;		/* ring requests sent to the backend */
	uint64_t segments;		/* data pages they carried */
	uint64_t indirect;		/* of them, indirect requests */
	uint64_t grants;		/* grants issued (data, indirect pages) */
	uint64_t grants_reused;		/* persistent grants used again */
	uint64_t notify_sent;		/* event channel sends */
	uint64_t notify_recv;		/* events received */
	uint64_t responses;
	uint64_t errors;		/* responses with an error status */
	uint64_t eagain;		/* submits refused: queue full, or no pages or grants */
};

/*
 * Suspend and resume (`xl save`, `xl restore`, `xl save -c`; see
 * pvkit/suspend.h): blkfront takes part by itself once pvk_blkfront_init()
 * ran. As the suspend starts, nothing new goes on a ring: submit says
 * -PVK_XEN_EAGAIN and pvk_blkfront_wait_slot() waits (bounded, its own
 * timeout) until the device is back; requests in flight stay the host's
 * and are not failed. Resumed in a new domain (a new backend), the device
 * reconnects through xenbus, learns the new backend's features again
 * (queues, ring, indirect segments, persistent grants, flush, barrier,
 * discard) and requeues every request of before that had not completed,
 * in the order it was issued, split again into as many ring requests as
 * the new backend needs (done() runs once, when all of them are over, with
 * the first error); info changes to the new backend's (a host splitting
 * by info->max_bytes reads it again). A write the old backend had done but
 * whose answer was lost is written again: the same data to the same
 * sectors, harmless on a disk. A disk whose size or sector size changed
 * across the restore is refused (logged): its requests fail with
 * -PVK_XEN_EIO, the rest of the guest goes on; so does a new backend
 * refused for any other reason (then submits say -PVK_XEN_ENODEV), and a
 * host's break (pvk_blkfront_break, a timeout of rw_sync) during the
 * reconnect fails them with -PVK_XEN_EIO at once. The reconnect is
 * bounded by the host's waits (wait_slot returns its timeout while the
 * device is not back, or 0 once the deadline gave the device up) and by
 * its own deadline: not Connected again
 * PVK_BLKFRONT_RESUME_TIMEOUT_NS after the resume, the device is marked
 * broken (logged), every request it kept fails with -PVK_XEN_ENODEV and
 * later submits say -PVK_XEN_EIO; seen at the host's next poll, at a
 * wait of wait_slot or rw_sync (which wait no longer than the deadline,
 * a wait begun before the resume armed it included: the resume wakes it
 * to cap again; and give up one already passed at once), or at the
 * backend's next
 * change; never inside a submit (it says -PVK_XEN_EAGAIN until then: no
 * done() of other requests runs from submit). Once Connected, the
 * deadline is over: the requeue is bounded by its own waits. A wait of wait_slot that a suspend fell
 * inside gets its whole timeout again from when it ran out (the
 * downtime is not counted against the backend); rw_sync's deadline
 * moves on by the time the suspends took (pvkit/suspend.h,
 * pvk_suspend_parts_out_ns()) and, once, by a reconnect still under way
 * when it passes: bounded under periodic checkpoints. While reconnecting,
 * info->nr_queues keeps its old value until the new queues are up.
 * Cancelled (a checkpoint): the same backend and rings go on. Not for the
 * Linux modules (ports/linux), where Linux's xenbus owns suspend.
 */
#define PVK_BLKFRONT_RESUME_TIMEOUT_NS	(30ULL * 1000 * 1000 * 1000)
struct pvk_blkfront_resume_stats {
	uint64_t resumes;		/* reconnects begun in a new domain */
	uint64_t cancelled;		/* suspends that were cancelled */
	uint64_t requeued;		/* requests (pieces) of before requeued */
	uint64_t split;			/* of them, split again */
	uint64_t pieces;		/* ring requests the requeued ones made */
	uint64_t completed;		/* requeued host requests done() ran for */
	uint64_t failed;		/* ... of them with an error */
	uint64_t last_reconnect_ns;	/* resume to Connected again, guest clock */
	uint64_t gave_up;		/* reconnects past their deadline: broken */
	/* The last reconnect: from the suspend hypercall's return (kit
	 * clock) to Connected again, and the xenstore requests the device's
	 * reconnect made (pvkit/xenbus.h). */
	uint64_t last_from_hypercall_ns;
	uint64_t last_xs_requests;
};
void pvk_blkfront_get_resume_stats(const struct pvk_blkfront *dev,
				   struct pvk_blkfront_resume_stats *out);

/*
 * Host hooks (all optional), called from xenstore-watch context:
 * added      a disk is connected and usable (at boot or hot-attached)
 * resized    the backend changed the disk's size (info already updated)
 * removed    the disk closed: its requests fail with -PVK_XEN_ENODEV; the
 *            structure stays valid (the host may still hold it)
 */
struct pvk_blkfront_hooks {
	void (*added)(struct pvk_blkfront *dev);
	void (*resized)(struct pvk_blkfront *dev, uint64_t old_sectors);
	void (*removed)(struct pvk_blkfront *dev);
};

/*
 * Switches from the host's command line, before pvk_blkfront_init():
 * name is the part after "blkfront." (the host strips it), value a
 * decimal number:
 *   persistent=0|1      feature-persistent (default 1)
 *   indirect=N          indirect segments asked for, 0 = off (default 256)
 *   queues=N            queues asked for, 1 = single queue (default 4)
 *   ring_order=N        ring-page-order asked for, 0 = one page (default 4;
 *                       Linux's blkfront asks 0. blkback's connect, at boot
 *                       and after every restore, allocates 32 requests of
 *                       264 small allocations each per ring page and
 *                       queue: 16 pages cost it 16 times one page's; a
 *                       host that wants the fastest reconnect asks 0)
 *   flush=0|1  barrier=0|1  discard=0|1   use the feature if offered
 * Returns 0, or -PVK_XEN_EINVAL for an unknown name or a bad value (the
 * host should say so: a switch silently ignored tests nothing).
 */
int pvk_blkfront_option(const char *name, const char *value);

/* Registers the vbd driver with xenbus (once; later calls return 0). */
int pvk_blkfront_init(const struct pvk_blkfront_hooks *hooks);

/*
 * Waits (bounded, running xenstore watches) until disk vdev is connected.
 * -PVK_XEN_ETIMEDOUT when it is not by then. A disk of that number whose
 * backend never connected it (stuck in InitWait, say) is then given up:
 * logged, closed toward the backend, its grants ended (but a page the
 * backend maps); *out is that device (the host may release it once the
 * toolstack removed it), or NULL when none was given up.
 *
 * The give-up changes the device as its xenbus callbacks do, so it runs
 * in the watch worker role (pvk_xenbus_worker_enter(), taken here, at
 * most PVK_XS_TIMEOUT_NS: the callbacks of another CPU return first) and
 * decides there: a disk connected meanwhile is returned (0); nothing is
 * given up when the role could not be had (logged) or when the disk's own
 * callback is running (the host waits from a hook that callback called).
 * Any thread may call it, holding the role or not (on a host with several
 * threads per CPU: see pvk_xenbus_worker_enter()).
 *
 * How long it takes, at most: timeout_ns; plus the watch callbacks it
 * runs meanwhile (it delivers them, and each is bounded by its own
 * waits); plus, once timeout_ns has run out, PVK_XS_TIMEOUT_NS waiting
 * for the role and the give-up's Closed write (xenstore requests, each
 * bounded by PVK_XS_TIMEOUT_NS, retried on conflict a bounded number of
 * times). The host calls again to give up a disk the role kept it from.
 */
int pvk_blkfront_wait_connected(unsigned int vdev, uint64_t timeout_ns,
				struct pvk_blkfront **out);

const struct pvk_blkfront_info *pvk_blkfront_info(const struct pvk_blkfront *dev);
/* Whether req's data fits one protocol request on dev. */
bool pvk_blkfront_fits(const struct pvk_blkfront *dev, const struct pvk_blk_req *req);

/* 0: queued, done() will run. Else nothing was queued and done() will
 * not run: -PVK_XEN_EAGAIN (queue full, or a suspend or the reconnect
 * after it under way), or a status as above. */
int pvk_blkfront_submit(struct pvk_blkfront *dev, struct pvk_blk_req *req);

/* Pushes requests queued with PVK_BLK_REQ_MORE on queue (modulo
 * nr_queues) to the backend, notifying it if it asks to be. */
void pvk_blkfront_kick(struct pvk_blkfront *dev, unsigned int queue);

/* Processes responses now, on every queue (a host polling with events
 * masked). */
void pvk_blkfront_poll(struct pvk_blkfront *dev);

/* Processes one queue's responses now (queue modulo nr_queues), the
 * others left alone: a host whose request on that queue went unanswered
 * too long collects an answer whose event was lost. */
void pvk_blkfront_poll_queue(struct pvk_blkfront *dev, unsigned int queue);

/* One request on queue 0, waited for (at most timeout_ns, plus the time
 * suspends took meanwhile, plus once the reconnect's wait (at most
 * timeout_ns, capped by the reconnect's deadline) when one is under way
 * as it runs out (see "Suspend and resume" above); then the device is
 * marked broken and the request failed). Returns its status, or
 * -PVK_XEN_ENOMEM (no memory for its record, on the heap so that a piece
 * the break could not end never writes into a returned call's frame).
 * Thread context. */
int pvk_blkfront_rw_sync(struct pvk_blkfront *dev, enum pvk_blk_op op,
			 uint64_t sector, void *buf, size_t len,
			 uint64_t timeout_ns);
/* The same on the given queue (modulo nr_queues): whether that queue's
 * ring still answers. Unanswered in time, the whole device is broken (a
 * backend that lets one queue hang is not trusted with the others) and
 * every request it holds, on any queue, fails. */
int pvk_blkfront_rw_sync_queue(struct pvk_blkfront *dev, unsigned int queue,
			       enum pvk_blk_op op, uint64_t sector, void *buf,
			       size_t len, uint64_t timeout_ns);

/* Waits (bounded) until queue (modulo nr_queues) can take a request: a
 * free slot, and, if the last refusal was for want of pages or grants,
 * one of the requests outstanding then completed; during a suspend and
 * the reconnect after it, until the device is back. */
int pvk_blkfront_wait_slot(struct pvk_blkfront *dev, unsigned int queue,
			   uint64_t timeout_ns);

/* The device's statistics, summed over its queues, or one queue's (set
 * up now). They go on across a resume: never back to 0, and a queue a
 * new backend no longer uses still counts in the sum. */
void pvk_blkfront_get_stats(const struct pvk_blkfront *dev,
			    struct pvk_blkfront_stats *out);
int pvk_blkfront_get_queue_stats(const struct pvk_blkfront *dev,
				 unsigned int queue,
				 struct pvk_blkfront_stats *out);
/* Marks the device broken for the host's reason (logged with it), as a
 * misbehaving backend would: every request it holds, on every queue,
 * fails with -PVK_XEN_EIO, and so does every later one. For a host that
 * judged the backend dead (a request unanswered too long). Thread or
 * process context. */
void pvk_blkfront_break(struct pvk_blkfront *dev, const char *why);
/* Whether the device was marked broken (a misbehaving backend). */
bool pvk_blkfront_broken(const struct pvk_blkfront *dev);
/* Grants the device holds now (rings, persistent and in-flight pages). */
unsigned int pvk_blkfront_grants_held(const struct pvk_blkfront *dev);

/* Frees a removed device (after its removed hook ran and the host is done
 * with it: no submit or wait on it running or to come). -PVK_XEN_EBUSY,
 * and nothing freed, while it is still on xenbus, or a callback of it is
 * under way (watches run inside it removed it), or a grant of it is live
 * (the backend is not yet Closed, or kept a page mapped: each call tries
 * again to end those grants, and the device stays, as its pages must,
 * until the backend has let go of every one). Without it a detached disk's
 * structure, queues and slot pages stay allocated.
 * It unlinks the device from the list a hot-plugged disk's probe links
 * into, so it decides in the watch worker role (taken here; nested when
 * called from a hook inside a callback): -PVK_XEN_EBUSY too, nothing
 * changed, when that role could not be had within PVK_XS_TIMEOUT_NS
 * (logged). Every -PVK_XEN_EBUSY means "call again later". */
int pvk_blkfront_release(struct pvk_blkfront *dev);

#endif /* PVKIT_BLKFRONT_H */
