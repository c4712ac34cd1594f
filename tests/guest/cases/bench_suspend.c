/*
 * tests/guest/cases/bench_suspend.c - the kit's side of make bench's
 * suspend rows (scenario bench-suspend, explicit test bench_suspend):
 * how long the guest is gone across `xl save` + `xl restore`, and how
 * long after it its disk answers a read and its NIC passes a packet
 * again. Linux's side is tests/xen/domu/suspbench.c (scenario
 * bench-suspend-linux); tests/bench/bench.sh pairs the two.
 *
 * Setup: xvda through the kit's blkfront (one queue, as one vCPU asks;
 * one ring page, as Linux's blkfront by default),
 * vif 0 through its netfront with the guest's responder on it
 * (../netstack.h, 10.0.0.4; dom0 is 10.0.0.1), one read and one ping
 * answered first. Then BSUS_CYCLES times: the guest says it is ready,
 * dom0's ON_LINE rule runs tests/xen/dom0/save-restore (xl save, xl
 * restore, its times printed on dom0's lines), and the guest, back in the
 * new domain, measures from its own after() callback (the moment the
 * host runs again, every kit part resumed):
 *   blk  one 4 KiB read of xvda submitted as soon as the test runs
 *        again (asynchronously, so the two probes run side by side),
 *        timed to its done() with status 0; a refused submit is tried
 *        again, a request that failed is submitted again;
 *   net  ICMP echo requests to dom0, each waited for PING_NS, until one
 *        is answered (dom0's kernel answers them; echo replies are not
 *        rate-limited, as port-unreachable answers to UDP would be);
 * both bounded by RECONNECT_NS: a device not back by then is "lost" (a
 * read still outstanding at the next cycle is not submitted again; if it
 * completes then, that cycle counts it). Per cycle one line:
 *   bench-suspend pvkit cycle=K kernel_us=D gap_us=G blk_us=B|lost net_us=N|lost
 * kernel_us: the kit's pvk_suspend_stats.last_downtime_ns (just before
 * the suspend hypercall to just after it, the kit's clock); gap_us: the
 * host's before() to its after() callback (the time the host's code did
 * not run). blk_hc_us, net_hc_us: the same two ends from just after the
 * suspend hypercall (last_after_ns): the frontends' resume() runs before
 * after(), and what they do there is not seen from after(). The note
 * line adds each driver's own figures: its reconnect from the hypercall
 * to Connected again, and the xenstore requests it made.
 * Timings are printed, never judged: the test fails only when
 * the setup fails or a suspend does not come (bounded).
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "../netstack.h"

#if defined(CONFIG_PVK_XENBUS) && defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_NETFRONT)

#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define MS		(1000ULL * 1000)
#define SEC		(1000 * MS)
#define XVDA		51712
#define BSUS_CYCLES	3
#define CONNECT_NS	(30 * SEC)
#define SUSPEND_WAIT_NS	(120 * SEC)	/* dom0's turn and xl save + restore */
#define RECONNECT_NS	(20 * SEC)
#define PING_NS		(200 * MS)
#define PING_BYTES	56		/* as ping(8)'s default, Linux's side too */
#define READ_BYTES	4096

static const uint8_t our_ip[4] = { 10, 0, 0, 4 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static const struct pvk_netfront_hooks net_hooks = {
	.rx = nst_rx_hook,
};
static struct nst_if nif;

/* The read probe: done() runs in event context and only notes. */
static struct pvk_blk_req rd;
static bool rd_busy;			/* the driver holds rd */
static uint64_t rd_done_ns;		/* 0 until it completed with 0 */
static int rd_status;

/*
 * The read is (re)submitted by background work, which the test's waits
 * run (the ping's 200 ms wait included) and which asks to run again
 * every 1 ms while the disk refuses: the disk's figure is not held to
 * the ping's turns (it was: a read refused during the reconnect was tried
 * again only after the next ping gave up, up to 200 ms later).
 */
static struct pvk_blkfront *rd_dev;
static void *rd_page;
static uint64_t rd_sector;
static bool rd_wanted;			/* this cycle's probe runs */
static unsigned int rd_refused;
static struct pvk_work rd_work;

static void rd_done(struct pvk_blk_req *req, int status)
{
	(void)req;
	PVK_WRITE_ONCE(rd_status, status);
	if (status == 0)
		PVK_WRITE_ONCE(rd_done_ns, pvk_time_now_ns());
	PVK_WRITE_ONCE(rd_busy, false);
	/* Failed: submitted again (an event handler may schedule work). */
	if (status && PVK_READ_ONCE(rd_wanted))
		pvk_port_schedule_work(&rd_work);
}

static int rd_submit(struct pvk_blkfront *dev, void *page, uint64_t sector)
{
	int rc;

	rd = (struct pvk_blk_req){
		.op = PVK_BLK_READ, .sector = sector, .buf = page,
		.len = READ_BYTES, .done = rd_done,
	};
	PVK_WRITE_ONCE(rd_busy, true);
	rc = pvk_blkfront_submit(dev, &rd);
	if (rc)
		PVK_WRITE_ONCE(rd_busy, false);	/* done() will not run */
	return rc;
}

/* True: run again (refused: the disk is not back yet). */
static bool rd_work_fn(struct pvk_work *work)
{
	(void)work;
	if (!PVK_READ_ONCE(rd_wanted) || PVK_READ_ONCE(rd_done_ns) || PVK_READ_ONCE(rd_busy))
		return false;
	if (rd_submit(rd_dev, rd_page, rd_sector)) {
		rd_refused++;
		return true;
	}
	return false;
}

/* Heartbeats (the watch callbacks run in the wait: the suspend happens
 * in there) until the host's after() counted one more suspend. */
static int wait_suspended(unsigned int before)
{
	uint64_t deadline = pvk_time_now_ns() + SUSPEND_WAIT_NS;

	while (guest_suspends_done() == before) {
		if (pvk_time_now_ns() >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(500 * MS);
	}
	return 0;
}

static void fmt_us(char *buf, size_t size, uint64_t done, uint64_t from)
{
	if (done)
		pvk_snprintf(buf, size, "%llu", (unsigned long long)((done - from) / 1000));
	else
		pvk_snprintf(buf, size, "lost");
}

/* One cycle's probes, from after() (t_after) until both answered or
 * RECONNECT_NS passed. */
static void probe(struct pvk_blkfront *dev, void *page, unsigned int k,
		  uint64_t t_after, uint64_t *blk_ns, uint64_t *net_ns)
{
	uint64_t deadline = t_after + RECONNECT_NS;
	unsigned int tries = 0, refused;
	uint16_t seq = (uint16_t)(k * 1000);
	int last_net = 0;

	*net_ns = 0;
	PVK_WRITE_ONCE(rd_done_ns, 0);
	rd_dev = dev;
	rd_page = page;
	rd_sector = (uint64_t)k * (READ_BYTES / 512);
	rd_refused = 0;
	rd_work.fn = rd_work_fn;
	PVK_WRITE_ONCE(rd_wanted, true);
	pvk_port_schedule_work(&rd_work);
	for (;;) {
		uint64_t now = pvk_time_now_ns();
		bool blk_ok = PVK_READ_ONCE(rd_done_ns) != 0;

		if ((blk_ok && *net_ns) || now >= deadline)
			break;
		if (!*net_ns) {
			tries++;
			last_net = nst_ping(&nif, dom0_ip, seq++, PING_BYTES, NULL, PING_NS);
			if (last_net == 0)
				*net_ns = pvk_time_now_ns();
			else if (pvk_time_now_ns() - now < PING_NS / 4)
				pvk_xs_wait_watches(10 * MS);	/* refused at once */
		} else {
			pvk_xs_wait_watches(10 * MS);
		}
	}
	PVK_WRITE_ONCE(rd_wanted, false);	/* the work item stops */
	refused = rd_refused;
	*blk_ns = PVK_READ_ONCE(rd_done_ns);
	guest_printf("bench-suspend-note pvkit: cycle %u: pings %u (last %d), reads refused %u, read %s (status %d)\n",
		     k, tries, last_net, refused,
		     *blk_ns ? "answered" : PVK_READ_ONCE(rd_busy) ? "outstanding" : "failed",
		     PVK_READ_ONCE(rd_status));
}

PVK_GUEST_TEST_XEN_EXPLICIT(bench_suspend)
{
	struct pvk_grant_stats gs;
	struct pvk_blkfront *dev;
	struct pvk_netfront *nf;
	uint8_t mac[PVK_NET_ETH_ALEN];
	void *page;

	guest_control_enable();
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	/* netfront first, blkfront last: the kit resumes its parts newest
	 * first, so the disk's new rings are published first after a
	 * restore and blkback connects while the vif resumes. */
	PVK_CHECK_RC(pvk_netfront_init(&net_hooks), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &nf), 0);
	PVK_CHECK_RC(pvk_blkfront_option("queues", "1"), 0);
	/* A one-page ring, as Linux's blkfront asks by default
	 * (max_ring_page_order 0): blkback allocates 32 requests per ring
	 * page at every connect, each with 264 small allocations, so our
	 * default 16 pages cost it 16 times Linux's work in each reconnect
	 * (most of its 240 ms under TCG). The rows compare like with like. */
	PVK_CHECK_RC(pvk_blkfront_option("ring_order", "0"), 0);
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, CONNECT_NS, &dev), 0);
	/* What was negotiated, beside Linux's own line (domu/init): the
	 * rows' one-page ring shown on both sides (review s13 S2). */
	guest_printf("bench-suspend-note pvkit: xvda ring_pages=%u (ring-page-order %u) queues=%u\n",
		     pvk_blkfront_info(dev)->ring_pages,
		     (unsigned int)__builtin_ctz(pvk_blkfront_info(dev)->ring_pages),
		     pvk_blkfront_info(dev)->nr_queues);
	PVK_CHECK_RC(nst_attach(&nif, nf, our_ip, 0), 0);
	PVK_CHECK_RC(nst_resolve(&nif, dom0_ip, mac, CONNECT_NS), 0);
	page = pvk_port_alloc_page();
	PVK_CHECK(page != NULL);
	/* Both devices answer before the first save. */
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, page, READ_BYTES, CONNECT_NS), 0);
	PVK_CHECK_RC(nst_ping(&nif, dom0_ip, 1, PING_BYTES, NULL, CONNECT_NS), 0);

	for (unsigned int k = 1; k <= BSUS_CYCLES; k++) {
		struct pvk_suspend_stats st;
		struct pvk_blkfront_resume_stats brs;
		struct pvk_netfront_resume_stats nrs;
		uint64_t t_before, t_after, blk_ns, net_ns;
		char blk[24], net[24], blk_hc[24], net_hc[24];
		unsigned int before = guest_suspends_done();

		guest_printf("bench-suspend pvkit: ready for xl save #%u\n", k);
		PVK_CHECK_RC(wait_suspended(before), 0);
		guest_last_suspend_times(&t_before, &t_after);
		pvk_suspend_get_stats(&st);
		probe(dev, page, k, t_after, &blk_ns, &net_ns);
		fmt_us(blk, sizeof(blk), blk_ns, t_after);
		fmt_us(net, sizeof(net), net_ns, t_after);
		fmt_us(blk_hc, sizeof(blk_hc), blk_ns, st.last_after_ns);
		fmt_us(net_hc, sizeof(net_hc), net_ns, st.last_after_ns);
		pvk_blkfront_get_resume_stats(dev, &brs);
		pvk_netfront_get_resume_stats(nf, &nrs);
		guest_printf("bench-suspend-note pvkit: cycle %u: drivers connected again after the hypercall: blk %llu us (%llu xenstore requests), net %llu us (%llu xenstore requests); after() %llu us after it\n",
			     k, (unsigned long long)(brs.last_from_hypercall_ns / 1000),
			     (unsigned long long)brs.last_xs_requests,
			     (unsigned long long)(nrs.last_from_hypercall_ns / 1000),
			     (unsigned long long)nrs.last_xs_requests,
			     (unsigned long long)((t_after - st.last_after_ns) / 1000));
		guest_printf("bench-suspend pvkit cycle=%u result=%s kernel_us=%llu gap_us=%llu blk_us=%s net_us=%s blk_hc_us=%s net_hc_us=%s\n",
			     k, guest_last_suspend_result() == PVK_SUSPEND_RESUMED ? "resumed" : "other",
			     (unsigned long long)(st.last_downtime_ns / 1000),
			     (unsigned long long)((t_after - t_before) / 1000), blk, net, blk_hc, net_hc);
	}
	guest_printf("bench-suspend: pvkit done\n");
}

#endif
