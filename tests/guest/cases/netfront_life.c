/*
 * tests/guest/cases/netfront_life.c - a vif's life while the guest runs,
 * against Linux netback on dom0's bridge (scenario guest-netfront-life,
 * explicit only). dom0's part is the scenario's ON_LINE rules, each fired
 * by a "netfront-life: ready for ..." line; answers come back under the
 * guest's data/ in xenstore.
 *
 *   netfront_life_hotplug  vif 0 (10.0.0.3) comes up and pings dom0; dom0
 *                  attaches vif 1 (xl network-attach): the added hook, the
 *                  link up, address 10.0.0.4, dom0 pings it (busybox ping,
 *                  3 of 3 answered, the guest counts the echo requests it
 *                  answered on vif 1); dom0 detaches it: link down, the
 *                  removed hook, pvk_netfront_release() (-EBUSY before,
 *                  0 after), and dom0 reads the guest's grant table
 *                  (pvk-grant-scan): exactly what vif 0 holds is left.
 *                  xl network-detach's exit status and duration come
 *                  back too (0, and far from libxl's 10 s timeout).
 *   netfront_life_cycle  dom0 unbinds netback from vif 0 and binds it
 *                  again (netback's InitWait seen while connected): the
 *                  link goes down once (a transmit from the link hook
 *                  then gives -ENODEV), the device reconnects by itself
 *                  once (same struct pvk_netfront), holds the grants it
 *                  held before (pvk-grant-scan agrees), and the guest
 *                  pings dom0 again, every reply byte-exact.
 *   netfront_life_closed  the same through Closed: dom0 unbinds netback,
 *                  writes its state Closing then Closed, binds it again.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "../netstack.h"

#ifdef CONFIG_PVK_NETFRONT

#define SEC_NS		(1000ULL * 1000 * 1000)
#define CONNECT_NS	(30 * SEC_NS)
#define DOM0_WAIT_NS	(40 * SEC_NS)
#define PINGS		8

static const uint8_t ip0[4] = { 10, 0, 0, 3 };
static const uint8_t ip1[4] = { 10, 0, 0, 4 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static struct nst_if if0, if1;
static struct pvk_netfront *vif0, *vif1;
static unsigned int added, removed, link_up[2], link_down[2];
static struct pvk_netfront *removed_dev;
static int down_xmit_rc = 1;		/* a transmit tried from the down hook */
static unsigned int down_xmit_done;

static void probe_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	(void)status;
	down_xmit_done++;
}

static void on_added(struct pvk_netfront *dev)
{
	(void)dev;
	added++;
}

static void on_link(struct pvk_netfront *dev, bool up)
{
	static uint8_t frame[60];
	static struct pvk_net_frag frag = { frame, sizeof(frame) };
	static struct pvk_net_tx tx = { .frags = &frag, .nr_frags = 1, .done = probe_done };
	unsigned int id = pvk_netfront_info(dev)->id;

	if (id > 1)
		return;
	if (up) {
		link_up[id]++;
		return;
	}
	link_down[id]++;
	/* Told "down": nothing may be taken any more. */
	if (id == 0 && down_xmit_rc == 1)
		down_xmit_rc = pvk_netfront_xmit(dev, &tx);
}

static void on_removed(struct pvk_netfront *dev)
{
	removed++;
	removed_dev = dev;
}

static const struct pvk_netfront_hooks life_hooks = {
	.added = on_added, .link = on_link, .rx = nst_rx_hook, .removed = on_removed,
};

static unsigned long ms_since(uint64_t t0)
{
	return (unsigned long)((pvk_time_now_ns() - t0) / 1000000);
}

/* Runs watches until *counter reaches want (bounded). */
static int wait_count(const unsigned int *counter, unsigned int want)
{
	uint64_t deadline = pvk_time_now_ns() + CONNECT_NS;

	while (PVK_READ_ONCE(*counter) < want) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(SEC_NS / 10);
	}
	return 0;
}

/* dom0's answer under data/NAME (bounded); 0 or a negative errno. */
static int dom0_answer(const char *name, char *buf, size_t size)
{
	return guest_dom0_answer("netfront-life", name, buf, size, DOM0_WAIT_NS);
}

/* PINGS echo requests of growing size to dom0: how many came back exact. */
static unsigned int ping_dom0(struct nst_if *nif)
{
	uint8_t mac[PVK_NET_ETH_ALEN];
	unsigned int ok = 0;

	if (nst_resolve(nif, dom0_ip, mac, 5 * SEC_NS))
		return 0;
	for (unsigned int i = 0; i < PINGS; i++) {
		int rc = nst_ping(nif, dom0_ip, (uint16_t)(i + 1), 56 + 180 * i, NULL, 2 * SEC_NS);

		if (rc)
			guest_printf("netfront-life: ping %u (%u bytes): %d\n", i + 1, 56 + 180 * i, rc);
		else
			ok++;
	}
	return ok;
}

/* The grant table, set up once per boot (as cases/grant_table.c). */
static void grant_table_up(void)
{
	struct pvk_grant_stats gs;

	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(0xffff968000000000UL, 8), 0);
}

/* dom0 counts in Xen's table what vif 0 holds (held), and nothing more. */
static void grant_scan(unsigned int held, const char *after)
{
	char answer[96], want[48];

	/* The answer of an earlier scan goes first. */
	pvk_xs_rm(PVK_XBT_NIL, "data/grant-scan");
	/* One line (and ON_LINE rule) per scan: a rule fires once. */
	guest_printf("netfront-life: vif 0 holds %u grants: ready for grant scan after the %s (dom0: pvk-grant-scan now)\n",
		     held, after);
	PVK_CHECK_RC(dom0_answer("grant-scan", answer, sizeof(answer)), 0);
	pvk_snprintf(want, sizeof(want), "grants-to-dom0: %u", held);
	PVK_CHECK_STR_CONTAINS(answer, want);
}

static bool life_started;

static void life_start(void)
{
	if (life_started)
		return;
	life_started = true;
	guest_events_enable();
	grant_table_up();
	PVK_CHECK_RC(pvk_netfront_init(&life_hooks), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &vif0), 0);
	PVK_CHECK_RC(nst_attach(&if0, vif0, ip0, 0), 0);
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_life_hotplug)
{
	const struct pvk_netfront_info *i;
	struct nst_counts c;
	char answer[96];
	unsigned int ok, held0;
	uint64_t t0;

	life_start();
	i = pvk_netfront_info(vif0);
	ok = ping_dom0(&if0);
	guest_printf("netfront-life: vif 0 up: %u queue(s), sg %d, csum %d, split %d; ping: %u of %u echo replies byte-exact\n",
		     i->nr_queues, i->sg, i->csum_offload, i->split_evtchn, ok, PINGS);
	PVK_CHECK_EQ(ok, PINGS);
	PVK_CHECK_EQ(added, 1);

	t0 = pvk_time_now_ns();
	guest_printf("netfront-life: ready for attach of vif 1 (dom0: xl network-attach now)\n");
	PVK_CHECK_RC(wait_count(&added, 2), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(1, CONNECT_NS, &vif1), 0);
	PVK_CHECK(vif1 != vif0);
	PVK_CHECK_RC(nst_attach(&if1, vif1, ip1, 0), 0);
	guest_printf("netfront-life: vif 1 added and up %lu ms after the request, mac %02x:%02x:%02x:%02x:%02x:%02x, 10.0.0.4\n",
		     ms_since(t0), if1.mac[0], if1.mac[1], if1.mac[2], if1.mac[3],
		     if1.mac[4], if1.mac[5]);
	/* Still on xenbus: nothing may be freed. */
	PVK_CHECK_RC(pvk_netfront_release(vif1), -PVK_XEN_EBUSY);

	guest_printf("netfront-life: ready for dom0 ping of 10.0.0.4\n");
	PVK_CHECK_RC(dom0_answer("ping-vif1", answer, sizeof(answer)), 0);
	c = if1.c;
	guest_printf("netfront-life: vif 1 answered %lu ARP request(s), %lu echo request(s); tx refused %lu, failed %lu\n",
		     c.arp_answered, c.icmp_answered, c.tx_refused, c.tx_done_err);
	PVK_CHECK_STR_CONTAINS(answer, "3 packets received");
	PVK_CHECK(c.icmp_answered >= 3);
	PVK_CHECK(c.arp_answered >= 1);
	PVK_CHECK_EQ(c.tx_refused, 0);

	t0 = pvk_time_now_ns();
	guest_printf("netfront-life: ready for detach of vif 1 (dom0: xl network-detach now)\n");
	PVK_CHECK_RC(wait_count(&removed, 1), 0);
	nst_detach(&if1);
	guest_printf("netfront-life: vif 1 removed %lu ms after the request: link down %u, removed hook %u (vif %u), holds %u grants; new transmits give %d\n",
		     ms_since(t0), link_down[1], removed, pvk_netfront_info(removed_dev)->id,
		     pvk_netfront_grants_held(vif1),
		     pvk_netfront_wait_tx(vif1, 0, SEC_NS));
	PVK_CHECK(removed_dev == vif1);
	PVK_CHECK_EQ(link_down[1], 1);
	PVK_CHECK_RC(pvk_netfront_wait_tx(vif1, 0, SEC_NS), -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(pvk_netfront_grants_held(vif1), 0);
	PVK_CHECK_RC(pvk_netfront_release(vif1), 0);
	vif1 = NULL;
	guest_printf("netfront-life: vif 1 released\n");
	/* xl's own verdict: a detach that timed out (libxl waits 10 s for
	 * the frontend, then removes by force) exits 0 too, so its duration
	 * is checked as well. */
	PVK_CHECK_RC(dom0_answer("detach", answer, sizeof(answer)), 0);
	{
		unsigned long xl_rc = 99, ms = 99999;
		const char *p = answer;

		if (p[0] == 'r' && p[1] == 'c' && p[2] == ' ') {
			xl_rc = 0;
			for (p += 3; *p >= '0' && *p <= '9'; p++)
				xl_rc = xl_rc * 10 + (unsigned long)(*p - '0');
		}
		if (p[0] == ' ' && p[1] == 'm' && p[2] == 's' && p[3] == ' ') {
			ms = 0;
			for (p += 4; *p >= '0' && *p <= '9'; p++)
				ms = ms * 10 + (unsigned long)(*p - '0');
		}
		guest_printf("netfront-life: xl network-detach exited %lu after %lu ms\n", xl_rc, ms);
		PVK_CHECK_EQ(xl_rc, 0);
		PVK_CHECK(ms < 8000);	/* libxl's 10 s timeout not reached */
	}

	held0 = pvk_netfront_grants_held(vif0);
	grant_scan(held0, "detach");
	PVK_CHECK_EQ(pvk_netfront_grants_held(vif0), held0);
}

/* One cycle of vif 0's backend driven by dom0 (what: the ON_LINE rule's
 * words): the link goes down once and comes up once on the same device,
 * holding as many grants as before; dom0 is answered again. */
/* Polls vif 0 (its completions) and says whether it holds *arg grants. */
static bool grants_back_to(void *arg)
{
	pvk_netfront_poll(vif0);
	return pvk_netfront_grants_held(vif0) == *(const unsigned int *)arg;
}

static void backend_cycle(const char *what)
{
	struct pvk_netfront *again = NULL;
	struct pvk_netfront_stats st;
	unsigned int ok, probes = 0, held;
	int settle_rc;
	unsigned long down_ms, up_ms;
	uint64_t t0;

	life_start();
	held = pvk_netfront_grants_held(vif0);
	down_xmit_rc = 1;
	down_xmit_done = 0;
	link_down[0] = link_up[0] = 0;
	t0 = pvk_time_now_ns();
	guest_printf("netfront-life: ready for backend %s of vif 0 (dom0: now)\n", what);
	PVK_CHECK_RC(wait_count(&link_down[0], 1), 0);
	down_ms = ms_since(t0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &again), 0);
	up_ms = ms_since(t0);
	guest_printf("netfront-life: %s: vif 0 link down after %lu ms (a transmit then gave %d, done() called %u time(s)), up again after %lu ms, same device %s, link downs %u ups %u, removed hooks %u\n",
		     what, down_ms, down_xmit_rc, down_xmit_done, up_ms,
		     again == vif0 ? "yes" : "NO", link_down[0], link_up[0], removed);
	PVK_CHECK_RC(down_xmit_rc, -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(down_xmit_done, 0);
	PVK_CHECK(again == vif0);
	PVK_CHECK(!pvk_netfront_broken(vif0));
	/* Either path (InitWait or Connected seen again, or Closing and
	 * Closed) closes once and reconnects once. */
	PVK_CHECK_EQ(link_down[0], 1);
	PVK_CHECK_EQ(link_up[0], 1);
	PVK_CHECK_EQ(removed, 1);	/* vif 1's, not vif 0's */
	/* The new vif's bridge port may drop the very first frames while it
	 * comes up in dom0: wait (bounded) for one answered echo, then the
	 * PINGS below must all come back exact. */
	while (probes < 10 && nst_ping(&if0, dom0_ip, (uint16_t)(100 + probes), 56, NULL,
				       SEC_NS / 2))
		probes++;
	guest_printf("netfront-life: %s: dom0 answers again after %u lost probe(s)\n", what, probes);
	PVK_CHECK(probes < 10);
	ok = ping_dom0(&if0);
	/* A transmit still in flight (the last reply's) holds its page's
	 * grant until the backend answers: wait (bounded) for the count to
	 * settle before comparing it. */
	settle_rc = guest_wait_until(grants_back_to, &held, SEC_NS);
	pvk_netfront_get_stats(vif0, &st);
	guest_printf("netfront-life: after the %s (grants settled: %d): ping: %u of %u echo replies byte-exact; tx %llu packets, rx %llu packets, errors %llu, %u grants held (%u before)\n",
		     what, settle_rc, ok, PINGS, (unsigned long long)st.tx_packets,
		     (unsigned long long)st.rx_packets, (unsigned long long)st.tx_errors,
		     pvk_netfront_grants_held(vif0), held);
	PVK_CHECK_EQ(ok, PINGS);
	PVK_CHECK_EQ(st.tx_errors, 0);
	/* Nothing of the old connection is left granted. */
	PVK_CHECK_EQ(pvk_netfront_grants_held(vif0), held);
	grant_scan(held, what);
}

/* netback unbound and bound again: it leaves its state Connected, then
 * writes InitWait (and Connected at once). */
PVK_GUEST_TEST_XEN_EXPLICIT(netfront_life_cycle)
{
	backend_cycle("rebind");
}

/* netback unbound, dom0 writes its state Closing then Closed (online
 * still 1), then binds it again: the frontend's Closed path. */
PVK_GUEST_TEST_XEN_EXPLICIT(netfront_life_closed)
{
	backend_cycle("closed cycle");
}

#endif /* CONFIG_PVK_NETFRONT */
