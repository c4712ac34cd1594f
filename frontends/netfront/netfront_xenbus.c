/*
 * frontends/netfront/netfront_xenbus.c - netfront's side of xenbus: the
 * vif driver, the negotiation with the backend, the lifecycle (reconnect,
 * removal, release), the host's hooks and the device list.
 *
 * When the backend waits (InitWait) we read what it offers and our own
 * "trusted" key, decide with the host's switches what to use
 * (netfront_negotiate.c), read the MAC from our "mac" key, set up the
 * queues, and publish every key and our Connected in one transaction
 * (netback connects when the frontend is Connected). When the backend is
 * Connected too, the receive buffers are posted and the link is up.
 *
 * When it closes, the link goes down, transmits outstanding fail with
 * -ENODEV and we go Closed; once it is Closed every grant is ended. Then,
 * unless this is the toolstack's detach (the backend's "online" is 0 or
 * gone), we go back to Initialising: netback takes that as "prepare for
 * reconnect" and waits again, and the same device negotiates anew.
 * netback unbound and bound again never shows Closed: InitWait (or its
 * state written again) while we are connected makes us go Closed first,
 * and the grants end at its Closed (it may have mapped the old rings).
 * Each negotiation counts; the link coming up resets the count, and
 * NETFRONT_MAX_ATTEMPTS in a row disable the device. A failure that is
 * not our node gone is retried through Closed. A device marked broken
 * (event context) is closed here from thread context and never
 * reconnects. A detach ends with the device's node deleted: the removed
 * hook, and pvk_netfront_release() may free it.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

/*
 * The device list. Probe (a xenbus callback) links into it and release
 * unlinks from it, both in the watch worker role and under devices_lock;
 * so a holder of the role may walk it as it is, and anyone else (the
 * wait_connected loop, on a host's thread) walks it under the lock.
 */
static struct pvk_netfront *devices;
static struct pvk_lock devices_lock;
static bool registered, devices_lock_ready;

/* How long a host's call (release, the give-up, closing a broken device)
 * waits for another CPU's callbacks to return before it takes the role. */
#define ROLE_WAIT_NS	PVK_XS_TIMEOUT_NS


static int read_mac(struct pvk_netfront *dev)
{
	char path[PVK_XENBUS_PATH_MAX + 8], val[32];
	const char *why;
	int rc;

	pvk_snprintf(path, sizeof(path), "%s/mac", dev->xdev->nodename);
	rc = pvk_xs_read(PVK_XBT_NIL, path, val, sizeof(val));
	if (rc < 0) {
		pvk_err("netfront: %s: mac key unreadable: %d", dev->name, rc);
		return rc;
	}
	rc = netfront_parse_mac(val, dev->info.mac, &why);
	if (rc) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(sizeof(val))];

		pvk_err("netfront: %s: mac \"%s\" refused: %s", dev->name,
			pvk_xenbus_printable(shown, sizeof(shown), val),
			why ? why : "not aa:bb:cc:dd:ee:ff");
	}
	if (!rc)
		dev->mac_known = true;
	return rc;
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
	pvk_port_lock(&devices_lock);
	dev->next = devices;
	devices = dev;
	pvk_port_unlock(&devices_lock);
	if (netfront_hooks && netfront_hooks->added)
		netfront_hooks->added(dev);
	return 0;
}

/* The backend's offer, and our own "trusted" key (absent: untrusted). */
static int read_offer(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev,
		      struct netfront_offer *b)
{
	static const struct {
		const char *key;
		unsigned long def;
		size_t off;
	} keys[] = {
		{ "feature-rx-copy", 0, __builtin_offsetof(struct netfront_offer, rx_copy) },
		{ "feature-sg", 0, __builtin_offsetof(struct netfront_offer, sg) },
		{ "feature-gso-tcpv4", 0, __builtin_offsetof(struct netfront_offer, gso_tcpv4) },
		{ "feature-gso-tcpv6", 0, __builtin_offsetof(struct netfront_offer, gso_tcpv6) },
		{ "feature-no-csum-offload", 0,
		  __builtin_offsetof(struct netfront_offer, no_csum_offload) },
		{ "feature-ipv6-csum-offload", 0,
		  __builtin_offsetof(struct netfront_offer, ipv6_csum_offload) },
		{ "feature-split-event-channels", 0,
		  __builtin_offsetof(struct netfront_offer, split_evtchn) },
		{ "multi-queue-max-queues", 1,
		  __builtin_offsetof(struct netfront_offer, max_queues) },
	};
	struct pvk_xenbus_feature f[PVK_ARRAY_SIZE(keys)];
	unsigned int bad = PVK_ARRAY_SIZE(keys);
	char path[PVK_XENBUS_PATH_MAX + 16];
	int rc;

	/* All in one round trip; each text still read once and checked
	 * (xenbus logs which key and the text it found). */
	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(keys); i++)
		f[i] = (struct pvk_xenbus_feature){ keys[i].key, keys[i].def,
						    (unsigned long *)((char *)b + keys[i].off) };
	rc = pvk_xenbus_read_features(xdev, f, PVK_ARRAY_SIZE(f), &bad);
	if (rc) {
		pvk_err("netfront: %s: backend's %s unreadable or not a number: %d",
			dev->name, bad < PVK_ARRAY_SIZE(keys) ? keys[bad].key : "?", rc);
		return rc;
	}
	pvk_snprintf(path, sizeof(path), "%s/trusted", xdev->nodename);
	rc = pvk_xs_read_ulong(PVK_XBT_NIL, path, &b->trusted);
	if (rc == -PVK_XEN_ENOENT) {
		b->trusted = 0;
		rc = 0;
	}
	if (rc)
		pvk_err("netfront: %s: our trusted key is not a number: %d", dev->name, rc);
	return rc;
}

/* Shared with nothing: callbacks run one at a time (thread context). */
static struct netfront_keys keys;

static int publish(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev)
{
	struct netfront_queue_keys qk[NETFRONT_MAX_QUEUES];

	for (unsigned int i = 0; i < dev->info.nr_queues; i++) {
		qk[i].tx_ref = dev->queues[i].tx_ref;
		qk[i].rx_ref = dev->queues[i].rx_ref;
		qk[i].port_tx = dev->queues[i].port_tx;
		qk[i].port_rx = dev->queues[i].port_rx;
	}
	netfront_build_keys(&keys, &dev->info, &dev->rxf, qk);
	/* The keys and our Connected in one transaction (the backend maps
	 * the rings once it sees Connected, and finds the keys with it). */
	return pvk_xenbus_publish(xdev, keys.kv, keys.n, PVK_XenbusStateConnected);
}

static void log_negotiated(const struct pvk_netfront *dev)
{
	const struct pvk_netfront_info *i = &dev->info;

	pvk_info("netfront: %s: mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue%s, tx ring 256, rx ring 256 (%u buffers), request-rx-copy, rx-notify, sg %d, gso %d/%d, csum %d, ipv6 csum %d, split evtchn %d, trusted %d",
		 dev->name, i->mac[0], i->mac[1], i->mac[2], i->mac[3], i->mac[4], i->mac[5],
		 i->nr_queues, i->nr_queues == 1 ? "" : "s", i->rx_buffers, i->sg,
		 i->gso_tcpv4, i->gso_tcpv6, i->csum_offload, i->ipv6_csum_offload,
		 i->split_evtchn, i->trusted);
}

/* Backend in InitWait, we Initialising: decide, share the rings, tell it
 * where they are, go Connected. A failure other than our node gone is
 * taken as passing: we go Closed, and the backend's Closed brings the
 * next attempt (NETFRONT_MAX_ATTEMPTS in a row at most). */
static void netfront_initialise(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev)
{
	struct netfront_offer offer;
	bool capped = false;
	int rc;

	if (xdev->state != PVK_XenbusStateInitialising || dev->gone || dev->broken)
		return;
	dev->attempts++;
	rc = read_offer(dev, xdev, &offer);
	if (!rc) {
		rc = netfront_negotiate(&netfront_opts, &offer, &dev->info, &capped);
	netfront_rx_features(&netfront_opts, &dev->rxf);
		if (rc)
			pvk_err("netfront: %s: the backend does not offer feature-rx-copy (%lu): not supported",
				dev->name, offer.rx_copy);
	}
	if (capped)
		pvk_warn("netfront: %s: backend offers %lu queues: absurd, taken as %u",
			 dev->name, offer.max_queues, NETFRONT_QUEUES_ABSURD);
	if (!rc)
		rc = read_mac(dev);
	/* A MAC never read before the save (the device had not got that
	 * far) is not "changed": the one read now is taken. */
	if (!rc && dev->resuming && dev->mac_before_known &&
	    __builtin_memcmp(dev->mac_before, dev->info.mac, PVK_NET_ETH_ALEN)) {
		/* The host's stack and its peers know the old one: a device
		 * under another MAC is not the same device. */
		const uint8_t *m = dev->mac_before;

		pvk_err("netfront: %s: after the resume the mac is not %02x:%02x:%02x:%02x:%02x:%02x any more: device disabled",
			dev->name, m[0], m[1], m[2], m[3], m[4], m[5]);
		__builtin_memcpy(dev->info.mac, dev->mac_before, PVK_NET_ETH_ALEN);
		dev->gone = true;
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		netfront_resume_abandon(dev, -PVK_XEN_ENODEV);
		netfront_set_link(dev, false);
		return;
	}
	if (!rc)
		rc = netfront_queues_setup(dev, dev->info.nr_queues, dev->info.split_evtchn);
	if (!rc && xdev->resume_timing)
		/* Where a reconnect's time goes (xenbus stamps the rest). */
		pvk_info("netfront: %s: queues set up (+%llu us after the resume)", dev->name,
			 (unsigned long long)((pvk_time_now_ns() - xdev->resume_t0_ns) / 1000));
	if (!rc)
		rc = publish(dev, xdev);
	if (rc == -PVK_XEN_ENOENT && pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed) ==
	    -PVK_XEN_ENOENT) {
		/* Our node is gone: the removal follows. */
		dev->gone = true;
		return;
	}
	if (rc) {
		pvk_err("netfront: %s: cannot set up the rings (attempt %u): %d: closing",
			dev->name, dev->attempts, rc);
		/* The backend may have seen the keys: it is told Closed and
		 * the grants end only when it is Closed too. */
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		return;
	}
	log_negotiated(dev);
}

/* The backend is going away: no more frames, we are Closed. Its mappings
 * of our pages stay valid until it is Closed. */
static void netfront_closing(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev)
{
	/* Transmits fail first: a host told "down" sees -ENODEV at once
	 * (and those kept for a resend after a resume). */
	netfront_queues_stop(dev, -PVK_XEN_ENODEV);
	netfront_resume_abandon(dev, -PVK_XEN_ENODEV);
	/* Closed before the host hears: the toolstack's detach waits for
	 * it, and a link hook may wait (run watches) for what follows. */
	if (xdev->state != PVK_XenbusStateClosed)
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
	netfront_set_link(dev, false);
}

static void netfront_connected(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev)
{
	int rc;

	if (dev->gone || dev->broken || dev->info.link_up || !dev->queues ||
	    xdev->state != PVK_XenbusStateConnected)
		return;
	rc = netfront_queues_start(dev);
	if (rc) {
		/* Half up is no state: the backend is told Closed, the next
		 * attempt follows its Closed. */
		pvk_err("netfront: %s: cannot post the receive buffers: %d: closing",
			dev->name, rc);
		netfront_closing(dev, xdev);
		return;
	}
	dev->attempts = 0;
	if (dev->resuming)
		netfront_resume_connected(dev);
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

/* The backend maps nothing of ours any more: end the grants, then
 * reconnect unless the toolstack is detaching the device. */
static void netfront_closed(struct pvk_netfront *dev, struct pvk_xenbus_device *xdev)
{
	unsigned long online = 0;
	int online_rc;

	netfront_closing(dev, xdev);
	netfront_queues_teardown(dev);
	if (dev->gone || dev->broken)
		return;
	online_rc = pvk_xenbus_read_feature(xdev, "online", 0, &online);
	switch (netfront_after_closed(online_rc, online, pvk_netfront_grants_held(dev) > 0,
				      dev->attempts)) {
	case NETFRONT_RECONNECT:
		/* The queue array stays (the host may be in xmit, wait_tx
		 * or an rx hook on it): setup reuses it; release frees it. */
		online_rc = pvk_xenbus_switch_state(xdev, PVK_XenbusStateInitialising);
		if (online_rc == -PVK_XEN_ENOENT)
			return;		/* the node is gone: removal follows */
		if (online_rc) {
			pvk_err("netfront: %s: cannot go Initialising: %d: tried again at the backend's next change",
				dev->name, online_rc);
			return;
		}
		pvk_info("netfront: %s: backend closed, still online: reconnecting", dev->name);
		break;
	case NETFRONT_WAIT_REMOVAL:
		pvk_info("netfront: %s: backend closed, offline: waiting for removal", dev->name);
		break;
	case NETFRONT_RETRY_LATER:
		pvk_err("netfront: %s: backend's online key unreadable: %d: decided at its next change",
			dev->name, online_rc);
		break;
	case NETFRONT_DISABLE:
		pvk_err("netfront: %s: backend closed but still maps our pages: device disabled",
			dev->name);
		dev->gone = true;
		pvk_port_wake(&dev->wait);
		break;
	case NETFRONT_GIVE_UP:
		pvk_err("netfront: %s: %u connections in a row never brought the link up: device disabled",
			dev->name, dev->attempts);
		dev->gone = true;
		pvk_port_wake(&dev->wait);
		break;
	}
}

/* A device marked broken (event context: a protocol violation) is closed
 * toward the backend here, in thread context, so that it unmaps our
 * pages; the grants end at its Closed, and there is no reconnect. */
static void close_if_broken(struct pvk_netfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;

	if (!xdev || !PVK_READ_ONCE(dev->broken) || dev->broken_closed)
		return;
	dev->broken_closed = true;
	pvk_info("netfront: %s: broken: closing toward the backend (grants end at its Closed)",
		 dev->name);
	netfront_closing(dev, xdev);
}

static void netfront_otherend_changed(struct pvk_xenbus_device *xdev,
				      enum pvk_xenbus_state st)
{
	struct pvk_netfront *dev = xdev->priv;

	if (!dev)
		return;
	dev->in_callback++;
	close_if_broken(dev);
	switch (st) {
	case PVK_XenbusStateInitWait:
		if (xdev->state == PVK_XenbusStateInitialising) {
			netfront_initialise(dev, xdev);
		} else if (xdev->state != PVK_XenbusStateClosed) {
			/* Waiting again while we are connected: netback was
			 * unbound and bound again (it leaves its state as it
			 * was when unbound). It may map the rings it finds
			 * in our keys at once, so nothing is ended now: we
			 * go Closed, it goes Closed, and that tears down. */
			pvk_info("netfront: %s: backend waits again while we are %s (rebound): closing first",
				 dev->name, pvk_xenbus_state_name(xdev->state));
			netfront_closing(dev, xdev);
		}
		/* We are Closed: its Closed follows, and the reconnect. */
		break;
	case PVK_XenbusStateConnected:
		netfront_connected(dev, xdev);
		break;
	case PVK_XenbusStateClosing:
		if (xdev->state != PVK_XenbusStateClosed)
			pvk_info("netfront: %s: backend closing while we are %s",
				 dev->name, pvk_xenbus_state_name(xdev->state));
		netfront_closing(dev, xdev);
		break;
	case PVK_XenbusStateClosed:
		if (xdev->state != PVK_XenbusStateClosed)
			pvk_info("netfront: %s: backend closed while we are %s",
				 dev->name, pvk_xenbus_state_name(xdev->state));
		netfront_closed(dev, xdev);
		break;
	default:
		break;
	}
	dev->in_callback--;
}

/* The backend wrote the state we saw last again. Connected (or InitWait)
 * again while we are connected is netback bound again, with its InitWait
 * missed (it goes on to Connected at once, mapping the rings it finds in
 * our keys): the same as a rebind seen. A device not yet up ignores it
 * (xenbus also calls this once when the watch is first set). */
static void netfront_otherend_rewritten(struct pvk_xenbus_device *xdev,
					enum pvk_xenbus_state st)
{
	struct pvk_netfront *dev = xdev->priv;

	if (!dev || !dev->info.link_up || xdev->state != PVK_XenbusStateConnected ||
	    (st != PVK_XenbusStateConnected && st != PVK_XenbusStateInitWait))
		return;
	/* The kit's own re-read after lost watch events is no evidence of
	 * a write: a healthy connection is not torn down for it. */
	if (xdev->otherend_reread) {
		pvk_info("netfront: %s: backend still %s on a re-read after lost watch events: connection kept",
			 dev->name, pvk_xenbus_state_name(st));
		return;
	}
	dev->in_callback++;
	pvk_info("netfront: %s: backend wrote %s again while we are Connected (rebound): closing first",
		 dev->name, pvk_xenbus_state_name(st));
	netfront_closing(dev, xdev);
	dev->in_callback--;
}

static void netfront_remove(struct pvk_xenbus_device *xdev)
{
	struct pvk_netfront *dev = xdev->priv;

	if (!dev)
		return;
	dev->in_callback++;
	dev->gone = true;
	netfront_queues_stop(dev, -PVK_XEN_ENODEV);
	netfront_resume_abandon(dev, -PVK_XEN_ENODEV);
	netfront_set_link(dev, false);
	/* What the backend still maps stays granted (and its page kept). */
	netfront_queues_teardown(dev);
	pvk_port_lock(&dev->lock);
	dev->xdev = NULL;
	pvk_port_unlock(&dev->lock);
	xdev->priv = NULL;
	tell_removed(dev);
	dev->in_callback--;
	pvk_port_wake(&dev->wait);
}

/*
 * Closing a broken device from a host's call (wait_connected, release)
 * changes what the device's callbacks change, and they run on the watch
 * worker, maybe another CPU: the role is taken first and the device looked
 * at again inside (broken_closed may have been set by a callback
 * meanwhile). A device inside a callback of its own (the host called
 * from a hook that callback ran) is left for its next callback or the
 * host's next call.
 */
static bool needs_close(const struct pvk_netfront *dev)
{
	return dev->xdev && PVK_READ_ONCE(dev->broken) && !dev->broken_closed;
}

/* Without the role (under devices_lock): whether any device waits to be
 * closed. */
static bool any_needs_close(void)
{
	bool any = false;

	if (!devices_lock_ready)
		return false;	/* not registered: no device yet */
	pvk_port_lock(&devices_lock);
	for (struct pvk_netfront *d = devices; d && !any; d = d->next)
		any = needs_close(d);
	pvk_port_unlock(&devices_lock);
	return any;
}

/* In the role. only: that device, else every one. */
static void close_broken_in_role(struct pvk_netfront *only)
{
	for (struct pvk_netfront *d = devices; d; d = d->next) {
		if ((only && d != only) || d->in_callback)
			continue;
		/* Watches run inside the state write's wait (nested, in this
		 * role): a removal and release there must not free d. */
		d->in_callback++;
		close_if_broken(d);
		d->in_callback--;
	}
}

/* From a host's call, not in the role: closes what broke, every device
 * (the wait loop's turns). Looked at first under the lock, so the role
 * is only asked for when there is something to close. False when the
 * role could not be had (logged): the caller asks no more this call, so
 * its wait grows by one role wait at most. */
static bool close_broken_from_host(void)
{
	if (!any_needs_close())
		return true;
	if (pvk_xenbus_worker_enter(ROLE_WAIT_NS))
		return false;	/* tried again at the host's next call */
	close_broken_in_role(NULL);
	pvk_xenbus_worker_leave();
	return true;
}

/* In the role: what pvk_netfront_release() decides and does. */
static int release_in_role(struct pvk_netfront *dev)
{
	bool removed;

	close_broken_in_role(dev);
	pvk_port_lock(&dev->lock);
	removed = dev->xdev == NULL && !dev->in_callback;
	pvk_port_unlock(&dev->lock);
	/* Still on xenbus, or inside one of its callbacks, or the backend
	 * still maps a page of it, or a port of it could not be closed (its
	 * handler may still run): nothing may go. */
	if (!removed)
		return -PVK_XEN_EBUSY;
	/* A page the backend kept mapped at teardown may be free by now. */
	if (pvk_netfront_grants_held(dev))
		netfront_queues_retry_kept(dev);
	if (pvk_netfront_grants_held(dev) || netfront_ports_bound(dev))
		return -PVK_XEN_EBUSY;
	pvk_port_lock(&devices_lock);
	for (struct pvk_netfront **pp = &devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	pvk_port_unlock(&devices_lock);
	netfront_queues_free(dev);
	pvk_port_free(dev);
	return 0;
}

/*
 * A host's thread, not a callback: the device's callbacks (a removal's
 * teardown, a hot-plugged vif's probe linking into the list) run on the
 * watch worker, maybe another CPU, so the whole decision is made in the
 * role. When it cannot be had, -PVK_XEN_EBUSY: nothing changed, try
 * again, as for any other refusal.
 */
int pvk_netfront_release(struct pvk_netfront *dev)
{
	int rc;

	if (pvk_xenbus_worker_enter(ROLE_WAIT_NS))
		return -PVK_XEN_EBUSY;	/* logged */
	rc = release_in_role(dev);
	pvk_xenbus_worker_leave();
	return rc;
}

static struct pvk_xenbus_driver netfront_driver = {
	.devclass = "vif",
	.probe = netfront_probe,
	.otherend_changed = netfront_otherend_changed,
	.otherend_rewritten = netfront_otherend_rewritten,
	.remove = netfront_remove,
};

int pvk_netfront_init(const struct pvk_netfront_hooks *hooks)
{
	int rc;

	if (registered)
		return 0;
	if (!devices_lock_ready) {
		pvk_port_lock_init(&devices_lock);
		devices_lock_ready = true;
	}
	netfront_hooks = hooks;
	registered = true;
	rc = netfront_suspend_register();
	if (rc)
		pvk_warn("netfront: no suspend part (%d): a save/restore will not reconnect", rc);
	return pvk_xenbus_register_driver(&netfront_driver);
}

struct wait_arg {
	unsigned int id;
	struct pvk_netfront *found;
	int rc;		/* found's: 0 link up, -EIO broken, -ENODEV gone */
};

/*
 * With or without the role (under devices_lock): whether vif id's wait is
 * over (link up, broken or given up), its answer decided here, where the
 * device cannot be released under us.
 */
static bool link_is_up(void *arg)
{
	struct wait_arg *w = arg;

	if (!devices_lock_ready)
		return false;	/* not registered: no device yet */
	pvk_port_lock(&devices_lock);
	w->found = NULL;
	/* A removed device (no xdev) of the same id may still be listed,
	 * not yet released: a re-attached vif is another device. */
	for (struct pvk_netfront *d = devices; d && !w->found; d = d->next) {
		if (d->info.id != w->id || !PVK_READ_ONCE(d->xdev))
			continue;
		if (PVK_READ_ONCE(d->info.link_up))
			w->rc = 0;
		else if (PVK_READ_ONCE(d->broken))
			w->rc = -PVK_XEN_EIO;
		else if (PVK_READ_ONCE(d->gone))
			w->rc = -PVK_XEN_ENODEV;
		else
			continue;
		w->found = d;
	}
	pvk_port_unlock(&devices_lock);
	return w->found != NULL;
}

/*
 * The bounded wait ran out and the link of vif id never came up while the
 * device is still on xenbus, neither broken nor given up: its backend
 * never connected (stuck in InitWait, or quiet half-way). The device is
 * given up, not left half-negotiated: closed toward the backend, its
 * grants ended now (a page the backend maps stays granted, never reused;
 * the toolstack's removal tries again), no reconnect.
 *
 * Inside the watch worker role, as close_broken_from_host: a Connected
 * delivered on another CPU just as the bound ran out would post the
 * receive buffers and bring the link up beside a teardown of the queues.
 * Inside, the device is looked at again: one whose link came up meanwhile
 * is the answer (0).
 */
static int give_up_waiting(struct wait_arg *w, uint64_t waited_ns)
{
	int rc = -PVK_XEN_ETIMEDOUT;

	if (pvk_xenbus_worker_enter(ROLE_WAIT_NS))
		return rc;	/* logged; nothing changed, the host may wait again */
	if (link_is_up(w)) {
		rc = 0;
		goto out;
	}
	for (struct pvk_netfront *d = devices; d; d = d->next) {
		struct pvk_xenbus_device *xdev = d->xdev;

		if (d->info.id != w->id || !xdev || d->gone || d->broken || d->in_callback ||
		    d->info.link_up)
			continue;
		pvk_err("netfront: %s: backend still %s after %llu ms (we are %s): giving up: device closed",
			d->name, pvk_xenbus_state_name(xdev->otherend_state),
			(unsigned long long)(waited_ns / 1000000),
			pvk_xenbus_state_name(xdev->state));
		/* Watches run inside the state write's wait (nested, in this
		 * role): a removal there must not free d under us. */
		d->in_callback++;
		d->gone = true;
		netfront_closing(d, xdev);
		netfront_queues_teardown(d);
		d->in_callback--;
		pvk_port_wake(&d->wait);
	}
out:
	pvk_xenbus_worker_leave();
	return rc;
}

int pvk_netfront_wait_connected(unsigned int id, uint64_t timeout_ns,
				struct pvk_netfront **out)
{
	struct wait_arg w = { .id = id, .found = NULL };
	bool may_close = true;
	uint64_t start = pvk_time_now_ns();
	uint64_t end = start + timeout_ns < start ? UINT64_MAX : start + timeout_ns;

	/* xenstore watches run while we wait: that is what connects it. */
	for (;;) {
		uint64_t now;

		/* Thread context: a device broken meanwhile closes here. */
		if (may_close)
			may_close = close_broken_from_host();
		if (link_is_up(&w))
			break;
		now = pvk_time_now_ns();
		if (now >= end) {
			int rc = give_up_waiting(&w, now - start);

			if (rc)
				return rc;
			break;
		}
		pvk_xs_wait_watches(end - now < 100000000ULL ? end - now : 100000000ULL);
	}
	if (w.rc)
		return w.rc;
	*out = w.found;
	return 0;
}

const struct pvk_netfront_info *pvk_netfront_info(const struct pvk_netfront *dev)
{
	return &dev->info;
}

/* For netfront_suspend.c: the device list, walked in the watch worker
 * role (its resume runs there). */
struct pvk_netfront *netfront_devices(void)
{
	return devices;
}

bool pvk_netfront_broken(const struct pvk_netfront *dev)
{
	return PVK_READ_ONCE(dev->broken);
}

unsigned int pvk_netfront_grants_held(const struct pvk_netfront *dev)
{
	return __atomic_load_n(&dev->grants_live, __ATOMIC_RELAXED);
}
