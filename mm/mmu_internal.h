/*
 * mm/mmu_internal.h - what the files of mm/ share and nobody else sees.
 */
#ifndef PVKIT_MM_MMU_INTERNAL_H
#define PVKIT_MM_MMU_INTERNAL_H

#include <pvkit/mmu.h>

/* Counters, written by mmu_queue.c (under its lock) and mmu_map.c. */
extern struct pvk_mmu_stats pvk_mmu_stats;

void pvk_mmu_queue_init(void);

/* update_va_mapping of one of our pages to flags, issuing the queue first
 * only if flush_queue. */
int pvk_mmu_remap(void *va, uint64_t flags, bool flush_queue);

/* The running L4's machine frame; where the kernel maps its frames. */
extern pvk_mfn_t pvk_mmu_base_mfn;
extern void *(*pvk_mmu_pfn_to_virt)(pvk_pfn_t pfn);

#endif /* PVKIT_MM_MMU_INTERNAL_H */
