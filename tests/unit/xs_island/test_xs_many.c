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
 * batch calls cut theirs into rounds, all within one bound. */
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

	/* Every answer lost: one bound for the three rounds. */
	peer.tick_ns = TICK;
	peer.answers = false;
	t0 = now_ns;
	pvk_xs_read_many(PVK_XBT_NIL, r, 40);
	CHECK_EQ(r[39].rc, -PVK_XEN_ETIMEDOUT);
	CHECK(now_ns - t0 <= PVK_XS_TIMEOUT_NS + TICK);
}

/* A batch held by a suspend: the downtime (the clock jumps over it) is
 * not its answers' time; all go out after the cancel and are answered. */
static void downtime_then_cancel(void)
{
	now_ns += 2 * PVK_XS_TIMEOUT_NS;
	pvk_xs_suspend_cancel();
}

UNIT_TEST(xs_many_across_a_suspend_hold)
{
	static struct batch b;

	many_up();
	CHECK_EQ(pvk_xs_suspend(1), 0);
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
