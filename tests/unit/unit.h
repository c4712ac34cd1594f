/*
 * tests/unit/unit.h - the host unit tests' test runner, and the host's port.
 *
 * A test is one declaration:
 *
 *	UNIT_TEST(ring_free_requests_wraps)
 *	{
 *		CHECK_EQ(free_requests(...), 32);
 *	}
 *
 * It registers itself before main() runs (a constructor), so adding a test
 * is adding that block and nothing else. Checks record a failure and go on,
 * so one run shows every broken case (the first few of each test are
 * printed with file:line). Each test prints one line, "PASS name" or
 * "FAIL name (why)"; the runner ends with "N passed, N failed" and exits
 * non-zero if any test failed. Each test runs in a child process of its
 * own, bounded in time (runner.c): a crash or a hang in a test, in any of
 * its threads, fails that test and the rest still run.
 *
 * These tests cover pure logic only (ring arithmetic, the printf core, the
 * multicall queue): anything that needs Xen is tested on Xen, by the
 * reference guest.
 */
#ifndef PVK_TESTS_UNIT_H
#define PVK_TESTS_UNIT_H

#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define UNIT_TEST(test)							\
	static void test(void);						\
	static struct unit_test unit_test_##test = { #test, test, NULL }; \
	__attribute__((constructor)) static void unit_register_##test(void) \
	{								\
		unit_register(&unit_test_##test);			\
	}								\
	static void test(void)

#define CHECK(cond) do {						\
	if (!(cond))							\
		unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);	\
} while (0)

/* Integers of any type, compared as 64-bit patterns; shown both ways. */
#define CHECK_EQ(a, b) do {						\
	unsigned long long __ua = (unsigned long long)(a);		\
	unsigned long long __ub = (unsigned long long)(b);		\
	if (__ua != __ub)						\
		unit_fail(__FILE__, __LINE__,				\
			  "%s == %s: %lld (0x%llx) != %lld (0x%llx)",	\
			  #a, #b, (long long)__ua, __ua,		\
			  (long long)__ub, __ub);			\
} while (0)

/* Strings; NULL equals only NULL (and is shown as "(null)"). */
#define CHECK_STR(a, b) do {						\
	const char *__sa = (a), *__sb = (b);				\
	if (__sa && __sb ? strcmp(__sa, __sb) != 0 : __sa != __sb)	\
		unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
			  #a, #b, __sa ? __sa : "(null)",		\
			  __sb ? __sb : "(null)");			\
} while (0)

/* ---- The host's side of include/pvkit/port.h (port.c) ------------------ */

/* Non-zero: pvk_port_malloc (test_blkfront.c's) fails any allocation
 * larger than this (a test's low memory). */
extern size_t unit_fail_malloc_over;

/* Every line the kit logged since the current test started, concatenated. */
const char *unit_log(void);
/* True when some logged line contains needle. */
bool unit_log_has(const char *needle);
/* How many lines the kit logged since the current test started. */
unsigned int unit_log_lines(void);
void unit_log_clear(void);
/* The CPU the calling test thread plays: pvk_port_cpu_id() (port.c). */
extern __thread unsigned int unit_fake_cpu;
/* When set, called from inside every log write (after the line is kept):
 * lets a test act like a host whose console makes hypercalls. */
extern void (*unit_log_hook)(void);

/*
 * CHECK_PANICS(stmt): stmt must end in pvk_port_panic(). The host's panic
 * longjmps back here instead of exiting when a CHECK_PANICS is active.
 */
extern jmp_buf *unit_panic_jmp;
extern const char *unit_panic_msg;
#define CHECK_PANICS(stmt) do {						\
	jmp_buf __jb;							\
	unit_panic_msg = NULL;						\
	unit_panic_jmp = &__jb;						\
	if (setjmp(__jb) == 0) {					\
		stmt;							\
		unit_fail(__FILE__, __LINE__, "%s did not panic", #stmt); \
	}								\
	unit_panic_jmp = NULL;						\
} while (0)

#endif /* PVK_TESTS_UNIT_H */
