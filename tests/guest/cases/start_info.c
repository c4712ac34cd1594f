/*
 * tests/guest/cases/start_info.c - what the domain builder handed us.
 *
 * start_info: the magic, our size, that we are an unprivileged domU, and
 * that the p2m list, the console and xenstore rings and the bootstrap page
 * tables are where the start-of-day layout says. p2m_m2p: the p2m list and
 * Xen's machine-to-phys table describe the same frames, entry by entry.
 */
#include <pvkit/port.h>
#include <pvkit/xen/xen.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

/* A frame given by machine number must be one of ours, in the mapped area. */
static bool own_mapped_mfn(uint64_t mfn)
{
	pvk_pfn_t pfn = guest_mfn_to_pfn(pvk_mfn(mfn));

	return pvk_pfn_raw(pfn) < guest_start_info->nr_pages &&
	       pvk_mfn_raw(guest_pfn_to_mfn(pfn)) == mfn &&
	       guest_pfn_is_mapped(pfn);
}

PVK_GUEST_TEST(start_info)
{
	const struct pvk_start_info *si = guest_start_info;
	unsigned long image = (unsigned long)__image_end - PVK_GUEST_VIRT_BASE;

	PVK_CHECK(!memcmp(si->magic, "xen-3.0-x86_64", sizeof("xen-3.0-x86_64")));
	/* At least the image, at most what a small test domain gets. */
	PVK_CHECK_GE(si->nr_pages * PVK_PAGE_SIZE, image);
	PVK_CHECK_LE(si->nr_pages, 1UL << 20);
	PVK_CHECK_EQ(si->flags & (PVK_SIF_PRIVILEGED | PVK_SIF_INITDOMAIN), 0);

	PVK_CHECK_NE(si->shared_info, 0);
	PVK_CHECK_EQ(si->shared_info % PVK_PAGE_SIZE, 0);

	/* Elements follow the image, page aligned, inside the mapping. */
	PVK_CHECK_GE(si->mfn_list, (unsigned long)__image_end);
	PVK_CHECK_EQ(si->mfn_list % PVK_PAGE_SIZE, 0);
	PVK_CHECK_GE((unsigned long)si, si->mfn_list + si->nr_pages * 8);
	PVK_CHECK_EQ(si->pt_base % PVK_PAGE_SIZE, 0);
	PVK_CHECK(guest_virt_is_mapped(si->pt_base, si->nr_pt_frames * PVK_PAGE_SIZE));
	PVK_CHECK_GE(si->nr_pt_frames, 4);	/* at least L4, L3, L2, L1 */

	/* A domU has console and xenstore rings of its own, with channels
	 * (port 0 is never a valid event channel). */
	PVK_CHECK(own_mapped_mfn(si->console.domU.mfn));
	PVK_CHECK_NE(si->console.domU.evtchn, 0);
	PVK_CHECK(own_mapped_mfn(si->store_mfn));
	PVK_CHECK_NE(si->store_evtchn, 0);
	PVK_CHECK_NE(si->store_mfn, si->console.domU.mfn);

	/* Our free page pool starts where Xen stopped. */
	PVK_CHECK_GE(guest_free_start, si->pt_base + si->nr_pt_frames * PVK_PAGE_SIZE);
}

PVK_GUEST_TEST(p2m_m2p)
{
	const struct pvk_start_info *si = guest_start_info;

	for (uint64_t pfn = 0; pfn < si->nr_pages; pfn++) {
		pvk_mfn_t mfn = guest_pfn_to_mfn(pvk_pfn(pfn));

		if (pvk_pfn_raw(guest_mfn_to_pfn(mfn)) != pfn)
			PVK_FAIL("pfn 0x%llx -> mfn 0x%llx -> pfn 0x%llx",
				 (unsigned long long)pfn,
				 (unsigned long long)pvk_mfn_raw(mfn),
				 (unsigned long long)pvk_pfn_raw(guest_mfn_to_pfn(mfn)));
	}
	/* The image's first page: pfn 0 at VIRT_BASE. */
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_port_virt_to_pfn(__image_start)), 0);
}
