/*
 * tests/guest/cases/multicall.c - the kit's batcher against real Xen.
 *
 * Five harmless calls go out as one multicall, the third deliberately
 * invalid (an unknown xen_version command, which Xen answers with
 * -ENOSYS). The batcher must report that entry's index and error, the
 * others must have run and succeeded, and every completion callback must
 * run once, in queue order, with its own entry's result.
 */
#include <pvkit/hypercall.h>
#include <pvkit/multicall.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/version.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define BAD_XENVER_CMD	0x7ff0
#define NR_OPS		5
#define BAD_INDEX	2

struct done_record {
	int order;	/* position among the callbacks, -1 if never run */
	long result;
};

static int done_seq;

static void record_done(void *ctx, long result)
{
	struct done_record *rec = ctx;

	rec->order = done_seq++;
	rec->result = result;
}

PVK_GUEST_TEST(multicall)
{
	long version = pvk_hyp_xen_version(PVK_XENVER_version, NULL);
	struct pvk_xen_feature_info fi = { .submap_idx = 0, .submap = 0 };
	struct pvk_multicall_op ops[NR_OPS] = {
		{ .op = PVK_HYPERVISOR_xen_version, .args = { PVK_XENVER_version } },
		{ .op = PVK_HYPERVISOR_xen_version,
		  .args = { PVK_XENVER_get_features, (unsigned long)&fi } },
		{ .op = PVK_HYPERVISOR_xen_version, .args = { BAD_XENVER_CMD } },
		{ .op = PVK_HYPERVISOR_sched_op, .args = { PVK_SCHEDOP_yield } },
		{ .op = PVK_HYPERVISOR_xen_version, .args = { PVK_XENVER_version } },
	};
	const long want[NR_OPS] = { version, 0, -PVK_XEN_ENOSYS, 0, version };
	struct done_record rec[NR_OPS];
	struct pvk_multicall_failure fail = { 0 };

	if (CONFIG_PVK_MULTICALL_BATCH < NR_OPS)
		PVK_SKIP("CONFIG_PVK_MULTICALL_BATCH < %d: the batch would be split", NR_OPS);
	PVK_CHECK_EQ(pvk_multicall_pending(), 0);
	done_seq = 0;
	for (int i = 0; i < NR_OPS; i++) {
		rec[i].order = -1;
		ops[i].done = record_done;
		ops[i].ctx = &rec[i];
		PVK_CHECK_RC(pvk_multicall_add(&ops[i], &fail), 0);
	}
	PVK_CHECK_EQ(pvk_multicall_pending(), NR_OPS);

	guest_printf("pvkit-guest: multicall: entry %d fails on purpose, the kit reports it:\n",
		     BAD_INDEX);
	PVK_CHECK_RC(pvk_multicall_flush(&fail), -PVK_XEN_ENOSYS);
	PVK_CHECK_EQ(pvk_multicall_pending(), 0);

	PVK_CHECK_EQ(fail.index, BAD_INDEX);
	PVK_CHECK_EQ(fail.batch_size, NR_OPS);
	PVK_CHECK_EQ(fail.failed, 1);
	PVK_CHECK_EQ(fail.op, PVK_HYPERVISOR_xen_version);
	PVK_CHECK_EQ(fail.args[0], BAD_XENVER_CMD);
	PVK_CHECK_RC(fail.result, -PVK_XEN_ENOSYS);

	for (int i = 0; i < NR_OPS; i++) {
		if (rec[i].order != i)
			PVK_FAIL("callback %d ran as number %d", i, rec[i].order);
		if (rec[i].result != want[i])
			PVK_FAIL("callback %d got %ld, expected %ld", i, rec[i].result, want[i]);
	}
	/* Entry 1 really ran: Xen wrote the features into our struct. */
	PVK_CHECK_NE(fi.submap, 0);
}
