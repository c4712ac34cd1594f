/*
 * tests/guest/cases/hostile_blk.c - blkfront against a backend that lies
 * (scenario hostile-blk, explicit only). dom0 runs pvk-hostile-back, one
 * fresh device per attack (xvdb, xvdc, ...), while the guest's own disk
 * xvda stays on Linux's blkback. Per attack, one test:
 *
 *   1. "hostile-blk: ready for ATTACK on VDEV": dom0 starts the tool; the
 *      added hook hears the new disk.
 *   2. Four requests the tool serves correctly (a small write and read,
 *      a 256 KiB write and read through indirect descriptors): data
 *      compared. The attack starts at the fifth request.
 *   3. Eight requests at once; while they are out, xvda is written and read
 *      back again and again (the rest of the guest works on).
 *   4. Every one of the eight ends (bounded): for a lying backend the
 *      device is broken (the kit's log line names what was wrong, matched
 *      by the scenario) and what it had outstanding failed with -EIO; for
 *      "none" and "event-flood" all succeed (the flood is counted and held
 *      off by the event code).
 *   5. The guest asks for the close (data/hostile-close-VDEV); the device
 *      is removed and holds no grant; dom0 counts the guest's grants to it
 *      (data/hostile-count-VDEV): exactly what xvda holds.
 *
 * grant-keep instead goes Closed with a request unanswered and its pages,
 * and the ring, still mapped: the kit must keep those pages (never freed,
 * never reused). The guest takes fresh pages, filled with a pattern, dom0
 * writes its marker into every page it still maps, and none of the fresh
 * pages may show it; once dom0 lets go, release ends the kept grants.
 *
 * One console line per attack gives the outcome (scenario EXPECT_REGEX).
 */
#include <pvkit/blkfront.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "blk_async.h"

#ifdef CONFIG_PVK_BLKFRONT

#define XVDA		51712
#define FIRST_HOSTILE	51728		/* xvdb; then +16 per attack */
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	4
#define SEC_NS		(1000ULL * 1000 * 1000)
#define WAIT_NS		(30 * SEC_NS)
#define NREQ		8
#define SMALL		4096u
#define BIG		(64u * 4096u)	/* > 11 pages: indirect descriptors */
#define FRESH_PAGES	64
#define FRESH_BYTE	0x5a
#define MAX_DEVS	16

enum expect {
	SERVED,		/* every request succeeds, the device stays fine */
	FLOODED,	/* the same, and the flood was held off */
	BROKEN,		/* the device is broken, outstanding I/O gets -EIO */
	KEPT,		/* grant-keep */
};

struct dev_seen {
	unsigned int vdev;
	struct pvk_blkfront *dev;
	unsigned int added, removed;
};

static struct dev_seen seen[MAX_DEVS];
static unsigned int nr_seen, next_vdev = FIRST_HOSTILE;
static bool set_up;
static struct pvk_wait hb_wait;
static struct pvk_blkfront *xvda;

static struct dev_seen *seen_of(unsigned int vdev, bool add)
{
	for (unsigned int i = 0; i < nr_seen; i++)
		if (seen[i].vdev == vdev)
			return &seen[i];
	if (!add || nr_seen == MAX_DEVS)
		return NULL;
	seen[nr_seen].vdev = vdev;
	return &seen[nr_seen++];
}

static void hook_added(struct pvk_blkfront *dev)
{
	struct dev_seen *s = seen_of(pvk_blkfront_info(dev)->vdev, true);

	if (s) {
		s->dev = dev;
		s->added++;
	}
	pvk_port_wake(&hb_wait);
}

static void hook_removed(struct pvk_blkfront *dev)
{
	struct dev_seen *s = seen_of(pvk_blkfront_info(dev)->vdev, false);

	if (s)
		s->removed++;
	pvk_port_wake(&hb_wait);
}

static const struct pvk_blkfront_hooks hb_hooks = {
	.added = hook_added,
	.removed = hook_removed,
};

static int setup(void)
{
	struct pvk_grant_stats gs;
	int rc;

	if (set_up)
		return 0;
	guest_events_enable();
	pvk_port_wait_init(&hb_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0) {
		rc = pvk_grant_init(GRANT_VA, GRANT_FRAMES);
		if (rc)
			return rc;
	}
	rc = pvk_blkfront_init(&hb_hooks);
	if (!rc)
		rc = pvk_blkfront_wait_connected(XVDA, WAIT_NS, &xvda);
	set_up = rc == 0;
	return rc;
}

/* Byte o of the test data of device vdev. */
static uint8_t pattern(unsigned int vdev, uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + vdev;

	w ^= w >> 31;
	return (uint8_t)(w >> ((o & 7) * 8));
}

static void fill(uint8_t *buf, size_t len, unsigned int vdev, uint64_t sector)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(vdev, sector * 512 + i);
}

static bool same(const uint8_t *buf, size_t len, unsigned int vdev, uint64_t sector)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(vdev, sector * 512 + i))
			return false;
	return true;
}

static uint8_t big_buf[BIG] __attribute__((aligned(4096)));
static uint8_t small_buf[NREQ][SMALL] __attribute__((aligned(4096)));
static uint8_t xvda_buf[SMALL] __attribute__((aligned(4096)));

/* The four requests served before the attack: 0 or the failing status. */
static int served_part(struct pvk_blkfront *dev, unsigned int vdev)
{
	int rc;

	fill(small_buf[0], SMALL, vdev, 8);
	rc = pvk_blkfront_rw_sync(dev, PVK_BLK_WRITE, 8, small_buf[0], SMALL, WAIT_NS);
	if (!rc) {
		__builtin_memset(small_buf[0], 0, SMALL);
		rc = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 8, small_buf[0], SMALL, WAIT_NS);
	}
	if (!rc && !same(small_buf[0], SMALL, vdev, 8))
		rc = 1;
	if (!rc) {
		fill(big_buf, BIG, vdev, 1024);
		rc = pvk_blkfront_rw_sync(dev, PVK_BLK_WRITE, 1024, big_buf, BIG, WAIT_NS);
	}
	if (!rc) {
		__builtin_memset(big_buf, 0, BIG);
		rc = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 1024, big_buf, BIG, WAIT_NS);
	}
	if (!rc && !same(big_buf, BIG, vdev, 1024))
		rc = 2;
	return rc;
}

/* ---- the eight requests the attack meets ---- */

static struct blk_async ctxs[NREQ];

static bool all_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NREQ; i++)
		if (!PVK_READ_ONCE(ctxs[i].done))
			return false;
	return true;
}

struct outcome {
	unsigned int submitted, ok, eio, enodev, other, hung, twice;
	unsigned int xvda_ok, xvda_bad;
	bool bad_data;
};

/* One write and read-back of xvda; its data checked. */
static void xvda_round(struct outcome *o, unsigned int round)
{
	uint64_t sector = 4096 + (round % 64) * 8;
	int rc;

	fill(xvda_buf, SMALL, XVDA, sector);
	rc = pvk_blkfront_rw_sync(xvda, PVK_BLK_WRITE, sector, xvda_buf, SMALL, WAIT_NS);
	if (!rc) {
		__builtin_memset(xvda_buf, 0, SMALL);
		rc = pvk_blkfront_rw_sync(xvda, PVK_BLK_READ, sector, xvda_buf, SMALL, WAIT_NS);
	}
	if (!rc && same(xvda_buf, SMALL, XVDA, sector))
		o->xvda_ok++;
	else
		o->xvda_bad++;
}

/* Submits the eight (the first one the large, indirect read), keeps xvda
 * busy until all eight ended or the bound passed. */
static void attack_part(struct pvk_blkfront *dev, unsigned int vdev, struct outcome *o)
{
	uint64_t deadline;
	unsigned int round = 0;

	__builtin_memset(ctxs, 0, sizeof(ctxs));
	for (unsigned int i = 0; i < NREQ; i++) {
		struct blk_async *c = &ctxs[i];
		bool write = i % 2 == 1;
		/* Writes to fresh sectors; reads of what the served part wrote
		 * (its 256 KiB at sector 1024), so their data can be checked.
		 * The first, the one attacked, is the 256 KiB read: its pages
		 * are granted writable (grant-keep writes into them). */
		uint64_t sector = write ? 2048 + (uint64_t)i * 512 : 1024 + (uint64_t)i * 8;
		int rc;

		c->wake = &hb_wait;
		c->req = (struct pvk_blk_req){
			.op = write ? PVK_BLK_WRITE : PVK_BLK_READ, .sector = sector,
			.buf = i ? small_buf[i] : big_buf, .len = i ? SMALL : BIG,
			.flags = i + 1 < NREQ ? PVK_BLK_REQ_MORE : 0,
			.done = blk_async_done, .arg = c,
		};
		if (write)
			fill(c->req.buf, c->req.len, vdev, sector);
		rc = pvk_blkfront_submit(dev, &c->req);
		if (rc) {
			/* Refused at once (the device already broken): ended. */
			c->done = true;
			c->status = rc;
			c->completions = 1;
			continue;
		}
		o->submitted++;
	}
	pvk_blkfront_kick(dev, 0);
	deadline = pvk_time_now_ns() + WAIT_NS;
	while (!all_done(NULL) && pvk_time_now_ns() < deadline) {
		xvda_round(o, round++);
		pvk_xs_run_watches();
		pvk_port_wait_until(&hb_wait, all_done, NULL, SEC_NS / 20);
	}
	xvda_round(o, round);	/* at least one round, after the attack too */
	for (unsigned int i = 0; i < NREQ; i++) {
		struct blk_async *c = &ctxs[i];

		if (!PVK_READ_ONCE(c->done)) {
			o->hung++;
			continue;
		}
		if (c->completions != 1)
			o->twice++;
		if (c->status == 0) {
			o->ok++;
			if (c->req.op == PVK_BLK_READ && !same(c->req.buf, c->req.len, vdev, c->req.sector))
				o->bad_data = true;
		} else if (c->status == -PVK_XEN_EIO) {
			o->eio++;
		} else if (c->status == -PVK_XEN_ENODEV) {
			o->enodev++;
		} else {
			o->other++;
		}
	}
}

/* event-flood: the tool floods for 2 s after answering the first of the
 * eight, so the hold may come after they all ended. The guest keeps
 * working on xvda until the event code held the port (bounded), then the
 * flooded device must still serve a read. Returns that read's status. */
static int flood_part(struct pvk_blkfront *dev, unsigned int vdev,
		      const struct pvk_evtchn_stats *ev0, struct outcome *o)
{
	uint64_t deadline = pvk_time_now_ns() + WAIT_NS;
	struct pvk_evtchn_stats ev;
	unsigned int round = 100;
	int rc;

	for (;;) {
		pvk_evtchn_get_stats(&ev);
		if (ev.floods > ev0->floods || pvk_time_now_ns() >= deadline)
			break;
		xvda_round(o, round++);
		pvk_xs_wait_watches(SEC_NS / 20);
	}
	__builtin_memset(small_buf[0], 0, SMALL);
	rc = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 8, small_buf[0], SMALL, WAIT_NS);
	if (!rc && !same(small_buf[0], SMALL, vdev, 8))
		o->bad_data = true;
	return rc;
}

/* "grants-to-dom0: N" at the end of s; -1 if absent. */
static long dom0_count(const char *s)
{
	static const char key[] = "grants-to-dom0: ";
	long v = -1;

	for (; *s; s++) {
		const char *p = s;
		unsigned int i = 0;

		while (key[i] && p[i] == key[i])
			i++;
		if (key[i])
			continue;
		p += i;
		for (v = 0; *p >= '0' && *p <= '9' && v < 1000000; p++)
			v = v * 10 + (*p - '0');
		return *p ? -1 : v;
	}
	return v;
}

static int guest_says(const char *what, unsigned int vdev)
{
	char path[64];

	pvk_snprintf(path, sizeof(path), "data/%s-%u", what, vdev);
	return pvk_xs_write(PVK_XBT_NIL, path, "1");
}

static int dom0_says(const char *what, unsigned int vdev, char *buf, size_t size)
{
	char name[48];
	int rc;

	pvk_snprintf(name, sizeof(name), "%s-%u", what, vdev);
	buf[0] = 0;
	rc = guest_dom0_answer("hostile-blk", name, buf, size, WAIT_NS);
	if (rc)
		buf[0] = 0;	/* no stale answer is ever parsed */
	return rc;
}

/* Bounded: the device holds no grant any more (0), or -ETIMEDOUT. */
static int wait_no_grants(const struct pvk_blkfront *dev)
{
	uint64_t deadline = pvk_time_now_ns() + WAIT_NS;

	while (pvk_blkfront_grants_held(dev)) {
		if (pvk_time_now_ns() >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(SEC_NS / 5);
	}
	return 0;
}

/* Bounded: release of the removed device (its grants all ended). */
static int release_dev(struct pvk_blkfront *dev)
{
	uint64_t deadline = pvk_time_now_ns() + WAIT_NS;
	int rc;

	while ((rc = pvk_blkfront_release(dev)) == -PVK_XEN_EBUSY &&
	       pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(SEC_NS / 5);
	return rc;
}

/* grant-keep: the pages the backend still maps must not be the guest's
 * again. Returns the fresh pages that showed dom0's marker, or -1. */
static int fresh_pages_marked(unsigned int vdev, char *answer, size_t size)
{
	static uint8_t *fresh[FRESH_PAGES];
	unsigned int got = 0, marked = 0;

	for (; got < FRESH_PAGES; got++) {
		fresh[got] = pvk_port_alloc_page();
		if (!fresh[got])
			break;
		__builtin_memset(fresh[got], FRESH_BYTE, 4096);
	}
	if (guest_says("hostile-mark", vdev) || dom0_says("hostile-marked", vdev, answer, size))
		marked = ~0u;
	for (unsigned int i = 0; i < got; i++) {
		for (unsigned int j = 0; j < 4096 && marked != ~0u; j++) {
			if (fresh[i][j] != FRESH_BYTE) {
				guest_printf("hostile-blk: fresh page %u (%p) byte %u is 0x%02x: dom0 wrote into a page the guest reused\n",
					     i, (void *)fresh[i], j, fresh[i][j]);
				marked++;
				break;
			}
		}
		pvk_port_free_page(fresh[i]);
	}
	return marked == ~0u ? -1 : (int)marked;
}

/* Why a device did not come: both sides' states as xenstore has them. */
static void show_states(unsigned int vdev)
{
	char path[64], be[96], fe_state[16] = "?", be_state[16] = "?";

	pvk_snprintf(path, sizeof(path), "device/vbd/%u/state", vdev);
	pvk_xs_read(PVK_XBT_NIL, path, fe_state, sizeof(fe_state));
	pvk_snprintf(path, sizeof(path), "device/vbd/%u/backend", vdev);
	if (pvk_xs_read(PVK_XBT_NIL, path, be, sizeof(be)) >= 0) {
		pvk_snprintf(path, sizeof(path), "%s/state", be);
		pvk_xs_read(PVK_XBT_NIL, path, be_state, sizeof(be_state));
	}
	guest_printf("hostile-blk: device %u not added: frontend state %s, backend state %s\n",
		     vdev, fe_state, be_state);
}

static void run_attack(const char *attack, enum expect expect)
{
	unsigned int vdev = next_vdev, kept = 0, left;
	struct pvk_evtchn_stats ev0, ev1;
	struct outcome o = { 0 };
	struct dev_seen *s;
	struct pvk_blkfront *dev;
	char answer[160];
	long dom0 = -1, dom0_kept = -1;
	int served, rc, marked = 0, grants_rc, released, after_flood = 0;
	bool broken;

	next_vdev += 16;
	PVK_CHECK_RC(setup(), 0);
	s = seen_of(vdev, true);
	PVK_CHECK(s != NULL);
	guest_printf("hostile-blk: ready for %s on %u\n", attack, vdev);
	rc = wait_hook(&s->added, WAIT_NS);
	if (rc)
		show_states(vdev);
	PVK_CHECK_RC(rc, 0);
	dev = s->dev;
	served = served_part(dev, vdev);
	pvk_evtchn_get_stats(&ev0);
	attack_part(dev, vdev, &o);
	if (expect == FLOODED)
		after_flood = flood_part(dev, vdev, &ev0, &o);
	pvk_evtchn_get_stats(&ev1);
	broken = pvk_blkfront_broken(dev);

	if (expect == KEPT) {
		/* The tool went Closed by itself, keeping what it maps. */
		rc = wait_hook(&s->removed, WAIT_NS);
		kept = pvk_blkfront_grants_held(dev);
		marked = fresh_pages_marked(vdev, answer, sizeof(answer));
		dom0_kept = dom0_count(answer);
		guest_says("hostile-release", vdev);
	} else {
		rc = guest_says("hostile-close", vdev);
		if (!rc)
			rc = wait_hook(&s->removed, WAIT_NS);
	}
	/* Kept pages end only when release tries again after dom0 let go. */
	grants_rc = expect == KEPT ? 0 : wait_no_grants(dev);
	left = pvk_blkfront_grants_held(dev);
	released = release_dev(dev);	/* dev is gone once this gives 0 */
	if (released == 0)
		left = 0;
	if (!guest_says("hostile-count", vdev) &&
	    !dom0_says("hostile-grants", vdev, answer, sizeof(answer)))
		dom0 = dom0_count(answer);

	guest_printf("hostile-blk: %s: %s; served part %d; device broken %s; %u requests: %u ok, %u -EIO, %u -ENODEV, %u other, %u hung, %u answered twice%s; floods held %llu, a read after them %d; xvda %u rounds ok, %u bad; grants left %u, release %d; dom0 counts %ld, xvda holds %u\n",
		     attack,
		     o.hung || o.twice || o.other || o.xvda_bad || served || o.bad_data ||
		     after_flood ? "FAILED" : "handled", served, broken ? "yes" : "no",
		     o.submitted, o.ok, o.eio, o.enodev, o.other, o.hung, o.twice,
		     o.bad_data ? ", BAD DATA" : "", (unsigned long long)(ev1.floods - ev0.floods),
		     after_flood, o.xvda_ok, o.xvda_bad,
		     left, released, dom0, pvk_blkfront_grants_held(xvda));
	if (expect == KEPT)
		guest_printf("hostile-blk: %s: %u grants kept while dom0 mapped them (dom0 counted %ld, xvda holding %u); %d of %d fresh pages showed the dom0 marker\n",
			     attack, kept, dom0_kept, pvk_blkfront_grants_held(xvda), marked,
			     FRESH_PAGES);

	PVK_CHECK_EQ(served, 0);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(o.hung, 0);
	PVK_CHECK_EQ(o.twice, 0);
	PVK_CHECK_EQ(o.other, 0);
	PVK_CHECK(!o.bad_data);
	PVK_CHECK_EQ(o.xvda_bad, 0);
	PVK_CHECK_GT(o.xvda_ok, 0);
	switch (expect) {
	case SERVED:
	case FLOODED:
		PVK_CHECK(!broken);
		PVK_CHECK_EQ(o.ok, NREQ);
		if (expect == FLOODED)
			PVK_CHECK_GT(ev1.floods - ev0.floods, 0);
		PVK_CHECK_RC(after_flood, 0);
		break;
	case BROKEN:
		PVK_CHECK(broken);
		PVK_CHECK_GT(o.eio, 0);
		PVK_CHECK_EQ(o.ok + o.eio, NREQ);
		break;
	case KEPT:
		PVK_CHECK_EQ(o.enodev, NREQ);	/* the tool went Closed at the first */
		PVK_CHECK_GT(kept, 0);
		PVK_CHECK_EQ(dom0_kept, (long)(kept + pvk_blkfront_grants_held(xvda)));
		PVK_CHECK_EQ(marked, 0);
		break;
	}
	PVK_CHECK_RC(grants_rc, 0);
	PVK_CHECK_EQ(left, 0);
	PVK_CHECK_RC(released, 0);
	PVK_CHECK_EQ(dom0, (long)pvk_blkfront_grants_held(xvda));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_none) { run_attack("none", SERVED); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_id_unknown) { run_attack("id-unknown", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_id_duplicate) { run_attack("id-duplicate", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_id_completed) { run_attack("id-completed", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_wrong_op) { run_attack("wrong-op", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_bad_status) { run_attack("bad-status", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_rsp_ahead) { run_attack("rsp-ahead", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_rsp_backwards) { run_attack("rsp-backwards", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_rsp_wrap) { run_attack("rsp-wrap", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_rsp_flip) { run_attack("rsp-flip", BROKEN); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_event_flood) { run_attack("event-flood", FLOODED); }
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_blk_grant_keep) { run_attack("grant-keep", KEPT); }

#endif /* CONFIG_PVK_BLKFRONT */
