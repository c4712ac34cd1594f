/*
 * tests/unit/test_stats.c - the hypercall counters (hypercall/stats.c).
 */
#include <pvkit/hypercall_stats.h>
#include "unit.h"

UNIT_TEST(stats_count_per_number)
{
	pvk_hypercall_stats_reset();
	pvk_hypercall_account(PVK_HYPERVISOR_mmu_update);
	pvk_hypercall_account(PVK_HYPERVISOR_mmu_update);
	pvk_hypercall_account(PVK_HYPERVISOR_sched_op);
	pvk_hypercall_account(PVK_HYPERCALL_SLOTS - 1);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_mmu_update), 2);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_sched_op), 1);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_xen_version), 0);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERCALL_SLOTS - 1), 1);
	CHECK_EQ(pvk_hypercall_count(PVK_HYPERCALL_SLOTS), 0);
	CHECK_EQ(pvk_hypercall_count(~0u), 0);
}

UNIT_TEST(stats_snapshot_and_reset)
{
	struct pvk_hypercall_stats s;

	pvk_hypercall_stats_reset();
	pvk_hypercall_account(PVK_HYPERVISOR_console_io);
	pvk_hypercall_account_multicall(5);
	pvk_hypercall_account_multicall(3);
	pvk_hypercall_account_entry_errors(2);
	pvk_hypercall_stats_snapshot(&s);
	CHECK_EQ(s.calls[PVK_HYPERVISOR_console_io], 1);
	CHECK_EQ(s.multicalls, 2);
	CHECK_EQ(s.multicall_entries, 8);
	CHECK_EQ(s.multicall_entry_errors, 2);

	pvk_hypercall_stats_reset();
	pvk_hypercall_stats_snapshot(&s);
	for (unsigned int i = 0; i < PVK_HYPERCALL_SLOTS; i++)
		CHECK_EQ(s.calls[i], 0);
	CHECK_EQ(s.multicalls, 0);
	CHECK_EQ(s.multicall_entries, 0);
	CHECK_EQ(s.multicall_entry_errors, 0);
}

UNIT_TEST(stats_number_beyond_the_page_panics)
{
	CHECK_PANICS(pvk_hypercall_account(PVK_HYPERCALL_SLOTS));
	CHECK(unit_panic_msg && strstr(unit_panic_msg, "beyond the hypercall page"));
}
