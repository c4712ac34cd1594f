/*
 * frontends/netfront/netfront_tx.c - a queue's transmit side: the checks
 * of a frame the host asks to send (length, pieces, checksum offload and
 * GSO against what was negotiated), cutting it into slots of whole bounce
 * pages (feature-sg: a chain, the first slot's size the frame's length,
 * NETTXF_more_data on all but the last, a GSO extra-info slot after the
 * first), batching notifications (PVK_NET_TX_MORE, kick), and the checked
 * consumption of transmit responses.
 *
 * The host's buffers are never granted: the frame is copied into pages of
 * ours, zeroed around the data unless the backend is trusted, so the
 * backend sees this frame and nothing else. A frame completes (done())
 * once every one of its slots is answered; its status is an error if any
 * slot's was.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

/* Byte off of the frame the host's pieces make (off < its length). */
static uint8_t frame_byte(const struct pvk_net_tx *tx, size_t off)
{
	for (unsigned int i = 0; i < tx->nr_frags; i++) {
		if (off < tx->frags[i].len)
			return ((const uint8_t *)tx->frags[i].buf)[off];
		off -= tx->frags[i].len;
	}
	return 0;
}

/* The ethertype, past one VLAN tag if there is one (len >= ETH_HLEN). */
static unsigned int frame_ethertype(const struct pvk_net_tx *tx, size_t len)
{
	unsigned int t = (unsigned int)frame_byte(tx, 12) << 8 | frame_byte(tx, 13);

	if ((t == NETFRONT_ETH_P_8021Q || t == NETFRONT_ETH_P_8021AD) && len >= 18)
		t = (unsigned int)frame_byte(tx, 16) << 8 | frame_byte(tx, 17);
	return t;
}

int netfront_tx_check(const struct pvk_netfront_info *info,
		      const struct pvk_net_tx *tx, size_t *lenp)
{
	bool csum = tx->flags & PVK_NET_TX_CSUM_PARTIAL;
	unsigned int type;
	size_t len = 0;

	if (!tx->done || (!tx->frags && tx->nr_frags) || tx->nr_frags > PVK_NET_MAX_FRAGS)
		return -PVK_XEN_EINVAL;
	for (unsigned int i = 0; i < tx->nr_frags; i++) {
		/* Each piece bounded first: the sum cannot wrap. */
		if (tx->frags[i].len > NETFRONT_MAX_FRAME_SG ||
		    (!tx->frags[i].buf && tx->frags[i].len))
			return -PVK_XEN_EINVAL;
		len += tx->frags[i].len;
	}
	if (len < NETFRONT_MIN_FRAME || len > info->max_frame ||
	    netfront_tx_slots(len) > NETFRONT_MAX_TX_SLOTS)
		return -PVK_XEN_EINVAL;
	type = frame_ethertype(tx, len);
	if (tx->gso_type != PVK_NET_GSO_NONE) {
		bool v4 = tx->gso_type == PVK_NET_GSO_TCPV4;

		if (tx->gso_type != PVK_NET_GSO_TCPV4 && tx->gso_type != PVK_NET_GSO_TCPV6)
			return -PVK_XEN_EINVAL;
		if (!info->sg || !(v4 ? info->gso_tcpv4 : info->gso_tcpv6))
			return -PVK_XEN_EOPNOTSUPP;
		/* netback needs the checksum left to it to segment. */
		if (!tx->gso_size || !csum)
			return -PVK_XEN_EINVAL;
		if (type != (v4 ? NETFRONT_ETH_P_IP : NETFRONT_ETH_P_IPV6))
			return -PVK_XEN_EINVAL;
	}
	if (csum) {
		/* netback finds the checksum by parsing IPv4 or IPv6 itself. */
		if (type == NETFRONT_ETH_P_IP) {
			if (!info->csum_offload)
				return -PVK_XEN_EOPNOTSUPP;
		} else if (type == NETFRONT_ETH_P_IPV6) {
			if (!info->ipv6_csum_offload)
				return -PVK_XEN_EOPNOTSUPP;
		} else {
			return -PVK_XEN_EOPNOTSUPP;
		}
		if (tx->csum_start > len ||
		    (size_t)tx->csum_offset + 2 > len - tx->csum_start)
			return -PVK_XEN_EINVAL;
	}
	*lenp = len;
	return 0;
}

unsigned int netfront_tx_slots(size_t len)
{
	return (unsigned int)((len + NETFRONT_PAGE - 1) / NETFRONT_PAGE);
}

const char *netfront_check_tx_response(const struct netfront_queue *q,
				       const struct pvk_netif_tx_response *rsp)
{
	/* An extra-info slot's answer: no id, only after one we sent. */
	if (rsp->status == PVK_NETIF_RSP_NULL)
		return q->tx_nulls_due ? NULL :
			"answered an extra-info slot never sent (id, status)";
	if (rsp->id >= NETFRONT_RING_ENTS || !q->txs[rsp->id].sent)
		return "answered a transmit not outstanding (id, status)";
	if (rsp->status != PVK_NETIF_RSP_OKAY && rsp->status != PVK_NETIF_RSP_ERROR &&
	    rsp->status != PVK_NETIF_RSP_DROPPED)
		return "sent an unknown transmit status (id, status)";
	return NULL;
}

/* The backend answered slot id: end its grant; when it was the frame's
 * last slot unanswered, hand back the frame and its status. Locked. */
static void tx_finish_locked(struct netfront_queue *q, uint16_t id, bool ok,
			     struct pvk_net_tx **done, int *done_status)
{
	struct netfront_tx_slot *s = &q->txs[id];
	struct netfront_tx_slot *h = &q->txs[s->head];

	s->sent = false;
	if (!ok)
		h->failed = true;
	if (h->left && --h->left == 0) {
		if (h->failed)
			q->stats.tx_errors++;
		*done = h->tx;
		*done_status = h->failed ? -PVK_XEN_EIO : 0;
		h->tx = NULL;
	}
	if (!netfront_end_grant(q->dev, s->gref)) {
		s->kept = true;		/* never given out again */
		netfront_break(q->dev, "kept a transmit page mapped after answering (id, queue)",
			       id, q->index);
		return;
	}
	q->tx_free[(q->tx_free_head + q->tx_free_count) % NETFRONT_RING_ENTS] = id;
	q->tx_free_count++;
}

void netfront_tx_push_locked(struct netfront_queue *q, bool *notify)
{
	if (!q->tx_unpushed)
		return;
	q->tx_unpushed = false;
	if (PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx)) {
		q->stats.notify_sent++;
		*notify = true;
	}
}

/* Copies bytes [from, from + n) of the frame to dst. */
static void copy_out(const struct pvk_net_tx *tx, size_t from, char *dst, size_t n)
{
	for (unsigned int i = 0; n && i < tx->nr_frags; i++) {
		size_t flen = tx->frags[i].len, k;

		if (from >= flen) {
			from -= flen;
			continue;
		}
		k = flen - from < n ? flen - from : n;
		__builtin_memcpy(dst, (const char *)tx->frags[i].buf + from, k);
		dst += k;
		n -= k;
		from = 0;
	}
}

int pvk_netfront_xmit(struct pvk_netfront *dev, struct pvk_net_tx *tx)
{
	struct netfront_queue *q;
	struct netfront_tx_slot *h;
	bool notify = false, gso;
	unsigned int nslots, ring_need;
	uint16_t ids[NETFRONT_MAX_TX_SLOTS] = { 0 };
	size_t len;
	int rc;

	if (!dev || !tx)
		return -PVK_XEN_EINVAL;
	rc = netfront_tx_check(&dev->info, tx, &len);
	if (rc)
		return rc;
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	if (!dev->queues || !dev->info.nr_queues)
		return -PVK_XEN_ENODEV;
	gso = tx->gso_type != PVK_NET_GSO_NONE;
	nslots = netfront_tx_slots(len);
	ring_need = nslots + gso;
	q = &dev->queues[tx->queue % dev->info.nr_queues];
	pvk_port_lock(&q->lock);
	if (!q->live || PVK_READ_ONCE(dev->gone)) {
		rc = -PVK_XEN_ENODEV;
		goto out;
	}
	if (q->tx_free_count < nslots || PVK_RING_FREE_REQUESTS(&q->tx) < ring_need) {
		q->stats.tx_eagain++;
		netfront_tx_push_locked(q, &notify);
		rc = -PVK_XEN_EAGAIN;
		goto out;
	}
	/* Bounce pages (made on a slot's first use) and grants, before any
	 * state changes, so a failure leaves the queue as it was. */
	for (unsigned int k = 0; k < nslots; k++) {
		uint16_t id = q->tx_free[(q->tx_free_head + k) % NETFRONT_RING_ENTS];
		size_t from = (size_t)k * NETFRONT_PAGE;
		size_t n = len - from < NETFRONT_PAGE ? len - from : NETFRONT_PAGE;
		char *page = q->tx_bounce[id];

		if (!page && !(page = q->tx_bounce[id] = pvk_port_alloc_page())) {
			rc = -PVK_XEN_ENOMEM;
		} else {
			copy_out(tx, from, page, n);
			/* Untrusted backend: it sees this frame, nothing else. */
			if (!dev->info.trusted)
				__builtin_memset(page + n, 0, NETFRONT_PAGE - n);
			rc = pvk_grant_access_page(dev->backend, page, true, &q->txs[id].gref);
		}
		if (rc) {
			for (unsigned int j = 0; j < k; j++)
				netfront_end_grant(dev, q->txs[ids[j]].gref);
			goto out;
		}
		netfront_grants_add(dev, 1);
		q->stats.grants++;
		ids[k] = id;
	}
	q->tx_free_head = (q->tx_free_head + nslots) % NETFRONT_RING_ENTS;
	q->tx_free_count -= nslots;
	h = &q->txs[ids[0]];
	h->tx = tx;
	h->left = (uint8_t)nslots;
	h->failed = false;
	for (unsigned int k = 0; k < nslots; k++) {
		struct netfront_tx_slot *s = &q->txs[ids[k]];
		struct pvk_netif_tx_request *rq;
		size_t from = (size_t)k * NETFRONT_PAGE;
		uint16_t flags = 0;

		s->head = ids[0];
		s->sent = true;
		if (k + 1 < nslots)
			flags |= PVK_NETTXF_more_data;
		if (k == 0 && (tx->flags & PVK_NET_TX_CSUM_PARTIAL))
			flags |= PVK_NETTXF_csum_blank | PVK_NETTXF_data_validated;
		if (k == 0 && gso)
			flags |= PVK_NETTXF_extra_info;
		rq = PVK_RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt);
		rq->gref = s->gref;
		rq->offset = 0;
		rq->flags = flags;
		rq->id = ids[k];
		/* The first slot says the whole frame's length. */
		rq->size = (uint16_t)(k == 0 ? len :
				      (len - from < NETFRONT_PAGE ? len - from : NETFRONT_PAGE));
		q->tx.req_prod_pvt++;
		if (k == 0 && gso) {
			struct pvk_netif_extra_info *ex = (struct pvk_netif_extra_info *)
				PVK_RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt);

			__builtin_memset(ex, 0, sizeof(*ex));
			ex->type = PVK_XEN_NETIF_EXTRA_TYPE_GSO;
			ex->flags = 0;
			ex->u.gso.size = tx->gso_size;
			ex->u.gso.type = tx->gso_type == PVK_NET_GSO_TCPV4 ?
				PVK_XEN_NETIF_GSO_TYPE_TCPV4 : PVK_XEN_NETIF_GSO_TYPE_TCPV6;
			q->tx.req_prod_pvt++;
			q->tx_nulls_due++;
		}
	}
	q->tx_unpushed = true;
	q->stats.tx_packets++;
	q->stats.tx_bytes += len;
	if (!(tx->flags & PVK_NET_TX_MORE))
		netfront_tx_push_locked(q, &notify);
	rc = 0;
out:
	pvk_port_unlock(&q->lock);
	if (notify)
		pvk_evtchn_send(q->port_tx);
	return rc;
}

void pvk_netfront_kick(struct pvk_netfront *dev, unsigned int queue)
{
	struct netfront_queue *q;
	bool notify = false;

	if (!dev->queues || !dev->info.nr_queues)
		return;
	q = &dev->queues[queue % dev->info.nr_queues];
	pvk_port_lock(&q->lock);
	if (q->live)
		netfront_tx_push_locked(q, &notify);
	pvk_port_unlock(&q->lock);
	if (notify)
		pvk_evtchn_send(q->port_tx);
}

/* Consumes transmit responses, one at a time (done() runs unlocked). */
void netfront_tx_process(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;

	for (;;) {
		struct pvk_netif_tx_response rsp;
		struct pvk_net_tx *done = NULL;
		const char *bad;
		int st = 0;
		uint32_t n;

		pvk_port_lock(&q->lock);
		if (PVK_READ_ONCE(dev->broken) || !q->live) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!PVK_RING_UNCONSUMED_RESPONSES(&q->tx, &n)) {
			netfront_break(dev, "produced more transmit responses than requests (rsp_prod, req_prod)",
				       PVK_READ_ONCE(q->tx.sring->rsp_prod), q->tx.req_prod_pvt);
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n && !PVK_RING_FINAL_CHECK_FOR_RESPONSES(&q->tx)) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n) {
			pvk_port_unlock(&q->lock);
			continue;
		}
		PVK_RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
		q->tx.rsp_cons++;
		bad = netfront_check_tx_response(q, &rsp);
		if (bad) {
			netfront_break(dev, bad, rsp.id, (unsigned long long)(int64_t)rsp.status);
			pvk_port_unlock(&q->lock);
			break;
		}
		if (rsp.status == PVK_NETIF_RSP_NULL) {
			q->tx_nulls_due--;
			pvk_port_unlock(&q->lock);
			continue;
		}
		tx_finish_locked(q, rsp.id, rsp.status == PVK_NETIF_RSP_OKAY, &done, &st);
		pvk_port_unlock(&q->lock);
		if (done)
			done->done(done, st);
		pvk_port_wake(&dev->wait);
	}
}
