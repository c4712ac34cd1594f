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

/* Records the current test's failure or skip (the first one wins). */
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

/* Compares as 64-bit integers; prints both in decimal and hex. */
#define PVK_CHECK_OP(a, op, b)						\
	do {								\
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);	\
		if (!(a_ op b_))					\
			PVK_FAIL("%s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
				 #a, #op, #b, (long long)a_,		\
				 (unsigned long long)a_, (long long)b_,	\
				 (unsigned long long)b_);		\
	} while (0)

#define PVK_CHECK_EQ(a, b)	PVK_CHECK_OP(a, ==, b)
#define PVK_CHECK_NE(a, b)	PVK_CHECK_OP(a, !=, b)
#define PVK_CHECK_LT(a, b)	PVK_CHECK_OP(a, <, b)
#define PVK_CHECK_LE(a, b)	PVK_CHECK_OP(a, <=, b)
#define PVK_CHECK_GE(a, b)	PVK_CHECK_OP(a, >=, b)
#define PVK_CHECK_GT(a, b)	PVK_CHECK_OP(a, >, b)

/* Signed comparison, for hypercall results that may be -errno. */
#define PVK_CHECK_RC(rc, want)						\
	do {								\
		long rc_ = (long)(rc), want_ = (long)(want);		\
		if (rc_ != want_)					\
			PVK_FAIL("%s returned %ld, expected %ld", #rc, rc_, want_); \
	} while (0)

#define PVK_CHECK_STR_CONTAINS(haystack, needle)			\
	do {								\
		const char *h_ = (haystack), *n_ = (needle);		\
		if (!guest_strstr(h_, n_))				\
			PVK_FAIL("%s: \"%s\" does not contain \"%s\"",	\
				 #haystack, h_, n_);			\
	} while (0)

#endif /* PVK_GUEST_TEST_H */
