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
 *
 * Per CPU: each CPU has its own queue, lazy mode, pending tables and
 * counters (struct cpu_queue, indexed by pvk_port_cpu_id()), touched only
 * by that CPU with upcalls masked (pvk_irq_save()), so no lock: an event
 * handler on the same CPU cannot find a batch half-built, and no other CPU
 * ever reaches it. A batch is issued by the CPU that queued it. The last
 * refusal (pvk_mmu_last_error()) is kept per CPU too: the calling CPU's
 * latest, written only by it (one shared record was written field by
 * field by any CPU: two refusals at once mixed).
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "mmu_internal.h"

#define QUEUE_LEN	CONFIG_PVK_MMU_UPDATE_BATCH

/* New page-table frames of the queued batch: at is the index of the
 * read-only remap, at + 1 that of the hook. */
#define PENDING_MAX	32

struct cpu_queue {
	struct pvk_mmu_update queue[QUEUE_LEN];
	unsigned int queued;
	bool lazy;
	int lazy_error;
	struct {
		void *page;
		uint64_t old_pte;	/* the kernel's entry before the remap */
		unsigned int at;
	} pending[PENDING_MAX];
	unsigned int npending;
};

static struct cpu_queue cpus[PVK_MAX_CPUS];
static struct pvk_mmu_error last_error[PVK_MAX_CPUS];	/* each CPU's own */
struct pvk_mmu_stats pvk_mmu_stats_cpu[PVK_MAX_CPUS];

/* Masks upcalls; the calling CPU's queue (the caller stays on it). */
static struct cpu_queue *get(unsigned long *flags)
{
	unsigned int cpu;

	*flags = pvk_irq_save();
	cpu = pvk_port_cpu_id();
	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("mmu: pvk_port_cpu_id() beyond PVK_MAX_CPUS");
	return &cpus[cpu];
}

static void put(unsigned long flags)
{
	pvk_restore_fl(flags);
}

PVK_BUILD_BUG_ON(QUEUE_LEN < 2);	/* a new table is two entries */

void pvk_mmu_queue_init(void)
{
	/* Nothing to set up: the queues start empty (.bss). */
}

static void report(struct cpu_queue *q, unsigned int index, unsigned int count, long rc)
{
	const struct pvk_mmu_update *u = &q->queue[index];
	uint64_t maddr = u->ptr & ~(uint64_t)PVK_MMU_CMD_MASK;
	/* The queue's own CPU (the caller): no other CPU writes this record. */
	struct pvk_mmu_error *e = &last_error[q - cpus];

	e->index = index;
	e->count = count;
	e->table = pvk_mfn(maddr >> PVK_PAGE_SHIFT);
	e->slot = (maddr & (PVK_PAGE_SIZE - 1)) / 8;
	e->val = u->val;
	e->rc = rc;
	pvk_mmu_this_stats()->refused++;
	pvk_err("mmu_update: Xen refused entry %u of %u: table mfn 0x%llx slot %u val 0x%llx cmd %u: error %ld",
		index, count, (unsigned long long)(maddr >> PVK_PAGE_SHIFT), e->slot,
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
static void settle_tables(struct cpu_queue *q, unsigned int applied)
{
	for (unsigned int i = 0; i < q->npending; i++) {
		void *page = q->pending[i].page;
		long rc = 0;

		if (q->pending[i].at + 1 < applied) {
			pvk_mmu_this_stats()->tables_added++;
			continue;
		}
		if (q->pending[i].at < applied)
			rc = pvk_hyp_update_va_mapping((unsigned long)page, q->pending[i].old_pte,
						       PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
		if (rc) {
			pvk_err("mmu: page-table page %p was not hooked in and cannot be made writable again (error %ld): leaked",
				page, rc);
			continue;
		}
		pvk_err("mmu: page-table page %p was not hooked in: freed", page);
		pvk_port_free_page(page);
	}
	q->npending = 0;
}

/* Issues q, the calling CPU's queue; upcalls masked. */
static int flush_locked(struct cpu_queue *q)
{
	unsigned int count = q->queued, done = 0, stop;
	long rc;

	if (!count)
		return 0;
	q->queued = 0;
	pvk_mmu_this_stats()->batches++;
	rc = pvk_hyp_mmu_update(q->queue, count, &done, PVK_DOMID_SELF);
	if (rc == 0 && done == count) {
		settle_tables(q, count);
		return 0;
	}
	if (rc == 0)	/* Xen said success but did not do everything */
		rc = -PVK_XEN_EIO;
	stop = done < count ? done : count - 1;
	report(q, stop, count, rc);
	settle_tables(q, stop);
	if (q->lazy && !q->lazy_error)
		q->lazy_error = (int)rc;
	return (int)rc;
}

/* The mmu_update ptr that writes entry slot of the page table in table. */
static uint64_t pt_entry(pvk_mfn_t table, unsigned int slot)
{
	return (pvk_mfn_raw(table) << PVK_PAGE_SHIFT) | (slot * 8ULL) | PVK_MMU_NORMAL_PT_UPDATE;
}

/* Adds one entry; upcalls masked and a slot free. */
static void append_locked(struct cpu_queue *q, uint64_t ptr, uint64_t val)
{
	q->queue[q->queued].ptr = ptr;
	q->queue[q->queued].val = val;
	q->queued++;
	pvk_mmu_this_stats()->updates++;
}

/* Adds one entry and issues the queue when full or outside lazy mode. */
static int queue_locked(struct cpu_queue *q, uint64_t ptr, uint64_t val)
{
	append_locked(q, ptr, val);
	if (!q->lazy || q->queued == QUEUE_LEN)
		return flush_locked(q);
	return 0;
}

int pvk_mmu_set_entry(pvk_mfn_t table, unsigned int slot, uint64_t val)
{
	unsigned long flags;
	struct cpu_queue *q;
	int rc;

	if (slot >= PVK_PT_ENTRIES)
		pvk_port_panic("pvk_mmu_set_entry: slot beyond a page table");
	q = get(&flags);
	rc = queue_locked(q, pt_entry(table, slot), val);
	put(flags);
	return rc;
}

int pvk_mmu_queue_table(void *page, pvk_mfn_t kernel_l1, unsigned int kernel_slot,
			uint64_t old_pte, pvk_mfn_t parent, unsigned int slot,
			uint64_t hook)
{
	unsigned long flags;
	struct cpu_queue *q;
	int rc = 0;

	if (kernel_slot >= PVK_PT_ENTRIES || slot >= PVK_PT_ENTRIES)
		pvk_port_panic("pvk_mmu_queue_table: slot beyond a page table");
	q = get(&flags);
	/* Both entries in one batch, so that the pending record is settled
	 * by the one hypercall that carries them. */
	if (QUEUE_LEN - q->queued < 2 || q->npending == PENDING_MAX)
		rc = flush_locked(q);
	if (rc) {
		put(flags);
		pvk_port_free_page(page);	/* still writable, never seen by Xen */
		return rc;
	}
	q->pending[q->npending].page = page;
	q->pending[q->npending].old_pte = old_pte;
	q->pending[q->npending].at = q->queued;
	q->npending++;
	append_locked(q, pt_entry(kernel_l1, kernel_slot), old_pte & ~PVK_PTE_RW);
	rc = queue_locked(q, pt_entry(parent, slot), hook);
	put(flags);
	return rc;
}

int pvk_mmu_set_m2p(pvk_mfn_t mfn, pvk_pfn_t pfn)
{
	unsigned long flags;
	struct cpu_queue *q = get(&flags);
	int rc;

	rc = queue_locked(q, (pvk_mfn_raw(mfn) << PVK_PAGE_SHIFT) | PVK_MMU_MACHPHYS_UPDATE,
			  pvk_pfn_raw(pfn));
	put(flags);
	return rc;
}

int pvk_mmu_flush_queue(void)
{
	unsigned long flags;
	struct cpu_queue *q = get(&flags);
	int rc = flush_locked(q);

	put(flags);
	return rc;
}

void pvk_mmu_lazy_enter(void)
{
	unsigned long flags;
	struct cpu_queue *q = get(&flags);

	if (q->lazy)
		pvk_port_panic("pvk_mmu_lazy_enter: already in lazy mode");
	q->lazy = true;
	q->lazy_error = 0;
	put(flags);
}

int pvk_mmu_lazy_leave(void)
{
	unsigned long flags;
	struct cpu_queue *q = get(&flags);
	int rc;

	if (!q->lazy)
		pvk_port_panic("pvk_mmu_lazy_leave: not in lazy mode");
	flush_locked(q);
	rc = q->lazy_error;
	q->lazy = false;
	q->lazy_error = 0;
	put(flags);
	return rc;
}

bool pvk_mmu_lazy_active(void)
{
	/* One flag of this CPU's, read once: no need to mask upcalls. */
	return PVK_READ_ONCE(cpus[pvk_port_cpu_id() % PVK_MAX_CPUS].lazy);
}

const struct pvk_mmu_error *pvk_mmu_last_error(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	return &last_error[cpu < PVK_MAX_CPUS ? cpu : 0];
}

void pvk_mmu_stats_snapshot(struct pvk_mmu_stats *out)
{
	*out = (struct pvk_mmu_stats){ 0 };
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		const struct pvk_mmu_stats *s = &pvk_mmu_stats_cpu[cpu];

		out->updates += PVK_READ_ONCE(s->updates);
		out->batches += PVK_READ_ONCE(s->batches);
		out->refused += PVK_READ_ONCE(s->refused);
		out->tables_added += PVK_READ_ONCE(s->tables_added);
		out->tables_freed += PVK_READ_ONCE(s->tables_freed);
	}
}
