/*
 * examples/minimal/checks.c - the kernel's verdicts, in the form both
 * judges read: "test NAME: PASS" or "test NAME: FAIL: why" per check, then
 * the closing "N passed, N failed" (tests/xen's EXPECT_SUMMARY and
 * tests/native/minimal-run.sh). Not glue: count-lines.sh counts it apart.
 */
#include "minimal.h"

static unsigned int passed, failed;

void minimal_check(const char *name, bool ok, const char *why)
{
	if (ok) {
		passed++;
		minimal_printf("test %s: PASS", name);
	} else {
		failed++;
		minimal_printf("test %s: FAIL: %s", name, why);
	}
}

int minimal_summary(void)
{
	minimal_printf("%u passed, %u failed", passed, failed);
	return failed;
}
