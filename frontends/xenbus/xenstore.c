/*
 * frontends/xenbus/xenstore.c - xenstore requests and their replies.
 *
 * A request is a struct pvk_xsd_sockmsg header and a payload of strings,
 * written into the request ring; xenstored answers in the response ring
 * with the same req_id (or an XS_ERROR), and sends XS_WATCH_EVENTs at any
 * time in between. The event handler (upcall context) drains the response
 * ring into one private buffer with the ring consumer (xs_ring.c) and
 * sorts each message: the reply we wait for is copied to reply_body and
 * the waiter woken; a watch event is queued for xs_watch.c; anything else
 * (an id we are not waiting for) is dropped and counted. A protocol error
 * (xs_ring.c) marks the connection dead: every later call fails with
 * -PVK_XEN_EIO instead of trusting a ring in an unknown state.
 *
 * One request is in flight at a time: `busy` is claimed with upcalls
 * masked (the port's lock) and a second caller gets -PVK_XEN_EBUSY, which
 * on a single-threaded host can only mean a handler tried to use xenstore.
 */
#include <pvkit/events.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"

static struct pvk_xenstore_domain_interface *xs_ring;
static pvk_evtchn_port_t xs_port;
static bool xs_dead;
static bool busy;
static struct pvk_lock xs_lock;

/* The one outstanding request. */
static uint32_t next_req_id = 1;
static uint32_t want_id;
static bool reply_ready;
static struct pvk_xsd_sockmsg reply_hdr;
static char reply_body[PVK_XENSTORE_PAYLOAD_MAX + 1];

static struct pvk_xs_rx rx;
struct pvk_xs_stats pvk_xs_counters;
struct pvk_wait pvk_xs_waitq;

static void die(const char *why)
{
	if (!xs_dead)
		pvk_err("xenstore: %s: connection given up", why);
	xs_dead = true;
	pvk_xs_counters.protocol_errors++;
	pvk_port_wake(&pvk_xs_waitq);
}

static void sort_message(void)
{
	if (rx.hdr.type == PVK_XS_WATCH_EVENT) {
		pvk_xs_counters.watch_events++;
		pvk_xs_watch_event(rx.body, rx.hdr.len);
		return;
	}
	if (!want_id || rx.hdr.req_id != want_id || reply_ready) {
		pvk_xs_counters.stray_replies++;
		return;
	}
	reply_hdr = rx.hdr;
	__builtin_memcpy(reply_body, rx.body, rx.hdr.len + 1);
	pvk_xs_counters.replies++;
	PVK_WRITE_ONCE(reply_ready, true);
}

/* req_cons as the last event saw it: xenstored kicks us when it consumed
 * requests too, and that is work (room for the next request). */
static uint32_t seen_req_cons;

static bool xs_event(pvk_evtchn_port_t port, void *arg)
{
	uint32_t req_cons = PVK_READ_ONCE(xs_ring->req_cons);
	bool work = req_cons != seen_req_cons;
	int rc;

	(void)port;
	(void)arg;
	if (xs_dead)
		return false;
	/* Bounded: at most a ring's worth of messages per event. */
	for (int i = 0; i < PVK_XENSTORE_RING_SIZE; i++) {
		rc = pvk_xs_rx_feed(&rx, xs_ring);
		if (rc < 0) {
			die("malformed message from xenstored");
			return true;
		}
		if (rc == PVK_XS_RX_MORE)
			break;
		work = true;
		sort_message();
		pvk_xs_rx_reset(&rx);
	}
	seen_req_cons = req_cons;
	pvk_port_wake(&pvk_xs_waitq);
	return work;
}

int pvk_xs_init(struct pvk_xenstore_domain_interface *ring,
		pvk_evtchn_port_t port)
{
	if (!ring)
		return -PVK_XEN_EINVAL;
	xs_ring = ring;
	xs_port = port;
	xs_dead = false;
	seen_req_cons = PVK_READ_ONCE(ring->req_cons);
	pvk_xs_rx_reset(&rx);
	pvk_port_lock_init(&xs_lock);
	pvk_port_wait_init(&pvk_xs_waitq);
	return pvk_evtchn_set_handler(port, xs_event, NULL);
}

static bool have_reply(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(reply_ready) || PVK_READ_ONCE(xs_dead);
}

static bool have_space(void *arg)
{
	return PVK_READ_ONCE(xs_dead) ||
	       pvk_xs_tx_space(xs_ring) >= (int)*(const uint32_t *)arg;
}

/* Copies len bytes into the request ring, waiting for space. */
static int put(const void *data, uint32_t len)
{
	const char *p = data;

	while (len) {
		uint32_t chunk = len < 64 ? len : 64, n;
		int space, rc;

		rc = pvk_port_wait_until(&pvk_xs_waitq, have_space, &chunk,
					 PVK_XS_TIMEOUT_NS);
		if (xs_dead)
			return -PVK_XEN_EIO;
		if (rc) {
			/* Half a message in the ring: the stream is lost. */
			die("request ring not drained in time");
			return rc;
		}
		space = pvk_xs_tx_space(xs_ring);
		if (space < 0) {
			die("request ring indices corrupt");
			return -PVK_XEN_EIO;
		}
		n = len < (uint32_t)space ? len : (uint32_t)space;
		pvk_xs_tx_put(xs_ring, p, n);
		pvk_evtchn_send(xs_port);
		p += n;
		len -= n;
	}
	return 0;
}

int pvk_xs_request(uint32_t type, pvk_xs_transaction_t t,
		   const char *const *parts, const uint32_t *lens,
		   unsigned int nr, char *out, size_t out_size)
{
	struct pvk_xsd_sockmsg hdr = { .type = type, .tx_id = t };
	int rc;

	if (!xs_ring)
		return -PVK_XEN_ENODEV;
	if (xs_dead)
		return -PVK_XEN_EIO;
	for (unsigned int i = 0; i < nr; i++)
		hdr.len += lens[i];
	if (hdr.len > PVK_XENSTORE_PAYLOAD_MAX)
		return -PVK_XEN_E2BIG;

	pvk_port_lock(&xs_lock);
	if (busy) {
		pvk_port_unlock(&xs_lock);
		return -PVK_XEN_EBUSY;
	}
	busy = true;
	hdr.req_id = next_req_id++;
	if (!next_req_id)
		next_req_id = 1;	/* 0 means "none" for want_id */
	want_id = hdr.req_id;
	reply_ready = false;
	pvk_port_unlock(&xs_lock);

	pvk_xs_counters.requests++;
	rc = put(&hdr, sizeof(hdr));
	for (unsigned int i = 0; !rc && i < nr; i++)
		rc = put(parts[i], lens[i]);
	if (!rc)
		rc = pvk_port_wait_until(&pvk_xs_waitq, have_reply, NULL,
					 PVK_XS_TIMEOUT_NS);
	if (!rc && xs_dead)
		rc = -PVK_XEN_EIO;
	if (!rc) {
		rc = pvk_xs_reply_check(&reply_hdr, reply_body, type);
		if (!rc && out) {
			if (reply_hdr.len + 1 > out_size)
				rc = -PVK_XEN_E2BIG;
			else
				__builtin_memcpy(out, reply_body, reply_hdr.len + 1);
		}
		if (!rc)
			rc = (int)reply_hdr.len;
	}

	pvk_port_lock(&xs_lock);
	/* A late reply to a timed-out request is then counted as stray. */
	want_id = 0;
	busy = false;
	pvk_port_unlock(&xs_lock);
	return rc;
}

void pvk_xs_get_stats(struct pvk_xs_stats *out)
{
	*out = pvk_xs_counters;
}
