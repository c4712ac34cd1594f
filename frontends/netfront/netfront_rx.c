/*
 * frontends/netfront/netfront_rx.c - a queue's receive side: posting our
 * pages to the backend (granted for one frame at a time, recycled: only
 * the page is granted again), consuming responses into whole frames
 * (NETRXF_more_data chains, extra-info slots after the first), their
 * checks, delivery to the host's rx hook, and the refill.
 *
 * The backend is untrusted: each response is copied once from the ring,
 * checked (an id we posted, a known status, offset + size within the
 * page, flags only of features negotiated and only where the protocol
 * puts them), its grant ended before its page is read. A chain is
 * consumed slot by slot and delivered once complete; one the backend has
 * not finished waits, its buffers held, for the next event. A frame of
 * more pieces or bytes than a frame may have is dropped (rx_drop_toolong),
 * its buffers posted again; what the protocol forbids breaks the device.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

#define RXF_KNOWN (PVK_NETRXF_data_validated | PVK_NETRXF_csum_blank | \
		   PVK_NETRXF_more_data | PVK_NETRXF_extra_info | PVK_NETRXF_gso_prefix)

const char *netfront_check_rx_response(const struct netfront_queue *q,
				       const struct pvk_netif_rx_response *rsp,
				       bool first)
{
	/* What we said we receive, not what the backend accepts. */
	const struct netfront_rx_features *rx = &q->dev->rxf;

	if (rsp->id >= NETFRONT_RING_ENTS || !q->rxb[rsp->id].posted)
		return "answered a receive buffer not posted (id, status)";
	/* No flag for a feature we did not negotiate, or never asked for. */
	if ((rsp->flags & ~RXF_KNOWN) || (rsp->flags & PVK_NETRXF_gso_prefix) ||
	    ((rsp->flags & PVK_NETRXF_more_data) && !rx->sg) ||
	    ((rsp->flags & PVK_NETRXF_extra_info) && !rx->gso_tcpv4 && !rx->gso_tcpv6) ||
	    ((rsp->flags & PVK_NETRXF_csum_blank) && !rx->csum && !rx->ipv6_csum))
		return "set receive flags not negotiated (id, status)";
	/* Extra-info and checksum flags are the first slot's only. */
	if (!first && (rsp->flags & PVK_NETRXF_extra_info))
		return "set extra-info past a frame's first slot (id, status)";
	if (!first && (rsp->flags & (PVK_NETRXF_csum_blank | PVK_NETRXF_data_validated)))
		return "set checksum flags past a frame's first slot (id, status)";
	if (rsp->status < PVK_NETIF_RSP_DROPPED)
		return "sent an unknown receive status (id, status)";
	if (rsp->status > 0 &&
	    (uint32_t)rsp->offset + (uint32_t)rsp->status > NETFRONT_PAGE)
		return "placed a frame beyond its page (id, size)";
	return NULL;
}

const char *netfront_check_rx_extra(const struct netfront_queue *q,
				    const struct pvk_netif_extra_info *ex)
{
	const struct netfront_rx_features *rx = &q->dev->rxf;

	if (ex->type == PVK_XEN_NETIF_EXTRA_TYPE_NONE ||
	    ex->type >= PVK_XEN_NETIF_EXTRA_TYPE_MAX ||
	    (ex->flags & ~PVK_XEN_NETIF_EXTRA_FLAG_MORE))
		return "sent an unknown extra-info slot (type, flags)";
	if (ex->type != PVK_XEN_NETIF_EXTRA_TYPE_GSO)
		return NULL;		/* known, not ours to act on: skipped */
	if (!((ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV4 && rx->gso_tcpv4) ||
	      (ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV6 && rx->gso_tcpv6)))
		return "sent a GSO type not negotiated (gso type, size)";
	if (!ex->u.gso.size)
		return "sent a GSO frame of MSS 0 (gso type, size)";
	return NULL;
}

int netfront_rx_post_locked(struct netfront_queue *q, uint16_t id)
{
	struct netfront_rx_buf *b = &q->rxb[id];
	struct pvk_netif_rx_request *rq;
	int rc;

	if (b->kept || b->posted)
		return -PVK_XEN_EINVAL;
	if (!b->page && !(b->page = pvk_port_alloc_page()))
		return -PVK_XEN_ENOMEM;
	rc = pvk_grant_access_page(q->dev->backend, b->page, false, &b->gref);
	if (rc)
		return rc;
	netfront_grants_add(q->dev, 1);
	q->stats.grants++;
	b->posted = true;
	b->held = false;
	q->rx_ring_id[PVK_RING_SLOT(&q->rx, q->rx.req_prod_pvt)] = id;
	rq = PVK_RING_GET_REQUEST(&q->rx, q->rx.req_prod_pvt);
	rq->id = id;
	rq->pad = 0;
	rq->gref = b->gref;
	q->rx.req_prod_pvt++;
	q->rx_posted++;
	return 0;
}

/* feature-rx-notify: the backend waits for our event when it ran out of
 * buffers. Locked. */
void netfront_rx_push_locked(struct netfront_queue *q, bool *notify)
{
	uint32_t old = q->rx_pushed;

	q->rx_pushed = q->rx.req_prod_pvt;
	if (PVK_RING_PUSH_REQUESTS_FROM_AND_CHECK_NOTIFY(&q->rx, old)) {
		q->stats.notify_sent++;
		*notify = true;
	}
}

/* Takes buffer id back from the backend (its grant ended). False: the
 * backend keeps it mapped (the device is broken, the page kept). Locked. */
static bool rx_take_locked(struct netfront_queue *q, uint16_t id)
{
	struct netfront_rx_buf *b = &q->rxb[id];

	b->posted = false;
	q->rx_posted--;
	if (netfront_end_grant(q->dev, b->gref))
		return true;
	b->kept = true;
	netfront_break(q->dev, "kept a receive page mapped after filling it (id, queue)",
		       id, q->index);
	return false;
}

/* Posts buffer id again (the refill). Locked. False: it could not be
 * (no grant or page now): retried by netfront_rx_refill_locked(). */
static bool rx_repost_locked(struct netfront_queue *q, uint16_t id)
{
	q->rxb[id].held = false;
	if (q->live && !PVK_READ_ONCE(q->dev->broken) && netfront_rx_post_locked(q, id)) {
		q->rx_refill_due = true;
		return false;
	}
	return true;
}

void netfront_rx_refill_locked(struct netfront_queue *q)
{
	unsigned int n = q->dev->info.rx_buffers;

	q->rx_refill_due = false;
	if (!q->live || PVK_READ_ONCE(q->dev->broken))
		return;
	for (unsigned int id = 0; id < n && id < NETFRONT_RING_ENTS; id++) {
		struct netfront_rx_buf *b = &q->rxb[id];

		if (b->posted || b->held || b->kept)
			continue;
		if (netfront_rx_post_locked(q, (uint16_t)id)) {
			q->rx_refill_due = true;
			break;
		}
	}
}

/* A data slot taken into the chain. Locked. False: the device broke. */
static bool rx_take_data_locked(struct netfront_queue *q, uint32_t idx,
				const struct pvk_netif_rx_response *rsp)
{
	struct netfront_rx_chain *c = &q->chain;
	const char *bad = netfront_check_rx_response(q, rsp, !c->active);

	/* Netback answers each request in its own slot: another posted
	 * buffer's id there would leave this slot's buffer posted for
	 * ever (and the other answered twice). */
	if (!bad && rsp->id != q->rx_ring_id[PVK_RING_SLOT(&q->rx, idx)])
		bad = "answered a receive slot with another slot's buffer (id, status)";

	if (bad) {
		pvk_err("netfront: %s: bad receive response: id %u offset %u flags %#x status %d",
			q->dev->name, rsp->id, rsp->offset, rsp->flags, rsp->status);
		netfront_break(q->dev, bad, rsp->id, rsp->status);
		return false;
	}
	/* A chain longer than any frame netback makes (17 pages at most):
	 * a backend that never ends one would hold us here. */
	if (c->slots >= PVK_NET_MAX_FRAGS) {
		netfront_break(q->dev, "sent a receive chain of more slots than a frame has (id, slots)",
			       rsp->id, c->slots + 1);
		return false;
	}
	/* Read the page only once the backend can no longer write it. */
	if (!rx_take_locked(q, rsp->id))
		return false;
	if (!c->active) {
		c->active = true;
		c->flags = rsp->flags;
		c->extra_due = rsp->flags & PVK_NETRXF_extra_info;
	}
	c->more = rsp->flags & PVK_NETRXF_more_data;
	c->slots++;
	if (rsp->status < 0)
		c->drop_error = true;
	else if (c->bytes + (uint32_t)rsp->status > NETFRONT_MAX_FRAME_SG)
		c->drop_toolong = true;
	if (c->drop_error || c->drop_toolong || rsp->status <= 0) {
		if (!rx_repost_locked(q, rsp->id))
			c->nobuf = true;
		return true;
	}
	c->piece[c->nr++] = (struct netfront_rx_piece){
		.id = rsp->id, .offset = rsp->offset, .len = (uint16_t)rsp->status,
	};
	c->bytes += (uint32_t)rsp->status;
	q->rxb[rsp->id].held = true;
	return true;
}

/* An extra-info slot taken into the chain: it filled no buffer, but took
 * the request (and the buffer) posted at its ring slot. Locked. False:
 * the device broke. */
static bool rx_take_extra_locked(struct netfront_queue *q, uint32_t idx,
				 const struct pvk_netif_extra_info *ex)
{
	struct netfront_rx_chain *c = &q->chain;
	uint16_t id = q->rx_ring_id[PVK_RING_SLOT(&q->rx, idx)];
	const char *bad = netfront_check_rx_extra(q, ex);

	if (bad) {
		netfront_break(q->dev, bad, ex->type,
			       ex->type == PVK_XEN_NETIF_EXTRA_TYPE_GSO ?
			       (long long)ex->u.gso.type << 16 | ex->u.gso.size :
			       ex->flags);
		return false;
	}
	/* One of each type at most: a backend repeating one (with
	 * FLAG_MORE) would keep us here. */
	if (c->extras_seen & (1u << ex->type)) {
		netfront_break(q->dev, "sent one extra-info type twice in a frame (type, flags)",
			       ex->type, ex->flags);
		return false;
	}
	c->extras_seen |= 1u << ex->type;
	if (!q->rxb[id].posted) {
		netfront_break(q->dev, "put an extra-info slot over a buffer already answered (id, ring slot)",
			       id, idx);
		return false;
	}
	if (!rx_take_locked(q, id))
		return false;
	if (!rx_repost_locked(q, id))
		c->nobuf = true;
	if (ex->type == PVK_XEN_NETIF_EXTRA_TYPE_GSO) {
		c->gso_type = ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV4 ?
			PVK_NET_GSO_TCPV4 : PVK_NET_GSO_TCPV6;
		c->gso_size = ex->u.gso.size;
	}
	c->extra_due = ex->flags & PVK_XEN_NETIF_EXTRA_FLAG_MORE;
	return true;
}

/* The ethertype of a received frame, past one VLAN tag (0: too short). */
static unsigned int rx_ethertype(const struct pvk_net_frag *f)
{
	const uint8_t *p = f->buf;
	unsigned int t;

	if (f->len < PVK_NET_ETH_HLEN)
		return 0;
	t = (unsigned int)p[12] << 8 | p[13];
	if (t == NETFRONT_ETH_P_8021Q || t == NETFRONT_ETH_P_8021AD)
		t = f->len >= 18 ? (unsigned int)p[16] << 8 | p[17] : 0;
	return t;
}

/* The chain is complete: deliver it (unlocked) or count its drop, then
 * post its buffers again. Called locked, returns locked. */
static void rx_deliver_locked(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	struct netfront_rx_chain c = q->chain;
	struct pvk_net_frag frags[PVK_NET_MAX_FRAGS];
	struct pvk_net_rx frame = { 0 };
	bool nobuf = c.nobuf;

	__builtin_memset(&q->chain, 0, sizeof(q->chain));
	for (unsigned int i = 0; i < c.nr; i++) {
		frags[i].buf = (const char *)q->rxb[c.piece[i].id].page + c.piece[i].offset;
		frags[i].len = c.piece[i].len;
	}
	/* A GSO frame of the type's own IP version, an MSS within it. */
	if (!c.drop_error && !c.drop_toolong && c.bytes && c.gso_type != PVK_NET_GSO_NONE &&
	    (c.gso_size > c.bytes ||
	     rx_ethertype(&frags[0]) != (c.gso_type == PVK_NET_GSO_TCPV4 ?
					 NETFRONT_ETH_P_IP : NETFRONT_ETH_P_IPV6)))
		c.drop_error = true;
	if (c.drop_error) {
		q->stats.rx_drop_error++;
	} else if (c.drop_toolong) {
		q->stats.rx_drop_toolong++;
	} else if (!c.bytes) {
		q->stats.rx_drop_empty++;
	} else {
		frame.frags = frags;
		frame.nr_frags = c.nr;
		frame.len = c.bytes;
		frame.csum = (c.flags & PVK_NETRXF_csum_blank) ? PVK_NET_CSUM_PARTIAL :
			(c.flags & PVK_NETRXF_data_validated) ? PVK_NET_CSUM_VALID :
			PVK_NET_CSUM_NONE;
		frame.gso_type = c.gso_type;
		frame.gso_size = c.gso_size;
		frame.queue = q->index;
		q->stats.rx_packets++;
		q->stats.rx_bytes += c.bytes;
		/* For pvk_netfront_rx_take_page, while the hook runs. */
		q->rx_frame = &frame;
		for (unsigned int i = 0; i < c.nr; i++)
			q->rx_frame_ids[i] = c.piece[i].id;
		/* Unlocked: the hook may send or poll. rx_running keeps a
		 * nested rx of this queue out; the queue array stays for
		 * the device's life. */
		pvk_port_unlock(&q->lock);
		if (netfront_hooks && netfront_hooks->rx)
			netfront_hooks->rx(dev, &frame);
		pvk_port_lock(&q->lock);
		q->rx_frame = NULL;
	}
	/* Recycle: the same pages go back to the backend. */
	for (unsigned int i = 0; i < c.nr; i++)
		if (!rx_repost_locked(q, c.piece[i].id))
			nobuf = true;
	if (nobuf)
		q->stats.rx_drop_nobuf++;
}

/* Responses ready, validated: the backend's producer, read once. False:
 * it claims more than we posted (the device is broken). Locked. */
static bool rx_ready_locked(struct netfront_queue *q, uint32_t *n)
{
	pvk_ring_idx_t prod;

	if (pvk_ring_unconsumed_seen(&q->rx.sring->rsp_prod, q->rx.rsp_cons,
				     q->rx_pushed - q->rx.rsp_cons, n, &prod))
		return true;
	netfront_break(q->dev, "produced more receive responses than buffers posted (rsp_prod, req_prod)",
		       prod, q->rx_pushed);
	return false;
}

/* Consumes what was answered of the buffers we pushed: never more (the
 * reposts of this call are pushed only at its end), so one call takes
 * at most a ring's worth, and a chain is bounded by its checks. Each
 * step either consumes a response or ends the pass: after asking for
 * the next event, the producer is read once more and that one read is
 * used, so a backend moving rsp_prod back and forth cannot keep us
 * looking. The budget (steps and passes) bounds what an rx hook that
 * keeps asking for another pass can make us do; what it leaves is
 * marked due for the next poll, kick or wait. */
bool netfront_rx_process(struct netfront_queue *q)
{
	bool found;

	netfront_rx_process_budget(q, ~0u, &found);
	return found;
}

unsigned int netfront_rx_process_budget(struct netfront_queue *q, unsigned int max_frames,
					bool *found_out)
{
	struct pvk_netfront *dev = q->dev;
	bool notify = false, found = false;
	unsigned int budget = NETFRONT_PROCESS_BUDGET, frames = 0;

	pvk_port_lock(&q->lock);
	if (q->rx_running) {
		/* From the rx hook, or an event during a poll: the running
		 * call goes round once more; frames stay in order. */
		q->rx_again = true;
		pvk_port_unlock(&q->lock);
		*found_out = true;
		return 0;
	}
	q->rx_running = true;
	q->rx_due = false;
	/* What could not be posted before is tried again first. */
	if (q->rx_refill_due)
		netfront_rx_refill_locked(q);
	do {
		q->rx_again = false;
		for (;;) {
			struct netfront_rx_chain *c = &q->chain;
			struct pvk_netif_rx_response rsp;
			uint32_t idx, n;
			bool ok;

			if (PVK_READ_ONCE(dev->broken) || !q->live)
				break;
			/* The host's budget: it polls again (no event asked). */
			if (frames >= max_frames)
				break;
			if (!budget) {
				q->rx_due = true;
				break;
			}
			budget--;
			if (!rx_ready_locked(q, &n))
				break;
			if (!n) {
				/* Ask for the next one, then look once more. */
				pvk_ring_ask_event(&q->rx.sring->rsp_event, q->rx.rsp_cons);
				if (!rx_ready_locked(q, &n) || !n)
					break;	/* a chain not finished waits here */
			}
			found = true;
			idx = q->rx.rsp_cons;
			/* One copy of the slot, whatever it turns out to be. */
			PVK_RING_COPY_RESPONSE(&q->rx, idx, &rsp);
			q->rx.rsp_cons++;
			if (c->extra_due) {
				struct pvk_netif_extra_info ex;

				PVK_BUILD_BUG_ON(sizeof(ex) != sizeof(rsp));
				__builtin_memcpy(&ex, &rsp, sizeof(ex));
				ok = rx_take_extra_locked(q, idx, &ex);
			} else {
				ok = rx_take_data_locked(q, idx, &rsp);
			}
			if (!ok)
				break;
			if (!c->extra_due && !c->more) {
				rx_deliver_locked(q);
				frames++;
			}
		}
		if (q->rx_again && budget)
			budget--;
		else if (q->rx_again)
			q->rx_due = true;
	} while (q->rx_again && !q->rx_due && frames < max_frames &&
		 !PVK_READ_ONCE(dev->broken) && q->live);
	q->rx_running = false;
	/* The refill, pushed once. */
	if (q->live && !PVK_READ_ONCE(dev->broken))
		netfront_rx_push_locked(q, &notify);
	if (notify)
		pvk_evtchn_send(q->port_rx);	/* live: this domain's port */
	pvk_port_unlock(&q->lock);
	*found_out = found;
	return frames;
}
