/*
 * frontends/xenbus/xenbus.c - devices under device/<class>/<id>, their
 * drivers, hotplug, and the watch on each backend's state.
 *
 * One watch on device/ (relative to our home) covers hotplug: any change
 * below it rescans the classes that have drivers. A rescan lists
 * device/<class>; an id not yet known becomes a device (once its backend
 * and backend-id nodes are readable: the toolstack writes them before the
 * device is announced, but a scan may race a half-written directory and
 * simply retries on the next event), and a known device whose id is gone
 * is removed. All of it runs in thread context: the watch callbacks come
 * from pvk_xs_run_watches().
 *
 * Several CPUs: the driver and device lists are touched by watch
 * callbacks, which run on one CPU at a time (the watch worker,
 * xs_watch.c), and by the host's register/unregister calls, which take
 * the worker role for their work: so the lists have one user at a time
 * without a lock held across the xenstore waits.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>

#include "xs_client.h"

/* How long a register/unregister waits for another CPU's callbacks. */
#define WORKER_WAIT_NS	(4 * PVK_XS_TIMEOUT_NS)

static struct pvk_xenbus_driver *drivers;
static struct pvk_xenbus_device *devices;
static char listing[PVK_XENSTORE_PAYLOAD_MAX + 1];

/* The host provides memcmp and strlen, not strcmp. */
static bool same(const char *a, const char *b)
{
	size_t n = __builtin_strlen(a);

	return n == __builtin_strlen(b) && !__builtin_memcmp(a, b, n);
}

static int path_join(char *out, size_t size, const char *a, const char *b)
{
	int n = pvk_snprintf(out, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -PVK_XEN_ENAMETOOLONG : 0;
}

static void otherend_changed(struct pvk_xs_watch *w, const char *path);

/*
 * A reconnect after a resume, measured: the xenstore requests made while
 * the kit works for one device (its resume, its backend-state callbacks
 * and what its driver does in them) are added to that device's count.
 * Callbacks nested inside another's xenstore wait count for the outer
 * device (depth): one CPU runs them, the watch worker.
 */
static unsigned int counting_depth;

static uint64_t count_begin(void)
{
	counting_depth++;
	return PVK_READ_ONCE(pvk_xs_counters.requests);
}

static void count_end(struct pvk_xenbus_device *dev, uint64_t start)
{
	if (--counting_depth || !dev->resume_timing)
		return;
	dev->resume_xs_requests += PVK_READ_ONCE(pvk_xs_counters.requests) - start;
	if (dev->resume_done) {
		dev->resume_timing = false;
		pvk_info("xenbus: %s: reconnected after the resume: %llu xenstore requests",
			 dev->nodename, (unsigned long long)dev->resume_xs_requests);
	}
}

/* Microseconds since the hypercall returned, for the log lines. */
static unsigned long long since_resume_us(const struct pvk_xenbus_device *dev)
{
	return (unsigned long long)((pvk_time_now_ns() - dev->resume_t0_ns) / 1000);
}

static struct pvk_xenbus_device *find_device(const char *devclass, const char *id)
{
	for (struct pvk_xenbus_device *d = devices; d; d = d->next)
		if (d->devclass == devclass && same(d->id, id))
			return d;
	return NULL;
}

static void unlink_device(struct pvk_xenbus_device *dev)
{
	for (struct pvk_xenbus_device **p = &devices; *p; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			return;
		}
	}
}

/*
 * A device's memory lives while anything of the kit's uses it: its
 * backend-state callback (and the driver's handler called from it) waits
 * for xenstore, and watches run inside that wait (a callback may run them,
 * a host may run them in its waits) can remove the device. Removal then
 * only marks it; the last user frees it.
 */
static void put_device(struct pvk_xenbus_device *dev)
{
	if (!--dev->busy && dev->removed)
		pvk_port_free(dev);
}

static void remove_device(struct pvk_xenbus_device *dev)
{
	if (dev->removed)
		return;		/* a removal further out is under way */
	dev->removed = true;
	dev->busy++;
	pvk_info("xenbus: %s removed", dev->nodename);
	pvk_xs_unwatch(&dev->otherend_watch);
	if (dev->drv->remove)
		dev->drv->remove(dev);
	unlink_device(dev);
	put_device(dev);
}

/* What xenstored accepts in a path: a backend path of anything else
 * names no node (and is never logged raw). */
static bool path_chars_ok(const char *p)
{
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '/' || *p == '_' ||
		      *p == '@'))
			return false;
	return true;
}

/*
 * Reads what the toolstack wrote about a device (backend, backend-id),
 * and with them, when own_state is not NULL, our own state node (-1 when
 * unreadable): one round trip. 0 when all is sane.
 */
static int read_device(struct pvk_xenbus_device *dev, int *own_state)
{
	char path[3][PVK_XENBUS_PATH_MAX + 16], id[PVK_XENBUS_NUMBER_TEXT], state[8];
	struct pvk_xs_read_req r[3] = {
		{ .path = path[0], .buf = dev->otherend, .size = sizeof(dev->otherend) },
		{ .path = path[1], .buf = id, .size = sizeof(id) },
		{ .path = path[2], .buf = state, .size = sizeof(state) },
	};
	int rc;

	rc = path_join(path[0], sizeof(path[0]), dev->nodename, "backend");
	if (!rc)
		rc = path_join(path[1], sizeof(path[1]), dev->nodename, "backend-id");
	if (!rc)
		rc = path_join(path[2], sizeof(path[2]), dev->nodename, "state");
	if (rc)
		return rc;
	pvk_xs_read_many(PVK_XBT_NIL, r, own_state ? 3 : 2);
	if (own_state)
		*own_state = r[2].rc < 0 ? -1 : pvk_xenbus_parse_state(state);
	if (r[0].rc < 0)
		return r[0].rc;
	if (dev->otherend[0] != '/' || !path_chars_ok(dev->otherend))
		return -PVK_XEN_EINVAL;
	rc = r[1].rc < 0 ? r[1].rc : pvk_xs_parse_ulong(id, &dev->otherend_id);
	if (rc)
		return rc;
	if (dev->otherend_id >= PVK_DOMID_FIRST_RESERVED)
		return -PVK_XEN_EINVAL;
	return path_join(dev->otherend_state_path, sizeof(dev->otherend_state_path),
			 dev->otherend, "state");
}

static void add_device(struct pvk_xenbus_driver *drv, const char *id)
{
	struct pvk_xenbus_device *dev = pvk_port_malloc(sizeof(*dev));
	char dir[PVK_XENBUS_PATH_MAX];
	int rc;

	if (!dev) {
		pvk_err("xenbus: no memory for device/%s/%s", drv->devclass, id);
		return;
	}
	__builtin_memset(dev, 0, sizeof(*dev));
	rc = pvk_snprintf(dir, sizeof(dir), "device/%s", drv->devclass);
	rc = rc < 0 ? rc : path_join(dev->nodename, sizeof(dev->nodename), dir, id);
	if (!rc)
		rc = read_device(dev, NULL);
	if (rc) {
		/* Half-written (or bogus): the next device/ event retries. */
		pvk_debug("xenbus: device/%s/%s not ready: %d", drv->devclass, id, rc);
		pvk_port_free(dev);
		return;
	}
	dev->id = dev->nodename + __builtin_strlen(dir) + 1;
	dev->devclass = drv->devclass;
	dev->drv = drv;
	dev->state = PVK_XenbusStateInitialising;
	dev->otherend_state = PVK_XenbusStateUnknown;
	dev->seen = true;
	rc = drv->probe(dev);
	if (rc) {
		pvk_err("xenbus: %s: probe failed: %d", dev->nodename, rc);
		pvk_port_free(dev);
		return;
	}
	dev->next = devices;
	devices = dev;
	pvk_info("xenbus: %s: backend %s (domain %lu)", dev->nodename,
		 dev->otherend, dev->otherend_id);
	dev->otherend_watch.path = dev->otherend_state_path;
	dev->otherend_watch.cb = otherend_changed;
	dev->otherend_watch.arg = dev;
	rc = pvk_xs_watch(&dev->otherend_watch);
	if (rc) {
		pvk_err("xenbus: %s: cannot watch %s: %d", dev->nodename,
			dev->otherend_state_path, rc);
		remove_device(dev);
	}
}

static bool id_ok(const char *id)
{
	if (!*id)
		return false;
	for (; *id; id++)
		if (*id == '/')
			return false;
	return true;
}

static void scan_class(struct pvk_xenbus_driver *drv)
{
	char dir[PVK_XENBUS_PATH_MAX];
	struct pvk_xenbus_device *d, *next;
	const char *id;
	int n;

	pvk_snprintf(dir, sizeof(dir), "device/%s", drv->devclass);
	n = pvk_xs_directory(PVK_XBT_NIL, dir, listing, sizeof(listing));
	if (n < 0 && n != -PVK_XEN_ENOENT) {
		pvk_err("xenbus: cannot list %s: %d", dir, n);
		return;		/* keep what we have rather than remove all */
	}
	for (d = devices; d; d = d->next)
		if (d->drv == drv)
			d->seen = false;
	id = listing;
	for (int i = 0; i < n; i++, id += __builtin_strlen(id) + 1) {
		if (!id_ok(id))
			continue;
		d = find_device(drv->devclass, id);
		if (d)
			d->seen = true;
		else
			add_device(drv, id);
	}
	for (d = devices; d; d = next) {
		next = d->next;
		if (d->drv == drv && !d->seen)
			remove_device(d);
	}
}

/*
 * Scans every class. A scan waits for xenstore, and a host may run watch
 * callbacks inside that wait; a scan asked for meanwhile (it would reuse
 * `listing` and the device list under the running one) is noted and done
 * by the running scan once it finishes its pass.
 */
static bool scanning, rescan;

static void scan_all(void)
{
	if (scanning) {
		rescan = true;
		return;
	}
	scanning = true;
	do {
		rescan = false;
		for (struct pvk_xenbus_driver *drv = drivers; drv; drv = drv->next)
			scan_class(drv);
	} while (rescan);
	scanning = false;
}

static void device_dir_changed(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	scan_all();
}

static struct pvk_xs_watch hotplug_watch = {
	.path = "device", .cb = device_dir_changed,
};
static bool hotplug_watching;

/*
 * The resume's own watch event (S1 of the session 12 review). The watch
 * set at a resume fires once by itself; when the resume's poll has
 * already read and acted on the state, that firing (or, if the backend
 * wrote meanwhile, the write's own event after it) reads a state seen
 * with no write behind it. Armed only by a poll that read and parsed a
 * state after the resume set its watch; an event may absorb one repeat
 * only among the first ABSORB_WINDOW deliveries after that poll (the
 * resume's own firing is the first: xenstored queues it at the setting,
 * before any write's), and only if it read a state: a read that fails or
 * does not parse, and a re-read after lost events, disarm it. So it is
 * never left armed for a later genuine rewrite (blkback's resize signal,
 * netback's rebind): at worst a repeat is acted on (netfront does one
 * reconnect cycle), never one swallowed for ever.
 */
#define ABSORB_WINDOW 2

static void otherend_update(struct pvk_xenbus_device *dev, bool poll)
{
	char value[8];
	int state;
	unsigned int may_absorb = 0;
	int rc = pvk_xs_read(PVK_XBT_NIL, dev->otherend_state_path, value, sizeof(value));

	if (poll) {
		dev->otherend_absorb_left = 0;
	} else {
		may_absorb = dev->otherend_reread ? 0 : dev->otherend_absorb_left;
		dev->otherend_absorb_left = may_absorb ? may_absorb - 1 : 0;
	}
	if (dev->removed)
		return;		/* removed meanwhile: its driver let it go */
	if ((rc == -PVK_XEN_ENOENT || rc == -PVK_XEN_EACCES) &&
	    dev->otherend_state != PVK_XenbusStateUnknown &&
	    dev->otherend_state != PVK_XenbusStateClosed) {
		/* The backend's nodes were deleted under a live device (a
		 * toolstack's detach closes it first): no backend is left to
		 * talk to. (xenstored answers EACCES, not ENOENT, for a node
		 * gone under a parent we may not read.) Taken as Closed, so
		 * the driver stops I/O and lets its pages go (a grant still
		 * mapped stays, never reused). */
		pvk_err("xenbus: %s: backend's state node %s is gone while it was %s: taken as Closed",
			dev->nodename, dev->otherend_state_path,
			pvk_xenbus_state_name(dev->otherend_state));
		pvk_snprintf(value, sizeof(value), "%d", (int)PVK_XenbusStateClosed);
	} else if (rc < 0) {
		dev->otherend_absorb_left = 0;
		dev->otherend_watch_fresh = false;
		return;		/* not there yet, or being torn down */
	}
	state = pvk_xenbus_parse_state(value);
	if (state < 0) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(sizeof(value))];

		dev->otherend_absorb_left = 0;
		dev->otherend_watch_fresh = false;

		pvk_warn("xenbus: %s: backend state \"%s\" is not a state", dev->nodename,
			 pvk_xenbus_printable(shown, sizeof(shown), value));
		return;
	}
	/* Armed before acting: the driver's callback may wait for xenstore,
	 * and the resume's own firing may be delivered inside that wait. */
	if (poll && dev->otherend_watch_fresh)
		dev->otherend_absorb_left = ABSORB_WINDOW;
	dev->otherend_watch_fresh = false;
	if ((enum pvk_xenbus_state)state == dev->otherend_state && may_absorb) {
		/* n writes bring n + 1 events, each reading the state of its
		 * delivery: one reading repeats a state seen with no write
		 * behind it, not a rewrite (netfront would take it for
		 * netback rebound). */
		dev->otherend_absorb_left = 0;
		return;
	}
	if ((enum pvk_xenbus_state)state == dev->otherend_state) {
		/* Written again with the same value: how blkback says "read
		 * my other keys again" (after an online resize). */
		if (dev->drv->otherend_rewritten)
			dev->drv->otherend_rewritten(dev, dev->otherend_state);
		return;
	}
	dev->otherend_state = (enum pvk_xenbus_state)state;
	if (dev->resume_timing)
		pvk_info("xenbus: %s: backend is %s (+%llu us after the resume, %llu xenstore requests)",
			 dev->nodename, pvk_xenbus_state_name(state), since_resume_us(dev),
			 (unsigned long long)dev->resume_xs_requests);
	else
		pvk_info("xenbus: %s: backend is %s", dev->nodename,
			 pvk_xenbus_state_name(state));
	if (dev->drv->otherend_changed) {
		dev->drv->otherend_changed(dev, dev->otherend_state);
		return;
	}
	/* Without a handler: follow a closing backend down to Closed. */
	if (state == PVK_XenbusStateClosing || state == PVK_XenbusStateClosed)
		pvk_xenbus_switch_state(dev, PVK_XenbusStateClosed);
}

static void otherend_changed(struct pvk_xs_watch *w, const char *path)
{
	struct pvk_xenbus_device *dev = w->arg;
	uint64_t n;

	(void)path;
	dev->busy++;
	n = count_begin();
	dev->otherend_reread = w->rereading;
	otherend_update(dev, false);
	dev->otherend_reread = false;
	count_end(dev, n);
	put_device(dev);
}

static int register_locked(struct pvk_xenbus_driver *drv)
{
	int rc;

	for (struct pvk_xenbus_driver *d = drivers; d; d = d->next)
		if (d == drv || same(d->devclass, drv->devclass))
			return -PVK_XEN_EEXIST;
	drv->next = drivers;
	drivers = drv;
	if (!hotplug_watching) {
		rc = pvk_xs_watch(&hotplug_watch);
		if (rc) {
			drivers = drv->next;
			return rc;
		}
		hotplug_watching = true;
	}
	scan_all();
	return 0;
}

int pvk_xenbus_register_driver(struct pvk_xenbus_driver *drv)
{
	int rc;

	if (!drv || !drv->devclass || !drv->probe || !id_ok(drv->devclass))
		return -PVK_XEN_EINVAL;
	rc = pvk_xs_worker_enter(WORKER_WAIT_NS);
	if (rc)
		return rc;
	rc = register_locked(drv);
	pvk_xs_worker_leave();
	return rc;
}

int pvk_xenbus_unregister_driver(struct pvk_xenbus_driver *drv)
{
	struct pvk_xenbus_device *d, *next;
	int rc;

	/* The list is walked by the watch worker's callbacks on other CPUs:
	 * without the worker role it is not changed. The driver then stays
	 * registered and the caller must not free it. */
	rc = pvk_xs_worker_enter(WORKER_WAIT_NS);
	if (rc) {
		pvk_err("xenbus: driver %s not unregistered: the watch worker is busy (%d); it stays registered",
			drv && drv->devclass ? drv->devclass : "?", rc);
		return rc;
	}
	for (d = devices; d; d = next) {
		next = d->next;
		if (d->drv == drv)
			remove_device(d);
	}
	for (struct pvk_xenbus_driver **p = &drivers; *p; p = &(*p)->next) {
		if (*p == drv) {
			*p = drv->next;
			break;
		}
	}
	pvk_xs_worker_leave();
	return 0;
}

/* The frontends' way in to the role (pvkit/xenbus.h): xs_watch.c's. */
int pvk_xenbus_worker_enter(uint64_t timeout_ns)
{
	return pvk_xs_worker_enter(timeout_ns);
}

void pvk_xenbus_worker_leave(void)
{
	pvk_xs_worker_leave();
}

struct switch_state {
	struct pvk_xenbus_device *dev;
	const char *path;
	char value[4];
};

/* Writes the state only while the device's directory exists: after the
 * toolstack removed it, a plain write would create it again. The probe
 * and the write go together (one round trip): inside the transaction a
 * write after a failed probe is never committed (the transaction is
 * aborted on that failure). */
static int switch_state_tx(pvk_xs_transaction_t t, void *arg)
{
	struct switch_state *ss = arg;
	char probe[2];
	const char *rparts[] = { ss->dev->nodename }, *wparts[] = { ss->path, ss->value };
	uint32_t rlens[] = { (uint32_t)__builtin_strlen(ss->dev->nodename) + 1 };
	uint32_t wlens[] = { (uint32_t)__builtin_strlen(ss->path) + 1,
			     (uint32_t)__builtin_strlen(ss->value) };
	struct pvk_xs_many m[2] = {
		{ .type = PVK_XS_READ, .t = t, .parts = rparts, .lens = rlens, .nr = 1,
		  .out = probe, .out_size = sizeof(probe) },
		{ .type = PVK_XS_WRITE, .t = t, .parts = wparts, .lens = wlens, .nr = 2 },
	};

	pvk_xs_request_many(m, 2);
	if (m[0].rc < 0 && m[0].rc != -PVK_XEN_E2BIG)
		return m[0].rc;
	return m[1].rc < 0 ? m[1].rc : 0;
}

static int write_state(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state)
{
	char path[PVK_XENBUS_PATH_MAX + 8];
	struct switch_state ss = { .dev = dev, .path = path };
	int rc = path_join(path, sizeof(path), dev->nodename, "state");

	if (rc)
		return rc;
	pvk_snprintf(ss.value, sizeof(ss.value), "%d", (int)state);
	/* Retried (bounded) when the toolstack changed things meanwhile. */
	return pvk_xs_transaction(switch_state_tx, &ss, NULL);
}

/* The rules and messages are shared with the other hosts' xenbus. */
int pvk_xenbus_switch_state(struct pvk_xenbus_device *dev,
			    enum pvk_xenbus_state state)
{
	return pvk_xenbus_switch_state_by(dev, state, write_state);
}

/* ---- after a resume in a new domain (pvkit/xenbus.h) ---- */

static int device_resume(struct pvk_xenbus_device *dev)
{
	struct pvk_xenbus_device fresh;
	int own_state, rc;

	/* No request before this: the old backend's state is no news. */
	dev->otherend_state = PVK_XenbusStateUnknown;
	dev->otherend_absorb_left = 0;
	dev->otherend_watch_fresh = false;
	dev->state = PVK_XenbusStateInitialising;
	/* Read into a copy: a half-read must not leave the watch's path
	 * (dev's own buffer) changed under it. */
	__builtin_memcpy(fresh.nodename, dev->nodename, sizeof(fresh.nodename));
	/* Our own state with them: one round trip for the three. */
	rc = read_device(&fresh, &own_state);
	if (rc) {
		pvk_err("xenbus: %s: resume: backend nodes unreadable: %d", dev->nodename, rc);
		return rc;
	}
	rc = pvk_xs_unwatch(&dev->otherend_watch);
	if (rc && rc != -PVK_XEN_ENOENT)
		pvk_warn("xenbus: %s: resume: old backend watch: %d", dev->nodename, rc);
	__builtin_memcpy(dev->otherend, fresh.otherend, sizeof(dev->otherend));
	dev->otherend_id = fresh.otherend_id;
	__builtin_memcpy(dev->otherend_state_path, fresh.otherend_state_path,
			 sizeof(dev->otherend_state_path));
	pvk_info("xenbus: %s: resume: backend %s (domain %lu), +%llu us after the resume",
		 dev->nodename, dev->otherend, dev->otherend_id, since_resume_us(dev));
	/* Our state node says Initialising already when the toolstack
	 * wrote our nodes afresh (xl restore): nothing to write then. */
	if (own_state != PVK_XenbusStateInitialising) {
		rc = write_state(dev, PVK_XenbusStateInitialising);
		if (rc)
			pvk_warn("xenbus: %s: resume: writing Initialising: %d", dev->nodename, rc);
	}
	rc = pvk_xs_watch(&dev->otherend_watch);
	if (rc)
		pvk_err("xenbus: %s: resume: cannot watch %s: %d", dev->nodename,
			dev->otherend_state_path, rc);
	else
		dev->otherend_watch_fresh = true;	/* the poll may arm the absorb */
	return rc;
}

int pvk_xenbus_device_resume(struct pvk_xenbus_device *dev)
{
	struct pvk_suspend_stats st;
	uint64_t n;
	int rc;

	/* The reconnect's clock starts where the guest's code ran again. */
	pvk_suspend_get_stats(&st);
	dev->resume_t0_ns = st.last_after_ns ? st.last_after_ns : pvk_time_now_ns();
	dev->resume_xs_requests = 0;
	dev->resume_connected_ns = 0;
	dev->resume_done = false;
	dev->resume_timing = true;
	n = count_begin();
	rc = device_resume(dev);
	count_end(dev, n);
	return rc;
}

void pvk_xenbus_otherend_poll(struct pvk_xenbus_device *dev)
{
	uint64_t n;

	if (dev->removed)
		return;
	dev->busy++;
	n = count_begin();
	otherend_update(dev, true);
	count_end(dev, n);
	put_device(dev);
}

int pvk_xenbus_read_feature(struct pvk_xenbus_device *dev, const char *name,
			    unsigned long def, unsigned long *out)
{
	return pvk_xenbus_read_otherend_ulong(dev, name, def, out);
}

int pvk_xenbus_read_features(struct pvk_xenbus_device *dev,
			     const struct pvk_xenbus_feature *f, unsigned int n,
			     unsigned int *bad)
{
	return pvk_xenbus_read_otherend_many(dev, f, n, bad);
}

struct write_keys {
	struct pvk_xenbus_device *dev;
	const struct pvk_xenbus_kv *kv;
	unsigned int n;
};

static int write_keys_tx(pvk_xs_transaction_t t, void *arg)
{
	struct write_keys *wk = arg;
	char path[PVK_XENBUS_PATH_MAX + 64], probe[2];
	/* As switch_state_tx: a node the toolstack deleted meanwhile (a
	 * detach) is not created again by our writes. */
	int rc = pvk_xs_read(t, wk->dev->nodename, probe, sizeof(probe));

	if (rc < 0 && rc != -PVK_XEN_E2BIG)
		return rc;
	for (unsigned int i = 0; i < wk->n; i++) {
		rc = path_join(path, sizeof(path), wk->dev->nodename, wk->kv[i].key);
		if (!rc && wk->kv[i].value)
			rc = pvk_xs_write(t, path, wk->kv[i].value);
		else if (!rc) {
			rc = pvk_xs_rm(t, path);
			if (rc == -PVK_XEN_ENOENT)	/* nothing to remove */
				rc = 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pvk_xenbus_write_keys(struct pvk_xenbus_device *dev,
			  const struct pvk_xenbus_kv *kv, unsigned int n)
{
	struct write_keys wk = { .dev = dev, .kv = kv, .n = n };

	return pvk_xs_transaction(write_keys_tx, &wk, NULL);
}

/*
 * A publication's working memory: the listing, the requests and their
 * paths. pvk_xenbus_publish takes it for one publication;
 * pvk_xenbus_publish_with is given it by a frontend that keeps it for the
 * device's life, so that a resume's publication allocates nothing (a
 * restore under memory pressure must not lose the disk).
 */
struct pvk_xenbus_publish_scratch {
	unsigned int max_keys;	/* w holds max_keys + 1 (the state) */
	char *listing;		/* its own: a scan may run in our waits */
	struct pvk_xs_write_req *w;
	/* The paths packed, each no longer than PUBLISH_PATH_MAX: a few KiB
	 * for blkfront's keys, not (n + 1) x the longest path. */
	char *paths;
	size_t paths_size;
};

struct publish {
	struct pvk_xenbus_device *dev;
	const struct pvk_xenbus_kv *kv;
	unsigned int n;
	char state[4];
	char *listing;
	struct pvk_xs_write_req *w;
	char *paths;
	size_t paths_size;
};

#define PUBLISH_PATH_MAX (PVK_XENBUS_PATH_MAX + 64)

/* Room for nodename/key, capped where path_join would refuse it anyway. */
static size_t publish_path_room(const char *nodename, const char *key)
{
	size_t need = __builtin_strlen(nodename) + 1 + __builtin_strlen(key) + 1;

	return need < PUBLISH_PATH_MAX ? need : PUBLISH_PATH_MAX;
}

/* Is name's first path component among the listing's n names? */
static bool listed(const char *names, int n, const char *name)
{
	size_t len = 0;

	while (name[len] && name[len] != '/')
		len++;
	for (int i = 0; i < n; i++, names += __builtin_strlen(names) + 1)
		if (__builtin_strlen(names) == len && !__builtin_memcmp(names, name, len))
			return true;
	return false;
}

/*
 * The requests of a publication into p->w, in order, the state last:
 * every write, and each removal unless writes_only, or unless the listing
 * (listed >= 0 names) shows the key absent. Their count in *count.
 */
static int publish_fill(struct publish *p, int listed_n, bool writes_only, unsigned int *count)
{
	unsigned int k = 0;
	size_t off = 0;
	int rc = 0;

	for (unsigned int i = 0; i <= p->n && !rc; i++) {
		const char *key = i < p->n ? p->kv[i].key : "state";
		const char *value = i < p->n ? p->kv[i].value : p->state;

		if (!value && (writes_only || (listed_n >= 0 && !listed(p->listing, listed_n, key))))
			continue;	/* absent: nothing to remove */
		char *path = p->paths + off;
		size_t room = publish_path_room(p->dev->nodename, key);

		if (room > p->paths_size - off)
			return -PVK_XEN_EINVAL;	/* cannot happen: sized for all */
		rc = path_join(path, room, p->dev->nodename, key);
		p->w[k] = (struct pvk_xs_write_req){ .path = path, .value = value };
		off += room;
		k++;
	}
	*count = k;
	return rc;
}

/* A removal the listing (listed_n names; < 0: unknown) says is due. */
static bool removal_due(const struct publish *p, int listed_n)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (!p->kv[i].value && (listed_n < 0 || listed(p->listing, listed_n, p->kv[i].key)))
			return true;
	return false;
}

/*
 * The listing and the writes in one round trip (the usual case: nothing
 * of another layout to remove, as after a restore, whose toolstack wrote
 * our node afresh); the caller sends them only when k + 1 requests fit
 * in one batch. The listing's count (or its error: the probe
 * failed, the transaction is aborted and nothing of it stays), with
 * *done set when the writes' results are the publication's (*rc).
 */
static int publish_batch(pvk_xs_transaction_t t, struct publish *p, unsigned int k,
			 bool *done, int *rc)
{
	struct pvk_xs_many m[PVK_XS_MANY_MAX];
	const char *parts[PVK_XS_MANY_MAX][2];
	uint32_t lens[PVK_XS_MANY_MAX][2];
	int n;

	parts[0][0] = p->dev->nodename;
	lens[0][0] = (uint32_t)__builtin_strlen(p->dev->nodename) + 1;
	m[0] = (struct pvk_xs_many){ .type = PVK_XS_DIRECTORY, .t = t, .parts = parts[0],
				     .lens = lens[0], .nr = 1, .out = p->listing,
				     .out_size = PVK_XENSTORE_PAYLOAD_MAX + 1 };
	for (unsigned int j = 0; j < k; j++) {
		parts[j + 1][0] = p->w[j].path;
		lens[j + 1][0] = (uint32_t)__builtin_strlen(p->w[j].path) + 1;
		parts[j + 1][1] = p->w[j].value;
		lens[j + 1][1] = (uint32_t)__builtin_strlen(p->w[j].value);
		m[j + 1] = (struct pvk_xs_many){ .type = PVK_XS_WRITE, .t = t,
						 .parts = parts[j + 1], .lens = lens[j + 1],
						 .nr = 2 };
	}
	pvk_xs_request_many(m, k + 1);
	n = m[0].rc;
	if (n >= 0)
		n = pvk_xs_count_strings(p->listing, (uint32_t)n);
	if (n < 0 && n != -PVK_XEN_E2BIG)
		return n;
	*done = !removal_due(p, n);
	*rc = 0;
	for (unsigned int j = 0; j < k && !*rc; j++)
		*rc = m[j + 1].rc < 0 ? m[j + 1].rc : 0;
	return n;
}

static int publish_tx(pvk_xs_transaction_t t, void *arg)
{
	struct publish *p = arg;
	unsigned int k = 0;
	bool done = false;
	int n, rc;

	/* The listing doubles as switch_state_tx's probe: ENOENT once the
	 * toolstack removed our node, which our writes must not create
	 * again (sent with them, they are never committed then: the
	 * transaction is aborted). A listing too long to hold: every
	 * removal is made. */
	rc = publish_fill(p, -1, true, &k);
	if (rc)
		return rc;
	/* Too many for one batch: the listing alone, then the full redo
	 * (a -PVK_XEN_EAGAIN of the batch's own listing is an error like any
	 * other, review s13 N4: its writes were sent). */
	if (k + 1 <= PVK_XS_MANY_MAX)
		n = publish_batch(t, p, k, &done, &rc);
	else
		n = pvk_xs_directory(t, p->dev->nodename, p->listing,
				     PVK_XENSTORE_PAYLOAD_MAX + 1);
	if (n < 0 && n != -PVK_XEN_E2BIG)
		return n;
	if (done)
		return rc;
	/* Keys of another layout to remove (or the batch did not fit):
	 * every write and removal sent together, in order (a key written
	 * may lie under one removed: written again after it), the state
	 * last. */
	rc = publish_fill(p, n, false, &k);
	if (rc)
		return rc;
	pvk_xs_write_many(t, p->w, k);
	for (unsigned int i = 0; i < k; i++)
		if (p->w[i].rc && !(p->w[i].rc == -PVK_XEN_ENOENT && !p->w[i].value))
			return p->w[i].rc;	/* a removal of nothing is fine */
	return 0;
}

/* Room for dev's paths of up to max_keys keys no longer than key_max. */
static size_t scratch_paths_room(const struct pvk_xenbus_device *dev, unsigned int max_keys,
				 size_t key_max)
{
	size_t one = __builtin_strlen(dev->nodename) + 1 + key_max + 1;

	if (one > PUBLISH_PATH_MAX)
		one = PUBLISH_PATH_MAX;
	return publish_path_room(dev->nodename, "state") + (size_t)max_keys * one;
}

void pvk_xenbus_publish_scratch_free(struct pvk_xenbus_publish_scratch *s)
{
	if (!s)
		return;
	pvk_port_free(s->listing);
	pvk_port_free(s->w);
	pvk_port_free(s->paths);
	pvk_port_free(s);
}

struct pvk_xenbus_publish_scratch *
pvk_xenbus_publish_scratch_alloc(const struct pvk_xenbus_device *dev, unsigned int max_keys,
				 size_t key_max)
{
	struct pvk_xenbus_publish_scratch *s = pvk_port_malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->max_keys = max_keys;
	s->paths_size = scratch_paths_room(dev, max_keys, key_max);
	s->listing = pvk_port_malloc(PVK_XENSTORE_PAYLOAD_MAX + 1);
	s->w = pvk_port_malloc(((size_t)max_keys + 1) * sizeof(*s->w));
	s->paths = pvk_port_malloc(s->paths_size);
	if (!s->listing || !s->w || !s->paths) {
		pvk_err("xenbus: %s: no memory to publish %u keys (%zu bytes of paths)",
			dev->nodename, max_keys, s->paths_size);
		pvk_xenbus_publish_scratch_free(s);
		return NULL;
	}
	return s;
}

int pvk_xenbus_publish(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
		       unsigned int n, enum pvk_xenbus_state state)
{
	struct pvk_xenbus_publish_scratch *s;
	size_t key_max = 0;
	int rc;

	if (!pvk_xenbus_transition_ok(dev->state, state))
		return pvk_xenbus_publish_with(dev, kv, n, state, NULL);	/* logged */
	for (unsigned int i = 0; i < n; i++)
		if (__builtin_strlen(kv[i].key) > key_max)
			key_max = __builtin_strlen(kv[i].key);
	s = pvk_xenbus_publish_scratch_alloc(dev, n, key_max);
	if (!s)
		return -PVK_XEN_ENOMEM;
	rc = pvk_xenbus_publish_with(dev, kv, n, state, s);
	pvk_xenbus_publish_scratch_free(s);
	return rc;
}

int pvk_xenbus_publish_with(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
			    unsigned int n, enum pvk_xenbus_state state,
			    struct pvk_xenbus_publish_scratch *s)
{
	struct publish p = { .dev = dev, .kv = kv, .n = n };
	size_t need;
	int rc;

	if (!pvk_xenbus_transition_ok(dev->state, state)) {
		pvk_err("xenbus: %s: refusing %s -> %s", dev->nodename,
			pvk_xenbus_state_name(dev->state), pvk_xenbus_state_name(state));
		return -PVK_XEN_EINVAL;
	}
	need = publish_path_room(dev->nodename, "state");
	for (unsigned int i = 0; i < n; i++)
		need += publish_path_room(dev->nodename, kv[i].key);
	/* What the scratch was sized for is checked, never grown here. */
	if (!s || n > s->max_keys || need > s->paths_size) {
		pvk_err("xenbus: %s: %u keys (%zu bytes of paths) exceed the publication's room (a kit bug)",
			dev->nodename, n, need);
		return -PVK_XEN_EINVAL;
	}
	p.listing = s->listing;
	p.w = s->w;
	p.paths = s->paths;
	p.paths_size = s->paths_size;
	pvk_snprintf(p.state, sizeof(p.state), "%d", (int)state);
	rc = pvk_xs_transaction(publish_tx, &p, NULL);
	if (rc == -PVK_XEN_ENOENT) {
		pvk_info("xenbus: %s is gone: state %s not written", dev->nodename,
			 pvk_xenbus_state_name(state));
		return rc;
	}
	if (rc) {
		pvk_err("xenbus: %s: cannot publish its keys and state %s: %d", dev->nodename,
			pvk_xenbus_state_name(state), rc);
		return rc;
	}
	dev->state = state;
	if (dev->resume_timing)
		pvk_info("xenbus: %s: %s, keys published (+%llu us after the resume, %llu xenstore requests)",
			 dev->nodename, pvk_xenbus_state_name(state), since_resume_us(dev),
			 (unsigned long long)dev->resume_xs_requests);
	return 0;
}
