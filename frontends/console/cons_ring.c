/*
 * frontends/console/cons_ring.c - the console ring's index rules, and the
 * output writer that may be re-entered.
 *
 * Index rules: every index the backend writes (in_prod, out_cons) is read
 * once by the caller and judged here against our own private copies; the
 * ring's copies of our indexes (in_cons, out_prod) are only ever written.
 *
 * The writer: a fault handler or an event handler may interrupt a write
 * and write itself (nesting is strictly last-in first-out on one CPU). The
 * old scheme, "read out_prod, copy, publish out_prod", lets the nested
 * writer use the same bytes and then the outer one publish an out_prod
 * behind the nested one's. Here each write claims its bytes first:
 *
 *  - its record (depth d) goes PREPARING, it computes the claim from our
 *    published index and every record of the writes it interrupted that
 *    is CLAIMED (they end before it), and turns PREPARING into CLAIMED with
 *    one compare-exchange. A nested writer that ran in between marked it
 *    CONFLICT (it may have claimed the same bytes), so the exchange fails
 *    and the claim is made again;
 *  - it copies its bytes, then also copies the bytes of every CLAIMED
 *    record below it (the interrupted writes' text is still there, and
 *    they may not get back to it: a fatal fault's report must appear), and
 *    only then publishes the end of its own bytes: out_prod moves forward
 *    only, over bytes that are all in place, and a nested message appears
 *    at once, after the interrupted one's chunk;
 *  - an interrupted write that resumes copies its bytes again (the same
 *    bytes into the same place) and finds its end already published. No
 *    other writer can be given those places meanwhile: room is counted
 *    from the oldest active claim, not from out_cons.
 *
 * A claim is at most PVK_CONS_CHUNK bytes, so a writer nested
 * PVK_CONSOLE_MAX_NEST - 1 deep still finds room.
 */
#include "cons_ring.h"

bool pvk_cons_in_avail(uint32_t cons, uint32_t prod, uint32_t size,
		       uint32_t *avail)
{
	uint32_t n = prod - cons;

	if (n > size)
		return false;
	*avail = n;
	return true;
}

bool pvk_cons_out_cons_ok(uint32_t seen, uint32_t cons, uint32_t pub,
			  uint32_t size)
{
	if ((uint32_t)(pub - cons) > size)
		return false;		/* beyond our output, or a ring behind */
	if ((uint32_t)(pub - seen) > size)
		return true;		/* seen is older than the ring */
	return (uint32_t)(cons - seen) <= (uint32_t)(pub - seen);
}

bool pvk_cons_out_reset(struct pvk_cons_out *o, struct pvk_xencons_interface *ring)
{
	uint32_t prod = PVK_READ_ONCE(ring->out_prod);
	uint32_t cons = PVK_READ_ONCE(ring->out_cons);
	bool ok = (uint32_t)(prod - cons) <= PVK_CONS_OUT_SIZE;

	__builtin_memset(o->w, 0, sizeof(o->w));
	o->ring = ring;
	o->pub = prod;
	o->seen = ok ? cons : prod;
	o->depth = 0;
	return ok;
}

int pvk_cons_out_enter(struct pvk_cons_out *o)
{
	uint32_t d = __atomic_fetch_add(&o->depth, 1, __ATOMIC_SEQ_CST);

	if (d >= PVK_CONSOLE_MAX_NEST) {
		__atomic_fetch_sub(&o->depth, 1, __ATOMIC_SEQ_CST);
		return -1;
	}
	PVK_WRITE_ONCE(o->w[d].state, PVK_CONS_W_IDLE);
	return (int)d;
}

void pvk_cons_out_leave(struct pvk_cons_out *o, unsigned int depth)
{
	PVK_WRITE_ONCE(o->w[depth].state, PVK_CONS_W_IDLE);
	__atomic_fetch_sub(&o->depth, 1, __ATOMIC_SEQ_CST);
}

static void copy_bytes(struct pvk_xencons_interface *ring, uint32_t at,
		       const char *text, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		PVK_WRITE_ONCE(ring->out[PVK_MASK_XENCONS_IDX(at + i, ring->out)], text[i]);
}

/* Moves the ring's out_prod forward to our published index, never back: a
 * nested writer may publish between our load and our store, so the store
 * is a compare-exchange against what we loaded. Bounded: a backend writing
 * out_prod under us only delays its own output. */
static void mirror_pub(struct pvk_cons_out *o)
{
	for (unsigned int tries = 0; tries < 16; tries++) {
		uint32_t have = PVK_READ_ONCE(o->ring->out_prod);
		uint32_t want = PVK_READ_ONCE(o->pub);

		if (!pvk_cons_after(want, have))
			return;
		if (__atomic_compare_exchange_n(&o->ring->out_prod, &have, want, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

/* Publishes up to end: every byte before it is in place. */
static void publish(struct pvk_cons_out *o, uint32_t end)
{
	uint32_t cur = PVK_READ_ONCE(o->pub);

	/* The bytes before the index that covers them (x86 keeps stores in
	 * order; the compiler must too). */
	pvk_barrier();
	while (pvk_cons_after(end, cur) &&
	       !__atomic_compare_exchange_n(&o->pub, &cur, end, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	mirror_pub(o);
}

/* Copies the claimed bytes of the writes below depth d (they are frozen
 * while we run) and publishes up to end, or up to their end if later. */
static void complete_below(struct pvk_cons_out *o, unsigned int d, uint32_t end)
{
	for (unsigned int r = 0; r < d; r++) {
		struct pvk_cons_writer *x = &o->w[r];

		if (PVK_READ_ONCE(x->state) != PVK_CONS_W_CLAIMED)
			continue;
		copy_bytes(o->ring, x->start, x->text, x->len);
		if (pvk_cons_after(x->start + x->len, end))
			end = x->start + x->len;
	}
	publish(o, end);
}

/* Accepts a valid out_cons as seen (moving seen forward only). */
static void advance_seen(struct pvk_cons_out *o, uint32_t cons)
{
	uint32_t cur = PVK_READ_ONCE(o->seen);

	while (pvk_cons_after(cons, cur) &&
	       !__atomic_compare_exchange_n(&o->seen, &cur, cons, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

bool pvk_cons_out_cons_read(struct pvk_cons_out *o, uint32_t *cons)
{
	/* seen before out_cons, our pub after: a nested writer may move both
	 * forward between the loads, which must not make a good out_cons look
	 * behind seen or beyond pub. */
	uint32_t seen = PVK_READ_ONCE(o->seen), c, pub;

	pvk_barrier();
	c = PVK_READ_ONCE(o->ring->out_cons);
	pvk_barrier();
	pub = PVK_READ_ONCE(o->pub);
	if (!pvk_cons_out_cons_ok(seen, c, pub, PVK_CONS_OUT_SIZE))
		return false;
	advance_seen(o, c);
	*cons = c;
	return true;
}

/* Claims up to len bytes for the writer at depth d: how many (its record
 * CLAIMED), 0 for no room, -1 for an invalid out_cons. */
static long claim(struct pvk_cons_out *o, unsigned int d, const char *text,
		  size_t len)
{
	struct pvk_cons_writer *w = &o->w[d];

	for (;;) {
		uint32_t frontier, base, cons, used, n, expect;
		bool pinned = false;

		PVK_WRITE_ONCE(w->state, PVK_CONS_W_PREPARING);
		pvk_barrier();
		frontier = PVK_READ_ONCE(o->pub);
		base = frontier;
		for (unsigned int r = 0; r < d; r++) {
			struct pvk_cons_writer *x = &o->w[r];
			uint32_t st = PVK_READ_ONCE(x->state);

			if (st == PVK_CONS_W_PREPARING) {
				/* Frozen before its exchange: it must redo. */
				PVK_WRITE_ONCE(x->state, PVK_CONS_W_CONFLICT);
				continue;
			}
			if (st != PVK_CONS_W_CLAIMED)
				continue;
			if (!pinned) {	/* the oldest active claim */
				base = x->start;
				pinned = true;
			}
			if (pvk_cons_after(x->start + x->len, frontier))
				frontier = x->start + x->len;
		}
		if (!pvk_cons_out_cons_read(o, &cons)) {
			PVK_WRITE_ONCE(w->state, PVK_CONS_W_IDLE);
			return -1;
		}
		if (!pinned || pvk_cons_after(base, cons))
			base = cons;
		used = frontier - base;
		n = used < PVK_CONS_OUT_SIZE ? (uint32_t)PVK_CONS_OUT_SIZE - used : 0;
		if (n > PVK_CONS_CHUNK)
			n = PVK_CONS_CHUNK;
		if (n > len)
			n = (uint32_t)len;
		if (!n) {
			PVK_WRITE_ONCE(w->state, PVK_CONS_W_IDLE);
			return 0;
		}
		w->text = text;
		w->start = frontier;
		w->len = n;
		expect = PVK_CONS_W_PREPARING;
		if (__atomic_compare_exchange_n(&w->state, &expect, PVK_CONS_W_CLAIMED,
						false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return n;
	}
}

long pvk_cons_out_put(struct pvk_cons_out *o, unsigned int d,
		      const char *text, size_t len)
{
	struct pvk_cons_writer *w = &o->w[d];
	void (*hook)(unsigned int depth) = PVK_READ_ONCE(o->hook);
	long n = claim(o, d, text, len);
	uint32_t half;

	if (n <= 0) {
		if (!n)		/* let the backend drain what is claimed */
			complete_below(o, d, PVK_READ_ONCE(o->pub));
		return n;
	}
	half = w->len / 2;
	copy_bytes(o->ring, w->start, text, half);
	if (hook)
		hook(d);
	copy_bytes(o->ring, w->start + half, text + half, w->len - half);
	complete_below(o, d, w->start + w->len);
	PVK_WRITE_ONCE(w->state, PVK_CONS_W_IDLE);
	return n;
}
