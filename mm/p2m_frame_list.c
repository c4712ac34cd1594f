/*
 * mm/p2m_frame_list.c - publishing where the p2m lives, for the toolstack.
 *
 * Save/restore and migration read a PV guest's p2m from outside, so the
 * guest publishes it in shared_info's arch part as a three-level tree of
 * machine frames:
 *
 *   arch.pfn_to_mfn_frame_list_list -> one page: mfns of the "mid" pages
 *   mid page j                      -> mfns of p2m pages j*512 .. j*512+511
 *   p2m page i                      -> the p2m entries i*512 .. i*512+511
 *
 * and arch.max_pfn, the number of entries. The p2m pages never move (the
 * p2m is updated in place), so the tree is built once.
 */
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "p2m_internal.h"

#define PER_PAGE (PVK_PAGE_SIZE / sizeof(pvk_xen_pfn_t))

static pvk_xen_pfn_t *top;

static uint64_t mfn_of(const void *va)
{
	return pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va)));
}

int pvk_p2m_publish(struct pvk_shared_info *shinfo)
{
	const pvk_xen_pfn_t *p2m = pvk_p2m_array();
	unsigned long nr = pvk_p2m_nr_pages();
	unsigned long p2m_pages = (nr + PER_PAGE - 1) / PER_PAGE;
	unsigned long mid_pages = (p2m_pages + PER_PAGE - 1) / PER_PAGE;
	pvk_xen_pfn_t **mids;
	unsigned long n = 0;

	if (top)
		return 0;
	if ((unsigned long)p2m & (PVK_PAGE_SIZE - 1)) {
		pvk_err("p2m: the p2m at %p is not page-aligned", (const void *)p2m);
		return -PVK_XEN_EINVAL;
	}
	if (mid_pages > PER_PAGE) {
		pvk_err("p2m: %lu pages need more than one frame-list-list page", nr);
		return -PVK_XEN_EINVAL;
	}
	mids = pvk_port_malloc(mid_pages * sizeof(*mids));
	top = pvk_port_alloc_page();
	for (n = 0; mids && top && n < mid_pages; n++) {
		mids[n] = pvk_port_alloc_page();
		if (!mids[n])
			break;
	}
	if (!mids || !top || n < mid_pages) {
		/* Unpublished: nothing points at these pages yet. */
		for (unsigned long k = 0; mids && k < n; k++)
			pvk_port_free_page(mids[k]);
		if (top)
			pvk_port_free_page(top);
		pvk_port_free(mids);
		top = NULL;
		return -PVK_XEN_ENOMEM;
	}
	for (unsigned long i = 0; i < p2m_pages; i++)
		mids[i / PER_PAGE][i % PER_PAGE] = mfn_of(p2m + i * PER_PAGE);
	for (unsigned long j = 0; j < mid_pages; j++)
		top[j] = mfn_of(mids[j]);
	pvk_port_free(mids);
	PVK_WRITE_ONCE(shinfo->arch.max_pfn, nr);
	pvk_barrier();	/* the tree is complete before it is published */
	PVK_WRITE_ONCE(shinfo->arch.pfn_to_mfn_frame_list_list, mfn_of(top));
	return 0;
}
