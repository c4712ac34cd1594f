/*
 * tests/guest/cases/hostile_net.c - the kit's netfront against a hostile
 * network backend (scenario hostile-net, explicit only). vif 0 is Linux
 * netback's, on dom0's bridge; each attack gets a fresh vif (1, 2, ...)
 * that dom0's pvk-hostile-back creates as a toolstack would and serves
 * (tests/xen/dom0-tools/hostile-back/net*.c), started by the scenario's
 * ON_LINE rule for the guest's "hostile-net: ready for ATTACK on vif N".
 *
 * Each attack runs the same way (hostile_net_run):
 *   1. the vif is added and connects; the guest answers the tool's
 *      traffic (its ARP request, its UDP datagrams to the echo port, one
 *      of them two pages long) and sends 4 frames of its own (one of
 *      two pages), all answered OKAY;
 *   2. it sends 4 more, "held": the tool keeps them unanswered and then
 *      misbehaves as ATTACK says (or, for "none", answers them);
 *   3. the outcome: a breaking attack leaves the vif disabled (the kit's
 *      log line names what was wrong; the scenario matches it), every
 *      held transmit done with -EIO, new ones refused with -EIO; vif 0
 *      still pings dom0;
 *   4. the guest asks dom0 to detach the vif (data/hostile-net-detach-N):
 *      the tool closes it, waits until none of the guest's grants it saw
 *      for this vif is active in the guest's grant table (read from dom0)
 *      and says how many are (data/hostile-net-N) before it removes the
 *      nodes; the guest then releases the device.
 * One console line per attack: "hostile-net: ATTACK: ..." with the outcome.
 *
 * grant-kept: the tool keeps one receive page mapped after Closed and then
 * writes a pattern into it again and again. The kit must keep that page
 * out of use for good: the guest takes pages from its allocator after the
 * release and none of them ever shows the pattern.
 */
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../guest.h"
#include "../test.h"
#include "../netstack.h"

#ifdef CONFIG_PVK_NETFRONT

#define SEC_NS		(1000ULL * 1000 * 1000)
#define WAIT_NS		(20 * SEC_NS)
#define NORMAL		4		/* frames answered OKAY first */
#define HELD		4		/* frames the tool keeps unanswered */
#define ETH_P_HB	0x88b5u		/* IEEE local experimental */
#define KEPT_PAGES	1024		/* pages taken to look for the pattern */
/* What the tool writes into the page it keeps (net_attack.c). */
#define KEPT_PATTERN	"pvk-hostile-back wrote this after Closed"

struct hn_attack {
	const char *name;
	bool breaks;		/* the vif must end disabled */
	bool kept;		/* grant-kept: one page stays with dom0 */
	bool flood;		/* event-flood: the flood must be held off */
};

static const uint8_t ip0[4] = { 10, 0, 0, 3 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static struct nst_if if0, ifh;
static struct pvk_netfront *vif0;
static struct pvk_netfront *removed_dev;
static bool started;

/* The guest's own frames: kind 0 answered normally, 1 held by the tool. */
struct hn_tx {
	struct pvk_net_tx tx;
	struct pvk_net_frag frag;
	int status;		/* 1 until done() */
	uint8_t *frame;
};
static struct hn_tx txs[NORMAL + HELD];

static void hn_done(struct pvk_net_tx *tx, int status)
{
	struct hn_tx *t = tx->arg;

	PVK_WRITE_ONCE(t->status, status);
}

static void on_removed(struct pvk_netfront *dev)
{
	PVK_WRITE_ONCE(removed_dev, dev);
}

static const struct pvk_netfront_hooks hn_hooks = {
	.rx = nst_rx_hook, .removed = on_removed,
};

static void hn_start(void)
{
	struct pvk_grant_stats gs;

	if (started)
		return;
	started = true;
	guest_events_enable();
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(0xffff968000000000UL, 8), 0);
	PVK_CHECK_RC(pvk_netfront_init(&hn_hooks), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, 30 * SEC_NS, &vif0), 0);
	PVK_CHECK_RC(nst_attach(&if0, vif0, ip0, 0), 0);
}

/* Runs watches until dev's removed hook ran (bounded). */
static int wait_removed(const struct pvk_netfront *dev)
{
	uint64_t deadline = pvk_time_now_ns() + WAIT_NS;

	while (PVK_READ_ONCE(removed_dev) != dev) {
		if (pvk_time_now_ns() >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(SEC_NS / 20);
	}
	return 0;
}

/* Frame i of the guest's: to the tool's MAC (taken from the tool's ARP
 * request), our ethertype, "PVKHB", kind, sequence, then a pattern; frames
 * 1 and 5 are two pages long (a multi-slot transmit). */
static int hn_send(struct pvk_netfront *dev, unsigned int i, uint8_t kind)
{
	struct hn_tx *t = &txs[i];
	size_t len = (i % NORMAL) == 1 ? 6000 : 300;

	static uint8_t frames[NORMAL + HELD][6000];

	t->frame = frames[i];
	memcpy(t->frame, ifh.peer_mac, 6);
	memcpy(t->frame + 6, ifh.mac, 6);
	t->frame[12] = ETH_P_HB >> 8;
	t->frame[13] = ETH_P_HB & 0xff;
	memcpy(t->frame + 14, "PVKHB", 5);
	t->frame[19] = kind;
	t->frame[20] = (uint8_t)i;
	for (size_t k = 21; k < len; k++)
		t->frame[k] = (uint8_t)(k * 7 + i);
	t->frag = (struct pvk_net_frag){ t->frame, len };
	t->tx = (struct pvk_net_tx){ .frags = &t->frag, .nr_frags = 1, .done = hn_done,
				     .arg = t };
	t->status = 1;
	return pvk_netfront_xmit(dev, &t->tx);
}

/* How many of txs[from, from + n) are done, and the first non-zero status. */
static unsigned int hn_done_count(unsigned int from, unsigned int n, int *status)
{
	unsigned int done = 0;

	*status = 0;
	for (unsigned int i = from; i < from + n; i++) {
		int st = PVK_READ_ONCE(txs[i].status);

		if (st == 1)
			continue;
		done++;
		if (st && !*status)
			*status = st;
	}
	return done;
}

struct hn_wait {
	struct pvk_netfront *dev;
	unsigned int from, n;
};

static bool hn_all_done(void *arg)
{
	struct hn_wait *w = arg;
	int st;

	pvk_netfront_poll(w->dev);
	return hn_done_count(w->from, w->n, &st) == w->n;
}

static bool hn_traffic_seen(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(ifh.peer_known) && PVK_READ_ONCE(ifh.c.udp_echoed) >= 2;
}

static bool hn_broken(void *arg)
{
	return pvk_netfront_broken(arg);
}

/* event-flood: whether a port was held masked as flooding since *arg. */
static bool hn_flood_held(void *arg)
{
	const struct pvk_evtchn_stats *ev0 = arg;
	struct pvk_evtchn_stats ev;

	pvk_evtchn_get_stats(&ev);
	return ev.floods > ev0->floods;
}

/* Two echo requests to dom0 on vif 0: how many came back exact. */
static unsigned int ping_vif0(uint16_t seq)
{
	unsigned int ok = 0;

	for (uint16_t k = 0; k < 2; k++)
		ok += nst_ping(&if0, dom0_ip, (uint16_t)(seq + k), 64, NULL, 3 * SEC_NS) == 0;
	return ok;
}

/* grant-kept: pages from the allocator, zeroed by it; dom0 writes into
 * the page it kept meanwhile. How many ever show the pattern. */
static void kept_page_check(unsigned int id, char *answer, size_t size, unsigned int *seenp)
{
	static void *pages[KEPT_PAGES];
	unsigned int got = 0, seen = 0;
	char path[48];
	const size_t plen = sizeof(KEPT_PATTERN) - 1;

	while (got < KEPT_PAGES && (pages[got] = pvk_port_alloc_page()))
		got++;
	/* dom0 writes its count again after each write: a count read after
	 * the pages were taken means a write landed after that. */
	pvk_snprintf(path, sizeof(path), "data/hostile-net-kept-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	PVK_CHECK_RC(guest_dom0_answer("hostile-net", path + 5, answer, size, WAIT_NS), 0);
	pvk_time_sleep_ns(SEC_NS / 2);
	for (unsigned int i = 0; i < got; i++) {
		const char *p = pages[i];

		for (size_t off = 0; off + plen <= 4096; off += 64)
			if (!memcmp(p + off, KEPT_PATTERN, plen)) {
				seen++;
				break;
			}
	}
	for (unsigned int i = 0; i < got; i++)
		pvk_port_free_page(pages[i]);
	guest_printf("hostile-net: grant-kept: %u pages taken from the allocator after the release, %u show dom0's writes\n",
		     got, seen);
	*seenp = seen;
	PVK_CHECK(got > 0);
}

/* grant-kept, once the pages were looked at: dom0 is told so, stops
 * writing and unmaps its page; the release, refused until then, is tried
 * again (bounded) and must free the device. *rel: the last release's. */
static void kept_release(unsigned int id, struct pvk_netfront *dev, int *rel,
			 unsigned int *tries)
{
	uint64_t deadline;
	char path[64], answer[64];

	pvk_snprintf(path, sizeof(path), "data/hostile-net-kept-checked-%u", id);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, path, "1"), 0);
	pvk_snprintf(path, sizeof(path), "hostile-net-unmapped-%u", id);
	PVK_CHECK_RC(guest_dom0_answer("hostile-net", path, answer, sizeof(answer), WAIT_NS), 0);
	deadline = pvk_time_now_ns() + 5 * SEC_NS;
	do {
		++*tries;
		*rel = pvk_netfront_release(dev);
		if (*rel != -PVK_XEN_EBUSY)
			break;
		pvk_time_sleep_ns(SEC_NS / 10);
	} while (pvk_time_now_ns() < deadline);
}

static void hostile_net_run(const struct hn_attack *a, unsigned int id)
{
	static const char *verdict_none = "served";
	struct pvk_netfront *dev = NULL;
	struct pvk_netfront_stats st;
	struct pvk_evtchn_stats ev0, ev1;
	struct hn_wait w;
	char path[48], answer[200];
	uint8_t ip[4] = { 10, 0, 1, (uint8_t)id };
	unsigned int held_done, pings, held_after, vif0_held, kept_seen = 0, tries = 0;
	int held_status, new_tx, rc, rel, rel_unmapped = 1;
	bool broke;
	uint64_t t0;

	hn_start();
	pvk_snprintf(path, sizeof(path), "data/hostile-net-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	pvk_snprintf(path, sizeof(path), "data/hostile-net-detach-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	pvk_snprintf(path, sizeof(path), "data/hostile-net-kept-checked-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	pvk_snprintf(path, sizeof(path), "data/hostile-net-unmapped-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	pvk_snprintf(path, sizeof(path), "data/hostile-net-flood-held-%u", id);
	pvk_xs_rm(PVK_XBT_NIL, path);
	t0 = pvk_time_now_ns();
	guest_printf("hostile-net: ready for %s on vif %u\n", a->name, id);
	PVK_CHECK_RC(pvk_netfront_wait_connected(id, WAIT_NS, &dev), 0);
	PVK_CHECK_RC(nst_attach(&ifh, dev, ip, NST_UDP_ECHO), 0);

	/* 1: the tool's traffic answered, our frames answered OKAY. */
	rc = guest_wait_until(hn_traffic_seen, NULL, WAIT_NS);
	guest_printf("hostile-net: %s: vif %u up after %lu ms: ARP answered %lu, UDP echoed %lu (%lu..%lu bytes), bad %lu\n",
		     a->name, id, (unsigned long)((pvk_time_now_ns() - t0) / 1000000),
		     ifh.c.arp_answered, ifh.c.udp_echoed, ifh.c.udp_echo_min,
		     ifh.c.udp_echo_max, ifh.c.rx_bad);
	PVK_CHECK_RC(rc, 0);
	for (unsigned int i = 0; i < NORMAL; i++)
		PVK_CHECK_RC(hn_send(dev, i, 0), 0);
	w = (struct hn_wait){ dev, 0, NORMAL };
	PVK_CHECK_RC(guest_wait_until(hn_all_done, &w, WAIT_NS), 0);
	hn_done_count(0, NORMAL, &held_status);
	PVK_CHECK_RC(held_status, 0);

	/* 2: the held frames; the attack follows them. The event counters
	 * around it: event-flood's must show the flood held off. */
	pvk_evtchn_get_stats(&ev0);
	for (unsigned int i = NORMAL; i < NORMAL + HELD; i++)
		PVK_CHECK_RC(hn_send(dev, i, 1), 0);
	if (a->flood) {
		/* Until the port was held off (or the wait ends); then the
		 * tool stops flooding and answers the held frames. */
		guest_wait_until(hn_flood_held, &ev0, WAIT_NS);
		pvk_snprintf(path, sizeof(path), "data/hostile-net-flood-held-%u", id);
		PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, path, "1"), 0);
	}
	if (a->breaks)
		rc = guest_wait_until(hn_broken, dev, WAIT_NS);
	else
		rc = guest_wait_until(hn_all_done, &(struct hn_wait){ dev, NORMAL, HELD }, WAIT_NS);
	/* Bounded: done() must come for each, whatever the backend did. */
	w = (struct hn_wait){ dev, NORMAL, HELD };
	guest_wait_until(hn_all_done, &w, 5 * SEC_NS);
	held_done = hn_done_count(NORMAL, HELD, &held_status);
	pvk_evtchn_get_stats(&ev1);
	broke = pvk_netfront_broken(dev);
	new_tx = broke ? hn_send(dev, NORMAL, 1) : 0;
	pvk_netfront_get_stats(dev, &st);

	/* 4: dom0 detaches the vif and counts what it still grants. */
	pvk_snprintf(path, sizeof(path), "data/hostile-net-%u", id);
	rel = pvk_netfront_release(dev);	/* -EBUSY: still on xenbus (a
						 * broken vif closes here) */
	pvk_snprintf(answer, sizeof(answer), "data/hostile-net-detach-%u", id);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, answer, "1"), 0);
	PVK_CHECK_RC(wait_removed(dev), 0);
	nst_detach(&ifh);
	pvk_snprintf(path, sizeof(path), "hostile-net-%u", id);
	PVK_CHECK_RC(guest_dom0_answer("hostile-net", path, answer, sizeof(answer), WAIT_NS), 0);
	held_after = pvk_netfront_grants_held(dev);
	/* dom0's total of the guest's grants, next to what vif 0 holds
	 * (shown, not compared: vif 0 serves dom0's traffic meanwhile). */
	vif0_held = pvk_netfront_grants_held(vif0);
	/* vif 0 is pinged only once dom0 has counted: its receive refills
	 * take the grant refs this vif freed. (dom0 reads each ref's page
	 * while the ref is this vif's, so a ref granted again by vif 0
	 * grants another page and is not counted; see net_back.c.) */
	pings = ping_vif0((uint16_t)(id * 10));
	rel = pvk_netfront_release(dev);
	if (a->kept) {
		PVK_CHECK_CALL(kept_page_check(id, path, sizeof(path), &kept_seen));
		/* Only a device still there (a release that wrongly freed
		 * it already fails the check of rel below). */
		if (rel == -PVK_XEN_EBUSY)
			PVK_CHECK_CALL(kept_release(id, dev, &rel_unmapped, &tries));
	}

	guest_printf("hostile-net: %s: vif %u %s; held transmits %u of %u done (status %d), new transmit %d; rx %llu frames, drops %llu/%llu/%llu, events %llu, floods held %llu; vif 0 ping %u of 2, holds %u; dom0: \"%s\"; grants held %u, release %d\n",
		     a->name, id, broke ? "disabled" : verdict_none, held_done, HELD, held_status,
		     new_tx, (unsigned long long)st.rx_packets,
		     (unsigned long long)st.rx_drop_error, (unsigned long long)st.rx_drop_toolong,
		     (unsigned long long)st.rx_drop_empty, (unsigned long long)st.notify_recv,
		     (unsigned long long)(ev1.floods - ev0.floods), pings, vif0_held, answer, held_after, rel);
	if (a->kept)
		guest_printf("hostile-net: %s: vif %u: after dom0 unmapped the kept page, release %d (try %u)\n",
			     a->name, id, rel_unmapped, tries);
	PVK_CHECK_EQ(broke, a->breaks);
	PVK_CHECK_EQ(held_done, HELD);
	PVK_CHECK_EQ(pings, 2);
	if (a->flood)
		PVK_CHECK_GT(ev1.floods - ev0.floods, 0);
	if (a->breaks) {
		PVK_CHECK_RC(held_status, -PVK_XEN_EIO);
		PVK_CHECK_RC(new_tx, -PVK_XEN_EIO);
	} else {
		PVK_CHECK_RC(held_status, 0);
	}
	if (a->kept) {
		/* One page stays granted to dom0, the device unreleased. */
		PVK_CHECK_STR_CONTAINS(answer, "grants-active: 1");
		PVK_CHECK_EQ(held_after, 1);
		PVK_CHECK_RC(rel, -PVK_XEN_EBUSY);
		PVK_CHECK_EQ(kept_seen, 0);
		/* Once dom0 let go, a release tried again ends that grant,
		 * frees the page and the device. */
		PVK_CHECK_RC(rel_unmapped, 0);
	} else {
		PVK_CHECK_STR_CONTAINS(answer, "grants-active: 0");
		PVK_CHECK_EQ(held_after, 0);
		PVK_CHECK_RC(rel, 0);
	}
}

/* One test per attack, each on its own vif (its number: the order here
 * and in the scenario's pvkit.test list). */
#define HN_TEST(fn, attack, vif, breaks, kept, flood)			\
	PVK_GUEST_TEST_XEN_EXPLICIT(fn)					\
	{								\
		static const struct hn_attack a = { attack, breaks, kept, flood }; \
		hostile_net_run(&a, vif);				\
	}

HN_TEST(hostile_net_none, "none", 1, false, false, false)
HN_TEST(hostile_net_tx_unknown_id, "tx-unknown-id", 2, true, false, false)
HN_TEST(hostile_net_tx_dup_id, "tx-dup-id", 3, true, false, false)
HN_TEST(hostile_net_tx_done_id, "tx-done-id", 4, true, false, false)
HN_TEST(hostile_net_tx_bad_status, "tx-bad-status", 5, true, false, false)
HN_TEST(hostile_net_tx_rsp_jump, "tx-rsp-jump", 6, true, false, false)
HN_TEST(hostile_net_tx_rsp_back, "tx-rsp-back", 7, true, false, false)
HN_TEST(hostile_net_rx_unknown_id, "rx-unknown-id", 8, true, false, false)
HN_TEST(hostile_net_rx_dup_id, "rx-dup-id", 9, true, false, false)
HN_TEST(hostile_net_rx_bad_status, "rx-bad-status", 10, true, false, false)
HN_TEST(hostile_net_rx_offset_past_page, "rx-offset-past-page", 11, true, false, false)
HN_TEST(hostile_net_rx_size_over_buffer, "rx-size-over-buffer", 12, true, false, false)
HN_TEST(hostile_net_rx_more_frags, "rx-more-frags", 13, true, false, false)
HN_TEST(hostile_net_rx_more_data_end, "rx-more-data-end", 14, false, false, false)
HN_TEST(hostile_net_rx_extra_chain, "rx-extra-chain", 15, true, false, false)
HN_TEST(hostile_net_rx_rsp_jump, "rx-rsp-jump", 16, true, false, false)
HN_TEST(hostile_net_rx_rsp_back, "rx-rsp-back", 17, true, false, false)
HN_TEST(hostile_net_rx_rsp_wrap, "rx-rsp-wrap", 18, true, false, false)
HN_TEST(hostile_net_event_flood, "event-flood", 19, false, false, true)
HN_TEST(hostile_net_grant_kept, "grant-kept", 20, false, true, false)

#endif /* CONFIG_PVK_NETFRONT */
