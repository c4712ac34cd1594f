/*
 * mm/p2m.c - the p2m (pfn -> mfn) and lookups in Xen's M2P.
 *
 * The p2m starts as the array Xen's domain builder wrote for the boot
 * memory (start_info.mfn_list: nr_pages machine frame numbers indexed by
 * pfn, a virtual address wherever Xen put it: in the start-of-day area, or
 * at the XEN_ELFNOTE_INIT_P2M address). That array cannot grow in place
 * (start_info follows it), so pfns past it live in "leaf" pages of 512
 * entries the kit allocates when the domain grows beyond its boot size
 * (pvk_p2m_extend(), called by the balloon before it populates new pfns):
 *
 *   pfn < boot_nr            boot_p2m[pfn]
 *   boot_nr <= pfn < end     leaf(pfn / 512)[pfn % 512]
 *
 * where leaf l is page l of the boot array while that exists (its last
 * page may be partly past boot_nr: the rest of that page belongs to the
 * p2m segment and is used), and ext[l / 512][l % 512] after it. Leaves
 * are the unit the toolstack's frame list names (p2m_frame_list.c), so
 * the two stay in step. One frame-list-list page names 512 x 512 leaves:
 * PVK_P2M_MAX_PFNS pfns, 512 GiB, is the most this p2m covers.
 *
 * The M2P is Xen's read-only array indexed by mfn. A frame is ours only
 * when both agree: the M2P alone may hold stale or foreign entries.
 */
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/errno.h>

#include "p2m_internal.h"

#define PER_PAGE	PVK_P2M_PER_PAGE

static pvk_xen_pfn_t *boot_p2m;
static unsigned long boot_nr, boot_leaves;	/* leaves: pages of boot_p2m */
static unsigned long init_p2m_pfn = ~0UL;	/* XEN_ELFNOTE_INIT_P2M: its first pfn */
static pvk_xen_pfn_t **ext[PER_PAGE];		/* mid pages of leaf pointers */
static unsigned long p2m_end;			/* pfns below may have a frame */
static unsigned long nr_leaves;			/* leaves that exist */

void pvk_p2m_init(const struct pvk_start_info *si)
{
	unsigned long tail;

	if (!si->mfn_list || !si->nr_pages)
		pvk_port_panic("pvk_p2m_init: start_info has no mfn_list");
	if (si->mfn_list & (PVK_PAGE_SIZE - 1))
		pvk_port_panic("pvk_p2m_init: mfn_list is not page-aligned");
	if (si->nr_pages > PVK_P2M_MAX_PFNS)
		pvk_port_panic("pvk_p2m_init: more pages than one frame-list-list covers");
	boot_p2m = (pvk_xen_pfn_t *)si->mfn_list;
	/* The builder fills these only for a p2m it placed at INIT_P2M's
	 * address: the list first, then its page tables. */
	if (si->nr_p2m_frames)
		init_p2m_pfn = si->first_p2m_pfn;
	boot_nr = p2m_end = si->nr_pages;
	boot_leaves = nr_leaves = (boot_nr + PER_PAGE - 1) / PER_PAGE;
	/* The last page's tail is ours (the builder's segment is whole
	 * pages) but not written by Xen: no frame there. */
	tail = nr_leaves * PER_PAGE;
	for (unsigned long pfn = boot_nr; pfn < tail; pfn++)
		PVK_WRITE_ONCE(boot_p2m[pfn], PVK_INVALID_RAW_FRAME);
}

unsigned long pvk_p2m_nr_pages(void)
{
	return PVK_READ_ONCE(p2m_end);
}

unsigned long pvk_p2m_boot_pages(void)
{
	return boot_nr;
}

pvk_xen_pfn_t *pvk_p2m_leaf(unsigned long l)
{
	if (l < boot_leaves)
		return boot_p2m + l * PER_PAGE;
	return ext[l / PER_PAGE][l % PER_PAGE];
}

pvk_mfn_t pvk_p2m_leaf_mfn(unsigned long l)
{
	/* A leaf at INIT_P2M's address is not in the host's 1:1 map: its pfn
	 * is known from start_info instead. */
	if (l < boot_leaves && init_p2m_pfn != ~0UL)
		return pvk_pfn_to_mfn(pvk_pfn(init_p2m_pfn + l));
	return pvk_pfn_to_mfn(pvk_port_virt_to_pfn(pvk_p2m_leaf(l)));
}

unsigned long pvk_p2m_nr_leaves(void)
{
	return nr_leaves;
}

static pvk_xen_pfn_t *slot(unsigned long pfn)
{
	if (pfn < boot_nr)
		return &boot_p2m[pfn];
	return &pvk_p2m_leaf(pfn / PER_PAGE)[pfn % PER_PAGE];
}

pvk_mfn_t pvk_pfn_to_mfn(pvk_pfn_t pfn)
{
	if (pvk_pfn_raw(pfn) >= PVK_READ_ONCE(p2m_end))
		return pvk_mfn(PVK_INVALID_RAW_FRAME);
	/* The leaf behind p2m_end was published before it: read it after
	 * (x86 keeps loads in order; this keeps the compiler from hoisting). */
	pvk_barrier();
	return pvk_mfn(PVK_READ_ONCE(*slot(pvk_pfn_raw(pfn))));
}

pvk_pfn_t pvk_mfn_to_pfn(pvk_mfn_t mfn)
{
	const unsigned long *m2p = (const unsigned long *)PVK_MACH2PHYS_VIRT_START;
	uint64_t raw;

	if (pvk_mfn_raw(mfn) >= PVK_MACH2PHYS_NR_ENTRIES)
		return pvk_pfn(PVK_INVALID_RAW_FRAME);
	raw = PVK_READ_ONCE(m2p[pvk_mfn_raw(mfn)]);
	if (raw >= PVK_READ_ONCE(p2m_end) || !pvk_mfn_eq(pvk_pfn_to_mfn(pvk_pfn(raw)), mfn))
		return pvk_pfn(PVK_INVALID_RAW_FRAME);
	return pvk_pfn(raw);
}

void pvk_p2m_set(pvk_pfn_t pfn, pvk_mfn_t mfn)
{
	if (pvk_pfn_raw(pfn) >= p2m_end) {
		pvk_err("p2m: pfn 0x%llx beyond the p2m (%lu pages)",
			(unsigned long long)pvk_pfn_raw(pfn), p2m_end);
		pvk_port_panic("pvk_p2m_set: pfn out of range");
	}
	PVK_WRITE_ONCE(*slot(pvk_pfn_raw(pfn)), pvk_mfn_raw(mfn));
}

/* One more leaf, all entries without a frame; 0 or -ENOMEM. */
static int add_leaf(void)
{
	unsigned long l = nr_leaves;
	pvk_xen_pfn_t *leaf;
	int rc;

	if (!ext[l / PER_PAGE]) {
		ext[l / PER_PAGE] = pvk_port_alloc_page();
		if (!ext[l / PER_PAGE])
			return -PVK_XEN_ENOMEM;
	}
	leaf = pvk_port_alloc_page();
	if (!leaf)
		return -PVK_XEN_ENOMEM;
	for (unsigned int i = 0; i < PER_PAGE; i++)
		leaf[i] = PVK_INVALID_RAW_FRAME;
	/* Named in the published frame list before anyone can reach it. */
	rc = pvk_p2m_frame_list_add(l, pvk_pfn_to_mfn(pvk_port_virt_to_pfn(leaf)));
	if (rc) {
		pvk_port_free_page(leaf);
		return rc;
	}
	ext[l / PER_PAGE][l % PER_PAGE] = leaf;
	nr_leaves = l + 1;
	return 0;
}

int pvk_p2m_extend(unsigned long nr)
{
	int rc = 0;

	if (nr <= p2m_end)
		return 0;
	if (nr > PVK_P2M_MAX_PFNS) {
		pvk_err("p2m: %lu pfns is more than the %lu one frame-list-list covers",
			nr, (unsigned long)PVK_P2M_MAX_PFNS);
		return -PVK_XEN_ENOSPC;
	}
	while (!rc && nr_leaves * PER_PAGE < nr)
		rc = add_leaf();
	if (rc) {
		pvk_err("p2m: out of pages to extend the p2m to %lu pfns", nr);
		return rc;
	}
	pvk_barrier();	/* the leaves are complete before lookups reach them */
	PVK_WRITE_ONCE(p2m_end, nr);
	pvk_p2m_frame_list_grew(nr);
	return 0;
}
