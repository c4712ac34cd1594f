/*
 * tests/unit/xs_island/test_xs_many.c - the real batch calls
 * (pvk_xs_request_many() in xenstore.c, pvk_xs_read_many() and
 * pvk_xs_write_many() in xs_ops.c) against the island's played xenstored
 * (test_xs_suspend.c): answers out of order, an error among them, strays,
 * a lost answer, batches too big for one round, a suspend's hold (review
 * s12 S8). The bounds are checked on the played clock (peer.tick_ns a
 * turn), never on real time.
 */
#include <stdio.h>
#include <string.h>
#include <pvkit/xenstore.h>
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_client.h"
#include "tests/unit/unit.h"
#include "tests/unit/xs_island/island.h"

#define TICK	(PVK_XS_TIMEOUT_NS / 8)

struct batch {
	struct pvk_xs_many m[PVK_XS_MANY_MAX + 1];
	const char *parts[PVK_XS_MANY_MAX + 1][1];
	uint32_t lens[PVK_XS_MANY_MAX + 1][1];
	char out[PVK_XS_MANY_MAX + 1][16];
};

static const char *const keys[] = {
	"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
	"o", "p", "q",
};

/* n READs of keys[0..n-1]. */
static void fill_batch(struct batch *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		b->parts[i][0] = keys[i];
		b->lens[i][0] = 2;
		b->m[i] = (struct pvk_xs_many){
			.type = PVK_XS_READ, .parts = b->parts[i], .lens = b->lens[i],
			.nr = 1, .out = b->out[i], .out_size = sizeof(b->out[i]),
		};
		b->out[i][0] = 0;
	}
}

/* Sent through the real pvk_xs_request_many(). */
static void read_batch(struct batch *b, unsigned int n)
{
	fill_batch(b, n);
	pvk_xs_request_many(b->m, n);
}

/* Each answer reached its own request: the path it read. */
static void check_echoed(const struct batch *b, unsigned int n, const char *skip)
{
	for (unsigned int i = 0; i < n; i++) {
		if (skip && !strcmp(keys[i], skip))
			continue;
		CHECK_EQ(b->m[i].rc, 2);
		CHECK_STR(b->out[i], keys[i]);
	}
}

static void many_up(void)
{
	island_up();
	peer.echo = true;
}

UNIT_TEST(xs_many_answers_out_of_order_reach_their_requests)
{
	static struct batch b;

	many_up();
	peer.reverse = true;
	read_batch(&b, PVK_XS_MANY_MAX);
	CHECK_EQ(sent_of(PVK_XS_READ), PVK_XS_MANY_MAX);
	check_echoed(&b, PVK_XS_MANY_MAX, NULL);
}

UNIT_TEST(xs_many_error_answer_in_the_middle_is_its_own)
{
	static struct batch b;

	many_up();
	peer.enoent = "c";
	read_batch(&b, 5);
	CHECK_EQ(b.m[2].rc, -PVK_XEN_ENOENT);
	check_echoed(&b, 5, "c");
}

/* One that cannot even be queued (a transaction handle not open): its
 * error at once, the others sent and answered (review s12 S8). */
UNIT_TEST(xs_many_request_refused_in_the_middle)
{
	static struct batch b;

	many_up();
	fill_batch(&b, 4);
	b.m[1].t = 12345;
	pvk_xs_request_many(b.m, 4);
	CHECK_EQ(b.m[1].rc, -PVK_XEN_EIO);
	CHECK_EQ(sent_of(PVK_XS_READ), 3);
	check_echoed(&b, 4, "b");
}

/* An answer with another req_id (and tx_id) is a stray: counted, given to
 * nobody; the request waits on for its own. */
UNIT_TEST(xs_many_answer_with_a_wrong_id_is_a_stray)
{
	static struct batch b;
	struct pvk_xs_stats s0, s1;

	many_up();
	peer.stray = true;
	pvk_xs_get_stats(&s0);
	read_batch(&b, 4);
	pvk_xs_get_stats(&s1);
	check_echoed(&b, 4, NULL);
	CHECK_EQ(s1.stray_replies - s0.stray_replies, 4);
}

/* Review s12 S5: a lost answer costs the batch one bound, not one each;
 * the answered ones keep their answers. */
UNIT_TEST(xs_many_lost_answers_cost_one_bound)
{
	static struct batch b;
	uint64_t t0;

	many_up();
	peer.tick_ns = TICK;
	peer.lost = "b";
	read_batch(&b, 4);
	CHECK_EQ(b.m[1].rc, -PVK_XEN_ETIMEDOUT);
	check_echoed(&b, 4, "b");

	peer.answers = false;		/* every answer lost */
	t0 = now_ns;
	read_batch(&b, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(b.m[i].rc, -PVK_XEN_ETIMEDOUT);
	CHECK(now_ns - t0 <= PVK_XS_TIMEOUT_NS + TICK);
}

/* More than PVK_XS_MANY_MAX at once: refused whole, nothing sent. The
 * batch calls cut theirs into rounds, each within its own bound. */
UNIT_TEST(xs_many_larger_than_the_max)
{
	static struct batch b;
	struct pvk_xs_read_req r[40];
	struct pvk_xs_write_req w[40];
	char buf[40][16];
	char path[40][8];
	uint64_t t0;

	many_up();
	read_batch(&b, PVK_XS_MANY_MAX + 1);
	for (unsigned int i = 0; i <= PVK_XS_MANY_MAX; i++)
		CHECK_EQ(b.m[i].rc, -PVK_XEN_E2BIG);
	CHECK_EQ(nr_seen, 0);

	for (unsigned int i = 0; i < 40; i++) {
		snprintf(path[i], sizeof(path[i]), "k%u", i);
		r[i] = (struct pvk_xs_read_req){ .path = path[i], .buf = buf[i], .size = sizeof(buf[i]) };
		w[i] = (struct pvk_xs_write_req){ .path = path[i], .value = i % 2 ? "v" : NULL };
	}
	r[20].path = "";		/* refused, not sent */
	pvk_xs_read_many(PVK_XBT_NIL, r, 40);
	CHECK_EQ(sent_of(PVK_XS_READ), 39);
	CHECK_EQ(r[20].rc, -PVK_XEN_EINVAL);
	for (unsigned int i = 0; i < 40; i++) {
		if (i == 20)
			continue;
		CHECK_EQ(r[i].rc, (int)strlen(path[i]) + 1);
		CHECK_STR(buf[i], path[i]);
	}
	nr_seen = 0;		/* the played xenstored records 64 */
	pvk_xs_write_many(PVK_XBT_NIL, w, 40);
	CHECK_EQ(sent_of(PVK_XS_WRITE), 20);
	CHECK_EQ(sent_of(PVK_XS_RM), 20);
	for (unsigned int i = 0; i < 40; i++)
		CHECK_EQ(w[i].rc, 0);

	/* Every answer lost: round 1 times out after its bound, rounds 2
	 * and 3 are not sent (review s13 M1): one bound in all. */
	peer.tick_ns = TICK;
	peer.answers = false;
	t0 = now_ns;
	pvk_xs_read_many(PVK_XBT_NIL, r, 40);
	CHECK_EQ(r[39].rc, -PVK_XEN_ETIMEDOUT);
	CHECK(now_ns - t0 <= PVK_XS_TIMEOUT_NS + TICK);
}

/* A batch held by a suspend: the downtime (the clock jumps over it) is
 * not its answers' time; all go out after the cancel and are answered. */
static uint64_t requests_before;

static void downtime_then_cancel(void)
{
	/* Held: nothing of the batch queued yet (review s13 N7). */
	CHECK_EQ(pvk_xs_counters.requests, requests_before);
	now_ns += 2 * PVK_XS_TIMEOUT_NS;
	pvk_xs_suspend_cancel();
}

UNIT_TEST(xs_many_across_a_suspend_hold)
{
	static struct batch b;

	many_up();
	CHECK_EQ(pvk_xs_suspend(1), 0);
	requests_before = pvk_xs_counters.requests;
	hook = downtime_then_cancel;	/* while the first request is held */
	read_batch(&b, 6);
	CHECK(hook == NULL);
	check_echoed(&b, 6, NULL);
}

/* A suspend that outlasts the hold bound: the first request gives up
 * after it, the others at once (one hold bound for the batch). */
UNIT_TEST(xs_many_hold_bound_is_the_batch_s)
{
	static struct batch b;
	uint64_t t0;

	many_up();
	CHECK_EQ(pvk_xs_suspend(1), 0);
	peer.tick_ns = PVK_XS_HOLD_NS / 8;
	t0 = now_ns;
	read_batch(&b, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(b.m[i].rc, -PVK_XEN_ETIMEDOUT);
	CHECK(now_ns - t0 <= PVK_XS_HOLD_NS + PVK_XS_HOLD_NS / 8);
	CHECK_EQ(nr_seen, 0);
	pvk_xs_suspend_cancel();
}

/* ---- rounds against a slow xenstored (review s13 M1, S1) -------------- */

#define LONG_PATH	120	/* a request of 137 bytes: 7.5 fill the ring */

static char long_path[40][LONG_PATH + 1];

static void long_reads(struct pvk_xs_read_req *r, char (*buf)[16], unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		snprintf(long_path[i], sizeof(long_path[i]),
			 "/local/domain/7/device/vbd/51712/%087u", i);
		r[i] = (struct pvk_xs_read_req){ .path = long_path[i], .buf = buf[i], .size = 16 };
	}
}

/* 40 long reads, xenstored taking one message a turn: each round of 16
 * takes 2/3 of a bound, the three together twice one. Each round has its
 * own bound: all answered. (With one bound for all rounds, round 2 ran out
 * with its last message half in the ring and the connection was given up,
 * round 3 failing EIO.) */
UNIT_TEST(xs_many_rounds_each_have_a_bound)
{
	static struct pvk_xs_read_req r[40];
	static char buf[40][16];
	struct pvk_xs_stats s0, s1;

	island_up();
	peer.one = true;
	peer.tick_ns = PVK_XS_TIMEOUT_NS / 24;
	long_reads(r, buf, 40);
	pvk_xs_get_stats(&s0);
	pvk_xs_read_many(PVK_XBT_NIL, r, 40);
	pvk_xs_get_stats(&s1);
	CHECK_EQ(s1.protocol_errors, s0.protocol_errors);
	CHECK_EQ(sent_of(PVK_XS_READ), 40);
	for (unsigned int i = 0; i < 40; i++) {
		CHECK_EQ(r[i].rc, 3);
		CHECK_STR(buf[i], "OK");
	}
}

/* One round slower than its bound (four turns of a quarter): the bound
 * ends with the 12th message half in the ring. It is written whole in
 * its own bound (as when each request had one) and the connection goes
 * on: the answered keep their answers, the rest time out, and the next
 * call is answered. */
UNIT_TEST(xs_many_half_written_at_the_bound_is_finished_not_fatal)
{
	static struct pvk_xs_read_req r[16];
	static char buf[16][16];
	struct pvk_xs_stats s0, s1;
	char out[16];

	island_up();
	peer.one = true;
	peer.tick_ns = PVK_XS_TIMEOUT_NS / 4;
	long_reads(r, buf, 16);
	pvk_xs_get_stats(&s0);
	pvk_xs_read_many(PVK_XBT_NIL, r, 16);
	pvk_xs_get_stats(&s1);
	CHECK_EQ(s1.protocol_errors, s0.protocol_errors);
	for (unsigned int i = 0; i < 16; i++)
		CHECK_EQ(r[i].rc, i < 4 ? 3 : -PVK_XEN_ETIMEDOUT);
	peer.one = false;
	peer.tick_ns = 0;
	CHECK_EQ(pvk_xs_read(PVK_XBT_NIL, "x", out, sizeof(out)), 3);
}

/* In a transaction a round with an error stops the call: no later round
 * is sent, each of their entries has the error (review s12 S5). ENOENT
 * (an optional key) does not stop it. Outside one, a round that timed out
 * does. */
UNIT_TEST(xs_many_round_with_an_error_stops_the_rest)
{
	static struct pvk_xs_write_req w[40];
	static struct pvk_xs_read_req r[40];
	static char buf[40][16];
	static char path[40][8];
	struct pvk_xs_stats s0, s1;
	pvk_xs_transaction_t t;

	island_up();
	peer.tick_ns = PVK_XS_TIMEOUT_NS / 8;
	CHECK_EQ(pvk_xs_transaction_start(&t), 0);
	for (unsigned int i = 0; i < 40; i++) {
		snprintf(path[i], sizeof(path[i]), "k%u", i);
		w[i] = (struct pvk_xs_write_req){ .path = path[i], .value = "v" };
		r[i] = (struct pvk_xs_read_req){ .path = path[i], .buf = buf[i], .size = 16 };
	}
	peer.enoent = "k0";
	pvk_xs_read_many(t, r, 40);
	CHECK_EQ(sent_of(PVK_XS_READ), 40);
	CHECK_EQ(r[0].rc, -PVK_XEN_ENOENT);
	CHECK_EQ(r[39].rc, 3);

	nr_seen = 0;
	peer.lost = "k3";
	pvk_xs_get_stats(&s0);
	pvk_xs_write_many(t, w, 40);
	pvk_xs_get_stats(&s1);
	CHECK_EQ(s1.requests - s0.requests, 16);	/* queued, read or not */
	CHECK_EQ(sent_of(PVK_XS_WRITE), 16);
	CHECK_EQ(w[3].rc, -PVK_XEN_ETIMEDOUT);
	for (unsigned int i = 0; i < 40; i++)
		if (i != 3)
			CHECK_EQ(w[i].rc, i < 16 ? 0 : -PVK_XEN_ETIMEDOUT);
	CHECK_EQ(pvk_xs_transaction_end(t, true), 0);

	nr_seen = 0;
	pvk_xs_get_stats(&s0);
	pvk_xs_write_many(PVK_XBT_NIL, w, 40);
	pvk_xs_get_stats(&s1);
	CHECK_EQ(s1.requests - s0.requests, 16);
	CHECK_EQ(w[39].rc, -PVK_XEN_ETIMEDOUT);
}
