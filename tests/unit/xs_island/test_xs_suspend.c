/*
 * tests/unit/xs_island/test_xs_suspend.c - the xenstore client's suspend
 * (frontends/xenbus/xenstore.c, xs_watch.c) on a ring in host memory,
 * with xenstored played by the waits.
 *
 * Those two files own state other unit tests play (the watch worker
 * role, pvk_xs_watch(), pvk_xs_suspend() ...), so they cannot join the
 * unit binary as they are: unit.mk links them with this file into one
 * object whose own symbols are all made local (an island), so the rest
 * of the binary keeps its played versions and this file's stand-ins
 * (the port's waits and locks, the event channel) serve the island only.
 * What the island needs from the kit otherwise (the ring code, xs_txn.c,
 * the log) is the binary's real one.
 *
 * The played xenstored runs inside the waits, one step per turn, until
 * the condition holds or its bound has passed (below). Each step reads whole requests
 * from the request ring (when it reads at all; one a turn with
 * peer.one), records them, answers
 * "OK" (when it answers) and raises the event (when it does), as the
 * real one does through our port. A test may give a wait one action to
 * run instead of a step (hook): a suspend or a resume arriving while a
 * caller waits, as suspend/ runs them from the watch worker.
 *
 * The kit clock is played too (now_ns), moved by a test's action (a
 * suspend's downtime) and by peer.tick_ns each turn of a wait (a slow
 * xenstored, test_xs_many.c). A wait whose timeout_ns that clock passed
 * gives up as a real port's would, when its condition next fails, and a
 * wait with timeout_ns 0 checks its condition once: so the bounds the
 * client computes are tested, on the played clock. A wait whose clock
 * did not move gives up after TURNS turns.
 *
 * What the island cannot catch: its locks do nothing (one thread), so a
 * lock mistake in xenstore.c or xs_watch.c passes here.
 * unit.mk checks that every kit call the island leaves open binds to a
 * real kit object, never to another test's played version.
 */
#include <stdlib.h>
#include <string.h>
#include <pvkit/events.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_client.h"
#include "tests/unit/unit.h"
#include "tests/unit/xs_island/island.h"

/* ---- stand-ins, island only ------------------------------------------- */

struct pvk_xenstore_domain_interface ring;
static pvk_evtchn_handler_t handler;
static void *handler_arg;
static pvk_evtchn_port_t handler_port;
static unsigned int kicks;

struct island_peer peer;
void (*hook)(void);	/* the next wait's turn runs it, once */
uint64_t now_ns;	/* the played kit clock */

uint64_t pvk_time_now_ns(void)
{
	return now_ns;
}
/* Runs once when a wait's condition has held, before the wait returns:
 * another thread of the same CPU that runs between the condition and
 * what its waiter does next (a host whose threads share a CPU). */
static void (*after)(void);

#define TURNS	64

struct seen_msg seen[64];
unsigned int nr_seen;

int pvk_evtchn_set_handler(pvk_evtchn_port_t port, pvk_evtchn_handler_t fn, void *arg)
{
	handler_port = port;
	handler = fn;
	handler_arg = arg;
	return 0;
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	(void)port;
	kicks++;
	return 0;
}

void pvk_port_lock_init(struct pvk_lock *l) { (void)l; }
/* Runs once at the locks_to_action'th lock taken after the wait that
 * timed out the timeouts_to_lock'th time from now: an upcall of another
 * CPU (pump()) that gets xs_lock first, just before that lock. */
static void (*lock_action)(void);
static void (*on_timeout_lock)(void);
static unsigned int timeouts_to_lock, locks_to_action;

void pvk_port_lock(struct pvk_lock *l)
{
	void (*a)(void) = lock_action;

	(void)l;
	if (!a || --locks_to_action)
		return;
	lock_action = NULL;
	a();
}

static int timed_out(void)
{
	if (on_timeout_lock && !--timeouts_to_lock) {
		lock_action = on_timeout_lock;
		on_timeout_lock = NULL;
	}
	return -PVK_XEN_ETIMEDOUT;
}

void pvk_port_unlock(struct pvk_lock *l) { (void)l; }
void pvk_port_wait_init(struct pvk_wait *w) { (void)w; }
void pvk_port_wake(struct pvk_wait *w) { (void)w; }
void pvk_port_schedule_work(struct pvk_work *w) { (void)w; }
void *pvk_port_malloc(size_t n) { return malloc(n); }
void pvk_port_free(void *p) { free(p); }

static void ring_get(uint32_t at, void *dst, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		((char *)dst)[i] = ring.req[PVK_MASK_XENSTORE_IDX(at + i)];
}

static void rsp_put(const void *src, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		ring.rsp[PVK_MASK_XENSTORE_IDX(ring.rsp_prod + i)] = ((const char *)src)[i];
	ring.rsp_prod += len;
}

/* An answer of a turn, kept until the turn sends them (peer.reverse). */
struct answer {
	struct pvk_xsd_sockmsg h;
	char body[64];
};

/* The answer to request h whose body (NUL-terminated) is in m. */
static bool answer_for(const struct pvk_xsd_sockmsg *h, const struct seen_msg *m,
		       struct answer *a)
{
	const char *body = "OK";

	if (!peer.answers || (peer.lost && !strcmp(m->body, peer.lost)))
		return false;
	a->h = *h;
	if (peer.refuse_watch && h->type == PVK_XS_WATCH) {
		a->h.type = PVK_XS_ERROR;
		body = "ENOSPC";
	} else if (h->type == PVK_XS_TRANSACTION_START) {
		body = "7";	/* xenstored's transaction id */
	} else if (h->type == PVK_XS_READ && peer.enoent && !strcmp(m->body, peer.enoent)) {
		a->h.type = PVK_XS_ERROR;
		body = "ENOENT";
	} else if (h->type == PVK_XS_READ && peer.echo) {
		body = m->body;
	}
	a->h.len = (uint32_t)strlen(body) + 1;
	memcpy(a->body, body, a->h.len);
	return true;
}

static void answer_put(const struct answer *a)
{
	if (peer.stray) {
		struct pvk_xsd_sockmsg h = a->h;

		h.req_id += 0x10000;
		h.tx_id += 1;
		h.len = sizeof("stray");
		rsp_put(&h, sizeof(h));
		rsp_put("stray", h.len);
	}
	rsp_put(&a->h, sizeof(a->h));
	rsp_put(a->body, a->h.len);
}

/* One turn of the played xenstored. */
static void peer_step(void)
{
	uint32_t cons = ring.req_cons;
	struct answer ans[PVK_XS_MANY_MAX + 1];
	unsigned int nr_ans = 0;

	while (peer.reads && ring.req_prod - cons >= sizeof(struct pvk_xsd_sockmsg) &&
	       nr_ans < PVK_ARRAY_SIZE(ans)) {
		struct pvk_xsd_sockmsg h;
		struct seen_msg *m = &seen[nr_seen < 64 ? nr_seen : 63];

		ring_get(cons, &h, sizeof(h));
		if (ring.req_prod - cons < sizeof(h) + h.len) {
			if (peer.swallow)
				cons = ring.req_prod;
			break;
		}
		m->type = h.type;
		memset(m->body, 0, sizeof(m->body));
		ring_get(cons + sizeof(h), m->body,
			 h.len < sizeof(m->body) - 1 ? h.len : sizeof(m->body) - 1);
		nr_seen += nr_seen < 64;
		cons += sizeof(h) + h.len;
		nr_ans += answer_for(&h, m, &ans[nr_ans]);
		if (peer.one)
			break;
	}
	for (unsigned int i = 0; i < nr_ans; i++)
		answer_put(&ans[peer.reverse ? nr_ans - 1 - i : i]);
	ring.req_cons = cons;
	if (peer.events && handler)
		handler(handler_port, handler_arg);
}

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	uint64_t t0 = now_ns;

	(void)w;
	for (unsigned int t = 0; t < TURNS; t++) {
		/* The clock passed the deadline (an action or a tick moved
		 * it), or there was none: checked once, as a real port's. */
		if ((now_ns != t0 || !timeout_ns) && now_ns - t0 >= timeout_ns && !cond(arg))
			return timed_out();
		if (cond(arg)) {
			if (after) {
				void (*a)(void) = after;

				after = NULL;
				a();
			}
			return 0;
		}
		if (hook) {
			void (*h)(void) = hook;

			hook = NULL;
			h();
			continue;
		}
		peer_step();
		now_ns += peer.tick_ns;
	}
	return cond(arg) ? 0 : timed_out();
}

/* ---- helpers ----------------------------------------------------------- */

void island_up(void)
{
	memset(&ring, 0, sizeof(ring));
	peer = (struct island_peer){ .reads = true, .answers = true, .events = true };
	nr_seen = 0;
	hook = NULL;
	after = NULL;
	lock_action = NULL;
	on_timeout_lock = NULL;
	unit_log_clear();
	CHECK_EQ(pvk_xs_init(&ring, 5), 0);
}

/* WATCH requests xenstored got for token. */
static unsigned int watches_sent(const char *token)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr_seen; i++) {
		const char *tok = seen[i].body + strlen(seen[i].body) + 1;

		n += seen[i].type == PVK_XS_WATCH && strcmp(tok, token) == 0;
	}
	return n;
}

static void cb(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
}

static int rewatch_failed = -1;

/* suspend/'s resume in a new domain, as it runs while a caller waits. */
static void resume_now(void)
{
	uint64_t lost;

	CHECK_EQ(pvk_xs_resume(6, &lost), 0);
	CHECK_EQ(lost, 0);
	rewatch_failed = pvk_xs_rewatch_all();
}

static int suspend_rc = 1;

static void suspend_now(void)
{
	suspend_rc = pvk_xs_suspend(1);
}

static int read_key(const char *key, char *out, size_t size)
{
	const char *parts[] = { key };
	uint32_t lens[] = { (uint32_t)strlen(key) + 1 };

	return pvk_xs_request(PVK_XS_READ, PVK_XBT_NIL, parts, lens, 1, out, size);
}

/* Messages of a type xenstored got. */
unsigned int sent_of(uint32_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr_seen; i++)
		n += seen[i].type == type;
	return n;
}

static int txn_start(pvk_xs_transaction_t *t)
{
	const char *parts[] = { "" };
	uint32_t lens[] = { 1 };
	char buf[24];
	unsigned long h;
	int rc;

	rc = pvk_xs_request(PVK_XS_TRANSACTION_START, PVK_XBT_NIL, parts, lens, 1,
			    buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (pvk_xs_parse_ulong(buf, &h))
		return -PVK_XEN_EIO;
	*t = (pvk_xs_transaction_t)h;
	return 0;
}

static int txn_write(pvk_xs_transaction_t t, const char *key)
{
	const char *parts[] = { key, "v" };
	uint32_t lens[] = { (uint32_t)strlen(key) + 1, 1 };

	return pvk_xs_request(PVK_XS_WRITE, t, parts, lens, 2, NULL, 0);
}

static int txn_end(pvk_xs_transaction_t t)
{
	const char *parts[] = { "T" };
	uint32_t lens[] = { 2 };

	return pvk_xs_request(PVK_XS_TRANSACTION_END, t, parts, lens, 1, NULL, 0);
}

/* ---- tests ------------------------------------------------------------- */

/*
 * A watch registered while the suspend holds requests: its WATCH waits,
 * the resume in a new domain registers every listed watch again, this
 * one too (review s12 S1: skipping it lost a watch whose reply the old
 * xenstored had already given), then its own WATCH goes to the new
 * xenstored as well, a duplicate that counts as registered: two WATCHes
 * for it, the call 0. The watch of before is sent again, once.
 */
UNIT_TEST(xs_suspend_held_watch_reaches_the_new_xenstored)
{
	static struct pvk_xs_watch before = { .path = "backend", .cb = cb };
	static struct pvk_xs_watch held = { .path = "device", .cb = cb };

	island_up();
	CHECK_EQ(pvk_xs_watch(&before), 0);
	CHECK_EQ(watches_sent(before.token), 1);
	CHECK_EQ(pvk_xs_suspend(1), 0);
	hook = resume_now;	/* arrives while held's WATCH waits */
	CHECK_EQ(pvk_xs_watch(&held), 0);
	CHECK(hook == NULL);	/* the resume ran inside that wait */
	CHECK_EQ(rewatch_failed, 0);
	CHECK_EQ(watches_sent(before.token), 2);
	CHECK_EQ(watches_sent(held.token), 2);
}

/*
 * The suspend arrives while a request sits in the ring unread (xenstored
 * asleep): the new xenstored would read it after its caller heard EIO, so
 * the suspend is refused, and what it held goes on. Read but not
 * answered, the same request lets the suspend through.
 */
UNIT_TEST(xs_suspend_refused_while_request_bytes_unread)
{
	char out[8];

	island_up();
	peer.reads = false;
	hook = suspend_now;
	CHECK_EQ(read_key("a", out, sizeof(out)), -PVK_XEN_ETIMEDOUT);
	CHECK_EQ(suspend_rc, -PVK_XEN_EBUSY);
	CHECK(unit_log_has("suspend refused"));
	/* Not held any more: a request goes through. */
	peer.reads = true;
	CHECK_EQ(read_key("b", out, sizeof(out)), 3);

	/* Read, not answered: nothing left for a new xenstored to read. */
	peer.answers = false;
	suspend_rc = 1;
	hook = suspend_now;
	CHECK_EQ(read_key("c", out, sizeof(out)), -PVK_XEN_ETIMEDOUT);
	CHECK_EQ(suspend_rc, 0);
	pvk_xs_suspend_cancel();
}

/*
 * A message half written (bigger than the ring, xenstored read what was
 * there but raised no event, so the rest never went): the suspend cannot
 * wait it out and is refused; a message is never cut by a suspend.
 */
UNIT_TEST(xs_suspend_refused_with_a_message_half_written)
{
	static char big[2000];
	const char *parts[] = { big };
	uint32_t lens[] = { sizeof(big) };

	island_up();
	memset(big, 'k', sizeof(big) - 1);
	peer.events = false;
	peer.swallow = true;
	hook = suspend_now;
	CHECK(pvk_xs_request(PVK_XS_WRITE, PVK_XBT_NIL, parts, lens, 1, NULL, 0) < 0);
	CHECK_EQ(ring.req_cons, ring.req_prod);	/* all it wrote was read */
	CHECK_EQ(suspend_rc, -PVK_XEN_EBUSY);
	CHECK(unit_log_has("suspend refused"));
}

/*
 * The role's try (timeout 0, for background work run inside waits): it
 * takes the role only when nobody holds it, this CPU included, where a
 * bounded enter nests on this CPU's holder (review s12-harden S1).
 */
UNIT_TEST(xs_worker_try_never_nests_on_a_holder)
{
	island_up();
	CHECK_EQ(pvk_xs_worker_enter(0), 0);
	pvk_xs_worker_leave();
	CHECK_EQ(pvk_xs_worker_enter(1000000000ULL), 0);	/* a holder */
	CHECK_EQ(pvk_xs_worker_enter(0), -PVK_XEN_EBUSY);
	CHECK_EQ(pvk_xs_worker_enter(1000000000ULL), 0);	/* nests */
	pvk_xs_worker_leave();
	pvk_xs_worker_leave();
	CHECK_EQ(pvk_xs_worker_enter(0), 0);			/* free again */
	pvk_xs_worker_leave();
}

/*
 * Review s12 S2's wiring (s12-revfix SF-4): the quiesce waits for a
 * transaction open elsewhere, and that transaction's requests pass the
 * hold: its WRITE and END go through while the suspend waits, and the
 * suspend is then quiet in time. A new START waits for the suspend.
 */
static pvk_xs_transaction_t open_t;
static int w_rc = 1, e_rc = 1, s_rc = 1;

static void txn_finishes(void)
{
	pvk_xs_transaction_t t2;

	w_rc = txn_write(open_t, "k");
	e_rc = txn_end(open_t);
	s_rc = txn_start(&t2);
}

UNIT_TEST(xs_suspend_open_transaction_ends_through_the_hold)
{
	island_up();
	CHECK_EQ(txn_start(&open_t), 0);
	hook = txn_finishes;	/* runs inside the quiesce's wait */
	CHECK_EQ(pvk_xs_suspend(1), 0);
	CHECK(hook == NULL);
	CHECK_EQ(w_rc, 3);
	CHECK_EQ(e_rc, 3);
	CHECK(!unit_log_has("gave up waiting"));
	CHECK(s_rc < 0);	/* a START waits for the suspend */
	CHECK_EQ(sent_of(PVK_XS_TRANSACTION_START), 1);
	CHECK_EQ(sent_of(PVK_XS_TRANSACTION_END), 1);
	pvk_xs_suspend_cancel();
}

/*
 * s12-revfix SF-1: the quiesce counts a transaction as beneath while its
 * WRITE is answered but its caller has not run yet; if that caller's END
 * runs between "quiet" and the freeze (another thread of this CPU), the
 * END must stay queued, unsent: the old xenstored must not commit what
 * a new domain will report as EIO.
 * Review s12-int M1: the suspend is then cancelled after a downtime
 * longer than a reply's bound (`xl save -c` of a big guest); the END goes
 * out at the cancel and its caller gets xenstored's answer, not ETIMEDOUT
 * (the downtime is not charged to its wait), and its transaction is over:
 * the next quiesce does not wait for it.
 */
static unsigned int end_sent_while_frozen = 99;

static void downtime_then_cancel(void)
{
	end_sent_while_frozen = sent_of(PVK_XS_TRANSACTION_END);
	now_ns += 2 * PVK_XS_TIMEOUT_NS;	/* paused, the clock jumps */
	pvk_xs_suspend_cancel();		/* the END goes into the ring */
}

static void end_now(void)
{
	hook = downtime_then_cancel;	/* while the END waits */
	e_rc = txn_end(open_t);
}

static void suspend_then_end(void)
{
	after = end_now;	/* between the quiesce's "quiet" and its return */
	suspend_rc = pvk_xs_suspend(1);
}

UNIT_TEST(xs_suspend_end_after_quiet_is_not_sent)
{
	island_up();
	CHECK_EQ(txn_start(&open_t), 0);
	hook = suspend_then_end;	/* while the transaction's WRITE waits */
	e_rc = 1;
	suspend_rc = 1;
	CHECK_EQ(txn_write(open_t, "k"), 3);
	CHECK(after == NULL);		/* the END ran */
	CHECK(hook == NULL);		/* the cancel ran inside its wait */
	CHECK_EQ(suspend_rc, 0);
	CHECK_EQ(end_sent_while_frozen, 0);	/* held unsent until the cancel */
	CHECK_EQ(e_rc, 3);		/* xenstored's answer, not ETIMEDOUT */
	CHECK_EQ(sent_of(PVK_XS_TRANSACTION_END), 1);
	pvk_xs_suspend_cancel();
	unit_log_clear();
	CHECK_EQ(pvk_xs_suspend(1), 0);	/* nothing open to wait for */
	CHECK(!unit_log_has("gave up waiting"));
	pvk_xs_suspend_cancel();
}

/*
 * Review s12-int S1: an END whose reply never comes (xenstored read it,
 * then nothing) times out; its transaction must not stay open on our
 * side, or every later quiesce waits its whole bound for it. A late
 * reply is then a stray.
 */
UNIT_TEST(xs_timed_out_end_does_not_keep_its_transaction_open)
{
	pvk_xs_transaction_t t;

	island_up();
	CHECK_EQ(txn_start(&t), 0);
	peer.answers = false;
	CHECK_EQ(txn_end(t), -PVK_XEN_ETIMEDOUT);
	peer.answers = true;
	unit_log_clear();
	CHECK_EQ(pvk_xs_suspend(1), 0);
	CHECK(!unit_log_has("gave up waiting"));
	pvk_xs_suspend_cancel();
}

/*
 * s12-revfix SF-2(a): a registration the old xenstored took and never
 * answered fails with EIO at the resume; the resume's rewatch of it is
 * refused by the new xenstored (ENOSPC): the call must say so, not 0, and
 * the watch is unlisted (a later resume sends nothing for it).
 */
static uint64_t lost_at_resume;

static void suspend_then_refusing_resume(void)
{
	CHECK_EQ(pvk_xs_suspend(1), 0);	/* gives up on the unanswered WATCH */
	peer.answers = true;
	peer.refuse_watch = true;
	CHECK_EQ(pvk_xs_resume(6, &lost_at_resume), 0);
	rewatch_failed = pvk_xs_rewatch_all();
}

UNIT_TEST(xs_suspend_eio_registration_whose_rewatch_failed_fails)
{
	static struct pvk_xs_watch w = { .path = "device", .cb = cb };

	island_up();
	peer.answers = false;	/* the old xenstored reads it, never answers */
	hook = suspend_then_refusing_resume;
	CHECK(pvk_xs_watch(&w) < 0);
	CHECK(hook == NULL);
	CHECK_EQ(rewatch_failed, 1);
	CHECK_EQ(watches_sent(w.token), 2);	/* its own and the rewatch's */
	/* Unlisted: the next rewatch sends nothing for it. */
	peer.refuse_watch = false;
	CHECK_EQ(pvk_xs_rewatch_all(), 0);
	CHECK_EQ(watches_sent(w.token), 2);
}

/*
 * Review s13-int S1, the merged order: a registration the old xenstored
 * took and never answered fails with EIO at the resume, and its caller
 * runs again while the parts resume, before the rewatch (suspend.c runs
 * it after them). The call sends the WATCH once more to the new
 * xenstored and succeeds; the later rewatch meets EEXIST for it (the
 * played xenstored answers OK to a duplicate: success either way), and
 * it stays listed.
 */
static void suspend_then_resume_without_rewatch(void)
{
	uint64_t lost;

	CHECK_EQ(pvk_xs_suspend(1), 0);	/* gives up on the unanswered WATCH */
	peer.answers = true;
	CHECK_EQ(pvk_xs_resume(6, &lost), 0);
}

UNIT_TEST(xs_suspend_eio_registration_before_the_rewatch_is_sent_again)
{
	static struct pvk_xs_watch w = { .path = "device", .cb = cb };

	island_up();
	peer.answers = false;	/* the old xenstored reads it, never answers */
	hook = suspend_then_resume_without_rewatch;
	CHECK_EQ(pvk_xs_watch(&w), 0);
	CHECK(hook == NULL);
	CHECK_EQ(watches_sent(w.token), 2);	/* its own to each xenstored */
	/* The rewatch after the parts: sent, and w is still listed. */
	CHECK_EQ(pvk_xs_rewatch_all(), 0);
	CHECK_EQ(watches_sent(w.token), 3);
	CHECK_EQ(pvk_xs_unwatch(&w), 0);
}

/*
 * Review s13-int S2: a batch's second request is still unsent when the
 * shared bound ends (the first fills the ring, xenstored asleep); before
 * its waiter takes xs_lock, an upcall's pump() writes part of it
 * (xenstored woke and read the ring). Looked at under the lock, it is
 * half written: it gets its grace to be written whole, and the
 * connection goes on (looked at before the lock, it had no grace and
 * the check under the lock gave xenstore up).
 */
static void xenstored_wakes_and_reads(void)
{
	ring.req_cons = ring.req_prod;	/* the first request, read */
	peer.reads = true;
	peer.swallow = true;		/* and what comes, as it comes */
	handler(handler_port, handler_arg);	/* pump(): the second, part */
	CHECK(ring.req_prod - ring.req_cons == PVK_XENSTORE_RING_SIZE);
}

UNIT_TEST(xs_unsent_at_the_bound_then_half_written_gets_its_grace)
{
	static char fills[PVK_XENSTORE_RING_SIZE - sizeof(struct pvk_xsd_sockmsg)];
	static char bigger[1500];
	const char *p0[] = { fills }, *p1[] = { bigger };
	uint32_t l0[] = { sizeof(fills) }, l1[] = { sizeof(bigger) };
	struct pvk_xs_many m[2] = {
		{ .type = PVK_XS_READ, .parts = p0, .lens = l0, .nr = 1 },
		{ .type = PVK_XS_READ, .parts = p1, .lens = l1, .nr = 1 },
	};
	struct pvk_xs_stats s0, s1;
	char out[8];

	island_up();
	memset(fills, 'f', sizeof(fills) - 1);
	memset(bigger, 'b', sizeof(bigger) - 1);
	peer.reads = false;
	peer.answers = false;
	peer.tick_ns = PVK_XS_TIMEOUT_NS / 4;
	on_timeout_lock = xenstored_wakes_and_reads;
	timeouts_to_lock = 2;	/* the first's wait, then the second's */
	/* After that wait: the credit's look at the quiesce (one lock), then
	 * the waiter's own lock, before which the upcall gets in. */
	locks_to_action = 2;
	pvk_xs_get_stats(&s0);
	pvk_xs_request_many(m, 2);
	pvk_xs_get_stats(&s1);
	CHECK(lock_action == NULL && on_timeout_lock == NULL);	/* it ran */
	CHECK_EQ(m[0].rc, -PVK_XEN_ETIMEDOUT);
	CHECK_EQ(m[1].rc, -PVK_XEN_ETIMEDOUT);
	CHECK_EQ(s1.protocol_errors, s0.protocol_errors);
	/* Both written whole: the stream goes on after them. */
	CHECK_EQ(ring.req_prod, PVK_XENSTORE_RING_SIZE +
		 sizeof(struct pvk_xsd_sockmsg) + sizeof(bigger));
	ring.req_cons = ring.req_prod;	/* xenstored read the rest */
	peer = (struct island_peer){ .reads = true, .answers = true, .events = true };
	CHECK_EQ(read_key("x", out, sizeof(out)), 3);
}
