/*
 * tests/unit/test_netfront_xenbus.c - netfront's negotiation decisions on
 * the host (netfront_negotiate.c): what is used given the host's switches
 * and a backend's offer, the keys written for one queue and for several
 * (flat or under queue-N/, one event channel or split), the "trusted" and
 * "queues" switches, and what follows a Closed backend (reconnect, wait
 * for the removal, or disable).
 */
#include <string.h>

#include <pvkit/xen/errno.h>

#include "frontends/netfront/netfront_internal.h"
#include "unit.h"

static const struct netfront_options all_on = {
	.sg = true, .gso_tcpv4 = true, .gso_tcpv6 = true, .csum = true,
	.ipv6_csum = true, .split_evtchn = true, .trusted = true,
	.queues = 2, .rx_buffers = 256,
};

/* What Linux netback writes (feature-no-csum-offload: not written), with
 * dom0 of 4 CPUs; the toolstack wrote no "trusted" key for us. */
static const struct netfront_offer netback = {
	.rx_copy = 1, .sg = 1, .gso_tcpv4 = 1, .gso_tcpv6 = 1, .no_csum_offload = 0,
	.ipv6_csum_offload = 1, .split_evtchn = 1, .max_queues = 4, .trusted = 0,
};

static struct pvk_netfront_info negotiated(const struct netfront_options *o,
					   const struct netfront_offer *b, int *rc,
					   bool *capped)
{
	struct pvk_netfront_info i;

	memset(&i, 0xa5, sizeof(i));
	*rc = netfront_negotiate(o, b, &i, capped);
	return i;
}

UNIT_TEST(netfront_options_defaults_and_trusted)
{
	struct netfront_options o = all_on;

	/* The header's defaults: two queues, everything allowed. */
	CHECK_EQ(netfront_opts.queues, 2);
	CHECK(netfront_opts.sg && netfront_opts.gso_tcpv4 && netfront_opts.gso_tcpv6 &&
	      netfront_opts.csum && netfront_opts.ipv6_csum && netfront_opts.split_evtchn &&
	      netfront_opts.trusted);
	CHECK_EQ(netfront_parse_option(&o, "trusted", "0"), 0);
	CHECK(!o.trusted);
	CHECK_EQ(netfront_parse_option(&o, "trusted", "1"), 0);
	CHECK(o.trusted);
	CHECK_EQ(netfront_parse_option(&o, "trusted", "2"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "trust", "1"), -PVK_XEN_EINVAL);
	CHECK(o.trusted);
}

UNIT_TEST(netfront_negotiate_everything_offered)
{
	struct pvk_netfront_info i;
	bool capped = true;
	int rc;

	i = negotiated(&all_on, &netback, &rc, &capped);
	CHECK_EQ(rc, 0);
	CHECK(!capped);
	CHECK_EQ(i.nr_queues, 2);	/* ours: fewer than its 4 */
	CHECK(i.sg && i.gso_tcpv4 && i.gso_tcpv6 && i.csum_offload && i.ipv6_csum_offload);
	CHECK(i.split_evtchn);
	CHECK(!i.trusted);		/* no key: untrusted */
	CHECK_EQ(i.max_frame, 65535);
}

UNIT_TEST(netfront_negotiate_switches_off)
{
	struct netfront_options o;
	struct pvk_netfront_info i;
	bool capped;
	int rc;

	o = all_on;
	o.sg = false;
	i = negotiated(&o, &netback, &rc, &capped);
	/* GSO frames are several slots: no sg, no gso. */
	CHECK(!i.sg && !i.gso_tcpv4 && !i.gso_tcpv6);
	CHECK(i.csum_offload && i.ipv6_csum_offload);
	CHECK_EQ(i.max_frame, 1514);

	o = all_on;
	o.csum = false;
	i = negotiated(&o, &netback, &rc, &capped);
	CHECK(!i.csum_offload && !i.gso_tcpv4);
	CHECK(i.ipv6_csum_offload && i.gso_tcpv6 && i.sg);

	o = all_on;
	o.ipv6_csum = false;
	i = negotiated(&o, &netback, &rc, &capped);
	CHECK(!i.ipv6_csum_offload && !i.gso_tcpv6);
	CHECK(i.csum_offload && i.gso_tcpv4);

	o = all_on;
	o.gso_tcpv4 = o.gso_tcpv6 = o.split_evtchn = false;
	o.queues = 1;
	i = negotiated(&o, &netback, &rc, &capped);
	CHECK(!i.gso_tcpv4 && !i.gso_tcpv6 && !i.split_evtchn);
	CHECK_EQ(i.nr_queues, 1);
	CHECK(i.sg);
}

UNIT_TEST(netfront_negotiate_backend_offers_less)
{
	struct netfront_offer b;
	struct pvk_netfront_info i;
	bool capped;
	int rc;

	/* An old backend: rx-copy only, nothing else written. */
	memset(&b, 0, sizeof(b));
	b.rx_copy = 1;
	b.max_queues = 1;
	i = negotiated(&all_on, &b, &rc, &capped);
	CHECK_EQ(rc, 0);
	CHECK_EQ(i.nr_queues, 1);
	CHECK(!i.sg && !i.gso_tcpv4 && !i.gso_tcpv6 && !i.ipv6_csum_offload && !i.split_evtchn);
	CHECK(i.csum_offload);		/* IPv4: on unless refused */

	/* feature-no-csum-offload=1: IPv4 checksum offload (and TSO) off. */
	b = netback;
	b.no_csum_offload = 1;
	i = negotiated(&all_on, &b, &rc, &capped);
	CHECK(!i.csum_offload && !i.gso_tcpv4);
	CHECK(i.gso_tcpv6);

	/* Only 1 means offered. */
	b = netback;
	b.sg = 2;
	b.split_evtchn = 7;
	i = negotiated(&all_on, &b, &rc, &capped);
	CHECK(!i.sg && !i.gso_tcpv4 && !i.split_evtchn);

	/* Without rx-copy there is no receive path at all. */
	b = netback;
	b.rx_copy = 0;
	negotiated(&all_on, &b, &rc, &capped);
	CHECK_EQ(rc, -PVK_XEN_EOPNOTSUPP);
}

UNIT_TEST(netfront_negotiate_queues)
{
	struct netfront_options o = all_on;
	struct netfront_offer b = netback;
	struct pvk_netfront_info i;
	bool capped;
	int rc;

	o.queues = 8;
	b.max_queues = 3;
	i = negotiated(&o, &b, &rc, &capped);
	CHECK_EQ(i.nr_queues, 3);
	CHECK(!capped);
	b.max_queues = 0;		/* nonsense, but one queue always works */
	i = negotiated(&o, &b, &rc, &capped);
	CHECK_EQ(i.nr_queues, 1);
	CHECK(!capped);
	b.max_queues = NETFRONT_QUEUES_ABSURD;
	i = negotiated(&o, &b, &rc, &capped);
	CHECK_EQ(i.nr_queues, 8);
	CHECK(!capped);
	b.max_queues = ~0UL;
	i = negotiated(&o, &b, &rc, &capped);
	CHECK_EQ(rc, 0);
	CHECK_EQ(i.nr_queues, 8);
	CHECK(capped);
}

UNIT_TEST(netfront_negotiate_trusted)
{
	struct netfront_options o = all_on;
	struct netfront_offer b = netback;
	struct pvk_netfront_info i;
	bool capped;
	int rc;

	b.trusted = 1;
	i = negotiated(&o, &b, &rc, &capped);
	CHECK(i.trusted);
	o.trusted = false;		/* netfront.trusted=0 wins */
	i = negotiated(&o, &b, &rc, &capped);
	CHECK(!i.trusted);
	o.trusted = true;
	b.trusted = 2;
	i = negotiated(&o, &b, &rc, &capped);
	CHECK(!i.trusted);
}

static const char *key(const struct netfront_keys *ks, const char *name)
{
	for (unsigned int i = 0; i < ks->n; i++)
		if (!strcmp(ks->kv[i].key, name))
			return ks->kv[i].value;
	return NULL;
}

UNIT_TEST(netfront_keys_one_queue)
{
	static struct netfront_keys ks;
	struct pvk_netfront_info i;
	const struct netfront_queue_keys q = { .tx_ref = 8, .rx_ref = 9, .port_tx = 5,
					       .port_rx = 5 };
	bool capped;
	int rc;
	struct netfront_options o = all_on;

	o.queues = 1;
	o.split_evtchn = false;
	o.ipv6_csum = false;
	i = negotiated(&o, &netback, &rc, &capped);
	netfront_build_keys(&ks, &i, &q);
	CHECK_EQ(ks.n, 3 + 7);
	CHECK_STR(key(&ks, "tx-ring-ref"), "8");
	CHECK_STR(key(&ks, "rx-ring-ref"), "9");
	CHECK_STR(key(&ks, "event-channel"), "5");
	CHECK(key(&ks, "event-channel-tx") == NULL);
	CHECK(key(&ks, "multi-queue-num-queues") == NULL);
	CHECK(key(&ks, "queue-0/tx-ring-ref") == NULL);
	CHECK_STR(key(&ks, "request-rx-copy"), "1");
	CHECK_STR(key(&ks, "feature-rx-notify"), "1");
	CHECK_STR(key(&ks, "feature-sg"), "1");
	CHECK_STR(key(&ks, "feature-gso-tcpv4"), "1");
	CHECK_STR(key(&ks, "feature-gso-tcpv6"), "0");
	CHECK_STR(key(&ks, "feature-no-csum-offload"), "0");
	CHECK_STR(key(&ks, "feature-ipv6-csum-offload"), "0");
}

UNIT_TEST(netfront_keys_queues_split)
{
	static struct netfront_keys ks;
	struct pvk_netfront_info i;
	struct netfront_queue_keys q[NETFRONT_MAX_QUEUES];
	struct netfront_options o = all_on;
	struct netfront_offer b = netback;
	bool capped;
	int rc;

	o.queues = NETFRONT_MAX_QUEUES;
	o.csum = false;
	b.max_queues = 64;
	for (unsigned int n = 0; n < NETFRONT_MAX_QUEUES; n++)
		q[n] = (struct netfront_queue_keys){ 100 + n, 200 + n, 10 + 2 * n, 11 + 2 * n };
	i = negotiated(&o, &b, &rc, &capped);
	CHECK_EQ(i.nr_queues, NETFRONT_MAX_QUEUES);
	netfront_build_keys(&ks, &i, q);
	CHECK(ks.n <= NETFRONT_MAX_KEYS);
	CHECK_EQ(ks.n, 1 + 4 * NETFRONT_MAX_QUEUES + 7);
	CHECK_STR(key(&ks, "multi-queue-num-queues"), "8");
	/* No top-level queue keys with several queues (netif.h). */
	CHECK(key(&ks, "tx-ring-ref") == NULL);
	CHECK(key(&ks, "event-channel") == NULL);
	CHECK(key(&ks, "event-channel-tx") == NULL);
	CHECK_STR(key(&ks, "queue-0/tx-ring-ref"), "100");
	CHECK_STR(key(&ks, "queue-0/rx-ring-ref"), "200");
	CHECK_STR(key(&ks, "queue-0/event-channel-tx"), "10");
	CHECK_STR(key(&ks, "queue-0/event-channel-rx"), "11");
	CHECK_STR(key(&ks, "queue-7/tx-ring-ref"), "107");
	CHECK_STR(key(&ks, "queue-7/event-channel-rx"), "25");
	CHECK(key(&ks, "queue-7/event-channel") == NULL);
	CHECK(key(&ks, "queue-8/tx-ring-ref") == NULL);
	CHECK_STR(key(&ks, "feature-no-csum-offload"), "1");
	CHECK_STR(key(&ks, "feature-gso-tcpv4"), "0");
	CHECK_STR(key(&ks, "feature-gso-tcpv6"), "1");

	/* Two queues, one event channel each. */
	o.queues = 2;
	o.split_evtchn = false;
	i = negotiated(&o, &b, &rc, &capped);
	netfront_build_keys(&ks, &i, q);
	CHECK_EQ(ks.n, 1 + 3 * 2 + 7);
	CHECK_STR(key(&ks, "multi-queue-num-queues"), "2");
	CHECK_STR(key(&ks, "queue-1/event-channel"), "12");
	CHECK(key(&ks, "queue-1/event-channel-tx") == NULL);
}

UNIT_TEST(netfront_after_closed_decides)
{
	/* netback unbound and bound again: the device is still online. */
	CHECK_EQ(netfront_after_closed(0, 1, false), NETFRONT_RECONNECT);
	/* xl network-detach wrote online=0 first. */
	CHECK_EQ(netfront_after_closed(0, 0, false), NETFRONT_WAIT_REMOVAL);
	/* The backend's directory is gone (or unreadable). */
	CHECK_EQ(netfront_after_closed(-PVK_XEN_ENOENT, 1, false), NETFRONT_WAIT_REMOVAL);
	CHECK_EQ(netfront_after_closed(-PVK_XEN_EINVAL, 1, false), NETFRONT_WAIT_REMOVAL);
	CHECK_EQ(netfront_after_closed(0, 2, false), NETFRONT_WAIT_REMOVAL);
	/* Closed yet still mapping our pages: not used again. */
	CHECK_EQ(netfront_after_closed(0, 1, true), NETFRONT_DISABLE);
	/* A detach wins over kept pages: the removal comes anyway. */
	CHECK_EQ(netfront_after_closed(0, 0, true), NETFRONT_WAIT_REMOVAL);
}
