/*
 * tests/unit/runner.c - runs every registered UNIT_TEST and tallies them.
 *
 * Usage: unit-tests [name...]   (no names: every test, in registration
 * order). The closing line "N passed, N failed" is what scripts/check.sh
 * adds up; the exit status is non-zero when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"

/* Failed checks printed per test; the rest are only counted. */
#define SHOWN_FAILURES 8

static struct unit_test *first, **last = &first;
static unsigned int failures;	/* failed checks of the running test */

void unit_register(struct unit_test *t)
{
	*last = t;
	last = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (failures++ >= SHOWN_FAILURES)
		return;
	printf("    %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static bool selected(const struct unit_test *t, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], t->name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0;

	for (struct unit_test *t = first; t; t = t->next) {
		if (!selected(t, argc, argv))
			continue;
		failures = 0;
		unit_log_clear();
		t->fn();
		if (failures) {
			if (failures > SHOWN_FAILURES)
				printf("    ... and %u more\n", failures - SHOWN_FAILURES);
			printf("FAIL %s (%u failed checks)\n", t->name, failures);
			failed++;
		} else {
			printf("PASS %s\n", t->name);
			passed++;
		}
		fflush(stdout);
	}
	if (passed + failed == 0 && argc > 1)
		printf("no test matched the names given\n");
	printf("unit: %u passed, %u failed\n", passed, failed);
	return failed || passed + failed == 0 ? 1 : 0;
}
