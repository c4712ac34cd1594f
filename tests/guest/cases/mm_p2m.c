/*
 * tests/guest/cases/mm_p2m.c - the kit's p2m and M2P lookups (pvkit/p2m.h).
 *
 * The kit's answers must agree with the guest's own bootmem translation
 * for frames at both ends of memory, refuse frames that are not ours (the
 * shared_info page is Xen's) and pfns past the end, and pvk_p2m_set()
 * must be what pvk_pfn_to_mfn() reads back. mm_p2m_frame_list: the
 * three-level frame list published in shared_info leads back to the p2m.
 */
#include <pvkit/p2m.h>
#include <pvkit/port.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST(mm_p2m)
{
	unsigned long nr = pvk_p2m_nr_pages();
	void *page = pvk_port_alloc_page();
	pvk_pfn_t pfns[3], last = pvk_pfn(nr - 1);
	pvk_mfn_t mfn;

	PVK_CHECK(page);
	PVK_CHECK_EQ(nr, guest_start_info->nr_pages);
	pfns[0] = pvk_pfn(0);
	pfns[1] = pvk_port_virt_to_pfn(page);
	pfns[2] = last;
	pvk_port_free_page(page);
	for (unsigned int i = 0; i < 3; i++) {
		mfn = pvk_pfn_to_mfn(pfns[i]);
		PVK_CHECK_EQ(pvk_mfn_raw(mfn), pvk_mfn_raw(guest_pfn_to_mfn(pfns[i])));
		PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), pvk_pfn_raw(pfns[i]));
		PVK_CHECK_EQ(pvk_gfn_raw(pvk_pfn_to_gfn(pfns[i])), pvk_mfn_raw(mfn));
	}

	PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(nr))), PVK_INVALID_RAW_FRAME);
	mfn = pvk_mfn(guest_start_info->shared_info >> 12);
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), PVK_INVALID_RAW_FRAME);

	/* The last pfn is beyond the start-of-day mapping: nobody uses it. */
	mfn = pvk_pfn_to_mfn(last);
	pvk_p2m_set(last, pvk_mfn(PVK_INVALID_RAW_FRAME));
	PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(last)), PVK_INVALID_RAW_FRAME);
	/* Our p2m no longer claims it, so the M2P entry alone is not enough. */
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), PVK_INVALID_RAW_FRAME);
	pvk_p2m_set(last, mfn);
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), pvk_pfn_raw(last));
}

/* The frame tree published for save/restore leads back to our p2m. */
PVK_GUEST_TEST(mm_p2m_frame_list)
{
	const struct pvk_arch_shared_info *arch = &guest_shared_info->arch;
	const pvk_xen_pfn_t *p2m = (const void *)guest_start_info->mfn_list;
	unsigned long nr = pvk_p2m_nr_pages(), pages = (nr + 511) / 512;
	const pvk_xen_pfn_t *top, *mid;

	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_EQ(arch->max_pfn, nr);
	PVK_CHECK_NE(arch->pfn_to_mfn_frame_list_list, 0);
	top = guest_mfn_to_virt(pvk_mfn(arch->pfn_to_mfn_frame_list_list), "frame list list");
	for (unsigned long i = 0; i < pages; i++) {
		mid = guest_mfn_to_virt(pvk_mfn(top[i / 512]), "frame list");
		PVK_CHECK_EQ(mid[i % 512],
			     pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(p2m + i * 512))));
	}
	/* Once published it stays put. */
	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_EQ(guest_mfn_to_virt(pvk_mfn(arch->pfn_to_mfn_frame_list_list), "again"), top);
}
