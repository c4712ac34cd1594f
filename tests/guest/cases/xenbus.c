/*
 * tests/guest/cases/xenbus.c - the xenbus device model: the state table,
 * and a device hot-plugged and unplugged by dom0 (scenario guest-hotplug:
 * `xl network-attach` / `xl network-detach` while the guest waits).
 *
 * The test driver binds the "vif" class but never connects (no rings:
 * netfront comes later); it proves enumeration, the backend-state watch,
 * the feature and key helpers, and a clean close when the toolstack
 * detaches the device; once the toolstack removed the device's directory,
 * a state change must not write it back into existence.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>

#include "../test.h"

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

#define DOM0_WAIT_NS	(30ULL * 1000 * 1000 * 1000)

static struct pvk_xenbus_device *vif;
static unsigned int probes, removes;
static unsigned int backend_seen;	/* bitmap of backend states seen */

static int vif_probe(struct pvk_xenbus_device *dev)
{
	probes++;
	vif = dev;
	return 0;
}

static int run_until(bool (*done)(void));
static bool removed(void);

/*
 * True when a block of the heap overlaps obj: allocates blocks of obj's
 * size until the heap is exhausted (first fit hands out every free block
 * that fits, a freed obj included), then frees them all again.
 */
static bool heap_reuses(const void *obj, size_t size)
{
	static void *blocks[256];
	const uint8_t *o = obj;
	unsigned int n = 0;
	bool hit = false;

	while (n < PVK_ARRAY_SIZE(blocks) && (blocks[n] = pvk_port_malloc(size))) {
		const uint8_t *b = blocks[n++];

		if (b < o + size && o < b + size)
			hit = true;
	}
	while (n)
		pvk_port_free(blocks[--n]);
	return hit;
}

/* The driver's backend handler, on the backend's Closing, closes and then
 * runs watches itself (nested) until the toolstack removed the device:
 * the kit removes it from inside this handler, and must not free dev
 * before the handler returns. */
static bool nested_tried, freed_under_us;
static int nested_rc = 1;

static void vif_backend(struct pvk_xenbus_device *dev, enum pvk_xenbus_state s)
{
	backend_seen |= 1u << s;
	if (s != PVK_XenbusStateClosing && s != PVK_XenbusStateClosed)
		return;
	pvk_xenbus_switch_state(dev, PVK_XenbusStateClosed);
	if (s != PVK_XenbusStateClosing || nested_tried)
		return;
	nested_tried = true;
	nested_rc = run_until(removed);
	freed_under_us = heap_reuses(dev, sizeof(*dev));
}

static int gone_rc = 1;
static char gone_node[PVK_XENBUS_PATH_MAX];

static void vif_remove(struct pvk_xenbus_device *dev)
{
	removes++;
	/* The directory is gone: the kit must refuse to write our state. */
	pvk_snprintf(gone_node, sizeof(gone_node), "%s", dev->nodename);
	gone_rc = pvk_xenbus_switch_state(dev, dev->state == PVK_XenbusStateClosed ?
						PVK_XenbusStateInitialising :
						PVK_XenbusStateClosed);
	vif = NULL;
}

static struct pvk_xenbus_driver vif_test_driver = {
	.devclass = "vif",
	.probe = vif_probe,
	.otherend_changed = vif_backend,
	.remove = vif_remove,
};

static int run_until(bool (*done)(void))
{
	uint64_t deadline = pvk_time_now_ns() + DOM0_WAIT_NS;

	while (!done()) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(deadline - now);
	}
	return 0;
}

static bool probed(void) { return probes > 0; }
static bool backend_waits(void)
{
	return backend_seen & (1u << PVK_XenbusStateInitWait);
}
static bool removed(void) { return removes > 0; }

PVK_GUEST_TEST_XEN_EXPLICIT(xenbus_hotplug_vif)
{
	static const struct pvk_xenbus_kv keys[] = {
		{ "pvk-note", "probed by the pvkit test driver" },
		{ "pvk-version", "1" },
	};
	unsigned long rx_copy, nonsense;
	char buf[64];
	uint64_t t0;

	guest_events_enable();
	probes = removes = backend_seen = 0;
	gone_rc = 1;
	nested_tried = freed_under_us = false;
	nested_rc = 1;
	PVK_CHECK_RC(pvk_xenbus_register_driver(&vif_test_driver), 0);
	PVK_CHECK_EQ(probes, 0);	/* booted without vifs */
	t0 = pvk_time_now_ns();
	guest_printf("xenbus: ready for hotplug (dom0: xl network-attach now)\n");
	PVK_CHECK_RC(run_until(probed), 0);
	guest_printf("xenbus: probed %s %llu ms after the request, backend %s (domain %lu)\n",
		     vif->nodename,
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     vif->otherend, vif->otherend_id);
	PVK_CHECK_STR_CONTAINS(vif->otherend, "/backend/vif/");
	PVK_CHECK_EQ(vif->otherend_id, 0);
	PVK_CHECK_RC(run_until(backend_waits), 0);
	/* netback offers rx-copy; nothing offers a made-up feature. */
	PVK_CHECK_RC(pvk_xenbus_read_feature(vif, "feature-rx-copy", 0, &rx_copy), 0);
	PVK_CHECK_EQ(rx_copy, 1);
	PVK_CHECK_RC(pvk_xenbus_read_feature(vif, "feature-pvk-nonsense", 7, &nonsense), 0);
	PVK_CHECK_EQ(nonsense, 7);
	PVK_CHECK_RC(pvk_xenbus_write_keys(vif, keys, 2), 0);
	pvk_snprintf(buf, sizeof(buf), "%s/pvk-version", vif->nodename);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, buf, buf, sizeof(buf)), 1);

	guest_printf("xenbus: ready for unplug (dom0: xl network-detach now)\n");
	PVK_CHECK_RC(run_until(removed), 0);
	PVK_CHECK(backend_seen & (1u << PVK_XenbusStateClosing));
	guest_printf("xenbus: vif removed cleanly (backend states seen 0x%x)\n", backend_seen);
	guest_printf("xenbus: state change after removal: %d, %s read: %d\n", gone_rc,
		     gone_node, pvk_xs_read(PVK_XBT_NIL, gone_node, buf, sizeof(buf)));
	PVK_CHECK_RC(gone_rc, -PVK_XEN_ENOENT);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, gone_node, buf, sizeof(buf)), -PVK_XEN_ENOENT);
	guest_printf("xenbus: removed from inside the driver's backend handler (nested watches: %d): device memory %s while the handler ran\n",
		     nested_rc, freed_under_us ? "FREED" : "kept");
	PVK_CHECK(nested_tried);
	PVK_CHECK_RC(nested_rc, 0);
	PVK_CHECK(!freed_under_us);
	pvk_xenbus_unregister_driver(&vif_test_driver);
}

#endif /* CONFIG_PVK_XENBUS */
