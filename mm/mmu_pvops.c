/*
 * mm/mmu_pvops.c - the Xen implementations of the pvops table's mmu slots
 * (include/pvkit/pvops.h, struct pvk_pvops_mmu), for pvops/ to point at.
 *
 * CR3 values here are machine addresses of the L4 (what a PV guest's
 * `mov %cr3` would read back from Xen). set_pte takes the kernel's
 * pointer to the entry, finds the entry's machine address through the
 * port (pvk_port_virt_to_pfn) and the p2m, and writes it with one
 * mmu_update (queued in lazy mode); the value is a machine PTE
 * (pvk_pte()). The slots return nothing, and a kernel that asked for a
 * page-table write or a switch must not run on as if it happened: a
 * refusal (already logged with entry, frame and Xen's error by the calls
 * below) panics, naming the slot.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>

static void must(int rc, const char *slot)
{
	char msg[96];

	if (!rc)
		return;
	pvk_snprintf(msg, sizeof(msg), "pvops xen: mmu.%s refused by Xen (error %d)", slot, rc);
	pvk_port_panic(msg);
}

unsigned long pvk_mmu_xen_read_cr3(void)
{
	return (unsigned long)(pvk_mfn_raw(pvk_mmu_kernel_base()) << PVK_PAGE_SHIFT);
}

void pvk_mmu_xen_write_cr3(unsigned long val)
{
	must(pvk_mmu_new_baseptr(pvk_mfn(val >> PVK_PAGE_SHIFT)), "write_cr3"); /* flushes the TLB too */
}

void pvk_mmu_xen_flush_tlb_one(unsigned long va)
{
	must(pvk_mmu_invlpg_local(va), "flush_tlb_one");
}

void pvk_mmu_xen_flush_tlb_local(void)
{
	must(pvk_mmu_flush_tlb_local(), "flush_tlb_local");
}

void pvk_mmu_xen_set_pte(uint64_t *ptep, uint64_t val)
{
	unsigned long va = (unsigned long)ptep;
	pvk_pfn_t pfn = pvk_port_virt_to_pfn((void *)(va & ~(PVK_PAGE_SIZE - 1)));

	must(pvk_mmu_set_entry(pvk_pfn_to_mfn(pfn), (va & (PVK_PAGE_SIZE - 1)) / 8, val), "set_pte");
}
