/*
 * tests/unit/test_trace.c - CONFIG_PVK_TRACE's log lines (hypercall/trace.c).
 */
#include <pvkit/hypercall.h>
#include "hypercall/trace.h"
#include "unit.h"

UNIT_TEST(trace_line_shows_name_args_result)
{
	const unsigned long a[] = { 0xffff800000001000UL, 1, 0, 0x7ff0 };

	pvk_hypercall_trace(PVK_HYPERVISOR_mmu_update, a, 4, -22);
	CHECK_STR(unit_log(),
		  "pvkit: debug: hypercall mmu_update(0xffff800000001000, 0x1, 0x0, 0x7ff0) = -22\n");
}

UNIT_TEST(trace_enter_line_for_calls_that_may_not_return)
{
	const unsigned long a[] = { 2, 0x1000 };

	pvk_hypercall_trace_enter(PVK_HYPERVISOR_sched_op, a, 2);
	CHECK_STR(unit_log(), "pvkit: debug: hypercall sched_op(0x2, 0x1000) ...\n");
}

UNIT_TEST(trace_no_arguments)
{
	pvk_hypercall_trace(PVK_HYPERVISOR_iret, NULL, 0, 0);
	CHECK_STR(unit_log(), "pvkit: debug: hypercall iret() = 0\n");
}

/* A host whose log write itself makes a (traced) hypercall, as a console does. */
static void console_kick(void)
{
	const unsigned long a[] = { 4, 0 };

	pvk_hypercall_trace(PVK_HYPERVISOR_event_channel_op, a, 2, 0);
}

UNIT_TEST(trace_does_not_recurse_through_the_log)
{
	const unsigned long a[] = { 0, 0 };

	unit_log_hook = console_kick;
	pvk_hypercall_trace(PVK_HYPERVISOR_xen_version, a, 2, 0x40011);
	/* The kick made while writing was counted, not traced... */
	CHECK_EQ(unit_log_lines(), 1);
	pvk_hypercall_trace(PVK_HYPERVISOR_xen_version, a, 2, 0x40011);
	/* ...and the next line says so. */
	CHECK(unit_log_has("hypercall trace: 1 calls not traced (made while a trace line was being written)\n"));
	CHECK_EQ(unit_log_lines(), 3);

	/* That second line's own writes kicked again: drain the count so no
	 * later test starts with a report line. */
	unit_log_hook = NULL;
	pvk_hypercall_trace(PVK_HYPERVISOR_xen_version, a, 2, 0);
	unit_log_clear();
	pvk_hypercall_trace(PVK_HYPERVISOR_xen_version, a, 2, 0);
	CHECK_EQ(unit_log_lines(), 1);
}
