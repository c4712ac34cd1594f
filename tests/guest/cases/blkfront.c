/*
 * tests/guest/cases/blkfront.c - the block frontend against Linux blkback
 * (scenarios guest-blkfront*, explicit only).
 *
 *   blkfront_integrity  every disk under device/vbd: connects, prints the
 *                       negotiated features next to what each side wrote
 *                       in xenstore (and checks they agree), refuses what
 *                       the protocol cannot carry, writes a deterministic
 *                       pattern over the whole disk (blkfront_io.c: one
 *                       sector up to max_bytes, one buffer or many pieces
 *                       at any alignment, every queue, many outstanding,
 *                       back-pressure), fills each queue to its depth,
 *                       flushes, writes a barrier, discards, then asks dom0
 *                       to check the disk file byte for byte and the
 *                       discarded ranges are holes (dom0-tools/pvk-blk-check)
 *                       and what blkback says it uses and has counted (its
 *                       sysfs statistics: requests of each kind, sectors);
 *                       reads everything back
 *                       with other request shapes and compares; prints the
 *                       driver's counts per queue and checks them against
 *                       its own.
 *   blkfront_detach     then dom0 detaches xvda (xl block-detach): new I/O
 *                       fails with -ENODEV and every grant the driver made
 *                       is ended, no page kept.
 *
 * The blkfront.* switches on the command line choose the features; each
 * scenario's regexes pin the features line, so a switch that is ignored
 * fails there.
 */
#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "blkfront_io.h"

#ifdef CONFIG_PVK_BLKFRONT

#define XVDA		51712
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define MAX_DISKS	4

static struct blkt_disk disks[MAX_DISKS];
static unsigned int nr_disks;
static int64_t live0;		/* grants held before any disk connected */
static uint64_t kept0;
static bool baseline;

static int64_t grants_live(void)
{
	struct pvk_grant_stats gs;

	pvk_grant_stats_snapshot(&gs);
	return (int64_t)(gs.granted - gs.ended);
}

/* The vdevs under device/vbd, ascending. */
static int list_disks(unsigned int *vdevs, unsigned int max)
{
	char names[256];
	const char *p = names;
	unsigned int n = 0;
	int nr = pvk_xs_directory(PVK_XBT_NIL, "device/vbd", names, sizeof(names));

	for (int k = 0; k < nr; k++) {
		unsigned long v;

		if (!pvk_xs_parse_ulong(p, &v) && n < max) {
			unsigned int j = n++;

			while (j && vdevs[j - 1] > v) {
				vdevs[j] = vdevs[j - 1];
				j--;
			}
			vdevs[j] = (unsigned int)v;
		}
		while (*p++)
			;
	}
	return nr < 0 ? nr : (int)n;
}

static uint64_t ms_since(uint64_t t0)
{
	return (pvk_time_now_ns() - t0) / 1000000;
}

/* "using N queues" in blkback's log line; -1 when absent. */
static long blkback_queues(const char *line)
{
	const char *p = line;

	for (; *p; p++) {
		if (!guest_strncmp(p, "using ", 6)) {
			unsigned long v = 0;
			bool any = false;

			for (p += 6; *p >= '0' && *p <= '9'; p++, any = true)
				v = v * 10 + (unsigned long)(*p - '0');
			return any ? (long)v : -1;
		}
	}
	return -1;
}

/* The number after "name " in s; -1 when absent. */
static long long stat_of(const char *s, const char *name)
{
	size_t n = 0;

	while (name[n])
		n++;
	for (const char *p = s; *p; p++) {
		if ((p == s || p[-1] == ' ') && !guest_strncmp(p, name, n) && p[n] == ' ') {
			long long v = 0;
			bool any = false;

			for (p += n + 1; *p >= '0' && *p <= '9'; p++, any = true)
				v = v * 10 + (*p - '0');
			return any ? v : -1;
		}
	}
	return -1;
}

/* blkback's own counts (its sysfs statistics, read by dom0) against what
 * the test sent: reads, writes, flushes with barriers, discards, and the
 * sectors read and written (a barrier's data among them). */
static void check_backend_stats(struct blkt_disk *d, const char *st)
{
	const uint64_t *r = d->op_reqs, *s = d->op_sects;

	guest_printf("blkfront: %s: the test sent %llu reads (%llu sectors), %llu writes and %llu barriers (%llu sectors), %llu flushes, %llu discards\n",
		     d->name, (unsigned long long)r[PVK_BLK_READ],
		     (unsigned long long)s[PVK_BLK_READ], (unsigned long long)r[PVK_BLK_WRITE],
		     (unsigned long long)r[PVK_BLK_WRITE_BARRIER],
		     (unsigned long long)(s[PVK_BLK_WRITE] + s[PVK_BLK_WRITE_BARRIER]),
		     (unsigned long long)r[PVK_BLK_FLUSH], (unsigned long long)r[PVK_BLK_DISCARD]);
	PVK_CHECK_EQ(stat_of(st, "rd_req"), (long long)r[PVK_BLK_READ]);
	PVK_CHECK_EQ(stat_of(st, "rd_sect"), (long long)s[PVK_BLK_READ]);
	PVK_CHECK_EQ(stat_of(st, "wr_req"), (long long)r[PVK_BLK_WRITE]);
	PVK_CHECK_EQ(stat_of(st, "wr_sect"),
		     (long long)(s[PVK_BLK_WRITE] + s[PVK_BLK_WRITE_BARRIER]));
	PVK_CHECK_EQ(stat_of(st, "f_req"),
		     (long long)(r[PVK_BLK_FLUSH] + r[PVK_BLK_WRITE_BARRIER]));
	PVK_CHECK_EQ(stat_of(st, "ds_req"), (long long)r[PVK_BLK_DISCARD]);
}

/* dom0's verdict on the disk file and blkback's own line, via xenstore. */
static void dom0_check(struct blkt_disk *d)
{
	char holes[256], path[64], verdict[200], line[200], st[200];
	uint64_t deadline;
	long q;
	int vrc, brc, src;

	blkt_holes_spec(d, holes, sizeof(holes));
	pvk_snprintf(path, sizeof(path), "data/blk-holes-%s", d->name);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, path, holes), 0);
	guest_printf("blkfront: %s: all written%s: dom0 check now (discarded: %s)\n", d->name,
		     d->info->flush ? " and flushed" : "", holes);
	pvk_snprintf(path, sizeof(path), "data/blk-check-%s", d->name);
	deadline = pvk_time_now_ns() + 2 * BLKT_WAIT_NS;
	while ((vrc = pvk_xs_read(PVK_XBT_NIL, path, verdict, sizeof(verdict))) < 0 &&
	       pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(200ULL * 1000 * 1000);
	pvk_snprintf(path, sizeof(path), "data/blk-backend-%s", d->name);
	brc = pvk_xs_read(PVK_XBT_NIL, path, line, sizeof(line));
	guest_printf("blkfront: %s: dom0 says \"%s\" (%d)\n", d->name, vrc >= 0 ? verdict : "", vrc);
	guest_printf("blkfront: %s: dom0's blkback log: \"%s\" (%d)\n", d->name,
		     brc >= 0 ? line : "", brc);
	pvk_snprintf(path, sizeof(path), "data/blk-stats-%s", d->name);
	src = pvk_xs_read(PVK_XBT_NIL, path, st, sizeof(st));
	guest_printf("blkfront: %s: dom0's blkback counts: \"%s\" (%d)\n", d->name,
		     src >= 0 ? st : "", src);
	PVK_CHECK_RC_GE(vrc, 0);
	PVK_CHECK_STR_CONTAINS(verdict, "ok:");
	d->holes_zero = d->nr_holes && blkt_contains(verdict, "reading zero");
	if (d->nr_holes)
		PVK_CHECK(d->holes_zero);
	/* What blkback itself says it uses. */
	PVK_CHECK_RC_GE(brc, 0);
	q = blkback_queues(line);
	PVK_CHECK_EQ(q, (long)d->info->nr_queues);
	PVK_CHECK_EQ(blkt_contains(line, "persistent grants"), d->info->persistent);
	PVK_CHECK_RC_GE(src, 0);
	PVK_CHECK_CALL(check_backend_stats(d, st));
}

static void run_disk(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *info = d->info;
	unsigned long wreq, rreq;
	uint64_t t0;
	int rc;

	PVK_CHECK_CALL(blkt_check_refusals(d));

	t0 = pvk_time_now_ns();
	rc = blkt_pass(d, PVK_BLK_WRITE, 1, &wreq);
	if (rc)
		PVK_FAIL("%s: write pass: %d", d->name, rc);
	guest_printf("blkfront: %s: wrote %llu bytes in %lu requests (%llu ms)\n", d->name,
		     (unsigned long long)info->sectors * 512, wreq,
		     (unsigned long long)ms_since(t0));

	for (unsigned int q = 0; q < info->nr_queues; q++) {
		unsigned int in;

		rc = blkt_fill_queue(d, q, &in);
		guest_printf("blkfront: %s: queue %u: %u requests outstanding (depth %u), the next refused with EAGAIN, then taken after wait_slot: %d\n",
			     d->name, q, in, info->depth, rc);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_EQ(in, info->depth);
	}

	PVK_CHECK_CALL(blkt_check_flush(d));
	PVK_CHECK_CALL(blkt_check_barrier(d));
	PVK_CHECK_CALL(blkt_check_discard(d));
	if (info->flush)
		PVK_CHECK_CALL(blkt_check_flush(d));
	PVK_CHECK_CALL(dom0_check(d));

	t0 = pvk_time_now_ns();
	rc = blkt_pass(d, PVK_BLK_READ, 2, &rreq);
	if (rc)
		PVK_FAIL("%s: read-back: %d", d->name, rc);
	guest_printf("blkfront: %s: read back and compared %llu bytes in %lu requests (%llu ms); discarded sectors read: %llu zeroes, %llu old data, %llu other\n",
		     d->name, (unsigned long long)info->sectors * 512, rreq,
		     (unsigned long long)ms_since(t0), (unsigned long long)d->hole_zero,
		     (unsigned long long)d->hole_old, (unsigned long long)d->hole_other);
	PVK_CHECK_CALL(blkt_check_stats(d));
	PVK_CHECK(!pvk_blkfront_broken(d->dev));
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_integrity)
{
	unsigned int vdevs[MAX_DISKS];
	struct pvk_grant_stats gs;
	int n;

	guest_events_enable();
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	pvk_grant_stats_snapshot(&gs);
	live0 = grants_live();
	kept0 = gs.pages_kept;
	baseline = true;
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);

	n = list_disks(vdevs, MAX_DISKS);
	PVK_CHECK_RC_GE(n, 1);
	nr_disks = 0;
	for (int k = 0; k < n; k++) {
		struct blkt_disk *d = &disks[nr_disks];

		PVK_CHECK_RC(blkt_connect(d, vdevs[k]), 0);
		nr_disks++;
		PVK_CHECK_CALL(blkt_check_features(d));
	}
	for (unsigned int k = 0; k < nr_disks; k++)
		PVK_CHECK_CALL(run_disk(&disks[k]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_detach)
{
	struct pvk_grant_stats gs;
	struct pvk_blkfront *dev;
	uint64_t deadline;
	int64_t live;
	char buf[512];
	int rc;

	if (!baseline || nr_disks != 1)
		PVK_FAIL("blkfront_detach runs after blkfront_integrity, on one disk (have %u)",
			 nr_disks);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, BLKT_WAIT_NS, &dev), 0);
	PVK_CHECK(dev == disks[0].dev);
	PVK_CHECK_GT(pvk_blkfront_grants_held(dev), 0);

	/* Clean close: dom0 detaches the disk; every grant comes back. */
	guest_printf("blkfront: ready for detach (dom0: xl block-detach now)\n");
	deadline = pvk_time_now_ns() + BLKT_WAIT_NS;
	do {
		pvk_xs_wait_watches(200ULL * 1000 * 1000);
		live = grants_live();
	} while (live != live0 && pvk_time_now_ns() < deadline);
	pvk_grant_stats_snapshot(&gs);
	rc = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, buf, 512, BLKT_WAIT_NS);
	guest_printf("blkfront: detached: new I/O gives %d, grants held %lld (before connecting %lld), the device holds %u, pages kept %llu\n",
		     rc, (long long)live, (long long)live0, pvk_blkfront_grants_held(dev),
		     (unsigned long long)(gs.pages_kept - kept0));
	PVK_CHECK_RC(rc, -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(live, live0);
	PVK_CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	PVK_CHECK_EQ(gs.pages_kept, kept0);
}

#endif /* CONFIG_PVK_BLKFRONT */
