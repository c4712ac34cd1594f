/*
 * mm/p2m_internal.h - the p2m array itself, for the files of mm/ only.
 */
#ifndef PVKIT_MM_P2M_INTERNAL_H
#define PVKIT_MM_P2M_INTERNAL_H

#include <pvkit/p2m.h>

/* start_info.mfn_list: pvk_p2m_nr_pages() entries. */
const pvk_xen_pfn_t *pvk_p2m_array(void);

#endif /* PVKIT_MM_P2M_INTERNAL_H */
