/*
 * tests/guest/cases/xenbus.c - the xenbus device model: the state table,
 * and a device hot-plugged and unplugged by dom0 (scenario guest-hotplug:
 * `xl network-attach` / `xl network-detach` while the guest waits).
 *
 * The hot-plugged vif is driven by the kit's real netfront: it proves
 * enumeration, the backend-state watch, the negotiation (keys written,
 * rings connected: ARP with dom0 through them), and a clean close and
 * removal when the toolstack detaches the device; once the toolstack
 * removed the device's directory, a state change must not write it back
 * into existence.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>

#include "../test.h"
#include "../netstack.h"

#ifdef CONFIG_PVK_XENBUS

PVK_GUEST_TEST(xenbus_state_table)
{
	PVK_CHECK(pvk_xenbus_transition_ok(PVK_XenbusStateInitialising,
					   PVK_XenbusStateInitialised));
	PVK_CHECK(pvk_xenbus_transition_ok(PVK_XenbusStateInitialised,
					   PVK_XenbusStateConnected));
	PVK_CHECK(pvk_xenbus_transition_ok(PVK_XenbusStateConnected,
					   PVK_XenbusStateClosing));
	PVK_CHECK(pvk_xenbus_transition_ok(PVK_XenbusStateClosing,
					   PVK_XenbusStateClosed));
	PVK_CHECK(pvk_xenbus_transition_ok(PVK_XenbusStateClosed,
					   PVK_XenbusStateInitialising));
	PVK_CHECK(!pvk_xenbus_transition_ok(PVK_XenbusStateClosed,
					    PVK_XenbusStateConnected));
	PVK_CHECK(!pvk_xenbus_transition_ok(PVK_XenbusStateClosing,
					    PVK_XenbusStateConnected));
	PVK_CHECK(!pvk_xenbus_transition_ok(PVK_XenbusStateConnected,
					    PVK_XenbusStateInitialising));
	PVK_CHECK(!pvk_xenbus_transition_ok(PVK_XenbusStateConnected, 9));
	PVK_CHECK_EQ(pvk_xenbus_parse_state("4"), PVK_XenbusStateConnected);
	PVK_CHECK_EQ(pvk_xenbus_parse_state("9"), -1);
	PVK_CHECK_EQ(pvk_xenbus_parse_state("41"), -1);
	PVK_CHECK_EQ(pvk_xenbus_parse_state(""), -1);
}

#ifdef CONFIG_PVK_NETFRONT

#define SEC_NS		(1000ULL * 1000 * 1000)
#define DOM0_WAIT_NS	(30 * SEC_NS)

static struct pvk_netfront *hp_added, *hp_removed;
static unsigned int hp_adds, hp_removes, hp_ups, hp_downs;
static struct nst_if hp_if;

static void hp_on_added(struct pvk_netfront *dev) { hp_adds++; hp_added = dev; }
static void hp_on_link(struct pvk_netfront *dev, bool up)
{
	(void)dev;
	if (up)
		hp_ups++;
	else
		hp_downs++;
}
static void hp_on_removed(struct pvk_netfront *dev) { hp_removes++; hp_removed = dev; }

static const struct pvk_netfront_hooks hp_hooks = {
	.added = hp_on_added, .link = hp_on_link, .rx = nst_rx_hook,
	.removed = hp_on_removed,
};

/* The grant table, set up once per boot (as cases/grant_table.c). */
static void grant_table_up(void)
{
	struct pvk_grant_stats gs;

	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(0xffff968000000000UL, 8), 0);
}

static int run_until(const unsigned int *counter)
{
	uint64_t deadline = pvk_time_now_ns() + DOM0_WAIT_NS;

	while (!PVK_READ_ONCE(*counter)) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(deadline - now);
	}
	return 0;
}

/*
 * The real netfront on a hot-plugged vif: probed, negotiated, connected
 * (ARP with dom0 through it), then detached: link down, the removed hook,
 * the device freed by pvk_netfront_release(); the device's directory is
 * gone for good: a state change for it is refused (-ENOENT), not written
 * back into existence.
 */
PVK_GUEST_TEST_XEN_EXPLICIT(xenbus_hotplug_vif)
{
	static const uint8_t our_ip[4] = { 10, 0, 0, 3 }, dom0_ip[4] = { 10, 0, 0, 1 };
	struct pvk_xenbus_device gone;
	struct pvk_netfront *dev;
	uint8_t dom0_mac[PVK_NET_ETH_ALEN];
	char buf[64];
	unsigned int held;
	int gone_rc;
	uint64_t t0;

	guest_events_enable();
	grant_table_up();
	PVK_CHECK_RC(pvk_netfront_init(&hp_hooks), 0);
	PVK_CHECK_EQ(hp_adds, 0);	/* booted without vifs */
	t0 = pvk_time_now_ns();
	guest_printf("xenbus: ready for hotplug (dom0: xl network-attach now)\n");
	PVK_CHECK_RC(run_until(&hp_adds), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, DOM0_WAIT_NS, &dev), 0);
	PVK_CHECK(dev == hp_added);
	guest_printf("xenbus: probed device/vif/0 and connected %llu ms after the request, link ups %u\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000), hp_ups);
	/* Our keys are in xenstore, in the one transaction netfront wrote. */
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "device/vif/0/request-rx-copy", buf, sizeof(buf)), 1);
	PVK_CHECK_STR_CONTAINS(buf, "1");
	PVK_CHECK_RC(nst_attach(&hp_if, dev, our_ip, 0), 0);
	PVK_CHECK_RC(nst_resolve(&hp_if, dom0_ip, dom0_mac, 5 * SEC_NS), 0);
	held = pvk_netfront_grants_held(dev);
	guest_printf("xenbus: vif 0 connected: dom0 (10.0.0.1) is at %02x:%02x:%02x:%02x:%02x:%02x, %u grants held\n",
		     dom0_mac[0], dom0_mac[1], dom0_mac[2], dom0_mac[3], dom0_mac[4],
		     dom0_mac[5], held);
	PVK_CHECK(held > 0);
	PVK_CHECK_RC(pvk_netfront_release(dev), -PVK_XEN_EBUSY);

	guest_printf("xenbus: ready for unplug (dom0: xl network-detach now)\n");
	PVK_CHECK_RC(run_until(&hp_removes), 0);
	nst_detach(&hp_if);
	PVK_CHECK(hp_removed == dev);
	PVK_CHECK_EQ(hp_downs, 1);
	PVK_CHECK_EQ(pvk_netfront_grants_held(dev), 0);
	PVK_CHECK_RC(pvk_netfront_release(dev), 0);
	guest_printf("xenbus: vif removed cleanly (link downs %u, removed hooks %u, released)\n",
		     hp_downs, hp_removes);
	/* A device of the same name, as the kit last knew it: Closed. */
	__builtin_memset(&gone, 0, sizeof(gone));
	pvk_snprintf(gone.nodename, sizeof(gone.nodename), "device/vif/0");
	gone.state = PVK_XenbusStateClosed;
	gone_rc = pvk_xenbus_switch_state(&gone, PVK_XenbusStateInitialising);
	guest_printf("xenbus: state change after removal: %d, device/vif/0 read: %d\n", gone_rc,
		     pvk_xs_read(PVK_XBT_NIL, "device/vif/0", buf, sizeof(buf)));
	PVK_CHECK_RC(gone_rc, -PVK_XEN_ENOENT);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "device/vif/0", buf, sizeof(buf)), -PVK_XEN_ENOENT);
}

#endif /* CONFIG_PVK_NETFRONT */

#endif /* CONFIG_PVK_XENBUS */
