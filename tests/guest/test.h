/*
 * tests/guest/test.h - the in-guest test framework (in the spirit of XTF).
 *
 * A test is declared once, name and body together:
 *
 *	PVK_GUEST_TEST(xen_version)
 *	{
 *		PVK_CHECK_EQ(pvk_hyp_xen_version(PVK_XENVER_version, NULL) >> 16, 4);
 *	}
 *
 * The macro puts a descriptor in the .pvk_guest_tests section; the runner
 * (test.c) walks that section, so tests run in link order (the order of
 * the files in guest.mk, and inside a file the order of declaration: the
 * guest is built with -fno-toplevel-reorder). PVK_GUEST_TEST_EXPLICIT
 * declares a test that runs only when named with pvkit.test=.
 *
 * The same image runs the same tests natively (pvops "native"). A test
 * that only makes sense under Xen says so: PVK_GUEST_TEST_XEN (and
 * PVK_GUEST_TEST_XEN_EXPLICIT), or, for a file whose tests all need Xen,
 *	#define PVK_GUEST_XEN_ONLY_FILE
 * before including this header. The runner reports such a test as
 * "SKIP: needs Xen" on a native boot without calling it; a test that runs
 * in both worlds branches on guest_native_boot where they differ.
 *
 * Each check macro returns from the test at the first failure, recording
 * file:line and the values; a test that returns without a recorded
 * failure or skip passed. Checks must therefore be used in the test body
 * itself (helpers return a value the body checks).
 */
#ifndef PVK_GUEST_TEST_H
#define PVK_GUEST_TEST_H

#include "guest.h"

struct guest_test {
	const char *name;
	void (*run)(void);
	bool explicit_only;
	bool needs_xen;		/* skipped, not run, on a native boot */
};

#ifdef PVK_GUEST_XEN_ONLY_FILE
#define PVK_GUEST_FILE_NEEDS_XEN	true
#else
#define PVK_GUEST_FILE_NEEDS_XEN	false
#endif

#define PVK_GUEST_TEST_DECLARE(tname, explicit, xen)			\
	static void guest_test_##tname(void);				\
	static const struct guest_test guest_test_desc_##tname		\
	__attribute__((used, section(".pvk_guest_tests"), aligned(8))) = { \
		.name = #tname,						\
		.run = guest_test_##tname,				\
		.explicit_only = explicit,				\
		.needs_xen = (xen) || PVK_GUEST_FILE_NEEDS_XEN,		\
	};								\
	static void guest_test_##tname(void)

#define PVK_GUEST_TEST(tname)		PVK_GUEST_TEST_DECLARE(tname, false, false)
#define PVK_GUEST_TEST_EXPLICIT(tname)	PVK_GUEST_TEST_DECLARE(tname, true, false)
#define PVK_GUEST_TEST_XEN(tname)	PVK_GUEST_TEST_DECLARE(tname, false, true)
#define PVK_GUEST_TEST_XEN_EXPLICIT(tname) PVK_GUEST_TEST_DECLARE(tname, true, true)

/*
 * Records the current test's failure or skip. The first failure wins; a
 * failure after a skip replaces it (a test that skipped in a helper and
 * went on to fail failed), a skip after a failure changes nothing.
 */
void guest_test_fail(const char *file, int line, const char *fmt, ...)
	__pvk_printf(3, 4);
void guest_test_skip(const char *fmt, ...) __pvk_printf(1, 2);

#define PVK_FAIL(...)							\
	do {								\
		guest_test_fail(__FILE__, __LINE__, __VA_ARGS__);	\
		return;							\
	} while (0)

#define PVK_SKIP(...)							\
	do {								\
		guest_test_skip(__VA_ARGS__);				\
		return;							\
	} while (0)

/* True once the current test recorded a failure or a skip. */
bool guest_test_ended(void);

/*
 * The seam that tests the checks themselves (cases/checks.c): between
 * begin and end, a failure or skip is recorded into a capture instead of
 * the current test. end() restores the test's own state and returns true
 * if a failure was captured, its text (file:line: ...) copied to buf.
 * Use it around a call of a helper whose check is meant to fail.
 */
void guest_test_capture_begin(void);
bool guest_test_capture_end(char *buf, size_t len);

/*
 * Calls a void helper that uses the PVK_CHECK macros (they return from the
 * helper, not from the test) and ends the test too if the helper failed.
 */
#define PVK_CHECK_CALL(call)						\
	do {								\
		call;							\
		if (guest_test_ended())					\
			return;						\
	} while (0)

#define PVK_CHECK(cond)							\
	do {								\
		if (!(cond))						\
			PVK_FAIL("check failed: %s", #cond);		\
	} while (0)

/*
 * Integer checks compare the values as C would compare them if no
 * conversion got in the way: each operand is classified as signed or
 * unsigned by its own type (after the usual promotions: char and short are
 * signed, bool and pointers unsigned, an enum is what its compatible
 * integer type is), and the comparison is the mathematical one. A negative
 * signed value is below every unsigned value, so PVK_CHECK_GE(-110, 1)
 * fails, and PVK_CHECK_LT(-1, 0UL) passes where plain C (and a cast of
 * both to uint64_t) would say false. Each operand is evaluated once; a
 * failure prints each value in its own signedness (unsigned also in hex).
 */
#define PVK_CHECK_IS_SIGNED_(x)						\
	_Generic((x),							\
		 char: (char)-1 < 0,					\
		 signed char: true, short: true, int: true,		\
		 long: true, long long: true,				\
		 default: false)

/* <0, 0, >0 as a is below, equal to, above b (see above). */
int guest_check_cmp(bool a_signed, uint64_t a, bool b_signed, uint64_t b);
/* Records "a op b: <a> vs <b>" as the current test's failure. */
void guest_check_op_failed(const char *file, int line, const char *a_expr,
			   const char *op, const char *b_expr,
			   bool a_signed, uint64_t a, bool b_signed, uint64_t b);

/*
 * Each operand must be an integer, a bool, an enum or a pointer of at most
 * 64 bits: a float or an __int128 would be cut to 64 bits and compare
 * wrongly, so it does not compile.
 */
#define PVK_CHECK_OPERAND_OK_(x)					\
	(sizeof(x) <= sizeof(uint64_t) &&				\
	 _Generic((x), float: false, double: false, long double: false,	\
		  default: true))

/*
 * The macros' locals have pvk_chk_ names: an operand naming a variable of
 * the caller must never resolve to one of them (a local "a_" in the
 * caller, read in the initialiser of the macro's own b_, compared a value
 * with itself).
 */
#define PVK_CHECK_OP(a, op, b)						\
	do {								\
		__auto_type pvk_chk_a_ = (a);				\
		__auto_type pvk_chk_b_ = (b);				\
		_Static_assert(PVK_CHECK_OPERAND_OK_(pvk_chk_a_) &&	\
			       PVK_CHECK_OPERAND_OK_(pvk_chk_b_),	\
			       "PVK_CHECK_OP: an operand is not a <= 64-bit integer or pointer"); \
		bool pvk_chk_as_ = PVK_CHECK_IS_SIGNED_(pvk_chk_a_);	\
		bool pvk_chk_bs_ = PVK_CHECK_IS_SIGNED_(pvk_chk_b_);	\
		uint64_t pvk_chk_av_ = (uint64_t)pvk_chk_a_;		\
		uint64_t pvk_chk_bv_ = (uint64_t)pvk_chk_b_;		\
		if (!(guest_check_cmp(pvk_chk_as_, pvk_chk_av_,	\
				      pvk_chk_bs_, pvk_chk_bv_) op 0)) { \
			guest_check_op_failed(__FILE__, __LINE__, #a, #op, #b, \
					      pvk_chk_as_, pvk_chk_av_,	\
					      pvk_chk_bs_, pvk_chk_bv_); \
			return;						\
		}							\
	} while (0)

#define PVK_CHECK_EQ(a, b)	PVK_CHECK_OP(a, ==, b)
#define PVK_CHECK_NE(a, b)	PVK_CHECK_OP(a, !=, b)
#define PVK_CHECK_LT(a, b)	PVK_CHECK_OP(a, <, b)
#define PVK_CHECK_LE(a, b)	PVK_CHECK_OP(a, <=, b)
#define PVK_CHECK_GE(a, b)	PVK_CHECK_OP(a, >=, b)
#define PVK_CHECK_GT(a, b)	PVK_CHECK_OP(a, >, b)

/*
 * A return code: 0, a count or a negative Xen errno (PVK_XEN_*). rc must
 * have a signed type (a compile error otherwise: an unsigned "rc" cannot
 * carry -errno); want is any integer, compared as PVK_CHECK_OP does. A
 * failure names the errno of each side: "rc returned -110 (ETIMEDOUT),
 * expected 0".
 */
void guest_check_rc_failed(const char *file, int line, const char *rc_expr,
			   const char *op, int64_t rc, bool want_signed, uint64_t want);

#define PVK_CHECK_RC_OP(rc, op, want)					\
	do {								\
		__auto_type pvk_chk_rc_ = (rc);				\
		__auto_type pvk_chk_want_ = (want);			\
		_Static_assert(PVK_CHECK_OPERAND_OK_(pvk_chk_rc_) &&	\
			       PVK_CHECK_OPERAND_OK_(pvk_chk_want_),	\
			       "PVK_CHECK_RC: an operand is not a <= 64-bit integer"); \
		_Static_assert(PVK_CHECK_IS_SIGNED_(pvk_chk_rc_),	\
			       "PVK_CHECK_RC needs a signed rc");	\
		bool pvk_chk_ws_ = PVK_CHECK_IS_SIGNED_(pvk_chk_want_);	\
		uint64_t pvk_chk_wv_ = (uint64_t)pvk_chk_want_;		\
		if (!(guest_check_cmp(true, (uint64_t)pvk_chk_rc_,	\
				      pvk_chk_ws_, pvk_chk_wv_) op 0)) { \
			guest_check_rc_failed(__FILE__, __LINE__, #rc, #op, \
					      (int64_t)pvk_chk_rc_,	\
					      pvk_chk_ws_, pvk_chk_wv_); \
			return;						\
		}							\
	} while (0)

#define PVK_CHECK_RC(rc, want)		PVK_CHECK_RC_OP(rc, ==, want)
/* rc >= want: "0 or a positive count" is PVK_CHECK_RC_GE(rc, 0). */
#define PVK_CHECK_RC_GE(rc, want)	PVK_CHECK_RC_OP(rc, >=, want)

#define PVK_CHECK_STR_CONTAINS(haystack, needle)			\
	do {								\
		const char *pvk_chk_h_ = (haystack);			\
		const char *pvk_chk_n_ = (needle);			\
		if (!guest_strstr(pvk_chk_h_, pvk_chk_n_))		\
			PVK_FAIL("%s: \"%s\" does not contain \"%s\"",	\
				 #haystack, pvk_chk_h_, pvk_chk_n_);	\
	} while (0)

#endif /* PVK_GUEST_TEST_H */
