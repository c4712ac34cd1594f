/*
 * tests/guest/cases/counters.c - the kit's hypercall counters are exact.
 *
 * Between two snapshots the test makes 3 direct xen_version calls and one
 * multicall of 4 entries, and prints nothing (console output makes
 * hypercalls too). Then every counter must have moved by exactly that:
 * xen_version +3 (batched entries are not counted as direct calls),
 * multicall +1, 4 entries, no entry errors, 4 calls in all. A second batch
 * with one failing entry must count one entry error.
 */
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/multicall.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/version.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define DIRECT	3
#define BATCH	4

static uint64_t total_calls(const struct pvk_hypercall_stats *s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < PVK_ARRAY_SIZE(s->calls); i++)
		sum += s->calls[i];
	return sum;
}

static int queue_xen_version(int n, unsigned long cmd)
{
	struct pvk_multicall_op op = {
		.op = PVK_HYPERVISOR_xen_version, .args = { cmd },
	};
	int rc = 0;

	for (int i = 0; i < n && !rc; i++)
		rc = pvk_multicall_add(&op, NULL);
	return rc;
}

PVK_GUEST_TEST(hypercall_counters)
{
	/* static: two snapshots are 2 KiB, too much for a test's frame. */
	static struct pvk_hypercall_stats a, b;
	int rc_queue, rc_flush;
	unsigned long fl;
	uint64_t one_counter;

	if (CONFIG_PVK_MULTICALL_BATCH < BATCH)
		PVK_SKIP("CONFIG_PVK_MULTICALL_BATCH < %d: the batch would be split", BATCH);

	/* Nothing between the snapshots may print or take an upcall (an
	 * event handler makes hypercalls of its own: FIFO unmask, console). */
	fl = pvk_irq_save();
	pvk_hypercall_stats_snapshot(&a);
	for (int i = 0; i < DIRECT; i++)
		pvk_hyp_xen_version(PVK_XENVER_version, NULL);
	rc_queue = queue_xen_version(BATCH, PVK_XENVER_version);
	rc_flush = pvk_multicall_flush(NULL);
	pvk_hypercall_stats_snapshot(&b);
	/* Before unmasking: that may itself call xen_version to have Xen
	 * deliver a pending event. */
	one_counter = pvk_hypercall_count(PVK_HYPERVISOR_xen_version);
	pvk_restore_fl(fl);

	PVK_CHECK_RC(rc_queue, 0);
	PVK_CHECK_RC(rc_flush, 0);
	PVK_CHECK_EQ(b.calls[PVK_HYPERVISOR_xen_version] - a.calls[PVK_HYPERVISOR_xen_version], DIRECT);
	PVK_CHECK_EQ(b.calls[PVK_HYPERVISOR_multicall] - a.calls[PVK_HYPERVISOR_multicall], 1);
	PVK_CHECK_EQ(b.multicalls - a.multicalls, 1);
	PVK_CHECK_EQ(b.multicall_entries - a.multicall_entries, BATCH);
	PVK_CHECK_EQ(b.multicall_entry_errors - a.multicall_entry_errors, 0);
	PVK_CHECK_EQ(total_calls(&b) - total_calls(&a), DIRECT + 1);
	PVK_CHECK_EQ(one_counter, b.calls[PVK_HYPERVISOR_xen_version]);

	/* One bad entry in a batch of two: one entry error (the kit logs it,
	 * so only counters that console output cannot touch are compared). */
	guest_printf("pvkit-guest: counters: one entry fails on purpose, the kit reports it:\n");
	fl = pvk_irq_save();
	pvk_hypercall_stats_snapshot(&a);
	rc_queue = queue_xen_version(1, PVK_XENVER_version);
	if (!rc_queue)
		rc_queue = queue_xen_version(1, 0x7ff0);
	rc_flush = pvk_multicall_flush(NULL);
	pvk_hypercall_stats_snapshot(&b);
	pvk_restore_fl(fl);
	PVK_CHECK_RC(rc_queue, 0);
	PVK_CHECK_NE(rc_flush, 0);
	PVK_CHECK_EQ(b.multicalls - a.multicalls, 1);
	PVK_CHECK_EQ(b.multicall_entries - a.multicall_entries, 2);
	PVK_CHECK_EQ(b.multicall_entry_errors - a.multicall_entry_errors, 1);
	PVK_CHECK_EQ(b.calls[PVK_HYPERVISOR_xen_version] - a.calls[PVK_HYPERVISOR_xen_version], 0);
}
