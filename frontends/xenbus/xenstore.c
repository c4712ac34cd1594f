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
 *
 * Suspend (suspend/ calls pvk_xs_suspend() before it masks upcalls, as
 * Linux's xs_suspend does the same job): from then on a new call waits
 * before it queues anything (`held`); the requests already queued go on
 * and the quiesce waits, bounded, until each has its answer and every
 * transaction (xs_txn.c) has ended. A transaction open when the hold
 * began must be able to end: its requests and its end pass the hold (a
 * start never does; as Linux lets requests in while transactions are
 * open). Then no new message is started in the
 * ring (`frozen`), and one half written must be finished in a short bound
 * or the suspend is refused: a message is in the ring whole before the
 * suspend or not started, never cut. Cancelled, everything goes on as it
 * was. In a new domain (pvk_xs_resume()) the answers the old xenstored
 * left in the ring are still delivered; what the old xenstored took and
 * never answered fails with -PVK_XEN_EIO (not -EAGAIN: a commit may have
 * been applied, a retry would apply it twice), and so does anything of a
 * transaction of before (the new xenstored does not know its id); the
 * requests never started go out on the new ring. A caller's wait (a
 * batch's waits share one deadline, review s12 S5) is not charged with
 * the time the client was quiesced (from pvk_xs_suspend() to its resume
 * or cancel, the downtime included): its deadline moves by that much,
 * up to QUIESCE_CREDIT_NS in all (review s12-int M1: an END of an open
 * transaction, queued and held unsent by the freeze, goes out at
 * the cancel of a long `xl save -c` and must get its real answer). An end
 * whose reply never comes ends its transaction on our side (S1): a late
 * reply is a stray, and no later quiesce waits for that slot.
 */
#include <pvkit/time.h>
#include <pvkit/events.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"
#include "xs_txn.h"

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
	int txn_slot;			/* TRANSACTION_START: its xs_txn slot */
	uint32_t txn_handle;		/* START: the new one's; else the caller's */
	unsigned int cpu;		/* the caller's */
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
static struct pvk_xs_txns txns;
/* Requests queued and not done (the quiesce waits for 0). */
static unsigned int nr_unanswered;
/* A suspend is under way: new calls wait before they queue (held); no
 * new message is started in the ring (frozen). */
static bool held, frozen;
/* Time quiesced, in total (kit clock): the ones ended, and since when the
 * one under way (held) began. */
static uint64_t quiesced_ns, quiesce_t0;
/* Resumes in a new domain (xs_watch.c: a WATCH that spanned one). */
static uint64_t resume_gen;

struct pvk_xs_stats pvk_xs_counters;
struct pvk_wait pvk_xs_waitq;

/* Time quiesced so far, the quiesce under way included (xs_lock held). */
static uint64_t quiesced_total(void)
{
	return quiesced_ns + (held ? pvk_time_now_ns() - quiesce_t0 : 0);
}

/* The quiesce under way is over (xs_lock held). */
static void quiesce_over(void)
{
	if (held)
		quiesced_ns += pvk_time_now_ns() - quiesce_t0;
	held = false;
	frozen = false;
}

/* r's result (xs_lock held): its caller may go. */
static void finish(struct xs_req *r, int rc)
{
	if (r->done)
		return;
	r->rc = rc;
	r->done = true;
	nr_unanswered--;
}

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
	for (struct xs_req *r = pending; r; r = r->next)
		finish(r, -PVK_XEN_EIO);
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
		uint32_t room;

		/* A suspend is near: only a message begun is finished. */
		if (frozen && !tx_head->sent)
			break;
		room = pvk_xs_req_room(&conn);
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
	/* The transactions the client knows open (xs_txn.c): an end's
	 * reply of any kind closes its id in xenstored. */
	if (r->hdr.type == PVK_XS_TRANSACTION_START) {
		unsigned long id;

		if (!rc && !pvk_xs_parse_ulong(rx->body, &id) && id && id <= UINT32_MAX)
			pvk_xs_txn_started(&txns, r->txn_slot, (uint32_t)id);
		else
			pvk_xs_txn_unreserve(&txns, r->txn_slot);
	} else if (r->hdr.type == PVK_XS_TRANSACTION_END) {
		pvk_xs_txn_ended(&txns, r->txn_handle);
	}
	finish(r, rc ? rc : (int)rx->hdr.len);
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
	nr_unanswered = 0;
	pvk_xs_txns_init(&txns);
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

/* Takes r off the send queue only (xs_lock held). */
static void unqueue(struct xs_req *r)
{
	struct xs_req *prev = NULL;

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

/*
 * Open transactions the quiesce can wait for (xs_lock held): not one with
 * a call still in progress on the CPU that runs the suspend. That call is
 * beneath us (the suspend runs from the watch worker, background work of
 * a xenstore wait), so its transaction cannot end before we return;
 * waiting would only cost the whole bound. (A host whose threads share a
 * CPU may have a preempted thread there instead: its transaction then
 * fails with EIO in a new domain, as one that outlives the bound does.)
 */
static unsigned int open_elsewhere(void)
{
	unsigned int self = pvk_port_cpu_id(), n = 0;

	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		bool beneath = false;

		if (txns.slot[i].state != PVK_XS_TXN_OPEN)
			continue;
		for (struct xs_req *r = pending; r && !beneath; r = r->next)
			beneath = r->cpu == self &&
				  (r->hdr.tx_id == txns.slot[i].id || r->txn_slot == (int)i);
		n += !beneath;
	}
	return n;
}

/*
 * Quiet decides and freezes in one xs_lock hold (review s12-revfix SF-1):
 * a request of an open transaction passes the hold, so between a "quiet"
 * seen here and a `frozen` set after the wait, a transaction counted as
 * beneath could send its END into the ring; xenstored could commit it
 * and the new domain would tell its caller EIO ("not done").
 */
static bool quiet(void *arg)
{
	bool q;

	(void)arg;
	pvk_port_lock(&xs_lock);
	q = conn.dead || (!nr_unanswered && !open_elsewhere());
	if (q)
		frozen = true;
	pvk_port_unlock(&xs_lock);
	return q;
}

/* The send queue's head is a message begun and not finished. */
static bool half_sent(void)
{
	struct xs_req *h = PVK_READ_ONCE(tx_head);

	return h && h->sent && h->sent < msg_len(h);
}

/*
 * Nothing the old xenstored might still carry out behind our back: no
 * message half written, and every byte we wrote read by xenstored. Bytes
 * left unread would be read by the new xenstored, which keeps the ring's
 * indices (xs_ring.c), maybe before the guest runs: their caller would
 * hear EIO ("not done") for a request that is then done.
 */
static bool whole(void *arg)
{
	bool cut;

	(void)arg;
	pvk_port_lock(&xs_lock);
	cut = !conn.dead && (half_sent() || pvk_xs_req_ack(&conn) < 0 ||
			     conn.req_acked != conn.req_prod);
	pvk_port_unlock(&xs_lock);
	return !cut;
}

/* The bound for a half-written message's rest once nothing new starts. */
#define FINISH_NS	(1000ULL * 1000 * 1000)

int pvk_xs_suspend(uint64_t timeout_ns)
{
	unsigned int unanswered, open, beneath;
	int rc;

	if (!xs_up)
		return 0;
	pvk_port_lock(&xs_lock);
	if (!held)
		quiesce_t0 = pvk_time_now_ns();
	held = true;
	pvk_port_unlock(&xs_lock);
	rc = pvk_port_wait_until(&pvk_xs_waitq, quiet, NULL, timeout_ns);
	pvk_port_lock(&xs_lock);
	unanswered = nr_unanswered;
	open = txns.nr_open;
	beneath = open - open_elsewhere();
	frozen = true;	/* the timeout path; quiet() froze already otherwise */
	pvk_port_unlock(&xs_lock);
	if (rc)
		pvk_warn("xenstore: suspend: gave up waiting after %llu ms: %u requests unanswered, %u transactions open (in a new domain they fail with EIO, although one xenstored read may have been carried out)",
			 (unsigned long long)(timeout_ns / 1000000), unanswered, open);
	else if (beneath)
		pvk_info("xenstore: suspend: %u transactions open by a call the suspend runs inside of (in a new domain they fail with EIO)",
			 beneath);
	if (pvk_port_wait_until(&pvk_xs_waitq, whole, NULL, FINISH_NS)) {
		pvk_err("xenstore: suspend: requests in the ring that xenstored has not read (or one half written): the new xenstored could carry them out after their callers were told EIO: suspend refused");
		pvk_xs_suspend_cancel();
		return -PVK_XEN_EBUSY;
	}
	return 0;
}

void pvk_xs_suspend_cancel(void)
{
	if (!xs_up)
		return;
	pvk_port_lock(&xs_lock);
	quiesce_over();
	pump();
	pvk_port_unlock(&xs_lock);
	pvk_port_wake(&pvk_xs_waitq);
}

/*
 * After a resume in a new domain (suspend/, CPU 0, upcalls masked): the
 * ring stays at its pfn, xenstored is a new connection on a new port.
 * First the old connection's last answers, still in the ring (the old
 * xenstored wrote them after upcalls were masked; the saved page kept
 * them), are delivered as the event handler would have. Then what is
 * left of the old connection fails with -PVK_XEN_EIO: requests the old
 * xenstored had (some bytes in the ring) and no answer, requests queued
 * in a transaction of before; the transactions of before are forgotten
 * (xs_txn.c: their handles name nothing from now on).
 * Requests never started stay queued and go out on the new ring, once
 * the new port has our handler.
 */
int pvk_xs_resume(pvk_evtchn_port_t port, uint64_t *lost)
{
	struct pvk_xenstore_domain_interface *intf = conn.intf;
	struct pvk_xs_pass pass = { 0 };
	uint32_t rsp_prod, req_prod, req_cons, skipped, judged_prod, judged_cons;
	unsigned int stale, evicted, replayed = 0;
	int rc;

	*lost = 0;
	if (!xs_up || !intf)
		return -PVK_XEN_ENODEV;
	pvk_port_lock(&xs_lock);
	if (!conn.dead && pvk_xs_service(&conn, deliver, NULL, &pass) < 0)
		pvk_warn("xenstore: resume: the old xenstored's last answers are not readable: dropped");
	if (pass.messages)
		pvk_info("xenstore: resume: %u messages of the old xenstored delivered",
			 pass.messages);
	evicted = txns.stale_evicted;
	stale = pvk_xs_txn_forget(&txns);
	if (txns.stale_evicted != evicted)
		pvk_warn("xenstore: resume: %u forgotten transaction handle(s) dropped unretired (the list of %u is full): after a wrap they may be handed out again",
			 txns.stale_evicted - evicted, (unsigned int)PVK_XS_TXN_STALE);
	for (struct xs_req *r = pending; r; r = r->next) {
		if (r->done)
			continue;
		if (r->sent || r->hdr.tx_id) {
			/* Sent: a half one cannot be (frozen). Not sent, in a
			 * transaction: every transaction is of before, not
			 * sent, ever. */
			unqueue(r);
			/* An end failed here is its caller's last word on
			 * that handle (xs_txn.c). */
			if (r->hdr.type == PVK_XS_TRANSACTION_END)
				pvk_xs_txn_retire(&txns, r->txn_handle);
			finish(r, -PVK_XEN_EIO);
			(*lost)++;
		} else {
			replayed++;
		}
	}
	/* The old connection's unread rest (indices read once each). */
	req_prod = PVK_READ_ONCE(intf->req_prod);
	req_cons = PVK_READ_ONCE(intf->req_cons);
	rsp_prod = PVK_READ_ONCE(intf->rsp_prod);
	skipped = rsp_prod - PVK_READ_ONCE(intf->rsp_cons);
	PVK_WRITE_ONCE(intf->rsp_cons, rsp_prod);
	pvk_barrier();
	rc = pvk_xs_conn_init(&conn, intf);
	/* The values conn_init judged (it reads them again), for the log. */
	judged_prod = conn.req_prod;
	judged_cons = conn.req_acked;
	xs_port = port;
	quiesce_over();
	PVK_WRITE_ONCE(resume_gen, resume_gen + 1);
	pvk_port_unlock(&xs_lock);
	pvk_port_wake(&pvk_xs_waitq);
	if (*lost)
		pvk_err("xenstore: resume: %llu requests of the old connection failed with EIO (never answered, or in a transaction of before)",
			(unsigned long long)*lost);
	if (stale)
		pvk_warn("xenstore: resume: %u transactions of before are gone: their requests fail with EIO",
			 stale);
	if (req_prod != req_cons)
		pvk_err("xenstore: resume: %u request bytes the old xenstored never read are in the ring: the new one may carry them out, although their callers were told EIO",
			req_prod - req_cons);
	if (skipped)
		pvk_warn("xenstore: resume: %u bytes of the old xenstored's answers skipped", skipped);
	if (replayed)
		pvk_info("xenstore: resume: %u requests queued during the suspend go out on the new ring",
			 replayed);
	if (rc) {
		pvk_err("xenstore: resume: ring indices inconsistent (req_prod 0x%x req_cons 0x%x, or the response pair)",
			judged_prod, judged_cons);
		return rc;
	}
	rc = pvk_evtchn_set_handler(port, xs_event, NULL);
	pvk_port_lock(&xs_lock);
	pump();
	pvk_port_unlock(&xs_lock);
	return rc;
}

static bool req_done(void *arg)
{
	const struct xs_req *r = arg;

	return PVK_READ_ONCE(r->done);
}

/* Takes r off both lists (xs_lock held); a start given up frees its
 * transaction slot (no-op once the transaction opened). */
static void unlink_req(struct xs_req *r)
{
	for (struct xs_req **p = &pending; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			nr_pending--;
			break;
		}
	}
	unqueue(r);
	if (!r->done)
		nr_unanswered--;
	if (r->hdr.type == PVK_XS_TRANSACTION_START)
		pvk_xs_txn_unreserve(&txns, r->txn_slot);
}

static bool not_held(void *arg)
{
	(void)arg;
	return !PVK_READ_ONCE(held);
}

static bool id_in_use(uint32_t id)
{
	for (struct xs_req *r = pending; r; r = r->next)
		if (r->hdr.req_id == id)
			return true;
	return false;
}

/* The most a wait's deadline moves for time quiesced: a suspend that
 * never ends still lets its waiters go. */
#define QUIESCE_CREDIT_NS	(10 * PVK_XS_HOLD_NS)

static uint64_t quiesced_now(void)
{
	uint64_t q;

	pvk_port_lock(&xs_lock);
	q = quiesced_total();
	pvk_port_unlock(&xs_lock);
	return q;
}

/* Nanoseconds from now to deadline (kit clock), 0 once passed. */
static uint64_t left_ns(uint64_t deadline)
{
	uint64_t now = pvk_time_now_ns();

	return deadline > now ? deadline - now : 0;
}

void pvk_xs_bound_start(struct pvk_xs_bound *b)
{
	b->start = pvk_time_now_ns();
	/* Before pvk_xs_init() the requests fail at once (ENODEV). */
	b->quiesced0 = xs_lock_ready ? quiesced_now() : 0;
}

/* r queued for sending (its fields set but the header's id): 0, or why
 * not (then it is on no list). A suspend under way holds it until b's
 * hold deadline at the latest. */
static int req_queue(struct xs_req *r, pvk_xs_transaction_t t,
		     const struct pvk_xs_bound *b)
{
	int rc;

	if (!xs_up)
		return -PVK_XEN_ENODEV;
	for (unsigned int i = 0; i < r->nr; i++)
		r->hdr.len += r->lens[i];
	if (r->hdr.len > PVK_XENSTORE_PAYLOAD_MAX)
		return -PVK_XEN_E2BIG;

	pvk_port_lock(&xs_lock);
	/* A suspend is under way: this request goes out after it (on the
	 * new ring if the domain is new); unless it is of a transaction open
	 * now, which the quiesce waits to end (review s12 S2). The batch's
	 * requests share one hold bound (review s12 S5): after the first
	 * gave up, the others give up at once. */
	while (held && !pvk_xs_txn_passes_hold(&txns, t, r->hdr.type == PVK_XS_TRANSACTION_START)) {
		pvk_port_unlock(&xs_lock);
		uint64_t w0 = pvk_time_now_ns();

		rc = pvk_port_wait_until(&pvk_xs_waitq, not_held, NULL,
					 left_ns(b->start + PVK_XS_HOLD_NS));
		pvk_port_lock(&xs_lock);
		if (rc && held) {
			if (r->hdr.type == PVK_XS_TRANSACTION_END)
				pvk_xs_txn_retire(&txns, t);	/* its last word */
			pvk_port_unlock(&xs_lock);
			/* The time this one waited: a batch's later requests
			 * get what is left of the hold bound, often nothing
			 * (review N2). */
			pvk_err("xenstore: a request waited %llu ms for a suspend to end (the bound: %llu s from its batch's start): %d",
				(unsigned long long)((pvk_time_now_ns() - w0) / 1000000ULL),
				(unsigned long long)(PVK_XS_HOLD_NS / 1000000000ULL), rc);
			return rc;
		}
	}
	if (conn.dead) {
		if (r->hdr.type == PVK_XS_TRANSACTION_END)
			pvk_xs_txn_retire(&txns, t);	/* its last word */
		pvk_port_unlock(&xs_lock);
		return -PVK_XEN_EIO;
	}
	/* The caller's handle to xenstored's id, now: a handle of a
	 * transaction of before a resume in a new domain matches none, even
	 * if the new xenstored gave its id out again. */
	rc = pvk_xs_txn_lookup(&txns, t, &r->hdr.tx_id);
	if (rc) {
		/* Its caller is done with a forgotten handle (xs_txn.c). */
		if (r->hdr.type == PVK_XS_TRANSACTION_END)
			pvk_xs_txn_retire(&txns, t);
		pvk_port_unlock(&xs_lock);
		pvk_warn("xenstore: transaction 0x%x is not open (ended, or opened before a resume in a new domain): request %u refused (EIO)",
			 t, r->hdr.type);
		return rc;
	}
	if (r->hdr.type == PVK_XS_TRANSACTION_START) {
		r->txn_slot = pvk_xs_txn_reserve(&txns, &r->txn_handle);
		if (r->txn_slot < 0) {
			pvk_port_unlock(&xs_lock);
			pvk_err("xenstore: more than %u transactions open at once: refused",
				PVK_XS_MAX_TXNS);
			return r->txn_slot;
		}
	}
	/* 0 is never used; an id still pending (after 2^32 requests) neither. */
	do {
		r->hdr.req_id = next_req_id++;
	} while (!r->hdr.req_id || id_in_use(r->hdr.req_id));
	r->cpu = pvk_port_cpu_id();
	r->next = pending;
	pending = r;
	nr_unanswered++;
	if (++nr_pending > pvk_xs_counters.max_outstanding)
		pvk_xs_counters.max_outstanding = nr_pending;
	if (tx_tail)
		tx_tail->next_tx = r;
	else
		tx_head = r;
	tx_tail = r;
	pvk_xs_counters.requests++;
	pump();
	pvk_port_unlock(&xs_lock);
	return 0;
}

/* b's credit so far: the time quiesced since it began, capped. */
static uint64_t credit_ns(const struct pvk_xs_bound *b)
{
	uint64_t now = quiesced_now(), q;

	/* The quiesce under way is measured on whichever CPU reads it: a
	 * clock a little behind there must not wrap to the whole cap
	 * (review N6). */
	if (now <= b->quiesced0)
		return 0;
	q = now - b->quiesced0;
	return q < QUIESCE_CREDIT_NS ? q : QUIESCE_CREDIT_NS;
}

static bool sent_whole(void *arg)
{
	const struct xs_req *r = arg;

	return PVK_READ_ONCE(r->done) || !PVK_READ_ONCE(r->sent) ||
	       PVK_READ_ONCE(r->sent) == msg_len(r);
}

/*
 * Waits (bounded) for a queued r's reply and takes it off the lists. The
 * wait ends at b's deadline, shared by every request of a batch (review
 * s12 S5: not one bound each, adding up).
 */
static int req_wait(struct xs_req *r, const struct pvk_xs_bound *b)
{
	uint64_t t0 = pvk_time_now_ns();
	int rc;

	/* Time quiesced since b began (a request queued or held across a
	 * suspend, the kit's clock jumping over its downtime) is not the
	 * replies': the deadline moves by it, bounded in all. A wait that
	 * timed out while credit accrued waits again for what it added;
	 * not when the moved deadline is still behind the clock (a hold
	 * that began after the deadline moves it as fast as time goes:
	 * waits of 0 in a loop, review N3). */
	for (;;) {
		uint64_t credit = credit_ns(b);

		rc = pvk_port_wait_until(&pvk_xs_waitq, req_done, r,
					 left_ns(b->start + PVK_XS_TIMEOUT_NS + credit));
		if (rc != -PVK_XEN_ETIMEDOUT || PVK_READ_ONCE(r->done))
			break;
		if (credit_ns(b) == credit ||
		    !left_ns(b->start + PVK_XS_TIMEOUT_NS + credit_ns(b)))
			break;
	}

	/* The shared bound ran out while r is half written into the ring
	 * (xenstored reads slowly; review s13 M1). Giving it up now would
	 * cut the stream and give xenstore up for the guest. Before batches
	 * shared a bound, r's own wait had PVK_XS_TIMEOUT_NS from its start
	 * and only a message still half written then was fatal: r gets at
	 * least that to be written whole (its answer is not waited for any
	 * longer; a late one is a stray). Looked at under xs_lock only
	 * (review s13-int S2): an unsent r seen outside it may be half
	 * written by pump() (an upcall) before the lock is taken; under it,
	 * an unsent r is taken off the queue at once and is never written. */
	pvk_port_lock(&xs_lock);
	if (!r->done && r->sent && r->sent < msg_len(r)) {
		pvk_port_unlock(&xs_lock);
		pvk_port_wait_until(&pvk_xs_waitq, sent_whole, r,
				    left_ns(t0 + PVK_XS_TIMEOUT_NS + credit_ns(b)));
		pvk_port_lock(&xs_lock);
		if (!r->done && r->sent && r->sent < msg_len(r)) {
			/* Half a message in the ring after its own
			 * bound: the stream is lost. */
			die("request ring not drained in time");
		}
	}
	if (!r->done && r->hdr.type == PVK_XS_TRANSACTION_END) {
		/* Its reply never came (review s12-int S1): the transaction
		 * ends on our side, or every later quiesce would wait its
		 * whole bound for it; its caller is done with the handle.
		 * A late reply is a stray; xenstored drops the id at the
		 * latest when the connection goes. */
		pvk_xs_txn_ended(&txns, r->txn_handle);
		pvk_xs_txn_retire(&txns, r->txn_handle);
	}
	unlink_req(r);
	/* A late reply to a timed-out request is then counted as stray. */
	pvk_port_unlock(&xs_lock);
	/* A start's caller gets the kit's handle, never xenstored's id. */
	if (r->done && r->rc >= 0 && r->hdr.type == PVK_XS_TRANSACTION_START)
		return pvk_snprintf(r->out, r->out_size, "%u", r->txn_handle);
	if (r->done)
		return r->rc;
	return rc ? rc : -PVK_XEN_EIO;
}

uint64_t pvk_xs_resumes(void)
{
	return PVK_READ_ONCE(resume_gen);
}

int pvk_xs_request(uint32_t type, pvk_xs_transaction_t t,
		   const char *const *parts, const uint32_t *lens,
		   unsigned int nr, char *out, size_t out_size)
{
	struct xs_req r = {
		.hdr = { .type = type },
		.parts = parts, .lens = lens, .nr = nr,
		.out = out, .out_size = out_size,
		.txn_slot = -1, .txn_handle = t,
	};
	struct pvk_xs_bound b;
	int rc;

	pvk_xs_bound_start(&b);
	rc = req_queue(&r, t, &b);
	return rc ? rc : req_wait(&r, &b);
}

/*
 * Several requests sent together, then every reply waited for: one round
 * trip with xenstored instead of one each (it answers a connection's
 * requests in order). Each m[i].rc is what pvk_xs_request() would have
 * returned for it alone, but for the bound: the whole batch has b's.
 */
void pvk_xs_request_many_within(struct pvk_xs_many *m, unsigned int n,
				const struct pvk_xs_bound *b)
{
	struct xs_req r[PVK_XS_MANY_MAX];

	if (n > PVK_XS_MANY_MAX) {
		for (unsigned int i = 0; i < n; i++)
			m[i].rc = -PVK_XEN_E2BIG;
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		r[i] = (struct xs_req){
			.hdr = { .type = m[i].type },
			.parts = m[i].parts, .lens = m[i].lens, .nr = m[i].nr,
			.out = m[i].out, .out_size = m[i].out_size,
			.txn_slot = -1, .txn_handle = m[i].t,
		};
		m[i].rc = req_queue(&r[i], m[i].t, b);
		m[i].queued = !m[i].rc;
	}
	for (unsigned int i = 0; i < n; i++)
		if (m[i].queued)
			m[i].rc = req_wait(&r[i], b);
}

void pvk_xs_request_many(struct pvk_xs_many *m, unsigned int n)
{
	struct pvk_xs_bound b;

	pvk_xs_bound_start(&b);
	pvk_xs_request_many_within(m, n, &b);
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
