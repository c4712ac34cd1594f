/*
 * tests/unit/test_xenbus_keys.c - pvk_xenbus_write_keys
 * (frontends/xenbus/xenbus.c) against a xenstore played here: keys
 * written and removed (a NULL value) in one transaction, and a device
 * node deleted meanwhile (a detach) not created again by the writes.
 * Also pvk_xenbus_publish: keys, removals and our state in one
 * transaction, a removal made only for a key our node lists.
 * The file is included with its exported names changed, so that the
 * xenbus the other tests play stays theirs.
 */
#define pvk_xenbus_register_driver	xbk_register_driver
#define pvk_xenbus_unregister_driver	xbk_unregister_driver
#define pvk_xenbus_switch_state		xbk_switch_state
#define pvk_xenbus_read_feature		xbk_read_feature
#define pvk_xenbus_write_keys		xbk_write_keys
#define pvk_xenbus_worker_enter		xbk_worker_enter
#define pvk_xenbus_worker_leave		xbk_worker_leave
#define pvk_xenbus_device_resume	xbk_device_resume
#define pvk_xenbus_otherend_poll	xbk_otherend_poll
#define pvk_xenbus_publish		xbk_publish
#define pvk_xenbus_publish_with		xbk_publish_with
#define pvk_xenbus_publish_scratch_alloc xbk_publish_scratch_alloc
#define pvk_xenbus_publish_scratch_free	xbk_publish_scratch_free
#define pvk_xenbus_read_features	xbk_read_features
#include "frontends/xenbus/xenbus.c"

#include <stdio.h>
#include <string.h>

#include "fake_kit.h"
#include "unit.h"

#define XS_KEYS 16
static struct {
	char key[XS_KEYS][64], val[XS_KEYS][16];
	bool used[XS_KEYS];
	unsigned int writes, rms, dirs;
} xs;

static int xs_find(const char *path)
{
	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strcmp(xs.key[i], path))
			return i;
	return -1;
}

/* For xenbus.c: a node exists if it or a child of it is stored. */
bool unit_xs_node_exists(const char *path)
{
	size_t l = strlen(path);

	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strncmp(xs.key[i], path, l) &&
		    (xs.key[i][l] == '\0' || xs.key[i][l] == '/'))
			return true;
	return false;
}

int pvk_xs_write(pvk_xs_transaction_t t, const char *path, const char *value)
{
	int i = xs_find(path);

	(void)t;
	xs.writes++;
	for (int j = 0; i < 0 && j < XS_KEYS; j++)
		if (!xs.used[j])
			i = j;
	if (i < 0)
		return -PVK_XEN_ENOSPC;
	xs.used[i] = true;
	snprintf(xs.key[i], sizeof(xs.key[i]), "%s", path);
	snprintf(xs.val[i], sizeof(xs.val[i]), "%s", value);
	return 0;
}

int pvk_xs_rm(pvk_xs_transaction_t t, const char *path)
{
	size_t l = strlen(path);
	bool any = false;

	(void)t;
	xs.rms++;
	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strncmp(xs.key[i], path, l) &&
		    (xs.key[i][l] == '\0' || xs.key[i][l] == '/')) {
			xs.used[i] = false;
			any = true;
		}
	return any ? 0 : -PVK_XEN_ENOENT;
}

/* One attempt; an fn that fails aborts it: what it wrote is undone, as
 * xenstored drops an aborted transaction's changes (the counters stay). */
int pvk_xs_transaction(int (*fn)(pvk_xs_transaction_t t, void *arg), void *arg,
		       unsigned int *attempts)
{
	static char saved_key[XS_KEYS][64], saved_val[XS_KEYS][16];
	static bool saved_used[XS_KEYS];
	int rc;

	if (attempts)
		*attempts = 1;
	memcpy(saved_key, xs.key, sizeof(saved_key));
	memcpy(saved_val, xs.val, sizeof(saved_val));
	memcpy(saved_used, xs.used, sizeof(saved_used));
	rc = fn(1, arg);
	if (rc < 0) {
		memcpy(xs.key, saved_key, sizeof(saved_key));
		memcpy(xs.val, saved_val, sizeof(saved_val));
		memcpy(xs.used, saved_used, sizeof(saved_used));
	}
	return rc;
}

/* Not reached by these tests (the scan and removal of xenbus.c). */
int pvk_xs_unwatch(struct pvk_xs_watch *w)
{
	(void)w;
	return 0;
}

/* One played CPU: the watch worker role is always ours. */
int pvk_xs_worker_enter(uint64_t timeout_ns)
{
	(void)timeout_ns;
	return 0;
}

void pvk_xs_worker_leave(void)
{
}

/* Several at once: one after another here (xenstored's order). */
void pvk_xs_write_many(pvk_xs_transaction_t t, struct pvk_xs_write_req *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		w[i].rc = w[i].value ? pvk_xs_write(t, w[i].path, w[i].value) : pvk_xs_rm(t, w[i].path);
}

/* Requests sent together (xenbus.c's state switch: its probe and its
 * write): carried out one after another, in order, as xenstored does;
 * each batch counted. */
static unsigned int batches;
int pvk_xs_directory(pvk_xs_transaction_t t, const char *path, char *buf, size_t size);

void pvk_xs_request_many(struct pvk_xs_many *m, unsigned int n)
{
	batches++;
	for (unsigned int i = 0; i < n; i++) {
		char value[16];

		switch (m[i].type) {
		case PVK_XS_READ:
			m[i].rc = pvk_xs_read(m[i].t, m[i].parts[0], m[i].out, m[i].out_size);
			break;
		case PVK_XS_DIRECTORY: {
			int n = pvk_xs_directory(m[i].t, m[i].parts[0], m[i].out, m[i].out_size);
			size_t len = 0;

			/* The reply's length, as xenstore.c returns it. */
			for (int j = 0; j < n; j++)
				len += strlen(m[i].out + len) + 1;
			m[i].rc = n < 0 ? n : (int)len;
			break;
		}
		case PVK_XS_WRITE:
			snprintf(value, sizeof(value), "%.*s", (int)m[i].lens[1], m[i].parts[1]);
			m[i].rc = pvk_xs_write(m[i].t, m[i].parts[0], value);
			break;
		default:
			m[i].rc = -PVK_XEN_EINVAL;
		}
	}
}

/* xenstore.c's counters (xenbus.c counts a reconnect's requests). */
struct pvk_xs_stats pvk_xs_counters;

/* The names directly under path, each once; ENOENT when it is absent. */
int pvk_xs_directory(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	size_t l = strlen(path), used = 0;
	int n = 0;

	(void)t;
	xs.dirs++;
	if (!unit_xs_node_exists(path))
		return -PVK_XEN_ENOENT;
	for (int i = 0; i < XS_KEYS; i++) {
		const char *name = xs.key[i] + l + 1;
		size_t nl = 0;
		bool dup = false;

		if (!xs.used[i] || strncmp(xs.key[i], path, l) || xs.key[i][l] != '/')
			continue;
		while (name[nl] && name[nl] != '/')
			nl++;
		for (size_t o = 0; o < used && !dup; o += strlen(buf + o) + 1)
			dup = strlen(buf + o) == nl && !strncmp(buf + o, name, nl);
		if (dup)
			continue;
		if (used + nl + 1 > size)
			return -PVK_XEN_E2BIG;
		memcpy(buf + used, name, nl);
		buf[used + nl] = '\0';
		used += nl + 1;
		n++;
	}
	return n;
}

static struct pvk_xenbus_device kd = { .nodename = "device/vbd/9" };

UNIT_TEST(xenbus_write_keys_writes_and_removes)
{
	const struct pvk_xenbus_kv kv[] = {
		{ "ring-ref", "8" }, { "event-channel", "5" },
		{ "queue-1", NULL }, { "event-channel-tx", NULL },
	};

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	pvk_xs_write(0, "device/vbd/9/queue-1/ring-ref", "9");
	pvk_xs_write(0, "device/vbd/9/event-channel-tx", "6");
	CHECK_EQ(xbk_write_keys(&kd, kv, 4), 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	CHECK(xs_find("device/vbd/9/event-channel") >= 0);
	CHECK(xs_find("device/vbd/9/queue-1/ring-ref") < 0);
	CHECK(xs_find("device/vbd/9/event-channel-tx") < 0);
	/* Removing what is not there is fine. */
	CHECK_EQ(xbk_write_keys(&kd, kv, 4), 0);
}

UNIT_TEST(xenbus_write_keys_do_not_recreate_a_deleted_node)
{
	const struct pvk_xenbus_kv kv[] = { { "ring-ref", "8" } };

	memset(&xs, 0, sizeof(xs));
	/* The toolstack deleted device/vbd/9 (a detach) before our write. */
	CHECK_EQ(xbk_write_keys(&kd, kv, 1), -PVK_XEN_ENOENT);
	CHECK_EQ(xs.writes, 0);
	CHECK(!unit_xs_node_exists("device/vbd/9"));
}

/* A state switch: the probe and the write in one batch, one transaction;
 * a node the toolstack deleted (a detach) is not created again by the
 * write that went with the failed probe (the transaction is aborted). */
UNIT_TEST(xenbus_switch_state_one_batch_deleted_node_not_recreated)
{
	int i;

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	kd.state = PVK_XenbusStateInitialising;
	batches = 0;
	CHECK_EQ(xbk_switch_state(&kd, PVK_XenbusStateInitialised), 0);
	CHECK_EQ(batches, 1);
	CHECK_EQ(kd.state, PVK_XenbusStateInitialised);
	i = xs_find("device/vbd/9/state");
	CHECK(i >= 0 && !strcmp(xs.val[i], "3"));
	memset(&xs, 0, sizeof(xs));
	CHECK_EQ(xbk_switch_state(&kd, PVK_XenbusStateConnected), -PVK_XEN_ENOENT);
	CHECK(!unit_xs_node_exists("device/vbd/9"));
	CHECK_EQ(kd.state, PVK_XenbusStateInitialised);
	kd.state = PVK_XenbusStateInitialising;
}

/* One transaction: our keys and Initialised written, removals asked of
 * xenstore only for what the node lists (the old layout's queue-1 and
 * event-channel-tx), none for the absent (queue-2, ring-page-order). */
UNIT_TEST(xenbus_publish_writes_keys_and_state_removes_only_what_is_there)
{
	const struct pvk_xenbus_kv kv[] = {
		{ "queue-1", NULL }, { "event-channel-tx", NULL }, { "queue-2", NULL },
		{ "ring-page-order", NULL }, { "queue-1/event-channel", NULL },
		{ "ring-ref", "8" }, { "event-channel", "5" },
	};
	int i;

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	pvk_xs_write(0, "device/vbd/9/queue-1/ring-ref", "9");
	pvk_xs_write(0, "device/vbd/9/event-channel-tx", "6");
	xs.writes = 0;
	kd.state = PVK_XenbusStateInitialising;
	batches = 0;
	CHECK_EQ(xbk_publish(&kd, kv, 7, PVK_XenbusStateInitialised), 0);
	CHECK_EQ(kd.state, PVK_XenbusStateInitialised);
	CHECK_EQ(xs.dirs, 1);
	/* The listing went with the writes; it lists keys to remove: the
	 * removals, then the writes again (in order), a second batch. */
	CHECK_EQ(batches, 1);
	CHECK_EQ(xs.writes, 3 + 3);
	/* queue-1 (and queue-1/event-channel under it, listed as queue-1:
	 * its removal finds nothing left, which is fine) and
	 * event-channel-tx; never queue-2 or ring-page-order. */
	CHECK_EQ(xs.rms, 3);
	CHECK(xs_find("device/vbd/9/queue-1/ring-ref") < 0);
	CHECK(xs_find("device/vbd/9/event-channel-tx") < 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	i = xs_find("device/vbd/9/state");
	CHECK(i >= 0);
	CHECK(i >= 0 && !strcmp(xs.val[i], "3"));
}

/* Review s13 M1: with the caller's scratch, the real publication
 * allocates nothing (every allocation failing, it still writes every key
 * and the state); without it, the same low memory refuses it. A scratch
 * sized for fewer keys than asked: refused, nothing written. */
UNIT_TEST(xenbus_publish_with_scratch_allocates_nothing)
{
	const struct pvk_xenbus_kv kv[] = {
		{ "queue-1", NULL }, { "ring-ref", "8" }, { "event-channel", "5" },
	};
	struct pvk_xenbus_publish_scratch *s, *small;
	int i;

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	pvk_xs_write(0, "device/vbd/9/queue-1/ring-ref", "9");
	kd.state = PVK_XenbusStateInitialising;
	s = xbk_publish_scratch_alloc(&kd, 3, 16);
	small = xbk_publish_scratch_alloc(&kd, 2, 16);
	CHECK(s != NULL && small != NULL);
	unit_fail_malloc_over = 1;
	CHECK_EQ(xbk_publish(&kd, kv, 3, PVK_XenbusStateInitialised), -PVK_XEN_ENOMEM);
	CHECK_EQ(kd.state, PVK_XenbusStateInitialising);
	CHECK_EQ(xbk_publish_with(&kd, kv, 3, PVK_XenbusStateInitialised, small), -PVK_XEN_EINVAL);
	CHECK(xs_find("device/vbd/9/ring-ref") < 0);
	CHECK_EQ(xbk_publish_with(&kd, kv, 3, PVK_XenbusStateInitialised, s), 0);
	unit_fail_malloc_over = 0;
	CHECK_EQ(kd.state, PVK_XenbusStateInitialised);
	CHECK(xs_find("device/vbd/9/queue-1/ring-ref") < 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	CHECK(xs_find("device/vbd/9/event-channel") >= 0);
	i = xs_find("device/vbd/9/state");
	CHECK(i >= 0 && !strcmp(xs.val[i], "3"));
	xbk_publish_scratch_free(s);
	xbk_publish_scratch_free(small);
	kd.state = PVK_XenbusStateInitialising;
}

/* The usual publication (after a restore: our node written afresh, no
 * key of another layout there): the listing and every write in one
 * batch, nothing removed, nothing sent twice. */
UNIT_TEST(xenbus_publish_nothing_to_remove_one_batch)
{
	const struct pvk_xenbus_kv kv[] = {
		{ "queue-1", NULL }, { "ring-page-order", NULL },
		{ "ring-ref", "8" }, { "event-channel", "5" },
	};
	int i;

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	pvk_xs_write(0, "device/vbd/9/backend-id", "0");
	xs.writes = 0;
	batches = 0;
	kd.state = PVK_XenbusStateInitialising;
	CHECK_EQ(xbk_publish(&kd, kv, 4, PVK_XenbusStateInitialised), 0);
	CHECK_EQ(batches, 1);
	CHECK_EQ(xs.dirs, 1);
	CHECK_EQ(xs.writes, 3);
	CHECK_EQ(xs.rms, 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	CHECK(xs_find("device/vbd/9/event-channel") >= 0);
	i = xs_find("device/vbd/9/state");
	CHECK(i >= 0 && !strcmp(xs.val[i], "3"));
	kd.state = PVK_XenbusStateInitialising;
}

/* Our node deleted (a detach): nothing stays written (the writes sent
 * with the failed listing are in the aborted transaction), the state
 * stays ours. */
UNIT_TEST(xenbus_publish_does_not_recreate_a_deleted_node)
{
	const struct pvk_xenbus_kv kv[] = { { "ring-ref", "8" } };

	memset(&xs, 0, sizeof(xs));
	kd.state = PVK_XenbusStateInitialising;
	CHECK_EQ(xbk_publish(&kd, kv, 1, PVK_XenbusStateInitialised), -PVK_XEN_ENOENT);
	CHECK_EQ(kd.state, PVK_XenbusStateInitialising);
	CHECK(!unit_xs_node_exists("device/vbd/9"));
}

/* A transition the state machine forbids: refused before any request. */
UNIT_TEST(xenbus_publish_refuses_a_forbidden_transition)
{
	const struct pvk_xenbus_kv kv[] = { { "ring-ref", "8" } };

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "6");
	xs.writes = 0;
	kd.state = PVK_XenbusStateClosed;
	CHECK_EQ(xbk_publish(&kd, kv, 1, PVK_XenbusStateInitialised), -PVK_XEN_EINVAL);
	CHECK_EQ(xs.writes + xs.dirs, 0);
	kd.state = PVK_XenbusStateInitialising;
}

/*
 * The resume's own watch event (S1 of the session 12 review): after the
 * resume's poll acted on the backend's state, one repeated reading is
 * absorbed (it has no write behind it); a later genuine rewrite with the
 * same value (blkback's resize signal, netback's rebind) is always
 * delivered to otherend_rewritten. Played: the backend's state node
 * and a driver counting its callbacks.
 */
static struct {
	const char *path, *value;
	int fail;			/* a read's error, 0 for the value */
	unsigned int changed, rewritten;
} be;

bool unit_xs_read_played(const char *path, char *buf, size_t size, int *rc)
{
	if (!be.path || strcmp(path, be.path))
		return false;
	if (be.fail) {
		*rc = be.fail;
		return true;
	}
	snprintf(buf, size, "%s", be.value);
	*rc = (int)strlen(buf);
	return true;
}

static void be_changed(struct pvk_xenbus_device *d, enum pvk_xenbus_state st)
{
	(void)d;
	(void)st;
	be.changed++;
}

static void be_rewritten(struct pvk_xenbus_device *d, enum pvk_xenbus_state st)
{
	(void)d;
	(void)st;
	be.rewritten++;
}

static struct pvk_xenbus_driver be_drv = {
	.devclass = "vbd", .otherend_changed = be_changed, .otherend_rewritten = be_rewritten,
};
static struct pvk_xenbus_device rd;

/* As device_resume leaves a device whose watch was set: the old
 * backend's state forgotten, the watch fresh; then the resume's poll. */
static void resumed_and_polled(const char *state, int poll_fail)
{
	memset(&be, 0, sizeof(be));
	memset(&rd, 0, sizeof(rd));
	strcpy(rd.nodename, "device/vbd/7");
	strcpy(rd.otherend_state_path, "backend/vbd/1/7/state");
	rd.drv = &be_drv;
	rd.otherend_watch.arg = &rd;
	rd.otherend_state = PVK_XenbusStateUnknown;
	rd.otherend_watch_fresh = true;
	be.path = rd.otherend_state_path;
	be.value = state;
	be.fail = poll_fail;
	xbk_otherend_poll(&rd);
	be.fail = 0;
}

static void watch_event(bool reread)
{
	rd.otherend_watch.rereading = reread;
	rd.busy++;	/* as the watch layer holds it for otherend_changed */
	otherend_changed(&rd.otherend_watch, rd.otherend_state_path);
	rd.otherend_watch.rereading = false;
}

UNIT_TEST(xenbus_resume_watch_own_event_absorbed_later_rewrite_delivered)
{
	resumed_and_polled("4", 0);
	CHECK_EQ(be.changed, 1);
	watch_event(false);		/* the watch's own firing: same state */
	CHECK_EQ(be.rewritten, 0);
	watch_event(false);		/* a genuine rewrite of Connected */
	CHECK_EQ(be.rewritten, 1);
	watch_event(false);
	CHECK_EQ(be.rewritten, 2);
}

/* The backend wrote between the poll and the delivery of the watch's own
 * firing: that firing reads the new state, the write's event repeats it. */
UNIT_TEST(xenbus_resume_watch_late_own_event_one_repeat_absorbed)
{
	resumed_and_polled("2", 0);
	be.value = "4";
	watch_event(false);
	CHECK_EQ(be.changed, 2);
	watch_event(false);
	CHECK_EQ(be.rewritten, 0);
	watch_event(false);		/* then a genuine rewrite */
	CHECK_EQ(be.rewritten, 1);
}

/* The poll could not read: the first event is the first reading, acted
 * on; nothing is left armed to swallow a later rewrite. */
UNIT_TEST(xenbus_resume_poll_failed_nothing_absorbed)
{
	resumed_and_polled("4", -PVK_XEN_EIO);
	CHECK_EQ(be.changed, 0);
	watch_event(false);
	CHECK_EQ(be.changed, 1);
	watch_event(false);		/* a rewrite, later */
	CHECK_EQ(be.rewritten, 1);
}

/* Events lost to a full queue: the re-read disarms the absorb (the
 * repeat it would have used up never comes); a later rewrite is seen. */
UNIT_TEST(xenbus_resume_reread_disarms_the_absorb)
{
	resumed_and_polled("4", 0);
	watch_event(true);		/* the kit's re-read: delivered as is */
	CHECK_EQ(be.rewritten, 1);
	watch_event(false);
	CHECK_EQ(be.rewritten, 2);
}

/* The watch's own firing read nothing (a failing read): disarmed. */
UNIT_TEST(xenbus_resume_failed_event_read_disarms_the_absorb)
{
	resumed_and_polled("4", 0);
	be.fail = -PVK_XEN_EIO;
	watch_event(false);
	be.fail = 0;
	watch_event(false);
	CHECK_EQ(be.rewritten, 1);
}

/* A device whose watch was not set at the resume: the poll arms nothing. */
UNIT_TEST(xenbus_poll_without_a_fresh_watch_arms_nothing)
{
	resumed_and_polled("4", 0);
	rd.otherend_absorb_left = 0;
	rd.otherend_watch_fresh = false;
	rd.otherend_state = PVK_XenbusStateUnknown;
	xbk_otherend_poll(&rd);
	CHECK_EQ(be.changed, 2);
	watch_event(false);
	CHECK_EQ(be.rewritten, 1);
}

/* Paths packed (S6): a key too long for a xenstore path is still refused
 * whole, nothing written, and the keys around it are not cut short. */
UNIT_TEST(xenbus_publish_packed_paths_refuse_a_too_long_key)
{
	static char longkey[PVK_XENBUS_PATH_MAX + 80];
	struct pvk_xenbus_kv kv[] = { { "ring-ref", "8" }, { longkey, "1" }, { "event-channel", "5" } };

	memset(longkey, 'k', sizeof(longkey) - 1);
	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	xs.writes = 0;
	kd.state = PVK_XenbusStateInitialising;
	CHECK_EQ(xbk_publish(&kd, kv, 3, PVK_XenbusStateInitialised), -PVK_XEN_ENAMETOOLONG);
	CHECK_EQ(xs.writes, 0);
	kv[1] = (struct pvk_xenbus_kv){ "queue-0/ring-ref", "9" };
	CHECK_EQ(xbk_publish(&kd, kv, 3, PVK_XenbusStateInitialised), 0);
	CHECK(xs_find("device/vbd/9/queue-0/ring-ref") >= 0);
	CHECK(xs_find("device/vbd/9/event-channel") >= 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	kd.state = PVK_XenbusStateInitialising;
}
