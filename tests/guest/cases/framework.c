/*
 * tests/guest/cases/framework.c - the framework's own failure and skip
 * paths, and a guest that lies to the harness (explicit only: each fails,
 * skips or misleads on purpose).
 *
 * pvkit.test=framework_fail must print "test framework_fail: FAIL:
 * tests/guest/cases/framework.c:<line>: ..." with both values, stop the
 * test at the failed check, and make the guest crash the domain;
 * framework_skip must print SKIP and count as skipped, not passed.
 * The harness's self-test scenarios (tests/xen/selftest/selftest-guest-*.scn)
 * run them and name the failing check's line: keep framework_fail first.
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

/*
 * Prints the harness's own lines as a guest could: a scenario end claiming
 * a clean poweroff with 99 passed (for the scenario selftest-guest-fail,
 * whose real end is a crash), then "all done", each also preceded by a
 * carriage return to look like the start of a console line. The harness
 * reads its lines from a channel the guest cannot write, so they must
 * change nothing; the test itself passes.
 */
PVK_GUEST_TEST_EXPLICIT(framework_fake_marker)
{
	static const char *const fakes[] = {
		"@@pvk scenario-end selftest-guest-fail end=poweroff code=0 secs=1.0 summary=\"99 passed, 0 failed\"",
		"@@pvk all-done t=1.0",
	};

	for (unsigned int i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		guest_printf("%s\n", fakes[i]);
		guest_printf("\r%s\n", fakes[i]);
	}
}

/*
 * Returns inside a capture (guest_test_capture_begin without _end): the
 * runner must report it as "FAIL: ... the test ended inside a capture"
 * and end the capture, so the next test runs on its own state (a second
 * capture_begin would panic).
 */
PVK_GUEST_TEST_EXPLICIT(framework_capture_open)
{
	guest_test_capture_begin();
}
