/*
 * pvkit/p2m.h - translating between pseudo-physical and machine frames.
 *
 * A PV guest sees its memory as contiguous pseudo-physical frames (pfns),
 * but its page tables must hold the machine frames (mfns) Xen gave it. Two
 * tables translate:
 *   p2m  pfn -> mfn, owned by the guest: the mfn_list Xen built for the
 *        boot memory (start_info.mfn_list), kept up to date by the kit
 *        whenever a frame changes (ballooning), and extended with pages of
 *        the kit's (pvk_port_alloc_page, one per 2 MiB of new pfns) when
 *        the domain grows past its boot size (maxmem > memory);
 *   m2p  mfn -> pfn, owned by Xen: a read-only array mapped in every PV
 *        guest at PVK_MACH2PHYS_VIRT_START; the guest asks Xen to change
 *        its own entries (PVK_MMU_MACHPHYS_UPDATE).
 * Every crossing between the typed frame numbers of pvkit/frame.h goes
 * through one of these functions.
 *
 * Where Xen puts the boot p2m (porters): by default in the start-of-day
 * area, right after the image (and initrd), mapped 1:1 with the rest of it
 * at XEN_ELFNOTE_VIRT_BASE: 8 bytes per page, 2 MiB per GiB of boot
 * memory, all inside the virtual area Xen maps at boot. A kernel that
 * gives the XEN_ELFNOTE_INIT_P2M note instead gets it at that (page
 * aligned, below VIRT_BASE) address, outside the start-of-day area, with
 * start_info.first_p2m_pfn/nr_p2m_frames naming the frames it and its page
 * tables use (keep them out of the allocator). Either way mfn_list is a
 * virtual address the kit reads and writes in place (for publishing, the
 * kit finds the frames of a default-placed list through
 * pvk_port_virt_to_pfn, of an INIT_P2M one through first_p2m_pfn). The
 * reference guest uses the default placement: the INIT_P2M path is not
 * yet proven on Xen.
 */
#ifndef PVKIT_P2M_H
#define PVKIT_P2M_H

#include <pvkit/frame.h>
#include <pvkit/xen/xen.h>

/* Takes over start_info's mfn_list. Call once, before any other p2m or mmu
 * function. */
void pvk_p2m_init(const struct pvk_start_info *si);

/* Most pfns this p2m covers: what one frame-list-list page names for the
 * toolstack (512 x 512 x 512 entries), 512 GiB of memory. */
#define PVK_P2M_MAX_PFNS	(512UL * 512 * 512)

/* Number of pfns the p2m covers: start_info.nr_pages at boot, more after
 * pvk_p2m_extend(). */
unsigned long pvk_p2m_nr_pages(void);

/* start_info.nr_pages: the pfns Xen populated at boot. */
unsigned long pvk_p2m_boot_pages(void);

/* Make the p2m cover nr pfns (the new ones without a frame), allocating
 * its pages (pvk_port_alloc_page, one per 512 pfns) and naming them in the
 * published frame list before max_pfn moves. 0 (also when it already
 * covers nr), -PVK_XEN_ENOSPC beyond PVK_P2M_MAX_PFNS, -PVK_XEN_ENOMEM.
 * The balloon calls it before it populates pfns past the boot size. */
int pvk_p2m_extend(unsigned long nr);

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
 * pfn_to_mfn_frame_list_list that save/restore reads), kept up to date as
 * the p2m grows. Once; 0 or a negative PVK_XEN_E* error. */
int pvk_p2m_publish(struct pvk_shared_info *shinfo);
bool pvk_p2m_published(void);
/* suspend/, after a resume in a new domain: the tree named again with the
 * new mfns (the toolstack rewrote the leaves) and published in shinfo,
 * the new shared_info. -PVK_XEN_ENODEV when it was never published. */
int pvk_p2m_republish(struct pvk_shared_info *shinfo);

/* For a PV guest, the frame Xen and backends know ours by (grants, rings). */
static inline pvk_gfn_t pvk_pfn_to_gfn(pvk_pfn_t pfn)
{
	return pvk_pv_mfn_to_gfn(pvk_pfn_to_mfn(pfn));
}

#endif /* PVKIT_P2M_H */
