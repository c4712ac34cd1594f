/*
 * frontends/xenbus/xs_ring.c - moving bytes through the xenstore ring page.
 *
 * Both rings are PVK_XENSTORE_RING_SIZE bytes with free-running 32-bit
 * indices: prod - cons bytes are in flight, never more than the ring size.
 * We read the peer's index once, check it, copy, then publish ours after a
 * barrier, so the peer cannot change what we already decided to copy.
 *
 * Responses are assembled in struct pvk_xs_rx: first the 16-byte header
 * (checked as soon as it is complete), then hdr.len bytes of body. A
 * message may span several calls; nothing is consumed twice.
 */
#include <pvkit/xen/errno.h>

#include "xs_proto.h"

#define RING	PVK_XENSTORE_RING_SIZE
#define HDR	((uint32_t)sizeof(struct pvk_xsd_sockmsg))

void pvk_xs_rx_reset(struct pvk_xs_rx *rx)
{
	rx->have = 0;
	rx->hdr.len = 0;
}

/* Copies up to want bytes out of the response ring; returns how many. */
static uint32_t ring_take(struct pvk_xenstore_domain_interface *intf,
			  uint32_t cons, uint32_t avail, void *dst, uint32_t want)
{
	uint32_t n = want < avail ? want : avail;
	char *d = dst;

	for (uint32_t i = 0; i < n; i++)
		d[i] = PVK_READ_ONCE(intf->rsp[PVK_MASK_XENSTORE_IDX(cons + i)]);
	return n;
}

static bool type_known(uint32_t type)
{
	return type < PVK_XS_TYPE_COUNT && type != 20;	/* 20: removed */
}

int pvk_xs_rx_feed(struct pvk_xs_rx *rx, struct pvk_xenstore_domain_interface *intf)
{
	uint32_t cons = intf->rsp_cons;
	uint32_t prod = PVK_READ_ONCE(intf->rsp_prod);
	uint32_t avail = prod - cons, n;

	if (avail > RING)
		return -PVK_XEN_EIO;
	/* Loads of the ring bytes must not be hoisted above prod's (x86
	 * keeps loads in order; the compiler must too). */
	pvk_barrier();
	if (rx->have < HDR) {
		n = ring_take(intf, cons, avail, (char *)&rx->hdr + rx->have,
			      HDR - rx->have);
		rx->have += n;
		cons += n;
		avail -= n;
		if (rx->have == HDR &&
		    (rx->hdr.len > PVK_XENSTORE_PAYLOAD_MAX || !type_known(rx->hdr.type))) {
			pvk_barrier();
			PVK_WRITE_ONCE(intf->rsp_cons, cons);
			return -PVK_XEN_EIO;
		}
	}
	if (rx->have >= HDR) {
		uint32_t got = rx->have - HDR;

		n = ring_take(intf, cons, avail, rx->body + got, rx->hdr.len - got);
		rx->have += n;
		cons += n;
	}
	/* Our copies are done before the peer may reuse the space. */
	pvk_barrier();
	PVK_WRITE_ONCE(intf->rsp_cons, cons);
	if (rx->have < HDR || rx->have - HDR < rx->hdr.len)
		return PVK_XS_RX_MORE;
	rx->body[rx->hdr.len] = '\0';
	return PVK_XS_RX_MESSAGE;
}

int pvk_xs_tx_space(const struct pvk_xenstore_domain_interface *intf)
{
	uint32_t used = intf->req_prod - PVK_READ_ONCE(intf->req_cons);

	if (used > RING)
		return -PVK_XEN_EIO;
	return (int)(RING - used);
}

void pvk_xs_tx_put(struct pvk_xenstore_domain_interface *intf,
		   const void *data, uint32_t len)
{
	uint32_t prod = intf->req_prod;
	const char *s = data;

	for (uint32_t i = 0; i < len; i++)
		intf->req[PVK_MASK_XENSTORE_IDX(prod + i)] = s[i];
	/* The bytes before the index that covers them. */
	pvk_barrier();
	PVK_WRITE_ONCE(intf->req_prod, prod + len);
}
