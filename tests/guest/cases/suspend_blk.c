/*
 * tests/guest/cases/suspend_blk.c - blkfront across `xl save -c`, `xl save`
 * + `xl restore`, with I/O in flight (scenario guest-save-blk, explicit).
 *
 * The disk (8 MiB, Linux blkback) ends with the pattern of blkfront_io.h
 * on every byte, which dom0 checks from its side at the end
 * (dom0-tools/pvk-blk-check). It is written in regions:
 *
 *   held regions  each cycle, before saying it is ready, the test puts a
 *                 few large writes on queue 1 with PVK_BLK_REQ_MORE and
 *                 never pushes them: the backend cannot have seen them
 *                 when the suspend comes, so they are in flight across it
 *                 by construction, not by luck of timing. After a
 *                 checkpoint (cancelled) the same backend must get them;
 *                 after a restore the new one must (requeued). They are
 *                 the only writes of their region: one lost is a region
 *                 of zeroes, found by the read-back and by dom0.
 *   stream region meanwhile, queue 0 streams passes over it with many
 *                 requests outstanding (one sector up to the device's
 *                 max_bytes, at most 128 KiB; scatter-gather pages), each
 *                 pass a write then a read-back compared: passes alternate
 *                 the pattern and its inverse, so a write lost in any pass
 *                 shows in that pass's read-back. The suspend happens
 *                 inside one of the engine's waits; the stream goes on
 *                 through it (its submits wait while the device is away)
 *                 and ends with a pass of the true pattern begun after it.
 *
 * Cycles: 1 `xl save -c` (dom0/save-restore checkpoint-only: cancelled,
 * same backend); 2 `xl save` + `xl restore` (a new domain, blkback the
 * same); 3 the same, the new backend offering less: dom0 sets blkback's
 * feature_persistent=N and max_queues=1 before the restore, and the guest
 * stops asking for indirect descriptors (blkfront.indirect=0: blkback has
 * no parameter for them), so the new backend takes one queue, no
 * persistent grants, 11 pages a request. The held writes of that cycle
 * are 1 MiB (256 pages, one indirect request each on the old backend):
 * each must be split again, and its done() run once. After
 * each: the driver's resume counts (requeued, split again, ring
 * requests, completed; the reconnect time by the guest's clock, printed,
 * never asserted), the held region read back and compared. Then the whole
 * disk read back, and dom0's verdict.
 *
 * Every wait is bounded.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "blkfront_io.h"

#if defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_XENBUS)

#define XVDA		51712
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define MS		(1000ULL * 1000)
#define PAGE		4096u
#define KIB		1024u
#define MIB		(1024u * 1024)
/* Each wait of the engine: a suspend happens inside one of them, so it
 * spans the guest's downtime (dom0's save and restore, bounded by its
 * rule's 30 s) and the reconnect after it (20 s of downtime seen on a
 * loaded host). */
#define WAIT_NS		(90ULL * 1000 * MS)
#define SUSPEND_WAIT_NS	(120ULL * 1000 * MS)	/* for dom0 to save */

/* The stream: NSTREAM requests of up to STREAM_MAX bytes in pages. */
#define NSTREAM		8
#define STREAM_MAX	(128u * KIB)
#define STREAM_PAGES	(STREAM_MAX / PAGE)
/* The held writes: up to 2 MiB of pages. */
#define HELD_PAGES	512
#define HELD_MAX	4

struct sctx {
	struct pvk_blk_req req;
	struct pvk_blk_seg sg[HELD_PAGES];
	bool busy, done;
	int status;
	unsigned int calls;		/* done()s since submitted: must be 1 */
	uint8_t inv;			/* 0xff: the inverse pattern */
};

static uint8_t *stream_pages[NSTREAM][STREAM_PAGES];
static uint8_t *held_pages[HELD_PAGES];
static struct sctx *sctx;		/* NSTREAM stream + HELD_MAX held */
static struct pvk_wait done_wait;
static struct blkt_disk disk;
static uint64_t seed = 0x5eed;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed * 0x2545f4914f6cdd1dULL;
}

/* done() on a request not in flight (a second one after finish()). */
static unsigned int stray_done;

static void ctx_done(struct pvk_blk_req *req, int status)
{
	struct sctx *c = req->arg;

	if (!PVK_READ_ONCE(c->busy))
		__atomic_fetch_add(&stray_done, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
	c->status = status;
	PVK_WRITE_ONCE(c->done, true);
	pvk_port_wake(&done_wait);
}

/* Lays len bytes out over pages (whole pages, the last one part). */
static void lay_out(struct sctx *c, uint8_t *const *pages, size_t len)
{
	unsigned int n = 0;

	for (size_t at = 0; at < len; at += PAGE, n++) {
		c->sg[n].buf = pages[n];
		c->sg[n].len = len - at < PAGE ? len - at : PAGE;
	}
	c->req.sg = c->sg;
	c->req.nr_sg = n;
	c->req.buf = NULL;
}

static void fill(struct sctx *c, uint64_t base, uint8_t inv)
{
	for (unsigned int i = 0; i < c->req.nr_sg; i++) {
		uint8_t *p = c->sg[i].buf;

		for (size_t k = 0; k < c->sg[i].len; k++)
			p[k] = blkt_pattern_byte(base + k) ^ inv;
		base += c->sg[i].len;
	}
}

/* A finished request: its status, and a read's bytes. 0 or -EIO. */
static int finish(struct sctx *c)
{
	uint64_t base = c->req.sector * 512;

	c->busy = false;
	if (PVK_READ_ONCE(c->calls) != 1) {
		guest_printf("blk-suspend: request at sector %llu: done() ran %u times\n",
			     (unsigned long long)c->req.sector, PVK_READ_ONCE(c->calls));
		return -PVK_XEN_EIO;
	}
	if (c->status) {
		guest_printf("blk-suspend: %s of %u pieces at sector %llu failed: %d\n",
			     c->req.op == PVK_BLK_READ ? "read" : "write", c->req.nr_sg,
			     (unsigned long long)c->req.sector, c->status);
		return c->status;
	}
	if (c->req.op != PVK_BLK_READ)
		return 0;
	for (unsigned int i = 0; i < c->req.nr_sg; i++) {
		const uint8_t *p = c->sg[i].buf;

		for (size_t k = 0; k < c->sg[i].len; k++) {
			uint8_t want = blkt_pattern_byte(base + k) ^ c->inv;

			if (p[k] != want) {
				guest_printf("blk-suspend: read back byte %llu: 0x%02x, want 0x%02x (%s pattern)\n",
					     (unsigned long long)(base + k), p[k], want,
					     c->inv ? "inverse" : "true");
				return -PVK_XEN_EIO;
			}
		}
		base += c->sg[i].len;
	}
	return 0;
}

static bool any_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NSTREAM; i++)
		if (sctx[i].busy && PVK_READ_ONCE(sctx[i].done))
			return true;
	return false;
}

/*
 * One pass of op over bytes [from, to) of the disk on queue 0, the
 * pattern xor inv. EAGAIN (a full queue, or the device away for a
 * suspend) is waited out with wait_slot. 0 or a status (printed).
 */
static int pass(enum pvk_blk_op op, uint64_t from, uint64_t to, uint8_t inv,
		unsigned long *nreq)
{
	uint64_t pos = from;

	for (;;) {
		struct sctx *c = NULL;
		bool busy = false;
		int rc;

		for (unsigned int i = 0; i < NSTREAM; i++) {
			if (sctx[i].busy && PVK_READ_ONCE(sctx[i].done)) {
				rc = finish(&sctx[i]);
				if (rc)
					return rc;
			}
			busy |= sctx[i].busy;
			if (!sctx[i].busy && !c)
				c = &sctx[i];
		}
		if (pos >= to && !busy)
			return 0;
		if (pos < to && c) {
			/* Read again each time: a resume may lower it. */
			size_t maxb = disk.info->max_bytes < STREAM_MAX ?
				      disk.info->max_bytes : STREAM_MAX;
			size_t len = 512 * (1 + rnd() % (maxb / 512));

			if (len > to - pos)
				len = (size_t)(to - pos);
			c->req = (struct pvk_blk_req){ .op = op, .sector = pos / 512,
						       .queue = 0, .done = ctx_done, .arg = c };
			lay_out(c, stream_pages[c - sctx], len);
			c->inv = inv;
			if (op == PVK_BLK_WRITE)
				fill(c, pos, inv);
			else
				for (unsigned int i = 0; i < c->req.nr_sg; i++)
					__builtin_memset(c->sg[i].buf, 0xee, c->sg[i].len);
			c->done = false;
			c->calls = 0;
			c->busy = true;
			rc = pvk_blkfront_submit(disk.dev, &c->req);
			if (rc == 0) {
				pos += len;
				(*nreq)++;
				continue;
			}
			c->busy = false;
			if (rc != -PVK_XEN_EAGAIN) {
				guest_printf("blk-suspend: submit at byte %llu: %d\n",
					     (unsigned long long)pos, rc);
				return rc;
			}
			rc = pvk_blkfront_wait_slot(disk.dev, 0, WAIT_NS);
			if (rc) {
				guest_printf("blk-suspend: wait_slot: %d\n", rc);
				return rc;
			}
			continue;
		}
		if (pvk_port_wait_until(&done_wait, any_done, NULL, WAIT_NS)) {
			guest_printf("blk-suspend: no completion in 90 s\n");
			return -PVK_XEN_ETIMEDOUT;
		}
	}
}

/* Puts n writes of each bytes from byte at on queue 1, unpushed. */
static int hold(uint64_t at, unsigned int n, size_t each)
{
	struct sctx *h = &sctx[NSTREAM];

	for (unsigned int i = 0; i < n; i++) {
		struct sctx *c = &h[i];
		int rc;

		c->req = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = (at + i * each) / 512,
					       .queue = 1, .flags = PVK_BLK_REQ_MORE,
					       .done = ctx_done, .arg = c };
		lay_out(c, &held_pages[i * (each / PAGE)], each);
		fill(c, at + i * each, 0);
		c->done = false;
		c->calls = 0;
		c->busy = true;
		rc = pvk_blkfront_submit(disk.dev, &c->req);
		if (rc) {
			c->busy = false;
			guest_printf("blk-suspend: held write %u: %d\n", i, rc);
			return rc;
		}
	}
	return 0;
}

static unsigned int held_n;

static bool held_all_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < held_n; i++)
		if (!PVK_READ_ONCE(sctx[NSTREAM + i].done))
			return false;
	return true;
}

/* A region read back (true pattern); 0 or a status. */
static int verify(uint64_t from, uint64_t to)
{
	unsigned long n = 0;

	return pass(PVK_BLK_READ, from, to, 0, &n);
}

static int64_t grants_live(void)
{
	struct pvk_grant_stats gs;

	pvk_grant_stats_snapshot(&gs);
	return (int64_t)(gs.granted - gs.ended);
}

/*
 * One cycle: held writes over [hfrom, hfrom + n * each), "ready #k", the
 * stream until the suspend is over and a true pass after it, the held
 * writes answered, the counts, the held region read back.
 */
static void cycle(unsigned int k, enum pvk_suspend_result want, uint64_t hfrom,
		  unsigned int n, size_t each, uint64_t sfrom, uint64_t sto)
{
	struct pvk_blkfront_resume_stats r0, r1;
	unsigned int before = guest_suspends_done();
	uint64_t deadline = pvk_time_now_ns() + SUSPEND_WAIT_NS;
	unsigned long wreq = 0, rreq = 0;
	unsigned int passes = 0;
	bool after = false;
	int rc;

	pvk_blkfront_get_resume_stats(disk.dev, &r0);
	held_n = n;
	PVK_CHECK_RC(hold(hfrom, n, each), 0);
	guest_printf("blk-suspend: cycle %u: %u writes of %zu bytes held on queue 1 (max %zu bytes a request now), streaming on queue 0\n",
		     k, n, each, disk.info->max_bytes);
	guest_printf("blk-suspend: ready for xl save #%u (dom0: %s now)\n", k,
		     want == PVK_SUSPEND_CANCELLED ? "xl save -c" : "xl save + xl restore");
	/* Odd passes the inverse pattern, even the true one; done once a
	 * true pass began after the resume. */
	for (;;) {
		uint8_t inv = (passes & 1) ? 0 : 0xff;
		bool began_after = guest_suspends_done() != before;

		rc = pass(PVK_BLK_WRITE, sfrom, sto, inv, &wreq);
		if (!rc)
			rc = pass(PVK_BLK_READ, sfrom, sto, inv, &rreq);
		if (rc)
			PVK_FAIL("cycle %u: stream pass %u (%s pattern): %d", k, passes,
				 inv ? "inverse" : "true", rc);
		passes++;
		if (began_after && !inv) {
			after = true;
			break;
		}
		if (!began_after && pvk_time_now_ns() >= deadline)
			break;
	}
	PVK_CHECK(after);	/* else dom0 never saved us within 120 s */
	PVK_CHECK_EQ(guest_last_suspend_result(), (int)want);
	rc = pvk_port_wait_until(&done_wait, held_all_done, NULL, WAIT_NS);
	if (rc)
		guest_printf("blk-suspend: cycle %u: held writes not all answered in 90 s\n", k);
	PVK_CHECK_RC(rc, 0);
	for (unsigned int i = 0; i < n; i++) {
		PVK_CHECK_EQ(PVK_READ_ONCE(sctx[NSTREAM + i].calls), 1);
		sctx[NSTREAM + i].busy = false;
		PVK_CHECK_RC(sctx[NSTREAM + i].status, 0);
	}
	/* No done() for a request not in flight (twice for one before). */
	PVK_CHECK_EQ(PVK_READ_ONCE(stray_done), 0);
	pvk_blkfront_get_resume_stats(disk.dev, &r1);
	guest_printf("blk-suspend: cycle %u: %s; stream %u passes, %lu writes, %lu reads; requeued %llu, split again %llu into %llu ring requests, completed %llu, failed %llu; reconnect %llu ms by the guest's clock\n",
		     k, want == PVK_SUSPEND_CANCELLED ? "cancelled, same backend" :
		     "resumed in a new domain", passes, wreq, rreq,
		     (unsigned long long)(r1.requeued - r0.requeued),
		     (unsigned long long)(r1.split - r0.split),
		     (unsigned long long)(r1.pieces - r0.pieces),
		     (unsigned long long)(r1.completed - r0.completed),
		     (unsigned long long)(r1.failed - r0.failed),
		     (unsigned long long)(r1.last_reconnect_ns / MS));
	guest_printf("blk-suspend: cycle %u: now %u queues, %u indirect segments, %zu bytes a request, persistent %s; grants held %u\n",
		     k, disk.info->nr_queues, disk.info->indirect_segments, disk.info->max_bytes,
		     disk.info->persistent ? "yes" : "no", pvk_blkfront_grants_held(disk.dev));
	PVK_CHECK(!pvk_blkfront_broken(disk.dev));
	PVK_CHECK_EQ(r1.failed, r0.failed);
	if (want == PVK_SUSPEND_CANCELLED) {
		PVK_CHECK_EQ(r1.cancelled, r0.cancelled + 1);
		PVK_CHECK_EQ(r1.resumes, r0.resumes);
		PVK_CHECK_EQ(r1.requeued, r0.requeued);
	} else {
		PVK_CHECK_EQ(r1.resumes, r0.resumes + 1);
		/* The held writes at least (the backend never saw them);
		 * each requeued request of before completed once. */
		PVK_CHECK_GE(r1.requeued - r0.requeued, n);
		PVK_CHECK_EQ(r1.completed - r0.completed, r1.requeued - r0.requeued);
		if (each > disk.info->max_bytes) {
			PVK_CHECK_GE(r1.split - r0.split, n);
			PVK_CHECK_GE(r1.pieces - r0.pieces,
				     (uint64_t)n * ((each + disk.info->max_bytes - 1) /
						    disk.info->max_bytes));
		}
	}
	PVK_CHECK_RC(verify(hfrom, hfrom + (uint64_t)n * each), 0);
	guest_printf("blk-suspend: cycle %u: held region read back: ok\n", k);
}

static int alloc_all(void)
{
	static struct sctx ctxs[NSTREAM + HELD_MAX];

	sctx = ctxs;
	for (unsigned int i = 0; i < NSTREAM; i++)
		for (unsigned int j = 0; j < STREAM_PAGES; j++)
			if (!(stream_pages[i][j] = pvk_port_alloc_page()))
				return -PVK_XEN_ENOMEM;
	for (unsigned int j = 0; j < HELD_PAGES; j++)
		if (!(held_pages[j] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
	return 0;
}

/* dom0's verdict on the disk file, through xenstore. */
static void dom0_check(void)
{
	char verdict[200];
	uint64_t deadline;
	int rc;

	(void)pvk_xs_rm(PVK_XBT_NIL, "data/blk-check-xvda");
	guest_printf("blk-suspend: all written and read back: dom0 check now\n");
	deadline = pvk_time_now_ns() + 2 * WAIT_NS;
	while ((rc = pvk_xs_read(PVK_XBT_NIL, "data/blk-check-xvda", verdict,
				 sizeof(verdict))) < 0 && pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(200 * MS);
	guest_printf("blk-suspend: dom0 says \"%s\" (%d)\n", rc >= 0 ? verdict : "", rc);
	PVK_CHECK_RC_GE(rc, 0);
	PVK_CHECK_STR_CONTAINS(verdict, "ok:");
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_blk)
{
	struct pvk_grant_stats gs;
	uint64_t size;
	int64_t live0;

	guest_control_enable();
	pvk_port_wait_init(&done_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	live0 = grants_live();
	PVK_CHECK_RC(alloc_all(), 0);
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);
	PVK_CHECK_RC(blkt_connect(&disk, XVDA), 0);
	size = disk.info->sectors * 512;
	guest_printf("blk-suspend: xvda: %llu bytes, %u queues, %u indirect segments, persistent %s\n",
		     (unsigned long long)size, disk.info->nr_queues,
		     disk.info->indirect_segments, disk.info->persistent ? "yes" : "no");
	/* Held writes go to queue 1, the stream to queue 0. */
	PVK_CHECK_GE(disk.info->nr_queues, 2);
	PVK_CHECK_EQ(size, 8ULL * MIB);

	/* [0, 512K) held 1, [512K, 1M) held 2, [1M, 3M) held 3, the rest
	 * streamed. */
	PVK_CHECK_CALL(cycle(1, PVK_SUSPEND_CANCELLED, 0, 2, 256 * KIB, 3 * MIB, size));
	PVK_CHECK_CALL(cycle(2, PVK_SUSPEND_RESUMED, 512 * KIB, 2, 256 * KIB, 3 * MIB, size));
	/* The next backend offers one queue and no persistent grants (dom0
	 * lowers blkback's parameters before the restore); indirect
	 * descriptors, which blkback always offers, the guest stops asking
	 * for (taken at the reconnect). */
	PVK_CHECK_RC(pvk_blkfront_option("indirect", "0"), 0);
	PVK_CHECK_CALL(cycle(3, PVK_SUSPEND_RESUMED, 1 * MIB, 2, 1 * MIB, 3 * MIB, size));
	PVK_CHECK_EQ(disk.info->indirect_segments, 0);
	PVK_CHECK_EQ(disk.info->nr_queues, 1);
	PVK_CHECK(!disk.info->persistent);

	PVK_CHECK_RC(verify(0, size), 0);
	guest_printf("blk-suspend: the whole disk read back: ok; grants held by the disk %u (%lld in all, %lld before it)\n",
		     pvk_blkfront_grants_held(disk.dev), (long long)grants_live(), (long long)live0);
	/* Every grant of before a restore was ended (none leaked): all the
	 * kit holds beyond what it held before the disk is the disk's. */
	PVK_CHECK_EQ(grants_live(), live0 + (int64_t)pvk_blkfront_grants_held(disk.dev));
	PVK_CHECK_CALL(dom0_check());
}

#endif /* CONFIG_PVK_BLKFRONT && CONFIG_PVK_XENBUS */
