/*
 * tests/unit/test_xs_txn.c - the open xenstore transactions across a
 * resume (frontends/xenbus/xs_txn.c): which transactions the suspend
 * waits for, and which requests a resume in a new domain refuses.
 */
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_txn.h"
#include "unit.h"

static struct pvk_xs_txns t;

/* Start, reply, end: counted open only between the reply and the end. */
UNIT_TEST(xs_txn_open_between_start_reply_and_end)
{
	int slot;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t);
	CHECK(slot >= 0);
	CHECK_EQ(t.nr_open, 0);
	pvk_xs_txn_started(&t, slot, 7);
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(pvk_xs_txn_check(&t, 7, false), 0);
	pvk_xs_txn_ended(&t, 7);
	CHECK_EQ(t.nr_open, 0);
	/* A second end's reply (or one of an id never seen) changes nothing. */
	pvk_xs_txn_ended(&t, 7);
	pvk_xs_txn_ended(&t, 99);
	CHECK_EQ(t.nr_open, 0);
	/* The slot is free again: every slot can be taken once more. */
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t) >= 0);
	CHECK_EQ(pvk_xs_txn_reserve(&t), -PVK_XEN_ENOSPC);
}

/* A start that failed or was given up frees its slot, once opened not. */
UNIT_TEST(xs_txn_unreserve)
{
	int a, b;

	pvk_xs_txns_init(&t);
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t) >= 0);
	pvk_xs_txn_unreserve(&t, 3);
	a = pvk_xs_txn_reserve(&t);
	CHECK_EQ(a, 3);
	pvk_xs_txn_started(&t, a, 12);
	pvk_xs_txn_unreserve(&t, a);		/* the owner's unlink: no-op now */
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(pvk_xs_txn_reserve(&t), -PVK_XEN_ENOSPC);
	b = -1;
	pvk_xs_txn_unreserve(&t, b);		/* out of range: ignored */
	pvk_xs_txn_unreserve(&t, PVK_XS_MAX_TXNS);
	pvk_xs_txn_started(&t, PVK_XS_MAX_TXNS, 5);
	CHECK_EQ(t.nr_open, 1);
}

/*
 * The review's sequence: a transaction open at the suspend, resumed in a
 * new domain. Its requests and its end are refused with EIO (never the
 * EAGAIN that pvk_xs_transaction() retries); the new xenstored hands the
 * same id out again to a new transaction, which is not refused.
 */
UNIT_TEST(xs_txn_stale_after_resume)
{
	int slot, s2;

	pvk_xs_txns_init(&t);
	slot = pvk_xs_txn_reserve(&t);
	pvk_xs_txn_started(&t, slot, 4);
	s2 = pvk_xs_txn_reserve(&t);	/* a start still in flight */
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	CHECK_EQ(t.nr_open, 0);		/* the quiesce has nothing to wait for */
	CHECK_EQ(pvk_xs_txn_check(&t, 4, false), -PVK_XEN_EIO);
	CHECK_EQ(pvk_xs_txn_check(&t, 4, false), -PVK_XEN_EIO);
	/* Transaction 0 is no transaction; an id never ours is xenstored's
	 * to judge. */
	CHECK_EQ(pvk_xs_txn_check(&t, 0, false), 0);
	CHECK_EQ(pvk_xs_txn_check(&t, 5, false), 0);
	/* The start in flight went out on the new ring and got id 4. */
	pvk_xs_txn_started(&t, s2, 4);
	CHECK_EQ(pvk_xs_txn_check(&t, 4, false), 0);
	/* The new one's end closes the new one, not the stale one. */
	pvk_xs_txn_ended(&t, 4);
	CHECK_EQ(t.nr_open, 0);
	CHECK_EQ(pvk_xs_txn_check(&t, 4, false), -PVK_XEN_EIO);
	/* The stale one's end is refused and frees its slot. */
	CHECK_EQ(pvk_xs_txn_check(&t, 4, true), -PVK_XEN_EIO);
	CHECK_EQ(pvk_xs_txn_check(&t, 4, false), 0);
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		CHECK(pvk_xs_txn_reserve(&t) >= 0);
}

/* Two resumes: a transaction of the first stays stale through the
 * second, one opened between them turns stale too. */
UNIT_TEST(xs_txn_two_resumes)
{
	int a, b;

	pvk_xs_txns_init(&t);
	a = pvk_xs_txn_reserve(&t);
	pvk_xs_txn_started(&t, a, 1);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	b = pvk_xs_txn_reserve(&t);
	pvk_xs_txn_started(&t, b, 2);
	CHECK_EQ(t.nr_open, 1);
	CHECK_EQ(pvk_xs_txn_forget(&t), 1);
	CHECK_EQ(pvk_xs_txn_check(&t, 1, false), -PVK_XEN_EIO);
	CHECK_EQ(pvk_xs_txn_check(&t, 2, false), -PVK_XEN_EIO);
	CHECK_EQ(t.nr_open, 0);
}
