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

#define IPPROTO_TCP_	6u
#define IPPROTO_UDP_	17u

/*
 * Where netback will find the transport checksum: it parses the frame
 * itself (csum_start and csum_offset are not sent) and only knows IPv4
 * and IPv6 straight after the Ethernet header, TCP or UDP, no IPv4
 * fragment; anything else it frees while answering OKAY. 0 and *ip_type
 * (ethertype), *l4 (offset), *proto; or -PVK_XEN_EOPNOTSUPP.
 */
static int tx_parse_l4(const struct pvk_net_tx *tx, size_t len, unsigned int *ip_type,
		       size_t *l4, unsigned int *proto)
{
	unsigned int t = (unsigned int)frame_byte(tx, 12) << 8 | frame_byte(tx, 13);
	size_t ip = PVK_NET_ETH_HLEN;

	if (t == NETFRONT_ETH_P_IP) {
		size_t ihl;
		unsigned int frag;

		if (len < ip + 20 || frame_byte(tx, ip) >> 4 != 4)
			return -PVK_XEN_EOPNOTSUPP;
		ihl = (size_t)(frame_byte(tx, ip) & 0xf) * 4;
		frag = (unsigned int)frame_byte(tx, ip + 6) << 8 | frame_byte(tx, ip + 7);
		/* More fragments, or a fragment offset: not netback's. */
		if (ihl < 20 || len < ip + ihl || (frag & 0x3fffu))
			return -PVK_XEN_EOPNOTSUPP;
		*proto = frame_byte(tx, ip + 9);
		*l4 = ip + ihl;
	} else if (t == NETFRONT_ETH_P_IPV6) {
		/* Extension headers are not parsed here: refused. */
		if (len < ip + 40 || frame_byte(tx, ip) >> 4 != 6)
			return -PVK_XEN_EOPNOTSUPP;
		*proto = frame_byte(tx, ip + 6);
		*l4 = ip + 40;
	} else {
		return -PVK_XEN_EOPNOTSUPP;	/* VLAN-tagged too */
	}
	if (*proto != IPPROTO_TCP_ && *proto != IPPROTO_UDP_)
		return -PVK_XEN_EOPNOTSUPP;
	*ip_type = t;
	return 0;
}

int netfront_tx_check(const struct pvk_netfront_info *info,
		      const struct pvk_net_tx *tx, size_t *lenp)
{
	bool csum = tx->flags & PVK_NET_TX_CSUM_PARTIAL;
	unsigned int type = 0, proto = 0;
	size_t len = 0, l4 = 0;
	int rc;

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
	if (tx->gso_type != PVK_NET_GSO_NONE) {
		bool v4 = tx->gso_type == PVK_NET_GSO_TCPV4;

		if (tx->gso_type != PVK_NET_GSO_TCPV4 && tx->gso_type != PVK_NET_GSO_TCPV6)
			return -PVK_XEN_EINVAL;
		if (!info->sg || !(v4 ? info->gso_tcpv4 : info->gso_tcpv6))
			return -PVK_XEN_EOPNOTSUPP;
		/* netback needs the checksum left to it to segment. */
		if (!tx->gso_size || !csum)
			return -PVK_XEN_EINVAL;
	}
	if (csum) {
		if ((rc = tx_parse_l4(tx, len, &type, &l4, &proto)))
			return rc;
		if (!(type == NETFRONT_ETH_P_IP ? info->csum_offload : info->ipv6_csum_offload))
			return -PVK_XEN_EOPNOTSUPP;
		/* Not sent: checked against what netback will find. */
		if (tx->csum_start != l4 ||
		    tx->csum_offset != (proto == IPPROTO_TCP_ ? 16 : 6) ||
		    (size_t)tx->csum_start + tx->csum_offset + 2 > len)
			return -PVK_XEN_EINVAL;
	}
	if (tx->gso_type != PVK_NET_GSO_NONE &&
	    (proto != IPPROTO_TCP_ ||
	     type != (tx->gso_type == PVK_NET_GSO_TCPV4 ? NETFRONT_ETH_P_IP : NETFRONT_ETH_P_IPV6)))
		return -PVK_XEN_EINVAL;
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
 * last slot unanswered, hand back the frame and its status, and only
 * then give every slot of the frame back to the free list. Locked. */
static void tx_finish_locked(struct netfront_queue *q, uint16_t id, bool ok,
			     struct pvk_net_tx **done, int *done_status)
{
	struct netfront_tx_slot *s = &q->txs[id];
	struct netfront_tx_slot *h = &q->txs[s->head];

	s->sent = false;
	if (!ok)
		h->failed = true;
	if (s->granted) {
		s->granted = false;
		if (!netfront_end_grant(q->dev, s->gref)) {
			s->granted = true;
			s->kept = true;		/* never given out again */
			netfront_break(q->dev, "kept a transmit page mapped after answering (id, queue)",
				       id, q->index);
		}
	}
	if (!h->left || --h->left)
		return;
	if (h->failed)
		q->stats.tx_errors++;
	*done = h->tx;
	*done_status = h->failed ? -PVK_XEN_EIO : 0;
	h->tx = NULL;
	for (uint16_t k = s->head; k != NETFRONT_NO_ID; k = q->tx_next[k]) {
		if (q->txs[k].kept)
			continue;
		q->tx_free[(q->tx_free_head + q->tx_free_count) % NETFRONT_RING_ENTS] = k;
		q->tx_free_count++;
	}
}

/* Publishes what was queued. Only now may the backend answer those
 * slots (and their extra-info slots): one answering a request it was
 * never given is caught by the checks. Locked. */
void netfront_tx_push_locked(struct netfront_queue *q, bool *notify)
{
	uint32_t old;

	if (!q->tx_unpushed)
		return;
	q->tx_unpushed = false;
	for (uint32_t i = q->tx_pushed; i != q->tx.req_prod_pvt; i++) {
		uint16_t id = q->tx_ring_id[PVK_RING_SLOT(&q->tx, i)];

		if (id == NETFRONT_NO_ID)
			q->tx_nulls_due++;
		else
			q->txs[id].sent = true;
	}
	old = q->tx_pushed;
	q->tx_pushed = q->tx.req_prod_pvt;
	if (PVK_RING_PUSH_REQUESTS_FROM_AND_CHECK_NOTIFY(&q->tx, old)) {
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

/* Undoes the grants of the first n slots taken from the free list for a
 * frame that cannot be queued. A grant the backend maps (it may map any
 * live ref, even one never sent) keeps its slot out of use for good and
 * disables the device. Locked. */
static void tx_rollback_locked(struct netfront_queue *q, const uint16_t *ids,
			       unsigned int n)
{
	bool kept = false;

	q->tx_free_head = (q->tx_free_head + n) % NETFRONT_RING_ENTS;
	q->tx_free_count -= n;
	for (unsigned int j = 0; j < n; j++) {
		if (!netfront_end_grant(q->dev, q->txs[ids[j]].gref)) {
			q->txs[ids[j]].granted = true;
			q->txs[ids[j]].kept = true;
			kept = true;
			continue;
		}
		q->stats.grants--;
		q->tx_free[(q->tx_free_head + q->tx_free_count) % NETFRONT_RING_ENTS] = ids[j];
		q->tx_free_count++;
	}
	if (kept)
		netfront_break(q->dev, "mapped a transmit page never sent (slot, queue)",
			       ids[0], q->index);
}

/* Whether a frame of q waits for its answers (its head holds it). Locked. */
static bool tx_in_flight_locked(const struct netfront_queue *q)
{
	for (unsigned int id = 0; id < NETFRONT_RING_ENTS; id++)
		if (q->txs[id].tx)
			return true;
	return false;
}

/* Writes the requests of a frame whose slots ids[0..nslots) are granted
 * (their bounce pages hold its bytes) at req_prod_pvt: the head holds tx
 * until every slot is answered. The caller checked the room. Locked. */
static void tx_write_locked(struct netfront_queue *q, const uint16_t *ids,
			    unsigned int nslots, size_t len,
			    const struct pvk_net_tx *data, struct pvk_net_tx *tx)
{
	bool gso = data->gso_type != PVK_NET_GSO_NONE;
	struct netfront_tx_slot *h = &q->txs[ids[0]];

	h->tx = tx;
	h->left = (uint8_t)nslots;
	q->tx_len[ids[0]] = (uint16_t)len;
	h->failed = false;
	for (unsigned int k = 0; k < nslots; k++) {
		struct netfront_tx_slot *s = &q->txs[ids[k]];
		struct pvk_netif_tx_request *rq;
		size_t from = (size_t)k * NETFRONT_PAGE;
		uint16_t flags = 0;

		s->head = ids[0];
		s->granted = true;
		s->sent = false;		/* until pushed */
		q->tx_next[ids[k]] = k + 1 < nslots ? ids[k + 1] : NETFRONT_NO_ID;
		q->tx_ring_id[PVK_RING_SLOT(&q->tx, q->tx.req_prod_pvt)] = ids[k];
		if (k + 1 < nslots)
			flags |= PVK_NETTXF_more_data;
		if (k == 0 && (data->flags & PVK_NET_TX_CSUM_PARTIAL))
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
			ex->u.gso.size = data->gso_size;
			ex->u.gso.type = data->gso_type == PVK_NET_GSO_TCPV4 ?
				PVK_XEN_NETIF_GSO_TYPE_TCPV4 : PVK_XEN_NETIF_GSO_TYPE_TCPV6;
			q->tx_ring_id[PVK_RING_SLOT(&q->tx, q->tx.req_prod_pvt)] = NETFRONT_NO_ID;
			q->tx.req_prod_pvt++;
		}
	}
}

int pvk_netfront_xmit(struct pvk_netfront *dev, struct pvk_net_tx *tx)
{
	if (!dev || !tx)
		return -PVK_XEN_EINVAL;
	netfront_resume_check_deadline(dev);
	return netfront_xmit(dev, tx, tx, false);
}

/* data: the frame's bytes and what they are (tx's own, or, for a resend,
 * pages of ours with tx's flags); tx: whose done() runs. */
int netfront_xmit(struct pvk_netfront *dev, const struct pvk_net_tx *data,
		  struct pvk_net_tx *tx, bool resend)
{
	struct netfront_queue *q;
	bool notify = false, gso;
	unsigned int nslots, ring_need, nq;
	uint16_t ids[NETFRONT_MAX_TX_SLOTS] = { 0 };
	size_t len;
	int rc;

	rc = netfront_tx_check(&dev->info, data, &len);
	if (rc)
		return rc;
	if (PVK_READ_ONCE(dev->broken))
		return -PVK_XEN_EIO;
	/* Read once: a reconnect may change it (the array stays). */
	nq = PVK_READ_ONCE(dev->info.nr_queues);
	if (!PVK_READ_ONCE(dev->queues) || !nq)
		return -PVK_XEN_ENODEV;
	gso = data->gso_type != PVK_NET_GSO_NONE;
	nslots = netfront_tx_slots(len);
	ring_need = nslots + gso;
	q = &dev->queues[data->queue % nq];
	pvk_port_lock(&q->lock);
	/* Quiesced for a suspend: the host keeps its frame and tries again
	 * (netfront_suspend.c); what was queued before stays queued. */
	if (!resend && PVK_READ_ONCE(dev->suspended)) {
		rc = -PVK_XEN_EAGAIN;
		goto out;
	}
	if (!q->live || PVK_READ_ONCE(dev->gone)) {
		rc = -PVK_XEN_ENODEV;
		goto out;
	}
	/* Again, now that the queue is live under its lock: the first
	 * check may have read what a reconnect was changing (the start
	 * sets the negotiated info before a queue goes live). */
	rc = netfront_tx_check(&dev->info, data, &len);
	if (rc)
		goto out;
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
			copy_out(data, from, page, n);
			/* Untrusted backend: it sees this frame, nothing else. */
			if (!dev->info.trusted)
				__builtin_memset(page + n, 0, NETFRONT_PAGE - n);
			rc = pvk_grant_access_page(dev->backend, page, true, &q->txs[id].gref);
		}
		if (rc) {
			tx_rollback_locked(q, ids, k);
			/* Out of grant references: a status the host knows.
			 * Frames in flight give theirs back as they complete
			 * (wait, then try again), else it is a lack. */
			if (rc == -PVK_XEN_ENOSPC)
				rc = tx_in_flight_locked(q) ? -PVK_XEN_EAGAIN : -PVK_XEN_ENOMEM;
			goto out;
		}
		netfront_grants_add(dev, 1);
		q->stats.grants++;
		ids[k] = id;
	}
	q->tx_free_head = (q->tx_free_head + nslots) % NETFRONT_RING_ENTS;
	q->tx_free_count -= nslots;
	tx_write_locked(q, ids, nslots, len, data, tx);
	q->tx_unpushed = true;
	if (!resend) {		/* a resend was counted the first time */
		q->stats.tx_packets++;
		q->stats.tx_bytes += len;
	}
	if (!(data->flags & PVK_NET_TX_MORE))
		netfront_tx_push_locked(q, &notify);
	rc = 0;
out:
	/* Under the lock, which saw the queue live: the port is this
	 * domain's (a suspend takes the queue out of service under it, and
	 * a thread preempted past the unlock would notify an old number;
	 * review s12 N1). */
	if (notify)
		pvk_evtchn_send(q->port_tx);
	pvk_port_unlock(&q->lock);
	if (rc == -PVK_XEN_EAGAIN)
		netfront_queue_catch_up(q);	/* what a budget left frees room */
	netfront_broken_stop(dev);	/* the rollback may have broken it */
	return rc;
}

/* ---- across a resume (netfront_suspend.c) ---- */

/*
 * The answers the old backend wrote into the saved tx ring (our page, no
 * longer granted in the new domain: nobody writes it any more) before the
 * domain was saved: each read once, checked, its frame completed. A frame
 * answered there was taken and is never sent again. One at a time, done()
 * unlocked; bounded by what we pushed. An answer that fails the checks
 * ends the walk: the rest counts as unanswered (the old backend is gone,
 * nothing to break). Returns the frames completed.
 */
unsigned int netfront_tx_drain_saved(struct netfront_queue *q)
{
	unsigned int completed = 0;

	for (unsigned int steps = 0; steps < NETFRONT_RING_ENTS; steps++) {
		struct pvk_netif_tx_response rsp;
		struct pvk_net_tx *done = NULL;
		pvk_ring_idx_t prod;
		const char *bad;
		uint32_t n;
		int st = 0;

		pvk_port_lock(&q->lock);
		if (!q->txs || !q->tx_page ||
		    !pvk_ring_unconsumed_seen(&q->tx.sring->rsp_prod, q->tx.rsp_cons,
					      q->tx_pushed - q->tx.rsp_cons, &n, &prod) || !n) {
			pvk_port_unlock(&q->lock);
			break;
		}
		PVK_RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
		bad = netfront_check_tx_response(q, &rsp);
		if (bad) {
			pvk_port_unlock(&q->lock);
			pvk_warn("netfront: %s: the saved tx ring %s: %u, %d; the rest is sent again",
				 q->dev->name, bad, rsp.id, rsp.status);
			break;
		}
		q->tx.rsp_cons++;
		if (rsp.status == PVK_NETIF_RSP_NULL) {
			q->tx_nulls_due--;
			pvk_port_unlock(&q->lock);
			continue;
		}
		tx_finish_locked(q, rsp.id, rsp.status == PVK_NETIF_RSP_OKAY, &done, &st);
		pvk_port_unlock(&q->lock);
		if (done) {
			/* Counted first: a done() hook telling a frame the
			 * old backend answered from one resent sees it. */
			completed++;
			q->dev->rs.answered_saved++;
			done->done(done, st);
		}
	}
	return completed;
}

/*
 * The frame at head (kept across a resume: its slots' bounce pages hold
 * its bytes) written again into q's new ring with the same slots: each
 * page granted afresh to the new backend, checked against what it
 * offers. No copy, no free slot needed. 0; -PVK_XEN_EAGAIN: no ring room
 * yet; else the refusal (its slots still the caller's). Locked.
 */
int netfront_tx_requeue_locked(struct netfront_queue *q, uint16_t head,
			       struct pvk_net_tx *tx)
{
	struct pvk_net_frag frags[NETFRONT_MAX_TX_SLOTS];
	uint16_t ids[NETFRONT_MAX_TX_SLOTS];
	struct pvk_net_tx shadow = *tx;
	size_t len = q->tx_len[head], got;
	unsigned int n = 0, need;
	int rc;

	for (uint16_t k = head; k != NETFRONT_NO_ID && n < NETFRONT_MAX_TX_SLOTS &&
	     (size_t)n * NETFRONT_PAGE < len; k = q->tx_next[k], n++) {
		size_t from = (size_t)n * NETFRONT_PAGE;

		ids[n] = k;
		frags[n].buf = q->tx_bounce[k];
		frags[n].len = len - from < NETFRONT_PAGE ? len - from : NETFRONT_PAGE;
	}
	shadow.frags = frags;
	shadow.nr_frags = n;
	if (n != netfront_tx_slots(len))
		return -PVK_XEN_EIO;
	if ((rc = netfront_tx_check(&q->dev->info, &shadow, &got)))
		return rc;
	need = n + (shadow.gso_type != PVK_NET_GSO_NONE);
	if (PVK_RING_FREE_REQUESTS(&q->tx) < need)
		return -PVK_XEN_EAGAIN;
	for (unsigned int k = 0; k < n; k++) {
		rc = pvk_grant_access_page(q->dev->backend, q->tx_bounce[ids[k]], true,
					   &q->txs[ids[k]].gref);
		if (rc) {
			bool kept = false;

			while (k--) {
				if (netfront_end_grant(q->dev, q->txs[ids[k]].gref)) {
					q->stats.grants--;
					continue;
				}
				q->txs[ids[k]].granted = true;
				q->txs[ids[k]].kept = true;
				kept = true;
			}
			if (kept)
				netfront_break(q->dev, "mapped a transmit page never sent (slot, queue)",
					       ids[0], q->index);
			return rc;
		}
		netfront_grants_add(q->dev, 1);
		q->stats.grants++;
	}
	tx_write_locked(q, ids, n, len, &shadow, tx);
	for (unsigned int k = 0; k < n; k++)
		q->txs[ids[k]].replay = false;
	q->tx_unpushed = true;
	return 0;
}

void netfront_tx_push(struct netfront_queue *q)
{
	bool notify = false;

	pvk_port_lock(&q->lock);
	if (q->live)
		netfront_tx_push_locked(q, &notify);
	if (notify)
		pvk_evtchn_send(q->port_tx);	/* live: this domain's port */
	pvk_port_unlock(&q->lock);
}

void pvk_netfront_kick(struct pvk_netfront *dev, unsigned int queue)
{
	unsigned int nq = PVK_READ_ONCE(dev->info.nr_queues);
	struct netfront_queue *q;

	if (!PVK_READ_ONCE(dev->queues) || !nq)
		return;
	q = &dev->queues[queue % nq];
	netfront_tx_push(q);
	netfront_queue_catch_up(q);
}

/* Transmit responses ready, validated: the backend's producer read once.
 * False: it claims more than we pushed (the device is broken). Locked. */
static bool tx_ready_locked(struct netfront_queue *q, uint32_t *n)
{
	pvk_ring_idx_t prod;

	if (pvk_ring_unconsumed_seen(&q->tx.sring->rsp_prod, q->tx.rsp_cons,
				     q->tx_pushed - q->tx.rsp_cons, n, &prod))
		return true;
	netfront_break(q->dev, "produced more transmit responses than requests pushed (rsp_prod, req_prod)",
		       prod, q->tx_pushed);
	return false;
}

/* Consumes transmit responses, one at a time (done() runs unlocked).
 * Bounded: each step consumes a response or ends the call (after asking
 * for the next event the producer is read once more, and that read is
 * used), and a call takes at most NETFRONT_PROCESS_BUDGET steps. When
 * the budget runs out with responses waiting, no event will come for
 * them: the queue is marked tx_due for the next poll, kick, wait_tx or
 * EAGAIN transmit (netfront_queue_catch_up). */
bool netfront_tx_process(struct netfront_queue *q)
{
	struct pvk_netfront *dev = q->dev;
	bool found = false;

	pvk_port_lock(&q->lock);
	q->tx_running++;
	q->tx_due = false;
	pvk_port_unlock(&q->lock);
	for (unsigned int budget = NETFRONT_PROCESS_BUDGET;; budget--) {
		struct pvk_netif_tx_response rsp;
		struct pvk_net_tx *done = NULL;
		const char *bad;
		int st = 0;
		uint32_t n;

		/* Read afresh each step: done() may poll, and a nested call
		 * consume what we saw. */
		pvk_port_lock(&q->lock);
		if (PVK_READ_ONCE(dev->broken) || !q->live) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!tx_ready_locked(q, &n)) {
			pvk_port_unlock(&q->lock);
			break;
		}
		if (!n) {
			/* Ask for the next one, then look once more. */
			pvk_ring_ask_event(&q->tx.sring->rsp_event, q->tx.rsp_cons);
			if (!tx_ready_locked(q, &n) || !n) {
				pvk_port_unlock(&q->lock);
				break;
			}
		}
		if (!budget) {
			/* done() hooks kept queueing and the backend kept
			 * answering, and answers wait: the host's next call
			 * takes them. */
			q->tx_due = true;
			pvk_port_unlock(&q->lock);
			break;
		}
		PVK_RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
		q->tx.rsp_cons++;
		found = true;
		bad = netfront_check_tx_response(q, &rsp);
		if (bad) {
			netfront_break(dev, bad, rsp.id, (long long)rsp.status);
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
	pvk_port_lock(&q->lock);
	q->tx_running--;
	pvk_port_unlock(&q->lock);
	if (q->tx_due)
		pvk_port_wake(&dev->wait);	/* wait_tx takes it */
	return found;
}
