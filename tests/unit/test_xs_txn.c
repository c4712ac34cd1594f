/*
 * tests/unit/test_xs_txn.c - the open xenstore transactions across a
 * resume (frontends/xenbus/xs_txn.c): which transactions the suspend
 * waits for, and which requests a resume in a new domain refuses.
 */
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_txn.h"
#include "unit.h"

static struct pvk_xs_txns t;
static uint32_t h;

/* The xenstored id a handle maps to now, or the lookup's error. */
static long id_of(uint32_t handle)
{
	uint32_t id;
	int rc = pvk_xs_txn_lookup(&t, handle, &id);

	return rc ? rc : (long)id;
}

/* Start, reply, end: counted open only between the reply and the end. */
UNIT_TEST(xs_txn_open_between_start_reply_and_end)
{
	int slot;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t, &h);
	CHECK(slot >= 0);
	CHECK(h != 0);
	CHECK_EQ(t.nr_open, 0);
	CHECK_EQ(id_of(h), -PVK_XEN_EIO);	/* no id yet */
	pvk_xs_txn_started(&t, slot, 7);
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(id_of(h), 7);
	CHECK_EQ(id_of(0), 0);			/* no transaction */
	pvk_xs_txn_ended(&t, h);
	CHECK_EQ(t.nr_open, 0);
	CHECK_EQ(id_of(h), -PVK_XEN_EIO);	/* ended: names nothing */
	/* A second end's reply (or one of a handle never given) changes
	 * nothing. */
	pvk_xs_txn_ended(&t, h);
	pvk_xs_txn_ended(&t, 99);
	CHECK_EQ(t.nr_open, 0);
	/* The slot is free again: every slot can be taken once more. */
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t, &h) >= 0);
	CHECK_EQ(pvk_xs_txn_reserve(&t, &h), -PVK_XEN_ENOSPC);
}

/* A start that failed or was given up frees its slot, once opened not. */
UNIT_TEST(xs_txn_unreserve)
{
	int a, b;

	pvk_xs_txns_init(&t);
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t, &h) >= 0);
	pvk_xs_txn_unreserve(&t, 3);
	a = pvk_xs_txn_reserve(&t, &h);
	CHECK_EQ(a, 3);
	pvk_xs_txn_started(&t, a, 12);
	pvk_xs_txn_unreserve(&t, a);		/* the owner's unlink: no-op now */
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(pvk_xs_txn_reserve(&t, &h), -PVK_XEN_ENOSPC);
	b = -1;
	pvk_xs_txn_unreserve(&t, b);		/* out of range: ignored */
	pvk_xs_txn_unreserve(&t, PVK_XS_MAX_TXNS);
	pvk_xs_txn_started(&t, PVK_XS_MAX_TXNS, 5);
	CHECK_EQ(t.nr_open, 1);
}

/*
 * Review s11-core #2: a transaction open at the suspend, resumed in a
 * new domain, whose new xenstored hands the same id out again to a new
 * transaction. The old handle's requests and its end are refused with
 * EIO (never the EAGAIN that pvk_xs_transaction() retries) and never
 * reach the new transaction; the new handle maps to the reused id.
 */
UNIT_TEST(xs_txn_stale_handle_never_maps_to_a_reused_id)
{
	uint32_t old, mid, fresh;
	int slot, s2;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t, &old);
	pvk_xs_txn_started(&t, slot, 3);
	s2 = pvk_xs_txn_reserve(&t, &mid);	/* a start still queued */
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	CHECK_EQ(t.nr_open, 0);		/* the quiesce has nothing to wait for */
	/* The queued start went out on the new ring and got id 3. */
	pvk_xs_txn_started(&t, s2, 3);
	CHECK_EQ(id_of(mid), 3);
	CHECK_EQ(id_of(old), -PVK_XEN_EIO);
	/* Another start takes the old one's slot and gets id 3 too (a
	 * xenstored of another connection): still not the old handle's. */
	CHECK_EQ(pvk_xs_txn_reserve(&t, &fresh), slot);
	pvk_xs_txn_started(&t, slot, 3);
	CHECK(fresh != old);
	CHECK_EQ(id_of(fresh), 3);
	CHECK_EQ(id_of(old), -PVK_XEN_EIO);
	/* The old one's end reply (none can come, but) closes nothing. */
	pvk_xs_txn_ended(&t, old);
	CHECK_EQ(t.nr_open, 2);
	/* Handles a caller made up: a slot out of range, slot bits 0. */
	CHECK_EQ(id_of(0x3f), -PVK_XEN_EIO);
	CHECK_EQ(id_of(1u << PVK_XS_TXN_SLOT_BITS), -PVK_XEN_EIO);
}

/*
 * Review s11-core #5: every resume finds an end in flight (sent, or
 * queued, and failed with EIO by the resume: its owner never sends
 * another). No slot is lost: after 33 such resumes (more than the slots)
 * a transaction still starts, and all slots are free.
 */
UNIT_TEST(xs_txn_ends_in_flight_at_resumes_leak_no_slot)
{
	pvk_xs_txns_init(&t);
	for (unsigned int n = 0; n < PVK_XS_MAX_TXNS + 1; n++) {
		int slot = pvk_xs_txn_reserve(&t, &h);

		CHECK(slot >= 0);
		pvk_xs_txn_started(&t, slot, n + 1);
		/* Its END is in flight; the resume fails it, no reply. */
		CHECK_EQ(pvk_xs_txn_forget(&t), 1);
		CHECK_EQ(id_of(h), -PVK_XEN_EIO);
	}
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t, &h) >= 0);
}

/* Two resumes: a transaction of the first stays refused through the
 * second, one opened between them is refused too. */
UNIT_TEST(xs_txn_two_resumes)
{
	uint32_t ha, hb;
	int a, b;

	pvk_xs_txns_init(&t);
	a = pvk_xs_txn_reserve(&t, &ha);
	pvk_xs_txn_started(&t, a, 1);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	b = pvk_xs_txn_reserve(&t, &hb);
	pvk_xs_txn_started(&t, b, 1);
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(id_of(hb), 1);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	CHECK_EQ(id_of(ha), -PVK_XEN_EIO);
	CHECK_EQ(id_of(hb), -PVK_XEN_EIO);
	CHECK_EQ(t.nr_open, 0);
}

/*
 * The handle's reservation number wraps after 2^26 reservations. A handle
 * a resume forgot is still its caller's (its requests and its end come):
 * when the number comes round to it, its slot gets another handle, so
 * the old caller's requests never act in the new transaction. Once its
 * end was refused (retired), the number may give it again.
 */
UNIT_TEST(xs_txn_wrap_never_hands_out_a_handle_in_use)
{
	uint32_t old, fresh, other, again;
	int slot;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t, &old);
	pvk_xs_txn_started(&t, slot, 5);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);	/* a resume: old is stale */
	/* 2^26 - 1 reservations later (elsewhere): the next number gives
	 * slot `slot` the old handle's bits. */
	t.seq += (1u << (32 - PVK_XS_TXN_SLOT_BITS)) - 1;
	CHECK_EQ(pvk_xs_txn_reserve(&t, &fresh), slot);
	pvk_xs_txn_started(&t, slot, 5);
	CHECK(fresh != old);
	CHECK_EQ(id_of(old), -PVK_XEN_EIO);
	CHECK_EQ(id_of(fresh), 5);
	/* A live handle is never given to another slot either. */
	CHECK(pvk_xs_txn_reserve(&t, &other) != slot);
	CHECK(other != fresh);
	/* The old caller's end is refused: retired; the slot, free again
	 * and the number wound back round, may give it again. */
	pvk_xs_txn_retire(&t, old);
	pvk_xs_txn_ended(&t, fresh);
	t.seq = (old >> PVK_XS_TXN_SLOT_BITS) - 1;
	CHECK_EQ(pvk_xs_txn_reserve(&t, &again), slot);
	CHECK_EQ(again, old);
}

/* More forgotten handles than slots (two resumes in a row with every slot
 * open): each stays remembered, none handed out at the wrap. */
UNIT_TEST(xs_txn_wrap_two_resumes_every_slot)
{
	uint32_t h[2][PVK_XS_MAX_TXNS], got;

	pvk_xs_txns_init(&t);
	for (unsigned int r = 0; r < 2; r++) {
		for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
			int slot = pvk_xs_txn_reserve(&t, &h[r][i]);

			CHECK(slot >= 0);
			pvk_xs_txn_started(&t, slot, i + 1);
		}
		CHECK_EQ(pvk_xs_txn_forget(&t), PVK_XS_MAX_TXNS);
	}
	/* For each forgotten handle, the number wound so that the next
	 * reservation of its slot would give exactly it (review s12-harden
	 * NIT 6: every one approached, not only the first). */
	for (unsigned int r = 0; r < 2; r++) {
		for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
			t.seq = (h[r][i] >> PVK_XS_TXN_SLOT_BITS) - 1 +
				(1u << (32 - PVK_XS_TXN_SLOT_BITS));
			CHECK_EQ(pvk_xs_txn_reserve(&t, &got), (int)i);
			for (unsigned int q = 0; q < 2; q++)
				for (unsigned int k = 0; k < PVK_XS_MAX_TXNS; k++)
					CHECK(got != h[q][k]);
		}
		for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
			pvk_xs_txn_unreserve(&t, (int)i);
	}
}

/*
 * Review s12 S2: the suspend's quiesce holds new xenstore requests and
 * waits for the open transactions to end; a transaction open when the
 * hold began must get its requests and its end past the hold, or it can
 * never end and the quiesce always waits its whole bound. A start never
 * passes (nothing new opens), nor a request outside any transaction, nor
 * a handle of a transaction not open (still starting, ended, of before a
 * resume, or another reservation of the same slot).
 */
UNIT_TEST(xs_txn_open_transaction_passes_the_suspend_hold)
{
	uint32_t other;
	int slot;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t, &h);
	CHECK(!pvk_xs_txn_passes_hold(&t, h, false));	/* still starting */
	pvk_xs_txn_started(&t, slot, 9);
	CHECK(pvk_xs_txn_passes_hold(&t, h, false));	/* a write, its end */
	CHECK(!pvk_xs_txn_passes_hold(&t, h, true));	/* a start */
	CHECK(!pvk_xs_txn_passes_hold(&t, 0, false));
	CHECK(!pvk_xs_txn_passes_hold(&t, 0, true));
	other = h + (1u << PVK_XS_TXN_SLOT_BITS);	/* same slot, later seq */
	CHECK(!pvk_xs_txn_passes_hold(&t, other, false));
	pvk_xs_txn_ended(&t, h);
	CHECK(!pvk_xs_txn_passes_hold(&t, h, false));	/* ended */
	/* Open across a resume in a new domain: forgotten, held again. */
	slot = pvk_xs_txn_reserve(&t, &h);
	pvk_xs_txn_started(&t, slot, 3);
	CHECK(pvk_xs_txn_passes_hold(&t, h, false));
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	CHECK(!pvk_xs_txn_passes_hold(&t, h, false));
}

/* Review s12-harden S3: one forgotten handle its caller still holds, then
 * many more forgotten and retired (resumes in a row, their callers done):
 * it stays remembered (the retired ones' entries are taken first), so at
 * the wrap its slot gets another handle; nothing was dropped unretired. */
UNIT_TEST(xs_txn_unretired_handle_outlives_retired_ones)
{
	uint32_t keep, x, got;
	int slot;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t, &keep);
	pvk_xs_txn_started(&t, slot, 5);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	for (unsigned int n = 0; n < 2 * PVK_XS_TXN_STALE; n++) {
		int s = pvk_xs_txn_reserve(&t, &x);

		CHECK(s >= 0);
		pvk_xs_txn_started(&t, s, 6);
		CHECK_EQ(pvk_xs_txn_forget(&t), 1);
		pvk_xs_txn_retire(&t, x);
	}
	CHECK_EQ(t.stale_evicted, 0);
	t.seq = (keep >> PVK_XS_TXN_SLOT_BITS) - 1 + (1u << (32 - PVK_XS_TXN_SLOT_BITS));
	CHECK_EQ(pvk_xs_txn_reserve(&t, &got), slot);
	CHECK(got != keep);
}

/* Only a list full of unretired handles drops one, and counts it. */
UNIT_TEST(xs_txn_full_forgotten_list_counts_the_drop)
{
	uint32_t x;

	pvk_xs_txns_init(&t);
	for (unsigned int n = 0; n <= PVK_XS_TXN_STALE; n++) {
		int s = pvk_xs_txn_reserve(&t, &x);

		CHECK(s >= 0);
		pvk_xs_txn_started(&t, s, 7);
		CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	}
	CHECK_EQ(t.stale_evicted, 1);
}
