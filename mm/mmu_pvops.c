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
 *
 * The page-table slots (make_pte ... lazy_leave) are thin: entries hold
 * machine frames (p2m one way, the M2P checked against the p2m the
 * other), a new table is made read-only and a top one pinned, release
 * undoes that, activate_mm gives both base pointers in one mmuext_op
 * and lazy mode is the kit's own queue. These return Xen's refusal
 * (already logged) instead of panicking: they are the host's to handle,
 * as before the slots existed.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

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

/* The host's pointer to one of its pages, as the machine frame behind it. */
static pvk_mfn_t table_mfn(void *table)
{
	return pvk_pfn_to_mfn(pvk_port_virt_to_pfn(table));
}

uint64_t pvk_mmu_xen_make_pte(pvk_pfn_t pfn, uint64_t flags)
{
	pvk_mfn_t mfn = pvk_pfn_to_mfn(pfn);
	char msg[96];

	/* An entry for a frame we do not have would map whatever machine
	 * frame the garbage names (or be refused much later, far from the
	 * mistake): stop here, naming the pfn. */
	if (pvk_mfn_raw(mfn) == PVK_INVALID_RAW_FRAME) {
		pvk_snprintf(msg, sizeof(msg), "pvops xen: mmu.make_pte of pfn 0x%llx, which has no machine frame",
			     (unsigned long long)pvk_pfn_raw(pfn));
		pvk_port_panic(msg);
	}
	return pvk_pte(mfn, flags & ~PVK_PTE_MFN_MASK);
}

pvk_pfn_t pvk_mmu_xen_pte_pfn(uint64_t pte)
{
	return pvk_mfn_to_pfn(pvk_pte_mfn(pte));	/* checked against the p2m */
}

static bool level_ok(unsigned int level)
{
	return level >= 1 && level <= 4;
}

int pvk_mmu_xen_alloc_pt(unsigned int level, void *table)
{
	int rc;

	if (!level_ok(level))
		return -PVK_XEN_EINVAL;
	rc = pvk_mmu_make_readonly(table);
	if (rc || level != 4)
		return rc;
	/* A pinned top keeps its whole tree typed and validated: the cheap
	 * way to switch to it later, and what a user base pointer needs. */
	rc = pvk_mmu_pin(4, table_mfn(table));
	if (rc && pvk_mmu_make_writable(table))
		pvk_err("pvops xen: mmu.alloc_pt: L4 %p left read-only after a refused pin", table);
	return rc;
}

int pvk_mmu_xen_release_pt(unsigned int level, void *table)
{
	int rc;

	if (!level_ok(level))
		return -PVK_XEN_EINVAL;
	if (level == 4) {
		rc = pvk_mmu_unpin(table_mfn(table));
		if (rc)
			return rc;
	}
	return pvk_mmu_make_writable(table);
}

int pvk_mmu_xen_activate_mm(void *kernel_top, void *user_top)
{
	return pvk_mmu_new_baseptrs(table_mfn(kernel_top),
				    user_top ? table_mfn(user_top) : pvk_mfn(0));
}

void pvk_mmu_xen_lazy_enter(void)
{
	pvk_mmu_lazy_enter();
}

int pvk_mmu_xen_lazy_leave(void)
{
	return pvk_mmu_lazy_leave();
}
