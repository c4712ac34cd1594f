/*
 * frontends/netfront/netfront_xenbus.c - netfront's side of xenbus: the
 * vif driver, the negotiation with the backend, the lifecycle, the host's
 * hooks and the device list.
 *
 * When the backend waits (InitWait) we read the MAC from our "mac" key,
 * set up the queue, publish in one transaction tx-ring-ref, rx-ring-ref,
 * event-channel, request-rx-copy=1, feature-rx-notify=1 and the features
 * we do not implement yet as off (feature-sg=0, feature-gso-tcpv4=0,
 * feature-gso-tcpv6=0, feature-ipv6-csum-offload=0,
 * feature-no-csum-offload=1), then go Connected (netback connects when
 * the frontend is Connected). When the backend is Connected too, the
 * receive buffers are posted and the link is up. When it closes, the link
 * goes down, transmits outstanding fail with -ENODEV, we go Closed, and
 * once the backend is Closed every grant is ended.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

static struct pvk_netfront *devices;
static bool registered;


static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", exactly. */
static int parse_mac(const char *s, uint8_t mac[PVK_NET_ETH_ALEN])
{
	for (unsigned int i = 0; i < PVK_NET_ETH_ALEN; i++) {
		int hi = hexval(s[3 * i]), lo = hi < 0 ? -1 : hexval(s[3 * i + 1]);
		char sep = lo < 0 ? 'x' : s[3 * i + 2];

		if (lo < 0 || sep != (i == PVK_NET_ETH_ALEN - 1 ? '\0' : ':'))
			return -PVK_XEN_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int read_mac(struct pvk_netfront *dev)
{
	char path[PVK_XENBUS_PATH_MAX + 8], val[32];
	int rc;

	pvk_snprintf(path, sizeof(path), "%s/mac", dev->xdev->nodename);
	rc = pvk_xs_read(PVK_XBT_NIL, path, val, sizeof(val));
	if (rc < 0)
		return rc;
	return parse_mac(val, dev->info.mac);
}

static int netfront_probe(struct pvk_xenbus_device *xdev)
{
	struct pvk_netfront *dev;
	unsigned long id;

	if (pvk_xs_parse_ulong(xdev->id, &id) || id > 0xffffffffUL)
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
	dev->info.id = (unsigned int)id;
	dev->info.max_frame = NETFRONT_MAX_FRAME;
	xdev->priv = dev;
	dev->next = devices;
	devices = dev;
	if (netfront_hooks && netfront_hooks->added)
		netfront_hooks->added(dev);
	return 0;
}

static int publish(struct pvk_netfront *dev)
{
	struct netfront_queue *q = &dev->queues[0];
	char txr[12], rxr[12], evt[12];
	struct pvk_xenbus_kv kv[] = {
		{ "tx-ring-ref", txr },
		{ "rx-ring-ref", rxr },
		{ "event-channel", evt },
		{ "request-rx-copy", "1" },
		{ "feature-rx-notify", "1" },
		/* Not implemented yet: never negotiated (see netfront.h). */
		{ "feature-sg", "0" },
		{ "feature-gso-tcpv4", "0" },
		{ "feature-gso-tcpv6", "0" },
		{ "feature-ipv6-csum-offload", "0" },
		{ "feature-no-csum-offload", "1" },
	};

	pvk_snprintf(txr, sizeof(txr), "%u", q->tx_ref);
	pvk_snprintf(rxr, sizeof(rxr), "%u", q->rx_ref);
	pvk_snprintf(evt, sizeof(evt), "%u", q->port_tx);
	return pvk_xenbus_write_keys(dev->xdev, kv, sizeof(kv) / sizeof(kv[0]));
}

/* Backend in InitWait: share the rings, tell it where they are. */
static void netfront_initialise(struct pvk_netfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;
	unsigned long rx_copy;
	int rc;

	if (xdev->state != PVK_XenbusStateInitialising || dev->gone)
		return;
	rc = pvk_xenbus_read_feature(xdev, "feature-rx-copy", 0, &rx_copy);
	if (!rc && rx_copy != 1) {
		pvk_err("netfront: %s: the backend does not offer feature-rx-copy (%lu): not supported",
			dev->name, rx_copy);
		rc = -PVK_XEN_EOPNOTSUPP;
	}
	if (!rc && (rc = read_mac(dev)))
		pvk_err("netfront: %s: no valid mac key: %d", dev->name, rc);
	if (!rc)
		rc = netfront_queues_setup(dev, 1, false);
	if (!rc)
		rc = publish(dev);
	if (!rc)
		rc = pvk_xenbus_switch_state(xdev, PVK_XenbusStateConnected);
	if (rc) {
		pvk_err("netfront: %s: cannot set up the rings: %d", dev->name, rc);
		dev->gone = true;
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		return;
	}
	pvk_info("netfront: %s: mac %02x:%02x:%02x:%02x:%02x:%02x, 1 queue, tx ring 256, rx ring 256 (%u buffers), request-rx-copy, rx-notify; sg, gso, csum offload, multi-queue, split event channels: not implemented, off",
		 dev->name, dev->info.mac[0], dev->info.mac[1], dev->info.mac[2],
		 dev->info.mac[3], dev->info.mac[4], dev->info.mac[5], dev->info.rx_buffers);
}

static void netfront_connected(struct pvk_netfront *dev)
{
	int rc;

	if (dev->gone || dev->broken || dev->info.link_up || !dev->queues)
		return;
	rc = netfront_queues_start(dev);
	if (rc) {
		pvk_err("netfront: %s: cannot post the receive buffers: %d", dev->name, rc);
		return;
	}
	netfront_set_link(dev, true);
}

static void tell_removed(struct pvk_netfront *dev)
{
	if (dev->removed_told)
		return;
	dev->removed_told = true;
	if (netfront_hooks && netfront_hooks->removed)
		netfront_hooks->removed(dev);
}

static void netfront_closing(struct pvk_netfront *dev)
{
	netfront_set_link(dev, false);
	dev->gone = true;
	netfront_queues_stop(dev, -PVK_XEN_ENODEV);
	if (dev->xdev && dev->xdev->state != PVK_XenbusStateClosed)
		pvk_xenbus_switch_state(dev->xdev, PVK_XenbusStateClosed);
}

static void netfront_otherend_changed(struct pvk_xenbus_device *xdev,
				      enum pvk_xenbus_state st)
{
	struct pvk_netfront *dev = xdev->priv;

	if (!dev)
		return;
	switch (st) {
	case PVK_XenbusStateInitWait:
		netfront_initialise(dev);
		break;
	case PVK_XenbusStateConnected:
		netfront_connected(dev);
		break;
	case PVK_XenbusStateClosing:
		netfront_closing(dev);
		break;
	case PVK_XenbusStateClosed:
		netfront_closing(dev);
		/* It maps nothing of ours any more. */
		netfront_queues_teardown(dev);
		tell_removed(dev);
		break;
	default:
		break;
	}
}

static void netfront_remove(struct pvk_xenbus_device *xdev)
{
	struct pvk_netfront *dev = xdev->priv;

	if (!dev)
		return;
	netfront_set_link(dev, false);
	dev->gone = true;
	netfront_queues_stop(dev, -PVK_XEN_ENODEV);
	dev->xdev = NULL;
	xdev->priv = NULL;
	tell_removed(dev);
}

static struct pvk_xenbus_driver netfront_driver = {
	.devclass = "vif",
	.probe = netfront_probe,
	.otherend_changed = netfront_otherend_changed,
	.remove = netfront_remove,
};

int pvk_netfront_init(const struct pvk_netfront_hooks *hooks)
{
	if (registered)
		return 0;
	netfront_hooks = hooks;
	registered = true;
	return pvk_xenbus_register_driver(&netfront_driver);
}

struct wait_arg {
	unsigned int id;
	struct pvk_netfront *found;
};

static bool link_is_up(void *arg)
{
	struct wait_arg *w = arg;

	for (struct pvk_netfront *d = devices; d; d = d->next)
		if (d->info.id == w->id && (d->info.link_up || d->broken || d->gone)) {
			w->found = d;
			return true;
		}
	return false;
}

int pvk_netfront_wait_connected(unsigned int id, uint64_t timeout_ns,
				struct pvk_netfront **out)
{
	struct wait_arg w = { .id = id, .found = NULL };
	uint64_t end = pvk_time_now_ns() + timeout_ns;

	/* xenstore watches run while we wait: that is what connects it. */
	while (!link_is_up(&w)) {
		uint64_t now = pvk_time_now_ns();

		if (now >= end)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(end - now < 100000000ULL ? end - now : 100000000ULL);
	}
	if (!w.found->info.link_up)
		return w.found->broken ? -PVK_XEN_EIO : -PVK_XEN_ENODEV;
	*out = w.found;
	return 0;
}

const struct pvk_netfront_info *pvk_netfront_info(const struct pvk_netfront *dev)
{
	return &dev->info;
}

bool pvk_netfront_broken(const struct pvk_netfront *dev)
{
	return PVK_READ_ONCE(dev->broken);
}

unsigned int pvk_netfront_grants_held(const struct pvk_netfront *dev)
{
	return __atomic_load_n(&dev->grants_live, __ATOMIC_RELAXED);
}
