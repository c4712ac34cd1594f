/*
 * pvkit/grant.h - grant tables (v1): letting another domain map our pages.
 *
 * A frontend shares a page with its backend by writing an entry of the
 * grant table (a table in frames Xen shares with us) naming the page, the
 * domain and read-only or read-write; the backend maps it by reference.
 * Taking the grant back is only safe once the backend no longer maps it:
 * pvk_grant_end_access() refuses while Xen says the page is mapped, and the
 * page must then be neither freed nor reused (the XSA-396 rule) - the
 * caller learns the backend is misbehaving and should stop trusting it.
 *
 * Frontends use grants only through this interface.
 */
#ifndef PVKIT_GRANT_H
#define PVKIT_GRANT_H

#include <pvkit/frame.h>
#include <pvkit/xen/grant_table.h>

struct pvk_grant_stats {
	uint64_t granted;	/* pvk_grant_access() calls that granted */
	uint64_t ended;		/* grants taken back */
	uint64_t end_busy;	/* end_access refused: the other side maps it */
	uint64_t pages_kept;	/* pages never freed because still mapped */
	uint32_t refs_total;	/* references the kit hands out (grows) */
	uint32_t refs_free;
	uint32_t frames;	/* frames of the table now */
	uint32_t max_frames;	/* it grows up to this many */
	uint64_t grown;		/* growths, one frame each */
	uint64_t refused_full;	/* allocations refused at max_frames */
};

/*
 * Virtual address space pvk_grant_init() uses from its va: room for this
 * many table frames (1 MiB). The table grows up to the smaller of this and
 * Xen's maximum for the domain (GNTTABOP_query_size's max_nr_frames:
 * xl's max_grant_frames, 64 by default in Xen 4.17 as the kit runs it).
 */
#define PVK_GRANT_WINDOW_FRAMES	256

/*
 * Set up the grant table with nr_frames frames (GNTTABOP_setup_table) and
 * map them at va, the start of PVK_GRANT_WINDOW_FRAMES pages of virtual
 * address space the kernel leaves to the kit (unmapped now; page tables
 * come from pvk_mmu). The table grows later, one frame at a time, when the
 * references run out (pvk_grant_alloc()). Needs pvk_mmu_init(). 0 or a
 * negative PVK_XEN_E* error (logged); -EINVAL when nr_frames is more than
 * the table may have.
 */
int pvk_grant_init(unsigned long va, unsigned int nr_frames);

/*
 * A free grant reference (never one of the reserved first entries). When
 * none is free the table grows by one frame (512 references) first: a
 * GNTTABOP_setup_table, the new frame mapped (a page table page may be
 * allocated), a page for the free list every 1,024 references. That runs
 * with upcalls masked and never sleeps, so any context that may allocate
 * a reference may grow the table: thread, event handler, under a kit or
 * host spin lock - but not under pvk_mmu's own lock (the kit never does).
 * -PVK_XEN_ENOSPC once the table has max_frames and every reference is in
 * use (logged the first time, counted in refused_full); -ENOMEM or Xen's
 * refusal when a growth failed (logged).
 */
int pvk_grant_alloc(pvk_grant_ref_t *ref);
/* Give back a reference whose access has ended (or never started). */
void pvk_grant_free(pvk_grant_ref_t ref);

/* Let domid access frame gfn through ref, read-only or read-write. */
void pvk_grant_access(pvk_grant_ref_t ref, pvk_domid_t domid, pvk_gfn_t gfn,
		      bool readonly);
/* pvk_grant_alloc() + pvk_grant_access() of one of our pages. */
int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref);

/*
 * Take the grant back. 0: the other side can no longer map the page, and
 * ref is free again. -PVK_XEN_EBUSY: it still maps it: the grant stays,
 * ref stays allocated, the page must not be freed or reused; try again
 * later, and treat the other side as untrustworthy.
 */
int pvk_grant_end_access(pvk_grant_ref_t ref);
/* The same, then pvk_port_free_page(page) on success; on -EBUSY the page
 * is kept forever (counted in pages_kept) unless ended later. */
int pvk_grant_end_access_page(pvk_grant_ref_t ref, void *page);

/* Whether the other side currently maps the grant (GTF_reading/writing). */
bool pvk_grant_in_use(pvk_grant_ref_t ref);

void pvk_grant_stats_snapshot(struct pvk_grant_stats *out);

/* suspend/: the table's frames unmapped before the suspend hypercall
 * (the toolstack refuses page tables naming Xen's frames), mapped again
 * after it (a new domain: a new, empty table of as many frames). */
int pvk_grant_suspend(void);
int pvk_grant_resume(void);

#endif /* PVKIT_GRANT_H */
