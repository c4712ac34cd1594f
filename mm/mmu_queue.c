/*
 * mm/mmu_queue.c - page-table entry writes: one at a time or batched.
 *
 * Outside lazy mode each pvk_mmu_set_entry() is one HYPERVISOR_mmu_update
 * of one entry. In lazy mode entries go into a queue of
 * CONFIG_PVK_MMU_UPDATE_BATCH slots, issued as one hypercall when it is
 * full, when lazy mode ends or before any operation that must see them
 * applied (the mmuext operations of mmuext.c, pvk_mmu_flush_queue()).
 *
 * When Xen refuses entry k of a batch, entries 0..k-1 are applied and k..
 * are not: the refusal is logged with the table frame, slot, value and
 * error, recorded for pvk_mmu_last_error(), the rest of the batch is
 * dropped (also logged) and the error returned; lazy mode remembers the
 * first one for pvk_mmu_lazy_leave().
 *
 * New page-table frames (pvk_mmu_queue_table) go in as a pair of entries
 * in one batch: the kernel's own L1 entry for the frame made read-only,
 * then the entry that hooks the frame in, so Xen validates the frame after
 * its last writable mapping is gone without a separate update_va_mapping.
 * The queue owns such a frame until its batch is issued: if Xen did not
 * apply the hook, the kernel entry gets its old value back and the page
 * goes back to pvk_port_free_page(); the counters count only hooked frames.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "mmu_internal.h"

#define QUEUE_LEN	CONFIG_PVK_MMU_UPDATE_BATCH

static struct pvk_mmu_update queue[QUEUE_LEN];
static unsigned int queued;
static bool lazy;
static int lazy_error;
static struct pvk_lock queue_lock;
static struct pvk_mmu_error last_error;
struct pvk_mmu_stats pvk_mmu_stats;

/* New page-table frames of the queued batch: at is the index of the
 * read-only remap, at + 1 that of the hook. */
#define PENDING_MAX	32
static struct {
	void *page;
	uint64_t old_pte;	/* the kernel's entry before the remap */
	unsigned int at;
} pending[PENDING_MAX];
static unsigned int npending;

PVK_BUILD_BUG_ON(QUEUE_LEN < 2);	/* a new table is two entries */

void pvk_mmu_queue_init(void)
{
	pvk_port_lock_init(&queue_lock);
}

static void report(unsigned int index, unsigned int count, long rc)
{
	const struct pvk_mmu_update *u = &queue[index];
	uint64_t maddr = u->ptr & ~(uint64_t)PVK_MMU_CMD_MASK;

	last_error.index = index;
	last_error.count = count;
	last_error.table = pvk_mfn(maddr >> PVK_PAGE_SHIFT);
	last_error.slot = (maddr & (PVK_PAGE_SIZE - 1)) / 8;
	last_error.val = u->val;
	last_error.rc = rc;
	pvk_mmu_stats.refused++;
	pvk_err("mmu_update: Xen refused entry %u of %u: table mfn 0x%llx slot %u val 0x%llx cmd %u: error %ld",
		index, count, (unsigned long long)(maddr >> PVK_PAGE_SHIFT), last_error.slot,
		(unsigned long long)u->val, (unsigned int)(u->ptr & PVK_MMU_CMD_MASK), rc);
	if (index + 1 < count)
		pvk_err("mmu_update: %u later entries of that batch were not applied",
			count - index - 1);
}

/*
 * Settles the new tables of a batch of which the entries before `applied`
 * were applied: a hooked frame is counted; one whose hook was dropped gets
 * its kernel mapping back (if the remap was applied) and is freed, or is
 * leaked with a message if even that fails.
 */
static void settle_tables(unsigned int applied)
{
	for (unsigned int i = 0; i < npending; i++) {
		void *page = pending[i].page;
		long rc = 0;

		if (pending[i].at + 1 < applied) {
			pvk_mmu_stats.tables_added++;
			continue;
		}
		if (pending[i].at < applied)
			rc = pvk_hyp_update_va_mapping((unsigned long)page, pending[i].old_pte,
						       PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
		if (rc) {
			pvk_err("mmu: page-table page %p was not hooked in and cannot be made writable again (error %ld): leaked",
				page, rc);
			continue;
		}
		pvk_err("mmu: page-table page %p was not hooked in: freed", page);
		pvk_port_free_page(page);
	}
	npending = 0;
}

/* Issues the queue; queue_lock held. */
static int flush_locked(void)
{
	unsigned int count = queued, done = 0, stop;
	long rc;

	if (!count)
		return 0;
	queued = 0;
	pvk_mmu_stats.batches++;
	rc = pvk_hyp_mmu_update(queue, count, &done, PVK_DOMID_SELF);
	if (rc == 0 && done == count) {
		settle_tables(count);
		return 0;
	}
	if (rc == 0)	/* Xen said success but did not do everything */
		rc = -PVK_XEN_EIO;
	stop = done < count ? done : count - 1;
	report(stop, count, rc);
	settle_tables(stop);
	if (lazy && !lazy_error)
		lazy_error = (int)rc;
	return (int)rc;
}

/* The mmu_update ptr that writes entry slot of the page table in table. */
static uint64_t pt_entry(pvk_mfn_t table, unsigned int slot)
{
	return (pvk_mfn_raw(table) << PVK_PAGE_SHIFT) | (slot * 8ULL) | PVK_MMU_NORMAL_PT_UPDATE;
}

/* Adds one entry; queue_lock held and a slot free. */
static void append_locked(uint64_t ptr, uint64_t val)
{
	queue[queued].ptr = ptr;
	queue[queued].val = val;
	queued++;
	pvk_mmu_stats.updates++;
}

/* Adds one entry and issues the queue when full or outside lazy mode. */
static int queue_locked(uint64_t ptr, uint64_t val)
{
	append_locked(ptr, val);
	if (!lazy || queued == QUEUE_LEN)
		return flush_locked();
	return 0;
}

int pvk_mmu_set_entry(pvk_mfn_t table, unsigned int slot, uint64_t val)
{
	int rc;

	if (slot >= PVK_PT_ENTRIES)
		pvk_port_panic("pvk_mmu_set_entry: slot beyond a page table");
	pvk_port_lock(&queue_lock);
	rc = queue_locked(pt_entry(table, slot), val);
	pvk_port_unlock(&queue_lock);
	return rc;
}

int pvk_mmu_queue_table(void *page, pvk_mfn_t kernel_l1, unsigned int kernel_slot,
			uint64_t old_pte, pvk_mfn_t parent, unsigned int slot,
			uint64_t hook)
{
	int rc = 0;

	if (kernel_slot >= PVK_PT_ENTRIES || slot >= PVK_PT_ENTRIES)
		pvk_port_panic("pvk_mmu_queue_table: slot beyond a page table");
	pvk_port_lock(&queue_lock);
	/* Both entries in one batch, so that the pending record is settled
	 * by the one hypercall that carries them. */
	if (QUEUE_LEN - queued < 2 || npending == PENDING_MAX)
		rc = flush_locked();
	if (rc) {
		pvk_port_unlock(&queue_lock);
		pvk_port_free_page(page);	/* still writable, never seen by Xen */
		return rc;
	}
	pending[npending].page = page;
	pending[npending].old_pte = old_pte;
	pending[npending].at = queued;
	npending++;
	append_locked(pt_entry(kernel_l1, kernel_slot), old_pte & ~PVK_PTE_RW);
	rc = queue_locked(pt_entry(parent, slot), hook);
	pvk_port_unlock(&queue_lock);
	return rc;
}

int pvk_mmu_set_m2p(pvk_mfn_t mfn, pvk_pfn_t pfn)
{
	int rc;

	pvk_port_lock(&queue_lock);
	rc = queue_locked((pvk_mfn_raw(mfn) << PVK_PAGE_SHIFT) | PVK_MMU_MACHPHYS_UPDATE,
			  pvk_pfn_raw(pfn));
	pvk_port_unlock(&queue_lock);
	return rc;
}

int pvk_mmu_flush_queue(void)
{
	int rc;

	pvk_port_lock(&queue_lock);
	rc = flush_locked();
	pvk_port_unlock(&queue_lock);
	return rc;
}

void pvk_mmu_lazy_enter(void)
{
	pvk_port_lock(&queue_lock);
	if (lazy)
		pvk_port_panic("pvk_mmu_lazy_enter: already in lazy mode");
	lazy = true;
	lazy_error = 0;
	pvk_port_unlock(&queue_lock);
}

int pvk_mmu_lazy_leave(void)
{
	int rc;

	pvk_port_lock(&queue_lock);
	if (!lazy)
		pvk_port_panic("pvk_mmu_lazy_leave: not in lazy mode");
	flush_locked();
	rc = lazy_error;
	lazy = false;
	lazy_error = 0;
	pvk_port_unlock(&queue_lock);
	return rc;
}

bool pvk_mmu_lazy_active(void)
{
	return PVK_READ_ONCE(lazy);
}

const struct pvk_mmu_error *pvk_mmu_last_error(void)
{
	return &last_error;
}

void pvk_mmu_stats_snapshot(struct pvk_mmu_stats *out)
{
	pvk_port_lock(&queue_lock);
	*out = pvk_mmu_stats;
	pvk_port_unlock(&queue_lock);
}
