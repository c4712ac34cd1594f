/*
 * pvops/mmu_native.c - the MMU ops on bare hardware: control registers,
 * invlpg, plain page-table stores.
 *
 * The page-table hooks are what the Xen side makes expensive and are
 * (nearly) free here: entries hold physical frames, which are the host's
 * pfns; a page becomes a table by being hooked in; lazy mode has nothing
 * to batch. activate_mm has the one real difference: the CPU has a single
 * %cr3, so the user top carries the kernel half (copied on each
 * activation) and is what %cr3 points at while a user space is active.
 */
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"

static unsigned long native_read_cr2(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(native_read_cr2);
	__asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
	return v;
}

static unsigned long native_read_cr3(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(native_read_cr3);
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
	return v;
}

static void native_write_cr3(unsigned long v)
{
	PVK_NATIVE_ONLY(native_write_cr3);
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory");
}

static void native_flush_tlb_one(unsigned long va)
{
	PVK_NATIVE_ONLY(native_flush_tlb_one);
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* Reloading CR3 drops every non-global translation. */
static void native_flush_tlb_local(void)
{
	PVK_NATIVE_ONLY(native_flush_tlb_local);
	native_write_cr3(native_read_cr3());
}

static void native_set_pte(uint64_t *ptep, uint64_t val)
{
	PVK_WRITE_ONCE(*ptep, val);
}

static uint64_t native_make_pte(pvk_pfn_t pfn, uint64_t flags)
{
	return (pvk_pfn_raw(pfn) << PVK_PAGE_SHIFT & PVK_PTE_MFN_MASK) | (flags & ~PVK_PTE_MFN_MASK);
}

static pvk_pfn_t native_pte_pfn(uint64_t pte)
{
	return pvk_pfn((pte & PVK_PTE_MFN_MASK) >> PVK_PAGE_SHIFT);
}

static int native_pt_hook(unsigned int level, __pvk_unused void *table)
{
	return level >= 1 && level <= 4 ? 0 : -PVK_XEN_EINVAL;
}

/* The kernel half of an L4: what every address space shares. */
#define KERNEL_HALF_FIRST	(PVK_PT_ENTRIES / 2)

static int native_activate_mm(void *kernel_top, void *user_top)
{
	uint64_t *u = user_top;
	const uint64_t *k = kernel_top;
	void *top = user_top ? user_top : kernel_top;

	PVK_NATIVE_ONLY(native_activate_mm);
	for (unsigned int slot = KERNEL_HALF_FIRST; u && slot < PVK_PT_ENTRIES; slot++)
		PVK_WRITE_ONCE(u[slot], PVK_READ_ONCE(k[slot]));
	native_write_cr3(pvk_pfn_raw(pvk_port_virt_to_pfn(top)) << PVK_PAGE_SHIFT);
	return 0;
}

static void native_lazy_enter(void)
{
}

static int native_lazy_leave(void)
{
	return 0;
}

const struct pvk_pvops_mmu pvk_native_mmu_ops = {
	.read_cr2 = native_read_cr2,
	.read_cr3 = native_read_cr3,
	.write_cr3 = native_write_cr3,
	.flush_tlb_one = native_flush_tlb_one,
	.flush_tlb_local = native_flush_tlb_local,
	.set_pte = native_set_pte,
	.make_pte = native_make_pte,
	.pte_pfn = native_pte_pfn,
	.alloc_pt = native_pt_hook,
	.release_pt = native_pt_hook,
	.activate_mm = native_activate_mm,
	.lazy_enter = native_lazy_enter,
	.lazy_leave = native_lazy_leave,
};
