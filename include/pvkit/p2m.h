/*
 * pvkit/p2m.h - translating between pseudo-physical and machine frames.
 *
 * A PV guest sees its memory as contiguous pseudo-physical frames (pfns),
 * but its page tables must hold the machine frames (mfns) Xen gave it. Two
 * tables translate:
 *   p2m  pfn -> mfn, owned by the guest: the mfn_list Xen built in the
 *        start-of-day area (start_info.mfn_list), kept up to date by the kit
 *        whenever a frame changes (ballooning);
 *   m2p  mfn -> pfn, owned by Xen: a read-only array mapped in every PV
 *        guest at PVK_MACH2PHYS_VIRT_START; the guest asks Xen to change
 *        its own entries (PVK_MMU_MACHPHYS_UPDATE).
 * Every crossing between the typed frame numbers of pvkit/frame.h goes
 * through one of these functions.
 */
#ifndef PVKIT_P2M_H
#define PVKIT_P2M_H

#include <pvkit/frame.h>
#include <pvkit/xen/xen.h>

/* Takes over start_info's mfn_list. Call once, before any other p2m or mmu
 * function. */
void pvk_p2m_init(const struct pvk_start_info *si);

/* Number of pfns the p2m covers (start_info.nr_pages). */
unsigned long pvk_p2m_nr_pages(void);

/* The machine frame behind pfn; PVK_INVALID_RAW_FRAME beyond the p2m or
 * for a frame given back to Xen. */
pvk_mfn_t pvk_pfn_to_mfn(pvk_pfn_t pfn);

/* The pfn Xen's M2P records for mfn, checked against our p2m:
 * PVK_INVALID_RAW_FRAME if the frame is not ours (a foreign or Xen frame,
 * or an mfn beyond the M2P). */
pvk_pfn_t pvk_mfn_to_pfn(pvk_mfn_t mfn);

/* Records pfn -> mfn in the p2m (PVK_INVALID_RAW_FRAME: pfn has no frame).
 * The M2P side is pvk_mmu_set_m2p() (pvkit/mmu.h). */
void pvk_p2m_set(pvk_pfn_t pfn, pvk_mfn_t mfn);

/* Publishes the p2m in shinfo->arch (max_pfn and the three-level
 * pfn_to_mfn_frame_list_list that save/restore reads). Once; 0 or a
 * negative PVK_XEN_E* error. */
int pvk_p2m_publish(struct pvk_shared_info *shinfo);

/* For a PV guest, the frame Xen and backends know ours by (grants, rings). */
static inline pvk_gfn_t pvk_pfn_to_gfn(pvk_pfn_t pfn)
{
	return pvk_pv_mfn_to_gfn(pvk_pfn_to_mfn(pfn));
}

#endif /* PVKIT_P2M_H */
