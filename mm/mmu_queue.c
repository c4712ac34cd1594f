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

void pvk_mmu_queue_init(void)
{
	pvk_port_lock_init(&queue_lock);
}

static void report(unsigned int index, unsigned int count, long rc)
{
	const struct pvk_mmu_update *u = &queue[index];
	uint64_t maddr = u->ptr & ~3ULL;

	last_error.index = index;
	last_error.count = count;
	last_error.table = pvk_mfn(maddr >> 12);
	last_error.slot = (maddr & (PVK_PAGE_SIZE - 1)) / 8;
	last_error.val = u->val;
	last_error.rc = rc;
	pvk_mmu_stats.refused++;
	pvk_err("mmu_update: Xen refused entry %u of %u: table mfn 0x%llx slot %u val 0x%llx cmd %u: error %ld",
		index, count, (unsigned long long)(maddr >> 12), last_error.slot,
		(unsigned long long)u->val, (unsigned int)(u->ptr & 3), rc);
	if (index + 1 < count)
		pvk_err("mmu_update: %u later entries of that batch were not applied",
			count - index - 1);
}

/* Issues the queue; queue_lock held. */
static int flush_locked(void)
{
	unsigned int count = queued, done = 0;
	long rc;

	if (!count)
		return 0;
	queued = 0;
	pvk_mmu_stats.batches++;
	rc = pvk_hyp_mmu_update(queue, count, &done, PVK_DOMID_SELF);
	if (rc == 0 && done == count)
		return 0;
	if (rc == 0)	/* Xen said success but did not do everything */
		rc = -PVK_XEN_EIO;
	report(done < count ? done : count - 1, count, rc);
	if (lazy && !lazy_error)
		lazy_error = (int)rc;
	return (int)rc;
}

static int queue_locked(uint64_t ptr, uint64_t val)
{
	int rc = 0;

	queue[queued].ptr = ptr;
	queue[queued].val = val;
	queued++;
	pvk_mmu_stats.updates++;
	if (!lazy || queued == QUEUE_LEN)
		rc = flush_locked();
	return rc;
}

int pvk_mmu_set_entry(pvk_mfn_t table, unsigned int slot, uint64_t val)
{
	uint64_t ptr = (pvk_mfn_raw(table) << 12) | (slot * 8ULL);
	int rc;

	if (slot >= PVK_PT_ENTRIES)
		pvk_port_panic("pvk_mmu_set_entry: slot beyond a page table");
	pvk_port_lock(&queue_lock);
	rc = queue_locked(ptr | PVK_MMU_NORMAL_PT_UPDATE, val);
	pvk_port_unlock(&queue_lock);
	return rc;
}

int pvk_mmu_set_m2p(pvk_mfn_t mfn, pvk_pfn_t pfn)
{
	int rc;

	pvk_port_lock(&queue_lock);
	rc = queue_locked((pvk_mfn_raw(mfn) << 12) | PVK_MMU_MACHPHYS_UPDATE,
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
