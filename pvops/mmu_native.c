/*
 * pvops/mmu_native.c - the MMU ops on bare hardware: control registers,
 * invlpg, plain page-table stores.
 */
#include <pvkit/pv_lint.h>

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

const struct pvk_pvops_mmu pvk_native_mmu_ops = {
	.read_cr2 = native_read_cr2,
	.read_cr3 = native_read_cr3,
	.write_cr3 = native_write_cr3,
	.flush_tlb_one = native_flush_tlb_one,
	.flush_tlb_local = native_flush_tlb_local,
	.set_pte = native_set_pte,
};
