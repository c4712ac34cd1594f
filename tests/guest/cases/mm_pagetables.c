/*
 * tests/guest/cases/mm_pagetables.c - the kit's PV MMU on real Xen
 * (pvkit/mmu.h).
 *
 * The mappings go in L4 slot 300 (MM_VA), which nothing else in this guest
 * uses: every page table under it is allocated, made read-only and hooked
 * in by the kit, and freed again on unmap. Data frames are the domain's
 * frames past the start-of-day mapping, which nothing else uses either.
 *
 *   mm_lazy_batching   one hypercall per update outside lazy mode, one per
 *                      CONFIG_PVK_MMU_UPDATE_BATCH inside it
 *   mm_address_space   N pages mapped, written, read back, unmapped, tables
 *                      freed; repeated; no frame leaks; new tables made
 *                      read-only inside the mmu_update batches and made
 *                      writable again in multicalls (no update_va_mapping
 *                      of their own); prints the cost
 *   mm_pin_switch      pin/unpin L1..L4, a copy of the kernel L4 switched to
 *                      and back (new_baseptr), TLB flushes
 *   mm_table_dropped   a new table whose hook Xen never applied (an earlier
 *                      entry of its batch was refused) is freed again
 *   mm_illegal_update  a writable mapping of a pinned page table: Xen refuses,
 *                      the kit reports entry, frame and error; we keep running
 *   mm_pvops_slots     the Xen functions for the pvops mmu slots
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define MM_VA		0xffff960000000000UL	/* L4 slot 300 */
#define MM_PAGES	4096UL
#define MM_ROUNDS	5

static uint64_t mmu_update_calls(void)
{
	return pvk_hypercall_count(PVK_HYPERVISOR_mmu_update);
}

PVK_GUEST_TEST(mm_lazy_batching)
{
	pvk_mfn_t mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(__image_start));
	pvk_pfn_t pfn = pvk_mfn_to_pfn(mfn);
	unsigned int n = 2 * CONFIG_PVK_MMU_UPDATE_BATCH + 1;
	uint64_t c0;

	/* Re-recording an M2P entry of ours is a harmless real update. */
	c0 = mmu_update_calls();
	for (unsigned int i = 0; i < 5; i++)
		PVK_CHECK_RC(pvk_mmu_set_m2p(mfn, pfn), 0);
	PVK_CHECK_EQ(mmu_update_calls() - c0, 5);

	c0 = mmu_update_calls();
	pvk_mmu_lazy_enter();
	PVK_CHECK(pvk_mmu_lazy_active());
	for (unsigned int i = 0; i < n; i++)
		PVK_CHECK_RC(pvk_mmu_set_m2p(mfn, pfn), 0);
	PVK_CHECK_EQ(mmu_update_calls() - c0, 2);	/* two full batches */
	PVK_CHECK_RC(pvk_mmu_lazy_leave(), 0);
	PVK_CHECK(!pvk_mmu_lazy_active());
	PVK_CHECK_EQ(mmu_update_calls() - c0, 3);
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(mfn)), pvk_pfn_raw(pfn));
}

static bool fill_and_check(unsigned long n, uint64_t seed)
{
	for (unsigned long i = 0; i < n; i++) {
		uint64_t *p = (uint64_t *)(MM_VA + i * PVK_PAGE_SIZE);

		p[0] = seed ^ i;
		p[511] = ~(seed ^ i);
	}
	for (unsigned long i = 0; i < n; i++) {
		const uint64_t *p = (const uint64_t *)(MM_VA + i * PVK_PAGE_SIZE);

		if (p[0] != (seed ^ i) || p[511] != ~(seed ^ i)) {
			guest_printf("mm: page %lu reads back 0x%llx/0x%llx\n", i,
				     (unsigned long long)p[0], (unsigned long long)p[511]);
			return false;
		}
	}
	return true;
}

/* The kernel's own mapping of the page table an entry points to. */
static uint64_t kernel_map_of(uint64_t entry, const uint64_t **table)
{
	*table = guest_pfn_to_virt(pvk_mfn_to_pfn(pvk_pte_mfn(entry)));
	return pvk_mmu_lookup((unsigned long)*table);
}

/* The L3, L2 and L1 above va: hooked in, and mapped read-only (but
 * present) by the kernel, which is what Xen demands of a page table. */
static bool tables_read_only(unsigned long va)
{
	const uint64_t *t = guest_pfn_to_virt(pvk_mfn_to_pfn(pvk_mmu_kernel_base()));

	for (unsigned int level = 4; level >= 2; level--) {
		uint64_t entry = t[pvk_pt_index(va, level)], pte;

		if (!(entry & PVK_PTE_PRESENT)) {
			guest_printf("mm: no L%u table above 0x%lx\n", level - 1, va);
			return false;
		}
		pte = kernel_map_of(entry, &t);
		if (!(pte & PVK_PTE_PRESENT) || (pte & PVK_PTE_RW)) {
			guest_printf("mm: the kernel maps the L%u table above 0x%lx with pte 0x%llx\n",
				     level - 1, va, (unsigned long long)pte);
			return false;
		}
	}
	return true;
}

PVK_GUEST_TEST(mm_address_space)
{
	size_t free0 = guest_pages_free();
	struct pvk_mmu_stats s0, s1;
	unsigned long avail, n;
	pvk_pfn_t first;
	uint64_t c0, calls, uvm0, uvm, tables, entries, mc0, ext0;

	guest_unmapped_pfns(&first, &avail);
	n = avail < MM_PAGES ? avail : MM_PAGES;
	PVK_CHECK_GE(n, 1024);
	PVK_CHECK_EQ(pvk_mmu_lookup(MM_VA), 0);

	for (unsigned int round = 0; round < MM_ROUNDS; round++) {
		pvk_mmu_stats_snapshot(&s0);
		c0 = mmu_update_calls();
		uvm0 = pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping);
		PVK_CHECK_RC(pvk_mmu_map_range(MM_VA, first, n, PVK_PTE_KERNEL_RW), 0);
		calls = mmu_update_calls() - c0;
		uvm = pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping) - uvm0;
		pvk_mmu_stats_snapshot(&s1);

		/* 1 L3 + 1 L2 + one L1 per 512 pages, all new; each is two
		 * entries (read-only in the kernel's L1, hooked in), and
		 * none costs an update_va_mapping. */
		tables = 2 + (n + 511) / 512;
		entries = n + 2 * tables;
		PVK_CHECK_EQ(s1.tables_added - s0.tables_added, tables);
		PVK_CHECK_EQ(s1.updates - s0.updates, entries);
		PVK_CHECK_EQ(uvm, 0);
		if (round == 0)
			guest_printf("mm: mapped %lu pages: %llu mmu_update hypercalls (%llu.%llu per 1000 PTE updates, batch %d), %llu update_va_mapping, %llu page-table frames\n",
				     n, (unsigned long long)calls,
				     (unsigned long long)(calls * 1000 / n),
				     (unsigned long long)(calls * 10000 / n % 10),
				     CONFIG_PVK_MMU_UPDATE_BATCH,
				     (unsigned long long)uvm,
				     (unsigned long long)(s1.tables_added - s0.tables_added));
		/* A table's pair may close a batch one entry early. */
		PVK_CHECK_LE(calls, (entries + CONFIG_PVK_MMU_UPDATE_BATCH - 2) /
				    (CONFIG_PVK_MMU_UPDATE_BATCH - 1));
		PVK_CHECK(tables_read_only(MM_VA));
		PVK_CHECK(tables_read_only(MM_VA + (n - 1) * PVK_PAGE_SIZE));
		PVK_CHECK_EQ(pvk_mfn_raw(pvk_pte_mfn(pvk_mmu_lookup(MM_VA))),
			     pvk_mfn_raw(pvk_pfn_to_mfn(first)));
		PVK_CHECK_EQ(pvk_mfn_raw(pvk_pte_mfn(pvk_mmu_lookup(MM_VA + (n - 1) * PVK_PAGE_SIZE))),
			     pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(pvk_pfn_raw(first) + n - 1))));
		PVK_CHECK(fill_and_check(n, 0x5a5a000000000000ULL + round));

		/* Teardown: the tables' kernel mappings go back to writable
		 * inside multicalls, not one update_va_mapping each. */
		c0 = mmu_update_calls();
		uvm0 = pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping);
		mc0 = pvk_hypercall_count(PVK_HYPERVISOR_multicall);
		ext0 = pvk_hypercall_count(PVK_HYPERVISOR_mmuext_op);
		PVK_CHECK_RC(pvk_mmu_unmap_range(MM_VA, n), 0);
		PVK_CHECK_EQ(pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping) - uvm0, 0);
		if (round == 0)
			guest_printf("mm: unmapped %lu pages: %llu mmu_update, %llu multicall, %llu mmuext_op hypercalls\n",
				     n, (unsigned long long)(mmu_update_calls() - c0),
				     (unsigned long long)(pvk_hypercall_count(PVK_HYPERVISOR_multicall) - mc0),
				     (unsigned long long)(pvk_hypercall_count(PVK_HYPERVISOR_mmuext_op) - ext0));
		PVK_CHECK_EQ(pvk_mmu_lookup(MM_VA), 0);
		pvk_mmu_stats_snapshot(&s0);
		PVK_CHECK_EQ(s0.tables_freed - s1.tables_freed, 2 + (n + 511) / 512);
		PVK_CHECK_EQ(guest_pages_free(), free0);
	}
	guest_printf("mm: %u rounds of %lu pages: free frames %zu before, %zu after\n",
		     MM_ROUNDS, n, free0, guest_pages_free());
}

/* A zeroed page, read-only: what Xen accepts as an (empty) page table. */
static void *ro_page(void)
{
	void *page = pvk_port_alloc_page();

	if (page && pvk_mmu_make_readonly(page)) {
		pvk_port_free_page(page);
		return NULL;
	}
	return page;
}

static pvk_mfn_t mfn_of(const void *va)
{
	return pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va));
}

PVK_GUEST_TEST(mm_pin_switch)
{
	const uint64_t *old_l4 = (const uint64_t *)guest_start_info->pt_base;
	pvk_mfn_t old_base = pvk_mmu_kernel_base();
	size_t free0 = guest_pages_free();
	uint64_t *l4;
	void *page;
	pvk_pfn_t first;
	unsigned long avail;

	/* An empty table of each level pins and unpins; a second pin fails. */
	guest_printf("mm: expecting Xen to refuse 5 pins (4 repeated, 1 of a writable frame)\n");
	for (unsigned int level = 1; level <= 4; level++) {
		page = ro_page();
		PVK_CHECK(page);
		PVK_CHECK_RC(pvk_mmu_pin(level, mfn_of(page)), 0);
		PVK_CHECK(pvk_mmu_pin(level, mfn_of(page)) < 0);
		PVK_CHECK_RC(pvk_mmu_unpin(mfn_of(page)), 0);
		PVK_CHECK_RC(pvk_mmu_make_writable(page), 0);
		pvk_port_free_page(page);
	}
	/* A frame we can still write is refused as a page table. */
	page = pvk_port_alloc_page();
	PVK_CHECK(page);
	PVK_CHECK(pvk_mmu_pin(1, mfn_of(page)) < 0);
	pvk_port_free_page(page);

	/* A copy of the kernel's L4 (guest slots only: Xen fills its own)
	 * runs the kernel just as well; a page mapped under slot 300 before
	 * the copy is reachable through both. */
	PVK_CHECK_EQ(pvk_mfn_raw(old_base), pvk_mfn_raw(mfn_of(old_l4)));
	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_RC(pvk_mmu_map_range(MM_VA, first, 1, PVK_PTE_KERNEL_RW), 0);
	*(volatile uint64_t *)MM_VA = 0x1234abcd;
	l4 = pvk_port_alloc_page();
	PVK_CHECK(l4);
	for (unsigned int i = 0; i < PVK_PT_ENTRIES; i++) {
		if (i < 256 || i > 271)
			l4[i] = old_l4[i];
	}
	PVK_CHECK_RC(pvk_mmu_make_readonly(l4), 0);
	PVK_CHECK_RC(pvk_mmu_pin(4, mfn_of(l4)), 0);
	PVK_CHECK_RC(pvk_mmu_new_baseptr(mfn_of(l4)), 0);
	PVK_CHECK_EQ(pvk_mfn_raw(pvk_mmu_kernel_base()), pvk_mfn_raw(mfn_of(l4)));
	PVK_CHECK_EQ(*(volatile uint64_t *)MM_VA, 0x1234abcd);
	PVK_CHECK_RC(pvk_mmu_flush_tlb_local(), 0);
	PVK_CHECK_RC(pvk_mmu_flush_tlb_all(), 0);
	PVK_CHECK_RC(pvk_mmu_invlpg_local(MM_VA), 0);
	PVK_CHECK_RC(pvk_mmu_invlpg_all(MM_VA), 0);
	PVK_CHECK_RC(pvk_mmu_new_user_baseptr(pvk_mfn(0)), 0);
	PVK_CHECK_RC(pvk_mmu_new_baseptr(old_base), 0);
	PVK_CHECK_EQ(*(volatile uint64_t *)MM_VA, 0x1234abcd);
	PVK_CHECK_RC(pvk_mmu_unpin(mfn_of(l4)), 0);
	PVK_CHECK_RC(pvk_mmu_make_writable(l4), 0);
	pvk_port_free_page(l4);
	PVK_CHECK_RC(pvk_mmu_unmap_range(MM_VA, 1), 0);
	PVK_CHECK_EQ(guest_pages_free(), free0);
}

/*
 * One map of two pages across an L1 boundary: the last page of the first
 * L1 is a writable mapping of a pinned page table, which Xen refuses, and
 * the page after it needs a second L1. Xen applies the entries before the
 * refusal and drops the rest, so the second L1 was never remapped nor
 * hooked: the queue must give it back.
 */
PVK_GUEST_TEST(mm_table_dropped)
{
	const unsigned long va = MM_VA + (PVK_PT_ENTRIES - 1) * PVK_PAGE_SIZE;
	size_t free0 = guest_pages_free();
	const struct pvk_mmu_error *err;
	struct pvk_mmu_stats s0, s1;
	unsigned long avail;
	pvk_mfn_t mfns[2];
	pvk_pfn_t first;
	void *pt = ro_page();
	int rc;

	PVK_CHECK(pt);
	PVK_CHECK_RC(pvk_mmu_pin(1, mfn_of(pt)), 0);
	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, 1);
	PVK_CHECK_EQ(pvk_mmu_lookup(MM_VA), 0);
	mfns[0] = mfn_of(pt);
	mfns[1] = pvk_pfn_to_mfn(first);
	pvk_mmu_stats_snapshot(&s0);
	guest_printf("mm: expecting Xen to refuse a writable mapping of page table mfn 0x%llx, and the queue to free one table\n",
		     (unsigned long long)pvk_mfn_raw(mfn_of(pt)));
	rc = pvk_mmu_map_mfns(va, mfns, 2, PVK_PTE_KERNEL_RW);
	pvk_mmu_stats_snapshot(&s1);
	err = pvk_mmu_last_error();
	PVK_CHECK(rc < 0);
	PVK_CHECK_EQ(s1.refused - s0.refused, 1);
	/* L3, L2, L1 (two entries each), the refused PTE; the second L1
	 * (two) and its PTE dropped. */
	PVK_CHECK_EQ(err->index, 6);
	PVK_CHECK_EQ(err->count, 10);
	PVK_CHECK_EQ(err->val, pvk_pte(mfn_of(pt), PVK_PTE_KERNEL_RW));
	PVK_CHECK_EQ(s1.tables_added - s0.tables_added, 3);
	PVK_CHECK_EQ(s1.updates - s0.updates, 10);
	PVK_CHECK_EQ(pvk_mmu_lookup(va), 0);
	PVK_CHECK_EQ(pvk_mmu_lookup(va + PVK_PAGE_SIZE), 0);
	PVK_CHECK(tables_read_only(va));
	/* Out of the pool: pt and the three hooked tables, not the fourth. */
	PVK_CHECK_EQ(guest_pages_free(), free0 - 4);

	/* The freed page is an ordinary page again (the next table may be
	 * it, and the allocator writes it). */
	PVK_CHECK_RC(pvk_mmu_map_mfns(va + PVK_PAGE_SIZE, &mfns[1], 1, PVK_PTE_KERNEL_RW), 0);
	PVK_CHECK(tables_read_only(va + PVK_PAGE_SIZE));
	PVK_CHECK_RC(pvk_mmu_unmap_range(MM_VA, 2 * PVK_PT_ENTRIES), 0);
	PVK_CHECK_EQ(pvk_mmu_lookup(va + PVK_PAGE_SIZE), 0);
	PVK_CHECK_RC(pvk_mmu_unpin(mfn_of(pt)), 0);
	PVK_CHECK_RC(pvk_mmu_make_writable(pt), 0);
	pvk_port_free_page(pt);
	PVK_CHECK_EQ(guest_pages_free(), free0);
}

PVK_GUEST_TEST(mm_illegal_update)
{
	size_t free0 = guest_pages_free();
	const struct pvk_mmu_error *err;
	struct pvk_mmu_stats s0, s1;
	void *pt = ro_page();
	int rc;

	PVK_CHECK(pt);
	PVK_CHECK_RC(pvk_mmu_pin(1, mfn_of(pt)), 0);
	pvk_mmu_stats_snapshot(&s0);
	guest_printf("mm: expecting Xen to refuse a writable mapping of page table mfn 0x%llx\n",
		     (unsigned long long)pvk_mfn_raw(mfn_of(pt)));
	rc = pvk_mmu_map_range(MM_VA, pvk_port_virt_to_pfn(pt), 1, PVK_PTE_KERNEL_RW);
	pvk_mmu_stats_snapshot(&s1);
	err = pvk_mmu_last_error();
	PVK_CHECK(rc < 0);
	PVK_CHECK_EQ(s1.refused - s0.refused, 1);
	PVK_CHECK_RC(err->rc, rc);
	PVK_CHECK_EQ(err->val, pvk_pte(mfn_of(pt), PVK_PTE_KERNEL_RW));
	PVK_CHECK_EQ(err->slot, pvk_pt_index(MM_VA, 1));
	PVK_CHECK_EQ(err->index, err->count - 1);	/* the PTE came last */
	PVK_CHECK_EQ(pvk_mmu_lookup(MM_VA), 0);
	guest_printf("mm: refused as expected: entry %u of %u, table mfn 0x%llx slot %u, error %ld\n",
		     err->index, err->count, (unsigned long long)pvk_mfn_raw(err->table),
		     err->slot, err->rc);

	/* Read-only is how a page table may be mapped. */
	PVK_CHECK_RC(pvk_mmu_map_range(MM_VA, pvk_port_virt_to_pfn(pt), 1, PVK_PTE_KERNEL_RO), 0);
	PVK_CHECK_EQ(*(volatile uint64_t *)MM_VA, 0);
	PVK_CHECK_RC(pvk_mmu_unmap_range(MM_VA, 1), 0);
	PVK_CHECK_RC(pvk_mmu_unpin(mfn_of(pt)), 0);
	PVK_CHECK_RC(pvk_mmu_make_writable(pt), 0);
	pvk_port_free_page(pt);
	PVK_CHECK_EQ(guest_pages_free(), free0);
}

/* The functions the pvops table's Xen mmu slots point at. */
PVK_GUEST_TEST(mm_pvops_slots)
{
	uint64_t *page = ro_page();

	PVK_CHECK(page);
	PVK_CHECK_EQ(pvk_mmu_xen_read_cr3(), pvk_mfn_raw(pvk_mmu_kernel_base()) << 12);
	/* set_pte finds the entry's machine address from the kernel pointer:
	 * on a page that is not a page table Xen just stores the value. */
	pvk_mmu_xen_set_pte(&page[5], 0x1234);
	PVK_CHECK_EQ(((volatile uint64_t *)page)[5], 0x1234);
	pvk_mmu_xen_write_cr3(pvk_mmu_xen_read_cr3());
	pvk_mmu_xen_flush_tlb_local();
	pvk_mmu_xen_flush_tlb_one((unsigned long)page);
	PVK_CHECK_EQ(pvk_mmu_last_error()->rc, -PVK_XEN_EBUSY);	/* still mm_illegal_update's */
	PVK_CHECK_RC(pvk_mmu_make_writable(page), 0);
	pvk_port_free_page(page);
}
