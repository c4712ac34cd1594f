/*
 * mm/mmu_va_run.c - runs of update_va_mapping as multicalls.
 *
 * Remapping many virtual addresses of the running address space one
 * update_va_mapping at a time costs one entry into Xen per page. Queued
 * through the kit's multicall batcher the same run costs one entry per
 * CONFIG_PVK_MULTICALL_BATCH pages, and Xen still validates (and, with
 * the flush flags, invalidates) each address on its own.
 *
 * Ordering: entry writes queued in lazy mode go to Xen first, so the run
 * sees the page tables the caller has built.
 *
 * Several CPUs: a flush the caller asks for (UVMF_INVLPG or
 * UVMF_TLB_FLUSH) with the local scope reaches only the calling vCPU,
 * entry by entry; the old translations may sit in the other online CPUs'
 * TLBs, and the caller may free or reuse the old frames once the run
 * returns. So after such a run one flush of every online CPU follows
 * (pvk_mmu_shootdown_others(): one hypercall per run, none with one CPU).
 * UVMF_ALL already flushes every vCPU; UVMF_NONE asks for no flush.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/multicall.h>
#include <pvkit/xen/xen.h>

#include "mmu_internal.h"

int pvk_mmu_update_va_run(const struct pvk_mmu_va_update *u, unsigned long n,
			  unsigned long uvm_flags)
{
	struct pvk_multicall_failure fail, first_fail = { 0 };
	struct pvk_multicall_op op = { .op = PVK_HYPERVISOR_update_va_mapping };
	int first = 0, rc;

	rc = pvk_mmu_flush_queue();
	if (rc)
		return rc;
	for (unsigned long i = 0; i < n; i++) {
		op.args[0] = u[i].va;
		op.args[1] = u[i].pte;
		op.args[2] = uvm_flags;
		rc = pvk_multicall_add(&op, &fail);
		if (rc && !first) {
			first = rc;
			first_fail = fail;
		}
	}
	rc = pvk_multicall_flush(&fail);
	if (rc && !first) {
		first = rc;
		first_fail = fail;
	}
	/* A local flush (no vCPU mask pointer, not ALL) of another CPU's
	 * translations: one shootdown of the others after the run. */
	if ((uvm_flags & PVK_UVMF_FLUSHTYPE_MASK) && !(uvm_flags & PVK_UVMF_ALL) &&
	    !(uvm_flags & ~(unsigned long)(PVK_UVMF_FLUSHTYPE_MASK | PVK_UVMF_ALL))) {
		rc = pvk_mmu_shootdown_others();
		if (rc && !first)
			return rc;
	}
	if (first)
		pvk_err("update_va_mapping run of %lu: refused (first error %d, va 0x%lx pte 0x%lx)",
			n, first, first_fail.args[0], first_fail.args[1]);
	return first;
}
