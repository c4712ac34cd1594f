/*
 * tests/guest/cases/mm_p2m.c - the kit's p2m and M2P lookups (pvkit/p2m.h).
 *
 * The kit's answers must agree with the guest's own bootmem translation
 * for frames at both ends of memory, refuse frames that are not ours (the
 * shared_info page is Xen's) and pfns past the end, and pvk_p2m_set()
 * must be what pvk_pfn_to_mfn() reads back. mm_p2m_frame_list: the
 * three-level frame list published in shared_info leads back to the p2m,
 * every entry of it (also the part past the boot size, when the balloon
 * grew the domain). mm_p2m_extend: growing the p2m gives new pfns without
 * a frame, named in the frame list, and max_pfn follows.
 */
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST(mm_p2m)
{
	unsigned long nr = pvk_p2m_nr_pages();
	void *page = pvk_port_alloc_page();
	pvk_pfn_t pfns[3], last;
	pvk_mfn_t mfn;

	PVK_CHECK(page);
	PVK_CHECK_EQ(pvk_p2m_boot_pages(), guest_start_info->nr_pages);
	PVK_CHECK_GE(nr, guest_start_info->nr_pages);
	pfns[0] = pvk_pfn(0);
	pfns[1] = pvk_port_virt_to_pfn(page);
	pfns[2] = pvk_pfn(guest_start_info->nr_pages - 1);
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

	/* The last boot pfn is in the scratch window: nobody uses it. */
	last = pfns[2];
	mfn = pvk_pfn_to_mfn(last);
	pvk_p2m_set(last, pvk_mfn(PVK_INVALID_RAW_FRAME));
	PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(last)), PVK_INVALID_RAW_FRAME);
	/* Our p2m no longer claims it, so the M2P entry alone is not enough. */
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), PVK_INVALID_RAW_FRAME);
	pvk_p2m_set(last, mfn);
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), pvk_pfn_raw(last));
}

/*
 * What the toolstack reads: arch.max_pfn entries through the three levels
 * of frames, each leaf equal to our p2m. A PVK_CHECK_CALL helper (also
 * used by mm_balloon.c's balloon_grow).
 */
void guest_check_p2m_frame_list(void)
{
	const struct pvk_arch_shared_info *arch = &guest_shared_info->arch;
	unsigned long nr = PVK_READ_ONCE(arch->max_pfn), leaves = (nr + 511) / 512;
	const pvk_xen_pfn_t *top, *mid, *leaf;

	PVK_CHECK_EQ(nr, pvk_p2m_nr_pages());
	PVK_CHECK_NE(arch->pfn_to_mfn_frame_list_list, 0);
	PVK_CHECK_EQ(arch->p2m_cr3, 0);	/* so the toolstack reads the tree */
	top = guest_mfn_to_virt(pvk_mfn(arch->pfn_to_mfn_frame_list_list), "frame list list");
	for (unsigned long l = 0; l < leaves; l++) {
		mid = guest_mfn_to_virt(pvk_mfn(top[l / 512]), "frame list");
		leaf = guest_mfn_to_virt(pvk_mfn(mid[l % 512]), "p2m leaf");
		for (unsigned long i = 0; i < 512 && l * 512 + i < nr; i++)
			PVK_CHECK_EQ(leaf[i], pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(l * 512 + i))));
	}
	guest_printf("p2m: the frame list covers %lu pfns in %lu leaves, and agrees\n",
		     nr, leaves);
}

/* The frame tree published for save/restore leads back to our p2m. */
PVK_GUEST_TEST(mm_p2m_frame_list)
{
	const struct pvk_arch_shared_info *arch = &guest_shared_info->arch;
	const pvk_xen_pfn_t *p2m = (const void *)guest_start_info->mfn_list;
	const pvk_xen_pfn_t *top, *mid;

	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_CALL(guest_check_p2m_frame_list());
	/* The boot leaves are Xen's mfn_list itself, updated in place. */
	top = guest_mfn_to_virt(pvk_mfn(arch->pfn_to_mfn_frame_list_list), "frame list list");
	mid = guest_mfn_to_virt(pvk_mfn(top[0]), "frame list");
	PVK_CHECK_EQ(mid[0], pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(p2m))));
	/* Once published it stays put. */
	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_EQ(guest_mfn_to_virt(pvk_mfn(arch->pfn_to_mfn_frame_list_list), "again"), top);
}

/*
 * Growing the p2m (what the balloon does before it populates pfns past the
 * boot size): no-ops and the 512 GiB limit leave it alone; one pfn more
 * gets a leaf from the allocator (the first time also the page of leaf
 * pointers, and a frame-list page at a 1 GiB boundary), named in the
 * published frame list, an entry without a frame, and max_pfn following;
 * 512 pfns more, exactly one more leaf. The extra pfns stay (the p2m never
 * shrinks): they have no frame, so the toolstack and the balloon skip them.
 */
PVK_GUEST_TEST(mm_p2m_extend)
{
	unsigned long nr = pvk_p2m_nr_pages();
	size_t free0, free1;

	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_EQ(guest_shared_info->arch.max_pfn, nr);
	PVK_CHECK_RC(pvk_p2m_extend(nr), 0);
	PVK_CHECK_RC(pvk_p2m_extend(nr - 1), 0);
	PVK_CHECK_RC(pvk_p2m_extend(PVK_P2M_MAX_PFNS + 1), -PVK_XEN_ENOSPC);
	PVK_CHECK_EQ(pvk_p2m_nr_pages(), nr);
	PVK_CHECK_EQ(guest_shared_info->arch.max_pfn, nr);

	free0 = guest_pages_free();
	PVK_CHECK_RC(pvk_p2m_extend(nr + 1), 0);
	free1 = guest_pages_free();
	PVK_CHECK_EQ(pvk_p2m_nr_pages(), nr + 1);
	PVK_CHECK_EQ(guest_shared_info->arch.max_pfn, nr + 1);
	PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(nr))), PVK_INVALID_RAW_FRAME);
	PVK_CHECK_CALL(guest_check_p2m_frame_list());
	PVK_CHECK_LE(free0 - free1, 3);
	if (!(nr % 512))
		PVK_CHECK_GE(free0 - free1, 1);

	/* The next leaf, inside the same 1 GiB (the sizes tested are whole
	 * multiples of 2 MiB, never the last leaf of a 1 GiB group). */
	PVK_CHECK_RC(pvk_p2m_extend(nr + 1 + 512), 0);
	if (!(nr % 512) && (nr / 512 + 1) % 512)
		PVK_CHECK_EQ(guest_pages_free(), free1 - 1);
	PVK_CHECK_EQ(guest_shared_info->arch.max_pfn, nr + 1 + 512);
	PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(nr + 512))), PVK_INVALID_RAW_FRAME);
	PVK_CHECK_CALL(guest_check_p2m_frame_list());
	guest_printf("p2m: extended from %lu to %lu pfns with %zu page(s), then by 512 with %zu\n",
		     nr, nr + 1, free0 - free1, free1 - guest_pages_free());
}
