/*
 * tests/guest/cases/events.c - the kit's event channels on real Xen.
 *
 * A loopback pair (alloc_unbound for DOMID_SELF, then bind_interdomain to
 * that port: Xen allows loopback) gives us a channel we can both send on
 * and receive from, so every path of dispatch can be driven from inside
 * the guest: delivery through the upcall entry, mask / unmask (a masked
 * port stays pending and is delivered on unmask), clear, close, and a flood
 * of events whose handler finds no work: held, then released on time by
 * the kit's own one-shot deadline, beside the host's.
 *
 * Many ports: 2,000 ports (1,000 loopback pairs, both ends with a handler)
 * each raised once and delivered exactly once, past the first FIFO event
 * array page (1,024 ports); binding up to the limit (2-level: the ABI's
 * 4,096) fails with ENOSPC; a bind the kit cannot complete (no memory for
 * its port table) closes the port in Xen again; every port closed is
 * free in Xen (EVTCHNOP_status) and the next bind gets the lowest port
 * again. The domain must allow the ports: xl's max_event_channels is
 * 1,023 by default, guest-basic and guest-2level raise it (their
 * EXPECT_REGEX requires the full counts); a smaller domain tests what it
 * has and says so.
 */
#include <pvkit/events.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define WAIT_NS		(1000ULL * 1000 * 1000)	/* for what must come */
#define NO_EVENT_NS	(50ULL * 1000 * 1000)	/* for what must not */

struct counter {
	struct pvk_wait wait;
	unsigned int calls;
	pvk_evtchn_port_t last_port;
	bool work;		/* what the handler reports */
};

/* A fresh counter whose handler reports work done. */
static void counter_init(struct counter *c)
{
	memset(c, 0, sizeof(*c));
	pvk_port_wait_init(&c->wait);
	c->work = true;
}

static bool count_event(pvk_evtchn_port_t port, void *arg)
{
	struct counter *c = arg;

	c->calls++;
	c->last_port = port;
	pvk_port_wake(&c->wait);
	return c->work;
}

static struct counter *cond_counter;
static unsigned int cond_target;

static bool reached(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(cond_counter->calls) >= cond_target;
}

/* Waits until c->calls >= target; the wait's return code. */
static int wait_calls_for(struct counter *c, unsigned int target, uint64_t ns)
{
	cond_counter = c;
	cond_target = target;
	return pvk_port_wait_until(&c->wait, reached, NULL, ns);
}

static int wait_calls(struct counter *c, unsigned int target)
{
	return wait_calls_for(c, target, WAIT_NS);
}

static struct counter rx;
static pvk_evtchn_port_t rx_port, tx_port;

static int open_loopback(void)
{
	int rc;

	counter_init(&rx);
	rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, count_event, &rx, &rx_port);
	if (rc)
		return rc;
	return pvk_evtchn_bind_interdomain(PVK_DOMID_SELF, rx_port, NULL, NULL,
					   &tx_port);
}

static void close_loopback(void)
{
	pvk_evtchn_close(tx_port);
	pvk_evtchn_close(rx_port);
}

PVK_GUEST_TEST(evtchn_loopback_delivery)
{
	struct pvk_evtchn_stats before, after;

	guest_events_enable();
	PVK_CHECK_RC(open_loopback(), 0);
	PVK_CHECK_NE(rx_port, tx_port);
	PVK_CHECK(!pvk_evtchn_is_masked(rx_port));
	PVK_CHECK(pvk_evtchn_is_masked(tx_port));	/* no handler: masked */
	pvk_evtchn_get_stats(&before);
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), 0);
	PVK_CHECK_RC(wait_calls(&rx, 1), 0);
	pvk_evtchn_get_stats(&after);
	PVK_CHECK_EQ(rx.last_port, rx_port);
	PVK_CHECK_GE(after.upcalls, before.upcalls + 1);
	PVK_CHECK_GE(after.dispatched, before.dispatched + 1);
	PVK_CHECK(!pvk_evtchn_is_pending(rx_port));
	PVK_CHECK(!pvk_evtchn_is_masked(rx_port));
	guest_printf("evtchn: %s ABI: loopback %u -> %u delivered, %llu upcalls so far\n",
		     pvk_evtchn_abi_name(), tx_port, rx_port,
		     (unsigned long long)after.upcalls);
	close_loopback();
}

PVK_GUEST_TEST(evtchn_mask_unmask_clear)
{
	guest_events_enable();
	PVK_CHECK_RC(open_loopback(), 0);

	/* Masked: the event stays pending, the handler does not run. */
	pvk_evtchn_mask(rx_port);
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), 0);
	PVK_CHECK_RC(wait_calls_for(&rx, 1, NO_EVENT_NS), -PVK_XEN_ETIMEDOUT);
	PVK_CHECK(pvk_evtchn_is_pending(rx_port));
	PVK_CHECK_EQ(rx.calls, 0);
	/* Unmask delivers what was pending. */
	pvk_evtchn_unmask(rx_port);
	PVK_CHECK_RC(wait_calls(&rx, 1), 0);

	/* Cleared while masked: nothing is delivered on unmask. */
	pvk_evtchn_mask(rx_port);
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), 0);
	PVK_CHECK(pvk_evtchn_is_pending(rx_port));
	pvk_evtchn_clear(rx_port);
	PVK_CHECK(!pvk_evtchn_is_pending(rx_port));
	pvk_evtchn_unmask(rx_port);
	PVK_CHECK_RC(wait_calls_for(&rx, 2, NO_EVENT_NS), -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(rx.calls, 1);
	close_loopback();
}

PVK_GUEST_TEST(evtchn_close)
{
	pvk_evtchn_port_t old;

	guest_events_enable();
	PVK_CHECK_RC(open_loopback(), 0);
	old = rx_port;
	PVK_CHECK_RC(pvk_evtchn_close(rx_port), 0);
	/* The peer's end is now unbound: sending on it goes nowhere. */
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), 0);
	PVK_CHECK(pvk_evtchn_is_masked(old));
	PVK_CHECK_RC(pvk_evtchn_close(tx_port), 0);
	/* A closed port is gone for Xen too. */
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), -PVK_XEN_EINVAL);
}

/*
 * Floods the loopback until its port is held, then (when host_in_ns is not
 * 0) arms the host's one-shot that far ahead and kicks the held port once.
 * All of it runs with upcalls masked, the events dispatched by calling the
 * upcall ourselves: the kit's release timer (armed at the flood, due in
 * PVK_EVTCHN_FLOOD_HOLDOFF_NS) cannot run before everything is recorded,
 * however slow the machine. Checks come after, with upcalls on again.
 */
struct flood_result {
	unsigned int sent, calls_held, calls_after_kick;
	bool masked, pending;
	int send_rc, kick_rc, timer_rc;
	uint64_t host_deadline;
	struct pvk_evtchn_stats before, held;
	struct pvk_time_timer_stats timer_before;
};

static void flood_until_held(struct flood_result *r, uint64_t host_in_ns)
{
	unsigned long flags;

	memset(r, 0, sizeof(*r));
	rx.work = false;	/* a peer that kicks without ever queueing work */
	flags = pvk_irq_save();
	pvk_evtchn_get_stats(&r->before);
	pvk_time_timer_get_stats(&r->timer_before);
	for (r->sent = 1; r->sent <= 4 * PVK_EVTCHN_FLOOD_LIMIT; r->sent++) {
		r->send_rc = pvk_evtchn_send(tx_port);
		if (r->send_rc)
			break;
		pvk_evtchn_do_upcall();
		if (pvk_evtchn_is_masked(rx_port))
			break;		/* held: further kicks cost nothing */
	}
	pvk_evtchn_get_stats(&r->held);
	r->calls_held = rx.calls;
	r->masked = pvk_evtchn_is_masked(rx_port);
	if (host_in_ns) {
		r->host_deadline = pvk_time_now_ns() + host_in_ns;
		r->timer_rc = pvk_time_timer_set(r->host_deadline);
	}
	/* A kick while held stays pending, its handler does not run. */
	r->kick_rc = pvk_evtchn_send(tx_port);
	r->pending = pvk_evtchn_is_pending(rx_port);
	r->calls_after_kick = rx.calls;
	pvk_restore_fl(flags);
	if (r->calls_after_kick != PVK_EVTCHN_FLOOD_LIMIT) {
		/* Says which path ended the hold early, if one did. */
		struct pvk_evtchn_stats now;
		struct pvk_time_timer_stats t;

		pvk_evtchn_get_stats(&now);
		pvk_time_timer_get_stats(&t);
		guest_printf("evtchn: flood: %u calls for %u kicks: floods +%llu, released +%llu, kit timer fired +%llu, said passed +%llu, expiries +%llu\n",
			     r->calls_after_kick, r->sent,
			     (unsigned long long)(now.floods - r->before.floods),
			     (unsigned long long)(now.released - r->before.released),
			     (unsigned long long)(t.kit_fired - r->timer_before.kit_fired),
			     (unsigned long long)(t.hw_said_passed - r->timer_before.hw_said_passed),
			     (unsigned long long)(t.expiries - r->timer_before.expiries));
	}
}

/* Both owners' expiries seen: the port's release (its pending kick
 * delivered) and the host's one-shot; when each was first seen. */
struct both_seen {
	uint64_t host_target, release_at, host_at;
};

static bool both_seen(void *arg)
{
	struct both_seen *b = arg;

	if (!b->release_at && PVK_READ_ONCE(rx.calls) > PVK_EVTCHN_FLOOD_LIMIT)
		b->release_at = pvk_time_now_ns();
	if (!b->host_at && pvk_time_timer_fired() >= b->host_target)
		b->host_at = pvk_time_now_ns();
	return b->release_at && b->host_at;
}

/*
 * The hold-off ends on the kit's own timer deadline, with no other event
 * to help: the host's one-shot is stopped, nothing else is sent. The
 * release is the kit timer's (kit_fired), not the host's.
 */
PVK_GUEST_TEST(evtchn_flood_is_held)
{
	struct pvk_time_timer_stats t;
	struct pvk_evtchn_stats after;
	struct flood_result r;
	uint64_t held_at;

	guest_events_enable();
	PVK_CHECK_RC(pvk_time_timer_stop(), 0);
	PVK_CHECK_RC(open_loopback(), 0);
	flood_until_held(&r, 0);
	held_at = pvk_time_now_ns();
	PVK_CHECK_RC(r.send_rc, 0);
	PVK_CHECK_RC(r.kick_rc, 0);
	PVK_CHECK_EQ(r.held.floods, r.before.floods + 1);
	PVK_CHECK_EQ(r.calls_held, PVK_EVTCHN_FLOOD_LIMIT);
	PVK_CHECK_GE(r.held.spurious, r.before.spurious + PVK_EVTCHN_FLOOD_LIMIT);
	PVK_CHECK(r.masked);
	PVK_CHECK(r.pending);
	PVK_CHECK_EQ(r.calls_after_kick, PVK_EVTCHN_FLOOD_LIMIT);

	PVK_CHECK_RC(wait_calls(&rx, PVK_EVTCHN_FLOOD_LIMIT + 1), 0);
	pvk_evtchn_get_stats(&after);
	pvk_time_timer_get_stats(&t);
	guest_printf("evtchn: flood held after %u kicks, released %llu us after the hold (hold-off %llu us) by the kit's timer\n",
		     r.sent, (unsigned long long)((pvk_time_now_ns() - held_at) / 1000),
		     (unsigned long long)(PVK_EVTCHN_FLOOD_HOLDOFF_NS / 1000));
	PVK_CHECK_EQ(after.released, r.held.released + 1);
	PVK_CHECK_GE(t.kit_fired, r.timer_before.kit_fired + 1);
	PVK_CHECK_EQ(t.host_fired, r.timer_before.host_fired);
	PVK_CHECK(!pvk_evtchn_is_masked(rx_port));
	close_loopback();
}

/*
 * The host's one-shot and the hold-off compete for the one timer: each
 * expiry goes to its owner. The host's deadline after the hold-off's, then
 * before it: both fire once, the host's not early, the port is released.
 */
PVK_GUEST_TEST(evtchn_flood_hold_and_host_timer)
{
	static const uint64_t host_in[] = {
		4 * PVK_EVTCHN_FLOOD_HOLDOFF_NS, PVK_EVTCHN_FLOOD_HOLDOFF_NS / 2,
	};

	guest_events_enable();
	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(host_in); i++) {
		struct pvk_time_timer_stats t;
		struct pvk_evtchn_stats after;
		struct flood_result r;
		struct both_seen b;

		PVK_CHECK_RC(open_loopback(), 0);
		flood_until_held(&r, host_in[i]);
		PVK_CHECK_RC(r.send_rc, 0);
		PVK_CHECK_RC(r.timer_rc, 0);
		PVK_CHECK(r.masked);
		PVK_CHECK(r.pending);
		PVK_CHECK_EQ(r.calls_after_kick, PVK_EVTCHN_FLOOD_LIMIT);
		b = (struct both_seen){ .host_target = r.timer_before.host_fired + 1 };
		PVK_CHECK_RC(pvk_port_wait_until(&rx.wait, both_seen, &b, WAIT_NS), 0);
		pvk_evtchn_get_stats(&after);
		pvk_time_timer_get_stats(&t);
		guest_printf("evtchn: host one-shot due %llu us after the hold: seen %lld us from its deadline; release seen %lld us from the host's\n",
			     (unsigned long long)(host_in[i] / 1000),
			     (long long)((int64_t)(b.host_at - r.host_deadline) / 1000),
			     (long long)((int64_t)(b.release_at - b.host_at) / 1000));
		PVK_CHECK_EQ(after.released, r.held.released + 1);
		PVK_CHECK_GE(t.kit_fired, r.timer_before.kit_fired + 1);
		PVK_CHECK_EQ(t.host_fired, r.timer_before.host_fired + 1);
		/* Not early: the kit's expiry was not delivered to the host. */
		PVK_CHECK_GE(b.host_at + 15ULL * 1000 * 1000, r.host_deadline);
		close_loopback();
	}
}

PVK_GUEST_TEST(evtchn_ipi_to_self)
{
	struct counter ipi;
	pvk_evtchn_port_t port;

	guest_events_enable();
	counter_init(&ipi);
	PVK_CHECK_RC(pvk_evtchn_bind_ipi(0, count_event, &ipi, &port), 0);
	PVK_CHECK_RC(pvk_evtchn_send(port), 0);
	PVK_CHECK_RC(wait_calls(&ipi, 1), 0);
	PVK_CHECK_EQ(ipi.last_port, port);
	PVK_CHECK_RC(pvk_evtchn_close(port), 0);
}

/* Xen's 'q' debug key sends VIRQ_DEBUG to every vCPU of every domain; the
 * guest-dom0 scenario presses it with `xl debug-keys q`. */
PVK_GUEST_TEST_EXPLICIT(evtchn_virq_debug)
{
	struct counter dbg;
	pvk_evtchn_port_t port;

	guest_events_enable();
	counter_init(&dbg);
	PVK_CHECK_RC(pvk_evtchn_bind_virq(PVK_VIRQ_DEBUG, 0, count_event, &dbg, &port), 0);
	guest_printf("evtchn: VIRQ_DEBUG bound to port %u (dom0: xl debug-keys q now)\n", port);
	PVK_CHECK_RC(wait_calls_for(&dbg, 1, 30ULL * 1000 * 1000 * 1000), 0);
	guest_printf("evtchn: VIRQ_DEBUG delivered\n");
	PVK_CHECK_RC(pvk_evtchn_close(port), 0);
}

/* ---- Many ports ------------------------------------------------------ */

#define MANY_PORTS	2000
#define PORT_CAP	4200	/* the most ports a test here binds */
#define MANY_WAIT_NS	(10ULL * 1000 * 1000 * 1000)

static pvk_evtchn_port_t many[PORT_CAP];
static uint8_t many_hits[PORT_CAP];
static unsigned int many_total, many_wrong;
static struct pvk_wait many_wait;

/* arg: the index in many[] of the port it was bound for. */
static bool count_many(pvk_evtchn_port_t port, void *arg)
{
	uintptr_t i = (uintptr_t)arg;

	if (i >= PORT_CAP || many[i] != port)
		many_wrong++;
	else if (many_hits[i] < 255)
		many_hits[i]++;
	many_total++;
	pvk_port_wake(&many_wait);
	return true;
}

static void many_reset(void)
{
	memset(many, 0, sizeof(many));
	memset(many_hits, 0, sizeof(many_hits));
	many_total = 0;
	many_wrong = 0;
	pvk_port_wait_init(&many_wait);
}

/* The port Xen gives next (the lowest free one), or a negative errno. */
static long lowest_free_port(void)
{
	pvk_evtchn_port_t p;
	int rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, NULL, NULL, &p);

	if (rc)
		return rc;
	rc = pvk_evtchn_close(p);
	return rc ? rc : (long)p;
}

/* Closes many[0..n) and checks each is free in Xen afterwards; returns
 * the first port that is not (or that failed to close), or -1. */
static long close_many(unsigned int n)
{
	long bad = -1;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t st = 0xffffffffu;

		if ((pvk_evtchn_close(many[i]) || pvk_evtchn_status(many[i], &st) ||
		     st != PVK_EVTCHNSTAT_closed) && bad < 0)
			bad = many[i];
	}
	return bad;
}

static bool many_delivered(void *arg)
{
	return PVK_READ_ONCE(many_total) >= *(unsigned int *)arg;
}

static bool port_is_unbound(pvk_evtchn_port_t port)
{
	uint32_t st = PVK_EVTCHNSTAT_closed;

	return !pvk_evtchn_status(port, &st) && st == PVK_EVTCHNSTAT_unbound;
}

/*
 * A bind the kit cannot complete: with the page allocator empty, the port
 * that needs a new page of handler slots (or, FIFO, of event words) is
 * refused with ENOMEM, and Xen's port is closed again: once memory is
 * back, the next bind gets that same lowest free port, and no port above
 * the last good one was left unbound. Runs with upcalls masked, so
 * nothing else needs a page meanwhile, and before the tests below (the kit
 * keeps its pages of slots: after them every port up to the domain's
 * limit would have its slot).
 */
PVK_GUEST_TEST(evtchn_bind_failure_closes_port)
{
	void **chain = NULL, **page;
	unsigned int n = 0;
	pvk_evtchn_port_t retry = 0;
	long leaked = -1;
	unsigned long fl;
	uint64_t t0;
	int rc = 0, retry_rc;

	guest_events_enable();
	many_reset();
	guest_printf("evtchn: expecting a bind to fail for want of a page, its port closed again\n");
	t0 = guest_now_ns();
	fl = pvk_irq_save();
	while ((page = pvk_port_alloc_page())) {
		*page = chain;
		chain = page;
	}
	/* A new page of slots is needed within 128 ports. */
	while (n < PORT_CAP) {
		rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, NULL, NULL, &many[n]);
		if (rc)
			break;
		n++;
	}
	while (chain) {
		page = chain;
		chain = *page;
		pvk_port_free_page(page);
	}
	retry_rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, NULL, NULL, &retry);
	if (!retry_rc) {
		pvk_evtchn_port_t from = n ? many[n - 1] + 1 : 1;

		for (pvk_evtchn_port_t p = from; p < retry && leaked < 0; p++) {
			if (port_is_unbound(p))
				leaked = p;
		}
		pvk_evtchn_close(retry);
	}
	close_many(n);
	pvk_restore_fl(fl);
	guest_printf("evtchn: %s ABI: with no free page, bind %u failed (%d); with memory back it got port %u (%llu ms with the allocator emptied)\n",
		     pvk_evtchn_abi_name(), n + 1, rc, retry,
		     (unsigned long long)((guest_now_ns() - t0) / 1000000));
	PVK_CHECK_RC(rc, -PVK_XEN_ENOMEM);
	PVK_CHECK_RC(retry_rc, 0);
	PVK_CHECK_EQ(leaked, -1);
	/* The failed one was the lowest free port; it is that again. */
	PVK_CHECK_GT(retry, n ? many[n - 1] : 0);
	PVK_CHECK(!port_is_unbound(retry));
}

/*
 * Loopback pairs: the unbound end, then the end bound to it; sending on
 * either raises the other, so every port is both raised and delivered.
 */
/* What evtchn_many_ports saw; checked after every port is closed again,
 * so a failure does not leave 2,000 ports behind for the tests after it. */
struct many_result {
	unsigned int n, highest, at_bind, total, wrong, bad_index;
	int bind_rc, send_rc, wait_rc, extra_rc;
};

static void many_run(struct many_result *r)
{
	unsigned int more;
	unsigned long fl;

	memset(r, 0, sizeof(*r));
	r->bad_index = PORT_CAP;
	while (r->n + 2 <= MANY_PORTS) {
		unsigned int n = r->n;

		r->bind_rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, count_many,
						      (void *)(uintptr_t)n, &many[n]);
		if (r->bind_rc)
			break;
		r->bind_rc = pvk_evtchn_bind_interdomain(PVK_DOMID_SELF, many[n], count_many,
							 (void *)(uintptr_t)(n + 1), &many[n + 1]);
		if (r->bind_rc) {
			pvk_evtchn_close(many[n]);
			break;
		}
		r->n += 2;
	}
	for (unsigned int i = 0; i < r->n; i++)
		r->highest = many[i] > r->highest ? many[i] : r->highest;

	/* Xen raises the bound end of a pair once at bind (for notifications
	 * the unbound end might have missed): let those come, then count
	 * from zero. */
	more = r->n + 1;
	pvk_port_wait_until(&many_wait, many_delivered, &more, NO_EVENT_NS);
	/* Raise all with upcalls masked: they queue up (FIFO: more than one
	 * scan budget) and are delivered when upcalls come back on. */
	fl = pvk_irq_save();
	r->at_bind = many_total;
	memset(many_hits, 0, sizeof(many_hits));
	many_total = 0;
	for (unsigned int i = 0; i < r->n && !r->send_rc; i++)
		r->send_rc = pvk_evtchn_send(many[i]);
	pvk_restore_fl(fl);
	r->wait_rc = pvk_port_wait_until(&many_wait, many_delivered, &r->n, MANY_WAIT_NS);
	/* A second delivery would come at once: give it the chance. */
	r->extra_rc = pvk_port_wait_until(&many_wait, many_delivered, &more, NO_EVENT_NS);
	r->total = many_total;
	r->wrong = many_wrong;
	for (unsigned int i = 0; i < r->n && r->bad_index == PORT_CAP; i++) {
		if (many_hits[i] != 1)
			r->bad_index = i;
	}
}

PVK_GUEST_TEST(evtchn_many_ports)
{
	struct many_result r;
	long lowest0, lowest1, not_closed;

	guest_events_enable();
	many_reset();
	lowest0 = lowest_free_port();
	PVK_CHECK_GE(lowest0, 1);
	many_run(&r);
	not_closed = close_many(r.n);
	lowest1 = lowest_free_port();

	/* Only the domain's limit may stop us early. */
	if (r.bind_rc)
		PVK_CHECK_RC(r.bind_rc, -PVK_XEN_ENOSPC);
	PVK_CHECK_GE(r.n, 2u);
	PVK_CHECK_RC(r.send_rc, 0);
	PVK_CHECK_RC(r.wait_rc, 0);
	PVK_CHECK_RC(r.extra_rc, -PVK_XEN_ETIMEDOUT);
	PVK_CHECK_EQ(r.wrong, 0u);
	PVK_CHECK_EQ(r.total, r.n);
	PVK_CHECK_LE(r.at_bind, r.n / 2);
	if (r.bad_index != PORT_CAP)
		PVK_FAIL("port %u (index %u) delivered %u times", many[r.bad_index],
			 r.bad_index, many_hits[r.bad_index]);
	PVK_CHECK_EQ(not_closed, -1);
	PVK_CHECK_EQ(lowest1, lowest0);
	if (r.bind_rc)
		guest_printf("evtchn: %s ABI: the domain's limit (max_event_channels) stopped at %u ports, up to port %u: each raised and delivered once, all closed\n",
			     pvk_evtchn_abi_name(), r.n, r.highest);
	else
		guest_printf("evtchn: %s ABI: %u ports bound (up to port %u), each raised and delivered once, all closed, next port %ld again (%u events at bind)\n",
			     pvk_evtchn_abi_name(), r.n, r.highest, lowest1, r.at_bind);
}

/*
 * Bind until Xen has no port left: a clear ENOSPC (the kit's log line names
 * the ABI's limit), nothing half-bound, every port free again afterwards.
 */
PVK_GUEST_TEST(evtchn_port_limit)
{
	unsigned int n = 0, highest = 0;
	long lowest0, lowest1, not_closed;
	int rc = 0;

	guest_events_enable();
	many_reset();
	lowest0 = lowest_free_port();
	PVK_CHECK_GE(lowest0, 1);
	guest_printf("evtchn: expecting the kit to report that no port is left\n");
	while (n < PORT_CAP) {
		rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, NULL, NULL, &many[n]);
		if (rc)
			break;
		highest = many[n] > highest ? many[n] : highest;
		n++;
	}
	not_closed = close_many(n);
	lowest1 = lowest_free_port();
	PVK_CHECK_EQ(not_closed, -1);
	PVK_CHECK_EQ(lowest1, lowest0);
	if (n == PORT_CAP) {
		/* Only FIFO can have this many. */
		PVK_CHECK_GT(pvk_evtchn_nr_ports(), (unsigned int)PORT_CAP);
		guest_printf("evtchn: %s ABI: no port limit within %u ports, all closed again\n",
			     pvk_evtchn_abi_name(), n);
		return;
	}
	PVK_CHECK_RC(rc, -PVK_XEN_ENOSPC);
	PVK_CHECK_LT(highest, pvk_evtchn_nr_ports());
	guest_printf("evtchn: %s ABI: port limit reached at port %u (%s, %u ports): ENOSPC after %u binds, all closed again, none leaked\n",
		     pvk_evtchn_abi_name(), highest,
		     highest + 1 == pvk_evtchn_nr_ports() ? "the ABI's limit" :
		     "the domain's max_event_channels, below the ABI's",
		     pvk_evtchn_nr_ports(), n);
}

/*
 * FIFO: READY bits above the 16 queues (Xen never sets them; a corrupt or
 * hostile control block might) are ignored and counted once per upcall,
 * not used as a queue number. Delivery goes on afterwards.
 */
PVK_GUEST_TEST(evtchn_fifo_bad_ready)
{
	struct pvk_evtchn_fifo_control_block *cb = pvk_evtchn_fifo_control();
	struct pvk_evtchn_stats before, after;
	unsigned int calls;
	unsigned long fl;

	guest_events_enable();
	if (!cb) {
		/* 2-level: no control block, and nothing counts as one. */
		PVK_CHECK(guest_strstr(pvk_evtchn_abi_name(), "2-level"));
		pvk_evtchn_get_stats(&before);
		PVK_CHECK_EQ(before.bad_queue, 0u);
		return;
	}
	PVK_CHECK_RC(open_loopback(), 0);
	guest_printf("evtchn: expecting READY bits 20 and 31 to be reported and ignored\n");
	fl = pvk_irq_save();
	pvk_evtchn_get_stats(&before);
	calls = rx.calls;
	__atomic_fetch_or(&cb->ready, (1u << 20) | (1u << 31), __ATOMIC_SEQ_CST);
	pvk_evtchn_do_upcall();
	pvk_evtchn_get_stats(&after);
	pvk_restore_fl(fl);
	PVK_CHECK_EQ(after.bad_queue, before.bad_queue + 1);
	PVK_CHECK_EQ(PVK_READ_ONCE(cb->ready) & ~0xffffu, 0u);
	PVK_CHECK_EQ(rx.calls, calls);
	PVK_CHECK_RC(pvk_evtchn_send(tx_port), 0);
	PVK_CHECK_RC(wait_calls(&rx, calls + 1), 0);
	close_loopback();
}
