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
	const struct pvk_netfront_info *info = &q->dev->info;

	if (rsp->id >= NETFRONT_RING_ENTS || !q->rxb[rsp->id].posted)
		return "answered a receive buffer not posted (id, status)";
	/* No flag for a feature we did not negotiate, or never asked for. */
	if ((rsp->flags & ~RXF_KNOWN) || (rsp->flags & PVK_NETRXF_gso_prefix) ||
	    ((rsp->flags & PVK_NETRXF_more_data) && !info->sg) ||
	    ((rsp->flags & PVK_NETRXF_extra_info) && !info->gso_tcpv4 && !info->gso_tcpv6) ||
	    ((rsp->flags & PVK_NETRXF_csum_blank) && !info->csum_offload &&
	     !info->ipv6_csum_offload))
		return "set receive flags not negotiated (id, status)";
	/* Extra-info slots follow a frame's first slot only. */
	if (!first && (rsp->flags & PVK_NETRXF_extra_info))
		return "set extra-info past a frame's first slot (id, status)";
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
	const struct pvk_netfront_info *info = &q->dev->info;

	if (ex->type == PVK_XEN_NETIF_EXTRA_TYPE_NONE ||
	    ex->type >= PVK_XEN_NETIF_EXTRA_TYPE_MAX ||
	    (ex->flags & ~PVK_XEN_NETIF_EXTRA_FLAG_MORE))
		return "sent an unknown extra-info slot (type, flags)";
	if (ex->type != PVK_XEN_NETIF_EXTRA_TYPE_GSO)
		return NULL;		/* known, not ours to act on: skipped */
	if (!((ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV4 && info->gso_tcpv4) ||
	      (ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV6 && info->gso_tcpv6)))
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
	if (PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx)) {
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

/* Posts buffer id again (the refill). Locked. */
static void rx_repost_locked(struct netfront_queue *q, uint16_t id)
{
	q->rxb[id].held = false;
	if (q->live && !PVK_READ_ONCE(q->dev->broken) && netfront_rx_post_locked(q, id))
		q->stats.rx_drop_nobuf++;
}

/* A data slot taken into the chain. Locked. False: the device broke. */
static bool rx_take_data_locked(struct netfront_queue *q,
				const struct pvk_netif_rx_response *rsp)
{
	struct netfront_rx_chain *c = &q->chain;
	const char *bad = netfront_check_rx_response(q, rsp, !c->active);

	if (bad) {
		pvk_err("netfront: %s: bad receive response: id %u offset %u flags %#x status %d",
			q->dev->name, rsp->id, rsp->offset, rsp->flags, rsp->status);
		netfront_break(q->dev, bad, rsp->id, (unsigned long long)(int64_t)rsp->status);
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
	else if (c->slots > PVK_NET_MAX_FRAGS ||
		 c->bytes + (uint32_t)rsp->status > NETFRONT_MAX_FRAME_SG)
		c->drop_toolong = true;
	if (c->drop_error || c->drop_toolong || rsp->status <= 0) {
		rx_repost_locked(q, rsp->id);
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
			       (unsigned long long)ex->u.gso.type << 16 | ex->u.gso.size :
			       ex->flags);
		return false;
	}
	if (!q->rxb[id].posted) {
		netfront_break(q->dev, "put an extra-info slot over a buffer already answered (id, ring slot)",
			       id, idx);
		return false;
	}
	if (!rx_take_locked(q, id))
		return false;
	rx_repost_locked(q, id);
	if (ex->type == PVK_XEN_NETIF_EXTRA_TYPE_GSO) {
		c->gso_type = ex->u.gso.type == PVK_XEN_NETIF_GSO_TYPE_TCPV4 ?
			PVK_NET_GSO_TCPV4 : PVK_NET_GSO_TCPV6;
		c->gso_size = ex->u.gso.size;
	}
	c->extra_due = ex->flags & PVK_XEN_NETIF_EXTRA_FLAG_MORE;
	return true;
}

/* The chain is complete: deliver it (unlocked) or count its drop, then
 * post its buffers again. Called locked, returns locked. */
static void rx_deliver_locked(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	struct netfront_rx_chain c = q->chain;
	struct pvk_net_frag frags[PVK_NET_MAX_FRAGS];
	struct pvk_net_rx frame = { 0 };

	__builtin_memset(&q->chain, 0, sizeof(q->chain));
	if (c.drop_error) {
		q->stats.rx_drop_error++;
	} else if (c.drop_toolong) {
		q->stats.rx_drop_toolong++;
	} else if (!c.bytes) {
		q->stats.rx_drop_empty++;
	} else {
		for (unsigned int i = 0; i < c.nr; i++) {
			frags[i].buf = (const char *)q->rxb[c.piece[i].id].page + c.piece[i].offset;
			frags[i].len = c.piece[i].len;
		}
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
		pvk_port_unlock(&q->lock);
		if (netfront_hooks && netfront_hooks->rx)
			netfront_hooks->rx(dev, &frame);
		pvk_port_lock(&q->lock);
	}
	/* Recycle: the same pages go back to the backend. */
	for (unsigned int i = 0; i < c.nr; i++)
		rx_repost_locked(q, c.piece[i].id);
}

void netfront_rx_process(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	bool notify = false;

	pvk_port_lock(&q->lock);
	for (;;) {
		struct netfront_rx_chain *c = &q->chain;
		struct pvk_netif_rx_response rsp;
		uint32_t n, idx;
		bool ok;

		if (PVK_READ_ONCE(dev->broken) || !q->live)
			break;
		if (!PVK_RING_UNCONSUMED_RESPONSES(&q->rx, &n)) {
			netfront_break(dev, "produced more receive responses than buffers posted (rsp_prod, req_prod)",
				       PVK_READ_ONCE(q->rx.sring->rsp_prod), q->rx.req_prod_pvt);
			break;
		}
		if (!n && !PVK_RING_FINAL_CHECK_FOR_RESPONSES(&q->rx))
			break;		/* a chain not finished waits here */
		if (!n)
			continue;
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
			ok = rx_take_data_locked(q, &rsp);
		}
		if (!ok)
			break;
		if (!c->extra_due && !c->more)
			rx_deliver_locked(q);
	}
	/* The refill, pushed once for the batch. */
	if (q->live && !PVK_READ_ONCE(dev->broken))
		netfront_rx_push_locked(q, &notify);
	pvk_port_unlock(&q->lock);
	if (notify)
		pvk_evtchn_send(q->port_rx);
}
