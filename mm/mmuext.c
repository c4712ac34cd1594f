/*
 * mm/mmuext.c - the extended MMU operations: pin and unpin page tables,
 * switch base pointers, flush TLBs, and remap one of our pages read-only
 * (a frame Xen will use as a page table may have no writable mapping) or
 * writable again.
 *
 * Each operation first issues the queued entry writes, so Xen sees updates
 * in the order the caller made them. A refused operation is logged with
 * the command, the frame or address and Xen's error, and returned.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "mmu_internal.h"

/* Each CPU's running L4 (its own address space: read_cr3, new_baseptr);
 * a started CPU takes its starter's (pvk_mmu_cpu_base_set()). */
pvk_mfn_t pvk_mmu_base_mfn[PVK_MAX_CPUS];
void *(*pvk_mmu_pfn_to_virt)(pvk_pfn_t pfn);

void pvk_mmu_init(const struct pvk_start_info *si,
		  void *(*pfn_to_virt)(pvk_pfn_t pfn))
{
	pvk_p2m_init(si);
	pvk_mmu_queue_init();
	pvk_mmu_map_init();
	pvk_mmu_pfn_to_virt = pfn_to_virt;
	pvk_mmu_base_mfn[0] = pvk_pfn_to_mfn(pvk_port_virt_to_pfn((void *)si->pt_base));
	if (pvk_pfn_raw(pvk_mfn_to_pfn(pvk_mmu_base_mfn[0])) == PVK_INVALID_RAW_FRAME)
		pvk_port_panic("pvk_mmu_init: start_info.pt_base is not one of our frames");
	for (unsigned int cpu = 1; cpu < PVK_MAX_CPUS; cpu++)
		pvk_mmu_base_mfn[cpu] = pvk_mmu_base_mfn[0];
}

static unsigned int this_cpu(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("mmu: pvk_port_cpu_id() beyond PVK_MAX_CPUS");
	return cpu;
}

pvk_mfn_t pvk_mmu_kernel_base(void)
{
	return pvk_mmu_base_mfn[this_cpu()];
}

void pvk_mmu_cpu_base_set(unsigned int cpu, pvk_mfn_t l4)
{
	if (cpu < PVK_MAX_CPUS)
		pvk_mmu_base_mfn[cpu] = l4;
}

static int ext(const char *what, uint32_t cmd, uint64_t arg1)
{
	struct pvk_mmuext_op op = { .cmd = cmd };
	unsigned int done = 0;
	long rc;

	rc = pvk_mmu_flush_queue();
	if (rc)
		return (int)rc;
	op.arg1.mfn = arg1;	/* the union's other member has the same size */
	rc = pvk_hyp_mmuext_op(&op, 1, &done, PVK_DOMID_SELF);
	if (rc || done != 1) {
		if (!rc)
			rc = -PVK_XEN_EIO;
		pvk_err("mmuext_op: Xen refused %s (cmd %u, arg 0x%llx): error %ld",
			what, cmd, (unsigned long long)arg1, rc);
		return (int)rc;
	}
	return 0;
}

int pvk_mmu_pin(unsigned int level, pvk_mfn_t table)
{
	static const uint32_t cmd[] = {
		[1] = PVK_MMUEXT_PIN_L1_TABLE, [2] = PVK_MMUEXT_PIN_L2_TABLE,
		[3] = PVK_MMUEXT_PIN_L3_TABLE, [4] = PVK_MMUEXT_PIN_L4_TABLE,
	};

	if (level < 1 || level > 4)
		pvk_port_panic("pvk_mmu_pin: level must be 1..4");
	return ext("pin", cmd[level], pvk_mfn_raw(table));
}

int pvk_mmu_unpin(pvk_mfn_t table)
{
	return ext("unpin", PVK_MMUEXT_UNPIN_TABLE, pvk_mfn_raw(table));
}

int pvk_mmu_new_baseptr(pvk_mfn_t l4)
{
	int rc = ext("new_baseptr", PVK_MMUEXT_NEW_BASEPTR, pvk_mfn_raw(l4));

	if (!rc)
		pvk_mmu_base_mfn[this_cpu()] = l4;
	return rc;
}

int pvk_mmu_new_user_baseptr(pvk_mfn_t l4)
{
	return ext("new_user_baseptr", PVK_MMUEXT_NEW_USER_BASEPTR, pvk_mfn_raw(l4));
}

/*
 * Both base pointers in one hypercall (activate_mm): Xen applies the two
 * operations in order and stops at the first it refuses, so done says
 * which one took; the kernel one is recorded only when it did.
 */
int pvk_mmu_new_baseptrs(pvk_mfn_t kernel_l4, pvk_mfn_t user_l4)
{
	struct pvk_mmuext_op op[2] = {
		{ .cmd = PVK_MMUEXT_NEW_BASEPTR, .arg1.mfn = pvk_mfn_raw(kernel_l4) },
		{ .cmd = PVK_MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = pvk_mfn_raw(user_l4) },
	};
	unsigned int done = 0;
	long rc;

	rc = pvk_mmu_flush_queue();
	if (rc)
		return (int)rc;
	rc = pvk_hyp_mmuext_op(op, 2, &done, PVK_DOMID_SELF);
	if (done >= 1)
		pvk_mmu_base_mfn[this_cpu()] = kernel_l4;
	if (rc || done != 2) {
		if (!rc)
			rc = -PVK_XEN_EIO;
		pvk_err("mmuext_op: Xen refused %s (kernel L4 mfn 0x%llx, user L4 mfn 0x%llx): error %ld",
			done ? "new_user_baseptr" : "new_baseptr",
			(unsigned long long)pvk_mfn_raw(kernel_l4),
			(unsigned long long)pvk_mfn_raw(user_l4), rc);
		return (int)rc;
	}
	return 0;
}

int pvk_mmu_flush_tlb_local(void)
{
	return ext("tlb_flush_local", PVK_MMUEXT_TLB_FLUSH_LOCAL, 0);
}

int pvk_mmu_flush_tlb_all(void)
{
	return ext("tlb_flush_all", PVK_MMUEXT_TLB_FLUSH_ALL, 0);
}

int pvk_mmu_invlpg_local(unsigned long va)
{
	return ext("invlpg_local", PVK_MMUEXT_INVLPG_LOCAL, va);
}

int pvk_mmu_invlpg_all(unsigned long va)
{
	return ext("invlpg_all", PVK_MMUEXT_INVLPG_ALL, va);
}

int pvk_mmu_shootdown(unsigned long va)
{
	struct pvk_cpumask online;

	pvk_smp_tlb_mask(&online);
	if (online.bits == pvk_cpumask_of(pvk_port_cpu_id()).bits)
		return va == PVK_TLB_FLUSH_ALL ? pvk_mmu_flush_tlb_local() :
						 pvk_mmu_invlpg_local(va);
	return pvk_smp_flush_tlb(&online, va);
}

int pvk_mmu_shootdown_others(void)
{
	struct pvk_cpumask online;

	pvk_smp_tlb_mask(&online);
	if (online.bits == pvk_cpumask_of(pvk_port_cpu_id()).bits)
		return 0;
	return pvk_smp_flush_tlb(&online, PVK_TLB_FLUSH_ALL);
}

/* update_va_mapping of one of our pages to flags, after the queue. */
static int remap(void *va, uint64_t flags)
{
	pvk_mfn_t mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va));
	long rc;

	rc = pvk_mmu_flush_queue();
	if (rc)
		return (int)rc;
	rc = pvk_hyp_update_va_mapping((unsigned long)va, pvk_pte(mfn, flags),
				       PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
	if (rc)
		pvk_err("update_va_mapping: Xen refused va %p -> mfn 0x%llx flags 0x%llx: error %ld",
			va, (unsigned long long)pvk_mfn_raw(mfn),
			(unsigned long long)flags, rc);
	return (int)rc;
}

int pvk_mmu_make_readonly(void *va)
{
	return remap(va, PVK_PTE_KERNEL_RO);
}

int pvk_mmu_make_writable(void *va)
{
	return remap(va, PVK_PTE_KERNEL_RW);
}
