/*
 * mm/mmu_map.c - mapping frames at new virtual addresses in the running
 * address space, and taking such mappings down again.
 *
 * Walks the 4-level tree from the running L4. A missing L3/L2/L1 is a page
 * from pvk_port_alloc_page(), remapped read-only (Xen refuses to use a
 * frame with a writable mapping as a page table) and hooked into its
 * parent with an entry write; then the leaf entries are written. All of
 * it goes through the lazy-mode queue, so a range costs about one
 * hypercall per CONFIG_PVK_MMU_UPDATE_BATCH entries.
 *
 * Queued writes are not visible in memory until issued, so the walk keeps
 * the table it found or created at each level for the region it covers
 * (`walk` below) and never re-reads an entry it wrote itself.
 *
 *   level  table covers     entry maps
 *     4    256 TiB          512 GiB (an L3)
 *     3    512 GiB          1 GiB   (an L2)
 *     2    1 GiB            2 MiB   (an L1)
 *     1    2 MiB            4 KiB   (a page)
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "mmu_internal.h"

struct walk {
	bool valid[5];
	unsigned long key[5];	/* va >> shift(level): which table of that level */
	pvk_mfn_t mfn[5];
	uint64_t *va[5];
};

static unsigned int shift(unsigned int level)
{
	return 12 + 9 * level;
}

static uint64_t *table_va(pvk_mfn_t mfn)
{
	pvk_pfn_t pfn = pvk_mfn_to_pfn(mfn);
	void *va = NULL;

	if (pvk_pfn_raw(pfn) != PVK_INVALID_RAW_FRAME)
		va = pvk_mmu_pfn_to_virt(pfn);
	if (!va)
		pvk_err("mmu: page table mfn 0x%llx is not mapped by the kernel",
			(unsigned long long)pvk_mfn_raw(mfn));
	return va;
}

static int walk_start(struct walk *w)
{
	*w = (struct walk){ 0 };
	w->mfn[4] = pvk_mmu_base_mfn;
	w->va[4] = table_va(w->mfn[4]);
	w->valid[4] = true;
	return w->va[4] ? 0 : -PVK_XEN_EFAULT;
}

static int new_table(pvk_mfn_t parent, unsigned int slot, pvk_mfn_t *mfn,
		     uint64_t **va)
{
	void *page = pvk_port_alloc_page();
	int rc;

	if (!page) {
		pvk_err("mmu: out of pages for a page table");
		return -PVK_XEN_ENOMEM;
	}
	/* Not pvk_mmu_make_readonly(): the queue need not be issued first,
	 * the hook below is queued after this remap anyway. */
	rc = pvk_mmu_remap(page, PVK_PTE_KERNEL_RO, false);
	if (rc) {
		pvk_port_free_page(page);
		return rc;
	}
	*mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(page));
	rc = pvk_mmu_set_entry(parent, slot, pvk_pte(*mfn, PVK_PTE_TABLE));
	if (rc) {
		/* A refused hook leaves the frame an ordinary page again. */
		if (!pvk_mmu_make_writable(page))
			pvk_port_free_page(page);
		return rc;
	}
	pvk_mmu_stats.tables_added++;
	*va = page;
	return 0;
}

/*
 * The table of `level` that covers va, from the walk cache or its parent;
 * created when missing and create is set. 0 with *found false if missing.
 */
static int table_for(struct walk *w, unsigned long va, unsigned int level,
		     bool create, bool *found)
{
	unsigned long key = va >> shift(level);
	unsigned int slot = pvk_pt_index(va, level + 1);
	uint64_t entry;
	int rc;

	*found = false;
	if (level == 4 || (w->valid[level] && w->key[level] == key)) {
		/* One L4, set by walk_start(); lower levels from the cache. */
		*found = true;
		return 0;
	}
	rc = table_for(w, va, level + 1, create, found);
	if (rc || !*found)
		return rc;
	w->valid[level] = false;
	entry = PVK_READ_ONCE(w->va[level + 1][slot]);
	if (entry & PVK_PTE_PRESENT) {
		if (entry & PVK_PTE_PSE) {
			pvk_err("mmu: va 0x%lx lies in a superpage", va);
			return -PVK_XEN_EINVAL;
		}
		w->mfn[level] = pvk_pte_mfn(entry);
		w->va[level] = table_va(w->mfn[level]);
		if (!w->va[level])
			return -PVK_XEN_EFAULT;
	} else if (create) {
		rc = new_table(w->mfn[level + 1], slot, &w->mfn[level], &w->va[level]);
		if (rc)
			return rc;
	} else {
		*found = false;
		return 0;
	}
	w->key[level] = key;
	w->valid[level] = true;
	*found = true;
	return 0;
}

/* Page i's frame: first + i from the p2m, or mfns[i] when given. */
static int map_frames(unsigned long va, pvk_pfn_t first, const pvk_mfn_t *mfns,
		      unsigned long n, uint64_t flags)
{
	bool lazy = pvk_mmu_lazy_active(), found;
	struct walk w;
	int rc, rc2;

	if (va & (PVK_PAGE_SIZE - 1))
		return -PVK_XEN_EINVAL;
	rc = walk_start(&w);
	if (rc)
		return rc;
	if (!lazy)
		pvk_mmu_lazy_enter();
	for (unsigned long i = 0; i < n && !rc; i++, va += PVK_PAGE_SIZE) {
		pvk_pfn_t pfn = pvk_pfn(pvk_pfn_raw(first) + i);
		pvk_mfn_t mfn = mfns ? mfns[i] : pvk_pfn_to_mfn(pfn);
		unsigned int slot = pvk_pt_index(va, 1);

		if (!mfns && pvk_mfn_raw(mfn) == PVK_INVALID_RAW_FRAME) {
			pvk_err("mmu: pfn 0x%llx has no machine frame",
				(unsigned long long)pvk_pfn_raw(pfn));
			rc = -PVK_XEN_EINVAL;
			break;
		}
		rc = table_for(&w, va, 1, true, &found);
		if (rc)
			break;
		if (PVK_READ_ONCE(w.va[1][slot]) & PVK_PTE_PRESENT) {
			pvk_err("mmu: va 0x%lx is already mapped", va);
			rc = -PVK_XEN_EEXIST;
			break;
		}
		rc = pvk_mmu_set_entry(w.mfn[1], slot, pvk_pte(mfn, flags));
	}
	if (!lazy) {
		rc2 = pvk_mmu_lazy_leave();
		if (!rc)
			rc = rc2;
	}
	return rc;
}

int pvk_mmu_map_range(unsigned long va, pvk_pfn_t first, unsigned long n,
		      uint64_t flags)
{
	return map_frames(va, first, NULL, n, flags);
}

int pvk_mmu_map_mfns(unsigned long va, const pvk_mfn_t *mfns, unsigned long n,
		     uint64_t flags)
{
	return map_frames(va, pvk_pfn(0), mfns, n, flags);
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned int i = 0; i < PVK_PT_ENTRIES; i++) {
		if (PVK_READ_ONCE(t[i]))
			return false;
	}
	return true;
}

#define FREE_BATCH 32

/* Tables unhooked by the queue; handed back once Xen applied the unhooks
 * and the TLB no longer holds walks through them. */
struct to_free {
	void *page[FREE_BATCH];
	unsigned int n;
};

static int free_tables(struct to_free *f)
{
	int rc = pvk_mmu_flush_queue();

	if (!rc)
		rc = pvk_mmu_flush_tlb_local();
	for (unsigned int i = 0; i < f->n; i++) {
		/* A table Xen still uses (rc) or refuses to make writable
		 * again is leaked rather than reused as an ordinary page. */
		if (rc || pvk_mmu_make_writable(f->page[i])) {
			pvk_err("mmu: page table at %p not freed", f->page[i]);
			continue;
		}
		pvk_port_free_page(f->page[i]);
		pvk_mmu_stats.tables_freed++;
	}
	f->n = 0;
	return rc;
}

/* Unhooks and frees the tables of `level` in [va, end) left empty. */
static int free_empty(unsigned long va, unsigned long end, unsigned int level)
{
	unsigned long step = 1UL << shift(level);
	struct to_free f = { .n = 0 };
	struct walk w;
	bool found;
	int rc = walk_start(&w);

	for (unsigned long a = va; !rc && a - va < end - va;
	     a = (a & ~(step - 1)) + step) {
		rc = table_for(&w, a, level, false, &found);
		if (rc || !found || !table_empty(w.va[level]))
			continue;
		rc = pvk_mmu_set_entry(w.mfn[level + 1], pvk_pt_index(a, level + 1), 0);
		if (rc)
			break;
		f.page[f.n++] = w.va[level];
		w.valid[level] = false;
		if (f.n == FREE_BATCH)
			rc = free_tables(&f);
	}
	if (f.n) {
		int rc2 = free_tables(&f);

		if (!rc)
			rc = rc2;
	}
	return rc;
}

int pvk_mmu_unmap_range(unsigned long va, unsigned long n)
{
	unsigned long end = va + n * PVK_PAGE_SIZE;
	bool lazy = pvk_mmu_lazy_active(), found;
	struct walk w;
	int rc, rc2;

	if (va & (PVK_PAGE_SIZE - 1) || !n)
		return -PVK_XEN_EINVAL;
	rc = walk_start(&w);
	if (rc)
		return rc;
	if (!lazy)
		pvk_mmu_lazy_enter();
	for (unsigned long a = va; a != end && !rc; a += PVK_PAGE_SIZE) {
		rc = table_for(&w, a, 1, false, &found);
		if (!rc && found)
			rc = pvk_mmu_set_entry(w.mfn[1], pvk_pt_index(a, 1), 0);
	}
	rc2 = pvk_mmu_flush_queue();
	if (!rc)
		rc = rc2;
	for (unsigned int level = 1; level <= 3 && !rc; level++)
		rc = free_empty(va, end, level);
	if (!lazy) {
		rc2 = pvk_mmu_lazy_leave();
		if (!rc)
			rc = rc2;
	}
	if (!rc)
		rc = pvk_mmu_flush_tlb_local();
	return rc;
}

uint64_t pvk_mmu_lookup(unsigned long va)
{
	struct walk w;
	bool found;

	if (walk_start(&w) || table_for(&w, va, 1, false, &found) || !found)
		return 0;
	return PVK_READ_ONCE(w.va[1][pvk_pt_index(va, 1)]);
}
