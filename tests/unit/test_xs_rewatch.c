/*
 * tests/unit/test_xs_rewatch.c - a watch registration that spans a resume
 * in a new domain (frontends/xenbus/xs_watch.c: pvk_xs_watch() and
 * pvk_xs_rewatch_all()), against a xenstored played here that forgets
 * every watch at the resume. Whatever became of the registration's own
 * request (answered by the old xenstored, taken by it and never answered,
 * or held and sent to the new one), the new xenstored must have the watch
 * and the caller must hear success; a registration that simply failed
 * still fails. The file is included with its exported names changed, so
 * that the xenstore names other tests play stay theirs.
 */
#define pvk_xs_watch_event	rw_watch_event
#define pvk_xs_watch		rw_watch
#define pvk_xs_unwatch		rw_unwatch
#define pvk_xs_rewatch_all	rw_rewatch_all
#define pvk_xs_worker_enter	rw_worker_enter
#define pvk_xs_worker_leave	rw_worker_leave
#define pvk_xs_run_watches	rw_run_watches
#define pvk_xs_wait_watches	rw_wait_watches
#define pvk_xs_request		rw_request
#define pvk_xs_resumes		rw_resumes
#define pvk_xs_counters		rw_counters
#define pvk_xs_waitq		rw_waitq
#include "frontends/xenbus/xs_watch.c"

#include <string.h>

#include "unit.h"

struct pvk_xs_stats rw_counters;
struct pvk_wait rw_waitq;

/* The played xenstored: the tokens it watches (the new one after a
 * resume knows none), and what the registration's own request meets. */
enum fate {
	ANSWERED_BY_OLD,	/* the old xenstored answered it, then the resume */
	TAKEN_NOT_ANSWERED,	/* the old one read it, the resume fails it: EIO */
	HELD_TO_NEW,		/* held, sent to the new one after the rewatch */
	REFUSED,		/* no resume: xenstored says EIO */
};

static struct {
	char token[8][32];
	unsigned int nr;
	unsigned int watches_sent;
	uint64_t resumes;
	bool in_resume;
	enum fate fate;
	int rewatch_failed;
} xsd;

static bool xsd_has(const char *token)
{
	for (unsigned int i = 0; i < xsd.nr; i++)
		if (!strcmp(xsd.token[i], token))
			return true;
	return false;
}

/* WATCH on the xenstored of now: registered, or EEXIST for a token it has. */
static int xsd_watch(const char *token)
{
	xsd.watches_sent++;
	if (xsd_has(token))
		return -PVK_XEN_EEXIST;
	CHECK(xsd.nr < 8);
	strcpy(xsd.token[xsd.nr++], token);
	return 0;
}

/* A resume in a new domain, as suspend/ plays it: the new xenstored
 * knows no watch; the new-domain count moves; every listed watch is
 * registered again. */
static void resume_new_domain(void)
{
	xsd.in_resume = true;
	xsd.nr = 0;
	xsd.resumes++;
	xsd.rewatch_failed = rw_rewatch_all();
	xsd.in_resume = false;
}

uint64_t rw_resumes(void)
{
	return xsd.resumes;
}

int rw_request(uint32_t type, pvk_xs_transaction_t t, const char *const *parts,
	       const uint32_t *lens, unsigned int nr, char *out, size_t out_size)
{
	(void)t; (void)lens; (void)out; (void)out_size;
	CHECK_EQ(nr, 2);
	if (type == PVK_XS_UNWATCH)
		return 0;
	CHECK_EQ(type, PVK_XS_WATCH);
	if (xsd.in_resume)
		return xsd_watch(parts[1]);	/* the rewatch's own */
	switch (xsd.fate) {
	case ANSWERED_BY_OLD: {
		int rc = xsd_watch(parts[1]);

		resume_new_domain();
		return rc;
	}
	case TAKEN_NOT_ANSWERED:
		resume_new_domain();
		return -PVK_XEN_EIO;
	case HELD_TO_NEW:
		resume_new_domain();
		return xsd_watch(parts[1]);
	case REFUSED:
		return -PVK_XEN_EIO;
	}
	return -PVK_XEN_EINVAL;
}

static void never_called(struct pvk_xs_watch *w, const char *path)
{
	(void)w; (void)path;
}

/* The watch a host registers from its main thread (the balloon's, say). */
static struct pvk_xs_watch target = { .path = "memory/target", .cb = never_called };

static void registers(enum fate fate, int want_rc)
{
	memset(&xsd, 0, sizeof(xsd));
	xsd.fate = fate;
	CHECK_EQ(rw_watch(&target), want_rc);
	CHECK_EQ(xsd.rewatch_failed, 0);
}

/*
 * Review s12 S1: the registration's reply came from the old xenstored,
 * then the guest moved before pvk_xs_watch() had taken it in. Only the
 * rewatch can reach the new xenstored: it must send this watch too.
 */
UNIT_TEST(xs_rewatch_sends_a_watch_the_old_xenstored_answered)
{
	registers(ANSWERED_BY_OLD, 0);
	CHECK(xsd_has(target.token));
	CHECK_EQ(xsd.watches_sent, 2);
	CHECK_EQ(rw_unwatch(&target), 0);
}

/* The old xenstored took the request and never answered: the resume fails
 * it with EIO, but the rewatch sent the watch, so it is registered and
 * stays listed (its events find it). */
UNIT_TEST(xs_rewatch_eio_across_a_resume_is_registered)
{
	registers(TAKEN_NOT_ANSWERED, 0);
	CHECK(xsd_has(target.token));
	CHECK_EQ(rw_unwatch(&target), 0);	/* listed: ENOENT otherwise */
}

/* Held by the suspend and sent to the new xenstored after the rewatch:
 * EEXIST there, which is success (review s11-core #4). */
UNIT_TEST(xs_rewatch_held_registration_meets_eexist)
{
	registers(HELD_TO_NEW, 0);
	CHECK(xsd_has(target.token));
	CHECK_EQ(xsd.watches_sent, 2);
	CHECK_EQ(rw_unwatch(&target), 0);
}

/* No resume: an EIO is a failure, and the watch is not left listed. */
UNIT_TEST(xs_rewatch_eio_without_a_resume_fails)
{
	registers(REFUSED, -PVK_XEN_EIO);
	CHECK(!xsd_has(target.token));
	CHECK_EQ(rw_unwatch(&target), -PVK_XEN_ENOENT);
}
