/*
 * frontends/xenbus/xs_proto.h - the xenstore client's pure logic: the
 * connection's view of the ring page (its own indices kept privately, the
 * peer's read once and validated), the consumer that assembles messages
 * from the response ring, the producer for requests, and the checks that
 * turn a reply into a result.
 *
 * Nothing here touches Xen or sleeps: these functions only read and write
 * memory given to them, so the host unit tests and the fuzzer run them on
 * a ring page in ordinary memory. The peer (xenstored) is untrusted: every
 * index and length it wrote is checked, every byte is copied exactly once
 * out of the shared page, and a bad message is an error, never an overrun.
 * Only validated progress counts as work (what the event handler tells
 * the flood accounting): bytes taken out of the response ring, and request
 * bytes the peer consumed within what we produced.
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

/*
 * Consecutive service passes that found a ring index out of range (and no
 * progress) after which the connection is given up. A correct xenstored
 * never writes such an index; a few in a row are tolerated only because
 * nothing was consumed yet, so nothing is lost by looking again.
 */
#define PVK_XS_INDEX_ERROR_LIMIT	4

/*
 * One connection: the ring page and our private copies of the indices we
 * own (rsp_cons, req_prod: the page's copies are only ever written, so a
 * peer scribbling on them cannot move us), the last validated req_cons,
 * and the message being assembled.
 */
struct pvk_xs_conn {
	struct pvk_xenstore_domain_interface *intf;
	uint32_t rsp_cons;		/* ours */
	uint32_t req_prod;		/* ours */
	uint32_t req_acked;		/* the peer's req_cons, validated */
	unsigned int index_errors;	/* consecutive passes with one */
	uint64_t index_errors_total;
	bool dead;			/* given up: never touch the ring again */
	struct pvk_xs_rx rx;
};

/* Starts a connection on intf (indices as they are now; an inconsistent
 * pair is -PVK_XEN_EIO). */
int pvk_xs_conn_init(struct pvk_xs_conn *c, struct pvk_xenstore_domain_interface *intf);

/* pvk_xs_rx_feed() results besides negative errors. */
#define PVK_XS_RX_MORE		0	/* ring empty, message incomplete */
#define PVK_XS_RX_MESSAGE	1	/* c->rx holds a whole message */
#define PVK_XS_RX_BAD_INDEX	2	/* rsp_prod out of range: nothing taken */

/*
 * Copies what the response ring holds into c->rx, publishing rsp_cons as
 * it goes; *taken (added to) counts the bytes consumed. Returns
 * PVK_XS_RX_MESSAGE when a whole message is in c->rx (call
 * pvk_xs_rx_reset() after using it), PVK_XS_RX_MORE when the ring ran dry,
 * PVK_XS_RX_BAD_INDEX when rsp_prod is more than a ring ahead of us (or
 * behind), or -PVK_XEN_EIO when a message header is malformed (payload
 * over PVK_XENSTORE_PAYLOAD_MAX, unknown type): the stream is then lost.
 */
int pvk_xs_rx_feed(struct pvk_xs_conn *c, uint32_t *taken);
void pvk_xs_rx_reset(struct pvk_xs_rx *rx);

/*
 * Reads req_cons once: the bytes the peer consumed since the last call
 * (0 if none), or -PVK_XEN_EIO when req_cons is not between the last
 * validated value and our req_prod (nothing is changed then).
 */
int pvk_xs_req_ack(struct pvk_xs_conn *c);
/* Free request ring space by the validated req_cons. */
uint32_t pvk_xs_req_room(const struct pvk_xs_conn *c);
/* Copies len <= pvk_xs_req_room() bytes and publishes req_prod. */
void pvk_xs_tx_put(struct pvk_xs_conn *c, const void *data, uint32_t len);

/* What one service pass found. */
struct pvk_xs_pass {
	uint32_t rsp_taken;	/* response bytes consumed: notify the peer */
	uint32_t req_acked;	/* request bytes the peer consumed */
	unsigned int messages;	/* whole messages delivered */
	bool index_error;	/* an index was out of range this pass */
};

/*
 * One pass of the event handler over the ring: validates req_cons, then
 * takes whole messages (at most a ring's worth) and hands each to deliver
 * (c->rx holds it during the call). Returns 1 when the pass made
 * validated progress (work for the flood accounting), 0 when it did not,
 * -PVK_XEN_EIO when the connection must be given up: a malformed message,
 * or PVK_XS_INDEX_ERROR_LIMIT passes in a row with an index error and no
 * progress. c->dead is set then, and every later pass returns -PVK_XEN_EIO
 * without reading the page.
 */
int pvk_xs_service(struct pvk_xs_conn *c,
		   void (*deliver)(struct pvk_xs_conn *c, void *arg), void *arg,
		   struct pvk_xs_pass *pass);

/* The Xen errno for an XS_ERROR body ("ENOENT"), -PVK_XEN_EIO if unknown. */
int pvk_xs_error_to_errno(const char *name, uint32_t len);

/*
 * Checks a reply to a request of type `sent`: an XS_ERROR reply gives its
 * errno, a reply of another type than `sent` is -PVK_XEN_EIO. 0 when good.
 */
/* A WATCH request's result for the watch: EEXIST is success, since the
 * token is this registration's alone (a held registration and the
 * resume's rewatch may both send it to a new xenstored). */
int pvk_xs_watch_reply_ok(int rc);
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
