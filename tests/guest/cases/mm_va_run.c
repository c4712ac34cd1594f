/*
 * tests/guest/cases/mm_va_run.c - runs of update_va_mapping through the
 * multicall batcher (pvk_mmu_update_va_run) on real Xen.
 *
 *   mm_va_run  N pages mapped at VA_RUN_VA are remapped, in one run, to the
 *              same frames in reverse order and read-only: the contents
 *              read back swapped, the PTEs say read-only, and the run cost
 *              ceil(N / CONFIG_PVK_MULTICALL_BATCH) multicalls and no
 *              single update_va_mapping
 *   mm_va_run_refused  an illegal entry in a run: its error is returned and
 *              the other entries still apply
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/xen.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define VA_RUN_VA	0xffff980000000000UL	/* L4 slot 304 */
#define VA_RUN_PAGES	(2 * CONFIG_PVK_MULTICALL_BATCH + 1)

PVK_GUEST_TEST(mm_va_run)
{
	static struct pvk_mmu_va_update run[VA_RUN_PAGES];
	const unsigned long n = VA_RUN_PAGES;
	uint64_t mc0, uvm0, ent0;
	struct pvk_hypercall_stats st;
	unsigned long avail;
	pvk_pfn_t first;

	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, n);
	PVK_CHECK_RC(pvk_mmu_map_range(VA_RUN_VA, first, n, PVK_PTE_KERNEL_RW), 0);
	for (unsigned long i = 0; i < n; i++)
		((volatile uint64_t *)(VA_RUN_VA + i * PVK_PAGE_SIZE))[3] = 0x5a5a0000 + i;

	for (unsigned long i = 0; i < n; i++) {
		pvk_pfn_t pfn = pvk_pfn(pvk_pfn_raw(first) + n - 1 - i);

		run[i].va = VA_RUN_VA + i * PVK_PAGE_SIZE;
		run[i].pte = pvk_pte(pvk_pfn_to_mfn(pfn), PVK_PTE_KERNEL_RO | PVK_PTE_NX);
	}
	pvk_hypercall_stats_snapshot(&st);
	mc0 = st.multicalls;
	ent0 = st.multicall_entries;
	uvm0 = pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping);
	PVK_CHECK_RC(pvk_mmu_update_va_run(run, n, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL), 0);
	pvk_hypercall_stats_snapshot(&st);
	guest_printf("mm: %lu update_va_mapping in %llu multicalls (%llu entries)\n",
		     n, (unsigned long long)(st.multicalls - mc0),
		     (unsigned long long)(st.multicall_entries - ent0));
	PVK_CHECK_EQ(st.multicalls - mc0,
		     (n + CONFIG_PVK_MULTICALL_BATCH - 1) / CONFIG_PVK_MULTICALL_BATCH);
	PVK_CHECK_EQ(st.multicall_entries - ent0, n);
	PVK_CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping) - uvm0, 0);

	for (unsigned long i = 0; i < n; i++) {
		uint64_t pte = pvk_mmu_lookup(run[i].va);

		PVK_CHECK_EQ(pte & (PVK_PTE_PRESENT | PVK_PTE_RW), PVK_PTE_PRESENT);
		PVK_CHECK_EQ(((volatile uint64_t *)run[i].va)[3], 0x5a5a0000 + (n - 1 - i));
	}
	PVK_CHECK_RC(pvk_mmu_unmap_range(VA_RUN_VA, n), 0);
}

/*
 * mm_va_run_refused: a run whose middle entry is illegal (a writable
 * mapping of the L4 we run on) returns Xen's error, the batcher counts one
 * failed entry, and the entries around it still took effect.
 */
PVK_GUEST_TEST(mm_va_run_refused)
{
	struct pvk_mmu_va_update run[3];
	struct pvk_hypercall_stats st;
	uint64_t err0, before;
	unsigned long avail;
	pvk_pfn_t first;

	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, 3);
	PVK_CHECK_RC(pvk_mmu_map_range(VA_RUN_VA, first, 3, PVK_PTE_KERNEL_RW), 0);
	before = pvk_mmu_lookup(VA_RUN_VA + PVK_PAGE_SIZE);
	for (unsigned int i = 0; i < 3; i++) {
		run[i].va = VA_RUN_VA + i * PVK_PAGE_SIZE;
		run[i].pte = pvk_pte(pvk_pfn_to_mfn(pvk_pfn(pvk_pfn_raw(first) + i)),
				     PVK_PTE_KERNEL_RO);
	}
	run[1].pte = pvk_pte(pvk_mmu_kernel_base(), PVK_PTE_KERNEL_RW);
	pvk_hypercall_stats_snapshot(&st);
	err0 = st.multicall_entry_errors;
	guest_printf("mm: expecting Xen to refuse a writable mapping of the L4 in a run\n");
	/* Xen: the L4 is a pinned page table, it may not become writable. */
	PVK_CHECK_RC(pvk_mmu_update_va_run(run, 3, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL),
		     -PVK_XEN_EBUSY);
	pvk_hypercall_stats_snapshot(&st);
	PVK_CHECK_EQ(st.multicall_entry_errors - err0, 1);
	PVK_CHECK_EQ(pvk_mmu_lookup(VA_RUN_VA + PVK_PAGE_SIZE), before);
	PVK_CHECK_EQ(pvk_mmu_lookup(VA_RUN_VA) & PVK_PTE_RW, 0);
	PVK_CHECK_EQ(pvk_mmu_lookup(VA_RUN_VA + 2 * PVK_PAGE_SIZE) & PVK_PTE_RW, 0);
	PVK_CHECK_RC(pvk_mmu_unmap_range(VA_RUN_VA, 3), 0);
}
