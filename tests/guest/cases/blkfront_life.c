/*
 * tests/guest/cases/blkfront_life.c - a block device's life while the guest
 * runs, against Linux blkback (scenario guest-blkfront-life, explicit only,
 * run in this order, sharing the disks they find):
 *
 *   blkfront_life_attach  boots with xvda and xvdc (read-only); dom0 hot-
 *                         attaches xvdb (xl block-attach): the host's added
 *                         hook hears it; the guest writes a pattern over it,
 *                         dom0 checks the file (pvk-blk-check), the guest
 *                         reads it back and compares
 *   blkfront_life_ro      xvdc, attached ro: its info says read-only; reads
 *                         return what dom0 wrote into the file; a write and
 *                         a discard fail with -EROFS and never reach the
 *                         backend (the request count does not move)
 *   blkfront_life_resize  dom0 grows xvdb's file and its loop device; blkback
 *                         notices on the next request and rewrites sectors;
 *                         the resized hook reports old and new size; I/O past
 *                         the old end (refused before) works, dom0 checks the
 *                         whole grown file
 *   blkfront_life_detach  xl block-detach of xvdb while reads are kept in
 *                         flight: every request completes once, with 0 (data
 *                         checked) or -ENODEV; then new I/O gives -ENODEV,
 *                         the removed hook ran, the device holds no grant;
 *                         xvda still works
 *   blkfront_life_grants  dom0 reads the guest's grant table
 *                         (pvk-grant-scan): with xvda and xvdc still open it
 *                         must count exactly the grants they hold; after
 *                         both are detached, none: no page of the guest is
 *                         left mappable by dom0, and every grant the kit made
 *                         was ended, no page kept
 *
 * dom0's side is the scenario's ON_LINE rules, each fired by a "ready for"
 * line below; its answers come back under the guest's data/ in xenstore.
 * The pattern (life_pattern) must stay identical to pvk-blk-check.c's.
 */
#include <pvkit/blkfront.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/io/blkif.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "blk_async.h"

#ifdef CONFIG_PVK_BLKFRONT

#define XVDA		51712		/* 202 << 8 | 0 << 4 */
#define XVDB		51728		/* the hot-attached disk */
#define XVDC		51744		/* the read-only disk */
#define XVDB_SECTORS	8192ULL		/* 4 MiB, as the ON_LINE rule creates it */
#define XVDB_GROWN	12288ULL	/* 6 MiB after dom0 grows it */
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	4
#define SEC_NS		(1000ULL * 1000 * 1000)
#define WAIT_NS		(30 * SEC_NS)
#define DOM0_WAIT_NS	(60 * SEC_NS)	/* xl block-attach/-detach under TCG */
#define NCTX		8
#define CTX_BYTES	(16 * 4096)
#define RO_MARKER	"pvkit read-only disk, written by dom0"

/* Byte o of the disk: a multiplicative hash of its 8-byte word. */
static uint8_t life_pattern(uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL;

	w ^= w >> 29;
	return (uint8_t)(w >> ((o & 7) * 8));
}

/* What the hooks saw, per disk (index: which of the three). */
struct disk_seen {
	unsigned int vdev;
	struct pvk_blkfront *dev;
	unsigned int added, resized, removed;
	uint64_t old_sectors, new_sectors;
};
static struct disk_seen seen[3] = { { .vdev = XVDA }, { .vdev = XVDB }, { .vdev = XVDC } };
static unsigned int unknown_hooks;
static unsigned int busy_at_removal;	/* host requests not yet reaped */
static unsigned int pending_at_removal;	/* of those, not yet called back */
static unsigned int busy_count(void);
static unsigned int pending_count(void);
static struct pvk_wait life_wait;

static struct disk_seen *seen_of(struct pvk_blkfront *dev)
{
	unsigned int vdev = pvk_blkfront_info(dev)->vdev;

	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(seen); i++)
		if (seen[i].vdev == vdev)
			return &seen[i];
	unknown_hooks++;
	return NULL;
}

static void hook_added(struct pvk_blkfront *dev)
{
	struct disk_seen *s = seen_of(dev);

	if (s) {
		s->dev = dev;
		s->added++;
	}
	pvk_port_wake(&life_wait);
}

static void hook_resized(struct pvk_blkfront *dev, uint64_t old_sectors)
{
	struct disk_seen *s = seen_of(dev);

	if (s) {
		s->resized++;
		s->old_sectors = old_sectors;
		s->new_sectors = pvk_blkfront_info(dev)->sectors;
	}
	pvk_port_wake(&life_wait);
}

static void hook_removed(struct pvk_blkfront *dev)
{
	struct disk_seen *s = seen_of(dev);

	if (s)
		s->removed++;
	busy_at_removal = busy_count();
	pending_at_removal = pending_count();
	pvk_port_wake(&life_wait);
}

static const struct pvk_blkfront_hooks life_hooks = {
	.added = hook_added,
	.resized = hook_resized,
	.removed = hook_removed,
};

#define SEEN_A	(&seen[0])
#define SEEN_B	(&seen[1])
#define SEEN_C	(&seen[2])

/*
 * Runs watches until dev holds no grant (bounded): the kit may learn of
 * the removal while the backend still maps the ring, and ends those grants
 * once the backend is Closed. Returns the ms it took, or -1 on timeout.
 */
static long wait_no_grants(const struct pvk_blkfront *dev)
{
	uint64_t t0 = pvk_time_now_ns();

	while (pvk_blkfront_grants_held(dev)) {
		if (pvk_time_now_ns() - t0 > WAIT_NS)
			return -1;
		pvk_xs_wait_watches(SEC_NS / 5);
	}
	return (long)((pvk_time_now_ns() - t0) / 1000000);
}

/* dom0's answer under data/NAME (bounded); 0 or a negative errno. */
static int dom0_answer(const char *name, char *buf, size_t size)
{
	return guest_dom0_answer("blkfront-life", name, buf, size, DOM0_WAIT_NS);
}

/* ---- an asynchronous engine: up to NCTX requests over a sector range ---- */

static uint8_t bufs[NCTX][CTX_BYTES] __attribute__((aligned(4096)));
static struct blk_async ctxs[NCTX];

struct run_counts {
	unsigned long submitted, ok, enodev, other, doubled, refused;
};

static bool any_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NCTX; i++)
		if (ctxs[i].busy && PVK_READ_ONCE(ctxs[i].done))
			return true;
	return false;
}

/* Checks a finished request; a read's data must be the pattern. */
static void reap(struct run_counts *n)
{
	for (unsigned int i = 0; i < NCTX; i++) {
		struct blk_async *c = &ctxs[i];
		const uint8_t *p = c->req.buf;
		uint64_t base = c->req.sector * 512;

		if (!c->busy || !PVK_READ_ONCE(c->done))
			continue;
		c->busy = false;
		if (c->completions != 1)
			n->doubled++;
		if (c->status == -PVK_XEN_ENODEV) {
			n->enodev++;
			continue;
		}
		if (c->status) {
			guest_printf("blkfront-life: %s at sector %llu: status %d\n",
				     c->req.op == PVK_BLK_READ ? "read" : "write",
				     (unsigned long long)c->req.sector, c->status);
			n->other++;
			continue;
		}
		n->ok++;
		if (c->req.op != PVK_BLK_READ)
			continue;
		for (size_t j = 0; j < c->req.len; j++) {
			if (p[j] != life_pattern(base + j)) {
				guest_printf("blkfront-life: read byte %llu: 0x%02x, want 0x%02x\n",
					     (unsigned long long)(base + j), p[j],
					     life_pattern(base + j));
				n->other++;
				break;
			}
		}
	}
}

static unsigned int busy_count(void)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < NCTX; i++)
		k += ctxs[i].busy;
	return k;
}

/* Sent and not yet called back: the kit still owes them an answer. */
static unsigned int pending_count(void)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < NCTX; i++)
		k += ctxs[i].busy && !PVK_READ_ONCE(ctxs[i].done);
	return k;
}

/* Sizes cycled through: 1 sector to 16 pages, various buffer offsets. */
static const struct { unsigned int sectors, off; } shapes[] = {
	{ 1, 0 }, { 8, 512 }, { 128, 0 }, { 3, 1536 }, { 64, 3584 },
	{ 16, 100 }, { 120, 2048 }, { 7, 4095 },
};

/*
 * Writes (with the pattern) or reads (and compares) sectors [from, to) of
 * dev, NCTX requests at a time. With stop, reads go round the range again
 * and again until *stop is nonzero, running watches in between (the
 * detach test: I/O stays in flight while the device goes away), and a
 * submit refused with -ENODEV ends the submitting.
 */
static int run_range(struct pvk_blkfront *dev, enum pvk_blk_op op, uint64_t from,
		     uint64_t to, const unsigned int *stop, struct run_counts *n)
{
	uint64_t pos = from, deadline = pvk_time_now_ns() + DOM0_WAIT_NS;
	unsigned int i = 0, max_s = (unsigned int)(pvk_blkfront_info(dev)->max_bytes / 512);
	bool submitting = true;

	__builtin_memset(n, 0, sizeof(*n));
	__builtin_memset(ctxs, 0, sizeof(ctxs));
	for (;;) {
		struct blk_async *c = NULL;

		reap(n);
		if (stop ? PVK_READ_ONCE(*stop) || !submitting : pos >= to)
			submitting = false;
		if (!submitting && !busy_count())
			break;
		if (pvk_time_now_ns() > deadline) {
			guest_printf("blkfront-life: run over sectors %llu..%llu not done in 60 s (%u busy)\n",
				     (unsigned long long)from, (unsigned long long)to,
				     busy_count());
			return -PVK_XEN_ETIMEDOUT;
		}
		for (unsigned int k = 0; k < NCTX && !c; k++)
			if (!ctxs[k].busy)
				c = &ctxs[k];
		if (submitting && c) {
			unsigned int s = shapes[i % PVK_ARRAY_SIZE(shapes)].sectors;
			uint8_t *buf = bufs[c - ctxs] + shapes[i % PVK_ARRAY_SIZE(shapes)].off;
			int rc;

			if (pos >= to)
				pos = from;	/* only with stop: round again */
			if (s > max_s)
				s = max_s;	/* no indirect descriptors: 11 pages */
			if (s > to - pos)
				s = (unsigned int)(to - pos);
			c->wake = &life_wait;
			c->req = (struct pvk_blk_req){
				.op = op, .sector = pos, .buf = buf, .len = s * 512u,
				.done = blk_async_done, .arg = c, .queue = i,
			};
			if (op == PVK_BLK_WRITE)
				for (size_t j = 0; j < c->req.len; j++)
					buf[j] = life_pattern(pos * 512 + j);
			else
				__builtin_memset(buf, 0xee, c->req.len);
			c->done = false;
			c->completions = 0;
			c->busy = true;
			rc = pvk_blkfront_submit(dev, &c->req);
			if (rc == 0) {
				n->submitted++;
				pos += s;
				i++;
				continue;
			}
			c->busy = false;
			if (rc == -PVK_XEN_ENODEV && stop) {
				n->refused++;
				submitting = false;
				continue;
			}
			if (rc != -PVK_XEN_EAGAIN) {
				guest_printf("blkfront-life: submit at sector %llu: %d\n",
					     (unsigned long long)pos, rc);
				return rc;
			}
		}
		if (stop)
			pvk_xs_run_watches();	/* the detach arrives as watches */
		pvk_port_wait_until(&life_wait, any_done, NULL, stop ? SEC_NS / 20 : WAIT_NS);
	}
	if (n->other || n->doubled)
		return -PVK_XEN_EIO;
	return 0;
}

static struct pvk_grant_stats gs0;

/* ---- the tests ---- */

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_life_attach)
{
	struct pvk_blkfront *dev;
	const struct pvk_blkfront_info *info;
	struct pvk_grant_stats gs;
	struct run_counts n;
	char answer[128];
	uint64_t t0;

	guest_events_enable();
	pvk_port_wait_init(&life_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	pvk_grant_stats_snapshot(&gs0);
	PVK_CHECK_RC(pvk_blkfront_init(&life_hooks), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, WAIT_NS, &dev), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDC, WAIT_NS, &dev), 0);
	/* The boot disks were announced through the hook as well. */
	PVK_CHECK_RC(wait_hook(&SEEN_A->added, WAIT_NS), 0);
	PVK_CHECK_RC(wait_hook(&SEEN_C->added, WAIT_NS), 0);
	PVK_CHECK_EQ(SEEN_B->added, 0);

	t0 = pvk_time_now_ns();
	guest_printf("blkfront-life: ready for hotplug (dom0: xl block-attach xvdb now)\n");
	PVK_CHECK_RC(wait_hook(&SEEN_B->added, DOM0_WAIT_NS), 0);
	dev = SEEN_B->dev;
	info = pvk_blkfront_info(dev);
	guest_printf("blkfront-life: xvdb added %llu ms after the request: %llu sectors, sector size %u, info 0x%x, %u queue(s), depth %u\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     (unsigned long long)info->sectors, info->sector_size, info->vdisk_info,
		     info->nr_queues, info->depth);
	PVK_CHECK_EQ(SEEN_B->added, 1);
	PVK_CHECK_EQ(unknown_hooks, 0);
	PVK_CHECK_EQ(info->vdev, XVDB);
	PVK_CHECK_EQ(info->sectors, XVDB_SECTORS);
	PVK_CHECK_EQ(info->sector_size, 512);
	PVK_CHECK(!(info->vdisk_info & PVK_VDISK_READONLY));
	{
		struct pvk_blkfront *again;

		/* wait_connected finds the same device the hook announced. */
		PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDB, WAIT_NS, &again), 0);
		PVK_CHECK(again == dev);
	}

	PVK_CHECK_RC(run_range(dev, PVK_BLK_WRITE, 0, info->sectors, NULL, &n), 0);
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_FLUSH, 0, NULL, 0, WAIT_NS), 0);
	guest_printf("blkfront-life: xvdb written (%lu requests), flushed: dom0 check 1 now\n",
		     n.submitted);
	PVK_CHECK_RC(dom0_answer("life-check-1", answer, sizeof(answer)), 0);
	PVK_CHECK_STR_CONTAINS(answer, "ok: 4194304 bytes match");
	PVK_CHECK_RC(run_range(dev, PVK_BLK_READ, 0, info->sectors, NULL, &n), 0);
	guest_printf("blkfront-life: xvdb read back and compared (%lu requests)\n", n.submitted);
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_life_ro)
{
	struct pvk_blkfront *dev = SEEN_C->dev;
	const struct pvk_blkfront_info *info;
	struct pvk_blkfront_stats before, after;
	int wr, dc, bar;

	PVK_CHECK(dev);
	info = pvk_blkfront_info(dev);
	guest_printf("blkfront-life: xvdc: %llu sectors, info 0x%x (read-only %s), discard %s\n",
		     (unsigned long long)info->sectors, info->vdisk_info,
		     info->vdisk_info & PVK_VDISK_READONLY ? "yes" : "no",
		     info->discard ? "yes" : "no");
	PVK_CHECK(info->vdisk_info & PVK_VDISK_READONLY);

	pvk_blkfront_get_stats(dev, &before);
	/* dom0 wrote the marker into sector 3 of the file before xvdb came. */
	__builtin_memset(bufs[0], 0, 4096);
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, bufs[0], 4096, WAIT_NS), 0);
	bufs[0][3 * 512 + sizeof(RO_MARKER) - 1] = 0;
	guest_printf("blkfront-life: xvdc sector 3 reads \"%s\"\n", (char *)bufs[0] + 3 * 512);
	PVK_CHECK_STR_CONTAINS((char *)bufs[0] + 3 * 512, RO_MARKER);

	wr = pvk_blkfront_rw_sync(dev, PVK_BLK_WRITE, 0, bufs[0], 4096, WAIT_NS);
	dc = pvk_blkfront_rw_sync(dev, PVK_BLK_DISCARD, 0, NULL, 4096, WAIT_NS);
	bar = pvk_blkfront_rw_sync(dev, PVK_BLK_WRITE_BARRIER, 0, bufs[0], 4096, WAIT_NS);
	pvk_blkfront_get_stats(dev, &after);
	guest_printf("blkfront-life: xvdc write gives %d, discard %d, barrier write %d (barrier %s); requests sent %llu (one read)\n",
		     wr, dc, bar, info->barrier ? "used" : "not used",
		     (unsigned long long)(after.requests - before.requests));
	PVK_CHECK_RC(wr, -PVK_XEN_EROFS);
	PVK_CHECK_RC(dc, -PVK_XEN_EROFS);
	/* A barrier write is a write: EROFS; only a disk without barriers
	 * says EOPNOTSUPP first. Either way it is not sent (below). */
	PVK_CHECK_RC(bar, info->barrier ? -PVK_XEN_EROFS : -PVK_XEN_EOPNOTSUPP);
	/* Refused by the kit: nothing but the read went to the backend. */
	PVK_CHECK_EQ(after.requests - before.requests, 1);
	PVK_CHECK_EQ(after.errors, before.errors);
	PVK_CHECK(!pvk_blkfront_broken(dev));
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_life_resize)
{
	struct pvk_blkfront *dev = SEEN_B->dev;
	const struct pvk_blkfront_info *info;
	struct run_counts n;
	char answer[128];
	unsigned int pokes = 0;
	uint64_t t0, deadline;
	int past;

	PVK_CHECK(dev);
	info = pvk_blkfront_info(dev);
	PVK_CHECK_EQ(info->sectors, XVDB_SECTORS);
	/* Past the end, before the resize: refused. */
	past = pvk_blkfront_rw_sync(dev, PVK_BLK_WRITE, XVDB_SECTORS, bufs[0], 4096, WAIT_NS);
	PVK_CHECK_RC(past, -PVK_XEN_EINVAL);

	t0 = pvk_time_now_ns();
	guest_printf("blkfront-life: ready for resize (dom0: grow xvdb to 6 MiB now)\n");
	/* blkback looks at the size when it wakes for a request: keep asking. */
	deadline = t0 + DOM0_WAIT_NS;
	while (!PVK_READ_ONCE(SEEN_B->resized) && pvk_time_now_ns() < deadline) {
		PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, bufs[0], 512, WAIT_NS), 0);
		pokes++;
		pvk_xs_wait_watches(SEC_NS / 5);
	}
	guest_printf("blkfront-life: xvdb resized hook: %u call(s), %llu -> %llu sectors, info says %llu (%llu ms after the request, %u reads to wake blkback)\n",
		     SEEN_B->resized, (unsigned long long)SEEN_B->old_sectors,
		     (unsigned long long)SEEN_B->new_sectors, (unsigned long long)info->sectors,
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000), pokes);
	PVK_CHECK_EQ(SEEN_B->resized, 1);
	PVK_CHECK_EQ(SEEN_B->old_sectors, XVDB_SECTORS);
	PVK_CHECK_EQ(SEEN_B->new_sectors, XVDB_GROWN);
	PVK_CHECK_EQ(info->sectors, XVDB_GROWN);

	/* The new part, written, flushed, checked by dom0 and read back. */
	PVK_CHECK_RC(run_range(dev, PVK_BLK_WRITE, XVDB_SECTORS, XVDB_GROWN, NULL, &n), 0);
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_FLUSH, 0, NULL, 0, WAIT_NS), 0);
	guest_printf("blkfront-life: xvdb written past the old end (%lu requests), flushed: dom0 check 2 now\n",
		     n.submitted);
	PVK_CHECK_RC(dom0_answer("life-check-2", answer, sizeof(answer)), 0);
	PVK_CHECK_STR_CONTAINS(answer, "ok: 6291456 bytes match");
	PVK_CHECK_RC(run_range(dev, PVK_BLK_READ, 0, XVDB_GROWN, NULL, &n), 0);
	guest_printf("blkfront-life: xvdb read back whole after the resize (%lu requests)\n",
		     n.submitted);
	PVK_CHECK(!pvk_blkfront_broken(dev));
}

/*
 * Masks (or unmasks) the event channel of each of vdev's queues, read from
 * its frontend directory (event-channel, or queue-N/event-channel). With
 * them masked the kit takes no answer from the backend by itself, so the
 * requests the host sent stay outstanding for as long as the test wants.
 * Returns how many ports there were.
 */
static unsigned int mask_ports(unsigned int vdev, bool mask)
{
	unsigned int n = 0;
	unsigned long port;
	char path[64];

	for (int q = -1; q < 16; q++) {
		if (q < 0)
			pvk_snprintf(path, sizeof(path), "device/vbd/%u/event-channel", vdev);
		else
			pvk_snprintf(path, sizeof(path), "device/vbd/%u/queue-%d/event-channel",
				     vdev, q);
		if (pvk_xs_read_ulong(PVK_XBT_NIL, path, &port) < 0)
			continue;
		if (mask)
			pvk_evtchn_mask((pvk_evtchn_port_t)port);
		else
			pvk_evtchn_unmask((pvk_evtchn_port_t)port);
		n++;
	}
	return n;
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_life_detach)
{
	struct pvk_blkfront *dev = SEEN_B->dev, *xvda = SEEN_A->dev;
	struct run_counts n;
	uint64_t t0;
	unsigned int ports;
	int rc, again;
	long ms;

	PVK_CHECK(dev && xvda);
	/*
	 * Left alone, reads finish in well under a millisecond here and the
	 * kit reads the backend's state from xenstore before it acts on a
	 * Closing, so none would be outstanding when it does. With the
	 * device's ports masked the requests sent stay outstanding (the
	 * backend may answer; the kit does not take it) until the detach.
	 */
	ports = mask_ports(XVDB, true);
	PVK_CHECK_GT(ports, 0);
	t0 = pvk_time_now_ns();
	guest_printf("blkfront-life: ready for detach of xvdb (dom0: xl block-detach xvdb now), reading with the answers held back on %u port(s)\n",
		     ports);
	rc = run_range(dev, PVK_BLK_READ, 0, pvk_blkfront_info(dev)->sectors,
		       &SEEN_B->removed, &n);
	mask_ports(XVDB, false);
	guest_printf("blkfront-life: xvdb removed %llu ms after the request: %lu reads submitted, %lu completed ok, %lu with -ENODEV, %lu otherwise, %lu twice; %u outstanding when the removed hook ran, %u of them not yet called back; %lu submits refused with -ENODEV\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000), n.submitted,
		     n.ok, n.enodev, n.other, n.doubled,
		     busy_at_removal, pending_at_removal, n.refused);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_GE(n.submitted, 1);
	PVK_CHECK_GT(busy_at_removal, 0);	/* the detach met I/O in flight */
	/* The removed hook says "its requests fail": by then each request in
	 * flight has had its answer (data, or ENODEV), none is owed. */
	PVK_CHECK_EQ(pending_at_removal, 0);
	PVK_CHECK_EQ(n.ok + n.enodev, n.submitted);
	PVK_CHECK_EQ(SEEN_B->removed, 1);
	again = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, bufs[0], 512, WAIT_NS);
	ms = wait_no_grants(dev);
	guest_printf("blkfront-life: after removal: new I/O gives %d, xvdb holds %u grants (%ld ms after the removed hook returned)\n",
		     again, pvk_blkfront_grants_held(dev), ms);
	PVK_CHECK_RC(again, -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	PVK_CHECK(!pvk_blkfront_broken(dev));
	/* Once, also counting callbacks after the run was reaped (the
	 * backend's Closed, the teardown). */
	for (unsigned int i = 0; i < NCTX; i++)
		PVK_CHECK_LE(ctxs[i].completions, 1);

	/* The other disk was not disturbed. */
	PVK_CHECK_RC(run_range(xvda, PVK_BLK_WRITE, 0, 2048, NULL, &n), 0);
	PVK_CHECK_RC(run_range(xvda, PVK_BLK_READ, 0, 2048, NULL, &n), 0);
	PVK_CHECK_EQ(SEEN_A->removed, 0);
}

/* "grants-to-dom0: N" from dom0's scan; -1 if the line is not that. */
static long scan_count(const char *s)
{
	static const char key[] = "grants-to-dom0: ";
	long v = 0;

	for (unsigned int i = 0; i < sizeof(key) - 1; i++)
		if (s[i] != key[i])
			return -1;
	s += sizeof(key) - 1;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9' && v < 1000000)
		v = v * 10 + (*s++ - '0');
	return *s ? -1 : v;
}

/* Every disk is gone: the host gives each device back. A detached disk
 * must leave no memory behind (its structure, queues, slot pages): the
 * heap and the page allocator get bytes and pages back from the release
 * call itself. xenbus removes the device (so release stops saying EBUSY)
 * a little after the hook ran, and that removal frees memory of its own
 * (the xenbus device, pages teardown ends): so what is compared is the
 * free memory just before and just after the call that succeeded, with
 * no watch run between them. */
static void release_all(void)
{
	uint64_t deadline = pvk_time_now_ns() + DOM0_WAIT_NS;
	size_t heap_got[3] = { 0 }, pages_got[3] = { 0 };
	int rc[3];

	for (unsigned int i = 0; i < 3; i++) {
		rc[i] = -PVK_XEN_ENODEV;
		if (!seen[i].dev)
			continue;
		for (;;) {
			size_t heap0 = guest_heap_free_bytes(), pages0 = guest_pages_free();

			rc[i] = pvk_blkfront_release(seen[i].dev);
			if (!rc[i]) {
				heap_got[i] = guest_heap_free_bytes() - heap0;
				pages_got[i] = guest_pages_free() - pages0;
				seen[i].dev = NULL;
				break;
			}
			if (rc[i] != -PVK_XEN_EBUSY || pvk_time_now_ns() >= deadline)
				break;
			pvk_xs_wait_watches(SEC_NS / 5);
		}
	}
	guest_printf("blkfront-life: released the devices: %d %d %d; heap bytes back %lu %lu %lu, pages back %lu %lu %lu\n",
		     rc[0], rc[1], rc[2], (unsigned long)heap_got[0],
		     (unsigned long)heap_got[1], (unsigned long)heap_got[2],
		     (unsigned long)pages_got[0], (unsigned long)pages_got[1],
		     (unsigned long)pages_got[2]);
	for (unsigned int i = 0; i < 3; i++) {
		PVK_CHECK_RC(rc[i], 0);
		PVK_CHECK_GT(heap_got[i], 0);
		PVK_CHECK_GT(pages_got[i], 0);
	}
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_life_grants)
{
	struct pvk_blkfront *a = SEEN_A->dev, *c = SEEN_C->dev;
	struct pvk_grant_stats gs;
	char answer[128];
	long held, scanned;
	int rc;

	PVK_CHECK(a && c);
	/* With two disks open, dom0 must see exactly what they hold. */
	held = (long)pvk_blkfront_grants_held(a) + (long)pvk_blkfront_grants_held(c);
	guest_printf("blkfront-life: xvda holds %u grants, xvdc %u: ready for grant scan 1 (dom0: pvk-grant-scan now)\n",
		     pvk_blkfront_grants_held(a), pvk_blkfront_grants_held(c));
	PVK_CHECK_RC(dom0_answer("grant-scan-1", answer, sizeof(answer)), 0);
	scanned = scan_count(answer);
	PVK_CHECK_GT(held, 0);
	PVK_CHECK_EQ(scanned, held);

	guest_printf("blkfront-life: ready for detach of all disks (dom0: xl block-detach xvda, xvdc now)\n");
	PVK_CHECK_RC(wait_hook(&SEEN_A->removed, DOM0_WAIT_NS), 0);
	PVK_CHECK_RC(wait_hook(&SEEN_C->removed, DOM0_WAIT_NS), 0);
	rc = pvk_blkfront_rw_sync(a, PVK_BLK_READ, 0, bufs[0], 512, WAIT_NS);
	wait_no_grants(a);
	wait_no_grants(c);
	pvk_grant_stats_snapshot(&gs);
	guest_printf("blkfront-life: all disks removed: xvda holds %u grants, xvdc %u, xvdb %u; new I/O gives %d; kit grants live %lld (at start %lld), pages kept %llu (at start %llu)\n",
		     pvk_blkfront_grants_held(a), pvk_blkfront_grants_held(c),
		     SEEN_B->dev ? pvk_blkfront_grants_held(SEEN_B->dev) : 0, rc,
		     (long long)(gs.granted - gs.ended), (long long)(gs0.granted - gs0.ended),
		     (unsigned long long)gs.pages_kept, (unsigned long long)gs0.pages_kept);

	/* dom0's side first: nothing of the guest may be mappable any more,
	 * whatever the kit's own counts say. */
	guest_printf("blkfront-life: ready for grant scan 2 (dom0: pvk-grant-scan now)\n");
	PVK_CHECK_RC(dom0_answer("grant-scan-2", answer, sizeof(answer)), 0);
	PVK_CHECK_EQ(scan_count(answer), 0);
	PVK_CHECK_RC(rc, -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(pvk_blkfront_grants_held(a), 0);
	PVK_CHECK_EQ(pvk_blkfront_grants_held(c), 0);
	PVK_CHECK_EQ((int64_t)(gs.granted - gs.ended), (int64_t)(gs0.granted - gs0.ended));
	PVK_CHECK_EQ(gs.pages_kept, gs0.pages_kept);
	release_all();
}

#endif /* CONFIG_PVK_BLKFRONT */
