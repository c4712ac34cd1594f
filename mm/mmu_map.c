/*
 * mm/mmu_map.c - mapping frames at new virtual addresses in the running
 * address space, and taking such mappings down again.
 *
 * Walks the 4-level tree from the running L4. A missing L3/L2/L1 is a page
 * from pvk_port_alloc_page(); Xen refuses to use a frame with a writable
 * mapping as a page table, so two entries go into the lazy-mode queue
 * together (pvk_mmu_queue_table): the kernel's own L1 entry for the page,
 * made read-only, then the entry that hooks the page into its parent. The
 * kernel's L1 is found by a second walk, of the page's kernel address,
 * whose tables stay cached for the call. Then the leaf entries are
 * written. A range costs about one hypercall per
 * CONFIG_PVK_MMU_UPDATE_BATCH entries, new tables included.
 *
 * The read-only remap needs no TLB flush of ours. Xen 4.17's mmu_update
 * flushes nothing for an L1 entry, but hooking the frame changes its type
 * from writable to page table, and on a type change Xen flushes the TLBs
 * of the domain's vCPUs unless its TLB clock shows they were flushed after
 * the frame's last writable mapping went (the timestamp taken when the
 * writable count dropped to 0, at our remap). Xen does that for its own
 * safety: a stale writable TLB entry would be a way around validation.
 *
 * Unmapping frees the tables it leaves empty: unhooked through the queue,
 * their kernel mappings made writable again by one multicall of
 * update_va_mapping, then - before any goes back to pvk_port_free_page() -
 * the TLBs of every online CPU flushed (a pvk_tlb_gather over the online
 * set, pvkit/smp.h): another CPU that walked through a table may still
 * hold it in its paging-structure caches, and its TLB the old read-only
 * mapping of the page; reused before that flush, the page would be read
 * as a table (or written through a stale entry). Making a table writable
 * before that flush is safe: Xen itself flushes the domain's dirty CPUs
 * when a frame changes type towards writable ("no other CPUs are left
 * with mappings of a frame which is about to become writeable"). The
 * unmapped pages are the caller's: the range's last step flushes every
 * online CPU (pvk_mmu_shootdown()) so that they may be reused on return.
 *
 * Queued writes are not visible in memory until issued, so map and unmap
 * start by issuing the queue, and a walk keeps the table it found or
 * created at each level for the region it covers (`walk` below) and never
 * re-reads an entry it wrote itself. The kernel walk only reads entries
 * that map pages already in use, hence applied.
 *
 * Several CPUs: the page tables are shared, so map, unmap and lookup hold
 * one lock (map_lock) for their whole walk: two CPUs creating the same
 * missing table would hook two frames into one slot (the first one's
 * mappings lost), and a CPU freeing a table it found empty could free it
 * under another that is about to map into it. Each CPU's entry writes
 * still go through its own queue (mmu_queue.c); the lock only orders the
 * walks. It masks upcalls while held (pvk_port_lock), which the walks
 * allow: they allocate pages and make hypercalls, never sleep.
 *
 *   level  table covers     entry maps
 *     4    256 TiB          512 GiB (an L3)
 *     3    512 GiB          1 GiB   (an L2)
 *     2    1 GiB            2 MiB   (an L1)
 *     1    2 MiB            4 KiB   (a page)
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/multicall.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "mmu_internal.h"

static struct pvk_lock map_lock;

void pvk_mmu_map_init(void)
{
	pvk_port_lock_init(&map_lock);
}

struct walk {
	bool valid[5];
	unsigned long key[5];	/* va >> shift(level): which table of that level */
	pvk_mfn_t mfn[5];
	uint64_t *va[5];
	struct walk *kernel;	/* for new tables: the kernel's own mappings */
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
	w->mfn[4] = pvk_mmu_kernel_base();	/* the calling CPU's */
	w->va[4] = table_va(w->mfn[4]);
	w->valid[4] = true;
	return w->va[4] ? 0 : -PVK_XEN_EFAULT;
}

static int table_for(struct walk *w, unsigned long va, unsigned int level,
		     bool create, bool *found);

/* The kernel's L1 entry that maps page: its table, slot and value. */
static int kernel_pte(struct walk *kw, void *page, pvk_mfn_t *table,
		      unsigned int *slot, uint64_t *pte)
{
	unsigned long va = (unsigned long)page;
	pvk_mfn_t mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(page));
	bool found;
	int rc = table_for(kw, va, 1, false, &found);

	if (rc)
		return rc;
	*slot = pvk_pt_index(va, 1);
	*pte = found ? PVK_READ_ONCE(kw->va[1][*slot]) : 0;
	if (!(*pte & PVK_PTE_PRESENT) || pvk_mfn_raw(pvk_pte_mfn(*pte)) != pvk_mfn_raw(mfn)) {
		pvk_err("mmu: new page table at %p (mfn 0x%llx): the kernel's L1 entry for it is 0x%llx",
			page, (unsigned long long)pvk_mfn_raw(mfn), (unsigned long long)*pte);
		return -PVK_XEN_EFAULT;
	}
	*table = kw->mfn[1];
	return 0;
}

static int new_table(struct walk *w, pvk_mfn_t parent, unsigned int slot,
		     pvk_mfn_t *mfn, uint64_t **va)
{
	void *page = pvk_port_alloc_page();
	unsigned int kslot;
	pvk_mfn_t kl1;
	uint64_t pte;
	int rc;

	if (!page) {
		pvk_err("mmu: out of pages for a page table");
		return -PVK_XEN_ENOMEM;
	}
	rc = kernel_pte(w->kernel, page, &kl1, &kslot, &pte);
	if (rc) {
		pvk_port_free_page(page);
		return rc;
	}
	*mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(page));
	/* From here the queue owns the page (frees it if not hooked). */
	rc = pvk_mmu_queue_table(page, kl1, kslot, pte, parent, slot,
				 pvk_pte(*mfn, PVK_PTE_TABLE));
	if (rc)
		return rc;
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
		rc = new_table(w, w->mfn[level + 1], slot, &w->mfn[level], &w->va[level]);
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
static int map_frames_locked(unsigned long va, pvk_pfn_t first, const pvk_mfn_t *mfns,
			     unsigned long n, uint64_t flags)
{
	bool lazy = pvk_mmu_lazy_active(), found;
	struct walk w, kw;
	int rc, rc2;

	if (va & (PVK_PAGE_SIZE - 1))
		return -PVK_XEN_EINVAL;
	/* Entries queued in lazy mode are not in memory yet and the walk
	 * reads the tables: issue them first (as any operation that must see
	 * them applied does), or two maps in one lazy section would each
	 * create the tables the first one queued. */
	rc = pvk_mmu_flush_queue();
	if (!rc)
		rc = walk_start(&w);
	if (!rc)
		rc = walk_start(&kw);
	if (rc)
		return rc;
	w.kernel = &kw;
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

static int map_frames(unsigned long va, pvk_pfn_t first, const pvk_mfn_t *mfns,
		      unsigned long n, uint64_t flags)
{
	int rc;

	pvk_port_lock(&map_lock);
	rc = map_frames_locked(va, first, mfns, n, flags);
	pvk_port_unlock(&map_lock);
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
PVK_BUILD_BUG_ON(FREE_BATCH > PVK_TLB_GATHER_PAGES);

/* Tables unhooked by the queue; handed back once Xen applied the unhooks
 * and no CPU's TLB holds walks through them. */
struct to_free {
	void *page[FREE_BATCH];
	unsigned int n;
};

/* A freed table's completion: which gather it joins. */
struct writable_ctx {
	struct pvk_tlb_gather *gather;
	void *page;
};

static void free_table(void *page)
{
	unsigned long flags;

	pvk_port_free_page(page);
	flags = pvk_irq_save();		/* this CPU's counter, as the queue's */
	pvk_mmu_this_stats()->tables_freed++;
	pvk_restore_fl(flags);
}

/* A table's kernel mapping is writable again: an ordinary page, given
 * back after the flush of the gather. */
static void table_writable(void *ctx, long result)
{
	struct writable_ctx *w = ctx;

	if (result) {
		/* Xen still uses it as a table: leaked, never reused. */
		pvk_err("mmu: page table at %p not freed", w->page);
		return;
	}
	/* Never full (FREE_BATCH <= PVK_TLB_GATHER_PAGES): no flush here. */
	pvk_tlb_gather_add(w->gather, w->page);
}

/*
 * The kernel mappings go back to writable as one multicall of
 * update_va_mapping (each checked on its own, the page gathered by its
 * completion) rather than one hypercall per table; then one flush of the
 * online CPUs, then the frees.
 */
static int free_tables(struct to_free *f)
{
	struct pvk_multicall_op op = {
		.op = PVK_HYPERVISOR_update_va_mapping,
		.args[2] = PVK_UVMF_INVLPG | PVK_UVMF_LOCAL,
		.done = table_writable,
	};
	struct writable_ctx ctx[FREE_BATCH];
	struct pvk_tlb_gather gather;
	struct pvk_cpumask online;
	/* Nonzero: the unhooks failed, Xen may still use them. */
	int still_used = pvk_mmu_flush_queue(), rc, rc2;

	pvk_smp_tlb_mask(&online);
	pvk_tlb_gather_init(&gather, &online, free_table);
	rc = still_used;
	for (unsigned int i = 0; i < f->n; i++) {
		void *page = f->page[i];

		if (still_used) {
			pvk_err("mmu: page table at %p not freed", page);
			continue;
		}
		ctx[i].gather = &gather;
		ctx[i].page = page;
		op.args[0] = (unsigned long)page;
		op.args[1] = pvk_pte(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(page)),
				     PVK_PTE_KERNEL_RW);
		op.ctx = &ctx[i];
		rc2 = pvk_multicall_add(&op, NULL);
		if (rc2 && !rc)
			rc = rc2;
	}
	rc2 = pvk_multicall_flush(NULL);
	if (rc2 && !rc)
		rc = rc2;
	rc2 = pvk_tlb_gather_finish(&gather);
	if (rc2) {
		/* Not flushed: no page may be reused. */
		pvk_err("mmu: %u page tables not freed: the TLB flush failed (%d)",
			gather.nr, rc2);
		if (!rc)
			rc = rc2;
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

static int unmap_locked(unsigned long va, unsigned long n)
{
	unsigned long end = va + n * PVK_PAGE_SIZE;
	bool lazy = pvk_mmu_lazy_active(), found;
	struct walk w;
	int rc, rc2;

	if (va & (PVK_PAGE_SIZE - 1) || !n)
		return -PVK_XEN_EINVAL;
	rc = pvk_mmu_flush_queue();	/* as in map_frames() */
	if (!rc)
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
		rc = pvk_mmu_shootdown(PVK_TLB_FLUSH_ALL);
	return rc;
}

int pvk_mmu_unmap_range(unsigned long va, unsigned long n)
{
	int rc;

	pvk_port_lock(&map_lock);
	rc = unmap_locked(va, n);
	pvk_port_unlock(&map_lock);
	return rc;
}

uint64_t pvk_mmu_lookup(unsigned long va)
{
	struct walk w;
	uint64_t pte = 0;
	bool found;

	pvk_port_lock(&map_lock);	/* no table freed under the walk */
	if (!walk_start(&w) && !table_for(&w, va, 1, false, &found) && found)
		pte = PVK_READ_ONCE(w.va[1][pvk_pt_index(va, 1)]);
	pvk_port_unlock(&map_lock);
	return pte;
}
