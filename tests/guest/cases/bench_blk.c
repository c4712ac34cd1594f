/*
 * tests/guest/cases/bench_blk.c - the kit's side of the block benchmark of
 * "make bench" (scenario bench-blkfront, explicit test bench_blkfront).
 *
 * Runs the cases of tests/bench/blkbench.h on xvda through the kit's
 * blkfront as a host kernel would: each operation's data is a list of the
 * host's own pages (one scatter-gather piece per page), at most qd
 * operations in flight, all on queue 0 (the guest has one vCPU, as Linux's
 * side). An operation larger than one protocol request
 * (pvk_blkfront_info()->max_bytes) is cut into requests of at most that
 * size, submitted in order, as Linux's block layer cuts a bio; a full
 * queue (-EAGAIN) waits for a slot (pvk_blkfront_wait_slot). Requests
 * started together go with PVK_BLK_REQ_MORE and one pvk_blkfront_kick()
 * after them, as Linux's io_submit of a batch. Operation i
 * of a case goes to blkb_offset(i), the same offsets as Linux's side
 * (tests/xen/domu/blkbench.c).
 *
 * Per case one line, paired by tests/bench/bench.sh with Linux's:
 *   bench-blk NAME pvkit ops=N bytes=B ns=T reqs=R irqs=I digest=D
 *             grants=G reused=U notify=S segs=SEG eagain=E
 * ns from the kit's clock around the case; reqs, irqs (events received),
 * grants (issued), reused (persistent grants used again), notify (events
 * sent), segs and eagain are the driver's statistics over the case.
 * Timings are printed, never judged: the test fails only when an
 * operation fails or never completes.
 */
#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "../../bench/blkbench.h"

#ifdef CONFIG_PVK_BLKFRONT

#define XVDA		51712
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
/* 2,048 references: rings, a queue's persistent pool (1,024 pages at
 * most), indirect pages. Each costs the guest's small heap 5 bytes. */
#define GRANT_FRAMES	4
#define WAIT_NS		(30ULL * 1000 * 1000 * 1000)
#define PAGE		4096u
#define OP_PAGES	(BLKB_MAX_BS / PAGE)

struct op;

/* One protocol request: a part of an operation. */
struct piece {
	struct pvk_blk_req req;
	struct op *op;
};

#define PIECES_PER_PAGE	(PAGE / sizeof(struct piece))

/* One operation of a case: qd of them, reused as they complete. */
struct op {
	struct pvk_blk_seg sg[OP_PAGES];	/* the op's pages */
	unsigned int npages;
	/* Its requests, PIECES_PER_PAGE to a page (the guest's heap is
	 * small): piece p is pieces[p / PIECES_PER_PAGE][p % PIECES_PER_PAGE]. */
	struct piece *pieces[OP_PAGES];
	unsigned int pending;		/* requests not yet completed */
	int status;			/* the first error, or 0 */
	bool busy;
};

static struct op ops[BLKB_MAX_QD];
static struct pvk_wait bench_wait;
static unsigned long completed;		/* operations done (event context) */

static void piece_done(struct pvk_blk_req *req, int status)
{
	struct op *op = ((struct piece *)req->arg)->op;

	if (status && !op->status)
		op->status = status;
	if (--op->pending == 0) {
		PVK_WRITE_ONCE(completed, completed + 1);
		pvk_port_wake(&bench_wait);
	}
}

static bool some_completed(void *arg)
{
	return PVK_READ_ONCE(completed) != *(unsigned long *)arg;
}

/* Submits one request, waiting for a slot while the queue is full. */
static int submit(struct pvk_blkfront *dev, struct pvk_blk_req *req)
{
	for (;;) {
		int rc = pvk_blkfront_submit(dev, req);

		if (rc != -PVK_XEN_EAGAIN)
			return rc;
		rc = pvk_blkfront_wait_slot(dev, req->queue, WAIT_NS);
		if (rc)
			return rc;
	}
}

static size_t piece_bytes(const struct pvk_blkfront *dev)
{
	return pvk_blkfront_info(dev)->max_bytes / PAGE * PAGE;
}

/* Starts operation op at byte off: its requests in order. 0 or the
 * submit's error (then the rest of the op is never sent). */
static int start_op(struct pvk_blkfront *dev, const struct blkb_case *c,
		    struct op *op, uint64_t off)
{
	size_t piece_max = piece_bytes(dev), done_bytes = 0;
	unsigned int n = (unsigned int)((c->bs + piece_max - 1) / piece_max);

	op->busy = true;
	op->status = 0;
	op->pending = n;
	for (unsigned int p = 0; p < n; p++) {
		struct piece *pc = &op->pieces[p / PIECES_PER_PAGE][p % PIECES_PER_PAGE];
		size_t len = c->bs - done_bytes;
		int rc;

		if (len > piece_max)
			len = piece_max;
		pc->op = op;
		pc->req = (struct pvk_blk_req){
			.op = c->write ? PVK_BLK_WRITE : PVK_BLK_READ,
			.sector = (off + done_bytes) / 512,
			.queue = 0,
			/* Pushed by the kick after the batch (run_case). */
			.flags = PVK_BLK_REQ_MORE,
			.done = piece_done,
			.arg = pc,
		};
		if (len == PAGE) {
			pc->req.buf = op->sg[done_bytes / PAGE].buf;
			pc->req.len = PAGE;
		} else {
			pc->req.sg = &op->sg[done_bytes / PAGE];
			pc->req.nr_sg = (unsigned int)(len / PAGE);
		}
		rc = submit(dev, &pc->req);
		if (rc) {
			guest_printf("bench-blk: FAIL %s: submit at sector %llu: %d\n",
				     c->name, (unsigned long long)pc->req.sector, rc);
			return rc;
		}
		done_bytes += len;
	}
	return 0;
}

/* One case; 0, or the status of the first failure (printed). Requests
 * still in flight after a failure keep their memory: nothing is freed. */
static int run_case(struct pvk_blkfront *dev, unsigned int ci)
{
	const struct blkb_case *c = &blkb_cases[ci];
	struct pvk_blkfront_stats s0, s1;
	uint64_t state = blkb_seed(ci), digest = 0, t0, t1;
	unsigned long next = 0, seen;
	bool started;
	int rc;

	for (unsigned int k = 0; k < c->qd; k++)
		ops[k].busy = false;
	PVK_WRITE_ONCE(completed, 0);
	pvk_blkfront_get_stats(dev, &s0);
	t0 = pvk_time_now_ns();
	while (PVK_READ_ONCE(completed) < c->ops) {
		/* Before the scan: a completion during it ends the wait below. */
		seen = PVK_READ_ONCE(completed);
		/* Recycle finished operations, start new ones in index order,
		 * then push them in one go: as Linux's io_submit of every free
		 * slot (blk-mq's plug), at most one notification per batch. */
		started = false;
		for (unsigned int k = 0; k < c->qd; k++) {
			struct op *op = &ops[k];
			uint64_t off;

			if (op->busy && PVK_READ_ONCE(op->pending) == 0) {
				op->busy = false;
				if (op->status) {
					guest_printf("bench-blk: FAIL %s: an operation failed: %d\n",
						     c->name, op->status);
					return op->status;
				}
			}
			if (op->busy || next >= c->ops)
				continue;
			off = blkb_offset(c, &state, next);
			digest = blkb_digest(digest, off, c->bs);
			next++;
			rc = start_op(dev, c, op, off);
			if (rc)
				return rc;
			started = true;
		}
		if (started)
			pvk_blkfront_kick(dev, 0);
		/* Every slot busy (or nothing left to start): wait for one. */
		if (pvk_port_wait_until(&bench_wait, some_completed, &seen, WAIT_NS)) {
			guest_printf("bench-blk: FAIL %s: no completion in 30 s\n", c->name);
			return -PVK_XEN_ETIMEDOUT;
		}
	}
	t1 = pvk_time_now_ns();
	pvk_blkfront_get_stats(dev, &s1);
	for (unsigned int k = 0; k < c->qd; k++) {
		if (ops[k].busy && ops[k].status) {
			guest_printf("bench-blk: FAIL %s: an operation failed: %d\n",
				     c->name, ops[k].status);
			return ops[k].status;
		}
	}
	guest_printf("bench-blk %s pvkit ops=%u bytes=%llu ns=%llu reqs=%llu irqs=%llu digest=%016llx grants=%llu reused=%llu notify=%llu segs=%llu eagain=%llu\n",
		     c->name, c->ops, (unsigned long long)c->ops * c->bs,
		     (unsigned long long)(t1 - t0),
		     (unsigned long long)(s1.requests - s0.requests),
		     (unsigned long long)(s1.notify_recv - s0.notify_recv),
		     (unsigned long long)digest,
		     (unsigned long long)(s1.grants - s0.grants),
		     (unsigned long long)(s1.grants_reused - s0.grants_reused),
		     (unsigned long long)(s1.notify_sent - s0.notify_sent),
		     (unsigned long long)(s1.segments - s0.segments),
		     (unsigned long long)(s1.eagain - s0.eagain));
	return 0;
}

/* Pages and request structures for every case, once: slot k gets the
 * largest operation of the cases that use it (never freed: a test kernel). */
static int setup_ops(const struct pvk_blkfront *dev)
{
	size_t piece_max = piece_bytes(dev);

	for (unsigned int k = 0; k < BLKB_MAX_QD; k++) {
		unsigned int want = 0, pieces = 0;

		for (unsigned int ci = 0; ci < BLKB_NR_CASES; ci++) {
			const struct blkb_case *c = &blkb_cases[ci];

			if (c->qd <= k)
				continue;
			if (c->bs / PAGE > want)
				want = c->bs / PAGE;
			if ((c->bs + piece_max - 1) / piece_max > pieces)
				pieces = (unsigned int)((c->bs + piece_max - 1) / piece_max);
		}
		for (unsigned int i = 0; i * PIECES_PER_PAGE < pieces; i++)
			if (!(ops[k].pieces[i] = pvk_port_alloc_page()))
				return -PVK_XEN_ENOMEM;
		for (; ops[k].npages < want; ops[k].npages++) {
			uint8_t *pg = pvk_port_alloc_page();

			if (!pg)
				return -PVK_XEN_ENOMEM;
			/* Non-zero data for the writes, as Linux's side. */
			for (unsigned int b = 0; b < PAGE; b++)
				pg[b] = (uint8_t)(b * 7 + 1);
			ops[k].sg[ops[k].npages] = (struct pvk_blk_seg){ .buf = pg, .len = PAGE };
		}
	}
	return 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(bench_blkfront)
{
	const struct pvk_blkfront_info *info;
	struct pvk_grant_stats gs;
	struct pvk_blkfront *dev;

	guest_events_enable();
	pvk_port_wait_init(&bench_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	/* One queue, as a host with one CPU asks (and as Linux does with one
	 * vCPU): every request of the benchmark goes to queue 0 anyway. */
	PVK_CHECK_RC(pvk_blkfront_option("queues", "1"), 0);
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, WAIT_NS, &dev), 0);
	info = pvk_blkfront_info(dev);
	guest_printf("bench-blk-note pvkit: xvda %llu MiB ring_pages=%u queues=%u depth=%u max_bytes=%zu persistent=%d indirect_segments=%u heap_free=%zu\n",
		     (unsigned long long)(info->sectors >> 11), info->ring_pages,
		     info->nr_queues, info->depth, info->max_bytes,
		     info->persistent, info->indirect_segments, guest_heap_free_bytes());
	PVK_CHECK_GE(info->sectors * 512, BLKB_DISK_BYTES);
	PVK_CHECK_GE(info->max_bytes, PAGE);
	PVK_CHECK_RC(setup_ops(dev), 0);
	for (unsigned int ci = 0; ci < BLKB_NR_CASES; ci++)
		PVK_CHECK_RC(run_case(dev, ci), 0);
	PVK_CHECK(!pvk_blkfront_broken(dev));
	guest_printf("bench-blk-note pvkit: after the cases: grants held %u, heap_free=%zu\n",
		     pvk_blkfront_grants_held(dev), guest_heap_free_bytes());
	guest_printf("bench-blk: done\n");
}

#endif /* CONFIG_PVK_BLKFRONT */
