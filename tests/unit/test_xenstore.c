/*
 * tests/unit/test_xenstore.c - the xenstore client's pure logic
 * (frontends/xenbus/xs_ring.c, xs_reply.c) on a ring page in host memory.
 *
 * The peer is played by the test: it writes bytes and rsp_prod the way
 * xenstored would, or the ways a broken or hostile one might. Indices
 * start near the 32-bit wrap so every copy crosses both the ring's end and
 * the counter's. The service-pass tests check what the event handler
 * reports to the flood accounting: only validated progress is work, index
 * errors are counted and, repeated, give the connection up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_proto.h"
#include "unit.h"

#define START	0xfffffff0u

static struct pvk_xenstore_domain_interface ring;
static struct pvk_xs_conn conn;
static uint32_t taken;

static void reset(uint32_t start)
{
	memset(&ring, 0, sizeof(ring));
	ring.rsp_cons = ring.rsp_prod = start;
	ring.req_cons = ring.req_prod = start;
	CHECK_EQ(pvk_xs_conn_init(&conn, &ring), 0);
	taken = 0;
}

static int feed(void)
{
	return pvk_xs_rx_feed(&conn, &taken);
}

/* The peer appends bytes to the response ring. */
static void peer_put(const void *data, uint32_t len)
{
	const char *s = data;

	for (uint32_t i = 0; i < len; i++)
		ring.rsp[PVK_MASK_XENSTORE_IDX(ring.rsp_prod + i)] = s[i];
	ring.rsp_prod += len;
}

static void peer_msg(uint32_t type, uint32_t id, const char *body, uint32_t len)
{
	struct pvk_xsd_sockmsg h = { .type = type, .req_id = id, .len = len };

	peer_put(&h, sizeof(h));
	peer_put(body, len);
}

UNIT_TEST(xs_rx_whole_message_across_wrap)
{
	reset(START);
	peer_msg(PVK_XS_READ, 7, "value", 5);
	CHECK_EQ(feed(), PVK_XS_RX_MESSAGE);
	CHECK_EQ(conn.rx.hdr.type, PVK_XS_READ);
	CHECK_EQ(conn.rx.hdr.req_id, 7);
	CHECK_EQ(conn.rx.hdr.len, 5);
	CHECK_STR(conn.rx.body, "value");
	CHECK_EQ(ring.rsp_cons, ring.rsp_prod);
	pvk_xs_rx_reset(&conn.rx);
	CHECK_EQ(feed(), PVK_XS_RX_MORE);
}

UNIT_TEST(xs_rx_byte_by_byte)
{
	struct pvk_xsd_sockmsg h = { .type = PVK_XS_DIRECTORY, .req_id = 3, .len = 4 };
	char bytes[sizeof(h) + 4];

	reset(START - 5);
	memcpy(bytes, &h, sizeof(h));
	memcpy(bytes + sizeof(h), "a\0b", 4);
	for (size_t i = 0; i < sizeof(bytes); i++) {
		CHECK_EQ(feed(), PVK_XS_RX_MORE);
		peer_put(bytes + i, 1);
	}
	CHECK_EQ(feed(), PVK_XS_RX_MESSAGE);
	CHECK_EQ(pvk_xs_count_strings(conn.rx.body, conn.rx.hdr.len), 2);
	CHECK_STR(pvk_xs_string_at(conn.rx.body, conn.rx.hdr.len, 1), "b");
	CHECK(pvk_xs_string_at(conn.rx.body, conn.rx.hdr.len, 2) == NULL);
}

UNIT_TEST(xs_rx_two_messages_one_feed_each)
{
	reset(0);
	peer_msg(PVK_XS_WATCH_EVENT, 0, "p\0t", 4);
	peer_msg(PVK_XS_WRITE, 9, "OK", 3);
	CHECK_EQ(feed(), PVK_XS_RX_MESSAGE);
	CHECK_EQ(conn.rx.hdr.type, PVK_XS_WATCH_EVENT);
	pvk_xs_rx_reset(&conn.rx);
	CHECK_EQ(feed(), PVK_XS_RX_MESSAGE);
	CHECK_EQ(conn.rx.hdr.req_id, 9);
	CHECK_STR(conn.rx.body, "OK");
}

UNIT_TEST(xs_rx_rejects_bad_peers)
{
	struct pvk_xsd_sockmsg h = { .type = PVK_XS_READ, .len = PVK_XENSTORE_PAYLOAD_MAX + 1 };

	/* Payload over the limit: refused at the header, body never read. */
	reset(START);
	peer_put(&h, sizeof(h));
	CHECK_EQ(feed(), -PVK_XEN_EIO);

	/* Unknown types, including the removed XS_RESTRICT's number. */
	reset(START);
	peer_msg(PVK_XS_TYPE_COUNT, 1, "", 0);
	CHECK_EQ(feed(), -PVK_XEN_EIO);
	reset(START);
	peer_msg(PVK_XS_RESET_WATCHES - 1, 1, "", 0);
	CHECK_EQ(feed(), -PVK_XEN_EIO);

	/* Producer more than a ring ahead of us: nothing taken. */
	reset(START);
	ring.rsp_prod = START + PVK_XENSTORE_RING_SIZE + 1;
	CHECK_EQ(feed(), PVK_XS_RX_BAD_INDEX);
	CHECK_EQ(ring.rsp_cons, START);
	CHECK_EQ(taken, 0);
	/* ... or behind us. */
	reset(START);
	ring.rsp_prod = START - 1;
	CHECK_EQ(feed(), PVK_XS_RX_BAD_INDEX);
	CHECK_EQ(ring.rsp_cons, START);
}

UNIT_TEST(xs_rx_full_size_payload)
{
	static char body[PVK_XENSTORE_PAYLOAD_MAX];
	uint32_t sent = 0;
	int rc;

	memset(body, 'x', sizeof(body));
	reset(START);
	{
		struct pvk_xsd_sockmsg h = { .type = PVK_XS_READ, .req_id = 1,
					     .len = sizeof(body) };
		peer_put(&h, sizeof(h));
	}
	/* 4 KiB does not fit a 1 KiB ring: the peer refills as we drain. */
	do {
		uint32_t room = PVK_XENSTORE_RING_SIZE - (ring.rsp_prod - ring.rsp_cons);
		uint32_t n = sizeof(body) - sent < room ? sizeof(body) - sent : room;

		peer_put(body + sent, n);
		sent += n;
		rc = feed();
	} while (rc == PVK_XS_RX_MORE && sent <= sizeof(body));
	CHECK_EQ(rc, PVK_XS_RX_MESSAGE);
	CHECK_EQ(conn.rx.hdr.len, sizeof(body));
	CHECK_EQ(conn.rx.body[sizeof(body)], 0);
	CHECK_EQ(memcmp(conn.rx.body, body, sizeof(body)), 0);
}

UNIT_TEST(xs_tx_space_and_put_wrap)
{
	char out[8];

	reset(START);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE);
	pvk_xs_tx_put(&conn, "abcdefgh", 8);
	CHECK_EQ(ring.req_prod, START + 8);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE - 8);
	for (int i = 0; i < 8; i++)
		out[i] = ring.req[PVK_MASK_XENSTORE_IDX(START + i)];
	CHECK_EQ(memcmp(out, "abcdefgh", 8), 0);
	/* The peer consumed 5 of the 8: room grows by 5. */
	ring.req_cons = START + 5;
	CHECK_EQ(pvk_xs_req_ack(&conn), 5);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE - 3);
	CHECK_EQ(pvk_xs_req_ack(&conn), 0);
	/* Past the producer, or backwards: refused, nothing changes. */
	ring.req_cons = START + 8 + 1;
	CHECK_EQ(pvk_xs_req_ack(&conn), -PVK_XEN_EIO);
	ring.req_cons = START + 4;
	CHECK_EQ(pvk_xs_req_ack(&conn), -PVK_XEN_EIO);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE - 3);
	ring.req_cons = START + 8;
	CHECK_EQ(pvk_xs_req_ack(&conn), 3);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE);
}

/* Our own indices are ours: the peer writing them on the page does not
 * move the consumer or the producer. */
UNIT_TEST(xs_own_indices_private)
{
	reset(START);
	peer_msg(PVK_XS_READ, 1, "ab", 2);
	ring.rsp_cons = START + 100;	/* scribbled by the peer */
	ring.req_prod = START + 500;
	CHECK_EQ(feed(), PVK_XS_RX_MESSAGE);
	CHECK_STR(conn.rx.body, "ab");
	CHECK_EQ(ring.rsp_cons - START, sizeof(struct pvk_xsd_sockmsg) + 2);
	CHECK_EQ((int)pvk_xs_req_room(&conn), PVK_XENSTORE_RING_SIZE);
	pvk_xs_tx_put(&conn, "x", 1);
	CHECK_EQ(ring.req_prod, START + 1);
}

/* ---- One service pass: what counts as work ------------------------------ */

static unsigned int delivered;

static void count_delivery(struct pvk_xs_conn *c, void *arg)
{
	(void)arg;
	CHECK(c->rx.hdr.len <= PVK_XENSTORE_PAYLOAD_MAX);
	delivered++;
}

static int service(struct pvk_xs_pass *pass)
{
	return pvk_xs_service(&conn, count_delivery, NULL, pass);
}

UNIT_TEST(xs_service_counts_only_validated_progress)
{
	struct pvk_xs_pass pass;

	reset(START);
	delivered = 0;
	/* An event with nothing behind it: no work. */
	CHECK_EQ(service(&pass), 0);
	CHECK_EQ(pass.rsp_taken, 0);
	CHECK(!pass.index_error);

	/* A message: work, bytes taken, delivered. */
	peer_msg(PVK_XS_WATCH_EVENT, 0, "p\0t", 4);
	CHECK_EQ(service(&pass), 1);
	CHECK_EQ(pass.rsp_taken, sizeof(struct pvk_xsd_sockmsg) + 4);
	CHECK_EQ(pass.messages, 1);
	CHECK_EQ(delivered, 1);

	/* Half a header: bytes taken are work, nothing delivered yet. */
	peer_put("\x0b\0", 2);
	CHECK_EQ(service(&pass), 1);
	CHECK_EQ(pass.rsp_taken, 2);
	CHECK_EQ(pass.messages, 0);

	/* The peer consuming our requests is work, once. */
	pvk_xs_tx_put(&conn, "0123456789", 10);
	ring.req_cons = START + 10;
	CHECK_EQ(service(&pass), 1);
	CHECK_EQ(pass.req_acked, 10);
	CHECK_EQ(service(&pass), 0);
}

/* A peer nudging indices it has no business moving never makes work, and
 * after PVK_XS_INDEX_ERROR_LIMIT passes in a row the connection is given
 * up (and then the page is not read again). */
UNIT_TEST(xs_service_index_errors_give_up)
{
	struct pvk_xs_pass pass;

	reset(START);
	pvk_xs_tx_put(&conn, "abcd", 4);
	for (int i = 0; i < PVK_XS_INDEX_ERROR_LIMIT - 1; i++) {
		ring.req_cons = START - 1 - (uint32_t)i;	/* backwards */
		CHECK_EQ(service(&pass), 0);
		CHECK(pass.index_error);
		CHECK(!conn.dead);
	}
	/* Real progress in between resets the run. */
	ring.req_cons = START + 2;
	CHECK_EQ(service(&pass), 1);
	CHECK_EQ(conn.index_errors, 0);
	for (int i = 0; i < PVK_XS_INDEX_ERROR_LIMIT - 1; i++) {
		ring.rsp_prod = START + PVK_XENSTORE_RING_SIZE + 7;	/* too far */
		CHECK_EQ(service(&pass), 0);
		CHECK(pass.index_error);
	}
	CHECK(!conn.dead);
	CHECK_EQ(service(&pass), -PVK_XEN_EIO);
	CHECK(conn.dead);
	CHECK_EQ(conn.index_errors_total, 2 * PVK_XS_INDEX_ERROR_LIMIT - 1);
	/* Given up: a now-sane ring is not read any more. */
	ring.rsp_prod = START;
	peer_msg(PVK_XS_READ, 1, "x", 1);
	CHECK_EQ(service(&pass), -PVK_XEN_EIO);
	CHECK_EQ(ring.rsp_cons, START);
}

UNIT_TEST(xs_service_malformed_gives_up)
{
	struct pvk_xs_pass pass;

	reset(START);
	delivered = 0;
	peer_msg(PVK_XS_READ, 1, "ok", 2);
	peer_msg(PVK_XS_TYPE_COUNT + 5, 2, "", 0);
	CHECK_EQ(service(&pass), -PVK_XEN_EIO);
	CHECK_EQ(delivered, 1);		/* the good one before it */
	CHECK(conn.dead);
}

/* A whole ring of small messages in one pass; the bound is never hit by a
 * ring that only holds what it can. */
UNIT_TEST(xs_service_drains_a_full_ring)
{
	struct pvk_xs_pass pass;
	unsigned int n = PVK_XENSTORE_RING_SIZE / sizeof(struct pvk_xsd_sockmsg);

	reset(START);
	delivered = 0;
	for (unsigned int i = 0; i < n; i++)
		peer_msg(PVK_XS_WATCH_EVENT, 0, "", 0);
	CHECK_EQ(ring.rsp_prod - ring.rsp_cons, PVK_XENSTORE_RING_SIZE);
	CHECK_EQ(service(&pass), 1);
	CHECK_EQ(delivered, n);
	CHECK_EQ(pass.rsp_taken, PVK_XENSTORE_RING_SIZE);
}

UNIT_TEST(xs_error_names)
{
	CHECK_EQ(pvk_xs_error_to_errno("ENOENT", 7), -PVK_XEN_ENOENT);
	CHECK_EQ(pvk_xs_error_to_errno("ENOENT", 6), -PVK_XEN_ENOENT);
	CHECK_EQ(pvk_xs_error_to_errno("EAGAIN", 7), -PVK_XEN_EAGAIN);
	CHECK_EQ(pvk_xs_error_to_errno("EACCES", 7), -PVK_XEN_EACCES);
	CHECK_EQ(pvk_xs_error_to_errno("ENOEN", 5), -PVK_XEN_EIO);
	CHECK_EQ(pvk_xs_error_to_errno("ENOENTX", 7), -PVK_XEN_EIO);
	CHECK_EQ(pvk_xs_error_to_errno("", 0), -PVK_XEN_EIO);
}

UNIT_TEST(xs_reply_check_types)
{
	struct pvk_xsd_sockmsg h = { .type = PVK_XS_ERROR, .len = 7 };

	CHECK_EQ(pvk_xs_reply_check(&h, "EEXIST", PVK_XS_MKDIR), -PVK_XEN_EEXIST);
	h.type = PVK_XS_MKDIR;
	h.len = 3;
	CHECK_EQ(pvk_xs_reply_check(&h, "OK", PVK_XS_MKDIR), 0);
	CHECK_EQ(pvk_xs_reply_check(&h, "OK", PVK_XS_READ), -PVK_XEN_EIO);
}

UNIT_TEST(xs_string_lists)
{
	CHECK_EQ(pvk_xs_count_strings("", 0), 0);
	CHECK_EQ(pvk_xs_count_strings("a\0bc", 5), 2);
	CHECK_EQ(pvk_xs_count_strings("a\0bc", 4), -PVK_XEN_EIO);	/* unterminated */
	CHECK(pvk_xs_string_at("a\0bc", 4, 0) == NULL);
	CHECK_STR(pvk_xs_string_at("a\0\0c", 5, 2), "c");
	CHECK_STR(pvk_xs_string_at("a\0\0c", 5, 1), "");
}

UNIT_TEST(time_scale_delta)
{
	/* 1 GHz TSC: mul 2^32 would be 1.0, unrepresentable; Xen uses shift. */
	CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 1), 1000);
	CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 0), 500);
	CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, -1), 250);
	/* 3 GHz: ns = tsc / 3 (mul = 2^32/3 * 2, shift -1). */
	CHECK_EQ(pvk_time_scale_delta(3000000000ULL, 0xaaaaaaaa, -1), 999999999);
	/* Large deltas do not overflow the intermediate product. */
	CHECK_EQ(pvk_time_scale_delta(1ULL << 40, 1U << 31, 0), 1ULL << 39);
}

/* ---- frontends/xenbus/xenbus_state.c ------------------------------------ */
#include <pvkit/xenbus.h>

UNIT_TEST(xenbus_state_machine_table)
{
	/* Every (from, to) pair against the rules written out longhand. */
	for (int from = 0; from <= 9; from++) {
		for (int to = 0; to <= 9; to++) {
			bool want;

			if (from > 8 || to > 8)
				want = false;
			else if (from == to)
				want = true;
			else if (from == PVK_XenbusStateClosing)
				want = to == PVK_XenbusStateClosed;
			else if (from == PVK_XenbusStateClosed)
				want = to == PVK_XenbusStateInitialising;
			else if (to == PVK_XenbusStateClosing || to == PVK_XenbusStateClosed)
				want = true;
			else if (from == PVK_XenbusStateConnected)
				want = to == PVK_XenbusStateReconfiguring;
			else if (from == PVK_XenbusStateReconfiguring)
				want = to == PVK_XenbusStateReconfigured;
			else if (from == PVK_XenbusStateReconfigured)
				want = to == PVK_XenbusStateConnected;
			else if (to == PVK_XenbusStateReconfiguring || to == PVK_XenbusStateReconfigured ||
				 to == PVK_XenbusStateUnknown)
				want = false;
			else if (from == PVK_XenbusStateUnknown)
				want = to == PVK_XenbusStateInitialising;
			else
				want = to > from;	/* forward through the bring-up */
			if (pvk_xenbus_transition_ok((enum pvk_xenbus_state)from,
						     (enum pvk_xenbus_state)to) != want)
				unit_fail(__FILE__, __LINE__, "%d -> %d: want %d", from, to, want);
		}
	}
	CHECK_STR(pvk_xenbus_state_name(4), "Connected");
	CHECK_STR(pvk_xenbus_state_name(9), "invalid");
	CHECK_EQ(pvk_xenbus_parse_state("6"), 6);
	CHECK_EQ(pvk_xenbus_parse_state("06"), -1);
	CHECK_EQ(pvk_xenbus_parse_state("x"), -1);
}

/* ---- frontends/xenbus/xs_parse.c: backend text made safe to log ---------- */

UNIT_TEST(xenbus_printable_escapes_what_a_backend_may_write)
{
	char out[PVK_XENBUS_PRINTABLE_SIZE(32)];

	CHECK_STR(pvk_xenbus_printable(out, sizeof(out), "512x -1 ok"), "512x -1 ok");
	/* An ANSI "clear screen", a newline faking a log line, a bell. */
	CHECK_STR(pvk_xenbus_printable(out, sizeof(out), "1\x1b[2J\nblkfront: ok\a"),
		  "1\\x1b[2J\\x0ablkfront: ok\\x07");
	/* The escape character itself and a quote: the quoted text stays one. */
	CHECK_STR(pvk_xenbus_printable(out, sizeof(out), "a\\b\"c"), "a\\x5cb\\x22c");
	/* DEL and bytes past ASCII (a UTF-8 sequence, a bare 0xff). */
	CHECK_STR(pvk_xenbus_printable(out, sizeof(out), "\x7f\xc3\xa9\xff"),
		  "\\x7f\\xc3\\xa9\\xff");
	/* Every byte escaped still fits the size the header gives. */
	{
		char all[32], big[PVK_XENBUS_PRINTABLE_SIZE(sizeof(all) - 1)];

		memset(all, 0x01, sizeof(all) - 1);
		all[sizeof(all) - 1] = '\0';
		CHECK_EQ(strlen(pvk_xenbus_printable(big, sizeof(big), all)), 4 * (sizeof(all) - 1));
	}
	/* Too small: cut before a whole character that does not fit, never
	 * half an escape, always terminated. */
	CHECK_STR(pvk_xenbus_printable(out, 6, "ab\x1b" "cd"), "ab");
	CHECK_STR(pvk_xenbus_printable(out, 7, "ab\x1b" "cd"), "ab\\x1b");
	CHECK_STR(pvk_xenbus_printable(out, 1, "abc"), "");
	out[0] = 'z';
	pvk_xenbus_printable(out, 0, "abc");
	CHECK_EQ(out[0], 'z');
}
