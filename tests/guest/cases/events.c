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
 */
#include <pvkit/events.h>
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
