/*
 * tests/guest/cases/xenstore.c - the kit's xenstore client against the
 * real xenstored in dom0.
 *
 * What the toolstack put in our home (/local/domain/<domid>): domid and
 * name; data/ is ours to write. Each test cleans up what it wrote.
 *
 * Messages larger than the 1 KiB rings (values of 1,900 and 4,000 bytes, a
 * listing of 200 children, a burst of watch events) only get through when
 * the client tells xenstored each time it emptied the response ring:
 * scenario guest-xs-quiet runs them while dom0 leaves xenstored alone, so
 * nothing else wakes it. xs_big_value and xs_watch_burst wait for dom0 and
 * only run there.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#ifdef CONFIG_PVK_XENBUS

static char buf[PVK_XENSTORE_PAYLOAD_MAX + 1];

#define SEC_NS	(1000ULL * 1000 * 1000)

static unsigned long ms_since(uint64_t t0)
{
	return (unsigned long)((pvk_time_now_ns() - t0) / 1000000);
}

/* Decimal n of the last path component, -1 if it is not a number. */
static long last_number(const char *path)
{
	const char *p = path + strlen(path);
	long v = 0;

	while (p > path && p[-1] != '/')
		p--;
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

static bool same_str(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && !memcmp(a, b, strlen(a));
}

/* Runs watches until *flag is set (a callback saw what the test waits
 * for, e.g. its registration event, which xenstored sends after the
 * reply); bounded by a second. */
static bool run_watches_until(const bool *flag)
{
	uint64_t deadline = pvk_time_now_ns() + SEC_NS;

	for (uint64_t now = pvk_time_now_ns(); !PVK_READ_ONCE(*flag) && now < deadline;
	     now = pvk_time_now_ns())
		pvk_xs_wait_watches(deadline - now);
	return *flag;
}

/*
 * A test that reasons about events left queued (nobody runs the watches
 * meanwhile) holds the guest's background work, which would otherwise
 * deliver them from the waits of its own requests (wait.c); released
 * however the body ends.
 */
#define XS_HELD_TEST(tname)						\
	static void tname##_held(void);					\
	PVK_GUEST_TEST(tname)						\
	{								\
		guest_work_hold(true);					\
		tname##_held();						\
		guest_work_hold(false);					\
	}								\
	static void tname##_held(void)

PVK_GUEST_TEST(xs_read_domid_name)
{
	unsigned long domid;
	int len;

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, "domid", &domid), 0);
	PVK_CHECK_GE(domid, 1);
	len = pvk_xs_read(PVK_XBT_NIL, "name", buf, sizeof(buf));
	PVK_CHECK_GE(len, 1);
	PVK_CHECK_EQ(strlen(buf), len);
	guest_printf("xenstore: domid %lu name %s\n", domid, buf);
	/* The same through the absolute path. */
	pvk_snprintf(buf, sizeof(buf), "/local/domain/%lu/domid", domid);
	{
		unsigned long again;

		PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, buf, &again), 0);
		PVK_CHECK_EQ(again, domid);
	}
}

PVK_GUEST_TEST(xs_errors)
{
	char small[4];

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "data/pvk-no-such-node", buf, sizeof(buf)),
		     -PVK_XEN_ENOENT);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "", buf, sizeof(buf)), -PVK_XEN_EINVAL);
	/* Another domain's home is not ours to write. */
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "/local/domain/0/pvk-intruder", "x"),
		     -PVK_XEN_EACCES);
	/* A value larger than the caller's buffer. */
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-long", "longer than four"), 0);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "data/pvk-long", small, sizeof(small)),
		     -PVK_XEN_E2BIG);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-long"), 0);
}

PVK_GUEST_TEST(xs_write_read_directory_rm)
{
	int n;
	bool found = false;

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_mkdir(PVK_XBT_NIL, "data/pvk"), 0);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk/a", "hello from pvkit"), 0);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk/b", ""), 0);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "data/pvk/a", buf, sizeof(buf)), 16);
	PVK_CHECK_STR_CONTAINS(buf, "hello from pvkit");
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "data/pvk/b", buf, sizeof(buf)), 0);
	n = pvk_xs_directory(PVK_XBT_NIL, "data/pvk", buf, sizeof(buf));
	PVK_CHECK_EQ(n, 2);
	for (const char *p = buf; n--; p += strlen(p) + 1)
		if (!guest_strncmp(p, "a", 2))
			found = true;
	PVK_CHECK(found);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk"), 0);
	PVK_CHECK_RC(pvk_xs_read(PVK_XBT_NIL, "data/pvk/a", buf, sizeof(buf)),
		     -PVK_XEN_ENOENT);
}

PVK_GUEST_TEST(xs_permissions)
{
	unsigned long domid;
	char want[16], dom0_read[] = "r0";
	const char *perms[2];
	int n;

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, "domid", &domid), 0);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-perm", "x"), 0);
	n = pvk_xs_get_perms(PVK_XBT_NIL, "data/pvk-perm", buf, sizeof(buf));
	PVK_CHECK_GE(n, 1);
	/* First entry: the owner (us) and the default access. */
	pvk_snprintf(want, sizeof(want), "%lu", domid);
	PVK_CHECK(!guest_strncmp(buf + 1, want, strlen(want) + 1));
	pvk_snprintf(want, sizeof(want), "n%lu", domid);
	perms[0] = want;
	perms[1] = dom0_read;
	PVK_CHECK_RC(pvk_xs_set_perms(PVK_XBT_NIL, "data/pvk-perm", perms, 2), 0);
	n = pvk_xs_get_perms(PVK_XBT_NIL, "data/pvk-perm", buf, sizeof(buf));
	PVK_CHECK_EQ(n, 2);
	PVK_CHECK(!guest_strncmp(buf, want, strlen(want) + 1));
	PVK_CHECK(!guest_strncmp(buf + strlen(buf) + 1, "r0", 3));
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-perm"), 0);
}

/* Reads the counter inside t; on the first try, changes it behind the
 * transaction's back so the commit must conflict. */
static unsigned int tx_calls;

static int bump(pvk_xs_transaction_t t, void *arg)
{
	unsigned long v;
	char val[24];
	int rc;

	(void)arg;
	tx_calls++;
	rc = pvk_xs_read_ulong(t, "data/pvk-counter", &v);
	if (rc)
		return rc;
	if (tx_calls == 1) {
		rc = pvk_xs_write(PVK_XBT_NIL, "data/pvk-counter", "100");
		if (rc)
			return rc;
	}
	pvk_snprintf(val, sizeof(val), "%lu", v + 1);
	return pvk_xs_write(t, "data/pvk-counter", val);
}

PVK_GUEST_TEST(xs_transaction_conflict_retried)
{
	unsigned int attempts = 0;
	unsigned long v;

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-counter", "1"), 0);
	tx_calls = 0;
	PVK_CHECK_RC(pvk_xs_transaction(bump, NULL, &attempts), 0);
	guest_printf("xenstore: transaction committed after %u attempts\n", attempts);
	PVK_CHECK_EQ(attempts, 2);
	/* The retry saw the conflicting write: 100 + 1, not 1 + 1. */
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, "data/pvk-counter", &v), 0);
	PVK_CHECK_EQ(v, 101);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-counter"), 0);
}

static unsigned int watch_hits;
static char watch_last[64];

static void on_change(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	watch_hits++;
	pvk_snprintf(watch_last, sizeof(watch_last), "%s", path);
}

/* Until the callback ran n times in all, whoever delivered it: the
 * registration event may have come through the background work already,
 * in the wait for the WATCH reply. Bounded by a second. */
static bool hits_reached(unsigned int n)
{
	uint64_t deadline = pvk_time_now_ns() + SEC_NS;

	for (uint64_t now = pvk_time_now_ns(); PVK_READ_ONCE(watch_hits) < n && now < deadline;
	     now = pvk_time_now_ns())
		pvk_xs_wait_watches(deadline - now);
	return watch_hits >= n;
}

PVK_GUEST_TEST(xs_watch_own_write)
{
	static struct pvk_xs_watch w = { .path = "data/pvk-watched", .cb = on_change };
	struct pvk_xs_stats st;

	guest_events_enable();
	watch_hits = 0;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	/* Xen fires every new watch once. */
	PVK_CHECK(hits_reached(1));
	PVK_CHECK_EQ(watch_hits, 1);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-watched/leaf", "1"), 0);
	PVK_CHECK(hits_reached(2));
	PVK_CHECK_STR_CONTAINS(watch_last, "data/pvk-watched");
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	pvk_xs_run_watches();
	watch_hits = 0;
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-watched"), 0);
	PVK_CHECK_RC(pvk_xs_wait_watches(100ULL * 1000 * 1000), -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(watch_hits, 0);
	pvk_xs_get_stats(&st);
	guest_printf("xenstore: %llu requests, %llu replies, %llu watch events, %llu stray, %llu dropped, %llu overflowed, %llu index errors, %llu protocol errors\n",
		     (unsigned long long)st.requests, (unsigned long long)st.replies,
		     (unsigned long long)st.watch_events,
		     (unsigned long long)st.stray_replies,
		     (unsigned long long)st.watch_dropped,
		     (unsigned long long)st.watch_overflows,
		     (unsigned long long)st.index_errors,
		     (unsigned long long)st.protocol_errors);
	PVK_CHECK_EQ(st.protocol_errors, 0);
}

/* Nobody runs the watches: the kit's background work (port.h) delivers
 * the callback while the test only waits for its flag. */
static bool bg_seen;

static void bg_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	if (guest_strstr(path, "/leaf"))
		bg_seen = true;
}

static bool bg_flag(void *arg)
{
	return PVK_READ_ONCE(*(bool *)arg);
}

PVK_GUEST_TEST(xs_watch_background)
{
	static struct pvk_xs_watch w = { .path = "data/pvk-bg", .cb = bg_cb };
	struct pvk_wait wq;
	uint64_t t0;
	int rc;

	guest_events_enable();
	bg_seen = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-bg/leaf", "1"), 0);
	pvk_port_wait_init(&wq);
	t0 = pvk_time_now_ns();
	rc = pvk_port_wait_until(&wq, bg_flag, &bg_seen, 2 * SEC_NS);
	guest_printf("xenstore: callback delivered by background work %lu ms after the write\n",
		     ms_since(t0));
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-bg"), 0);
}

/* ---- Messages larger than a ring ----------------------------------------- */

static char big[4001];

/* The pattern of the 4,000-byte value; dom0 writes the same (the awk in
 * guest-xs-quiet.scn). */
static void big_pattern(char *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 26) % 26);
	p[n] = '\0';
}

/* xenstored refuses values over 2,048 bytes from a domU (its default
 * entry-size quota), so the guest's own value is 1,900 bytes: request and
 * reply are still both larger than a ring. */
#define OWN_VALUE	1900

PVK_GUEST_TEST(xs_value_over_ring)
{
	uint64_t t0;
	int len;

	guest_events_enable();
	big_pattern(big, OWN_VALUE);
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-big-own", big), 0);
	memset(buf, 0, sizeof(buf));
	len = pvk_xs_read(PVK_XBT_NIL, "data/pvk-big-own", buf, sizeof(buf));
	guest_printf("xenstore: %d-byte value written and read back in %lu ms\n", OWN_VALUE,
		     ms_since(t0));
	PVK_CHECK_RC(len, OWN_VALUE);
	PVK_CHECK_EQ(memcmp(buf, big, OWN_VALUE + 1), 0);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-big-own"), 0);
}

static bool big_changed;

static void big_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	big_changed = true;
}

/* A 4,000-byte value: the guest's own write of one crosses the request
 * ring (xenstored answers, with its quota's ENOSPC), dom0 writes one
 * (scenario guest-xs-quiet) and the guest reads it back. */
PVK_GUEST_TEST_XEN_EXPLICIT(xs_big_value)
{
	static struct pvk_xs_watch w = { .path = "data/pvk-big", .cb = big_cb };
	uint64_t t0, deadline;
	int rc, len = -1;

	guest_events_enable();
	big_pattern(big, 4000);
	rc = pvk_xs_write(PVK_XBT_NIL, "data/pvk-big-own", big);
	guest_printf("xenstore: own 4000-byte write: %d (xenstored's entry quota for a domU is 2048 bytes)\n",
		     rc);
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_ENOSPC);
	pvk_xs_rm(PVK_XBT_NIL, "data/pvk-big-own");
	big_changed = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	t0 = pvk_time_now_ns();
	deadline = t0 + 30 * SEC_NS;
	guest_printf("xenstore: ready for a 4000-byte value (dom0: write data/pvk-big now)\n");
	for (uint64_t now = t0; now < deadline; now = pvk_time_now_ns()) {
		pvk_xs_wait_watches(deadline - now);
		if (!big_changed)
			continue;
		big_changed = false;
		memset(buf, 0, sizeof(buf));
		len = pvk_xs_read(PVK_XBT_NIL, "data/pvk-big", buf, sizeof(buf));
		if (len == 4000)
			break;
	}
	guest_printf("xenstore: 4000-byte value from dom0 read back %lu ms after asking\n",
		     ms_since(t0));
	PVK_CHECK_RC(len, 4000);
	PVK_CHECK_EQ(memcmp(buf, big, 4001), 0);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-big"), 0);
}

#define DIR_CHILDREN	200

PVK_GUEST_TEST(xs_big_directory)
{
	static unsigned char seen[DIR_CHILDREN];
	char path[48];
	const char *p;
	uint64_t t0;
	int n, unique = 0;

	guest_events_enable();
	PVK_CHECK_RC(pvk_xs_mkdir(PVK_XBT_NIL, "data/pvk-dir"), 0);
	for (int i = 0; i < DIR_CHILDREN; i++) {
		pvk_snprintf(path, sizeof(path), "data/pvk-dir/child-%03d", i);
		PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, path, "x"), 0);
	}
	t0 = pvk_time_now_ns();
	n = pvk_xs_directory(PVK_XBT_NIL, "data/pvk-dir", buf, sizeof(buf));
	guest_printf("xenstore: listed %d children (a %u-byte reply) in %lu ms\n", n,
		     (unsigned int)(DIR_CHILDREN * sizeof("child-000")), ms_since(t0));
	PVK_CHECK_RC(n, DIR_CHILDREN);
	memset(seen, 0, sizeof(seen));
	p = buf;
	for (int i = 0; i < n; i++, p += strlen(p) + 1) {
		long k = last_number(p + 6);

		PVK_CHECK(!guest_strncmp(p, "child-", 6));
		PVK_CHECK(k >= 0 && k < DIR_CHILDREN);
		if (!seen[k]++)
			unique++;
	}
	PVK_CHECK_EQ(unique, DIR_CHILDREN);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-dir"), 0);
}

/* ---- Many requests outstanding -------------------------------------------
 * The main request is a 1,900-byte write: its wait starts with the message
 * only partly in the ring, and runs the guest's background work, which
 * makes requests of its own (queued behind it, matched by req_id) and runs
 * a watch callback that makes another. */

static int work_rc = 1, cb_rc = 1, cb_runs;
static bool work_ran;
static char cb_value[32];

static void nest_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	cb_runs++;
	cb_rc = pvk_xs_read(PVK_XBT_NIL, "data/pvk-nest/b", cb_value, sizeof(cb_value));
}

static struct pvk_xs_watch nest_watch = { .path = "data/pvk-nest/b", .cb = nest_cb };

static bool nest_work(struct pvk_work *work)
{
	(void)work;
	work_ran = true;
	work_rc = pvk_xs_write(PVK_XBT_NIL, "data/pvk-nest/b", "from-work");
	if (!work_rc)
		pvk_xs_run_watches();
	return false;
}

static struct pvk_work nest_job = { .fn = nest_work };

PVK_GUEST_TEST(xs_requests_outstanding)
{
	struct pvk_xs_stats before, after;
	int len;

	guest_events_enable();
	big_pattern(big, OWN_VALUE);
	work_ran = false;
	work_rc = cb_rc = 1;
	cb_runs = 0;
	cb_value[0] = '\0';
	PVK_CHECK_RC(pvk_xs_watch(&nest_watch), 0);
	pvk_xs_get_stats(&before);
	pvk_port_schedule_work(&nest_job);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-nest/a", big), 0);
	pvk_xs_get_stats(&after);
	guest_printf("xenstore: nested requests: work rc %d, watch callback ran %d times (rc %d, \"%s\"), at most %llu outstanding\n",
		     work_rc, cb_runs, cb_rc, cb_value,
		     (unsigned long long)after.max_outstanding);
	PVK_CHECK(work_ran);
	PVK_CHECK_RC(work_rc, 0);
	PVK_CHECK_GE(cb_runs, 1);
	PVK_CHECK_RC(cb_rc, (int)strlen("from-work"));
	PVK_CHECK_STR_CONTAINS(cb_value, "from-work");
	PVK_CHECK_GE(after.max_outstanding, 2);
	PVK_CHECK_EQ(after.protocol_errors, 0);
	PVK_CHECK_EQ(after.stray_replies, before.stray_replies);
	len = pvk_xs_read(PVK_XBT_NIL, "data/pvk-nest/a", buf, sizeof(buf));
	PVK_CHECK_RC(len, OWN_VALUE);
	PVK_CHECK_EQ(memcmp(buf, big, OWN_VALUE + 1), 0);
	PVK_CHECK_RC(pvk_xs_unwatch(&nest_watch), 0);
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-nest"), 0);
}

/* ---- Watch delivery ------------------------------------------------------- */

static unsigned int tok_hits, tok_stale;
static bool tok_seen;

static void tok_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	tok_hits++;
	tok_seen = true;
	if (guest_strstr(path, "pvk-tok-a"))
		tok_stale++;
}

/* The same struct registered again gets a new token: an event still
 * queued for its first registration is not delivered to the second. */
XS_HELD_TEST(xs_watch_token_not_reused)
{
	static struct pvk_xs_watch w = { .cb = tok_cb };
	char first[sizeof(w.token)];

	guest_events_enable();
	pvk_xs_run_watches();		/* nothing left from earlier tests */
	w.path = "data/pvk-tok-a";
	tok_seen = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	PVK_CHECK(run_watches_until(&tok_seen));	/* registration */
	memcpy(first, w.token, sizeof(first));
	/* An event for the first registration, left queued. */
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-tok-a", "1"), 0);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	w.path = "data/pvk-tok-b";
	tok_hits = tok_stale = 0;
	tok_seen = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	PVK_CHECK(!same_str(first, w.token));
	/* The stale event is queued before this registration's own. */
	run_watches_until(&tok_seen);
	guest_printf("xenstore: tokens %s then %s; %u callbacks after re-registering, %u for the old path\n",
		     first, w.token, tok_hits, tok_stale);
	PVK_CHECK_EQ(tok_stale, 0);
	PVK_CHECK_EQ(tok_hits, 1);	/* the new registration's own event */
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-tok-a"), 0);
}

/* A callback that runs watches itself: its own path argument must stay
 * what it was (no shared delivery buffer). */
static char outer_path[64];
static bool outer_kept, nested_registered;
static unsigned int nest_depth, nest_calls;

static void nested_cb(struct pvk_xs_watch *w, const char *path)
{
	if (same_str(path, w->path)) {
		nested_registered = true;
		return;
	}
	nest_calls++;
	if (nest_depth || !guest_strstr(path, "/one"))
		return;
	nest_depth++;
	pvk_snprintf(outer_path, sizeof(outer_path), "%s", path);
	pvk_xs_run_watches();		/* delivers ".../two" meanwhile */
	outer_kept = same_str(outer_path, path);
	nest_depth--;
}

XS_HELD_TEST(xs_watch_nested_delivery)
{
	static struct pvk_xs_watch w = { .path = "data/pvk-nested", .cb = nested_cb };

	guest_events_enable();
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_mkdir(PVK_XBT_NIL, "data/pvk-nested"), 0);
	nested_registered = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	PVK_CHECK(run_watches_until(&nested_registered));
	nest_calls = 0;
	outer_kept = false;
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-nested/one", "1"), 0);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-nested/two", "2"), 0);
	pvk_xs_run_watches();
	PVK_CHECK_EQ(nest_calls, 2);
	PVK_CHECK(outer_kept);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-nested"), 0);
}

/* A callback unwatches its own watch and poisons it (what a free would
 * make of it) while more events for it are queued: none is delivered and
 * the kit never touches the memory again; the test frees it after. */
static unsigned int self_calls;

static void self_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)path;
	self_calls++;
	if (pvk_xs_unwatch(w))
		return;
	memset(w, 0x5a, sizeof(*w));
}

XS_HELD_TEST(xs_watch_unwatch_in_callback)
{
	struct pvk_xs_watch *w = pvk_port_malloc(sizeof(*w));
	struct pvk_xs_stats before, after;
	unsigned char *bytes = (unsigned char *)w;
	bool poison_kept = true;

	guest_events_enable();
	pvk_xs_run_watches();
	PVK_CHECK(w != NULL);
	memset(w, 0, sizeof(*w));
	w->path = "data/pvk-self";
	w->cb = self_cb;
	self_calls = 0;
	PVK_CHECK_RC(pvk_xs_watch(w), 0);
	/* Registration event plus three more, queued (most of them). */
	for (int i = 0; i < 3; i++)
		PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-self", "x"), 0);
	pvk_xs_get_stats(&before);
	pvk_xs_run_watches();
	pvk_xs_get_stats(&after);
	for (size_t i = 0; i < sizeof(*w); i++)
		poison_kept &= bytes[i] == 0x5a;
	pvk_port_free(w);
	guest_printf("xenstore: callback unwatched itself: %u calls, %llu queued events dropped\n",
		     self_calls, (unsigned long long)(after.watch_dropped - before.watch_dropped));
	PVK_CHECK_EQ(self_calls, 1);
	/* Events still on their way are dropped later, just as well. */
	PVK_CHECK_GE(after.watch_dropped - before.watch_dropped, 1);
	PVK_CHECK(poison_kept);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-self"), 0);
}

/* A callback of watch I, run nested inside a callback of watch O,
 * unwatches O and poisons it: the unwatch must see it runs inside O's
 * callback (return at once, not wait for itself) and the outer delivery
 * must leave O alone when its callback returns. */
static struct pvk_xs_watch *outer_w;
static bool inner_armed, outer_armed, inner_acted;
static int inner_unwatch_rc = 1;

static void inner_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	if (!inner_armed || guest_strncmp(path, "data/pvk-io/inner", 32) != 0 || inner_acted)
		return;
	inner_acted = true;
	inner_unwatch_rc = pvk_xs_unwatch(outer_w);
	memset(outer_w, 0x5a, sizeof(*outer_w));
}

static void outer_cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	if (!outer_armed || guest_strncmp(path, "data/pvk-io/outer", 32) != 0)
		return;
	outer_armed = false;
	if (pvk_xs_write(PVK_XBT_NIL, "data/pvk-io/inner", "go"))
		return;
	/* Nested delivery, bounded: until I acted or 5 s passed. */
	for (int i = 0; i < 50 && !inner_acted; i++)
		pvk_xs_wait_watches(100ULL * 1000 * 1000);
}

XS_HELD_TEST(xs_watch_unwatch_outer_from_nested)
{
	struct pvk_xs_watch inner = { .path = "data/pvk-io/inner", .cb = inner_cb };
	unsigned char *bytes;
	bool poison_kept = true;

	guest_events_enable();
	pvk_xs_run_watches();
	outer_w = pvk_port_malloc(sizeof(*outer_w));
	PVK_CHECK(outer_w != NULL);
	memset(outer_w, 0, sizeof(*outer_w));
	outer_w->path = "data/pvk-io/outer";
	outer_w->cb = outer_cb;
	inner_armed = outer_armed = inner_acted = false;
	PVK_CHECK_RC(pvk_xs_watch(&inner), 0);
	PVK_CHECK_RC(pvk_xs_watch(outer_w), 0);
	/* Let both registration events go by, unarmed. */
	while (pvk_xs_wait_watches(200ULL * 1000 * 1000) > 0)
		;
	inner_armed = outer_armed = true;
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-io/outer", "go"), 0);
	for (int i = 0; i < 50 && !inner_acted; i++)
		pvk_xs_wait_watches(100ULL * 1000 * 1000);
	bytes = (unsigned char *)outer_w;
	for (size_t i = 0; i < sizeof(*outer_w); i++)
		poison_kept &= bytes[i] == 0x5a;
	pvk_port_free(outer_w);
	guest_printf("xenstore: nested unwatch of the outer watch: rc %d, outer kept poison %d\n",
		     inner_unwatch_rc, poison_kept);
	PVK_CHECK(inner_acted);
	PVK_CHECK_RC(inner_unwatch_rc, 0);
	PVK_CHECK(poison_kept);
	PVK_CHECK_RC(pvk_xs_unwatch(&inner), 0);
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-io"), 0);
}

/* More events than the queue holds: counted, reported, and the callback
 * told once to re-read, which finds every node. The re-read callback's
 * path is a copy too: the watch's own path buffer is poisoned during the
 * call (as a callback freeing its watch would) and path must not change. */
#define OVF_NODES	400

static unsigned int ovf_direct, ovf_rereads, ovf_listed, ovf_flag_wrong;
static bool ovf_armed, ovf_registered, ovf_path_kept = true;
static char ovf_path[] = "data/pvk-ovf";

static void ovf_cb(struct pvk_xs_watch *w, const char *path)
{
	if (!same_str(path, w->path)) {
		ovf_direct++;
		/* A queued event is a write seen, never the re-read. */
		ovf_flag_wrong += w->rereading;
		return;
	}
	if (!ovf_armed) {
		ovf_registered = true;
		return;
	}
	ovf_rereads++;
	/* The missed-events call says so (xenbus drivers rely on it). */
	ovf_flag_wrong += !w->rereading;
	memset(ovf_path, 'X', sizeof(ovf_path) - 1);
	if (!same_str(path, "data/pvk-ovf"))
		ovf_path_kept = false;
	memcpy(ovf_path, "data/pvk-ovf", sizeof(ovf_path));
	{
		int n = pvk_xs_directory(PVK_XBT_NIL, w->path, buf, sizeof(buf));

		ovf_listed = n < 0 ? 0 : (unsigned int)n;
	}
}

XS_HELD_TEST(xs_watch_queue_overflow)
{
	static struct pvk_xs_watch w = { .path = ovf_path, .cb = ovf_cb };
	struct pvk_xs_stats before, after;
	char path[40];

	guest_events_enable();
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_mkdir(PVK_XBT_NIL, "data/pvk-ovf"), 0);
	ovf_armed = ovf_registered = false;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	PVK_CHECK(run_watches_until(&ovf_registered));
	ovf_direct = ovf_rereads = ovf_listed = ovf_flag_wrong = 0;
	ovf_path_kept = true;
	ovf_armed = true;
	pvk_xs_get_stats(&before);
	/* Nobody runs the watches meanwhile: the queue fills. */
	for (int i = 0; i < OVF_NODES; i++) {
		pvk_snprintf(path, sizeof(path), "data/pvk-ovf/%d", i);
		PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, path, "x"), 0);
	}
	/* Until every event is accounted for (the last may trail its reply). */
	for (uint64_t now = pvk_time_now_ns(), end = now + 2 * SEC_NS;
	     now < end && (ovf_direct + w.missed < OVF_NODES || !ovf_rereads);
	     now = pvk_time_now_ns())
		pvk_xs_wait_watches(end - now);
	pvk_xs_get_stats(&after);
	guest_printf("xenstore: %d events into a %u-byte queue: %u delivered, %llu lost (watch says %llu), %u re-read callbacks listing %u nodes\n",
		     OVF_NODES, (unsigned int)PVK_XS_WATCH_QUEUE_BYTES, ovf_direct,
		     (unsigned long long)(after.watch_overflows - before.watch_overflows),
		     (unsigned long long)w.missed, ovf_rereads, ovf_listed);
	PVK_CHECK_GT(after.watch_overflows, before.watch_overflows);
	PVK_CHECK_EQ(w.missed, after.watch_overflows - before.watch_overflows);
	PVK_CHECK_EQ(ovf_direct + w.missed, OVF_NODES);
	PVK_CHECK_GE(ovf_rereads, 1);
	/* w->rereading true on every re-read and on no queued event. */
	PVK_CHECK_EQ(ovf_flag_wrong, 0);
	PVK_CHECK(ovf_path_kept);
	PVK_CHECK_EQ(ovf_listed, OVF_NODES);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-ovf"), 0);
}

/* ---- A burst from dom0 (scenario guest-xs-quiet) --------------------------- */

#define BURST		500
#define BURST_WAIT_NS	(60 * SEC_NS)

static unsigned char burst_seen[BURST];
static unsigned int burst_count, burst_direct, burst_rereads, burst_bad, burst_checked;

/* Records node n of the burst once; every tenth node's value is read and
 * must be "v<n>" (reading all 500 would mostly time dom0's xenstored). */
static void burst_mark(long n)
{
	char path[40], value[16], want[16];

	if (n < 0 || n >= BURST || burst_seen[n])
		return;
	if (n % 10 == 0) {
		pvk_snprintf(path, sizeof(path), "data/burst/%ld", n);
		pvk_snprintf(want, sizeof(want), "v%ld", n);
		if (pvk_xs_read(PVK_XBT_NIL, path, value, sizeof(value)) < 0 ||
		    !same_str(value, want))
			burst_bad++;
		burst_checked++;
	}
	burst_seen[n] = 1;
	burst_count++;
}

static void burst_cb(struct pvk_xs_watch *w, const char *path)
{
	const char *p;
	int n;

	if (!same_str(path, w->path)) {
		burst_direct++;
		burst_mark(last_number(path));
		return;
	}
	/* Registration, or events were lost: read the directory again. */
	burst_rereads++;
	n = pvk_xs_directory(PVK_XBT_NIL, w->path, buf, sizeof(buf));
	p = buf;
	for (int i = 0; i < n; i++, p += strlen(p) + 1)
		burst_mark(last_number(p));
}

PVK_GUEST_TEST_XEN_EXPLICIT(xs_watch_burst)
{
	static struct pvk_xs_watch w = { .path = "data/burst", .cb = burst_cb };
	struct pvk_xs_stats st;
	uint64_t t0, deadline;

	guest_events_enable();
	memset(burst_seen, 0, sizeof(burst_seen));
	burst_count = burst_direct = burst_rereads = burst_bad = burst_checked = 0;
	PVK_CHECK_RC(pvk_xs_mkdir(PVK_XBT_NIL, "data/burst"), 0);
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	/* Its registration event (a re-read), whoever delivers it: the
	 * background work may have in the WATCH reply's wait. */
	for (uint64_t now = pvk_time_now_ns(), end = now + SEC_NS;
	     !PVK_READ_ONCE(burst_rereads) && now < end; now = pvk_time_now_ns())
		pvk_xs_wait_watches(end - now);
	PVK_CHECK_GE(burst_rereads, 1);
	t0 = pvk_time_now_ns();
	deadline = t0 + BURST_WAIT_NS;
	guest_printf("xenstore: ready for a burst of %d watch events (dom0: write them now)\n", BURST);
	for (uint64_t now = t0; burst_count < BURST && now < deadline;
	     now = pvk_time_now_ns())
		pvk_xs_wait_watches(deadline - now);
	pvk_xs_get_stats(&st);
	guest_printf("xenstore: burst: %u of %d nodes seen in %lu ms (%u by their own event, %u directory re-reads, %llu events lost to a full queue; %u of %u values read were bad)\n",
		     burst_count, BURST, ms_since(t0), burst_direct, burst_rereads,
		     (unsigned long long)w.missed, burst_bad, burst_checked);
	PVK_CHECK_EQ(burst_count, BURST);
	PVK_CHECK_EQ(burst_bad, 0);
	PVK_CHECK_EQ(burst_checked, BURST / 10);
	PVK_CHECK_EQ(st.protocol_errors, 0);
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	pvk_xs_run_watches();
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/burst"), 0);
}

#endif /* CONFIG_PVK_XENBUS */
