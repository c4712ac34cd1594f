/*
 * tests/fuzz/fuzz_netif_expect.c - the protocol's verdict on one event of
 * fuzz_netif: what a netfront must do with the responses the backend put
 * on a queue's rings, worked out from the rings and the backend's own
 * record, independently of netfront's code: which transmit frames
 * complete and with what status, which receive chains arrive (pieces,
 * checksum state, GSO) or are dropped, and the first lie, with every
 * reason it gives.
 */
#include <assert.h>
#include <string.h>

#include "fuzz_kit.h"
#include "fuzz_netif.h"

/* A lie's reasons are the words of netfront's log line for each defect
 * the response has (netfront_check_*, the chain and index checks): the
 * log must name one of them. Reworded there, they are to be reworded
 * here. */

static void add(struct reasons *rs, bool cond, const char *why)
{
	if (cond && rs->n < MAX_REASONS)
		rs->why[rs->n++] = why;
}

void netif_expect_tx(unsigned int qi, struct tx_expect *e)
{
	struct netfront_queue *q = &nd->queues[qi];
	struct backq *b = &bq[qi];
	uint32_t c = q->tx.rsp_cons, p = q->tx.sring->rsp_prod;

	memset(e, 0, sizeof(*e));
	e->quiet = nd->broken || !q->live || nd->gone;
	if (e->quiet)
		return;
	if ((uint32_t)(p - c) > (uint32_t)(q->tx_pushed - c)) {
		add(&e->lie, true, "produced more transmit responses than requests pushed");
		return;
	}
	/* The model moves with the walk (the frontend must move alike). */
	for (uint32_t j = c; j != p; j++) {
		struct pvk_netif_tx_response rsp;
		struct txrec *r;
		bool kept = false;
		int ri;

		rsp = *PVK_RING_GET_RESPONSE(&q->tx, j);	/* the model's read: not hooked */
		e->consumed++;
		if (rsp.status == PVK_NETIF_RSP_NULL) {
			add(&e->lie, !b->nulls_due, "answered an extra-info slot never sent");
			if (e->lie.n)
				return;
			b->nulls_due--;
			continue;
		}
		add(&e->lie, rsp.id >= ENTS || !b->sent[rsp.id],
		    "answered a transmit not outstanding");
		add(&e->lie, rsp.status != 0 && rsp.status != -1 && rsp.status != -2,
		    "sent an unknown transmit status");
		if (e->lie.n)
			return;
		b->sent[rsp.id] = false;
		ri = b->tx_of[rsp.id];
		r = &txr[ri];
		for (unsigned int s = 0; s < r->nslots; s++)
			if (r->id[s] == rsp.id)
				kept = fuzz_grant_mapped(r->ref[s]);
		if (rsp.status != PVK_NETIF_RSP_OKAY)
			r->failed = true;
		assert(r->left);
		if (--r->left == 0) {
			e->done[e->n].rec = ri;
			e->done[e->n++].status = r->failed ? -PVK_XEN_EIO : 0;
		}
		/* Kept mapped: disabled, but this answer counted. */
		add(&e->lie, kept, "kept a transmit page mapped after answering");
		if (e->lie.n)
			return;
	}
}

/* The ethertype of a frame's first piece, past one VLAN tag. */
static unsigned int ethertype(const uint8_t *p, size_t len)
{
	unsigned int t;

	if (len < 14)
		return 0;
	t = (unsigned int)p[12] << 8 | p[13];
	if (t == 0x8100 || t == 0x88a8)
		t = len >= 18 ? (unsigned int)p[16] << 8 | p[17] : 0;
	return t;
}

/* Walks the responses as the protocol reads them; the model's chain and
 * posted buffers are updated (the frontend must do the same). */
void netif_expect_rx(unsigned int qi, struct rx_expect *e)
{
	struct netfront_queue *q = &nd->queues[qi];
	struct backq *b = &bq[qi];
	const struct netfront_rx_features *rx = &nd->rxf;
	uint32_t c = q->rx.rsp_cons, p = q->rx.sring->rsp_prod;

	memset(e, 0, sizeof(*e));
	e->quiet = nd->broken || !q->live || nd->gone;
	if (e->quiet)
		return;
	if ((uint32_t)(p - c) > (uint32_t)(q->rx_pushed - c)) {
		add(&e->lie, true, "produced more receive responses than buffers posted");
		return;
	}
	for (uint32_t j = c; j != p; j++) {
		struct pvk_netif_rx_response rsp;
		uint16_t at = b->rx_id_at[j % ENTS];
		__typeof__(b->chain) *ch = &b->chain;

		rsp = *PVK_RING_GET_RESPONSE(&q->rx, j);	/* the model's read: not hooked */
		e->consumed++;
		if (ch->extra_due) {
			struct pvk_netif_extra_info ex;

			memcpy(&ex, &rsp, sizeof(ex));
			add(&e->lie, ex.type == 0 || ex.type >= 5 || (ex.flags & ~1),
			    "sent an unknown extra-info slot");
			if (!e->lie.n && ex.type == PVK_XEN_NETIF_EXTRA_TYPE_GSO) {
				add(&e->lie, !((ex.u.gso.type == 1 && rx->gso_tcpv4) ||
					       (ex.u.gso.type == 2 && rx->gso_tcpv6)),
				    "sent a GSO type not negotiated");
				add(&e->lie, !e->lie.n && !ex.u.gso.size, "sent a GSO frame of MSS 0");
			}
			add(&e->lie, !e->lie.n && (ch->extras & (1u << ex.type)),
			    "sent one extra-info type twice in a frame");
			add(&e->lie, !e->lie.n && !b->posted[at],
			    "put an extra-info slot over a buffer already answered");
			add(&e->lie, !e->lie.n && fuzz_grant_mapped(b->rx_ref[at]),
			    "kept a receive page mapped after filling it");
			if (e->lie.n)
				return;
			ch->extras |= 1u << ex.type;
			b->posted[at] = false;
			if (ex.type == PVK_XEN_NETIF_EXTRA_TYPE_GSO) {
				ch->gso = ex.u.gso.type == 1 ? PVK_NET_GSO_TCPV4 : PVK_NET_GSO_TCPV6;
				ch->gso_size = ex.u.gso.size;
			}
			ch->extra_due = ex.flags & 1;
		} else {
			bool first = !ch->active;
			uint16_t f = rsp.flags;

			add(&e->lie, rsp.id >= ENTS || !b->posted[rsp.id],
			    "answered a receive buffer not posted");
			add(&e->lie, (f & ~0x1fu) || (f & PVK_NETRXF_gso_prefix) ||
			    ((f & PVK_NETRXF_more_data) && !rx->sg) ||
			    ((f & PVK_NETRXF_extra_info) && !rx->gso_tcpv4 && !rx->gso_tcpv6) ||
			    ((f & PVK_NETRXF_csum_blank) && !rx->csum && !rx->ipv6_csum),
			    "set receive flags not negotiated");
			add(&e->lie, !first && (f & PVK_NETRXF_extra_info),
			    "set extra-info past a frame's first slot");
			add(&e->lie, !first && (f & (PVK_NETRXF_csum_blank | PVK_NETRXF_data_validated)),
			    "set checksum flags past a frame's first slot");
			add(&e->lie, rsp.status < -2, "sent an unknown receive status");
			add(&e->lie, rsp.status > 0 && rsp.offset + (unsigned int)rsp.status > 4096,
			    "placed a frame beyond its page");
			add(&e->lie, rsp.id != at, "answered a receive slot with another slot's buffer");
			add(&e->lie, ch->slots >= PVK_NET_MAX_FRAGS,
			    "sent a receive chain of more slots than a frame has");
			add(&e->lie, rsp.id < ENTS && b->posted[rsp.id] &&
			    fuzz_grant_mapped(b->rx_ref[rsp.id]),
			    "kept a receive page mapped after filling it");
			if (e->lie.n)
				return;
			b->posted[rsp.id] = false;
			if (first) {
				ch->active = true;
				ch->flags = f;
				ch->extra_due = f & PVK_NETRXF_extra_info;
			}
			ch->more = f & PVK_NETRXF_more_data;
			ch->slots++;
			if (rsp.status < 0 || ch->bytes + (unsigned int)(rsp.status > 0 ? rsp.status : 0) >
			    NETFRONT_MAX_FRAME_SG)
				ch->drop = true;
			if (!ch->drop && rsp.status > 0) {
				ch->piece[ch->nr++] = (struct netfront_rx_piece){
					rsp.id, rsp.offset, (uint16_t)rsp.status };
				ch->bytes += (unsigned int)rsp.status;
			}
		}
		if (!ch->extra_due && !ch->more) {
			struct frame *fr = &e->f[e->n];
			bool drop = ch->drop || !ch->bytes;

			memset(fr, 0, sizeof(*fr));
			for (unsigned int i = 0; i < ch->nr; i++) {
				fr->buf[i] = (uint8_t *)b->rx_page[ch->piece[i].id] + ch->piece[i].offset;
				fr->len[i] = ch->piece[i].len;
			}
			if (!drop && ch->gso != PVK_NET_GSO_NONE &&
			    (ch->gso_size > ch->bytes ||
			     ethertype(fr->buf[0], fr->len[0]) !=
			     (ch->gso == PVK_NET_GSO_TCPV4 ? 0x0800u : 0x86ddu)))
				drop = true;
			if (!drop) {
				fr->nr = ch->nr;
				fr->csum = ch->flags & PVK_NETRXF_csum_blank ? PVK_NET_CSUM_PARTIAL :
					ch->flags & PVK_NETRXF_data_validated ? PVK_NET_CSUM_VALID :
					PVK_NET_CSUM_NONE;
				fr->gso = ch->gso;
				fr->gso_size = ch->gso_size;
				e->n++;
			}
			memset(ch, 0, sizeof(*ch));
		}
	}
}
