/*
 * mm/p2m_internal.h - the p2m's pages, for the files of mm/ only.
 */
#ifndef PVKIT_MM_P2M_INTERNAL_H
#define PVKIT_MM_P2M_INTERNAL_H

#include <pvkit/p2m.h>

#define PVK_P2M_PER_PAGE	(PVK_PAGE_SIZE / sizeof(pvk_xen_pfn_t))

/* Leaf l of the p2m (entries l*512 .. l*512+511); l < pvk_p2m_nr_leaves(). */
pvk_xen_pfn_t *pvk_p2m_leaf(unsigned long l);
unsigned long pvk_p2m_nr_leaves(void);
/* Its machine frame. */
pvk_mfn_t pvk_p2m_leaf_mfn(unsigned long l);

/* p2m_frame_list.c, called by p2m.c as it grows (no-ops until published):
 * name leaf l in the frame list (0 or -ENOMEM), then say the p2m now has
 * nr entries (arch.max_pfn). */
int pvk_p2m_frame_list_add(unsigned long l, pvk_mfn_t leaf);
void pvk_p2m_frame_list_grew(unsigned long nr);

#endif /* PVKIT_MM_P2M_INTERNAL_H */
