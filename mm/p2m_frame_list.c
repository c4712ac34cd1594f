/*
 * mm/p2m_frame_list.c - publishing where the p2m lives, for the toolstack.
 *
 * Save/restore and migration read a PV guest's p2m from outside, so the
 * guest publishes it in shared_info's arch part as a three-level tree of
 * machine frames:
 *
 *   arch.pfn_to_mfn_frame_list_list -> one page: mfns of the "mid" pages
 *   mid page j                      -> mfns of leaves j*512 .. j*512+511
 *   leaf i                          -> the p2m entries i*512 .. i*512+511
 *
 * and arch.max_pfn, the number of entries the toolstack may read. The
 * leaves are the p2m's own pages (p2m.c), updated in place, so the tree
 * only changes when the p2m grows: a new leaf is named in its mid page
 * (a new mid page in the top one) before p2m.c lets anything reach it,
 * and max_pfn moves last. We leave arch.p2m_cr3 at 0: that field is for a
 * virtually linear p2m (Linux's), which this one is not, and with it 0 the
 * toolstack reads this tree. One top page names 512 mids of 512 leaves:
 * PVK_P2M_MAX_PFNS.
 */
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "p2m_internal.h"

#define PER_PAGE PVK_P2M_PER_PAGE

static struct pvk_shared_info *shared;	/* set once published */
static pvk_xen_pfn_t *top;
static pvk_xen_pfn_t *mids[PER_PAGE];

static uint64_t mfn_of(const void *va)
{
	return pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va)));
}

/* Leaf l named in its mid page; the mid page allocated and named in the
 * top page first if it is new. */
static int name_leaf(unsigned long l, pvk_mfn_t leaf)
{
	pvk_xen_pfn_t *mid = mids[l / PER_PAGE];

	if (!mid) {
		mid = pvk_port_alloc_page();
		if (!mid)
			return -PVK_XEN_ENOMEM;
		mids[l / PER_PAGE] = mid;
	}
	PVK_WRITE_ONCE(mid[l % PER_PAGE], pvk_mfn_raw(leaf));
	pvk_barrier();	/* the mid page is filled before the top names it */
	PVK_WRITE_ONCE(top[l / PER_PAGE], mfn_of(mid));
	return 0;
}

int pvk_p2m_frame_list_add(unsigned long l, pvk_mfn_t leaf)
{
	return shared ? name_leaf(l, leaf) : 0;
}

void pvk_p2m_frame_list_grew(unsigned long nr)
{
	if (!shared)
		return;
	pvk_barrier();	/* every leaf below nr is named before max_pfn says so */
	PVK_WRITE_ONCE(shared->arch.max_pfn, nr);
}

int pvk_p2m_publish(struct pvk_shared_info *shinfo)
{
	unsigned long leaves = pvk_p2m_nr_leaves();
	int rc = 0;

	if (shared)
		return 0;
	top = pvk_port_alloc_page();
	if (!top)
		return -PVK_XEN_ENOMEM;
	for (unsigned long l = 0; l < leaves && !rc; l++)
		rc = name_leaf(l, pvk_p2m_leaf_mfn(l));
	if (rc) {
		/* Unpublished: nothing points at these pages yet. */
		for (unsigned int j = 0; j < PER_PAGE; j++) {
			if (mids[j])
				pvk_port_free_page(mids[j]);
			mids[j] = NULL;
		}
		pvk_port_free_page(top);
		top = NULL;
		return rc;
	}
	PVK_WRITE_ONCE(shinfo->arch.max_pfn, pvk_p2m_nr_pages());
	pvk_barrier();	/* the tree is complete before it is published */
	PVK_WRITE_ONCE(shinfo->arch.pfn_to_mfn_frame_list_list, mfn_of(top));
	shared = shinfo;
	return 0;
}

bool pvk_p2m_published(void)
{
	return shared != NULL;
}

/*
 * After a resume in a new domain (suspend/): the toolstack wrote the new
 * mfns into the leaves (it found them through this tree as it saved us)
 * but not into the tree itself, whose pages are plain memory of ours
 * holding the old domain's mfns; and the new shared_info names no tree
 * (the toolstack clears the field). Every leaf and mid page is named
 * again by its new mfn, then the tree is published in the new page.
 */
int pvk_p2m_republish(struct pvk_shared_info *shinfo)
{
	unsigned long leaves = pvk_p2m_nr_leaves();
	int rc = 0;

	if (!shared)
		return -PVK_XEN_ENODEV;
	for (unsigned long l = 0; l < leaves && !rc; l++)
		rc = name_leaf(l, pvk_p2m_leaf_mfn(l));
	if (rc)
		return rc;
	PVK_WRITE_ONCE(shinfo->arch.max_pfn, pvk_p2m_nr_pages());
	pvk_barrier();
	PVK_WRITE_ONCE(shinfo->arch.pfn_to_mfn_frame_list_list, mfn_of(top));
	shared = shinfo;
	return 0;
}
