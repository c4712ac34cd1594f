/*
 * tests/guest/cases/mm_balloon.c - ballooning on real Xen (pvkit/balloon.h).
 *
 * The last BALLOON_PAGES frames of the domain (past the start-of-day
 * mapping, used by nothing) go back to Xen and come back: the domain's
 * reservation shrinks and grows by exactly that, the p2m follows, Xen's
 * M2P knows the new frames, and a new frame maps and holds data.
 * balloon_mem_set (explicit, scenario guest-balloon): the balloon driver
 * follows `xl mem-set` down to 48 MiB and back up to 64 MiB.
 */
#include <pvkit/balloon.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define BALLOON_PAGES	256
#define BALLOON_VA	0xffff978000000000UL	/* L4 slot 303 */

PVK_GUEST_TEST(mm_balloon)
{
	static pvk_pfn_t pfns[BALLOON_PAGES];
	static pvk_mfn_t old[BALLOON_PAGES];
	struct pvk_balloon_stats s0, s1;
	unsigned long avail;
	pvk_pfn_t first;
	long cur0;

	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, 4096 + BALLOON_PAGES);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++) {
		pfns[i] = pvk_pfn(pvk_pfn_raw(first) + avail - BALLOON_PAGES + i);
		old[i] = pvk_pfn_to_mfn(pfns[i]);
	}
	cur0 = pvk_balloon_current_pages();
	PVK_CHECK_GE(cur0, 1);
	pvk_balloon_stats_snapshot(&s0);

	PVK_CHECK_EQ(pvk_balloon_release(pfns, BALLOON_PAGES), BALLOON_PAGES);
	PVK_CHECK_EQ(pvk_balloon_current_pages(), cur0 - BALLOON_PAGES);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(pfns[i])), PVK_INVALID_RAW_FRAME);
	/* The frames are Xen's now: our M2P view no longer calls them ours. */
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(old[0])), PVK_INVALID_RAW_FRAME);
	guest_printf("balloon: expecting an error for releasing an empty pfn\n");
	PVK_CHECK_RC(pvk_balloon_release(pfns, 1), -PVK_XEN_EINVAL);

	PVK_CHECK_EQ(pvk_balloon_populate(pfns, BALLOON_PAGES), BALLOON_PAGES);
	PVK_CHECK_EQ(pvk_balloon_current_pages(), cur0);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(pvk_pfn_to_mfn(pfns[i]))),
			     pvk_pfn_raw(pfns[i]));
	guest_printf("balloon: expecting an error for populating a populated pfn\n");
	PVK_CHECK_RC(pvk_balloon_populate(pfns, 1), -PVK_XEN_EEXIST);
	pvk_balloon_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.released - s0.released, BALLOON_PAGES);
	PVK_CHECK_EQ(s1.populated - s0.populated, BALLOON_PAGES);

	PVK_CHECK_RC(pvk_mmu_map_range(BALLOON_VA, pfns[0], BALLOON_PAGES, PVK_PTE_KERNEL_RW), 0);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[3] = 0xba11 + i;
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[3], 0xba11 + i);
	PVK_CHECK_RC(pvk_mmu_unmap_range(BALLOON_VA, BALLOON_PAGES), 0);
	guest_printf("balloon: %d frames released and populated again, reservation %ld pages\n",
		     BALLOON_PAGES, cur0);
}

/*
 * The balloon driver under `xl mem-set` (explicit; scenario guest-balloon).
 * The guest lends the driver frames from the top of its unmapped memory,
 * below the ones mm_balloon uses, never near the ones the mm tests map.
 */
#define MAX_PFNS	(1UL << 18)	/* 1 GiB domains */

static uint8_t lent[MAX_PFNS / 8];
static unsigned long lend_lo, lend_hi;	/* pfns [lo, hi) may be lent */

static bool take_frame(pvk_pfn_t *pfn)
{
	for (unsigned long p = lend_hi; p-- > lend_lo;) {
		if (!(lent[p / 8] & (1u << (p % 8)))) {
			lent[p / 8] |= (uint8_t)(1u << (p % 8));
			*pfn = pvk_pfn(p);
			return true;
		}
	}
	return false;
}

static void give_frame(pvk_pfn_t pfn)
{
	unsigned long p = pvk_pfn_raw(pfn);

	lent[p / 8] &= (uint8_t)~(1u << (p % 8));
}

static const struct pvk_balloon_host balloon_host = {
	.take_frame = take_frame,
	.give_frame = give_frame,
};

/* Runs watches until the driver holds pages, at most timeout_s seconds. */
static bool wait_pages(unsigned long pages, unsigned int timeout_s)
{
	for (unsigned int i = 0; i < timeout_s && pvk_balloon_pages() != pages; i++)
		pvk_xs_wait_watches(1000 * 1000 * 1000ULL);
	return pvk_balloon_pages() == pages;
}

PVK_GUEST_TEST_EXPLICIT(balloon_mem_set)
{
	unsigned long avail, low = 48 * 256, high = 64 * 256;
	pvk_pfn_t first;
	long xen0, xen1;

	guest_unmapped_pfns(&first, &avail);
	lend_lo = pvk_pfn_raw(first) + 4096 + 64;
	lend_hi = pvk_pfn_raw(first) + avail - BALLOON_PAGES;
	PVK_CHECK_LE(lend_hi, MAX_PFNS);
	PVK_CHECK_EQ(pvk_p2m_nr_pages(), high);	/* the scenario's MEMORY=64 */
	guest_events_enable();
	PVK_CHECK_RC(pvk_balloon_target_init(&balloon_host), 0);
	pvk_xs_run_watches();
	xen0 = pvk_balloon_current_pages();

	guest_printf("balloon: ready for xl mem-set 48m\n");
	PVK_CHECK(wait_pages(low, 60));
	xen1 = pvk_balloon_current_pages();
	guest_printf("balloon: shrunk to %lu pages, Xen counts %ld (was %ld)\n",
		     pvk_balloon_pages(), xen1, xen0);
	PVK_CHECK_EQ(xen0 - xen1, high - low);

	guest_printf("balloon: ready for xl mem-set 64m\n");
	PVK_CHECK(wait_pages(high, 60));
	guest_printf("balloon: grew back to %lu pages, Xen counts %ld\n",
		     pvk_balloon_pages(), pvk_balloon_current_pages());
	PVK_CHECK_EQ(pvk_balloon_current_pages(), xen0);

	/* The frames that came back hold data. */
	PVK_CHECK_RC(pvk_mmu_map_range(BALLOON_VA, pvk_pfn(lend_hi - 64), 64, PVK_PTE_KERNEL_RW), 0);
	for (unsigned int i = 0; i < 64; i++)
		((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[9] = 0xb0b0 + i;
	for (unsigned int i = 0; i < 64; i++)
		PVK_CHECK_EQ(((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[9], 0xb0b0 + i);
	PVK_CHECK_RC(pvk_mmu_unmap_range(BALLOON_VA, 64), 0);
}
