/*
 * tests/unit/test_ring.c - ring index arithmetic of include/pvkit/xen/io/ring.h.
 *
 * Ring indices are free-running 32-bit counters, so every check is made
 * near 0, near 2^31 (where a signed comparison would break) and across the
 * 2^32 wrap, against a reference computed on the true, unwrapped 64-bit
 * values. The notify decision is checked exhaustively over small windows
 * of (old producer, new producer, event) at each of those places.
 */
#include <stdint.h>
#include <stdlib.h>
#include <pvkit/xen/io/ring.h>
#include "unit.h"

/* Where the windows sit: 0, either side of 2^31, straddling 2^32. */
static const int64_t bases[] = {
	0, 0x80000000LL - 8, 0x100000000LL - 8, 0x100000000LL * 5 - 3,
};
#define NBASES (sizeof(bases) / sizeof(bases[0]))
#define W 16

static uint32_t idx(int64_t unwrapped)
{
	return (uint32_t)unwrapped;	/* what the 32-bit ring index holds */
}

static uint32_t ref_pow2_floor(uint64_t x)
{
	uint64_t p = 1;

	while (p * 2 <= x)
		p *= 2;
	return (uint32_t)p;
}

/* ---- Ring sizes -------------------------------------------------------------- */

struct req112 { uint8_t b[112]; };	/* the size of a blkif request */
struct rsp16 { uint8_t b[16]; };
struct req12 { uint8_t b[12]; };	/* a netif tx request */
struct rsp4 { uint8_t b[4]; };
struct one { uint8_t b; };
struct big { uint8_t b[2000]; };

PVK_DEFINE_RING_TYPES(t112, struct req112, struct rsp16);
PVK_DEFINE_RING_TYPES(t12, struct req12, struct rsp4);
PVK_DEFINE_RING_TYPES(t1, struct one, struct one);
PVK_DEFINE_RING_TYPES(tbig, struct big, struct one);

UNIT_TEST(ring_header_is_64_bytes)
{
	CHECK_EQ(__builtin_offsetof(struct pvk_t112_sring, ring), 64);
	CHECK_EQ(__builtin_offsetof(struct pvk_t112_sring, req_event), 4);
	CHECK_EQ(__builtin_offsetof(struct pvk_t112_sring, rsp_prod), 8);
	CHECK_EQ(__builtin_offsetof(struct pvk_t112_sring, rsp_event), 12);
	CHECK_EQ(__builtin_offsetof(struct pvk_t112_sring, pvt), 16);
}

UNIT_TEST(ring_const_size_is_pow2_that_fits)
{
	/* Known values: blkif's ring holds 32, netif tx 256 in one page. */
	CHECK_EQ(PVK_CONST_RING_SIZE(t112, 4096), 32);
	CHECK_EQ(PVK_CONST_RING_SIZE(t12, 4096), 256);
	CHECK_EQ(PVK_CONST_RING_SIZE(t1, 4096), 2048);
	CHECK_EQ(PVK_CONST_RING_SIZE(tbig, 4096), 2);
	CHECK_EQ(PVK_CONST_RING_SIZE(t112, 4 * 4096), ref_pow2_floor((4 * 4096 - 64) / 112));
	/* Usable where C wants a constant. */
	{
		static char arr[PVK_CONST_RING_SIZE(t112, 4096)];

		CHECK_EQ(sizeof(arr), 32);
	}
}

UNIT_TEST(ring_pow2_floor_exhaustive)
{
	for (uint64_t x = 1; x <= 70000; x++)
		if (PVK_RING_POW2_FLOOR(x) != ref_pow2_floor(x))
			unit_fail(__FILE__, __LINE__, "floor(%llu): %u, want %u",
				  (unsigned long long)x, PVK_RING_POW2_FLOOR(x),
				  ref_pow2_floor(x));
	CHECK_EQ(PVK_RING_POW2_FLOOR(0x7fffffffu), 0x40000000u);
	CHECK_EQ(PVK_RING_POW2_FLOOR(0x80000000u), 0x80000000u);
	CHECK_EQ(PVK_RING_POW2_FLOOR(0xffffffffu), 0x80000000u);
}

UNIT_TEST(ring_entries_at_run_time)
{
	for (size_t entry = 1; entry <= 300; entry++)
		for (size_t bytes = 0; bytes <= 3 * 4096; bytes += 61) {
			uint32_t want = bytes < 64 + entry ? 0
				      : ref_pow2_floor((bytes - 64) / entry);

			if (pvk_ring_entries(bytes, entry) != want)
				unit_fail(__FILE__, __LINE__, "entries(%zu, %zu): %u, want %u",
					  bytes, entry, pvk_ring_entries(bytes, entry), want);
		}
	CHECK_EQ(pvk_ring_entries(64 + 8, 8), 1);
	CHECK_EQ(pvk_ring_entries(64 + 7, 8), 0);
	CHECK_EQ(pvk_ring_entries((size_t)1 << 40, 1), 0x80000000u);
}

/* ---- Free slots and unconsumed entries across the wrap ------------------------- */

UNIT_TEST(ring_free_slots_wrap)
{
	for (size_t b = 0; b < NBASES; b++)
		for (uint32_t nr = 1; nr <= 32; nr *= 2)
			for (int64_t k = 0; k <= nr; k++) {
				/* k requests produced past the responses consumed. */
				int64_t cons = bases[b], prod = cons + k;

				if (pvk_ring_free_slots(nr, idx(prod), idx(cons)) != nr - k)
					unit_fail(__FILE__, __LINE__,
						  "base %lld nr %u outstanding %lld: free %u",
						  (long long)bases[b], nr, (long long)k,
						  pvk_ring_free_slots(nr, idx(prod), idx(cons)));
			}
}

UNIT_TEST(ring_unconsumed_counts_and_bounds)
{
	for (size_t b = 0; b < NBASES; b++)
		for (int64_t d = 0; d <= W; d++)
			for (uint32_t limit = 0; limit <= W; limit++) {
				int64_t cons = bases[b], prod = cons + d;
				uint32_t shared = idx(prod), count = 0xdead;
				bool ok = pvk_ring_unconsumed(&shared, idx(cons), limit, &count);

				if (ok != (d <= limit) || count != (ok ? (uint32_t)d : 0xdeadu))
					unit_fail(__FILE__, __LINE__,
						  "base %lld produced %lld limit %u: ok %d count %u",
						  (long long)bases[b], (long long)d, limit, ok, count);
			}
	/* A producer index behind the consumer is a huge claim, refused. */
	{
		uint32_t shared = 5, count = 0;

		CHECK(!pvk_ring_unconsumed(&shared, 6, 32, &count));
	}
}

/* ---- The notify decision ------------------------------------------------------- */

/*
 * The other side asked to be woken when the producer reaches `event`; we
 * moved it from old to new: notify exactly when old < event <= new.
 */
UNIT_TEST(ring_push_notify_exhaustive)
{
	unsigned long checked = 0;

	for (size_t b = 0; b < NBASES; b++)
		for (int64_t i = 0; i <= W; i++)
			for (int64_t d = 0; d <= W; d++)
				for (int64_t j = -W; j <= 2 * W; j++) {
					int64_t old = bases[b] + i, new = old + d;
					int64_t event = bases[b] + j;
					uint32_t prod = idx(old), ev = idx(event);
					bool want = old < event && event <= new;
					bool got = pvk_ring_push(&prod, &ev, idx(new));

					checked++;
					if (got != want || prod != idx(new))
						unit_fail(__FILE__, __LINE__,
							  "old %lld new %lld event %lld: notify %d, want %d (prod %u)",
							  (long long)old, (long long)new,
							  (long long)event, got, want, prod);
				}
	CHECK_EQ(checked, NBASES * (W + 1) * (W + 1) * (3 * W + 1));
}

UNIT_TEST(ring_push_quiet_publishes)
{
	uint32_t prod = 0xfffffffe;

	pvk_ring_push_quiet(&prod, 3);
	CHECK_EQ(prod, 3);
}

UNIT_TEST(ring_final_check)
{
	for (size_t b = 0; b < NBASES; b++)
		for (int64_t d = 0; d <= 3; d++) {
			int64_t cons = bases[b] + W, prod = cons + d;
			uint32_t shared_prod = idx(prod), event = 0x1234;
			bool more = pvk_ring_final_check(&shared_prod, &event, idx(cons));

			CHECK_EQ(more, d != 0);
			/* Only an idle consumer re-arms, for the very next entry. */
			CHECK_EQ(event, d ? 0x1234 : idx(cons + 1));
		}
}

/* ---- Typed rings: slots, init, and a whole conversation over the wrap ---------- */

UNIT_TEST(ring_slots_wrap_with_the_index)
{
	static union {
		struct pvk_t112_sring s;
		uint8_t page[4096];
	} shared;
	struct pvk_t112_front_ring front;

	PVK_SHARED_RING_INIT(&shared.s);
	PVK_FRONT_RING_INIT(&front, &shared.s, sizeof(shared));
	CHECK_EQ(PVK_RING_SIZE(&front), 32);
	CHECK_EQ(shared.s.req_event, 1);
	CHECK_EQ(shared.s.rsp_event, 1);
	CHECK_EQ(PVK_RING_FREE_REQUESTS(&front), 32);
	for (int64_t i = 0x100000000LL - 40; i < 0x100000000LL + 40; i++)
		CHECK(PVK_RING_GET_REQUEST(&front, idx(i)) ==
		      &shared.s.ring[(uint64_t)i % 32].req);
}

/*
 * A frontend and a backend take turns over one ring starting just below
 * the wrap, in bursts of varying size. Each side sleeps only after its
 * final check says there is nothing more; the property checked is the one
 * the event protocol exists for: a side that went to sleep is always
 * notified by the next push, and a side that is awake never is.
 */
UNIT_TEST(ring_conversation_across_the_wrap)
{
	static union {
		struct pvk_t12_sring s;
		uint8_t page[4096];
	} shared;
	struct pvk_t12_front_ring front;
	struct pvk_t12_back_ring back;
	const uint32_t start = 0xffffffffu - 700;
	bool back_asleep = true, front_asleep = true;
	unsigned long sent = 0, answered = 0, lost = 0, spurious = 0;
	unsigned int seed = 12345;

	PVK_SHARED_RING_INIT(&shared.s);
	shared.s.req_prod = shared.s.rsp_prod = start;
	shared.s.req_event = shared.s.rsp_event = start + 1;
	PVK_FRONT_RING_ATTACH(&front, &shared.s, start, sizeof(shared));
	PVK_BACK_RING_ATTACH(&back, &shared.s, start, sizeof(shared));

	for (int round = 0; round < 2000; round++) {
		uint32_t burst = (seed = seed * 1103515245 + 12345) >> 16;
		uint32_t n, count;

		/* Frontend: queue a burst of requests, push, maybe notify. */
		n = burst % (PVK_RING_FREE_REQUESTS(&front) + 1);
		for (uint32_t k = 0; k < n; k++) {
			PVK_RING_GET_REQUEST(&front, front.req_prod_pvt)->b[0] = (uint8_t)sent++;
			front.req_prod_pvt++;
		}
		if (n) {
			bool notify = PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front);

			lost += back_asleep && !notify;
			spurious += !back_asleep && notify;
			back_asleep = false;
		}

		/* Backend: answer some of what is there; sleep if it ran dry. */
		if (!back_asleep) {
			CHECK(PVK_RING_UNCONSUMED_REQUESTS(&back, &count));
			n = count ? 1 + (burst >> 4) % count : 0;
			for (uint32_t k = 0; k < n; k++) {
				struct req12 req;

				PVK_RING_COPY_REQUEST(&back, back.req_cons, &req);
				CHECK_EQ(req.b[0], (uint8_t)answered);
				back.req_cons++;
				PVK_RING_GET_RESPONSE(&back, back.rsp_prod_pvt)->b[0] = (uint8_t)answered++;
				back.rsp_prod_pvt++;
			}
			if (n) {
				bool notify = PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back);

				lost += front_asleep && !notify;
				spurious += !front_asleep && notify;
				front_asleep = false;
			}
			if (!PVK_RING_FINAL_CHECK_FOR_REQUESTS(&back))
				back_asleep = true;
		}

		/* Frontend: collect responses; sleep if none are left. */
		if (!front_asleep) {
			CHECK(PVK_RING_UNCONSUMED_RESPONSES(&front, &count));
			front.rsp_cons += count;
			if (!PVK_RING_FINAL_CHECK_FOR_RESPONSES(&front))
				front_asleep = true;
		}
	}
	CHECK_EQ(lost, 0);
	CHECK_EQ(spurious, 0);
	CHECK(answered > 1000);
	/* The conversation really crossed 2^32. */
	CHECK(front.req_prod_pvt < start);
}
