/*
 * tests/unit/test_multicall.c - the multicall queue logic (hypercall/multicall_queue.c).
 *
 * Xen is not here: pvk_multicall_issue(), the one function through which the
 * queue reaches Xen, is defined below to record what it was handed and to
 * write each entry's result as the test asked. That exercises the queue's
 * own logic (filling, flushing at capacity, result checking, error reports,
 * callbacks); whether Xen really runs a batch is the reference guest's test.
 *
 * Every test entry is update_va_mapping(seq, result, 0): args[0] numbers
 * the entry, args[1] is the result the fake writes for it.
 */
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/multicall.h>
#include <pvkit/xen/errno.h>
#include "hypercall/multicall_queue.h"
#include "unit.h"

#define SIZE PVK_MULTICALL_QUEUE_SIZE
#define OP PVK_HYPERVISOR_update_va_mapping

PVK_BUILD_BUG_ON(SIZE < 4);	/* the tests below need room for a few entries */

/* ---- The stand-in for HYPERVISOR_multicall -------------------------------- */

static struct {
	unsigned int calls;		/* batches issued */
	unsigned int sizes[64];		/* entries in each */
	unsigned long first_seq[64];	/* args[0] of each batch's first entry */
	bool all_poisoned;		/* every result was NOT_RUN when handed over */
	long status;			/* what the multicall returns */
	unsigned int run;		/* entries it writes a result for */
} xen;

static void xen_reset(void)
{
	memset(&xen, 0, sizeof(xen));
	xen.all_poisoned = true;
	xen.run = ~0u;
}

long pvk_multicall_issue(struct pvk_multicall_entry *entries, unsigned int n)
{
	if (xen.calls < 64) {
		xen.sizes[xen.calls] = n;
		xen.first_seq[xen.calls] = entries[0].args[0];
	}
	xen.calls++;
	for (unsigned int i = 0; i < n; i++) {
		if (entries[i].result != PVK_MULTICALL_NOT_RUN)
			xen.all_poisoned = false;
		if (i < xen.run)
			entries[i].result = entries[i].args[1];
	}
	return xen.status;
}

/* ---- Helpers ---------------------------------------------------------------- */

static struct pvk_multicall_queue q;

static void setup(void)
{
	xen_reset();
	pvk_multicall_queue_init(&q);
	pvk_hypercall_stats_reset();
}

static struct pvk_multicall_op entry(unsigned long seq, long result)
{
	struct pvk_multicall_op op = {
		.op = OP,
		.args = { seq, (unsigned long)result, 0 },
	};
	return op;
}

static int add(unsigned long seq, long result)
{
	struct pvk_multicall_op op = entry(seq, result);

	return pvk_multicall_queue_add(&q, &op, NULL);
}

/* Completion callbacks append (entry, result) here. */
static struct {
	unsigned int n;
	unsigned long seq[3 * SIZE];
	long result[3 * SIZE];
	unsigned int issued_before[3 * SIZE];	/* xen.calls when it ran */
	unsigned int log_lines[3 * SIZE];	/* error lines logged by then */
} done;

static void record(void *ctx, long result)
{
	unsigned long seq = (unsigned long)ctx;

	if (done.n < 3 * SIZE) {
		done.seq[done.n] = seq;
		done.result[done.n] = result;
		done.issued_before[done.n] = xen.calls;
		done.log_lines[done.n] = unit_log_lines();
	}
	done.n++;
}

static int add_cb(unsigned long seq, long result, struct pvk_multicall_failure *fail)
{
	struct pvk_multicall_op op = entry(seq, result);

	op.done = record;
	op.ctx = (void *)seq;
	return pvk_multicall_queue_add(&q, &op, fail);
}

/* ---- Filling and flushing ---------------------------------------------------- */

UNIT_TEST(mc_queues_until_flushed)
{
	setup();
	for (unsigned int i = 0; i < SIZE - 1; i++)
		CHECK_EQ(add(100 + i, 0), 0);
	CHECK_EQ(xen.calls, 0);
	CHECK_EQ(q.count, SIZE - 1);
	for (unsigned int i = 0; i < SIZE - 1; i++) {
		CHECK_EQ(q.entries[i].op, OP);
		CHECK_EQ(q.entries[i].args[0], 100 + i);
	}

	CHECK_EQ(pvk_multicall_queue_flush(&q, NULL), 0);
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.sizes[0], SIZE - 1);
	CHECK_EQ(xen.first_seq[0], 100);
	CHECK_EQ(q.count, 0);
	CHECK_EQ(unit_log_lines(), 0);
}

UNIT_TEST(mc_flush_of_empty_queue_issues_nothing)
{
	setup();
	CHECK_EQ(pvk_multicall_queue_flush(&q, NULL), 0);
	CHECK_EQ(xen.calls, 0);
	CHECK_EQ(unit_log_lines(), 0);
}

UNIT_TEST(mc_flushes_when_full)
{
	setup();
	for (unsigned int i = 0; i < SIZE - 1; i++)
		add(i, 0);
	CHECK_EQ(xen.calls, 0);
	CHECK_EQ(add(SIZE - 1, 0), 0);		/* fills it: out it goes */
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.sizes[0], SIZE);
	CHECK_EQ(q.count, 0);
	CHECK_EQ(add(SIZE, 0), 0);		/* the next one starts a new batch */
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(q.count, 1);
}

UNIT_TEST(mc_batches_keep_order_across_wraps)
{
	setup();
	for (unsigned long seq = 0; seq < 3 * SIZE + 2; seq++)
		CHECK_EQ(add(seq, 0), 0);
	CHECK_EQ(xen.calls, 3);
	for (unsigned int b = 0; b < 3; b++) {
		CHECK_EQ(xen.sizes[b], SIZE);
		CHECK_EQ(xen.first_seq[b], b * SIZE);
	}
	CHECK_EQ(q.count, 2);
	CHECK_EQ(q.entries[0].args[0], 3 * SIZE);
	CHECK_EQ(q.entries[1].args[0], 3 * SIZE + 1);
}

UNIT_TEST(mc_results_poisoned_before_issue)
{
	setup();
	add(1, 0);
	add(2, 0);
	q.entries[1].result = 12345;		/* stale value from an earlier batch */
	pvk_multicall_queue_flush(&q, NULL);
	CHECK(xen.all_poisoned);
}

UNIT_TEST(mc_counts_multicall_entry_errors)
{
	setup();
	add(1, -PVK_XEN_EINVAL);
	add(2, 0);
	add(3, -PVK_XEN_ENOMEM);
	pvk_multicall_queue_flush(&q, NULL);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_multicall), 0);	/* the fake is not a wrapper */
	{
		struct pvk_hypercall_stats s;

		pvk_hypercall_stats_snapshot(&s);
		CHECK_EQ(s.multicall_entry_errors, 2);
	}
}

/* ---- Result checking and reports --------------------------------------------- */

UNIT_TEST(mc_reports_the_failing_entry)
{
	struct pvk_multicall_failure fail;

	setup();
	add(10, 0);
	add(11, 0);
	add(12, -PVK_XEN_EINVAL);
	add(13, 0);
	CHECK_EQ(pvk_multicall_queue_flush(&q, &fail), -PVK_XEN_EINVAL);
	CHECK_EQ(fail.index, 2);
	CHECK_EQ(fail.batch_size, 4);
	CHECK_EQ(fail.failed, 1);
	CHECK_EQ(fail.op, OP);
	CHECK_EQ(fail.args[0], 12);
	CHECK_EQ(fail.result, -PVK_XEN_EINVAL);

	CHECK_EQ(unit_log_lines(), 1);
	CHECK(unit_log_has("pvkit: error: multicall: entry 2 of 4 failed: "
			   "update_va_mapping#14(0xc, 0xffffffffffffffea, 0x0) = -22 (EINVAL)\n"));
}

UNIT_TEST(mc_first_failure_is_returned_all_are_logged)
{
	struct pvk_multicall_failure fail;

	setup();
	add(20, 0);
	add(21, -PVK_XEN_ENOENT);
	add(22, 0);
	add(23, -PVK_XEN_EPERM);
	CHECK_EQ(pvk_multicall_queue_flush(&q, &fail), -PVK_XEN_ENOENT);
	CHECK_EQ(fail.index, 1);
	CHECK_EQ(fail.failed, 2);
	CHECK_EQ(fail.args[0], 21);
	CHECK_EQ(unit_log_lines(), 2);
	CHECK(unit_log_has("entry 1 of 4 failed: update_va_mapping#14(0x15, "));
	CHECK(unit_log_has("= -2 (ENOENT)"));
	CHECK(unit_log_has("entry 3 of 4 failed: update_va_mapping#14(0x17, "));
	CHECK(unit_log_has("= -1 (EPERM)"));
}

UNIT_TEST(mc_values_are_not_errors)
{
	setup();
	add_cb(1, 5, NULL);				/* a count */
	add_cb(2, (long)0xffff800000001000UL, NULL);	/* an address */
	add_cb(3, -4096, NULL);				/* just outside the error range */
	CHECK_EQ(pvk_multicall_queue_flush(&q, NULL), 0);
	CHECK_EQ(unit_log_lines(), 0);
	CHECK_EQ(done.n, 3);
	CHECK_EQ(done.result[0], 5);
	CHECK_EQ(done.result[1], (long)0xffff800000001000UL);
	CHECK_EQ(done.result[2], -4096);
}

UNIT_TEST(mc_failure_untouched_on_success)
{
	struct pvk_multicall_failure fail;

	setup();
	memset(&fail, 0x5a, sizeof(fail));
	add(1, 0);
	CHECK_EQ(pvk_multicall_queue_flush(&q, &fail), 0);
	CHECK_EQ(fail.index, 0x5a5a5a5a);
}

UNIT_TEST(mc_add_that_fills_returns_the_flush_error)
{
	struct pvk_multicall_failure fail;

	setup();
	memset(&done, 0, sizeof(done));
	for (unsigned int i = 0; i < SIZE - 1; i++)
		CHECK_EQ(add_cb(i, 0, &fail), 0);
	/* The entry that fills the queue is itself the one that fails. */
	CHECK_EQ(add_cb(SIZE - 1, -PVK_XEN_EBUSY, &fail), -PVK_XEN_EBUSY);
	CHECK_EQ(fail.index, SIZE - 1);
	CHECK_EQ(fail.batch_size, SIZE);
	CHECK_EQ(fail.args[0], SIZE - 1);
	CHECK_EQ(q.count, 0);
	CHECK_EQ(done.n, SIZE);
}

UNIT_TEST(mc_whole_batch_failure)
{
	struct pvk_multicall_failure fail;

	setup();
	memset(&done, 0, sizeof(done));
	add_cb(1, 0, NULL);
	add_cb(2, -PVK_XEN_ENOENT, NULL);
	add_cb(3, 0, NULL);
	add_cb(4, 0, NULL);
	/* Xen gets through two entries, then the multicall itself fails. */
	xen.status = -PVK_XEN_EFAULT;
	xen.run = 2;
	CHECK_EQ(pvk_multicall_queue_flush(&q, &fail), -PVK_XEN_EFAULT);
	CHECK_EQ(fail.index, PVK_MULTICALL_WHOLE_BATCH);
	CHECK_EQ(fail.op, PVK_HYPERVISOR_multicall);
	CHECK_EQ(fail.batch_size, 4);
	CHECK_EQ(fail.failed, 3);		/* entry 1, and 2 and 3 never ran */
	CHECK_EQ(fail.result, -PVK_XEN_EFAULT);
	CHECK(unit_log_has("HYPERVISOR_multicall of 4 entries failed: -14 (EFAULT)"));
	CHECK(unit_log_has("entry 1 of 4 failed: update_va_mapping#14(0x2, "));
	CHECK(unit_log_has("entry 2 of 4 not run: update_va_mapping#14(0x3, 0x0, 0x0): the multicall failed with -14 (EFAULT)"));
	CHECK(unit_log_has("entry 3 of 4 not run: "));
	/* Callbacks: a result where Xen wrote one, the batch's error where not. */
	CHECK_EQ(done.n, 4);
	CHECK_EQ(done.result[0], 0);
	CHECK_EQ(done.result[1], -PVK_XEN_ENOENT);
	CHECK_EQ(done.result[2], -PVK_XEN_EFAULT);
	CHECK_EQ(done.result[3], -PVK_XEN_EFAULT);
	CHECK_EQ(q.count, 0);
}

UNIT_TEST(mc_unwritten_result_despite_success)
{
	struct pvk_multicall_failure fail;

	setup();
	add(1, 0);
	add(2, 0);
	xen.run = 1;				/* Xen "forgets" entry 1 */
	CHECK_EQ(pvk_multicall_queue_flush(&q, &fail), -PVK_XEN_EIO);
	CHECK_EQ(fail.index, 1);
	CHECK(unit_log_has("entry 1 of 2 not run: update_va_mapping#14(0x2, 0x0, 0x0): Xen reported success but never wrote its result"));
}

UNIT_TEST(mc_refuses_nested_multicall_and_iret)
{
	struct pvk_multicall_op nested = { .op = PVK_HYPERVISOR_multicall };
	struct pvk_multicall_op iret = { .op = PVK_HYPERVISOR_iret };

	setup();
	CHECK_EQ(pvk_multicall_queue_add(&q, &nested, NULL), -PVK_XEN_EINVAL);
	CHECK(unit_log_has("refusing to queue multicall (hypercall 13): Xen refuses nested multicalls"));
	CHECK_EQ(pvk_multicall_queue_add(&q, &iret, NULL), -PVK_XEN_EINVAL);
	CHECK(unit_log_has("refusing to queue iret (hypercall 23)"));
	CHECK_EQ(q.count, 0);
	CHECK_EQ(pvk_multicall_queue_flush(&q, NULL), 0);
	CHECK_EQ(xen.calls, 0);
}

/* ---- Completion callbacks ------------------------------------------------------ */

UNIT_TEST(mc_callbacks_in_order_with_own_results_after_checking)
{
	struct pvk_multicall_op plain = entry(99, -PVK_XEN_EPERM);

	setup();
	memset(&done, 0, sizeof(done));
	add_cb(1, 0, NULL);
	add_cb(2, -PVK_XEN_EINVAL, NULL);
	pvk_multicall_queue_add(&q, &plain, NULL);	/* no callback */
	add_cb(3, 7, NULL);
	add_cb(4, -PVK_XEN_ENOSYS, NULL);
	pvk_multicall_queue_flush(&q, NULL);

	CHECK_EQ(done.n, 4);
	CHECK_EQ(done.seq[0], 1);
	CHECK_EQ(done.seq[1], 2);
	CHECK_EQ(done.seq[2], 3);
	CHECK_EQ(done.seq[3], 4);
	CHECK_EQ(done.result[0], 0);
	CHECK_EQ(done.result[1], -PVK_XEN_EINVAL);
	CHECK_EQ(done.result[2], 7);
	CHECK_EQ(done.result[3], -PVK_XEN_ENOSYS);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(done.issued_before[i], 1);	/* after the batch went out */
		CHECK_EQ(done.log_lines[i], 3);		/* after all 3 failures were reported */
	}
}

static int reentry_add_rc, reentry_flush_rc;

static void reenter(void *ctx, long result)
{
	struct pvk_multicall_op op = entry(77, 0);

	(void)ctx;
	(void)result;
	reentry_add_rc = pvk_multicall_queue_add(&q, &op, NULL);
	reentry_flush_rc = pvk_multicall_queue_flush(&q, NULL);
}

UNIT_TEST(mc_callback_cannot_reenter_its_queue)
{
	struct pvk_multicall_op op = entry(1, 0);

	setup();
	op.done = reenter;
	pvk_multicall_queue_add(&q, &op, NULL);
	CHECK_EQ(pvk_multicall_queue_flush(&q, NULL), 0);
	CHECK_EQ(reentry_add_rc, -PVK_XEN_EDEADLK);
	CHECK_EQ(reentry_flush_rc, -PVK_XEN_EDEADLK);
	CHECK(unit_log_has("pvk_multicall_add called from a completion callback"));
	CHECK(unit_log_has("pvk_multicall_flush called from a completion callback"));
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(q.count, 0);
	CHECK(!q.busy);
}
