/*
 * frontends/xenbus/xs_proto.h - the xenstore client's pure logic: the
 * ring consumer that assembles messages from the response ring, the ring
 * producer for requests, and the checks that turn a reply into a result.
 *
 * Nothing here touches Xen or sleeps: these functions only read and write
 * memory given to them, so the host unit tests and the fuzzer run them on
 * a ring page in ordinary memory. The peer (xenstored) is untrusted: every
 * index and length it wrote is checked, every byte is copied exactly once
 * out of the shared page, and a bad message is an error, never an overrun.
 */
#ifndef PVK_XS_PROTO_H
#define PVK_XS_PROTO_H

#include <pvkit/types.h>
#include <pvkit/xen/io/xs_wire.h>

/* A message being assembled from the response ring. */
struct pvk_xs_rx {
	struct pvk_xsd_sockmsg hdr;
	uint32_t have;		/* bytes of header + body copied so far */
	/* Body, NUL-terminated by us (one spare byte). */
	char body[PVK_XENSTORE_PAYLOAD_MAX + 1];
};

/* pvk_xs_rx_feed() results besides negative errors. */
#define PVK_XS_RX_MORE		0	/* ring empty, message incomplete */
#define PVK_XS_RX_MESSAGE	1	/* rx->hdr / rx->body hold a message */

/*
 * Copies what the response ring holds into rx, publishing rsp_cons as it
 * goes. Returns PVK_XS_RX_MESSAGE when a whole message is in rx (call
 * pvk_xs_rx_reset() after using it), PVK_XS_RX_MORE when the ring ran dry,
 * or -PVK_XEN_EIO when the peer broke the protocol: indices more than a
 * ring apart, a payload over PVK_XENSTORE_PAYLOAD_MAX, or an unknown
 * message type. After an error the connection is unusable.
 */
int pvk_xs_rx_feed(struct pvk_xs_rx *rx, struct pvk_xenstore_domain_interface *intf);
void pvk_xs_rx_reset(struct pvk_xs_rx *rx);

/*
 * Free space in the request ring, or -PVK_XEN_EIO when the indices are
 * inconsistent. pvk_xs_tx_put() copies len <= that many bytes and
 * publishes req_prod.
 */
int pvk_xs_tx_space(const struct pvk_xenstore_domain_interface *intf);
void pvk_xs_tx_put(struct pvk_xenstore_domain_interface *intf,
		   const void *data, uint32_t len);

/* The Xen errno for an XS_ERROR body ("ENOENT"), -PVK_XEN_EIO if unknown. */
int pvk_xs_error_to_errno(const char *name, uint32_t len);

/*
 * Checks a reply to a request of type `sent`: an XS_ERROR reply gives its
 * errno, a reply of another type than `sent` is -PVK_XEN_EIO. 0 when good.
 */
int pvk_xs_reply_check(const struct pvk_xsd_sockmsg *hdr, const char *body,
		       uint32_t sent);

/*
 * Counts the NUL-terminated strings in body[0..len) (a directory listing
 * or a watch event); a last string without its NUL is -PVK_XEN_EIO.
 */
int pvk_xs_count_strings(const char *body, uint32_t len);

/* The index-th string of such a body, NULL if there are fewer. */
const char *pvk_xs_string_at(const char *body, uint32_t len, unsigned int index);

#endif /* PVK_XS_PROTO_H */
