/*
 * tests/guest/cases/xenstore.c - the kit's xenstore client against the
 * real xenstored in dom0.
 *
 * What the toolstack put in our home (/local/domain/<domid>): domid and
 * name; data/ is ours to write. Each test cleans up what it wrote.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#ifdef CONFIG_PVK_XENBUS

static char buf[PVK_XENSTORE_PAYLOAD_MAX + 1];

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

PVK_GUEST_TEST(xs_watch_own_write)
{
	static struct pvk_xs_watch w = { .path = "data/pvk-watched", .cb = on_change };
	struct pvk_xs_stats st;

	guest_events_enable();
	watch_hits = 0;
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	/* Xen fires every new watch once. */
	PVK_CHECK_GE(pvk_xs_wait_watches(1000ULL * 1000 * 1000), 1);
	PVK_CHECK_EQ(watch_hits, 1);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/pvk-watched/leaf", "1"), 0);
	PVK_CHECK_GE(pvk_xs_wait_watches(1000ULL * 1000 * 1000), 1);
	PVK_CHECK_GE(watch_hits, 2);
	PVK_CHECK_STR_CONTAINS(watch_last, "data/pvk-watched");
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	pvk_xs_run_watches();
	watch_hits = 0;
	PVK_CHECK_RC(pvk_xs_rm(PVK_XBT_NIL, "data/pvk-watched"), 0);
	PVK_CHECK_RC(pvk_xs_wait_watches(100ULL * 1000 * 1000), -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(watch_hits, 0);
	pvk_xs_get_stats(&st);
	guest_printf("xenstore: %llu requests, %llu replies, %llu watch events, %llu stray, %llu dropped, %llu protocol errors\n",
		     (unsigned long long)st.requests, (unsigned long long)st.replies,
		     (unsigned long long)st.watch_events,
		     (unsigned long long)st.stray_replies,
		     (unsigned long long)st.watch_dropped,
		     (unsigned long long)st.protocol_errors);
	PVK_CHECK_EQ(st.protocol_errors, 0);
}

#endif /* CONFIG_PVK_XENBUS */
