/*
 * tests/unit/test_grant_ref.c - the grant-reference allocator and its
 * growth (mm/grant_ref.c): references handed out once each, lowest first,
 * never a reserved one; the table grown one step when none is free, the
 * new references handed out; the maximum refused with -ENOSPC (logged
 * once, counted); a failed growth changing nothing; frees panicking on a
 * reference not handed out.
 *
 * The allocator's file is included to reach its state. Xen's side is the
 * grow hook below, which only records its calls: that the frames really
 * grow is the reference guest's test on Xen (grant_grow, guest-grant).
 * Each test runs in its own process, so each starts from a fresh state.
 */
#include <stdlib.h>

#include "mm/grant_ref.c"
#include "unit.h"

#define FRAME	512		/* entries per table frame */
#define RES	PVK_GNTTAB_NR_RESERVED_ENTRIES

static struct {
	unsigned int calls;
	uint32_t old, new;	/* of the last call */
	int fail_with;		/* nonzero: the next call fails so */
} hook;

static int record_grow(uint32_t old_entries, uint32_t new_entries)
{
	int rc = hook.fail_with;

	hook.calls++;
	hook.old = old_entries;
	hook.new = new_entries;
	hook.fail_with = 0;
	return rc;
}

static unsigned int log_count(const char *needle)
{
	unsigned int n = 0;

	for (const char *p = unit_log(); (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Allocates n references into refs; each must succeed. */
static void alloc_n(pvk_grant_ref_t *refs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		CHECK_EQ(pvk_grant_alloc(&refs[i]), 0);
}

UNIT_TEST(grant_ref_lowest_first_never_reserved)
{
	pvk_grant_ref_t refs[FRAME];
	struct pvk_grant_stats st;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 4 * FRAME, record_grow), 0);
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refs_total, FRAME - RES);
	CHECK_EQ(st.refs_free, FRAME - RES);
	alloc_n(refs, FRAME - RES);
	for (uint32_t i = 0; i < FRAME - RES; i++)
		CHECK_EQ(refs[i], RES + i);
	CHECK_EQ(hook.calls, 0);
	CHECK(!pvk_grant_ref_valid(RES - 1));
	CHECK(!pvk_grant_ref_valid(FRAME));
}

UNIT_TEST(grant_ref_grows_one_step_when_none_free)
{
	pvk_grant_ref_t refs[2 * FRAME];
	struct pvk_grant_stats st;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 4 * FRAME, record_grow), 0);
	alloc_n(refs, FRAME - RES);
	CHECK_EQ(hook.calls, 0);
	CHECK_EQ(pvk_grant_alloc(&refs[FRAME - RES]), 0);
	CHECK_EQ(hook.calls, 1);
	CHECK_EQ(hook.old, FRAME);
	CHECK_EQ(hook.new, 2 * FRAME);
	CHECK_EQ(refs[FRAME - RES], FRAME);	/* the new frame's first */
	CHECK(pvk_grant_ref_valid(2 * FRAME - 1));
	CHECK(!pvk_grant_ref_valid(2 * FRAME));
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refs_total, 2 * FRAME - RES);
	CHECK_EQ(st.refs_free, FRAME - 1);
	CHECK_EQ(st.grown, 1);
	/* The rest of the new frame comes without another growth, in order. */
	alloc_n(&refs[FRAME - RES + 1], FRAME - 1);
	CHECK_EQ(hook.calls, 1);
	for (uint32_t i = 1; i < FRAME; i++)
		CHECK_EQ(refs[FRAME - RES + i], FRAME + i);
	for (uint32_t i = 0; i < 2 * FRAME - RES; i++)
		pvk_grant_free(refs[i]);
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refs_free, st.refs_total);
}

UNIT_TEST(grant_ref_freed_one_reused_before_growing)
{
	pvk_grant_ref_t refs[FRAME], again;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 2 * FRAME, record_grow), 0);
	alloc_n(refs, FRAME - RES);
	pvk_grant_free(refs[100]);
	CHECK_EQ(pvk_grant_alloc(&again), 0);
	CHECK_EQ(again, refs[100]);
	CHECK_EQ(hook.calls, 0);
}

/* Past the first page of links (1,024 references): a second page. */
UNIT_TEST(grant_ref_grows_to_max_then_enospc_logged_once)
{
	static pvk_grant_ref_t refs[4 * FRAME];
	struct pvk_grant_stats st;
	pvk_grant_ref_t extra;
	uint32_t n = 4 * FRAME - RES;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 4 * FRAME, record_grow), 0);
	alloc_n(refs, n);
	CHECK_EQ(hook.calls, 3);
	CHECK_EQ(hook.new, 4 * FRAME);
	for (uint32_t i = 0; i < n; i++)
		CHECK_EQ(refs[i], RES + i);
	CHECK_EQ(pvk_grant_alloc(&extra), -PVK_XEN_ENOSPC);
	CHECK_EQ(pvk_grant_alloc(&extra), -PVK_XEN_ENOSPC);
	CHECK_EQ(hook.calls, 3);		/* never asked past the maximum */
	CHECK_EQ(log_count("grant: out of references: all 2040 in use"), 1);
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refused_full, 2);
	CHECK_EQ(st.grown, 3);
	CHECK_EQ(st.refs_free, 0);
	/* One back: handed out again, no growth, no error. */
	pvk_grant_free(refs[2000]);
	CHECK_EQ(pvk_grant_alloc(&extra), 0);
	CHECK_EQ(extra, refs[2000]);
	for (uint32_t i = 0; i < n; i++)
		pvk_grant_free(refs[i]);
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refs_free, 4 * FRAME - RES);
}

UNIT_TEST(grant_ref_failed_growth_changes_nothing)
{
	pvk_grant_ref_t refs[FRAME], extra;
	struct pvk_grant_stats st;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 2 * FRAME, record_grow), 0);
	alloc_n(refs, FRAME - RES);
	hook.fail_with = -PVK_XEN_ENOMEM;
	CHECK_EQ(pvk_grant_alloc(&extra), -PVK_XEN_ENOMEM);
	hook.fail_with = -PVK_XEN_ENOMEM;
	CHECK_EQ(pvk_grant_alloc(&extra), -PVK_XEN_ENOMEM);
	CHECK_EQ(log_count("grant: growing the table from 512 to 1024 entries failed"), 1);
	pvk_grant_refs_stats(&st);
	CHECK_EQ(st.refs_total, FRAME - RES);
	CHECK_EQ(st.refs_free, 0);
	CHECK_EQ(st.grown, 0);
	CHECK_EQ(st.refused_full, 0);
	CHECK(!pvk_grant_ref_valid(FRAME));
	/* Xen agrees the next time: the growth happens then. */
	CHECK_EQ(pvk_grant_alloc(&extra), 0);
	CHECK_EQ(extra, FRAME);
	CHECK_EQ(hook.calls, 3);
}

UNIT_TEST(grant_ref_no_hook_never_grows)
{
	pvk_grant_ref_t refs[FRAME], extra;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, FRAME, NULL), 0);
	alloc_n(refs, FRAME - RES);
	CHECK_EQ(pvk_grant_alloc(&extra), -PVK_XEN_ENOSPC);
}

UNIT_TEST(grant_ref_free_not_handed_out_panics)
{
	pvk_grant_ref_t ref;

	CHECK_EQ(pvk_grant_refs_init(FRAME, FRAME, 2 * FRAME, record_grow), 0);
	CHECK_EQ(pvk_grant_alloc(&ref), 0);
	pvk_grant_free(ref);
	CHECK_PANICS(pvk_grant_free(ref));		/* twice */
	CHECK_PANICS(pvk_grant_free(RES + 5));		/* never handed out */
	CHECK_PANICS(pvk_grant_free(0));		/* the console's */
	CHECK_PANICS(pvk_grant_free(FRAME));		/* beyond the table */
}

UNIT_TEST(grant_ref_init_refuses_bad_sizes)
{
	CHECK_EQ(pvk_grant_refs_init(RES, 1, RES, NULL), -PVK_XEN_EINVAL);
	CHECK_EQ(pvk_grant_refs_init(2 * FRAME, FRAME, FRAME, record_grow), -PVK_XEN_EINVAL);
	CHECK_EQ(pvk_grant_refs_init(FRAME, 300, 2 * FRAME, record_grow), -PVK_XEN_EINVAL);
	CHECK_EQ(pvk_grant_refs_init(FRAME, 0, 2 * FRAME, record_grow), -PVK_XEN_EINVAL);
}
