/*
 * tests/guest/cases/blk_stream.c - a disk's integrity stream across a
 * suspend, step by step (blk_stream.h): suspend_blk.c and
 * suspend_traffic.c run it, the first with its own waits, the second from
 * the loop of its UDP streams.
 *
 * The state is the stream's own: the host thread alone steps it; done()
 * (event context, any CPU) only marks its request done and wakes the
 * waiter, and the step reads that mark once.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "blk_stream.h"

#if defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_XENBUS)

#define MS		(1000ULL * 1000)
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
/* Each wait: a suspend may happen inside one of them, so it spans the
 * guest's downtime (dom0's save and restore) and the reconnect after it
 * (20 s of downtime seen on a loaded host). */
#define WAIT_NS		(90ULL * 1000 * MS)

static uint64_t rnd(struct blks *s)
{
	s->seed ^= s->seed << 13;
	s->seed ^= s->seed >> 7;
	s->seed ^= s->seed << 17;
	return s->seed * 0x2545f4914f6cdd1dULL;
}

static void req_done(struct pvk_blk_req *req, int status)
{
	struct blks_req *c = req->arg;

	if (!PVK_READ_ONCE(c->busy))
		__atomic_fetch_add(&c->s->stray_done, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->calls, 1, __ATOMIC_RELAXED);
	c->status = status;
	PVK_WRITE_ONCE(c->done, true);
	pvk_port_wake(&c->s->done_wait);
}

/* Lays len bytes out over pages (whole pages, the last one part). */
static void lay_out(struct blks_req *c, uint8_t *const *pages, size_t len)
{
	unsigned int n = 0;

	for (size_t at = 0; at < len; at += BLKS_PAGE, n++) {
		c->sg[n].buf = pages[n];
		c->sg[n].len = len - at < BLKS_PAGE ? len - at : BLKS_PAGE;
	}
	c->req.sg = c->sg;
	c->req.nr_sg = n;
	c->req.buf = NULL;
}

static void fill(struct blks_req *c, uint64_t base, uint8_t inv)
{
	for (unsigned int i = 0; i < c->req.nr_sg; i++) {
		uint8_t *p = c->sg[i].buf;

		for (size_t k = 0; k < c->sg[i].len; k++)
			p[k] = blkt_pattern_byte(base + k) ^ inv;
		base += c->sg[i].len;
	}
}

/* A stream request answered: its status, and a read's bytes. 0 or -EIO. */
static int finish(struct blks *s, struct blks_req *c)
{
	uint64_t base = c->req.sector * 512;

	c->busy = false;
	if (PVK_READ_ONCE(c->calls) != 1) {
		guest_printf("%s: request at sector %llu: done() ran %u times\n", s->who,
			     (unsigned long long)c->req.sector, PVK_READ_ONCE(c->calls));
		return -PVK_XEN_EIO;
	}
	if (c->status) {
		guest_printf("%s: %s of %u pieces at sector %llu failed: %d\n", s->who,
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
				guest_printf("%s: read back byte %llu: 0x%02x, want 0x%02x (%s pattern)\n",
					     s->who, (unsigned long long)(base + k), p[k], want,
					     c->inv ? "inverse" : "true");
				return -PVK_XEN_EIO;
			}
		}
		base += c->sg[i].len;
	}
	return 0;
}

int blks_init(struct blks *s, struct blkt_disk *disk, const char *who, unsigned int nslots,
	      size_t max_len, unsigned int held_pages)
{
	static uint8_t *held[BLKS_HELD * BLKS_SEGS];

	if (nslots > BLKS_SLOTS || max_len > BLKS_SLOT_MAX || held_pages > BLKS_HELD * BLKS_SEGS)
		return -PVK_XEN_EINVAL;
	s->disk = disk;
	s->who = who;
	s->nslots = nslots;
	s->max_len = max_len;
	s->seed = 0x5eed;
	s->held_pages = held;
	s->held_max_pages = held_pages;
	pvk_port_wait_init(&s->done_wait);
	for (unsigned int i = 0; i < nslots; i++)
		for (unsigned int j = 0; j < max_len / BLKS_PAGE; j++)
			if (!s->pages[i][j] && !(s->pages[i][j] = pvk_port_alloc_page()))
				return -PVK_XEN_ENOMEM;
	for (unsigned int j = 0; j < held_pages; j++)
		if (!held[j] && !(held[j] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
	return 0;
}

void blks_setup(struct blks *s, struct blkt_disk *disk, unsigned int vdev, const char *who,
		unsigned int nslots, size_t max_len, unsigned int held_pages)
{
	struct pvk_grant_stats gs;
	uint64_t size;

	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	pvk_grant_stats_snapshot(&gs);
	s->grants_live0 = (int64_t)(gs.granted - gs.ended);
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);
	PVK_CHECK_RC(blkt_connect(disk, vdev), 0);
	size = disk->info->sectors * 512;
	guest_printf("%s: xvda: %llu bytes, %u queues, %u indirect segments, persistent %s\n",
		     who, (unsigned long long)size, disk->info->nr_queues,
		     disk->info->indirect_segments, disk->info->persistent ? "yes" : "no");
	/* Held writes go to queue 1, the stream to queue 0. */
	PVK_CHECK_GE(disk->info->nr_queues, 2);
	PVK_CHECK_EQ(size, 8ULL * 1024 * 1024);
	PVK_CHECK_RC(blks_init(s, disk, who, nslots, max_len, held_pages), 0);
}

void blks_begin(struct blks *s, enum pvk_blk_op op, uint64_t from, uint64_t to, uint8_t inv)
{
	s->op = op;
	s->pos = from;
	s->to = to;
	s->inv = inv;
	s->eagain = false;
}

int blks_step(struct blks *s)
{
	s->eagain = false;
	for (;;) {
		struct blks_req *c = NULL;
		bool busy = false;
		size_t maxb, len;
		int rc;

		for (unsigned int i = 0; i < s->nslots; i++) {
			struct blks_req *r = &s->slot[i];

			if (r->busy && PVK_READ_ONCE(r->done)) {
				rc = finish(s, r);
				if (rc)
					return rc;
				if (s->one_per_step)
					return 0;
			}
			busy |= r->busy;
			if (!r->busy && !c)
				c = r;
		}
		if (s->pos >= s->to)
			return busy ? 0 : 1;
		if (!c)
			return 0;
		/* Read again each time: a resume may lower it. */
		maxb = s->disk->info->max_bytes < s->max_len ? s->disk->info->max_bytes : s->max_len;
		len = 512 * (1 + rnd(s) % (maxb / 512));
		if (len > s->to - s->pos)
			len = (size_t)(s->to - s->pos);
		c->req = (struct pvk_blk_req){ .op = s->op, .sector = s->pos / 512,
					       .queue = 0, .done = req_done, .arg = c };
		c->s = s;
		lay_out(c, s->pages[c - s->slot], len);
		c->inv = s->inv;
		if (s->op == PVK_BLK_WRITE)
			fill(c, s->pos, s->inv);
		else
			for (unsigned int i = 0; i < c->req.nr_sg; i++)
				__builtin_memset(c->sg[i].buf, 0xee, c->sg[i].len);
		c->done = false;
		c->calls = 0;
		c->busy = true;
		rc = pvk_blkfront_submit(s->disk->dev, &c->req);
		if (rc == 0) {
			s->pos += len;
			if (s->op == PVK_BLK_READ)
				s->reads++;
			else
				s->writes++;
			if (s->one_per_step)
				return 0;
			continue;
		}
		c->busy = false;
		if (rc != -PVK_XEN_EAGAIN) {
			guest_printf("%s: submit at byte %llu: %d\n", s->who,
				     (unsigned long long)s->pos, rc);
			return rc;
		}
		s->eagain = true;
		return 0;
	}
}

static bool any_done(void *arg)
{
	struct blks *s = arg;

	for (unsigned int i = 0; i < s->nslots; i++)
		if (s->slot[i].busy && PVK_READ_ONCE(s->slot[i].done))
			return true;
	return false;
}

int blks_pass(struct blks *s, enum pvk_blk_op op, uint64_t from, uint64_t to, uint8_t inv)
{
	int rc;

	blks_begin(s, op, from, to, inv);
	while (!(rc = blks_step(s))) {
		if (s->eagain) {
			rc = pvk_blkfront_wait_slot(s->disk->dev, 0, WAIT_NS);
			if (rc) {
				guest_printf("%s: wait_slot: %d\n", s->who, rc);
				return rc;
			}
		} else if (pvk_port_wait_until(&s->done_wait, any_done, s, WAIT_NS)) {
			guest_printf("%s: no completion in 90 s\n", s->who);
			return -PVK_XEN_ETIMEDOUT;
		}
	}
	return rc < 0 ? rc : 0;
}

int blks_hold(struct blks *s, uint64_t at, unsigned int n, size_t each)
{
	if (n > BLKS_HELD || n * (each / BLKS_PAGE) > s->held_max_pages || each % BLKS_PAGE)
		return -PVK_XEN_EINVAL;
	s->held_n = n;
	for (unsigned int i = 0; i < n; i++) {
		struct blks_req *c = &s->held[i];
		int rc;

		c->req = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = (at + i * each) / 512,
					       .queue = 1, .flags = PVK_BLK_REQ_MORE,
					       .done = req_done, .arg = c };
		c->s = s;
		lay_out(c, &s->held_pages[i * (each / BLKS_PAGE)], each);
		fill(c, at + i * each, 0);
		c->done = false;
		c->calls = 0;
		c->busy = true;
		rc = pvk_blkfront_submit(s->disk->dev, &c->req);
		if (rc) {
			c->busy = false;
			guest_printf("%s: held write %u: %d\n", s->who, i, rc);
			return rc;
		}
	}
	return 0;
}

static bool held_all_done(void *arg)
{
	struct blks *s = arg;

	for (unsigned int i = 0; i < s->held_n; i++)
		if (!PVK_READ_ONCE(s->held[i].done))
			return false;
	return true;
}

bool blks_held_answered(struct blks *s)
{
	return held_all_done(s);
}

void blks_held_check(struct blks *s)
{
	int rc = pvk_port_wait_until(&s->done_wait, held_all_done, s, WAIT_NS);

	if (rc)
		guest_printf("%s: held writes not all answered in 90 s\n", s->who);
	PVK_CHECK_RC(rc, 0);
	for (unsigned int i = 0; i < s->held_n; i++) {
		PVK_CHECK_EQ(PVK_READ_ONCE(s->held[i].calls), 1);
		s->held[i].busy = false;
		PVK_CHECK_RC(s->held[i].status, 0);
	}
	/* No done() for a request not in flight (twice for one before). */
	PVK_CHECK_EQ(PVK_READ_ONCE(s->stray_done), 0);
}

void blks_check_resumed(struct blks *s, const struct pvk_blkfront_resume_stats *r0,
			const struct pvk_blkfront_resume_stats *r1)
{
	PVK_CHECK(!pvk_blkfront_broken(s->disk->dev));
	PVK_CHECK_EQ(r1->failed, r0->failed);
	PVK_CHECK_EQ(r1->resumes, r0->resumes + 1);
	/* The held writes at least (the backend never saw them); each
	 * requeued request of before completed once. */
	PVK_CHECK_GE(r1->requeued - r0->requeued, s->held_n);
	PVK_CHECK_EQ(r1->completed - r0->completed, r1->requeued - r0->requeued);
}

void blks_dom0_check(struct blks *s)
{
	char verdict[200];
	uint64_t deadline;
	int rc;

	(void)pvk_xs_rm(PVK_XBT_NIL, "data/blk-check-xvda");
	guest_printf("%s: all written and read back: dom0 check now\n", s->who);
	deadline = pvk_time_now_ns() + 2 * WAIT_NS;
	while ((rc = pvk_xs_read(PVK_XBT_NIL, "data/blk-check-xvda", verdict,
				 sizeof(verdict))) < 0 && pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(200 * MS);
	guest_printf("%s: dom0 says \"%s\" (%d)\n", s->who, rc >= 0 ? verdict : "", rc);
	PVK_CHECK_RC_GE(rc, 0);
	PVK_CHECK_STR_CONTAINS(verdict, "ok:");
}

#endif /* CONFIG_PVK_BLKFRONT && CONFIG_PVK_XENBUS */
