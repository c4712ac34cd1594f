/*
 * frontends/xenbus/xs_ring.c - moving bytes through the xenstore ring page,
 * and what counts as progress on it.
 *
 * Both rings are PVK_XENSTORE_RING_SIZE bytes with free-running 32-bit
 * indices: prod - cons bytes are in flight, never more than the ring size.
 * The indices we own (rsp_cons, req_prod) are kept in struct pvk_xs_conn
 * and only written to the page; the peer's (rsp_prod, req_cons) are read
 * once per use, checked against ours, and only then used. We copy, then
 * publish our index after a barrier, so the peer cannot change what we
 * already decided to copy.
 *
 * Responses are assembled in struct pvk_xs_rx: first the 16-byte header
 * (checked as soon as it is complete), then hdr.len bytes of body. A
 * message may span several calls; nothing is consumed twice.
 */
#include <pvkit/xen/errno.h>

#include "xs_proto.h"

#define RING	PVK_XENSTORE_RING_SIZE
#define HDR	((uint32_t)sizeof(struct pvk_xsd_sockmsg))

int pvk_xs_conn_init(struct pvk_xs_conn *c, struct pvk_xenstore_domain_interface *intf)
{
	uint32_t rsp_cons = PVK_READ_ONCE(intf->rsp_cons);
	uint32_t rsp_prod = PVK_READ_ONCE(intf->rsp_prod);
	uint32_t req_cons = PVK_READ_ONCE(intf->req_cons);
	uint32_t req_prod = PVK_READ_ONCE(intf->req_prod);

	__builtin_memset(c, 0, sizeof(*c));
	c->intf = intf;
	c->rsp_cons = rsp_cons;
	c->req_prod = req_prod;
	c->req_acked = req_cons;
	pvk_xs_rx_reset(&c->rx);
	if (rsp_prod - rsp_cons > RING || req_prod - req_cons > RING) {
		c->dead = true;
		return -PVK_XEN_EIO;
	}
	return 0;
}

void pvk_xs_rx_reset(struct pvk_xs_rx *rx)
{
	rx->have = 0;
	rx->hdr.len = 0;
}

/* Copies up to want bytes out of the response ring; returns how many. */
static uint32_t ring_take(const struct pvk_xenstore_domain_interface *intf,
			  uint32_t cons, uint32_t avail, void *dst, uint32_t want)
{
	uint32_t n = want < avail ? want : avail;
	char *d = dst;

	for (uint32_t i = 0; i < n; i++)
		d[i] = PVK_READ_ONCE(intf->rsp[PVK_MASK_XENSTORE_IDX(cons + i)]);
	return n;
}

/* Types a server may send; the number of the removed XS_RESTRICT (between
 * SET_TARGET and RESET_WATCHES) is never valid again. */
static bool type_known(uint32_t type)
{
	return type < PVK_XS_TYPE_COUNT && type != PVK_XS_RESTRICT_REMOVED;
}

static void publish_rsp_cons(struct pvk_xs_conn *c, uint32_t cons, uint32_t *taken)
{
	/* Our copies are done before the peer may reuse the space. */
	pvk_barrier();
	*taken += cons - c->rsp_cons;
	c->rsp_cons = cons;
	PVK_WRITE_ONCE(c->intf->rsp_cons, cons);
}

int pvk_xs_rx_feed(struct pvk_xs_conn *c, uint32_t *taken)
{
	struct pvk_xs_rx *rx = &c->rx;
	uint32_t cons = c->rsp_cons;
	uint32_t prod = PVK_READ_ONCE(c->intf->rsp_prod);
	uint32_t avail = prod - cons, n;

	if (avail > RING)
		return PVK_XS_RX_BAD_INDEX;
	/* Loads of the ring bytes must not be hoisted above prod's (x86
	 * keeps loads in order; the compiler must too). */
	pvk_barrier();
	if (rx->have < HDR) {
		n = ring_take(c->intf, cons, avail, (char *)&rx->hdr + rx->have,
			      HDR - rx->have);
		rx->have += n;
		cons += n;
		avail -= n;
		if (rx->have == HDR &&
		    (rx->hdr.len > PVK_XENSTORE_PAYLOAD_MAX || !type_known(rx->hdr.type))) {
			publish_rsp_cons(c, cons, taken);
			return -PVK_XEN_EIO;
		}
	}
	if (rx->have >= HDR) {
		uint32_t got = rx->have - HDR;

		n = ring_take(c->intf, cons, avail, rx->body + got, rx->hdr.len - got);
		rx->have += n;
		cons += n;
	}
	publish_rsp_cons(c, cons, taken);
	if (rx->have < HDR || rx->have - HDR < rx->hdr.len)
		return PVK_XS_RX_MORE;
	rx->body[rx->hdr.len] = '\0';
	return PVK_XS_RX_MESSAGE;
}

int pvk_xs_req_ack(struct pvk_xs_conn *c)
{
	uint32_t cons = PVK_READ_ONCE(c->intf->req_cons);
	uint32_t moved = cons - c->req_acked;

	/* Only forward, and never past what we produced. */
	if (moved > c->req_prod - c->req_acked)
		return -PVK_XEN_EIO;
	c->req_acked = cons;
	return (int)moved;
}

uint32_t pvk_xs_req_room(const struct pvk_xs_conn *c)
{
	return RING - (c->req_prod - c->req_acked);
}

void pvk_xs_tx_put(struct pvk_xs_conn *c, const void *data, uint32_t len)
{
	uint32_t prod = c->req_prod;
	const char *s = data;

	for (uint32_t i = 0; i < len; i++)
		c->intf->req[PVK_MASK_XENSTORE_IDX(prod + i)] = s[i];
	/* The bytes before the index that covers them. */
	pvk_barrier();
	c->req_prod = prod + len;
	PVK_WRITE_ONCE(c->intf->req_prod, prod + len);
}

int pvk_xs_service(struct pvk_xs_conn *c,
		   void (*deliver)(struct pvk_xs_conn *c, void *arg), void *arg,
		   struct pvk_xs_pass *pass)
{
	int rc;

	__builtin_memset(pass, 0, sizeof(*pass));
	if (c->dead)
		return -PVK_XEN_EIO;
	rc = pvk_xs_req_ack(c);
	if (rc < 0)
		pass->index_error = true;
	else
		pass->req_acked = (uint32_t)rc;
	/* Bounded: every message is at least a header long, so a ring's
	 * worth of bytes holds fewer messages than this. */
	for (uint32_t i = 0; i <= RING / HDR; i++) {
		rc = pvk_xs_rx_feed(c, &pass->rsp_taken);
		if (rc < 0) {
			c->dead = true;
			return rc;
		}
		if (rc == PVK_XS_RX_BAD_INDEX) {
			pass->index_error = true;
			break;
		}
		if (rc == PVK_XS_RX_MORE)
			break;
		pass->messages++;
		deliver(c, arg);
		pvk_xs_rx_reset(&c->rx);
	}
	if (pass->index_error)
		c->index_errors_total++;
	if (pass->rsp_taken || pass->req_acked) {
		c->index_errors = 0;
		return 1;
	}
	if (pass->index_error && ++c->index_errors >= PVK_XS_INDEX_ERROR_LIMIT) {
		c->dead = true;
		return -PVK_XEN_EIO;
	}
	return 0;
}
