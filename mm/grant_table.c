/*
 * mm/grant_table.c - the v1 grant table: setup, granting access, ending it.
 *
 * The table lives in frames Xen owns and shares with us; setup_table
 * returns their machine frames and we map them like any other frame, in a
 * window of PVK_GRANT_WINDOW_FRAMES pages from the host's va. It grows
 * (grant_ref.c decides when) by asking setup_table for one frame more:
 * Xen extends the table, keeps the frames it had and returns them all;
 * only the new one is mapped.
 * Each entry is { flags, domid, frame }: Xen only looks at an entry whose
 * flags say GTF_permit_access, so the flags are written last (after a
 * barrier) when granting, and cleared with a compare-and-exchange when
 * ending, so that Xen setting GTF_reading/GTF_writing (a new mapping) in
 * between is seen rather than lost. That exchange is the XSA-396 fix: an
 * entry is only invalidated when no mapping exists at that instant.
 */
#include <pvkit/grant.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "grant_internal.h"

#define ENTRIES_PER_FRAME (PVK_PAGE_SIZE / sizeof(struct pvk_grant_entry_v1))

static struct pvk_grant_entry_v1 *table;
static unsigned long table_va;
static unsigned int max_frames, xen_max_frames;
struct pvk_grant_stats pvk_grant_stats;

/* Xen's frames of a table of nr_frames (setup_table grows it to that). */
static int setup(unsigned int nr_frames, pvk_mfn_t *mfns)
{
	struct pvk_gnttab_setup_table st = { .dom = PVK_DOMID_SELF };
	pvk_xen_pfn_t *frames;
	long rc;

	frames = pvk_port_malloc(nr_frames * sizeof(*frames));
	if (!frames)
		return -PVK_XEN_ENOMEM;
	st.nr_frames = nr_frames;
	st.frame_list = frames;
	rc = pvk_hyp_grant_table_op(PVK_GNTTABOP_setup_table, &st, 1);
	if (rc || st.status != PVK_GNTST_okay) {
		pvk_err("grant: setup_table of %u frames failed: rc %ld status %d",
			nr_frames, rc, st.status);
		pvk_port_free(frames);
		return rc ? (int)rc : -PVK_XEN_EIO;
	}
	for (unsigned int i = 0; i < nr_frames; i++)
		mfns[i] = pvk_mfn(frames[i]);
	pvk_port_free(frames);
	return 0;
}

/*
 * Makes the table `to` frames long and maps frames from .. to - 1 at their
 * place in the window. Mapped by the time it returns even inside a lazy
 * MMU section (an upcall may have interrupted one): pvk_mmu_map_mfns()
 * only queues its entries there, so the queue is issued here.
 */
static int map_table(unsigned int from, unsigned int to)
{
	pvk_mfn_t *mfns = pvk_port_malloc(to * sizeof(*mfns));
	int rc;

	if (!mfns)
		return -PVK_XEN_ENOMEM;
	rc = setup(to, mfns);
	if (!rc)
		rc = pvk_mmu_map_mfns(table_va + from * PVK_PAGE_SIZE, mfns + from, to - from,
				      PVK_PTE_KERNEL_RW | PVK_PTE_NX);
	if (!rc)
		rc = pvk_mmu_flush_queue();
	pvk_port_free(mfns);
	return rc;
}

/* grant_ref.c's growth hook: one frame more. */
static int grow(uint32_t old_entries, uint32_t new_entries)
{
	unsigned int from = old_entries / ENTRIES_PER_FRAME;
	unsigned int to = new_entries / ENTRIES_PER_FRAME;
	int rc = map_table(from, to);

	if (!rc)
		pvk_info("grant: table grown from %u to %u frames (at most %u)", from, to,
			 max_frames);
	return rc;
}

int pvk_grant_init(unsigned long va, unsigned int nr_frames)
{
	struct pvk_gnttab_query_size q = { .dom = PVK_DOMID_SELF };
	long hrc;
	int rc;

	if (table || !nr_frames)
		return -PVK_XEN_EINVAL;
	hrc = pvk_hyp_grant_table_op(PVK_GNTTABOP_query_size, &q, 1);
	if (hrc || q.status != PVK_GNTST_okay) {
		pvk_err("grant: query_size failed: rc %ld status %d", hrc, q.status);
		return hrc ? (int)hrc : -PVK_XEN_EIO;
	}
	xen_max_frames = q.max_nr_frames;
	max_frames = xen_max_frames < PVK_GRANT_WINDOW_FRAMES ? xen_max_frames :
		     PVK_GRANT_WINDOW_FRAMES;
	if (nr_frames > max_frames) {
		pvk_err("grant: %u frames asked, the table may have %u (Xen allows %u, the window holds %u)",
			nr_frames, max_frames, xen_max_frames, PVK_GRANT_WINDOW_FRAMES);
		return -PVK_XEN_EINVAL;
	}
	table_va = va;
	rc = map_table(0, nr_frames);
	if (rc)
		return rc;
	rc = pvk_grant_refs_init(nr_frames * ENTRIES_PER_FRAME, ENTRIES_PER_FRAME,
				 max_frames * ENTRIES_PER_FRAME, grow);
	if (rc)
		return rc;
	table = (struct pvk_grant_entry_v1 *)va;
	pvk_info("grant: table of %u frames at 0x%lx, grows on demand up to %u (Xen allows %u, the window holds %u)",
		 nr_frames, va, max_frames, xen_max_frames, PVK_GRANT_WINDOW_FRAMES);
	return 0;
}

static struct pvk_grant_entry_v1 *entry(pvk_grant_ref_t ref)
{
	if (!table || !pvk_grant_ref_valid(ref))
		pvk_port_panic("grant: reference outside the table (or no table)");
	return &table[ref];
}

void pvk_grant_access(pvk_grant_ref_t ref, pvk_domid_t domid, pvk_gfn_t gfn,
		      bool readonly)
{
	struct pvk_grant_entry_v1 *e = entry(ref);

	if (pvk_gfn_raw(gfn) > UINT32_MAX)
		pvk_port_panic("grant: frame beyond the v1 entry's 32 bits");
	e->domid = domid;
	e->frame = (uint32_t)pvk_gfn_raw(gfn);
	pvk_barrier();	/* Xen must see domid/frame before permit_access */
	PVK_WRITE_ONCE(e->flags, (uint16_t)(PVK_GTF_permit_access |
					    (readonly ? PVK_GTF_readonly : 0)));
	__atomic_fetch_add(&pvk_grant_stats.granted, 1, __ATOMIC_RELAXED);
}

int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref)
{
	int rc = pvk_grant_alloc(ref);

	if (rc)
		return rc;
	pvk_grant_access(*ref, domid, pvk_pfn_to_gfn(pvk_port_virt_to_pfn(page)),
			 readonly);
	return 0;
}

bool pvk_grant_in_use(pvk_grant_ref_t ref)
{
	return PVK_READ_ONCE(entry(ref)->flags) & (PVK_GTF_reading | PVK_GTF_writing);
}

int pvk_grant_end_access(pvk_grant_ref_t ref)
{
	uint16_t *flags = &entry(ref)->flags;
	uint16_t old = PVK_READ_ONCE(*flags);

	do {
		if (old & (PVK_GTF_reading | PVK_GTF_writing)) {
			__atomic_fetch_add(&pvk_grant_stats.end_busy, 1, __ATOMIC_RELAXED);
			pvk_warn("grant: ref %u still mapped by domain %u: not revoked, page kept",
				 ref, entry(ref)->domid);
			return -PVK_XEN_EBUSY;
		}
	} while (!__atomic_compare_exchange_n(flags, &old, 0, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	__atomic_fetch_add(&pvk_grant_stats.ended, 1, __ATOMIC_RELAXED);
	pvk_grant_free(ref);
	return 0;
}

int pvk_grant_end_access_page(pvk_grant_ref_t ref, void *page)
{
	int rc = pvk_grant_end_access(ref);

	if (rc) {
		__atomic_fetch_add(&pvk_grant_stats.pages_kept, 1, __ATOMIC_RELAXED);
		return rc;
	}
	pvk_port_free_page(page);
	return 0;
}

/*
 * Suspend (suspend/): the toolstack saves our page tables and refuses an
 * entry naming a frame that is not ours, which the table's frames are
 * (Xen's): they are unmapped before the suspend hypercall and mapped
 * again after it, from setup_table. Cancelled, Xen kept the table and
 * its entries, the same frames come back. In a new domain the table is a
 * new one of as many frames, empty but for the toolstack's reserved
 * entries: what we had granted is gone, and the frontends grant again
 * when they reconnect.
 */
static unsigned int frames_mapped(void)
{
	struct pvk_grant_stats st;

	pvk_grant_stats_snapshot(&st);
	return st.frames;
}

int pvk_grant_suspend(void)
{
	unsigned int n;
	int rc;

	if (!table)
		return 0;
	n = frames_mapped();
	rc = pvk_mmu_unmap_range(table_va, n);
	if (!rc)
		rc = pvk_mmu_flush_queue();
	return rc;
}

int pvk_grant_resume(void)
{
	if (!table)
		return 0;
	return map_table(0, frames_mapped());
}

void pvk_grant_stats_snapshot(struct pvk_grant_stats *out)
{
	*out = pvk_grant_stats;
	pvk_grant_refs_stats(out);
	out->frames = out->refs_total ?
		      (out->refs_total + PVK_GNTTAB_NR_RESERVED_ENTRIES) / ENTRIES_PER_FRAME : 0;
	out->max_frames = max_frames;
}
