/*
 * mm/mmu_internal.h - what the files of mm/ share and nobody else sees.
 */
#ifndef PVKIT_MM_MMU_INTERNAL_H
#define PVKIT_MM_MMU_INTERNAL_H

#include <pvkit/mmu.h>

#include <pvkit/port.h>
#include <pvkit/smp.h>

/* Counters per CPU, written by mmu_queue.c and mmu_map.c on their own CPU
 * with upcalls masked; pvk_mmu_stats_snapshot() sums them. */
extern struct pvk_mmu_stats pvk_mmu_stats_cpu[PVK_MAX_CPUS];

static inline struct pvk_mmu_stats *pvk_mmu_this_stats(void)
{
	return &pvk_mmu_stats_cpu[pvk_port_cpu_id() % PVK_MAX_CPUS];
}

void pvk_mmu_queue_init(void);
/* mmu_map.c: its lock (the walks of shared page tables). */
void pvk_mmu_map_init(void);

/*
 * Queue a new page-table frame (mmu_queue.c): kernel_slot of kernel_l1,
 * the kernel's L1 entry that maps page (now old_pte), set read-only, then
 * slot of parent set to hook; both in one batch, issued at once outside
 * lazy mode. The page belongs to the queue from this call on: if Xen does
 * not apply the hook, the kernel entry gets old_pte back and the page is
 * freed (pvk_port_free_page, called with upcalls masked).
 */
int pvk_mmu_queue_table(void *page, pvk_mfn_t kernel_l1, unsigned int kernel_slot,
			uint64_t old_pte, pvk_mfn_t parent, unsigned int slot,
			uint64_t hook);

/*
 * Translations the kit removed may sit in other CPUs' TLBs (and
 * paging-structure caches): before the frame or table goes back
 * (pvk_port_free_page, Xen), every online CPU is flushed (mmuext.c).
 * pvk_mmu_shootdown(): va or PVK_TLB_FLUSH_ALL on every online CPU; with
 * the caller the only one online, its local flush (one hypercall, as
 * before SMP). pvk_mmu_shootdown_others(): the same when other CPUs are
 * online, nothing otherwise (for paths that flushed nothing before SMP:
 * the single-CPU cost stays what it was).
 */
int pvk_mmu_shootdown(unsigned long va);
int pvk_mmu_shootdown_others(void);

/* The running L4's machine frame; where the kernel maps its frames. */
extern pvk_mfn_t pvk_mmu_base_mfn[PVK_MAX_CPUS];	/* per CPU (mmuext.c) */
extern void *(*pvk_mmu_pfn_to_virt)(pvk_pfn_t pfn);

#endif /* PVKIT_MM_MMU_INTERNAL_H */
