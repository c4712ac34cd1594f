/*
 * tests/guest/test.c - the test runner: select, run, report.
 *
 * Runs the tests of the .pvk_guest_tests section (test.h) in order: all
 * regular tests, or exactly those named with pvkit.test= (explicit-only
 * tests included); the name "defaults" there stands for every regular
 * test, so "pvkit.test=suspend_traffic,defaults" runs that explicit test
 * and then the default suite (tests run in table order, whatever the
 * order of the names: the regular tests after it in the table run after
 * it, in the domain it leaves). One result line per test,
 *   test NAME: PASS | FAIL: <reason> | SKIP: <reason>
 * then the closing line "N passed, N failed[, N skipped]" that the harness
 * reads. A name on the command line that matches no test is a failure.
 * On a native boot a test declared as needing Xen is not called: it is
 * reported as "SKIP: needs Xen".
 *
 * It also has the check macros' comparison and messages (test.h), and
 * the capture seam that lets cases/checks.c run a check meant to fail
 * without failing its own test.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>

#include "test.h"

#define REASON_MAX 256

enum result { RESULT_PASS, RESULT_FAIL, RESULT_SKIP };

extern const struct guest_test __start_pvk_guest_tests[], __stop_pvk_guest_tests[];

static enum result result;
static char reason[REASON_MAX];

static void record(enum result r, const char *prefix, const char *fmt, va_list ap)
{
	int n;

	/* The first failure wins; a failure replaces an earlier skip. */
	if (result == RESULT_FAIL || (result == RESULT_SKIP && r != RESULT_FAIL))
		return;
	result = r;
	n = pvk_snprintf(reason, sizeof(reason), "%s", prefix);
	if (n < (int)sizeof(reason))
		pvk_vsnprintf(reason + n, sizeof(reason) - (size_t)n, fmt, ap);
}

void guest_test_fail(const char *file, int line, const char *fmt, ...)
{
	char where[96];
	va_list ap;

	pvk_snprintf(where, sizeof(where), "%s:%d: ", file, line);
	va_start(ap, fmt);
	record(RESULT_FAIL, where, fmt, ap);
	va_end(ap);
}

void guest_test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(RESULT_SKIP, "", fmt, ap);
	va_end(ap);
}

bool guest_test_ended(void)
{
	return result != RESULT_PASS;
}

/* The test's own state while a capture runs (one level: no nesting). */
static enum result saved_result;
static char saved_reason[REASON_MAX];
static bool capturing;

void guest_test_capture_begin(void)
{
	if (capturing)
		pvk_port_panic("guest_test_capture_begin: already capturing");
	capturing = true;
	saved_result = result;
	memcpy(saved_reason, reason, sizeof(reason));
	result = RESULT_PASS;
	reason[0] = '\0';
}

bool guest_test_capture_end(char *buf, size_t len)
{
	bool failed = result == RESULT_FAIL;

	if (!capturing)
		pvk_port_panic("guest_test_capture_end: not capturing");
	if (len)
		pvk_snprintf(buf, len, "%s", reason);
	result = saved_result;
	memcpy(reason, saved_reason, sizeof(reason));
	capturing = false;
	return failed;
}

/*
 * A test returned between capture_begin and capture_end (a check of its
 * own body failed inside the capture, or it forgot the end): it fails,
 * with what the capture held, and the next test starts without one.
 */
static void capture_left_open(void)
{
	char captured[REASON_MAX];
	bool failed = guest_test_capture_end(captured, sizeof(captured));

	guest_test_fail(__FILE__, __LINE__, "the test ended inside a capture%s%s",
			failed ? "; captured: " : "", failed ? captured : "");
}

int guest_check_cmp(bool a_signed, uint64_t a, bool b_signed, uint64_t b)
{
	bool a_neg = a_signed && (int64_t)a < 0;
	bool b_neg = b_signed && (int64_t)b < 0;

	if (a_neg != b_neg)
		return a_neg ? -1 : 1;
	/*
	 * Same sign: two non-negative values order as unsigned; two negative
	 * ones too, their two's complement patterns increasing with value.
	 */
	return a < b ? -1 : a > b;
}

static void format_value(char *buf, size_t len, bool is_signed, uint64_t v)
{
	if (is_signed)
		pvk_snprintf(buf, len, "%lld", (long long)v);
	else
		pvk_snprintf(buf, len, "%llu (0x%llx)", (unsigned long long)v,
			     (unsigned long long)v);
}

void guest_check_op_failed(const char *file, int line, const char *a_expr,
			   const char *op, const char *b_expr,
			   bool a_signed, uint64_t a, bool b_signed, uint64_t b)
{
	char av[48], bv[48];

	format_value(av, sizeof(av), a_signed, a);
	format_value(bv, sizeof(bv), b_signed, b);
	guest_test_fail(file, line, "%s %s %s: %s vs %s", a_expr, op, b_expr, av, bv);
}

/* "-110 (ETIMEDOUT)", or the plain number if it names no Xen errno. */
static void format_rc(char *buf, size_t len, int64_t rc)
{
	const char *name = rc < 0 ? pvk_xen_errno_name((long)rc) : NULL;

	if (name)
		pvk_snprintf(buf, len, "%lld (%s)", (long long)rc, name);
	else
		pvk_snprintf(buf, len, "%lld", (long long)rc);
}

void guest_check_rc_failed(const char *file, int line, const char *rc_expr,
			   const char *op, int64_t rc, bool want_signed, uint64_t want)
{
	char rv[48], wv[48];

	format_rc(rv, sizeof(rv), rc);
	if (want_signed || want <= (uint64_t)INT64_MAX)
		format_rc(wv, sizeof(wv), (int64_t)want);
	else
		format_value(wv, sizeof(wv), false, want);
	if (op[0] == '=')
		guest_test_fail(file, line, "%s returned %s, expected %s", rc_expr, rv, wv);
	else
		guest_test_fail(file, line, "%s returned %s, expected %s %s",
				rc_expr, rv, op, wv);
}

static const struct guest_test *find(const char *name)
{
	for (const struct guest_test *t = __start_pvk_guest_tests; t < __stop_pvk_guest_tests; t++) {
		if (!guest_strncmp(t->name, name, (size_t)-1))
			return t;
	}
	return NULL;
}

#define DEFAULTS	"defaults"

static bool is_defaults(const char *name)
{
	return !guest_strncmp(name, DEFAULTS, (size_t)-1);
}

static bool selected(const struct guest_test *t)
{
	unsigned int n = guest_cmdline_nr_tests();

	if (!n)
		return !t->explicit_only;
	for (unsigned int i = 0; i < n; i++) {
		if (find(guest_cmdline_test(i)) == t ||
		    (is_defaults(guest_cmdline_test(i)) && !t->explicit_only))
			return true;
	}
	return false;
}

/* Returns the number of failures. */
unsigned int guest_run_tests(void)
{
	unsigned int passed = 0, failed = 0, skipped = 0;
	uint64_t start_ns = guest_now_ns();

	for (unsigned int i = 0; i < guest_cmdline_nr_tests(); i++) {
		if (!find(guest_cmdline_test(i)) && !is_defaults(guest_cmdline_test(i))) {
			guest_printf("test %s: FAIL: no such test\n", guest_cmdline_test(i));
			failed++;
		}
	}
	for (const struct guest_test *t = __start_pvk_guest_tests; t < __stop_pvk_guest_tests; t++) {
		if (!selected(t))
			continue;
		result = RESULT_PASS;
		reason[0] = '\0';
		if (t->needs_xen && guest_native_boot)
			guest_test_skip("needs Xen");
		else
			t->run();
		if (capturing)
			capture_left_open();
		switch (result) {
		case RESULT_PASS:
			guest_printf("test %s: PASS\n", t->name);
			passed++;
			break;
		case RESULT_FAIL:
			guest_printf("test %s: FAIL: %s\n", t->name, reason);
			failed++;
			break;
		case RESULT_SKIP:
			guest_printf("test %s: SKIP: %s\n", t->name, reason);
			skipped++;
			break;
		}
	}
	guest_printf("pvkit-guest: tests took %llu ms, %llu ms since boot\n",
		     (unsigned long long)(guest_now_ns() - start_ns) / 1000000,
		     (unsigned long long)(guest_now_ns() - guest_boot_ns) / 1000000);
	if (skipped)
		guest_printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	else
		guest_printf("%u passed, %u failed\n", passed, failed);
	return failed;
}
