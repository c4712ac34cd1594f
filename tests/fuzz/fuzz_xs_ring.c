/*
 * tests/fuzz/fuzz_xs_ring.c - libFuzzer target: a hostile xenstored.
 *
 * The input is a script for the peer: each step takes one control byte
 * (how many bytes to append to the response ring this time, 0-239; a
 * corrupt rsp_prod, req_cons or our own rsp_cons on the page when the top
 * values say so) and that many data bytes. After every step the client's
 * service pass runs (the event handler's), and every complete message
 * goes through the reply checks the client makes. ASan/UBSan catch any
 * overrun; the asserts catch broken promises (consuming past the
 * producer, an unterminated body, a body longer than its limit, a pass
 * reporting work without validated progress, a dead connection that is
 * still read).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_proto.h"

static struct pvk_xenstore_domain_interface ring;
static struct pvk_xs_conn conn;

static void check_message(struct pvk_xs_conn *c, void *arg)
{
	const struct pvk_xs_rx *rx = &c->rx;
	uint32_t len = rx->hdr.len;
	int n;

	assert(len <= PVK_XENSTORE_PAYLOAD_MAX);
	(void)arg;
	assert(rx->body[len] == '\0');
	(void)pvk_xs_reply_check(&rx->hdr, rx->body, PVK_XS_READ);
	n = pvk_xs_count_strings(rx->body, len);
	if (n >= 0) {
		for (int i = 0; i <= n; i++) {
			const char *s = pvk_xs_string_at(rx->body, len, (unsigned int)i);

			assert((i < n) == (s != NULL));
			if (s)
				assert(s >= rx->body && s + strlen(s) < rx->body + len);
		}
	}
	if (rx->hdr.type == PVK_XS_ERROR)
		assert(pvk_xs_error_to_errno(rx->body, len) < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	uint32_t start = size >= 4 ? (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
				     (uint32_t)data[2] << 8 | data[3] : 0;

	memset(&ring, 0, sizeof(ring));
	ring.rsp_cons = ring.rsp_prod = start;
	ring.req_cons = ring.req_prod = start;
	assert(pvk_xs_conn_init(&conn, &ring) == 0);
	/* Requests in flight, for req_cons to be validated against. */
	pvk_xs_tx_put(&conn, "request", 7);
	i = size >= 4 ? 4 : size;
	while (i < size) {
		uint8_t ctl = data[i++];
		uint32_t cons_before = conn.rsp_cons, acked_before = conn.req_acked;
		struct pvk_xs_pass pass;
		int rc;

		if (ctl >= 0xf8) {
			/* A corrupt producer index. */
			ring.rsp_prod += (uint32_t)(ctl - 0xf8) * 0x40000000u + 1;
		} else if (ctl >= 0xf0) {
			/* req_cons moved anywhere, or our rsp_cons scribbled. */
			if (ctl & 1)
				ring.req_cons += (uint32_t)(ctl - 0xf0) * 0x20000000u + 1;
			else
				ring.rsp_cons += (uint32_t)(ctl - 0xf0) * 0x1000u + 3;
		} else {
			uint32_t room = PVK_XENSTORE_RING_SIZE - (ring.rsp_prod - conn.rsp_cons);
			uint32_t n = ctl;

			if ((uint32_t)(ring.rsp_prod - conn.rsp_cons) > PVK_XENSTORE_RING_SIZE)
				room = 0;
			if (n > room)
				n = room;
			if (n > size - i)
				n = (uint32_t)(size - i);
			for (uint32_t k = 0; k < n; k++)
				ring.rsp[PVK_MASK_XENSTORE_IDX(ring.rsp_prod + k)] = (char)data[i + k];
			ring.rsp_prod += n;
			i += n;
		}
		rc = pvk_xs_service(&conn, check_message, NULL, &pass);
		/* Never consumes more than a ring, nor acks past our producer. */
		assert((uint32_t)(conn.rsp_cons - cons_before) <= PVK_XENSTORE_RING_SIZE);
		assert(conn.rsp_cons - cons_before == pass.rsp_taken);
		assert(conn.req_acked - acked_before <= conn.req_prod - acked_before);
		/* Work only for validated progress. */
		if (rc >= 0)
			assert((rc == 1) == (pass.rsp_taken || pass.req_acked));
		/* A header is judged as soon as it is complete. */
		if (rc >= 0 && conn.rx.have >= sizeof(conn.rx.hdr)) {
			assert(conn.rx.hdr.len <= PVK_XENSTORE_PAYLOAD_MAX);
			assert(conn.rx.have - sizeof(conn.rx.hdr) <= conn.rx.hdr.len);
		}
		if (rc < 0) {
			assert(rc == -PVK_XEN_EIO && conn.dead);
			/* Dead: never reads the page again. */
			cons_before = conn.rsp_cons;
			assert(pvk_xs_service(&conn, check_message, NULL, &pass) == -PVK_XEN_EIO);
			assert(conn.rsp_cons == cons_before);
			return 0;	/* the client gives the connection up */
		}
	}
	return 0;
}
