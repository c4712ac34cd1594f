/*
 * tests/unit/test_netfront_xenbus.c - netfront's negotiation decisions on
 * the host (netfront_negotiate.c): what is used given the host's switches
 * and a backend's offer, the keys written for one queue and for several
 * (flat or under queue-N/, one event channel or split), the "trusted" and
 * "queues" switches, and what follows a Closed backend (reconnect, wait
 * for the removal, or disable); the refused macs; and the vif driver
 * itself (netfront_xenbus.c) against a backend and xenbus played here:
 * a Closed cycle, netback's rebind (InitWait while connected, the old
 * rings still mapped), a backend failing every connect, transient
 * errors, a start that fails, a broken device closing, the keys of an
 * earlier layout removed, removal and release.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvkit/xen/errno.h>

#include "frontends/netfront/netfront_internal.h"
#include "fake_kit.h"
#include "unit.h"
#include "unit_xenbus.h"

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

/* Whether name is among the keys removed in the transaction. */
static bool removed(const struct netfront_keys *ks, const char *name)
{
	for (unsigned int i = 0; i < ks->n; i++)
		if (!strcmp(ks->kv[i].key, name) && !ks->kv[i].value)
			return true;
	return false;
}

UNIT_TEST(netfront_keys_one_queue)
{
	static struct netfront_keys ks;
	struct netfront_rx_features rx;
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
	netfront_rx_features(&o, &rx);
	netfront_build_keys(&ks, &i, &rx, &q);
	/* 3 + 7 written; removed: the multi-queue and split keys, queue-0..7 */
	CHECK_EQ(ks.n, 3 + 7 + 1 + 2 + 8);
	CHECK(removed(&ks, "multi-queue-num-queues"));
	CHECK(removed(&ks, "event-channel-tx") && removed(&ks, "event-channel-rx"));
	CHECK(removed(&ks, "queue-1") && removed(&ks, "queue-7"));
	CHECK(removed(&ks, "queue-0") && !removed(&ks, "event-channel"));
	CHECK(!removed(&ks, "tx-ring-ref"));
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
	struct netfront_rx_features rx;
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
	netfront_rx_features(&o, &rx);
	netfront_build_keys(&ks, &i, &rx, q);
	CHECK(ks.n <= NETFRONT_MAX_KEYS);
	/* removed: the 5 flat queue keys, queue-N/event-channel */
	CHECK_EQ(ks.n, 1 + 4 * NETFRONT_MAX_QUEUES + 7 + 5 + NETFRONT_MAX_QUEUES);
	CHECK(removed(&ks, "tx-ring-ref") && removed(&ks, "rx-ring-ref") &&
	      removed(&ks, "event-channel") && removed(&ks, "event-channel-tx") &&
	      removed(&ks, "event-channel-rx"));
	CHECK(removed(&ks, "queue-3/event-channel"));
	CHECK(!removed(&ks, "multi-queue-num-queues") && !removed(&ks, "queue-7"));
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
	netfront_rx_features(&o, &rx);
	netfront_build_keys(&ks, &i, &rx, q);
	/* removed: 5 flat, -tx/-rx of each, queue-2..7 */
	CHECK_EQ(ks.n, 1 + 3 * 2 + 7 + 5 + 2 * 2 + 6);
	CHECK(ks.n <= NETFRONT_MAX_KEYS);
	CHECK(removed(&ks, "queue-1/event-channel-tx") && removed(&ks, "queue-2"));
	CHECK(!removed(&ks, "queue-1") && !removed(&ks, "queue-1/event-channel"));
	CHECK_STR(key(&ks, "multi-queue-num-queues"), "2");
	CHECK_STR(key(&ks, "queue-1/event-channel"), "12");
	CHECK(key(&ks, "queue-1/event-channel-tx") == NULL);
}

/* What we receive is ours to say, whatever the backend accepts from us. */
UNIT_TEST(netfront_receive_features_do_not_follow_the_offer)
{
	static struct netfront_keys ks;
	static const struct netfront_offer bare = { .rx_copy = 1, .no_csum_offload = 1 };
	struct netfront_rx_features rx;
	struct pvk_netfront_info i;
	const struct netfront_queue_keys q = { 8, 9, 5, 5 };
	struct netfront_options o = all_on;
	bool capped;
	int rc;

	o.queues = 1;
	i = negotiated(&o, &bare, &rc, &capped);
	CHECK_EQ(rc, 0);
	/* Nothing offered for our transmit. */
	CHECK(!i.sg && !i.gso_tcpv4 && !i.gso_tcpv6 && !i.csum_offload && !i.ipv6_csum_offload);
	netfront_rx_features(&o, &rx);
	CHECK(rx.sg && rx.gso_tcpv4 && rx.gso_tcpv6 && rx.csum && rx.ipv6_csum);
	netfront_build_keys(&ks, &i, &rx, &q);
	CHECK_STR(key(&ks, "feature-sg"), "1");
	CHECK_STR(key(&ks, "feature-gso-tcpv4"), "1");
	CHECK_STR(key(&ks, "feature-gso-tcpv6"), "1");
	CHECK_STR(key(&ks, "feature-no-csum-offload"), "0");
	CHECK_STR(key(&ks, "feature-ipv6-csum-offload"), "1");
	/* And the switches alone turn them off. */
	o.sg = false;
	o.ipv6_csum = false;
	netfront_rx_features(&o, &rx);
	CHECK(!rx.sg && !rx.gso_tcpv4 && !rx.gso_tcpv6 && rx.csum && !rx.ipv6_csum);
	netfront_build_keys(&ks, &i, &rx, &q);
	CHECK_STR(key(&ks, "feature-sg"), "0");
	CHECK_STR(key(&ks, "feature-gso-tcpv4"), "0");
	CHECK_STR(key(&ks, "feature-ipv6-csum-offload"), "0");
}

UNIT_TEST(netfront_after_closed_decides)
{
	/* netback unbound and bound again: the device is still online. */
	CHECK_EQ(netfront_after_closed(0, 1, false, 1), NETFRONT_RECONNECT);
	/* xl network-detach wrote online=0 first. */
	CHECK_EQ(netfront_after_closed(0, 0, false, 1), NETFRONT_WAIT_REMOVAL);
	/* The backend's directory is gone. */
	CHECK_EQ(netfront_after_closed(-PVK_XEN_ENOENT, 1, false, 1), NETFRONT_WAIT_REMOVAL);
	CHECK_EQ(netfront_after_closed(0, 2, false, 1), NETFRONT_WAIT_REMOVAL);
	/* Unreadable for another reason: not taken as a detach. */
	CHECK_EQ(netfront_after_closed(-PVK_XEN_EAGAIN, 1, false, 1), NETFRONT_RETRY_LATER);
	CHECK_EQ(netfront_after_closed(-PVK_XEN_EINVAL, 1, false, 1), NETFRONT_RETRY_LATER);
	/* Closed yet still mapping our pages: not used again. */
	CHECK_EQ(netfront_after_closed(0, 1, true, 1), NETFRONT_DISABLE);
	/* A detach wins over kept pages: the removal comes anyway. */
	CHECK_EQ(netfront_after_closed(0, 0, true, 1), NETFRONT_WAIT_REMOVAL);
	/* Connections that never brought the link up: a few, not for ever. */
	CHECK_EQ(netfront_after_closed(0, 1, false, NETFRONT_MAX_ATTEMPTS - 1),
		 NETFRONT_RECONNECT);
	CHECK_EQ(netfront_after_closed(0, 1, false, NETFRONT_MAX_ATTEMPTS), NETFRONT_GIVE_UP);
}

UNIT_TEST(netfront_mac_refuses_group_and_zero)
{
	uint8_t mac[6];
	const char *why;

	CHECK_EQ(netfront_parse_mac("00:16:3e:0a:Bc:ff", mac, &why), 0);
	CHECK(why == NULL);
	CHECK_EQ(mac[0], 0x00);
	CHECK_EQ(mac[4], 0xbc);
	CHECK_EQ(mac[5], 0xff);
	CHECK_EQ(netfront_parse_mac("01:00:5e:00:00:01", mac, &why), -PVK_XEN_EINVAL);
	CHECK_STR(why, "a multicast address");
	CHECK_EQ(netfront_parse_mac("ff:ff:ff:ff:ff:ff", mac, &why), -PVK_XEN_EINVAL);
	CHECK_STR(why, "a multicast address");
	CHECK_EQ(netfront_parse_mac("00:00:00:00:00:00", mac, &why), -PVK_XEN_EINVAL);
	CHECK_STR(why, "all zeros");
	/* Local-admin unicast is fine. */
	CHECK_EQ(netfront_parse_mac("02:00:00:00:00:00", mac, &why), 0);
	CHECK_EQ(netfront_parse_mac("00:16:3e:0a:bc", mac, &why), -PVK_XEN_EINVAL);
	CHECK(why == NULL);
	CHECK_EQ(netfront_parse_mac("00:16:3e:0a:bc:ff:", mac, &why), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_mac("00-16-3e-0a-bc-ff", mac, &why), -PVK_XEN_EINVAL);
}

/* ---- The vif driver against a played xenbus and backend ---- */

#define VB_KEYS 96
static struct {
	struct pvk_xenbus_driver *drv;
	struct pvk_xenbus_device xd;
	const char *const *offer;		/* backend keys: name, value, ..., NULL */
	unsigned long online;
	int online_rc, write_rc;		/* next read of online / write_keys */
	bool node_gone;				/* our node deleted (a detach) */
	const char *mac;
	char key[VB_KEYS][40], val[VB_KEYS][16];	/* our directory */
	bool used[VB_KEYS];
	unsigned int link_ups, link_downs, removed, bad_transitions;
	void (*on_switch)(void);		/* watches run in a state write's wait */
} vb;

static const char *const netback_offer[] = {
	"feature-rx-copy", "1", "feature-sg", "1", "feature-gso-tcpv4", "1",
	"feature-gso-tcpv6", "1", "feature-ipv6-csum-offload", "1",
	"feature-split-event-channels", "1", "multi-queue-max-queues", "4", NULL,
};

int unit_vif_register_driver(struct pvk_xenbus_driver *drv)
{
	vb.drv = drv;
	return 0;
}

int unit_vif_read_feature(struct pvk_xenbus_device *d, const char *name,
			  unsigned long def, unsigned long *out)
{
	(void)d;
	if (!strcmp(name, "online")) {
		int rc = vb.online_rc;

		vb.online_rc = 0;
		*out = vb.online;
		return rc;
	}
	for (const char *const *k = vb.offer; k && *k; k += 2)
		if (!strcmp(k[0], name))
			return pvk_xs_parse_ulong(k[1], out);
	*out = def;
	return 0;
}

int unit_vif_switch_state(struct pvk_xenbus_device *d, enum pvk_xenbus_state s)
{
	if (!pvk_xenbus_transition_ok(d->state, s)) {
		vb.bad_transitions++;
		return -PVK_XEN_EINVAL;
	}
	if (vb.node_gone)
		return -PVK_XEN_ENOENT;
	if (vb.on_switch) {
		void (*f)(void) = vb.on_switch;

		vb.on_switch = NULL;
		f();
	}
	d->state = s;
	return 0;
}

static const char *vb_get(const char *k)
{
	for (unsigned int i = 0; i < VB_KEYS; i++)
		if (vb.used[i] && !strcmp(vb.key[i], k))
			return vb.val[i];
	return NULL;
}

/* Like xenstore: a removed key takes its children with it. */
int unit_vif_write_keys(struct pvk_xenbus_device *d, const struct pvk_xenbus_kv *kv,
			unsigned int n)
{
	int rc = vb.write_rc;

	(void)d;
	vb.write_rc = 0;
	if (vb.node_gone)
		return -PVK_XEN_ENOENT;
	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++) {
		size_t l = strlen(kv[i].key);

		for (unsigned int j = 0; j < VB_KEYS; j++)
			if (vb.used[j] && (!strcmp(vb.key[j], kv[i].key) ||
					   (!kv[i].value && !strncmp(vb.key[j], kv[i].key, l) &&
					    vb.key[j][l] == '/')))
				vb.used[j] = false;
		if (!kv[i].value)
			continue;
		for (unsigned int j = 0; j < VB_KEYS; j++)
			if (!vb.used[j]) {
				vb.used[j] = true;
				snprintf(vb.key[j], sizeof(vb.key[j]), "%s", kv[i].key);
				snprintf(vb.val[j], sizeof(vb.val[j]), "%s", kv[i].value);
				break;
			}
	}
	return 0;
}

/* One more node a test sets (a backend's key), its reads counted. */
static struct {
	const char *path, *value;
	unsigned int reads;
} xs_key;

int pvk_xs_read(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	int played;

	(void)t;
	if (xs_key.path && !strcmp(path, xs_key.path)) {
		xs_key.reads++;
		if (strlen(xs_key.value) >= size)
			return -PVK_XEN_E2BIG;
		strcpy(buf, xs_key.value);
		return (int)strlen(buf);
	}
	if (!strcmp(path, "device/vif/0/mac") && vb.mac && !vb.node_gone) {
		snprintf(buf, size, "%s", vb.mac);
		return (int)strlen(buf);
	}
	/* test_xenbus_keys.c's played backend state node. */
	if (unit_xs_read_played(path, buf, size, &played))
		return played;
	/* test_xenbus_keys.c's store: a node, read whole ("" here). */
	if (unit_xs_node_exists(path)) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return -PVK_XEN_ENOENT;
}

/* The same store, several reads at once (xenbus_feature.c's batch). */
void pvk_xs_read_many(pvk_xs_transaction_t t, struct pvk_xs_read_req *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		r[i].rc = pvk_xs_read(t, r[i].path, r[i].buf, r[i].size);
}

static void vb_link(struct pvk_netfront *d, bool up)
{
	(void)d;
	if (up)
		vb.link_ups++;
	else
		vb.link_downs++;
}

static void vb_removed(struct pvk_netfront *d)
{
	(void)d;
	vb.removed++;
}

static const struct pvk_netfront_hooks vb_hooks = { .link = vb_link, .removed = vb_removed };

static struct pvk_netfront *vb_dev;

static void backend(enum pvk_xenbus_state st)
{
	vb.xd.otherend_state = st;
	vb.drv->otherend_changed(&vb.xd, st);
}

/* A fresh kit and vif (mac offered), probed by the driver. */
static void vb_probe(const char *mac)
{
	unit_fake_kit_reset();
	netfront_opts = all_on;
	if (!vb.drv)
		CHECK_EQ(pvk_netfront_init(&vb_hooks), 0);
	netfront_hooks = &vb_hooks;
	CHECK(vb.drv != NULL);
	memset(vb.used, 0, sizeof(vb.used));
	vb.offer = netback_offer;
	vb.online = 1;
	vb.online_rc = vb.write_rc = 0;
	vb.node_gone = false;
	vb.mac = mac;
	vb.link_ups = vb.link_downs = vb.removed = vb.bad_transitions = 0;
	vb_dev = unit_xenbus_probe(&vb.xd, vb.drv, "device/vif/0", "backend/vif/0/0");
	CHECK(vb_dev != NULL);
}

/* A vif probed, netback in InitWait then Connected: the link is up. */
static void vb_up(const char *mac)
{
	vb_probe(mac);
	unit_log_clear();
	backend(PVK_XenbusStateInitWait);
	if (vb.xd.state == PVK_XenbusStateConnected)
		backend(PVK_XenbusStateConnected);
}

/* The played pvk_port_free_page only counts: the pages go back here. */
static void vb_free_pages(struct pvk_netfront *d)
{
	for (unsigned int i = 0; d->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &d->queues[i];

		for (unsigned int id = 0; q->tx_bounce && id < NETFRONT_RING_ENTS; id++)
			free(q->tx_bounce[id]);
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++)
			free(q->rxb[id].page);
		free(q->tx_page);
		free(q->rx_page);
		free(q->txs);
		free(q->rxb);
		free(q->tx_bounce);
		free(q->rx_ring_id);
		q->tx_page = q->rx_page = NULL;
		q->txs = NULL;
		q->rxb = NULL;
		q->tx_bounce = NULL;
		q->rx_ring_id = NULL;
	}
}

/* The toolstack deletes the node; the host releases the device. */
static void vb_remove_release(void)
{
	struct pvk_netfront *d = vb_dev;

	vb.drv->remove(&vb.xd);
	CHECK_EQ(vb.removed, 1);
	CHECK_EQ(pvk_netfront_grants_held(d), 0);
	vb_free_pages(d);
	CHECK_EQ(pvk_netfront_release(d), 0);
	CHECK_EQ(unit_fake_grants_live(), 0);
	CHECK_EQ(vb.bad_transitions, 0);
	vb_dev = NULL;
}

UNIT_TEST(netfront_vif_backend_closed_cycle_reconnects)
{
	unsigned int held;

	vb_up("00:16:3e:00:00:01");
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb.link_ups, 1);
	held = pvk_netfront_grants_held(vb_dev);
	CHECK(held > 0);
	CHECK_EQ(held, unit_fake_grants_live());
	/* dom0 makes the backend Closing then Closed (still online). */
	backend(PVK_XenbusStateClosing);
	CHECK(unit_log_has("backend closing while we are Connected"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(vb.link_downs, 1);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), held);	/* it may still map them */
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), 0);
	CHECK_EQ(unit_fake_grants_live(), 0);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateInitialising);
	CHECK(unit_log_has("backend closed, still online: reconnecting"));
	CHECK(!unit_log_has("rebound"));
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb.link_ups, 2);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), held);
	/* The toolstack's detach: online 0, Closing, Closed, node deleted. */
	vb.online = 0;
	backend(PVK_XenbusStateClosing);
	/* Not removed yet: release refused. */
	CHECK_EQ(pvk_netfront_release(vb_dev), -PVK_XEN_EBUSY);
	backend(PVK_XenbusStateClosed);
	CHECK(unit_log_has("offline: waiting for removal"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_release(vb_dev), -PVK_XEN_EBUSY);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_rebind_with_rings_mapped_closes_first)
{
	unsigned int held;

	vb_up("00:16:3e:00:00:02");
	held = pvk_netfront_grants_held(vb_dev);
	/* netback unbound (state left Connected) and bound again: it wrote
	 * InitWait and mapped the rings it found in our keys at once. */
	unit_fake_grant_mapped(vb_dev->queues[0].tx_ref, true);
	unit_fake_grant_mapped(vb_dev->queues[0].rx_ref, true);
	backend(PVK_XenbusStateInitWait);
	CHECK(unit_log_has("backend waits again while we are Connected (rebound): closing first"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK(!pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), held);	/* nothing ended yet */
	CHECK(!unit_log_has("disabled"));
	/* It sees us Closed: unmaps, Closing, Closed. */
	unit_fake_grant_mapped(vb_dev->queues[0].tx_ref, false);
	unit_fake_grant_mapped(vb_dev->queues[0].rx_ref, false);
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), 0);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateInitialising);
	backend(PVK_XenbusStateInitWait);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb.link_downs, 1);
	CHECK_EQ(vb.link_ups, 2);
	CHECK(!unit_log_has("disabled"));
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* ---- pages the backend kept at teardown, let go later ---- */

/* The pages the played pvk_port_free_page() was given while recording
 * (freed here for real). */
static void *vk_freed[4 * NETFRONT_MAX_QUEUES * (NETFRONT_RING_ENTS + 8)];
static unsigned int vk_nr_freed;

static void vk_record_free(void *page)
{
	CHECK(vk_nr_freed < sizeof(vk_freed) / sizeof(vk_freed[0]));
	vk_freed[vk_nr_freed++] = page;
	free(page);
}

static unsigned int vk_times_freed(const void *page)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vk_nr_freed; i++)
		n += vk_freed[i] == page;
	return n;
}

/* Every page of d's queues (rings, receive pages, bounce pages, the pages
 * slots and buffers live in), added to pages[*n]. */
static void vk_collect(struct pvk_netfront *d, void **pages, unsigned int *n)
{
	for (unsigned int i = 0; d->queues && i < NETFRONT_MAX_QUEUES; i++) {
		struct netfront_queue *q = &d->queues[i];
		void *meta[] = { q->tx_page, q->rx_page, q->txs, q->rxb, q->tx_bounce,
				 q->rx_ring_id };

		for (unsigned int k = 0; k < sizeof(meta) / sizeof(meta[0]); k++)
			if (meta[k])
				pages[(*n)++] = meta[k];
		for (unsigned int id = 0; q->rxb && id < NETFRONT_RING_ENTS; id++)
			if (q->rxb[id].page)
				pages[(*n)++] = q->rxb[id].page;
		for (unsigned int id = 0; q->tx_bounce && id < NETFRONT_RING_ENTS; id++)
			if (q->tx_bounce[id])
				pages[(*n)++] = q->tx_bounce[id];
	}
}

/* After the successful release: each page collected freed exactly once,
 * and nothing else freed. */
static void vk_check_all_freed_once(void *const *pages, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(vk_times_freed(pages[i]), 1);
	CHECK_EQ(vk_nr_freed, n);
	unit_fake_page_freed_hook = NULL;
	vb_dev = NULL;
}

static void *vk_pages[sizeof(vk_freed) / sizeof(vk_freed[0])];

/* Review s8 #12: netback keeps both ring pages and one posted receive
 * page mapped past Closed. The device is removed; its release is refused
 * (nothing freed) until the backend lets go; then one release ends the
 * three grants (netfront_queues_retry_kept) and frees every page once. */
UNIT_TEST(netfront_vif_release_retries_pages_kept_at_teardown)
{
	struct pvk_netfront *d;
	struct netfront_queue *q;
	pvk_grant_ref_t kept[3];
	unsigned int n = 0;

	vb_up("00:16:3e:00:00:0c");
	d = vb_dev;
	q = &d->queues[0];
	vk_nr_freed = 0;
	unit_fake_page_freed_hook = vk_record_free;
	vk_collect(d, vk_pages, &n);
	kept[0] = q->tx_ref;
	kept[1] = q->rx_ref;
	kept[2] = q->rxb[q->rx_ring_id[0]].gref;
	for (unsigned int k = 0; k < 3; k++)
		unit_fake_grant_mapped(kept[k], true);
	/* The toolstack's detach; the backend keeps the three mapped. */
	vb.online = 0;
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	CHECK(unit_log_has("the backend still maps 3 pages after Closed"));
	vb.drv->remove(&vb.xd);
	CHECK_EQ(vb.removed, 1);
	CHECK_EQ(pvk_netfront_grants_held(d), 3);
	CHECK_EQ(unit_fake_grants_live(), 3);
	CHECK_EQ(pvk_netfront_release(d), -PVK_XEN_EBUSY);
	CHECK_EQ(pvk_netfront_release(d), -PVK_XEN_EBUSY);
	CHECK_EQ(vk_nr_freed, 0);		/* nothing freed while mapped */
	CHECK_EQ(unit_fake_grants_live(), 3);
	/* It unmaps them: the next release ends them and frees it all. */
	for (unsigned int k = 0; k < 3; k++)
		unit_fake_grant_mapped(kept[k], false);
	CHECK_EQ(pvk_netfront_release(d), 0);
	CHECK(unit_log_has("the backend let go of 3 kept page(s): grants ended"));
	CHECK_EQ(unit_fake_grants_live(), 0);
	vk_check_all_freed_once(vk_pages, n);
}

UNIT_TEST(netfront_vif_rebind_seen_as_connected_again_closes_first)
{
	vb_up("00:16:3e:00:00:0b");
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	/* netback bound again: InitWait then Connected at once, both read
	 * as Connected, the state last seen. */
	vb.drv->otherend_rewritten(&vb.xd, PVK_XenbusStateConnected);
	CHECK(unit_log_has("backend wrote Connected again while we are Connected (rebound): closing first"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(vb.link_downs, 1);
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	backend(PVK_XenbusStateConnected);
	CHECK_EQ(vb.link_ups, 2);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_reread_after_lost_events_keeps_the_connection)
{
	vb_up("00:16:3e:00:00:0c");
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	/* The kit's re-read after a full watch queue finds Connected
	 * again: nothing was written, nothing is torn down. */
	vb.xd.otherend_reread = true;
	vb.drv->otherend_rewritten(&vb.xd, PVK_XenbusStateConnected);
	vb.xd.otherend_reread = false;
	CHECK(unit_log_has("re-read after lost watch events: connection kept"));
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	CHECK_EQ(vb.link_downs, 0);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_failing_backend_gives_up)
{
	vb_up("00:16:3e:00:00:03");
	/* One failure after a good connection is retried. */
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateInitialising);
	/* Then each connect fails: we Connected, it Closing, Closed. */
	for (unsigned int i = 0; i < 10 && vb.xd.state == PVK_XenbusStateInitialising; i++) {
		backend(PVK_XenbusStateInitWait);
		CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
		backend(PVK_XenbusStateClosing);
		backend(PVK_XenbusStateClosed);
	}
	CHECK_EQ(vb_dev->attempts, NETFRONT_MAX_ATTEMPTS);
	CHECK(unit_log_has("3 connections in a row never brought the link up: device disabled"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(unit_fake_grants_live(), 0);
	backend(PVK_XenbusStateInitWait);		/* nothing more */
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(vb.link_ups, 1);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_transient_errors_are_retried)
{
	vb_up("00:16:3e:00:00:04");
	/* The online key unreadable once: not a detach. */
	vb.online_rc = -PVK_XEN_EAGAIN;
	backend(PVK_XenbusStateClosed);
	CHECK(unit_log_has("online key unreadable"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	backend(PVK_XenbusStateClosed);			/* its next change */
	CHECK_EQ(vb.xd.state, PVK_XenbusStateInitialising);
	/* Publishing fails once: Closed, and the next Closed retries. */
	vb.write_rc = -PVK_XEN_EAGAIN;
	backend(PVK_XenbusStateInitWait);
	CHECK(unit_log_has("cannot set up the rings (attempt 1): -11: closing"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK(!vb_dev->gone);
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb_dev->attempts, 0);
	/* Our node deleted while negotiating: gone, the removal follows. */
	backend(PVK_XenbusStateClosed);
	vb.node_gone = true;
	backend(PVK_XenbusStateInitWait);
	CHECK(vb_dev->gone);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_bad_mac_is_refused)
{
	vb_up("01:16:3e:00:00:05");
	CHECK(unit_log_has("mac \"01:16:3e:00:00:05\" refused: a multicast address"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(vb.link_ups, 0);
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_failed_start_closes)
{
	vb_up(NULL);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);	/* no mac key */
	vb.mac = "00:16:3e:00:00:06";
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	/* No receive buffer can be granted: not left half up. */
	unit_fake_grants_refused(true);
	backend(PVK_XenbusStateConnected);
	unit_fake_grants_refused(false);
	CHECK(unit_log_has("cannot post the receive buffers"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK(!pvk_netfront_info(vb_dev)->link_up);
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++)
		CHECK(!vb_dev->queues[i].live);
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(unit_fake_grants_live(), 0);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateInitialising);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_broken_device_closes_toward_the_backend)
{
	struct pvk_netfront *other;

	vb_up("00:16:3e:00:00:07");
	netfront_break(vb_dev, "misbehaved", 1, 2);
	/* The host waits for some vif (thread context): Closed is written. */
	CHECK_EQ(pvk_netfront_wait_connected(7, 0, &other), -PVK_XEN_ETIMEDOUT);
	CHECK(unit_log_has("broken: closing toward the backend"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK(unit_fake_grants_live() > 0);		/* until it is Closed */
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(unit_fake_grants_live(), 0);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);	/* no reconnect */
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &other), -PVK_XEN_EIO);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_reconnect_removes_the_old_layout)
{
	vb_up("00:16:3e:00:00:08");
	CHECK_STR(vb_get("multi-queue-num-queues"), "2");
	CHECK(vb_get("queue-1/event-channel-tx") != NULL);
	/* Reconnect with one queue, one event channel. */
	netfront_opts.queues = 1;
	netfront_opts.split_evtchn = false;
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK(vb_get("multi-queue-num-queues") == NULL);
	CHECK(vb_get("queue-0/tx-ring-ref") == NULL);
	CHECK(vb_get("queue-1/event-channel-tx") == NULL);
	CHECK(vb_get("event-channel-tx") == NULL);
	CHECK(vb_get("event-channel") != NULL);
	CHECK(vb_get("tx-ring-ref") != NULL);
	/* And back to split, still one queue: no event-channel left. */
	netfront_opts.split_evtchn = true;
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	CHECK(vb_get("event-channel") == NULL);
	CHECK(vb_get("event-channel-rx") != NULL);
	netfront_opts = all_on;
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* A backend that never connects: the host's bounded wait gives the vif up
 * (logged, Closed, every grant ended, no reconnect at its Closed). */
UNIT_TEST(netfront_vif_wait_gives_up_a_backend_never_connected)
{
	struct pvk_netfront *got = NULL;

	vb_probe("00:16:3e:00:00:0b");
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	CHECK(pvk_netfront_grants_held(vb_dev) > 0);
	unit_log_clear();
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), -PVK_XEN_ETIMEDOUT);
	CHECK(unit_log_has("backend still InitWait after"));
	CHECK(unit_log_has("giving up: device closed"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), 0);
	CHECK_EQ(unit_fake_grants_live(), 0);
	/* Its Closed (online still 1) brings no reconnect. */
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(vb.link_ups, 0);
	vb_remove_release();
}

/*
 * Review s8 #2, the vif: netback's Connected is being delivered by the
 * watch worker on another CPU as the host's bounded wait runs out. The
 * give-up takes the worker role, so that delivery (posting the receive
 * buffers, link up) finishes first and the give-up finds the link up,
 * instead of tearing the queues down beside it. Played as in
 * test_blkfront.c (fake_kit.h).
 */
static void vb_connected_elsewhere(void)
{
	backend(PVK_XenbusStateConnected);
}

UNIT_TEST(netfront_vif_wait_give_up_waits_for_a_connect_on_the_worker)
{
	struct pvk_netfront *got = NULL;

	vb_probe("00:16:3e:00:00:0c");
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	unit_log_clear();
	unit_fake_worker_elsewhere(vb_connected_elsewhere);
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), 0);
	CHECK(got == vb_dev);
	CHECK(!unit_log_has("giving up"));
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK_EQ(vb.link_ups, 1);
	CHECK_EQ(vb.link_downs, 0);
	CHECK(!vb_dev->gone);
	CHECK(pvk_netfront_grants_held(vb_dev) > 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* Review s9-14 #11: the host waits from inside a callback of the vif (a
 * hook it called, here while the Connected write waits): the give-up
 * leaves the vif to that callback. */
static int vb_nested_wait_rc;
static struct pvk_netfront *vb_nested_wait_out;

static void vb_wait_inside_callback(void)
{
	vb_nested_wait_out = NULL;
	vb_nested_wait_rc = pvk_netfront_wait_connected(0, 0, &vb_nested_wait_out);
}

UNIT_TEST(netfront_vif_wait_inside_a_callback_gives_nothing_up)
{
	vb_probe("00:16:3e:00:00:14");
	unit_log_clear();
	vb.on_switch = vb_wait_inside_callback;
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb_nested_wait_rc, -PVK_XEN_ETIMEDOUT);
	CHECK(vb_nested_wait_out == NULL);
	CHECK(!unit_log_has("giving up"));
	CHECK(!vb_dev->gone);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	CHECK(pvk_netfront_grants_held(vb_dev) > 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* Review s9-14 #7, the vif: netback's Connected arriving on another CPU
 * once the give-up has looked finds the vif given up (no buffers posted,
 * no link up beside the teardown): the role is held to its end. */
UNIT_TEST(netfront_vif_wait_give_up_holds_the_role_through_the_teardown)
{
	struct pvk_netfront *got = NULL;

	vb_probe("00:16:3e:00:00:10");
	backend(PVK_XenbusStateInitWait);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	unit_log_clear();
	unit_fake_worker_later(vb_connected_elsewhere);
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), -PVK_XEN_ETIMEDOUT);
	unit_fake_worker_run_later();
	CHECK(unit_log_has("giving up: device closed"));
	CHECK_EQ(vb.link_ups, 0);
	CHECK(!pvk_netfront_info(vb_dev)->link_up);
	CHECK(vb_dev->gone);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(pvk_netfront_grants_held(vb_dev), 0);
	CHECK_EQ(unit_fake_grants_live(), 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	vb_remove_release();
}

/*
 * Review s9-14 #1, the vif: the host releases a removed vif while the
 * watch worker on another CPU probes vif 0 attached again, linking it
 * into the list release unlinks from. Release takes the role: the probe
 * is over before the list is touched, the new vif is listed (and comes
 * up), the released one is gone (a walk meeting it would read freed
 * memory: ASan). Played as in test_blkfront.c.
 */
static void vb_attached_elsewhere(void)
{
	vb_up("00:16:3e:00:00:12");
}

UNIT_TEST(netfront_vif_release_waits_for_a_probe_on_the_worker)
{
	struct pvk_netfront *old, *got = NULL;

	vb_up("00:16:3e:00:00:11");
	old = vb_dev;
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb.drv->remove(&vb.xd);
	vb_free_pages(old);
	unit_log_clear();
	unit_fake_worker_watch_free(old);
	unit_fake_worker_elsewhere(vb_attached_elsewhere);
	CHECK_EQ(pvk_netfront_release(old), 0);
	CHECK(!unit_fake_worker_freed_beside());
	CHECK(vb_dev != old);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), 0);
	CHECK(got == vb_dev);
	CHECK_EQ(pvk_netfront_wait_connected(1, 0, &got), -PVK_XEN_ETIMEDOUT);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* The role cannot be had: release changes nothing, "try again". */
UNIT_TEST(netfront_vif_release_without_the_role_is_busy)
{
	struct pvk_netfront *d;

	vb_up("00:16:3e:00:00:13");
	d = vb_dev;
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb.drv->remove(&vb.xd);
	vb_free_pages(d);
	unit_fake_worker_busy(true);
	CHECK_EQ(pvk_netfront_release(d), -PVK_XEN_EBUSY);
	unit_fake_worker_busy(false);
	CHECK_EQ(pvk_netfront_release(d), 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
}

/* A broken vif is closed toward the backend by the host's calls only in
 * the role: without it, it waits for the next call. */
UNIT_TEST(netfront_vif_broken_device_closes_only_in_the_role)
{
	struct pvk_netfront *other;

	vb_up("00:16:3e:00:00:0d");
	netfront_break(vb_dev, "misbehaved", 1, 2);
	unit_fake_worker_busy(true);
	CHECK_EQ(pvk_netfront_wait_connected(7, 0, &other), -PVK_XEN_ETIMEDOUT);
	unit_fake_worker_busy(false);
	CHECK_EQ(vb.xd.state, PVK_XenbusStateConnected);
	CHECK(!unit_log_has("broken: closing toward the backend"));
	CHECK_EQ(pvk_netfront_wait_connected(7, 0, &other), -PVK_XEN_ETIMEDOUT);
	CHECK(unit_log_has("broken: closing toward the backend"));
	CHECK_EQ(vb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	backend(PVK_XenbusStateClosing);
	backend(PVK_XenbusStateClosed);
	CHECK_EQ(unit_fake_grants_live(), 0);
	vb_remove_release();
}

UNIT_TEST(netfront_vif_wait_skips_a_removed_device)
{
	struct pvk_netfront *old, *got = NULL;

	vb_up("00:16:3e:00:00:09");
	old = vb_dev;
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb.drv->remove(&vb.xd);
	/* Not released yet (the host is slow); vif 0 attached again. */
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), -PVK_XEN_ETIMEDOUT);
	vb_up("00:16:3e:00:00:0a");
	CHECK(vb_dev != old);
	CHECK_EQ(pvk_netfront_wait_connected(0, 0, &got), 0);
	CHECK(got == vb_dev);
	vb_free_pages(old);
	CHECK_EQ(pvk_netfront_release(old), 0);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* A receive chain (more_data) is checked against what we said we
 * receive: fine with our feature-sg even when the backend takes no sg
 * from us. */
UNIT_TEST(netfront_vif_rx_checks_follow_what_we_wrote)
{
	struct pvk_netif_rx_response r = { .id = 0, .offset = 0, .flags = PVK_NETRXF_more_data,
					   .status = 100 };
	static const char *const no_sg[] = {
		"feature-rx-copy", "1", "multi-queue-max-queues", "1", NULL,
	};

	vb_up("00:16:3e:00:00:0c");
	vb.offer = no_sg;
	backend(PVK_XenbusStateClosed);
	backend(PVK_XenbusStateInitWait);
	backend(PVK_XenbusStateConnected);
	CHECK(pvk_netfront_info(vb_dev)->link_up);
	CHECK(!pvk_netfront_info(vb_dev)->sg);
	CHECK_STR(vb_get("feature-sg"), "1");
	CHECK(vb_dev->queues[0].rxb[0].posted);
	CHECK(netfront_check_rx_response(&vb_dev->queues[0], &r, true) == NULL);
	vb.online = 0;
	backend(PVK_XenbusStateClosed);
	vb_remove_release();
}

/* Review s8 #11: a backend's malformed number is read once and the text
 * parsed is the text logged (a second read could show another), escaped:
 * no control character of the backend's reaches the console. */
UNIT_TEST(xenbus_feature_logs_the_text_it_parsed_escaped)
{
	struct pvk_xenbus_device xd = { .nodename = "device/vif/9",
					.otherend = "backend/vif/0/9" };
	unsigned long v = 7;

	xs_key.path = "backend/vif/0/9/feature-sg";
	xs_key.value = "1\x1b[2J\n";
	xs_key.reads = 0;
	unit_log_clear();
	CHECK_EQ(pvk_xenbus_read_otherend_ulong(&xd, "feature-sg", 0, &v), -PVK_XEN_EINVAL);
	CHECK_EQ(xs_key.reads, 1);
	CHECK(unit_log_has("device/vif/9: backend's feature-sg is \"1\\x1b[2J\\x0a\": not a decimal number"));
	CHECK(strchr(unit_log(), '\x1b') == NULL);
	CHECK_EQ(v, 7);
	xs_key.value = "99999999999999999999999";
	CHECK_EQ(pvk_xenbus_read_otherend_ulong(&xd, "feature-sg", 0, &v), -PVK_XEN_ERANGE);
	CHECK_EQ(xs_key.reads, 2);
	CHECK(unit_log_has("feature-sg is \"99999999999999999999999\": out of range"));
	xs_key.value = "1";
	CHECK_EQ(pvk_xenbus_read_otherend_ulong(&xd, "feature-sg", 0, &v), 0);
	CHECK_EQ(v, 1);
	xs_key.path = NULL;
}

/* Several features in one batch (pvk_xenbus_read_otherend_many): the
 * absent ones take their default, each text is read once, and the first
 * refusal is returned with its index and logged as a single read's would
 * be; the ones after it are left as they were. */
UNIT_TEST(xenbus_features_read_together_refuse_as_one_by_one)
{
	struct pvk_xenbus_device xd = { .nodename = "device/vif/9",
					.otherend = "backend/vif/0/9" };
	unsigned long a = 7, b = 7, c = 7;
	const struct pvk_xenbus_feature f[] = {
		{ "feature-rx-copy", 5, &a }, { "feature-sg", 0, &b }, { "feature-gso-tcpv4", 3, &c },
	};
	unsigned int bad = 99;

	xs_key.path = "backend/vif/0/9/feature-sg";
	xs_key.value = "0x1";
	xs_key.reads = 0;
	unit_log_clear();
	CHECK_EQ(pvk_xenbus_read_otherend_many(&xd, f, 3, &bad), -PVK_XEN_EINVAL);
	CHECK_EQ(bad, 1);
	CHECK_EQ(xs_key.reads, 1);
	CHECK(unit_log_has("device/vif/9: backend's feature-sg is \"0x1\": not a decimal number"));
	CHECK_EQ(a, 5);
	CHECK_EQ(c, 7);
	xs_key.value = "1";
	CHECK_EQ(pvk_xenbus_read_otherend_many(&xd, f, 3, &bad), 0);
	CHECK_EQ(xs_key.reads, 2);
	CHECK_EQ(a, 5);
	CHECK_EQ(b, 1);
	CHECK_EQ(c, 3);
	xs_key.path = NULL;
}
