/*
 * tests/unit/test_console.c - the console ring's index rules and its
 * re-entrant writer (frontends/console/cons_ring.c) on a ring page in host
 * memory.
 *
 * The backend is played by the test: it moves out_cons (draining) and
 * in_prod the way xenconsoled would, or the ways a broken or hostile one
 * might. Indices are checked near 0, across 2^31 and across the 2^32 wrap.
 * Re-entry uses the writer's test seam (the hook called halfway through
 * each chunk's copy) to write from inside a write, as a fault or event
 * handler would.
 */
#include <stdint.h>
#include <stdlib.h>
#include "frontends/console/cons_ring.h"
#include "unit.h"

static const uint32_t starts[] = { 0, 0x7ffffff0u, 0xfffffff0u, 0xffffffffu };
#define NSTARTS (sizeof(starts) / sizeof(starts[0]))
#define OUT_SIZE ((uint32_t)PVK_CONS_OUT_SIZE)
#define IN_SIZE ((uint32_t)PVK_CONS_IN_SIZE)

/* ---- in_prod ---------------------------------------------------------- */

UNIT_TEST(console_in_avail_within_a_ring)
{
	for (unsigned int s = 0; s < NSTARTS; s++) {
		uint32_t cons = starts[s], avail = 12345;

		for (uint32_t n = 0; n <= IN_SIZE; n += 97) {
			CHECK(pvk_cons_in_avail(cons, cons + n, IN_SIZE, &avail));
			CHECK_EQ(avail, n);
		}
		CHECK(pvk_cons_in_avail(cons, cons + IN_SIZE, IN_SIZE, &avail));
		CHECK_EQ(avail, IN_SIZE);
	}
}

UNIT_TEST(console_in_avail_rejects_ahead_and_backwards)
{
	for (unsigned int s = 0; s < NSTARTS; s++) {
		uint32_t cons = starts[s], avail = 777;

		CHECK(!pvk_cons_in_avail(cons, cons + IN_SIZE + 1, IN_SIZE, &avail));
		CHECK(!pvk_cons_in_avail(cons, cons + 5000, IN_SIZE, &avail));
		CHECK(!pvk_cons_in_avail(cons, cons - 1, IN_SIZE, &avail));
		CHECK(!pvk_cons_in_avail(cons, cons + 0x80000000u, IN_SIZE, &avail));
		CHECK_EQ(avail, 777);	/* untouched on error */
	}
}

/* ---- out_cons --------------------------------------------------------- */

UNIT_TEST(console_out_cons_valid_range)
{
	for (unsigned int s = 0; s < NSTARTS; s++) {
		uint32_t seen = starts[s], pub = seen + 300;

		CHECK(pvk_cons_out_cons_ok(seen, seen, pub, OUT_SIZE));
		CHECK(pvk_cons_out_cons_ok(seen, seen + 1, pub, OUT_SIZE));
		CHECK(pvk_cons_out_cons_ok(seen, pub, pub, OUT_SIZE));
		/* Beyond what we published. */
		CHECK(!pvk_cons_out_cons_ok(seen, pub + 1, pub, OUT_SIZE));
		CHECK(!pvk_cons_out_cons_ok(seen, pub + 0x80000000u, pub, OUT_SIZE));
		/* Behind what it already said. */
		CHECK(!pvk_cons_out_cons_ok(seen, seen - 1, pub, OUT_SIZE));
		/* More than a ring behind our output. */
		CHECK(!pvk_cons_out_cons_ok(pub - OUT_SIZE - 1, pub - OUT_SIZE - 1, pub, OUT_SIZE));
		CHECK(pvk_cons_out_cons_ok(pub - OUT_SIZE, pub - OUT_SIZE, pub, OUT_SIZE));
	}
}

UNIT_TEST(console_out_cons_stale_seen)
{
	/* The handler's seen may be older than a ring: the window counts. */
	uint32_t pub = 0x10;
	uint32_t seen = pub - 3 * OUT_SIZE;

	CHECK(pvk_cons_out_cons_ok(seen, pub - OUT_SIZE, pub, OUT_SIZE));
	CHECK(pvk_cons_out_cons_ok(seen, pub, pub, OUT_SIZE));
	CHECK(!pvk_cons_out_cons_ok(seen, pub - OUT_SIZE - 1, pub, OUT_SIZE));
	CHECK(!pvk_cons_out_cons_ok(seen, pub + 1, pub, OUT_SIZE));
}

/* ---- The writer ------------------------------------------------------- */

static struct pvk_xencons_interface ring;
static struct pvk_cons_out out;
static uint32_t base;		/* out_prod when the test began */

static void writer_reset(uint32_t start)
{
	memset(&ring, 0, sizeof(ring));
	ring.out_prod = ring.out_cons = start;
	base = start;
	CHECK(pvk_cons_out_reset(&out, &ring));
}

/* The backend drains everything published. */
static void drain(void)
{
	ring.out_cons = ring.out_prod;
}

static char ring_byte(uint32_t idx)
{
	return ring.out[PVK_MASK_XENCONS_IDX(idx, ring.out)];
}

/* Checks the ring holds text at [at, at + len). */
static void check_bytes(uint32_t at, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (ring_byte(at + (uint32_t)i) != text[i]) {
			unit_fail(__FILE__, __LINE__, "byte %zu at index 0x%x is '%c', expected '%c'",
				  i, at + (uint32_t)i, ring_byte(at + (uint32_t)i), text[i]);
			return;
		}
	}
}

/* A whole write, draining when full (what console.c does, minus waiting). */
static size_t write_all(const char *text, size_t len)
{
	int d = pvk_cons_out_enter(&out);
	size_t done = 0;

	if (d < 0)
		return 0;
	while (done < len) {
		long n = pvk_cons_out_put(&out, (unsigned int)d, text + done, len - done);

		if (n < 0)
			break;
		if (!n) {
			drain();
			continue;
		}
		done += (size_t)n;
	}
	pvk_cons_out_leave(&out, (unsigned int)d);
	return done;
}

UNIT_TEST(console_write_publishes_in_order_across_wrap)
{
	static char text[5000];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('A' + i % 23);
	for (unsigned int s = 0; s < NSTARTS; s++) {
		uint32_t prev;

		writer_reset(starts[s]);
		/* Short writes that fill the ring, one byte too many. */
		for (uint32_t i = 0; i < OUT_SIZE / 16; i++)
			CHECK_EQ(write_all(text, 16), 16);
		CHECK_EQ(ring.out_prod - base, OUT_SIZE);
		{
			int d = pvk_cons_out_enter(&out);

			CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, "x", 1), 0);
			pvk_cons_out_leave(&out, (unsigned int)d);
		}
		drain();
		/* A long one: chunks, wrapping the ring and the counter. */
		prev = ring.out_prod;
		CHECK_EQ(write_all(text, sizeof(text)), sizeof(text));
		CHECK_EQ(ring.out_prod - prev, sizeof(text));
		/* The last ring's worth is what the ring holds. */
		check_bytes(ring.out_prod - OUT_SIZE, text + sizeof(text) - OUT_SIZE, OUT_SIZE);
		CHECK_EQ(out.depth, 0);
	}
}

UNIT_TEST(console_write_claims_at_most_a_chunk)
{
	static char text[PVK_CONS_CHUNK * 2];
	int d;

	memset(text, 'q', sizeof(text));
	writer_reset(0);
	d = pvk_cons_out_enter(&out);
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, text, sizeof(text)), PVK_CONS_CHUNK);
	CHECK_EQ(ring.out_prod, PVK_CONS_CHUNK);
	pvk_cons_out_leave(&out, (unsigned int)d);
}

UNIT_TEST(console_write_rejects_bad_out_cons)
{
	int d;

	for (unsigned int s = 0; s < NSTARTS; s++) {
		writer_reset(starts[s]);
		CHECK_EQ(write_all("hello", 5), 5);
		d = pvk_cons_out_enter(&out);
		/* Beyond what we wrote. */
		ring.out_cons = ring.out_prod + 1;
		CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, "x", 1), -1);
		/* Backwards from what it said. */
		ring.out_cons = base + 5;
		CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, "x", 1), 1);
		ring.out_cons = base + 4;
		CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, "x", 1), -1);
		CHECK_EQ(ring.out_prod - base, 6);	/* nothing more published */
		CHECK_EQ(out.w[d].state, PVK_CONS_W_IDLE);
		pvk_cons_out_leave(&out, (unsigned int)d);
	}
}

UNIT_TEST(console_write_never_moves_out_prod_back)
{
	int d;

	writer_reset(100);
	CHECK_EQ(write_all("abc", 3), 3);
	/* A backend scribbling a later out_prod: we leave it (its own output
	 * only); one scribbling an earlier one: we move it forward again. */
	ring.out_prod = 100;
	d = pvk_cons_out_enter(&out);
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d, "d", 1), 1);
	CHECK_EQ(ring.out_prod, 104);
	check_bytes(100, "abcd", 4);
	pvk_cons_out_leave(&out, (unsigned int)d);
}

/* Re-entry: the hook writes the next level's text, once per depth. */
static const char *levels[PVK_CONSOLE_MAX_NEST + 1];
static unsigned int nr_levels;
static bool level_done[PVK_CONSOLE_MAX_NEST + 1];
static size_t level_written[PVK_CONSOLE_MAX_NEST + 1];
static uint32_t samples[64];
static unsigned int nr_samples;
static uint32_t published_after[PVK_CONSOLE_MAX_NEST + 1];

static void sample(void)
{
	if (nr_samples < sizeof(samples) / sizeof(samples[0]))
		samples[nr_samples++] = ring.out_prod;
}

static void nest_hook(unsigned int depth)
{
	sample();
	if (depth + 1 >= nr_levels || level_done[depth])
		return;
	level_done[depth] = true;
	level_written[depth + 1] = write_all(levels[depth + 1], strlen(levels[depth + 1]));
	published_after[depth + 1] = ring.out_prod;
	sample();
}

static void nest_setup(unsigned int n)
{
	nr_levels = n;
	nr_samples = 0;
	memset(level_done, 0, sizeof(level_done));
	memset(level_written, 0, sizeof(level_written));
	memset(published_after, 0, sizeof(published_after));
	out.hook = nest_hook;
}

static void check_monotonic(void)
{
	for (unsigned int i = 1; i < nr_samples; i++)
		CHECK((int32_t)(samples[i] - samples[i - 1]) >= 0);
}

UNIT_TEST(console_nested_writes_each_whole_in_order)
{
	static char outer[PVK_CONS_CHUNK + 300];
	static const char *nested[] = { NULL, "<one>", "<two two>", "<three three three>" };

	memset(outer, 'o', sizeof(outer) - 1);
	outer[sizeof(outer) - 1] = '\0';
	for (unsigned int depth = 1; depth <= PVK_CONSOLE_MAX_NEST; depth++) {
		for (unsigned int s = 0; s < NSTARTS; s++) {
			uint32_t at;

			writer_reset(starts[s]);
			levels[0] = outer;
			for (unsigned int i = 1; i < PVK_CONSOLE_MAX_NEST; i++)
				levels[i] = nested[i];
			nest_setup(depth);
			CHECK_EQ(write_all(outer, strlen(outer)), strlen(outer));
			out.hook = NULL;
			sample();
			check_monotonic();
			/* The outer's first chunk, each nested text, the rest. */
			check_bytes(base, outer, PVK_CONS_CHUNK);
			at = base + PVK_CONS_CHUNK;
			for (unsigned int i = 1; i < depth; i++) {
				CHECK_EQ(level_written[i], strlen(nested[i]));
				check_bytes(at, nested[i], strlen(nested[i]));
				at += (uint32_t)strlen(nested[i]);
			}
			/* The deepest was published (with all below it) before
			 * it returned. */
			if (depth > 1)
				CHECK_EQ(published_after[depth - 1], at);
			check_bytes(at, outer + PVK_CONS_CHUNK, strlen(outer) - PVK_CONS_CHUNK);
			at += (uint32_t)(strlen(outer) - PVK_CONS_CHUNK);
			CHECK_EQ(ring.out_prod, at);
			CHECK_EQ(out.pub, at);
			CHECK_EQ(out.depth, 0);
		}
	}
}

UNIT_TEST(console_nesting_deeper_than_max_is_refused)
{
	int d[PVK_CONSOLE_MAX_NEST];

	writer_reset(0);
	for (unsigned int i = 0; i < PVK_CONSOLE_MAX_NEST; i++)
		CHECK_EQ(d[i] = pvk_cons_out_enter(&out), (int)i);
	CHECK_EQ(pvk_cons_out_enter(&out), -1);
	CHECK_EQ(out.depth, PVK_CONSOLE_MAX_NEST);
	for (unsigned int i = PVK_CONSOLE_MAX_NEST; i-- > 0;)
		pvk_cons_out_leave(&out, (unsigned int)d[i]);
	CHECK_EQ(out.depth, 0);
}

UNIT_TEST(console_nested_claim_makes_preparing_writer_redo)
{
	/* A writer frozen between computing its claim and taking it: the
	 * nested writer marks it, and its exchange must fail. */
	int d0, d1;

	writer_reset(0);
	d0 = pvk_cons_out_enter(&out);
	out.w[d0].state = PVK_CONS_W_PREPARING;
	d1 = pvk_cons_out_enter(&out);
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d1, "nested", 6), 6);
	CHECK_EQ(out.w[d0].state, PVK_CONS_W_CONFLICT);
	pvk_cons_out_leave(&out, (unsigned int)d1);
	out.w[d0].state = PVK_CONS_W_IDLE;
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d0, "outer", 5), 5);
	pvk_cons_out_leave(&out, (unsigned int)d0);
	check_bytes(0, "nestedouter", 11);
	CHECK_EQ(ring.out_prod, 11);
}

UNIT_TEST(console_nested_writer_waits_for_room_behind_interrupted_claim)
{
	/* The ring is nearly full and the outer claimed the rest: the nested
	 * writer finds no room, but publishes the outer's bytes so the
	 * backend can drain; after that it has room, and no place the outer
	 * still writes to is given to it. */
	static char fill[OUT_SIZE];
	int d0, d1;
	long n;

	memset(fill, 'f', sizeof(fill));
	writer_reset(0);
	CHECK_EQ(write_all(fill, OUT_SIZE - PVK_CONS_CHUNK), OUT_SIZE - PVK_CONS_CHUNK);
	d0 = pvk_cons_out_enter(&out);
	out.w[d0].text = "outer-chunk";
	out.w[d0].start = ring.out_prod;
	out.w[d0].len = 11;
	out.w[d0].state = PVK_CONS_W_CLAIMED;
	d1 = pvk_cons_out_enter(&out);
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d1, fill, PVK_CONS_CHUNK), PVK_CONS_CHUNK - 11);
	/* Its claim came after the outer's, which it completed. */
	check_bytes(OUT_SIZE - PVK_CONS_CHUNK, "outer-chunk", 11);
	CHECK_EQ(ring.out_prod, OUT_SIZE);
	CHECK_EQ(pvk_cons_out_put(&out, (unsigned int)d1, fill, 1), 0);
	drain();
	/* Room counts from the outer's claim, not from out_cons. */
	n = pvk_cons_out_put(&out, (unsigned int)d1, fill, OUT_SIZE);
	CHECK_EQ(n, PVK_CONS_CHUNK);
	CHECK((uint32_t)(ring.out_prod - (OUT_SIZE - PVK_CONS_CHUNK)) <= OUT_SIZE);
	pvk_cons_out_leave(&out, (unsigned int)d1);
	pvk_cons_out_leave(&out, (unsigned int)d0);
}

UNIT_TEST(console_nested_longer_than_outer_keeps_out_prod)
{
	static const char *texts[] = { "[short]", "[a longer write, from inside the short one]" };

	for (unsigned int s = 0; s < NSTARTS; s++) {
		writer_reset(starts[s]);
		levels[0] = texts[0];
		levels[1] = texts[1];
		nest_setup(2);
		CHECK_EQ(write_all(texts[0], strlen(texts[0])), strlen(texts[0]));
		out.hook = NULL;
		sample();
		check_monotonic();
		CHECK_EQ(level_written[1], strlen(texts[1]));
		CHECK_EQ(published_after[1], (uint32_t)(base + strlen(texts[0]) + strlen(texts[1])));
		CHECK_EQ(ring.out_prod, (uint32_t)(base + strlen(texts[0]) + strlen(texts[1])));
		check_bytes(base, texts[0], strlen(texts[0]));
		check_bytes(base + (uint32_t)strlen(texts[0]), texts[1], strlen(texts[1]));
	}
}
