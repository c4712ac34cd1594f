/*
 * tests/guest/cases/suspend_traffic.c - one guest saved and restored by
 * `xl save` + `xl restore` while it runs its disk integrity test and a
 * UDP stream both ways with dom0 at once (suspend_traffic, scenario
 * guest-save-traffic, explicit; issue 16's first test). suspend_migrate
 * is the same test moved by a live `xl migrate` instead (scenario
 * guest-migrate): beside the streams the loop also keeps rewriting 512
 * pages until the resume (cases/dirty_pages.c), each of which must then
 * hold the generation it was last written with (pages dirtied during the
 * log-dirty rounds arrived), a verdict of its own. Then, with
 * "pvkit.test=suspend_traffic,defaults" (or suspend_migrate), the whole
 * default suite runs in the new domain (this file is linked first among
 * the tests, tests/guest/guest.mk: tests run in link order).
 *
 * vbd xvda (8 MiB, Linux blkback) and vif 0 (10.0.0.3, Linux netback):
 *  - the UDP streams, their burst at the quiesce and every one of their
 *    verdicts are suspend_net.c's (suspend_net_run()); this test hooks
 *    into their loop (suspend_net.h);
 *  - before "ready", 2 writes of 256 KiB are held unpushed on queue 1
 *    (blk_stream.h: in flight across the save by construction), the only
 *    writes of [0, 512 KiB);
 *  - in the streams' loop, each turn, the disk stream (blk_stream.c,
 *    stepped, never waiting) writes then reads back [512 KiB, 8 MiB) on
 *    queue 0 in up to 4 requests of up to 64 KiB, one request's work (a
 *    fill and submit, or a compare) per turn of the loop so that the
 *    100/s sends keep their pace (suspend_net prints the rate they
 *    achieved before the save and after the resume), passes alternating
 *    the inverse and the true pattern;
 *  - after the resume both go on until the net's window after it passed
 *    AND a true-pattern pass begun after the resume was written and read
 *    back (and the held writes answered).
 * Verdicts beside the net's (suspend_net_verdict()): the held writes
 * answered once each, with 0; blkfront resumed once, requeued at least
 * the held writes, completed each requeued request, failed none; the
 * kit's free pages and heap back to where they were before the save once
 * idle, the frontends' caches that grow with use counted as theirs (white
 * box: blkfront's data-page pool and descriptor pages, netfront's bounce
 * and receive pages), each cache checked on its own both times (see
 * cache_pages(): every pool page on its free list, none retired or kept,
 * every descriptor accounted), so a page or heap block of the old
 * domain's devices not given back fails it, also one left in a cache; 2
 * CPUs online at "ready" (all possible) and the same online after the
 * resume, printed then by number. The net's grant verdict counts the disk too
 * (refs in use beyond what the vif and the disk hold: none of the old
 * domain's leaked). Then the whole disk read back, dom0's byte-for-byte
 * check (dom0-tools/pvk-blk-check), and dom0 detaches both devices: once
 * released, every grant ref of the kit is free again (the default suite's
 * grant tests start from a table nobody holds).
 *
 * Every wait is bounded; no timing is asserted.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "blk_stream.h"
#include "dirty_pages.h"
#include "grant_dom0.h"
#include "suspend_net.h"

#if defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_NETFRONT) && defined(CONFIG_PVK_XENBUS)

/* White box: the frontends' caches that grow with use. */
#include "../../../frontends/blkfront/blkfront_internal.h"
#include "../../../frontends/netfront/netfront_internal.h"

#define XVDA		51712
#define MS		(1000ULL * 1000)
#define KIB		1024u
#define DETACH_WAIT_NS	(60ULL * 1000 * MS)
#define NSLOTS		4
#define SLOT_MAX	(64u * KIB)
#define HELD_N		2
#define HELD_EACH	(256u * KIB)
#define STREAM_FROM	((uint64_t)HELD_N * HELD_EACH)

static struct blks st;
static struct blkt_disk disk;

/* What the hooks saw. */
static struct {
	unsigned int suspends0;		/* suspends done at "ready" */
	unsigned int passes;		/* write + read-back passes done */
	bool began_after;		/* the pass under way began after the resume */
	bool after_done;		/* a true pass begun after it is done */
	unsigned long w0, r0n;
	struct pvk_blkfront_resume_stats r0, r1;
	size_t free0, cache0, heap0, free1, cache1, heap1;
	bool cache_ok0, cache_ok1;	/* each cache within its bounds */
	bool idle_seen;
	unsigned int online0, online1;	/* CPUs online at "ready", once idle */
	bool dirty;			/* suspend_migrate: pages rewritten */
	unsigned int dirty_bad;		/* pages not as last written */
	uint64_t dirty_writes;		/* page fills until the resume */
} t;

/* Pages the frontends keep for reuse, grown by use (idle: none in flight
 * but their own): blkfront's pool and descriptor pages per queue, netfront's
 * bounce pages and receive pages per queue. Each cache is bounded and
 * accounted on its own, so that no growth of one hides a leak (cache_ok):
 * every blkfront pool page on the queue's free list (pool_pages counts
 * exactly those, at most BLKFRONT_QUEUE_PAGES), no page retired; every
 * descriptor of the descriptor pages on the spare or the free list; no
 * netfront slot, buffer or ring page kept, a bounce page only per slot
 * (NETFRONT_RING_ENTS), a receive page only of the first rx_buffers.
 * Locks are not taken: read once idle, nothing in flight. */
static size_t cache_pages(bool *ok)
{
	struct pvk_blkfront *bd = disk.dev;
	struct pvk_netfront *nd = suspend_net_dev();
	size_t n = 0;

	*ok = true;
	for (unsigned int i = 0; bd && bd->queues && i < bd->nr_queues_set_up; i++) {
		const struct blkfront_queue *q = &bd->queues[i];
		unsigned int pool = PVK_READ_ONCE(q->pool_pages), listed = 0, descs = 0, spare = 0;
		const struct blkfront_page *p;

		for (p = q->pool; p && listed <= BLKFRONT_QUEUE_PAGES; p = p->next)
			listed++;
		for (p = q->spare; p && spare <= 1u << 20; p = p->next)
			spare++;
		for (const struct blkfront_desc_page *d = q->desc_pages; d; d = d->next)
			descs++;
		if (listed != pool || pool > BLKFRONT_QUEUE_PAGES || q->retired ||
		    spare + listed != descs * PVK_ARRAY_SIZE(q->desc_pages->d)) {
			guest_printf("suspend_traffic: blkfront queue %u: pool %u pages, %u on its free list (cap %u), retired %s, %u descriptor pages, %u spare\n",
				     i, pool, listed, BLKFRONT_QUEUE_PAGES, q->retired ? "some" : "none",
				     descs, spare);
			*ok = false;
		}
		n += pool + descs;
	}
	for (unsigned int i = 0; nd && nd->queues && i < pvk_netfront_info(nd)->nr_queues; i++) {
		const struct netfront_queue *q = &nd->queues[i];
		unsigned int kept = 0, rx_beyond = 0;

		for (unsigned int id = 0; id < NETFRONT_RING_ENTS; id++) {
			bool rx = q->rxb && q->rxb[id].page;

			n += (q->tx_bounce && q->tx_bounce[id]) + rx;
			kept += (q->txs && q->txs[id].kept) + (q->rxb && q->rxb[id].kept);
			rx_beyond += rx && id >= pvk_netfront_info(nd)->rx_buffers;
		}
		if (kept || rx_beyond || q->kept_rings) {
			guest_printf("suspend_traffic: netfront queue %u: %u slots or buffers kept, %u receive pages beyond rx_buffers, kept ring pages %s\n",
				     i, kept, rx_beyond, q->kept_rings ? "some" : "none");
			*ok = false;
		}
	}
	return n;
}

static void begin_pass(void)
{
	uint8_t inv = (t.passes & 1) ? 0 : 0xff;

	t.began_after = guest_suspends_done() != t.suspends0;
	blks_begin(&st, PVK_BLK_WRITE, STREAM_FROM, disk.info->sectors * 512, inv);
}

static void on_ready(void *arg)
{
	(void)arg;
	t.free0 = guest_pages_free();
	t.cache0 = cache_pages(&t.cache_ok0);
	t.heap0 = guest_heap_free_bytes();
	pvk_blkfront_get_resume_stats(disk.dev, &t.r0);
	t.suspends0 = guest_suspends_done();
	t.online0 = pvk_smp_nr_online();
	t.w0 = st.writes;
	t.r0n = st.reads;
	PVK_CHECK_RC(blks_hold(&st, 0, HELD_N, HELD_EACH), 0);
	st.one_per_step = true;	/* one request's work per turn of the UDP loop */
	guest_printf("suspend_traffic: %u writes of %u bytes held on queue 1; the disk stream on queue 0 over [%llu, %llu) in up to %u requests of up to %u bytes, with the UDP streams; free pages %zu (+%zu in the frontends' caches), heap free %zu bytes\n",
		     HELD_N, HELD_EACH, (unsigned long long)STREAM_FROM,
		     (unsigned long long)(disk.info->sectors * 512), NSLOTS, SLOT_MAX,
		     t.free0, t.cache0, t.heap0);
	begin_pass();
}

static int on_pump(void *arg)
{
	int rc;

	(void)arg;
	/* Until the resume only: a page rewritten after it would hide a
	 * write of before that the move lost. */
	if (t.dirty && guest_suspends_done() == t.suspends0)
		dirty_pages_step();
	if (t.after_done)
		return blks_held_answered(&st) ? 1 : 0;
	rc = blks_step(&st);
	if (rc <= 0)
		return rc;
	if (st.op == PVK_BLK_WRITE) {
		blks_begin(&st, PVK_BLK_READ, STREAM_FROM, st.to, st.inv);
		return 0;
	}
	t.passes++;
	if (t.began_after && !st.inv) {
		t.after_done = true;
		return blks_held_answered(&st) ? 1 : 0;
	}
	begin_pass();
	return 0;
}

static unsigned int on_grants(void *arg)
{
	(void)arg;
	return pvk_blkfront_grants_held(disk.dev);
}

/* After the resume: the CPUs online in the restored domain, by number. */
static void print_cpus(void)
{
	struct pvk_cpumask on;
	char list[96];
	unsigned int cpu, len = 0;

	pvk_smp_online_mask(&on);
	t.online1 = pvk_cpumask_weight(&on);
	list[0] = '\0';
	pvk_for_each_cpu(cpu, &on)
		if (len < sizeof(list) - 8)
			len += (unsigned int)pvk_snprintf(list + len, sizeof(list) - len, "%s%u",
							  len ? "," : "", cpu);
	guest_printf("suspend_traffic: after the resume: CPUs online %s (%u of %u; %u at ready)\n",
		     list, t.online1, pvk_smp_nr_possible(), t.online0);
}

static void on_idle(void *arg)
{
	(void)arg;
	t.idle_seen = true;
	t.free1 = guest_pages_free();
	t.cache1 = cache_pages(&t.cache_ok1);
	t.heap1 = guest_heap_free_bytes();
	pvk_blkfront_get_resume_stats(disk.dev, &t.r1);
	print_cpus();
	if (t.dirty) {
		t.dirty_writes = dirty_pages_writes();
		t.dirty_bad = dirty_pages_check();
		guest_printf("suspend_traffic: dirty pages: %u checked twice, %u bad; %llu page writes until the resume (%llu sweeps of all)\n",
			     DIRTY_PAGES, t.dirty_bad, (unsigned long long)t.dirty_writes,
			     (unsigned long long)(t.dirty_writes / DIRTY_PAGES));
	}
}

static void on_verdicts(void *arg)
{
	const struct pvk_blkfront_resume_stats *r0 = &t.r0, *r1 = &t.r1;
	bool held_ok = blks_held_answered(&st) && !PVK_READ_ONCE(st.stray_done);

	(void)arg;
	for (unsigned int i = 0; i < st.held_n; i++)
		held_ok &= PVK_READ_ONCE(st.held[i].calls) == 1 && st.held[i].status == 0;
	guest_printf("suspend_traffic: disk: %u passes (%lu writes, %lu reads), a true one begun after the resume done: %s; blkfront: resumes %llu, requeued %llu, split again %llu, completed %llu, failed %llu, reconnect %llu ms by the guest's clock; now %u queues, grants held %u\n",
		     t.passes, st.writes - t.w0, st.reads - t.r0n, t.after_done ? "yes" : "no",
		     (unsigned long long)(r1->resumes - r0->resumes),
		     (unsigned long long)(r1->requeued - r0->requeued),
		     (unsigned long long)(r1->split - r0->split),
		     (unsigned long long)(r1->completed - r0->completed),
		     (unsigned long long)(r1->failed - r0->failed),
		     (unsigned long long)(r1->last_reconnect_ns / MS), disk.info->nr_queues,
		     pvk_blkfront_grants_held(disk.dev));
	guest_printf("suspend_traffic: memory once idle: free pages %zu + %zu cached (before the save %zu + %zu; cache %+lld), heap free %zu bytes (before %zu); caches within their bounds: %s\n",
		     t.free1, t.cache1, t.free0, t.cache0, (long long)t.cache1 - (long long)t.cache0,
		     t.heap1, t.heap0, t.cache_ok0 && t.cache_ok1 ? "yes" : "no");
	/* The pump ends the loop only once after_done (suspend_net.c fails
	 * the test otherwise): this verdict prints what was proven there. */
	suspend_net_verdict(t.after_done && t.idle_seen,
			    "disk: a true-pattern pass begun after the resume written and read back");
	suspend_net_verdict(held_ok, "disk: the held writes answered once each, without error");
	suspend_net_verdict(!pvk_blkfront_broken(disk.dev) && r1->resumes == r0->resumes + 1 &&
			    r1->requeued - r0->requeued >= st.held_n &&
			    r1->completed - r0->completed == r1->requeued - r0->requeued &&
			    r1->failed == r0->failed,
			    "disk: resumed once, every held write requeued, each requeued request completed, none failed");
	/* At least 2 at ready (all possible), so that a CPU not back fails. */
	suspend_net_verdict(t.online0 >= 2 && t.online0 == pvk_smp_nr_possible() &&
			    guest_suspend_cpus_not_back() == 0 && t.online1 == t.online0 &&
			    pvk_smp_nr_online() == t.online0,
			    "every CPU online at the save online again after the resume");
	suspend_net_verdict(t.cache_ok0 && t.cache_ok1 &&
			    t.free1 + t.cache1 == t.free0 + t.cache0 && t.heap1 == t.heap0,
			    "memory: free pages and heap back to where they were before the save (none of the old domain's devices' kept)");
	/* A sweep at least: the pages were rewritten while dom0 copied. */
	if (t.dirty)
		suspend_net_verdict(t.dirty_bad == 0 && t.dirty_writes >= DIRTY_PAGES,
				    "memory: every page rewritten until the suspend holds its last generation");
}

static const struct suspend_net_extra extra = {
	.ready = on_ready,
	.pump = on_pump,
	.grants_held = on_grants,
	.idle = on_idle,
	.verdicts = on_verdicts,
};

/* dom0 detaches both devices; each released once its backend let go. */
static void detach_all(void)
{
	struct pvk_netfront *nf = suspend_net_dev();
	struct pvk_grant_stats gs;
	uint64_t end = pvk_time_now_ns() + DETACH_WAIT_NS;
	int brc = -PVK_XEN_EBUSY, nrc = -PVK_XEN_EBUSY;

	suspend_net_detach();
	guest_printf("suspend_traffic: ready for detach of xvda and vif 0\n");
	while ((brc || nrc) && pvk_time_now_ns() < end) {
		pvk_xs_wait_watches(100 * MS);
		if (brc)
			brc = pvk_blkfront_release(disk.dev);
		if (nrc)
			nrc = pvk_netfront_release(nf);
	}
	pvk_grant_stats_snapshot(&gs);
	guest_printf("suspend_traffic: detached: blkfront release %d, netfront release %d; grant refs free %u of %u, granted %llu ended %llu\n",
		     brc, nrc, gs.refs_free, gs.refs_total, (unsigned long long)gs.granted,
		     (unsigned long long)gs.ended);
	PVK_CHECK_RC(brc, 0);
	PVK_CHECK_RC(nrc, 0);
	disk.dev = NULL;
	/* Every ref the kit handed out, of both domains, is back. */
	PVK_CHECK_EQ(gs.refs_free, gs.refs_total);
	PVK_CHECK_EQ(gs.granted, gs.ended);
}

static void traffic(void)
{
	struct pvk_grant_stats gs;
	uint64_t size;

	/* Events and the control watch (suspend) before the devices: this
	 * test runs before the default suite's own set-up. */
	guest_control_enable();
	/* The table as the default suite's grant_setup makes it (grows on
	 * demand): smp_grant_concurrent after it wants that size. */
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	PVK_CHECK_CALL(blks_setup(&st, &disk, XVDA, "suspend_traffic", NSLOTS, SLOT_MAX,
				  HELD_N * HELD_EACH / BLKS_PAGE));
	size = disk.info->sectors * 512;
	/* The UDP streams bring the grant table and vif 0 up, call the hooks
	 * and judge. */
	PVK_CHECK_CALL(suspend_net_run(PVK_SUSPEND_RESUMED, &extra));
	st.one_per_step = false;
	PVK_CHECK_RC(blks_pass(&st, PVK_BLK_READ, 0, size, 0), 0);
	guest_printf("suspend_traffic: the whole disk read back: ok\n");
	PVK_CHECK_CALL(blks_dom0_check(&st));
	PVK_CHECK_CALL(detach_all());
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_traffic)
{
	t.dirty = false;
	traffic();
}

/* The pages before the baseline of "ready" (free pages): theirs are not
 * the frontends' to give back. */
PVK_GUEST_TEST_XEN_EXPLICIT(suspend_migrate)
{
	PVK_CHECK_RC(dirty_pages_setup(), 0);
	if (guest_test_ended())
		return;
	t.dirty = true;
	traffic();
	dirty_pages_free();
}

#endif /* CONFIG_PVK_BLKFRONT && CONFIG_PVK_NETFRONT && CONFIG_PVK_XENBUS */
