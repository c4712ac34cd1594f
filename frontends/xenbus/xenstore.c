/*
 * frontends/xenbus/xenstore.c - xenstore requests and their replies.
 *
 * A request is a struct pvk_xsd_sockmsg header and a payload of strings,
 * written into the request ring; xenstored answers in the response ring
 * with the same req_id (or an XS_ERROR), and sends XS_WATCH_EVENTs at any
 * time in between.
 *
 * Many requests may be outstanding at once (a watch callback, the balloon
 * and a driver, each nested in another's wait or, on a host with threads
 * or several CPUs, side by side: each caller waits for its own reply,
 * which the event handler, on the CPU the port is bound to, copies into
 * the caller's buffer under xs_lock before it marks it done). Each caller's request lives on its stack, linked on two
 * lists under xs_lock until it returns:
 *  - the send queue, in order: the ring carries one message after another,
 *    so bytes are written from the head only. pump() writes what fits and
 *    is run by every caller and by the event handler when xenstored made
 *    room, so no caller owns the ring while it sleeps and a half-written
 *    message never blocks the others' progress, only their turn;
 *  - the pending list, matched by req_id when a reply comes.
 * The event handler (upcall context) drains the response ring with the
 * ring consumer (xs_ring.c), tells xenstored it made room, and sorts each
 * message: a reply is checked and copied straight into its caller's
 * buffer and the caller woken; a watch event goes to xs_watch.c; a reply
 * nobody waits for (the caller timed out) is dropped and counted.
 *
 * A protocol error (xs_ring.c: a malformed message, or ring indices out of
 * range several times in a row) gives the connection up: every waiting
 * and later call fails with -PVK_XEN_EIO instead of trusting a ring in an
 * unknown state, and the guest runs on without xenstore.
 */
#include <pvkit/events.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"

struct xs_req {
	struct pvk_xsd_sockmsg hdr;
	const char *const *parts;
	const uint32_t *lens;
	unsigned int nr;
	uint32_t sent;			/* bytes of header + payload in the ring */
	char *out;
	size_t out_size;
	int rc;
	bool done;
	struct xs_req *next_tx;		/* send queue */
	struct xs_req *next;		/* pending list */
};

static struct pvk_xs_conn conn;
static bool xs_up, given_up, xs_lock_ready;
static pvk_evtchn_port_t xs_port;
static struct pvk_lock xs_lock;
static uint32_t next_req_id = 1;
static struct xs_req *pending;
static unsigned int nr_pending;
static struct xs_req *tx_head, *tx_tail;

struct pvk_xs_stats pvk_xs_counters;
struct pvk_wait pvk_xs_waitq;

/* Called with xs_lock held. */
static void die(const char *why)
{
	if (!given_up) {
		pvk_err("xenstore: %s: connection given up, xenstore calls fail with EIO from now on",
			why);
		pvk_xs_counters.protocol_errors++;
		given_up = true;
	}
	conn.dead = true;
	for (struct xs_req *r = pending; r; r = r->next) {
		if (!r->done) {
			r->rc = -PVK_XEN_EIO;
			r->done = true;
		}
	}
	pvk_port_wake(&pvk_xs_waitq);
}

static uint32_t msg_len(const struct xs_req *r)
{
	return (uint32_t)sizeof(r->hdr) + r->hdr.len;
}

/* Copies up to room bytes of r's message, from r->sent on, into the ring. */
static uint32_t put_some(struct xs_req *r, uint32_t room)
{
	uint32_t off = r->sent, start = 0, put = 0;

	for (int i = -1; i < (int)r->nr && put < room; i++) {
		const char *seg = i < 0 ? (const char *)&r->hdr : r->parts[i];
		uint32_t len = i < 0 ? (uint32_t)sizeof(r->hdr) : r->lens[i];
		uint32_t skip, n;

		if (off >= start + len) {
			start += len;
			continue;
		}
		skip = off - start;
		n = len - skip;
		if (n > room - put)
			n = room - put;
		pvk_xs_tx_put(&conn, seg + skip, n);
		put += n;
		off += n;
		start += len;
	}
	r->sent += put;
	return put;
}

/*
 * Writes queued requests into the ring as far as it has room, then kicks
 * xenstored once. xs_lock held; any context.
 */
static void pump(void)
{
	uint32_t wrote = 0;
	int acked;

	if (conn.dead)
		return;
	acked = pvk_xs_req_ack(&conn);
	if (acked < 0) {
		/* Counted by the event handler's pass; write nothing now. */
		return;
	}
	while (tx_head) {
		uint32_t room = pvk_xs_req_room(&conn);

		if (!room)
			break;
		wrote += put_some(tx_head, room);
		if (tx_head->sent < msg_len(tx_head))
			break;
		tx_head = tx_head->next_tx;
		if (!tx_head)
			tx_tail = NULL;
	}
	/* The event hypercall orders our stores before xenstored's reads. */
	if (wrote)
		pvk_evtchn_send(xs_port);
}

static struct xs_req *find_pending(uint32_t id)
{
	for (struct xs_req *r = pending; r; r = r->next)
		if (r->hdr.req_id == id && r->sent == msg_len(r) && !r->done)
			return r;
	return NULL;
}

/* A reply for r: its result, its body copied to the caller. */
static void complete(struct xs_req *r, const struct pvk_xs_rx *rx)
{
	int rc = pvk_xs_reply_check(&rx->hdr, rx->body, r->hdr.type);

	if (!rc && r->out) {
		if (rx->hdr.len + 1 > r->out_size)
			rc = -PVK_XEN_E2BIG;
		else
			__builtin_memcpy(r->out, rx->body, rx->hdr.len + 1);
	}
	r->rc = rc ? rc : (int)rx->hdr.len;
	r->done = true;
}

/* One whole message from xenstored (xs_lock held). */
static void deliver(struct pvk_xs_conn *c, void *arg)
{
	struct xs_req *r;

	(void)arg;
	if (c->rx.hdr.type == PVK_XS_WATCH_EVENT) {
		pvk_xs_counters.watch_events++;
		pvk_xs_watch_event(c->rx.body, c->rx.hdr.len);
		return;
	}
	r = find_pending(c->rx.hdr.req_id);
	if (!r) {
		pvk_xs_counters.stray_replies++;
		return;
	}
	pvk_xs_counters.replies++;
	complete(r, &c->rx);
}

static bool xs_event(pvk_evtchn_port_t port, void *arg)
{
	struct pvk_xs_pass pass;
	int rc;

	(void)port;
	(void)arg;
	pvk_port_lock(&xs_lock);
	if (conn.dead) {
		pvk_port_unlock(&xs_lock);
		return false;
	}
	rc = pvk_xs_service(&conn, deliver, NULL, &pass);
	if (pass.index_error)
		pvk_xs_counters.index_errors++;
	if (rc < 0) {
		die(pass.index_error ?
		    "xenstored's ring indices are out of range again and again" :
		    "malformed message from xenstored");
	} else {
		/* A consumer tells its producer it made room: xenstored
		 * blocked on a full response ring waits for exactly this. */
		if (pass.rsp_taken)
			pvk_evtchn_send(xs_port);
		pump();
	}
	pvk_port_wake(&pvk_xs_waitq);
	pvk_port_unlock(&xs_lock);
	return rc > 0;
}

int pvk_xs_init(struct pvk_xenstore_domain_interface *ring,
		pvk_evtchn_port_t port)
{
	int rc;

	if (!ring)
		return -PVK_XEN_EINVAL;
	pvk_port_lock_init(&xs_lock);
	xs_lock_ready = true;
	pvk_port_wait_init(&pvk_xs_waitq);
	xs_port = port;
	pending = NULL;
	tx_head = tx_tail = NULL;
	rc = pvk_xs_conn_init(&conn, ring);
	if (rc) {
		pvk_err("xenstore: ring indices inconsistent at start: not using xenstore");
		return rc;
	}
	xs_up = true;
	rc = pvk_evtchn_set_handler(port, xs_event, NULL);
	if (rc) {
		/* Without a handler no reply would ever be seen: calls fail
		 * at once instead of each waiting out its timeout. */
		xs_up = false;
		pvk_err("xenstore: cannot handle port %u (%d): not using xenstore", port, rc);
	}
	return rc;
}

/*
 * After a resume in a new domain (suspend/, CPU 0, upcalls masked): the
 * ring stays at its pfn, xenstored is a new connection on a new port, and
 * nothing it had for us survived. Responses still in the ring belong to
 * the old connection and are skipped (an unfinished one too); a request
 * the old xenstored never answered never will be answered, so each is
 * failed with -EAGAIN and counted (the suspend runs from a watch callback
 * with none of its own outstanding). Then the new port gets our handler.
 */
int pvk_xs_resume(pvk_evtchn_port_t port, uint64_t *lost)
{
	struct pvk_xenstore_domain_interface *intf = conn.intf;
	uint32_t rsp_prod;
	int rc;

	*lost = 0;
	if (!xs_up || !intf)
		return -PVK_XEN_ENODEV;
	pvk_port_lock(&xs_lock);
	for (struct xs_req *r = pending; r; r = r->next) {
		if (!r->done) {
			r->rc = -PVK_XEN_EAGAIN;
			r->done = true;
			(*lost)++;
		}
	}
	tx_head = tx_tail = NULL;
	rsp_prod = PVK_READ_ONCE(intf->rsp_prod);
	PVK_WRITE_ONCE(intf->rsp_cons, rsp_prod);
	pvk_barrier();
	rc = pvk_xs_conn_init(&conn, intf);
	xs_port = port;
	pvk_port_unlock(&xs_lock);
	pvk_port_wake(&pvk_xs_waitq);
	if (rc) {
		pvk_err("xenstore: resume: ring indices inconsistent (req_prod 0x%x req_cons 0x%x)",
			PVK_READ_ONCE(intf->req_prod), PVK_READ_ONCE(intf->req_cons));
		return rc;
	}
	return pvk_evtchn_set_handler(port, xs_event, NULL);
}

static bool req_done(void *arg)
{
	const struct xs_req *r = arg;

	return PVK_READ_ONCE(r->done);
}

/* Takes r off both lists (xs_lock held). */
static void unlink_req(struct xs_req *r)
{
	struct xs_req *prev = NULL;

	for (struct xs_req **p = &pending; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			nr_pending--;
			break;
		}
	}
	for (struct xs_req *q = tx_head; q; prev = q, q = q->next_tx) {
		if (q != r)
			continue;
		if (prev)
			prev->next_tx = r->next_tx;
		else
			tx_head = r->next_tx;
		if (tx_tail == r)
			tx_tail = prev;
		break;
	}
}

static bool id_in_use(uint32_t id)
{
	for (struct xs_req *r = pending; r; r = r->next)
		if (r->hdr.req_id == id)
			return true;
	return false;
}

int pvk_xs_request(uint32_t type, pvk_xs_transaction_t t,
		   const char *const *parts, const uint32_t *lens,
		   unsigned int nr, char *out, size_t out_size)
{
	struct xs_req r = {
		.hdr = { .type = type, .tx_id = t },
		.parts = parts, .lens = lens, .nr = nr,
		.out = out, .out_size = out_size,
	};
	int rc;

	if (!xs_up)
		return -PVK_XEN_ENODEV;
	for (unsigned int i = 0; i < nr; i++)
		r.hdr.len += lens[i];
	if (r.hdr.len > PVK_XENSTORE_PAYLOAD_MAX)
		return -PVK_XEN_E2BIG;

	pvk_port_lock(&xs_lock);
	if (conn.dead) {
		pvk_port_unlock(&xs_lock);
		return -PVK_XEN_EIO;
	}
	/* 0 is never used; an id still pending (after 2^32 requests) neither. */
	do {
		r.hdr.req_id = next_req_id++;
	} while (!r.hdr.req_id || id_in_use(r.hdr.req_id));
	r.next = pending;
	pending = &r;
	if (++nr_pending > pvk_xs_counters.max_outstanding)
		pvk_xs_counters.max_outstanding = nr_pending;
	if (tx_tail)
		tx_tail->next_tx = &r;
	else
		tx_head = &r;
	tx_tail = &r;
	pvk_xs_counters.requests++;
	pump();
	pvk_port_unlock(&xs_lock);

	rc = pvk_port_wait_until(&pvk_xs_waitq, req_done, &r, PVK_XS_TIMEOUT_NS);

	pvk_port_lock(&xs_lock);
	if (!r.done && r.sent && r.sent < msg_len(&r)) {
		/* Half a message in the ring: the stream is lost. */
		die("request ring not drained in time");
	}
	unlink_req(&r);
	/* A late reply to a timed-out request is then counted as stray. */
	pvk_port_unlock(&xs_lock);
	if (r.done)
		return r.rc;
	return rc ? rc : -PVK_XEN_EIO;
}

void pvk_xs_get_stats(struct pvk_xs_stats *out)
{
	/* Counters change under xs_lock (the event handler may run on
	 * another CPU): one consistent copy. */
	if (!xs_lock_ready) {
		*out = pvk_xs_counters;
		return;
	}
	pvk_port_lock(&xs_lock);
	*out = pvk_xs_counters;
	pvk_port_unlock(&xs_lock);
}
