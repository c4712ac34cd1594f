/*
 * frontends/blkfront/blkfront_xenbus.c - blkfront's side of xenbus: the
 * vbd driver, the negotiation with the backend, and the device list.
 *
 * Following the backend: when it waits (InitWait) we set up the ring and
 * event channel and publish ring-ref, event-channel and protocol in one
 * transaction, then go Initialised; when it is Connected we read what it
 * says of the disk (sectors, sector-size, info, feature-flush-cache),
 * check it and go Connected; when it closes, outstanding I/O fails with
 * -PVK_XEN_ENODEV, we go Closed, and once the backend is Closed (it no
 * longer maps our pages) the ring and its pages are released. Only what
 * blkfront_ring.c implements is negotiated: no multi-page ring, queues,
 * persistent grants, indirect descriptors or discard are asked for.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

static struct pvk_blkfront *devices;
static bool registered;
static const struct pvk_blkfront_hooks *hooks;

/* The host hears once that the disk is gone. */
static void tell_removed(struct pvk_blkfront *dev)
{
	if (dev->removed_told || !dev->connected_once)
		return;
	dev->removed_told = true;
	if (hooks && hooks->removed)
		hooks->removed(dev);
}

/* The device id is the virtual device number: all digits, in range. */
static int parse_vdev(const char *id, unsigned int *out)
{
	unsigned long v;
	int rc = pvk_xs_parse_ulong(id, &v);

	if (rc || v > 0xffffffffUL)
		return -PVK_XEN_EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int blkfront_probe(struct pvk_xenbus_device *xdev)
{
	struct pvk_blkfront *dev;
	unsigned int vdev;

	if (parse_vdev(xdev->id, &vdev))
		return -PVK_XEN_EINVAL;
	dev = pvk_port_malloc(sizeof(*dev));
	if (!dev)
		return -PVK_XEN_ENOMEM;
	__builtin_memset(dev, 0, sizeof(*dev));
	pvk_port_lock_init(&dev->lock);
	pvk_port_wait_init(&dev->wait);
	dev->xdev = xdev;
	pvk_snprintf(dev->name, sizeof(dev->name), "%s", xdev->nodename);
	dev->backend = (pvk_domid_t)xdev->otherend_id;
	dev->info.vdev = vdev;
	xdev->priv = dev;
	dev->next = devices;
	devices = dev;
	return 0;
}

/* Backend in InitWait: share the ring and tell it where it is. */
static void blkfront_initialise(struct pvk_blkfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;
	char ref[12], port[12];
	struct pvk_xenbus_kv keys[] = {
		{ "ring-ref", ref },
		{ "event-channel", port },
		{ "protocol", "x86_64-abi" },
	};
	int rc;

	if (xdev->state != PVK_XenbusStateInitialising || dev->gone)
		return;
	rc = blkfront_ring_setup(dev);
	if (!rc) {
		pvk_snprintf(ref, sizeof(ref), "%u", dev->ring_ref);
		pvk_snprintf(port, sizeof(port), "%u", dev->port);
		rc = pvk_xenbus_write_keys(xdev, keys, PVK_ARRAY_SIZE(keys));
	}
	if (!rc)
		rc = pvk_xenbus_switch_state(xdev, PVK_XenbusStateInitialised);
	if (rc) {
		pvk_err("blkfront: %s: cannot set up the ring: %d", xdev->nodename, rc);
		dev->gone = true;
		blkfront_ring_teardown(dev);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
	}
}

/* Backend Connected: learn the disk, check it, and go Connected. */
static void blkfront_connect(struct pvk_blkfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;
	unsigned long sectors, ssize, pssize, info, flush;
	int rc;

	if (xdev->state != PVK_XenbusStateInitialised || dev->gone)
		return;		/* resize (Connected again) not implemented */
	rc = pvk_xenbus_read_feature(xdev, "sectors", 0, &sectors);
	if (!rc)
		rc = pvk_xenbus_read_feature(xdev, "sector-size", 512, &ssize);
	if (!rc)
		rc = pvk_xenbus_read_feature(xdev, "physical-sector-size", ssize, &pssize);
	if (!rc)
		rc = pvk_xenbus_read_feature(xdev, "info", 0, &info);
	if (!rc)
		rc = pvk_xenbus_read_feature(xdev, "feature-flush-cache", 0, &flush);
	if (!rc && (sectors == 0 || ssize < 512 || ssize > 4096 || (ssize & (ssize - 1)) ||
		    sectors % (ssize / 512) || pssize < ssize || pssize > 65536 ||
		    (pssize & (pssize - 1)) || info > 0xffff || flush > 1))
		rc = -PVK_XEN_EINVAL;
	if (rc) {
		pvk_err("blkfront: %s: backend describes the disk badly: %d", xdev->nodename, rc);
		dev->gone = true;
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		return;
	}
	dev->info.sectors = sectors;
	dev->info.sector_size = (unsigned int)ssize;
	dev->info.physical_sector_size = (unsigned int)pssize;
	dev->info.vdisk_info = (unsigned int)info;
	dev->info.flush = flush == 1 && blkfront_opts.flush;
	rc = pvk_xenbus_switch_state(xdev, PVK_XenbusStateConnected);
	if (rc)
		return;
	pvk_port_lock(&dev->lock);
	dev->connected = true;
	dev->connected_once = true;
	pvk_port_unlock(&dev->lock);
	pvk_info("blkfront: %s: %llu sectors of %u bytes, info 0x%x, flush %s, depth %u, %u segments per request",
		 xdev->nodename, (unsigned long long)sectors, dev->info.sector_size,
		 dev->info.vdisk_info, dev->info.flush ? "yes" : "no", dev->info.depth,
		 dev->info.max_segments);
	if (hooks && hooks->added)
		hooks->added(dev);
}

static void blkfront_backend_changed(struct pvk_xenbus_device *xdev,
				     enum pvk_xenbus_state s)
{
	struct pvk_blkfront *dev = xdev->priv;

	switch (s) {
	case PVK_XenbusStateInitWait:
		blkfront_initialise(dev);
		break;
	case PVK_XenbusStateConnected:
		blkfront_connect(dev);
		break;
	case PVK_XenbusStateClosing:
		/* New and outstanding I/O fails; the backend may still map
		 * our pages until it is Closed, so they stay until then. */
		dev->gone = true;
		blkfront_fail_all(dev, -PVK_XEN_ENODEV);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		pvk_info("blkfront: %s: backend closing: device closed", xdev->nodename);
		tell_removed(dev);
		break;
	case PVK_XenbusStateClosed:
		dev->gone = true;
		blkfront_fail_all(dev, -PVK_XEN_ENODEV);
		blkfront_ring_teardown(dev);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		tell_removed(dev);
		break;
	default:
		break;
	}
}

static void blkfront_remove(struct pvk_xenbus_device *xdev)
{
	struct pvk_blkfront *dev = xdev->priv;

	dev->gone = true;
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	blkfront_ring_teardown(dev);
	tell_removed(dev);
	/* The structure stays (the host may still hold it: every request
	 * on it fails with -PVK_XEN_ENODEV); only xdev goes away. */
	pvk_port_lock(&dev->lock);
	dev->xdev = NULL;
	pvk_port_unlock(&dev->lock);
}

static struct pvk_xenbus_driver blkfront_driver = {
	.devclass = "vbd",
	.probe = blkfront_probe,
	.otherend_changed = blkfront_backend_changed,
	.remove = blkfront_remove,
};

int pvk_blkfront_init(const struct pvk_blkfront_hooks *h)
{
	int rc;

	if (registered)
		return 0;
	hooks = h;
	rc = pvk_xenbus_register_driver(&blkfront_driver);
	if (!rc)
		registered = true;
	return rc;
}

static struct pvk_blkfront *find_connected(unsigned int vdev)
{
	for (struct pvk_blkfront *d = devices; d; d = d->next)
		if (d->info.vdev == vdev && d->connected && !d->gone)
			return d;
	return NULL;
}

int pvk_blkfront_wait_connected(unsigned int vdev, uint64_t timeout_ns,
				struct pvk_blkfront **out)
{
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;

	while (!(*out = find_connected(vdev))) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(deadline - now);
	}
	return 0;
}
