/*
 * ports/linux/xenbus.c - pvkit/xenbus.h and the pvk_xs_* calls the
 * frontends use, on Linux's xenbus: driver registration, the device
 * callbacks, our state node, the backend's features, our keys.
 *
 * Mapping. A kit driver becomes a Linux xenbus frontend driver named
 * "pvk-<class>" (pvk-vbd, pvk-vif). Linux's driver core binds a device to
 * one driver only, so ours get only the devices xen-blkfront/xen-netfront
 * left (not loaded, blacklisted, or unbound through sysfs). Linux calls
 * probe (from the registering thread, or its xenwatch thread for a device
 * that appears later), otherend_changed (xenwatch, each time the backend
 * writes its state node) and remove (device gone, or driver unregistered);
 * each becomes the kit's callback of the same name, with the kit's
 * meanings: the state is read and checked here, an unchanged one is
 * otherend_rewritten, a changed one otherend_changed. A device this
 * domain used before starts its handshake over at probe (the kit's
 * drivers expect a new one), and an unbound device is told it is going
 * (no reconnect); the glue hears of every kit device that leaves xenbus.
 *
 * The kit runs its xenbus callbacks one at a time (its "watch worker").
 * Here a mutex gives the same guarantee across Linux's two calling
 * threads. A glue module may take that role itself (pvk_linux_xenbus_enter)
 * around kit calls that walk a frontend's device list; pvk_xs_wait_watches()
 * called with it held lets callbacks run while it sleeps, as the kit's
 * does by running them itself (but not when called from inside one of our
 * callbacks: there the role is kept, see pvk_xs_wait_watches()). Taking
 * the role back after that sleep is not bounded (retake_role()).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <linux/err.h>
#include <linux/timekeeping.h>
#include <linux/delay.h>
#include <xen/xenbus.h>
#include <xen/interface/xen.h>

#include <pvkit/suspend.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "port_linux.h"

/* A kit driver and the Linux driver standing for it. */
struct pvk_linux_driver {
	struct xenbus_driver xdrv;
	struct xenbus_device_id ids[2];
	char name[32];
	struct pvk_xenbus_driver *drv;
	/* How long an unbind waits for a backend to close (per device). */
	u64 close_timeout_ns;
};

/* A kit device and the Linux device it is. */
struct pvk_linux_device {
	struct pvk_xenbus_device pdev;
	struct xenbus_device *ldev;
	/* Being unbound (linux_remove): see pvk_xenbus_read_feature(). */
	bool unbinding;
};

/* ---- The worker role --------------------------------------------------- */

static DEFINE_MUTEX(worker);
/* Written by the holder alone (under worker), read by any thread asking
 * whether it is the holder: only the holder can find itself there, but
 * the reads race with the writes, hence READ_ONCE/WRITE_ONCE (role_held). */
static struct task_struct *worker_owner;

static unsigned long callbacks_ran;	/* under worker */
static DECLARE_WAIT_QUEUE_HEAD(callback_wq);

static bool role_held(void)
{
	return READ_ONCE(worker_owner) == current;
}

void pvk_linux_xenbus_enter(void)
{
	mutex_lock(&worker);
	WRITE_ONCE(worker_owner, current);
}
EXPORT_SYMBOL_GPL(pvk_linux_xenbus_enter);

void pvk_linux_xenbus_leave(void)
{
	WRITE_ONCE(worker_owner, NULL);
	mutex_unlock(&worker);
}
EXPORT_SYMBOL_GPL(pvk_linux_xenbus_leave);

/*
 * pvkit/xenbus.h's role calls, for the kit's frontends (their
 * wait_connected give-up, a broken vif's close, release): the same mutex,
 * nesting on a thread that holds it already (a glue module's, or one of
 * our callbacks), and bounded as the kit's is. `kit_nested` counts the
 * holder's nested enters, under worker: pvk_xs_wait_watches() saves it
 * and sets it to 0 while it gives the mutex up, so another thread's
 * enter/leave pair meanwhile starts from 0 and really unlocks.
 */
static unsigned int kit_nested;

int pvk_xenbus_worker_enter(uint64_t timeout_ns)
{
	unsigned long end = jiffies + pvk_linux_timeout_ticks(timeout_ns);

	/* 0: a try, no nesting, no wait, no line (pvkit/xenbus.h). */
	if (!timeout_ns) {
		if (role_held() || !mutex_trylock(&worker))
			return -PVK_XEN_EBUSY;
		WRITE_ONCE(worker_owner, current);
		return 0;
	}
	if (role_held()) {
		kit_nested++;
		return 0;
	}
	while (!mutex_trylock(&worker)) {
		if (time_after(jiffies, end)) {
			pvk_err("xenbus: waited %llu ms for the worker role",
				(unsigned long long)(timeout_ns / 1000000));
			return -PVK_XEN_ETIMEDOUT;
		}
		msleep(10);
	}
	WRITE_ONCE(worker_owner, current);
	return 0;
}

void pvk_xenbus_worker_leave(void)
{
	/* Only the holder leaves: anything else would eat its count or
	 * unlock a mutex another thread holds. */
	WARN_ON_ONCE(!role_held());
	if (kit_nested) {
		kit_nested--;
		return;
	}
	pvk_linux_xenbus_leave();
}

/*
 * Around each callback of ours. A thread already holding the role (a
 * callback that makes Linux call another one synchronously) keeps it.
 */
static struct task_struct *in_callback;	/* under worker */
/* pvk_xs_wait_watches() inside this callback said so once. */
static bool in_callback_warned;		/* under worker */

/*
 * The device whose callback runs now, under the worker role (saved and
 * restored around each: a callback may make Linux call another one
 * synchronously). The event channels a driver allocates are named after it.
 */
static struct pvk_linux_device *callback_device;

/* What callback_begin() changed, for callback_end() to undo. */
struct callback_scope {
	bool entered;
	struct pvk_linux_device *saved;
};

static struct callback_scope callback_begin(struct pvk_linux_device *d)
{
	struct callback_scope scope = { .entered = !role_held() };

	if (scope.entered) {
		pvk_linux_xenbus_enter();
		in_callback = current;
		in_callback_warned = false;
	}
	scope.saved = callback_device;
	callback_device = d;
	return scope;
}

/* A callback of ours finished: wake pvk_xs_wait_watches() sleepers. */
static void callback_end(struct callback_scope scope)
{
	callback_device = scope.saved;
	callbacks_ran++;
	if (scope.entered) {
		in_callback = NULL;
		pvk_linux_xenbus_leave();
	}
	wake_up_all(&callback_wq);
}

/* "pvk-vbd-51712", "pvk-vif0": the device's part of its irq names. */
static void irq_name_base(const struct pvk_xenbus_device *dev, char *buf, size_t size)
{
	snprintf(buf, size, "pvk-%s%s%s", dev->devclass,
		 strcmp(dev->devclass, "vif") ? "-" : "", dev->id);
}

void pvk_linux_xenbus_irq_name(char *buf, size_t size)
{
	struct pvk_linux_device *d = role_held() ? callback_device : NULL;

	if (d)
		irq_name_base(&d->pdev, buf, size);
	else
		strscpy(buf, "pvk", size);
}

/*
 * Linux's register/unregister wait for the xenwatch thread and for device
 * locks that our callbacks hold while they wait for the role: a caller
 * holding it gives it up meanwhile (pvk_xs_wait_watches() too, for its
 * sleep). Its nested kit enters are set aside while it does, and given
 * back with the role: another thread's enter/leave pair meanwhile must
 * start from 0, or its leave would take one of ours and never unlock.
 */
struct role_drop {
	bool dropped;
	unsigned int nested;	/* kit_nested, set aside */
};

static struct role_drop drop_role(void)
{
	struct role_drop d = { .dropped = role_held() };

	if (d.dropped) {
		d.nested = kit_nested;
		kit_nested = 0;
		pvk_linux_xenbus_leave();
	}
	return d;
}

/*
 * Not bounded: mutex_lock waits for as long as whoever took the role
 * meanwhile holds it, a callback of ours included (blk_added's partition
 * scan on a disk whose backend stopped answering holds it until the
 * disk's timeouts give the disk up, about 2 x io_timeout; a re-attach's
 * flush of the old disk's deletion for as long as that takes). So the
 * bound of pvk_xenbus_worker_enter() covers the enter only: a holder's
 * pvk_xs_wait_watches() may overrun its timeout by that much. A bounded
 * retake would not help: the caller changes state the callbacks change
 * when this returns, and has no way to hear that the role was lost.
 */
static void retake_role(struct role_drop d)
{
	if (d.dropped) {
		pvk_linux_xenbus_enter();
		kit_nested = d.nested;
	}
}

static bool ran_since(unsigned long seen)
{
	return READ_ONCE(callbacks_ran) != seen;
}

/*
 * The kit's "wait until watch events came, and run them": on Linux the
 * xenwatch thread runs them, so this sleeps (bounded) until one of our
 * callbacks ran. Held by a glue module (pvk_linux_xenbus_enter), the
 * worker role is given up for the sleep, as the kit's own wait lets the
 * callbacks run: what the caller checked before calling may change. The
 * role is taken back without a bound (retake_role()): the return may
 * come later than timeout_ns, by as long as a callback holds the role.
 *
 * Inside one of our callbacks the role is kept: giving it up there would
 * let remove (rmmod, sysfs unbind) or a probe from a registering thread
 * run a kit callback beside the one that called us, and the kit's
 * callbacks run one at a time. So nothing of ours can run meanwhile (on
 * xenwatch nothing else could anyway: Linux runs watch callbacks one after
 * the other there): this sleeps out its timeout and reports it, holding
 * up every xenbus watch for that long. The kit's drivers do not do this.
 */
int pvk_xs_wait_watches(uint64_t timeout_ns)
{
	bool held = role_held();
	long ticks = pvk_linux_timeout_ticks(timeout_ns);
	unsigned long seen, ran;
	struct role_drop dropped;

	if (held && in_callback == current) {
		if (!in_callback_warned) {
			in_callback_warned = true;
			pvk_warn("xenbus: waiting for watches inside a xenbus callback: none can run until it returns");
		}
		schedule_timeout_uninterruptible(ticks);
		return -PVK_XEN_ETIMEDOUT;
	}
	seen = READ_ONCE(callbacks_ran);
	dropped = drop_role();
	wait_event_timeout(callback_wq, ran_since(seen), ticks);
	retake_role(dropped);
	ran = READ_ONCE(callbacks_ran) - seen;
	return ran ? (int)min_t(unsigned long, ran, INT_MAX) : -PVK_XEN_ETIMEDOUT;
}

/* ---- xenstore ------------------------------------------------------------ */

static struct xenbus_transaction linux_xbt(pvk_xs_transaction_t t)
{
	/* Both are xenstored's transaction id. */
	return (struct xenbus_transaction){ .id = t };
}

int pvk_xs_read(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	unsigned int len;
	char *val = xenbus_read(linux_xbt(t), path, "", &len);

	if (IS_ERR(val))
		return PTR_ERR(val);
	if ((size_t)len + 1 > size) {
		kfree(val);
		return -PVK_XEN_E2BIG;
	}
	memcpy(buf, val, len);
	buf[len] = '\0';
	kfree(val);
	return (int)len;
}

int pvk_xs_read_ulong(pvk_xs_transaction_t t, const char *path, unsigned long *out)
{
	char buf[24];
	int rc = pvk_xs_read(t, path, buf, sizeof(buf));

	return rc < 0 ? rc : pvk_xs_parse_ulong(buf, out);
}

/*
 * fn inside a transaction, committed; a conflict (-EAGAIN at the end)
 * starts over, PVK_XS_TRANSACTION_RETRIES times at most: a toolstack that
 * keeps changing things cannot hold us forever.
 */
static int in_transaction(int (*fn)(struct xenbus_transaction t, void *arg), void *arg)
{
	struct xenbus_transaction t;
	int rc;

	for (unsigned int i = 0; i < PVK_XS_TRANSACTION_RETRIES; i++) {
		rc = xenbus_transaction_start(&t);
		if (rc)
			return rc;
		rc = fn(t, arg);
		if (rc) {
			xenbus_transaction_end(t, 1);
			return rc;
		}
		rc = xenbus_transaction_end(t, 0);
		if (rc != -EAGAIN)
			return rc;
	}
	return -PVK_XEN_EAGAIN;
}

/* Whether our device's directory is still there: after the toolstack
 * removed it, a plain write would create it again. */
static int node_exists(struct xenbus_transaction t, const char *dir)
{
	unsigned int len;
	char *val = xenbus_read(t, dir, "", &len);

	if (IS_ERR(val))
		return PTR_ERR(val);
	kfree(val);
	return 0;
}

/* ---- Our state, the backend's features, our keys ----------------------- */

struct switch_state {
	const char *dir;
	char value[4];
};

static int switch_state_tx(struct xenbus_transaction t, void *arg)
{
	struct switch_state *ss = arg;
	int rc = node_exists(t, ss->dir);

	return rc ? rc : xenbus_write(t, ss->dir, "state", ss->value);
}

/* Our state node of dir, written unless the directory is gone. */
static int write_state_node(const char *dir, enum pvk_xenbus_state state)
{
	struct switch_state ss = { .dir = dir };

	snprintf(ss.value, sizeof(ss.value), "%d", (int)state);
	return in_transaction(switch_state_tx, &ss);
}

static int write_state(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state)
{
	struct pvk_linux_device *d = container_of(dev, struct pvk_linux_device, pdev);
	int rc = write_state_node(dev->nodename, state);

	/* Linux's xenbus reads it too (shutdown, unbind): keep it true. */
	if (!rc)
		d->ldev->state = (enum xenbus_state)state;
	return rc;
}

/* The kit's rules and messages (xenbus_state.c) around our write. */
int pvk_xenbus_switch_state(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state)
{
	return pvk_xenbus_switch_state_by(dev, state, write_state);
}

int pvk_xenbus_read_feature(struct pvk_xenbus_device *dev, const char *name,
			    unsigned long def, unsigned long *out)
{
	struct pvk_linux_device *d = container_of(dev, struct pvk_linux_device, pdev);

	/*
	 * The backend's "online" tells a frontend whether the device stays
	 * (reconnect after the backend closed) or is being detached (wait
	 * for the removal). A device we unbind (rmmod, sysfs unbind) is
	 * being removed from the driver's point of view, whatever the
	 * toolstack says: the driver must not go Initialising again right
	 * before its remove (the backend would prepare a reconnect that
	 * nobody makes).
	 */
	if (d->unbinding && !strcmp(name, "online")) {
		*out = 0;
		return 0;
	}
	return pvk_xenbus_read_otherend_ulong(dev, name, def, out);
}

struct write_keys {
	struct pvk_xenbus_device *dev;
	const struct pvk_xenbus_kv *kv;
	unsigned int n;
};

static int write_keys_tx(struct xenbus_transaction t, void *arg)
{
	struct write_keys *wk = arg;
	const char *dir = wk->dev->nodename;
	int rc = node_exists(t, dir);

	for (unsigned int i = 0; !rc && i < wk->n; i++) {
		if (wk->kv[i].value) {
			rc = xenbus_write(t, dir, wk->kv[i].key, wk->kv[i].value);
		} else {
			rc = xenbus_rm(t, dir, wk->kv[i].key);
			if (rc == -ENOENT)	/* nothing to remove */
				rc = 0;
		}
	}
	return rc;
}

/*
 * The event channels a driver publishes get their final irq names here:
 * the key says which queue and direction a port serves, in the protocol's
 * own words ("event-channel", "event-channel-tx"/"-rx", under "queue-N/"
 * with several queues). Named "pvk-vbd-51712-q0", "pvk-vif0-q1-tx": the
 * name given at allocation (pvk_linux_xenbus_irq_name()) plus "-qN" and
 * the direction. Ports that are not ours are left alone.
 */
static void name_event_channels(struct pvk_xenbus_device *dev,
				const struct pvk_xenbus_kv *kv, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const char *key = kv[i].key, *dir;
		unsigned int queue = 0, port;
		char name[PVK_LINUX_IRQ_NAME_MAX];
		size_t len;
		int used = 0;

		if (!kv[i].value)
			continue;
		if (sscanf(key, "queue-%u/%n", &queue, &used) == 1 && used)
			key += used;
		if (!strcmp(key, "event-channel"))
			dir = "";
		else if (!strcmp(key, "event-channel-tx"))
			dir = "-tx";
		else if (!strcmp(key, "event-channel-rx"))
			dir = "-rx";
		else
			continue;
		if (kstrtouint(kv[i].value, 10, &port))
			continue;
		irq_name_base(dev, name, sizeof(name));
		len = strlen(name);
		snprintf(name + len, sizeof(name) - len, "-q%u%s", queue, dir);
		pvk_linux_evtchn_rename(port, name);
	}
}

int pvk_xenbus_write_keys(struct pvk_xenbus_device *dev,
			  const struct pvk_xenbus_kv *kv, unsigned int n)
{
	struct write_keys wk = { .dev = dev, .kv = kv, .n = n };
	int rc = in_transaction(write_keys_tx, &wk);

	if (!rc)
		name_event_channels(dev, kv, n);
	return rc;
}

/* One read after another here (the boot's path only). */
int pvk_xenbus_read_features(struct pvk_xenbus_device *dev,
			     const struct pvk_xenbus_feature *f, unsigned int n,
			     unsigned int *bad)
{
	int rc = 0;

	for (unsigned int i = 0; i < n && !rc; i++) {
		rc = pvk_xenbus_read_feature(dev, f[i].name, f[i].def, f[i].out);
		if (rc && bad)
			*bad = i;
	}
	return rc;
}

/* The keys, then the state: two transactions here (Linux's frontends
 * reconnect through Linux's own xenbus; this is only the boot's path). */
int pvk_xenbus_publish(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
		       unsigned int n, enum pvk_xenbus_state state)
{
	int rc;

	if (!pvk_xenbus_transition_ok(dev->state, state))
		return pvk_xenbus_switch_state(dev, state);	/* refused, logged */
	rc = pvk_xenbus_write_keys(dev, kv, n);
	return rc ? rc : pvk_xenbus_switch_state(dev, state);
}

/* The caller's scratch of the kit's xenbus: only its size is kept here
 * (this path allocates in pvk_xenbus_write_keys; Linux's frontends, not
 * ours, reconnect a resumed Linux guest). */
struct pvk_xenbus_publish_scratch {
	unsigned int max_keys;
};

struct pvk_xenbus_publish_scratch *
pvk_xenbus_publish_scratch_alloc(const struct pvk_xenbus_device *dev, unsigned int max_keys,
				 size_t key_max)
{
	struct pvk_xenbus_publish_scratch *s = kmalloc(sizeof(*s), GFP_KERNEL);

	(void)dev;
	(void)key_max;
	if (s)
		s->max_keys = max_keys;
	return s;
}

void pvk_xenbus_publish_scratch_free(struct pvk_xenbus_publish_scratch *s)
{
	kfree(s);
}

int pvk_xenbus_publish_with(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
			    unsigned int n, enum pvk_xenbus_state state,
			    struct pvk_xenbus_publish_scratch *s)
{
	if (!s || n > s->max_keys)
		return -PVK_XEN_EINVAL;
	return pvk_xenbus_publish(dev, kv, n, state);
}

/* ---- Linux's callbacks, as the kit's ------------------------------------ */

static struct pvk_linux_driver *linux_driver(struct xenbus_device *ldev)
{
	return container_of(to_xenbus_driver(ldev->dev.driver),
			    struct pvk_linux_driver, xdrv);
}

/* How long a device used before gets to start over at probe, per step. */
#define RESTART_TIMEOUT_MS	5000
#define RESTART_POLL_MS		20

static bool backend_ready_for_restart(int state)
{
	return state == XenbusStateClosed || state == XenbusStateInitWait ||
	       state == XenbusStateUnknown;	/* absent: its removal follows */
}

static bool backend_left_closed(int state)
{
	return state != XenbusStateClosed;
}

/* Polls the backend's state (no watch is set yet), bounded. */
static int wait_backend(struct xenbus_device *ldev, bool (*ok)(int state))
{
	unsigned long end = jiffies + msecs_to_jiffies(RESTART_TIMEOUT_MS);
	int state;

	while (!ok(state = xenbus_read_driver_state(ldev->otherend)) &&
	       time_before(jiffies, end))
		msleep(RESTART_POLL_MS);
	return state;
}

/*
 * The kit's drivers expect what its own xenbus gives them: a new device,
 * ours Initialising and the backend not past InitWait. On Linux the
 * device may have been used before by this domain (our module unloaded
 * and loaded again, or another driver unbound): Linux wrote our Closed at
 * that unbind and the backend followed to Closed, where it stays. Nobody
 * else writes our state back (Linux keeps the device as it was), so here
 * the handshake starts over as a detach-and-reattach would: we close if
 * we are not Closed, wait (bounded) for the backend to close, go
 * Initialising ("prepare for reconnect" to blkback and netback), and wait
 * (bounded) for the backend to leave Closed, so the driver's first look
 * at it is InitWait, not the last connection's Closed. A backend that
 * does not follow is logged; the driver then sees what it says.
 */
static int start_over_if_used(struct xenbus_device *ldev)
{
	int ours = xenbus_read_driver_state(ldev->nodename);
	int theirs = xenbus_read_driver_state(ldev->otherend);
	int rc;

	if (ours == XenbusStateInitialising &&
	    (theirs == XenbusStateUnknown || theirs == XenbusStateInitialising ||
	     theirs == XenbusStateInitWait))
		return 0;	/* a new device */
	pvk_info("xenbus: %s: used before (we are %s, the backend %s): starting over",
		 ldev->nodename, pvk_xenbus_state_name(ours), pvk_xenbus_state_name(theirs));
	if (ours != XenbusStateClosed) {
		rc = write_state_node(ldev->nodename, PVK_XenbusStateClosed);
		if (rc)
			return rc;
	}
	theirs = wait_backend(ldev, backend_ready_for_restart);
	if (!backend_ready_for_restart(theirs))
		pvk_warn("xenbus: %s: backend still %s %u ms after our Closed: going Initialising anyway",
			 ldev->nodename, pvk_xenbus_state_name(theirs), RESTART_TIMEOUT_MS);
	rc = write_state_node(ldev->nodename, PVK_XenbusStateInitialising);
	if (rc)
		return rc;
	ldev->state = XenbusStateInitialising;
	theirs = wait_backend(ldev, backend_left_closed);
	if (theirs == XenbusStateClosed)
		pvk_warn("xenbus: %s: backend still Closed %u ms after our Initialising: it does not prepare for a reconnect",
			 ldev->nodename, RESTART_TIMEOUT_MS);
	return 0;
}

static int linux_probe(struct xenbus_device *ldev, const struct xenbus_device_id *id)
{
	struct pvk_linux_driver *ld = linux_driver(ldev);
	struct pvk_linux_device *d;
	struct pvk_xenbus_device *dev;
	struct callback_scope scope;
	const char *slash;
	int rc;

	if (strlen(ldev->nodename) >= sizeof(dev->nodename) ||
	    strlen(ldev->otherend) >= sizeof(dev->otherend) ||
	    ldev->otherend_id < 0 || ldev->otherend_id >= DOMID_FIRST_RESERVED) {
		pvk_err("xenbus: %s: backend %s (domain %d) refused", ldev->nodename,
			ldev->otherend, ldev->otherend_id);
		return -EINVAL;
	}
	rc = start_over_if_used(ldev);
	if (rc) {
		pvk_err("xenbus: %s: cannot start over: %d", ldev->nodename, rc);
		return rc;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->ldev = ldev;
	dev = &d->pdev;
	strscpy(dev->nodename, ldev->nodename, sizeof(dev->nodename));
	strscpy(dev->otherend, ldev->otherend, sizeof(dev->otherend));
	slash = strrchr(dev->nodename, '/');
	dev->id = slash ? slash + 1 : dev->nodename;
	dev->otherend_id = ldev->otherend_id;
	dev->devclass = ld->drv->devclass;
	dev->drv = ld->drv;
	dev->state = PVK_XenbusStateInitialising;
	dev->otherend_state = PVK_XenbusStateUnknown;

	scope = callback_begin(d);
	rc = ld->drv->probe(dev);
	if (!rc)
		dev_set_drvdata(&ldev->dev, d);
	callback_end(scope);
	if (rc) {
		pvk_err("xenbus: %s: probe failed: %d", dev->nodename, rc);
		kfree(d);
		return rc;
	}
	pvk_info("xenbus: %s: backend %s (domain %lu), driver %s", dev->nodename,
		 dev->otherend, dev->otherend_id, ld->name);
	return 0;
}

/*
 * Reads the backend's state and hands it to the driver as the kit's xenbus
 * does: a new state to otherend_changed, the same one written again to
 * otherend_rewritten (when rewritten is true: a write was seen). Linux's
 * own parse is lenient; this one refuses what is not a state. The read's
 * error is returned (-ENOENT: the backend's directory is gone).
 */
static int otherend_update(struct pvk_xenbus_device *dev, bool rewritten)
{
	char path[PVK_XENBUS_PATH_MAX + 8], value[8];
	int rc, state;

	snprintf(path, sizeof(path), "%s/state", dev->otherend);
	rc = pvk_xs_read(PVK_XBT_NIL, path, value, sizeof(value));
	if (rc < 0)
		return rc;	/* not there yet, or being torn down */
	state = pvk_xenbus_parse_state(value);
	if (state < 0) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(sizeof(value))];

		pvk_warn("xenbus: %s: backend state \"%s\" is not a state", dev->nodename,
			 pvk_xenbus_printable(shown, sizeof(shown), value));
		return -PVK_XEN_EINVAL;
	}
	if ((enum pvk_xenbus_state)state == dev->otherend_state) {
		/* Written again with the same value: blkback's "read my other
		 * keys again" (after an online resize). */
		if (rewritten && dev->drv->otherend_rewritten)
			dev->drv->otherend_rewritten(dev, dev->otherend_state);
		return 0;
	}
	dev->otherend_state = (enum pvk_xenbus_state)state;
	pvk_info("xenbus: %s: backend is %s", dev->nodename, pvk_xenbus_state_name(state));
	if (dev->drv->otherend_changed)
		dev->drv->otherend_changed(dev, dev->otherend_state);
	else if (state == PVK_XenbusStateClosing || state == PVK_XenbusStateClosed)
		pvk_xenbus_switch_state(dev, PVK_XenbusStateClosed);
	return 0;
}

static void linux_otherend_changed(struct xenbus_device *ldev, enum xenbus_state unused)
{
	struct pvk_linux_device *d = dev_get_drvdata(&ldev->dev);
	struct callback_scope scope;

	if (!d)
		return;
	scope = callback_begin(d);
	otherend_update(&d->pdev, true);
	callback_end(scope);
}

/* ---- Devices leaving xenbus ---------------------------------------------- */

/*
 * Per class, the glue module's hook for "a kit device left xenbus": the
 * kit has no call listing its devices, and a device that never connected
 * never reached a hook of the glue's own, so without this nobody would
 * release it.
 */
struct left_hook {
	char devclass[16];
	void (*left)(void *priv);
};
static struct left_hook left_hooks[4];
static DEFINE_SPINLOCK(left_hooks_lock);

int pvk_linux_xenbus_set_left_hook(const char *devclass, void (*left)(void *priv))
{
	struct left_hook *free_slot = NULL, *h;
	int rc = 0;

	if (strlen(devclass) >= sizeof(left_hooks[0].devclass))
		return -EINVAL;
	spin_lock(&left_hooks_lock);
	for (h = left_hooks; h < left_hooks + ARRAY_SIZE(left_hooks); h++) {
		if (!strcmp(h->devclass, devclass))
			break;
		if (!h->devclass[0] && !free_slot)
			free_slot = h;
	}
	if (h == left_hooks + ARRAY_SIZE(left_hooks))
		h = free_slot;
	if (!h) {
		rc = -ENOSPC;
	} else if (left) {
		strscpy(h->devclass, devclass, sizeof(h->devclass));
		h->left = left;
	} else {
		memset(h, 0, sizeof(*h));
	}
	spin_unlock(&left_hooks_lock);
	return rc;
}
EXPORT_SYMBOL_GPL(pvk_linux_xenbus_set_left_hook);

static void (*left_hook(const char *devclass))(void *priv)
{
	void (*left)(void *priv) = NULL;

	spin_lock(&left_hooks_lock);
	for (unsigned int i = 0; i < ARRAY_SIZE(left_hooks); i++)
		if (left_hooks[i].devclass[0] && !strcmp(left_hooks[i].devclass, devclass))
			left = left_hooks[i].left;
	spin_unlock(&left_hooks_lock);
	return left;
}

/* Unless the unregistering module says otherwise (sysfs unbind, removal). */
#define CLOSE_TIMEOUT_NS	(5ULL * NSEC_PER_SEC)
#define CLOSE_POLL_MS		20

/* Nothing of ours is mapped: the backend is Closed or gone, or we never
 * got past Initialising (no ring granted yet). */
static bool closed_with_backend(const struct pvk_xenbus_device *dev)
{
	return dev->otherend_state == PVK_XenbusStateClosed ||
	       dev->otherend_state == PVK_XenbusStateUnknown ||
	       dev->state == PVK_XenbusStateInitialising;
}

/*
 * Before the driver's remove, a device the backend still uses is closed
 * the way a detach closes it: we go Closing, the driver follows the
 * backend through Closing to Closed, and a Closed backend has unmapped our
 * pages, so every grant can end. Linux has already stopped the state watch
 * (it does before remove), so the backend's state is polled, bounded.
 * After the bound, what is still mapped stays granted: the driver reports
 * it and never frees those pages.
 */
static void close_with_backend(struct pvk_xenbus_device *dev, u64 timeout_ns)
{
	u64 end = ktime_get_ns() + timeout_ns;
	int rc;

	if (dev->state == PVK_XenbusStateInitialised || dev->state == PVK_XenbusStateConnected)
		pvk_xenbus_switch_state(dev, PVK_XenbusStateClosing);
	while (!closed_with_backend(dev)) {
		if (ktime_get_ns() >= end) {
			pvk_err("xenbus: %s: backend still %s after %llu ms: unbinding anyway",
				dev->nodename, pvk_xenbus_state_name(dev->otherend_state),
				timeout_ns / NSEC_PER_MSEC);
			return;
		}
		msleep(CLOSE_POLL_MS);
		rc = otherend_update(dev, false);
		/* The backend's directory is gone (xenstored says EACCES when
		 * the nearest node left is one we may not read). */
		if (rc == -ENOENT || rc == -EACCES)
			return;
	}
}

/* Linux has stopped the backend-state watch (and waited for a callback
 * in flight) before calling this: nothing of the device runs after it.
 * Called on every unbind: device gone, rmmod, sysfs unbind. */
static void linux_remove(struct xenbus_device *ldev)
{
	struct pvk_linux_device *d = dev_get_drvdata(&ldev->dev);
	struct callback_scope scope;
	void (*left)(void *priv);
	void *priv;

	if (!d)
		return;
	scope = callback_begin(d);
	/* From here the driver is told the device is going (no reconnect):
	 * a "backend closed, offline" line of the driver's is this. */
	d->unbinding = true;
	pvk_info("xenbus: %s: unbinding (we are %s, the backend %s): closing without reconnect",
		 d->pdev.nodename, pvk_xenbus_state_name(d->pdev.state),
		 pvk_xenbus_state_name(d->pdev.otherend_state));
	close_with_backend(&d->pdev, READ_ONCE(linux_driver(ldev)->close_timeout_ns));
	pvk_info("xenbus: %s removed", d->pdev.nodename);
	/* The driver's device, as its probe set it (its remove may clear it). */
	priv = d->pdev.priv;
	if (d->pdev.drv->remove)
		d->pdev.drv->remove(&d->pdev);
	left = left_hook(d->pdev.devclass);
	if (left && priv)
		left(priv);
	dev_set_drvdata(&ldev->dev, NULL);
	callback_end(scope);
	kfree(d);
}

/* ---- Drivers --------------------------------------------------------------- */

/* The kit drivers registered (two in practice: vbd, vif). */
static struct pvk_linux_driver *registered[4];
static DEFINE_MUTEX(registered_lock);

int pvk_xenbus_register_driver(struct pvk_xenbus_driver *drv)
{
	struct pvk_linux_driver *ld;
	unsigned int slot;
	struct role_drop dropped;
	int rc;

	if (!drv || !drv->devclass || !drv->probe || !*drv->devclass ||
	    strchr(drv->devclass, '/') ||
	    strlen(drv->devclass) >= sizeof(ld->ids[0].devicetype))
		return -PVK_XEN_EINVAL;
	ld = kzalloc(sizeof(*ld), GFP_KERNEL);
	if (!ld)
		return -PVK_XEN_ENOMEM;
	/* Complete before it is published: the other users of registered[]
	 * read ld->drv under registered_lock, whose release orders these
	 * stores before the slot's. */
	ld->drv = drv;
	ld->close_timeout_ns = CLOSE_TIMEOUT_NS;
	snprintf(ld->name, sizeof(ld->name), "pvk-%s", drv->devclass);
	strscpy(ld->ids[0].devicetype, drv->devclass, sizeof(ld->ids[0].devicetype));
	ld->xdrv.name = ld->name;
	ld->xdrv.ids = ld->ids;
	/* Not needed for boot: Linux does not wait for our devices. */
	ld->xdrv.not_essential = true;
	ld->xdrv.probe = linux_probe;
	ld->xdrv.otherend_changed = linux_otherend_changed;
	ld->xdrv.remove = linux_remove;

	mutex_lock(&registered_lock);
	for (slot = 0; slot < ARRAY_SIZE(registered); slot++)
		if (registered[slot] && (registered[slot]->drv == drv ||
		    !strcmp(registered[slot]->drv->devclass, drv->devclass)))
			break;
	if (slot == ARRAY_SIZE(registered))
		for (slot = 0; slot < ARRAY_SIZE(registered) && registered[slot]; slot++)
			;
	rc = slot == ARRAY_SIZE(registered) ? -PVK_XEN_ENOSPC :
	     registered[slot] ? -PVK_XEN_EEXIST : 0;
	if (!rc)
		registered[slot] = ld;
	mutex_unlock(&registered_lock);
	if (rc) {
		kfree(ld);
		return rc;
	}

	/*
	 * pvk-xen owns the Linux driver. Linux holds its owner's module
	 * reference while a device is bound: owned by pvk-blkfront, a bound
	 * disk would make `rmmod pvk-blkfront` fail ("in use") instead of
	 * unbinding and ending every grant; pvk-xen cannot go before the
	 * modules that use it anyway.
	 */
	dropped = drop_role();
	rc = xenbus_register_frontend(&ld->xdrv);
	retake_role(dropped);
	if (rc) {
		pvk_err("xenbus: registering driver %s failed: %d", ld->name, rc);
		mutex_lock(&registered_lock);
		registered[slot] = NULL;
		mutex_unlock(&registered_lock);
		kfree(ld);
		return rc;
	}
	return 0;
}

/* Linux removes each bound device (our remove) and waits for what runs. */
int pvk_xenbus_unregister_driver(struct pvk_xenbus_driver *drv)
{
	struct pvk_linux_driver *ld = NULL;
	unsigned int slot;
	struct role_drop dropped;

	mutex_lock(&registered_lock);
	for (slot = 0; slot < ARRAY_SIZE(registered); slot++)
		if (registered[slot] && registered[slot]->drv == drv)
			ld = registered[slot];
	mutex_unlock(&registered_lock);
	if (!ld)
		return -PVK_XEN_EINVAL;
	dropped = drop_role();
	xenbus_unregister_driver(&ld->xdrv);
	retake_role(dropped);
	mutex_lock(&registered_lock);
	for (slot = 0; slot < ARRAY_SIZE(registered); slot++)
		if (registered[slot] == ld)
			registered[slot] = NULL;
	mutex_unlock(&registered_lock);
	kfree(ld);
	return 0;
}

/*
 * The frontends register their kit driver but have no call to unregister
 * it (a kernel never unloads them); a module exit calls this instead.
 * Linux unbinds each device, which closes it with its backend first
 * (linux_remove), waiting up to timeout_ns for each.
 */
int pvk_linux_xenbus_unregister_class(const char *devclass, uint64_t timeout_ns)
{
	struct pvk_linux_driver *ld = NULL;

	mutex_lock(&registered_lock);
	for (unsigned int slot = 0; slot < ARRAY_SIZE(registered); slot++)
		if (registered[slot] && !strcmp(registered[slot]->drv->devclass, devclass))
			ld = registered[slot];
	if (ld)
		WRITE_ONCE(ld->close_timeout_ns, timeout_ns);
	mutex_unlock(&registered_lock);
	return ld ? pvk_xenbus_unregister_driver(ld->drv) : -PVK_XEN_ENOENT;
}
EXPORT_SYMBOL_GPL(pvk_linux_xenbus_unregister_class);

int pvk_linux_xenbus_init(void)
{
	return 0;
}

/* A glue module that forgot to unregister cannot be unloaded before us
 * (it uses our symbols): nothing can be left here. */
void pvk_linux_xenbus_exit(void)
{
	for (unsigned int slot = 0; slot < ARRAY_SIZE(registered); slot++)
		WARN_ON(registered[slot]);
}

/*
 * Suspend and resume. In a Linux domU the kernel's own xenbus owns `xl
 * save`/`xl restore` (its .suspend/.resume of each driver); the kit's
 * sequence (suspend/) is not built here, and the kit's drivers register no
 * Linux .resume yet (README, "For distribution maintainers": save and
 * migration not supported with these modules). A frontend's part is
 * refused with -EOPNOTSUPP, which the frontends take as "the host does
 * it": nothing of theirs runs around a suspend.
 */
int pvk_suspend_register(struct pvk_suspend_part *part)
{
	(void)part;
	return -PVK_XEN_EOPNOTSUPP;
}

/* Nothing of the kit's is quiesced by a suspend here: blkfront's rw_sync
 * deadline moves by nothing (Linux's own resume handles the devices). */
uint64_t pvk_suspend_parts_out_ns(void)
{
	return 0;
}

int pvk_xenbus_device_resume(struct pvk_xenbus_device *dev)
{
	(void)dev;
	return -PVK_XEN_EOPNOTSUPP;
}

void pvk_xenbus_otherend_poll(struct pvk_xenbus_device *dev)
{
	(void)dev;	/* never after a resume here: see above */
}
