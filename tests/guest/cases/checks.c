/*
 * tests/guest/cases/checks.c - the check macros of test.h, checked.
 *
 * Each check that must fail runs in a helper through the capture seam
 * (guest_test_capture_begin/end): the failure is recorded there, not in
 * this test, and the test asserts that it was recorded and what it said.
 * The cases are the ones a comparison of everything as uint64_t gets
 * wrong: a negative signed value against a positive one (-110 >= 1), and
 * every mix of a signed with an unsigned operand (-1 == UINT64_MAX,
 * -1 > 0U). Checks that must pass are run the same way and must record
 * nothing. The values are hidden from the compiler so that the checks run
 * on values, not on constants folded at build time.
 */
#include <pvkit/xen/errno.h>

#include "../test.h"

/* v, but opaque to the optimiser. */
#define OPAQUE(v) ({ __auto_type o_ = (v); __asm__("" : "+r"(o_)); o_; })

/* Runs fn() through the seam: true if a check in it failed; text in msg. */
static bool captured_failure(void (*fn)(void), char *msg, size_t len)
{
	guest_test_capture_begin();
	fn();
	return guest_test_capture_end(msg, len);
}

/*
 * MUST_FAIL(name, check, text): a helper running check, and a test step
 * asserting that it failed with text in the message.
 */
#define CASE(name, check) static void case_##name(void) { check; }

#define MUST_FAIL(name, text)						\
	do {								\
		char msg_[256];						\
		if (!captured_failure(case_##name, msg_, sizeof(msg_)))	\
			PVK_FAIL("%s: check passed, must fail", #name);	\
		if (!guest_strstr(msg_, (text)))			\
			PVK_FAIL("%s: \"%s\" lacks \"%s\"", #name, msg_, (text)); \
	} while (0)

#define MUST_PASS(name)							\
	do {								\
		char msg_[256];						\
		if (captured_failure(case_##name, msg_, sizeof(msg_)))	\
			PVK_FAIL("%s: check failed, must pass: %s", #name, msg_); \
	} while (0)

/* Signed against signed: the uint64_t comparison said -110 >= 1. */
CASE(ge_neg_int, PVK_CHECK_GE(OPAQUE(-110), 1))
CASE(gt_neg_long, PVK_CHECK_GT(OPAQUE(-1L), OPAQUE(0L)))
CASE(le_pos_neg, PVK_CHECK_LE(OPAQUE(1), OPAQUE(-1)))
CASE(lt_pos_neg, PVK_CHECK_LT(OPAQUE((short)5), OPAQUE((signed char)-5)))
CASE(ge_neg_neg, PVK_CHECK_GE(OPAQUE(-5L), OPAQUE(-3)))

/* Signed against unsigned: a negative value is below every unsigned one. */
CASE(eq_neg_umax, PVK_CHECK_EQ(OPAQUE(-1), OPAQUE(UINT64_MAX)))
CASE(gt_neg_uzero, PVK_CHECK_GT(OPAQUE(-1), OPAQUE(0U)))
CASE(ge_neg_uone, PVK_CHECK_GE(OPAQUE(-110L), OPAQUE(1UL)))
CASE(le_uzero_neg, PVK_CHECK_LE(OPAQUE(0UL), OPAQUE(-1)))
CASE(lt_umax_neg, PVK_CHECK_LT(OPAQUE(UINT64_MAX), OPAQUE(INT64_MIN)))
CASE(eq_u32_neg, PVK_CHECK_EQ(OPAQUE(0xffffffffU), OPAQUE(-1)))
CASE(ne_same, PVK_CHECK_NE(OPAQUE(-5), OPAQUE(-5L)))

/* Return codes: errno names on both sides. */
CASE(rc_timedout, PVK_CHECK_RC(OPAQUE(-PVK_XEN_ETIMEDOUT), 0))
CASE(rc_want_errno, PVK_CHECK_RC(OPAQUE(0L), -PVK_XEN_EINVAL))
CASE(rc_ge_neg, PVK_CHECK_RC_GE(OPAQUE(-PVK_XEN_ENOSPC), 0))
CASE(rc_unnamed, PVK_CHECK_RC(OPAQUE(-4000L), 0))

/*
 * An operand named like a local of the macro: each check must read the
 * caller's variable, not its own copy of the other operand (with locals
 * named a_ or h_ the checks compared a value with itself and passed).
 */
CASE(shadow_eq, int a_ = OPAQUE(-7); (void)a_; PVK_CHECK_EQ(OPAQUE(1), a_))
CASE(shadow_rc, long rc_ = OPAQUE(-22L); (void)rc_; PVK_CHECK_RC(OPAQUE(0L), rc_))
CASE(shadow_str, const char *h_ = "xyz"; (void)h_; PVK_CHECK_STR_CONTAINS("abc", h_))

/* A failure after a skip (a helper skipped, the test went on and failed)
 * is a failure: a skip must not hide it. */
CASE(fail_after_skip, guest_test_skip("skipped first"); PVK_FAIL("failed after the skip"))

/* What must pass. */
CASE(ok_neg_lt_u, PVK_CHECK_LT(OPAQUE(-1), OPAQUE(0UL)))
CASE(ok_min_lt_umax, PVK_CHECK_LT(OPAQUE(INT64_MIN), OPAQUE(UINT64_MAX)))
CASE(ok_neg_ne_umax, PVK_CHECK_NE(OPAQUE(-1L), OPAQUE(UINT64_MAX)))
CASE(ok_neg_order, PVK_CHECK_LT(OPAQUE(-5L), OPAQUE(-3)))
CASE(ok_u_eq_s, PVK_CHECK_EQ(OPAQUE(7U), OPAQUE(7L)))
CASE(ok_u_big, PVK_CHECK_GT(OPAQUE(UINT64_MAX), OPAQUE(INT64_MAX)))
CASE(ok_rc_count, PVK_CHECK_RC_GE(OPAQUE(3), 0))
CASE(ok_rc_errno, PVK_CHECK_RC(OPAQUE(-PVK_XEN_EAGAIN), -PVK_XEN_EAGAIN))

PVK_GUEST_TEST(checks_signed)
{
	MUST_FAIL(ge_neg_int, ">= 1: -110 vs 1");
	MUST_FAIL(gt_neg_long, ": -1 vs 0");
	MUST_FAIL(le_pos_neg, ": 1 vs -1");
	MUST_FAIL(lt_pos_neg, ": 5 vs -5");
	MUST_FAIL(ge_neg_neg, ": -5 vs -3");
}

PVK_GUEST_TEST(checks_mixed_signedness)
{
	MUST_FAIL(eq_neg_umax, ": -1 vs 18446744073709551615 (0xffffffffffffffff)");
	MUST_FAIL(gt_neg_uzero, ": -1 vs 0 (0x0)");
	MUST_FAIL(ge_neg_uone, ": -110 vs 1 (0x1)");
	MUST_FAIL(le_uzero_neg, ": 0 (0x0) vs -1");
	MUST_FAIL(lt_umax_neg, "vs -9223372036854775808");
	MUST_FAIL(eq_u32_neg, ": 4294967295 (0xffffffff) vs -1");
	MUST_FAIL(ne_same, ": -5 vs -5");
}

PVK_GUEST_TEST(checks_rc)
{
	MUST_FAIL(rc_timedout, "returned -110 (ETIMEDOUT), expected 0");
	MUST_FAIL(rc_want_errno, "returned 0, expected -22 (EINVAL)");
	MUST_FAIL(rc_ge_neg, "returned -28 (ENOSPC), expected >= 0");
	MUST_FAIL(rc_unnamed, "returned -4000, expected 0");
}

PVK_GUEST_TEST(checks_operand_names)
{
	MUST_FAIL(shadow_eq, ": 1 vs -7");
	MUST_FAIL(shadow_rc, "returned 0, expected -22 (EINVAL)");
	MUST_FAIL(shadow_str, "\"abc\" does not contain \"xyz\"");
}

PVK_GUEST_TEST(checks_fail_after_skip)
{
	MUST_FAIL(fail_after_skip, "failed after the skip");
}

PVK_GUEST_TEST(checks_pass)
{
	MUST_PASS(ok_neg_lt_u);
	MUST_PASS(ok_min_lt_umax);
	MUST_PASS(ok_neg_ne_umax);
	MUST_PASS(ok_neg_order);
	MUST_PASS(ok_u_eq_s);
	MUST_PASS(ok_u_big);
	MUST_PASS(ok_rc_count);
	MUST_PASS(ok_rc_errno);
}

/* The seam itself: a captured failure leaves the test passing, with the
 * failure's file and line in the text. */
PVK_GUEST_TEST(checks_seam)
{
	char msg[256];

	PVK_CHECK(captured_failure(case_ge_neg_int, msg, sizeof(msg)));
	PVK_CHECK(!guest_test_ended());
	PVK_CHECK_STR_CONTAINS(msg, "tests/guest/cases/checks.c:");
}
