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
 *                 shows in that pass's read-back (the engine is
 *                 blk_stream.c, shared with suspend_traffic.c). The
 *                 suspend happens inside one of blks_pass()'s waits; the
 *                 stream goes on through it (its submits wait while the
 *                 device is away) and ends with a pass of the true
 *                 pattern begun after it.
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
#include "blk_stream.h"

#if defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_XENBUS)

#define XVDA		51712
#define MS		(1000ULL * 1000)
#define KIB		1024u
#define MIB		(1024u * 1024)
#define SUSPEND_WAIT_NS	(120ULL * 1000 * MS)	/* for dom0 to save */

/* The stream: 8 requests of up to 128 KiB; held writes up to 2 MiB. */
#define NSTREAM		8
#define STREAM_MAX	(128u * KIB)
#define HELD_PAGES	512

static struct blks st;
static struct blkt_disk disk;

/* A region read back (true pattern); 0 or a status. */
static int verify(uint64_t from, uint64_t to)
{
	return blks_pass(&st, PVK_BLK_READ, from, to, 0);
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
	unsigned long w0 = st.writes, r0n = st.reads;
	unsigned int passes = 0;
	bool after = false;
	int rc;

	pvk_blkfront_get_resume_stats(disk.dev, &r0);
	PVK_CHECK_RC(blks_hold(&st, hfrom, n, each), 0);
	guest_printf("blk-suspend: cycle %u: %u writes of %zu bytes held on queue 1 (max %zu bytes a request now), streaming on queue 0\n",
		     k, n, each, disk.info->max_bytes);
	guest_printf("blk-suspend: ready for xl save #%u (dom0: %s now)\n", k,
		     want == PVK_SUSPEND_CANCELLED ? "xl save -c" : "xl save + xl restore");
	/* Odd passes the inverse pattern, even the true one; done once a
	 * true pass began after the resume. */
	for (;;) {
		uint8_t inv = (passes & 1) ? 0 : 0xff;
		bool began_after = guest_suspends_done() != before;

		rc = blks_pass(&st, PVK_BLK_WRITE, sfrom, sto, inv);
		if (!rc)
			rc = blks_pass(&st, PVK_BLK_READ, sfrom, sto, inv);
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
	PVK_CHECK_CALL(blks_held_check(&st));
	pvk_blkfront_get_resume_stats(disk.dev, &r1);
	guest_printf("blk-suspend: cycle %u: %s; stream %u passes, %lu writes, %lu reads; requeued %llu, split again %llu into %llu ring requests, completed %llu, failed %llu; reconnect %llu ms by the guest's clock\n",
		     k, want == PVK_SUSPEND_CANCELLED ? "cancelled, same backend" :
		     "resumed in a new domain", passes, st.writes - w0, st.reads - r0n,
		     (unsigned long long)(r1.requeued - r0.requeued),
		     (unsigned long long)(r1.split - r0.split),
		     (unsigned long long)(r1.pieces - r0.pieces),
		     (unsigned long long)(r1.completed - r0.completed),
		     (unsigned long long)(r1.failed - r0.failed),
		     (unsigned long long)(r1.last_reconnect_ns / MS));
	guest_printf("blk-suspend: cycle %u: now %u queues, %u indirect segments, %zu bytes a request, persistent %s; grants held %u\n",
		     k, disk.info->nr_queues, disk.info->indirect_segments, disk.info->max_bytes,
		     disk.info->persistent ? "yes" : "no", pvk_blkfront_grants_held(disk.dev));
	if (want == PVK_SUSPEND_CANCELLED) {
		PVK_CHECK(!pvk_blkfront_broken(disk.dev));
		PVK_CHECK_EQ(r1.failed, r0.failed);
		PVK_CHECK_EQ(r1.cancelled, r0.cancelled + 1);
		PVK_CHECK_EQ(r1.resumes, r0.resumes);
		PVK_CHECK_EQ(r1.requeued, r0.requeued);
	} else {
		PVK_CHECK_CALL(blks_check_resumed(&st, &r0, &r1));
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

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_blk)
{
	uint64_t size;

	guest_control_enable();
	PVK_CHECK_CALL(blks_setup(&st, &disk, XVDA, "blk-suspend", NSTREAM, STREAM_MAX, HELD_PAGES));
	size = disk.info->sectors * 512;

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
		     pvk_blkfront_grants_held(disk.dev), (long long)grants_live(), (long long)st.grants_live0);
	/* Every grant of before a restore was ended (none leaked): all the
	 * kit holds beyond what it held before the disk is the disk's. */
	PVK_CHECK_EQ(grants_live(), st.grants_live0 + (int64_t)pvk_blkfront_grants_held(disk.dev));
	PVK_CHECK_CALL(blks_dom0_check(&st));
}

#endif /* CONFIG_PVK_BLKFRONT && CONFIG_PVK_XENBUS */
