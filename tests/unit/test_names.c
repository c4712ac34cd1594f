/*
 * tests/unit/test_names.c - hypercall and error names for reports (hypercall/names.c).
 */
#include <limits.h>
#include <pvkit/hypercall.h>
#include <pvkit/xen/errno.h>
#include "unit.h"

UNIT_TEST(names_of_hypercalls)
{
	CHECK_STR(pvk_hypercall_name(PVK_HYPERVISOR_set_trap_table), "set_trap_table");
	CHECK_STR(pvk_hypercall_name(PVK_HYPERVISOR_mmu_update), "mmu_update");
	CHECK_STR(pvk_hypercall_name(PVK_HYPERVISOR_multicall), "multicall");
	CHECK_STR(pvk_hypercall_name(PVK_HYPERVISOR_hypfs_op), "hypfs_op");
	CHECK_STR(pvk_hypercall_name(11), "unknown");		/* a hole in Xen's numbering */
	CHECK_STR(pvk_hypercall_name(PVK_HYPERCALL_SLOTS), "unknown");
	CHECK_STR(pvk_hypercall_name(~0u), "unknown");
	/* Every hypercall Xen defines up to hypfs_op has a name. */
	for (unsigned int nr = 0; nr <= PVK_HYPERVISOR_hypfs_op; nr++)
		if (nr != 11 && strcmp(pvk_hypercall_name(nr), "unknown") == 0)
			unit_fail(__FILE__, __LINE__, "hypercall %u has no name", nr);
}

UNIT_TEST(names_argument_counts)
{
	CHECK_EQ(pvk_hypercall_nargs(PVK_HYPERVISOR_mmu_update), 4);
	CHECK_EQ(pvk_hypercall_nargs(PVK_HYPERVISOR_update_va_mapping), 3);
	CHECK_EQ(pvk_hypercall_nargs(PVK_HYPERVISOR_sched_op), 2);
	CHECK_EQ(pvk_hypercall_nargs(PVK_HYPERVISOR_iret), 0);
	CHECK_EQ(pvk_hypercall_nargs(11), 6);
	CHECK_EQ(pvk_hypercall_nargs(~0u), 6);
}

UNIT_TEST(names_of_xen_errors)
{
	CHECK_STR(pvk_xen_errno_name(-PVK_XEN_EINVAL), "EINVAL");
	CHECK_STR(pvk_xen_errno_name(PVK_XEN_EINVAL), "EINVAL");
	CHECK_STR(pvk_xen_errno_name(-PVK_XEN_EPERM), "EPERM");
	CHECK_STR(pvk_xen_errno_name(-PVK_XEN_ECONNREFUSED), "ECONNREFUSED");
	CHECK_STR(pvk_xen_errno_name(-PVK_XEN_EAGAIN), "EAGAIN");
	CHECK(pvk_xen_errno_name(0) == NULL);
	CHECK(pvk_xen_errno_name(-15) == NULL);		/* unused by Xen */
	CHECK(pvk_xen_errno_name(-4095) == NULL);
	CHECK(pvk_xen_errno_name(LONG_MIN) == NULL);
}

UNIT_TEST(failed_means_the_error_range)
{
	CHECK(pvk_hypercall_failed(-1));
	CHECK(pvk_hypercall_failed(-PVK_XEN_EINVAL));
	CHECK(pvk_hypercall_failed(-4095));
	CHECK(!pvk_hypercall_failed(-4096));
	CHECK(!pvk_hypercall_failed(0));
	CHECK(!pvk_hypercall_failed(1));
	CHECK(!pvk_hypercall_failed(LONG_MIN));
	CHECK(!pvk_hypercall_failed((long)0xffff800000001000UL));
}
