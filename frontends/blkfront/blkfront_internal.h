/*
 * frontends/blkfront/blkfront_internal.h - what blkfront's files share:
 * the device, its queues (one ring, event channel, lock, page pool and
 * set of slots each), the limits of this implementation, and the
 * functions one file offers the others.
 *
 *   blkfront_options.c  the host's switches (what we ask the backend for)
 *   blkfront_xenbus.c   negotiation and lifecycle, the device list, hooks
 *   blkfront_ring.c     multi-page ring entry access (pure)
 *   blkfront_queue.c    queue setup/teardown, events, checked responses
 *   blkfront_request.c  request building, page pool, indirect, submit
 *   blkfront_sync.c     the bounded waits: rw_sync, wait_slot
 *   blkfront_suspend.c  suspend and resume: quiesce, forget the old rings,
 *                       requeue (split again) what was in flight
 */
#ifndef PVKIT_BLKFRONT_INTERNAL_H
#define PVKIT_BLKFRONT_INTERNAL_H

#include <pvkit/blkfront.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/port.h>
#include <pvkit/xen/io/blkif.h>
#include <pvkit/xenbus.h>

#define BLKFRONT_PAGE		4096u
#define BLKFRONT_SECT		512u

/* Limits of this implementation (what we ask the backend for at most). */
#define BLKFRONT_MAX_INDIRECT		256	/* segments per indirect request */
#define BLKFRONT_MAX_QUEUES		8
#define BLKFRONT_DEFAULT_QUEUES		4
#define BLKFRONT_MAX_RING_ORDER		4	/* 16 pages, as Linux */
#define BLKFRONT_MAX_RING_PAGES		(1u << BLKFRONT_MAX_RING_ORDER)
/* Requests outstanding per queue at most (a ring of 16 pages holds 512):
 * each costs a slot, and the pages it carries. */
#define BLKFRONT_MAX_DEPTH		256
/* Data and indirect pages one queue may hold (allocated as needed; with
 * persistent grants they are granted once and kept until the close).
 * Linux blkback keeps at most 1,056 grants of a ring mapped persistently
 * (its max_persistent_grants); past that it maps and unmaps per request
 * and purges its list, which cost 12x on 4 KiB writes when this was
 * 2,056. So the pool stays under that: three requests of 1 MiB (256
 * data pages and one indirect page each; a fourth would need 1,028). */
#define BLKFRONT_QUEUE_PAGES		1024
/* Segment descriptors in one indirect page. */
#define BLKFRONT_SEGS_PER_INDIRECT_PAGE \
	(BLKFRONT_PAGE / sizeof(struct pvk_blkif_request_segment))

/* What the frontend asks for (blkfront_options.c). */
struct blkfront_options {
	bool persistent;
	unsigned int indirect;		/* 0: no indirect descriptors */
	unsigned int queues;		/* >= 1 */
	unsigned int ring_order;
	bool flush, barrier, discard;
};
extern struct blkfront_options blkfront_opts;
int blkfront_parse_option(struct blkfront_options *opts, const char *name,
			  const char *value);

/* A data or indirect page of a queue's pool. */
struct blkfront_page {
	void *va;
	pvk_grant_ref_t gref;
	bool granted;			/* gref is live (the backend may map it) */
	struct blkfront_page *next;	/* free list, or the slot's chain */
};

/* Page descriptors come a page of them at a time (the kit's heap is for
 * small control structures; a busy queue has hundreds of pages). */
struct blkfront_desc_page {
	struct blkfront_desc_page *next;
	struct blkfront_page d[(BLKFRONT_PAGE - 8) / sizeof(struct blkfront_page)];
};

/*
 * A host request requeued after a resume in pieces (the new backend
 * carries fewer pages per request): done() runs once every piece is over,
 * with the first error. Its pieces all go to the one queue the request
 * names, whose lock guards it.
 */
struct blkfront_split {
	struct pvk_blk_req *req;
	unsigned int left;			/* pieces not yet over */
	int status;				/* the first error, or 0 */
};

/* One outstanding request: its ring id is the slot's id. */
struct blkfront_slot {
	struct pvk_blk_req *req;
	/* What it carries of req: bytes off..off+len of its data (0 and
	 * all of it unless requeued in pieces after a resume), and the
	 * piece's split (NULL: done() runs when this slot is over). */
	size_t off;
	struct blkfront_split *split;
	uint64_t seq;				/* the device's issue order */
	bool replayed;				/* requeued after a resume */
	struct blkfront_page *data;		/* data pages, in order */
	struct blkfront_page *ind;		/* indirect pages, in order */
	size_t len;				/* data bytes, packed from page 0 */
	unsigned int nr_data;			/* data pages */
	uint16_t id;
	bool in_use;				/* reserved by a submit */
	bool sent;				/* on the ring: may be answered */
	uint8_t rsp_op;				/* the operation its answer names */
};

/* Slots live in whole pages too, BLKFRONT_SLOTS_PER_PAGE to a page. */
#define BLKFRONT_SLOTS_PER_PAGE	(BLKFRONT_PAGE / sizeof(struct blkfront_slot))
#define BLKFRONT_SLOT_PAGES \
	((BLKFRONT_MAX_DEPTH + BLKFRONT_SLOTS_PER_PAGE - 1) / BLKFRONT_SLOTS_PER_PAGE)

struct blkfront_queue {
	struct pvk_blkfront *dev;
	unsigned int index;
	struct pvk_lock lock;			/* all below */
	struct pvk_blkif_front_ring ring;	/* sring: page 0 (the header) */
	void *ring_page[BLKFRONT_MAX_RING_PAGES];
	pvk_grant_ref_t ring_ref[BLKFRONT_MAX_RING_PAGES];
	unsigned int ring_granted;		/* ring pages granted */
	bool live;				/* rings up: I/O may use it */
	pvk_evtchn_port_t port;
	bool port_bound;
	/* dev->info.depth slots, in pages. */
	struct blkfront_slot *slot_page[BLKFRONT_SLOT_PAGES];
	/* Free ids, oldest freed first: an id is not used again until every
	 * other free one was (a late answer to an old id stays detectable). */
	uint16_t free_ids[BLKFRONT_MAX_DEPTH];
	unsigned int free_head, free_count;
	struct blkfront_desc_page *desc_pages;	/* kept with the queue */
	struct blkfront_page *spare;		/* unused descriptors */
	unsigned int outstanding;
	bool unpushed;				/* requests not yet pushed */
	struct blkfront_page *pool;		/* free pages */
	unsigned int pool_pages;		/* allocated (free or in use) */
	/* A submit was refused for want of pages or grants (not of a slot)
	 * while requests were outstanding: wait_slot then waits for one of
	 * them to complete, instead of returning at once on a free slot
	 * (the host would spin). Cleared by every completion. */
	bool starved;
	/* Pages whose grants are still to end: of requests failed while the
	 * backend could still map them (ended at teardown, once it is
	 * Closed), and pages it kept mapped (never freed or reused). */
	struct blkfront_page *retired;
	struct pvk_blkfront_stats stats;
};

/* Requests of before a resume, in issue order, waiting to be requeued:
 * a piece (bytes off..off+len) of a host request, with its split. Never
 * more than every slot of every queue. */
struct blkfront_replay {
	struct pvk_blk_req *req;
	struct blkfront_split *split;
	size_t off, len;
	uint64_t seq;
};
#define BLKFRONT_REPLAY_PER_PAGE	(BLKFRONT_PAGE / sizeof(struct blkfront_replay))
#define BLKFRONT_REPLAY_PAGES \
	((BLKFRONT_MAX_QUEUES * BLKFRONT_MAX_DEPTH + BLKFRONT_REPLAY_PER_PAGE - 1) / \
	 BLKFRONT_REPLAY_PER_PAGE)
struct blkfront_replay_page;

struct pvk_blkfront {
	struct pvk_xenbus_device *xdev;		/* NULL once removed */
	char name[32];				/* "device/vbd/51712", for logs */
	pvk_domid_t backend;			/* the backend's domain */
	struct pvk_lock lock;			/* info, state flags */
	struct pvk_blkfront_info info;
	struct pvk_wait wait;			/* completions, state changes */
	/* BLKFRONT_MAX_QUEUES, the first info.nr_queues in use; never freed
	 * before pvk_blkfront_release (blkfront_queues_setup). */
	struct blkfront_queue *queues;
	unsigned int nr_queues_set_up;
	bool connected;				/* I/O may be submitted */
	bool broken;				/* the backend misbehaved */
	bool gone;				/* closed or removed */
	bool connected_once;			/* hooks->added ran */
	bool removed_told;			/* hooks->removed ran */
	unsigned int grants_live;		/* all queues' (atomic) */
	/* xenbus callbacks of the device under way: a nested watch run can
	 * remove it inside one, which still uses it after. Release waits. */
	unsigned int in_callback;
	/* The keys a publication writes (blkfront_xenbus.c), some 9 KiB,
	 * and xenbus's working memory for it: allocated at the first, kept
	 * for the device's life, so that a resume's publication allocates
	 * nothing (its other steps may: see blkfront_suspend.c). */
	struct blkfront_keyset *keyset;
	struct pvk_blkfront *next;
	/* Suspend and resume (blkfront_suspend.c). quiesced: nothing new
	 * goes on a ring (host submits say -EAGAIN, their waits wait) from
	 * the part's quiesce until the resume is over. resuming: a new
	 * domain's reconnect is under way: the requests of before wait in
	 * replay (issue order) to be requeued once the backend is
	 * Connected. */
	bool quiesced;
	bool resuming;
	unsigned int issuing;			/* blkfront_issue()s under way (atomic) */
	unsigned int suspends;			/* quiesces so far (atomic): host waits */
	unsigned int replay_next;		/* first entry not yet taken (dev->lock) */
	uint64_t seq;				/* next slot's issue number */
	struct blkfront_replay_page *replay[BLKFRONT_REPLAY_PAGES];
	unsigned int replay_n;			/* entries in replay[] */
	uint64_t resume_t0;			/* the resume's start, guest clock */
	bool resume_gave_up;			/* its deadline passed (atomic, once) */
	/* The deadline runs from the resume until the backend is Connected
	 * (the requeue after that is bounded by its own wait) (dev->lock). */
	bool resume_deadline_armed;
	/* Deadlines that started running (dev->lock; read atomically): a
	 * capped wait begun before one re-caps (blkfront_wait_capped). */
	unsigned int deadline_gen;
	struct pvk_blkfront_resume_stats rstats;
};

struct blkfront_replay_page {
	struct blkfront_replay e[BLKFRONT_REPLAY_PER_PAGE];
};

/* blkfront_ring.c: entries of a ring over separate pages (pure). */
/* Our keys and Initialised in one transaction (blkfront_xenbus.c); one
 * of the same device nested inside it: -PVK_XEN_EBUSY, nothing written. */
int blkfront_publish(struct pvk_blkfront *dev, unsigned int order);
void blkfront_ring_put_request(void *const *pages, uint32_t nr_ents,
			       uint32_t idx, const struct pvk_blkif_request *rq);
void blkfront_ring_get_response(void *const *pages, uint32_t nr_ents,
				uint32_t idx, struct pvk_blkif_response *rsp);
/* The backend's side, for tests: */
void blkfront_ring_get_request(void *const *pages, uint32_t nr_ents,
			       uint32_t idx, struct pvk_blkif_request *rq);
void blkfront_ring_put_response(void *const *pages, uint32_t nr_ents,
				uint32_t idx, const struct pvk_blkif_response *rsp);
uint32_t blkfront_ring_entries(unsigned int nr_pages);

/* blkfront_queue.c */
/* A piece of a request is over with status (the queue's lock held): true
 * when the host's done() is now due, with *status its final one (a split's
 * first error); the split is freed then. Counts a requeued one. */
bool blkfront_piece_over_locked(struct pvk_blkfront *dev, struct blkfront_split *split,
				bool replayed, int *status);
/* Allocates and grants the rings, binds the event channels: nr_queues
 * queues of ring_pages pages each (depth from the ring size). */
int blkfront_queues_setup(struct pvk_blkfront *dev, unsigned int nr_queues,
			  unsigned int ring_pages);
/* After the backend is Closed (or never saw the rings): ends every grant,
 * frees what it can; what the backend still maps is kept and logged. */
void blkfront_queues_teardown(struct pvk_blkfront *dev);
void blkfront_queues_free(struct pvk_blkfront *dev);
/* Its rings forgotten (a new domain): the queue as new, in place, with
 * its lock, descriptors and (zeroed) slot pages kept. q->lock held. */
void blkfront_queue_reset_locked(struct blkfront_queue *q);
/* After teardown: ends the grants of kept pages the backend let go since. */
void blkfront_queues_retry_kept(struct pvk_blkfront *dev);
/* Once torn down (the backend is Closed): ends the grants of what a submit
 * that lost the race with teardown put on the retired list, as teardown
 * would have. Unlocked. */
void blkfront_end_retired_if_down(struct blkfront_queue *q);
/* Fails everything sent with status, keeping the grants (retired) until
 * teardown; the device takes no new I/O. */
void blkfront_fail_all(struct pvk_blkfront *dev, int status);
/* Marks the device broken (once, logged) and fails all its I/O with -EIO. */
void blkfront_break(struct pvk_blkfront *dev, const char *why,
		    unsigned long long v1, unsigned long long v2);
void blkfront_break_locked(struct blkfront_queue *q, const char *why,
			   unsigned long long v1, unsigned long long v2);
/* Consumes the queue's responses; true if there were any. */
bool blkfront_process(struct blkfront_queue *q);
/* The response check, pure: 0 or the complaint (logged by the caller). */
const char *blkfront_check_response(const struct blkfront_queue *q,
				    const struct pvk_blkif_response *rsp);
/* Pushes requests not yet pushed, notifying if the backend asks. Locked. */
bool blkfront_push_locked(struct blkfront_queue *q);
void blkfront_notify(struct blkfront_queue *q);

/* blkfront_request.c */
/*
 * Puts bytes off..off+len of req's data (all of a flush or discard) on its
 * queue's ring as one request: the body of pvk_blkfront_submit() after its
 * checks. split: the piece's (NULL for a whole request). replay: a request
 * of before a resume, which goes on while the device is quiesced, is
 * pushed at once and is counted when it completes. Same returns as submit.
 */
int blkfront_issue(struct pvk_blkfront *dev, struct pvk_blk_req *req, size_t off,
		   size_t len, struct blkfront_split *split, bool replay);
/* The most bytes one ring request of op carries on dev now. */
size_t blkfront_max_bytes(const struct pvk_blkfront *dev, enum pvk_blk_op op);
/* What dev offers for req's op, vdisk_info as the caller read it: 0,
 * -EROFS (a write or discard on a read-only disk) or -EOPNOTSUPP (flush,
 * barrier or discard not negotiated); other ops 0. Used at submit and
 * again for each request replayed on a new backend after a resume. */
int blkfront_op_offered(const struct pvk_blkfront *dev, const struct pvk_blk_req *req,
			unsigned int vdisk_info);
/* Whether op carries data pages (read, write, write barrier). */
bool blkfront_data_op(enum pvk_blk_op op);
/* Returns the slot's pages to the pool (ending per-request grants); false
 * if the backend still maps one (that page is kept out of use). Locked. */
bool blkfront_release_pages(struct blkfront_queue *q, struct blkfront_slot *s);
/* Copies a finished read into the request's pieces. Locked. */
void blkfront_copy_out(const struct blkfront_slot *s);
/* Frees a page whose grant has ended (or never started). */
void blkfront_page_free(struct blkfront_queue *q, struct blkfront_page *p);
/* Ends p's grant and frees it; false (kept, logged) if still mapped. */
bool blkfront_page_end(struct blkfront_queue *q, struct blkfront_page *p);
/* A free id's slot, or NULL. Locked. */
struct blkfront_slot *blkfront_take_slot(struct blkfront_queue *q);
void blkfront_put_slot(struct blkfront_queue *q, struct blkfront_slot *s);

/* Data pieces of a request (pure). */
size_t blkfront_req_bytes(const struct pvk_blk_req *req);
/* Segment layout: data page i of a request of len bytes packed from page 0
 * carries sectors first..last (pure). */
void blkfront_seg_layout(size_t len, unsigned int i, uint8_t *first, uint8_t *last);
/* Indirect pages a request of nr_data pages needs (pure). */
unsigned int blkfront_indirect_pages(unsigned int nr_data);

static inline struct blkfront_slot *blkfront_slot(const struct blkfront_queue *q,
						  unsigned int id)
{
	return &q->slot_page[id / BLKFRONT_SLOTS_PER_PAGE][id % BLKFRONT_SLOTS_PER_PAGE];
}

/* The queue a host's number names: the count read once (0 while a
 * reconnect sets them up: queue 0, not live; the array is always
 * BLKFRONT_MAX_QUEUES long). */
static inline struct blkfront_queue *blkfront_queue_of(struct pvk_blkfront *dev,
							unsigned int queue)
{
	unsigned int n = __atomic_load_n(&dev->info.nr_queues, __ATOMIC_ACQUIRE);

	return &dev->queues[n ? queue % n : 0];
}

/* After the quiesce and until the part's resume starts the reconnect,
 * the rings are those of a domain that may be dead: nothing reads their
 * answers or notifies their ports (a saved answer proves nothing about
 * its data page; a port number may be another's). During the reconnect
 * (resuming) only the new rings are live. */
static inline bool blkfront_rings_frozen(const struct pvk_blkfront *dev)
{
	return PVK_READ_ONCE(dev->quiesced) && !PVK_READ_ONCE(dev->resuming);
}

/* blkfront_xenbus.c: the device list, for the suspend part (in the watch
 * worker role, where the list has one user). */
struct pvk_blkfront *blkfront_devices(void);
/* Marks the device unusable toward the backend (Closed), as a refusal. */
void blkfront_give_up(struct pvk_blkfront *dev);

/* blkfront_suspend.c */
/* Registers the suspend part (once; pvk_blkfront_init()). */
void blkfront_suspend_register(void);
/* Backend Connected again after a resume (blkfront_connect, thread
 * context, the watch worker): requeues what was in flight, in order,
 * split again to what the new backend carries; ends the resume. */
void blkfront_replay_all(struct pvk_blkfront *dev);
/* Ends every request waiting in the replay list with status. */
void blkfront_replay_fail(struct pvk_blkfront *dev, int status);
/* A reconnect after a resume bounded (blkfront_suspend.c): past
 * PVK_BLKFRONT_RESUME_TIMEOUT_NS since it began, the device is broken and
 * what it kept fails with -PVK_XEN_ENODEV. Any thread; cheap when not
 * due. The time left until then (0: due or not reconnecting). */
void blkfront_resume_check_deadline(struct pvk_blkfront *dev);
uint64_t blkfront_resume_deadline_left(struct pvk_blkfront *dev);
int blkfront_wait_capped(struct pvk_blkfront *dev, bool (*cond)(void *arg), void *arg,
			 uint64_t timeout_ns);

#endif /* PVKIT_BLKFRONT_INTERNAL_H */
