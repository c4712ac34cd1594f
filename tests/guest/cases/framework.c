/*
 * tests/guest/cases/framework.c - the framework's own failure and skip
 * paths (explicit only: they fail or skip on purpose).
 *
 * pvkit.test=framework_fail must print "test framework_fail: FAIL:
 * tests/guest/cases/framework.c:<line>: ..." with both values, stop the
 * test at the failed check, and make the guest crash the domain;
 * framework_skip must print SKIP and count as skipped, not passed.
 */
#include "../test.h"

PVK_GUEST_TEST_EXPLICIT(framework_fail)
{
	unsigned long two = 2;

	__asm__("" : "+r"(two));	/* not a compile-time constant */
	PVK_CHECK_EQ(two + 2, 5);
	guest_printf("pvkit-guest: framework_fail: ran past a failed check\n");
}

PVK_GUEST_TEST_EXPLICIT(framework_skip)
{
	PVK_SKIP("skipped on purpose");
}
