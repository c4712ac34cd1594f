/*
 * smp/tlb.c - TLB shootdowns and the gather that frees pages only after
 * the CPUs that may still translate to them were flushed.
 *
 * The shootdown itself is the world's (pvops smp.flush_tlb: one
 * MMUEXT_*_MULTI on Xen, local flush plus pvk_smp_call() natively); this
 * file keeps only the CPUs that may hold translations
 * (pvk_smp_tlb_mask(): online, being started, or stopped but not yet
 * seen down; a CPU being started walks the page tables before it is
 * online) and counts. On Xen a vCPU of the mask that is down costs
 * nothing (Xen flushes the physical CPUs the named vCPUs last ran on);
 * natively the call reaches online CPUs only. A stopped CPU's TLB is flushed when it starts again: a first
 * start loads %cr3 (VCPUOP_initialise's context, or the trampoline), a
 * restart natively is INIT-SIPI-SIPI, and a restarted Xen vCPU (woken
 * by VCPUOP_up inside its own VCPUOP_down, no %cr3 load if Xen switches
 * back lazily) flushes its own TLB first thing in stop_self.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "smp_internal.h"

int pvk_smp_flush_tlb(const struct pvk_cpumask *cpus, unsigned long va)
{
	struct pvk_cpumask set = {
		cpus->bits & __atomic_load_n(&pvk_smp_translating, __ATOMIC_ACQUIRE)
	};
	unsigned long flags;
	int rc;

	if (pvk_cpumask_empty(&set))
		return 0;
	/* Irqs off: counted on the CPU the caller is on, not one it left. */
	flags = pvk_irq_save();
	pvk_smp_count(&pvk_smp_stats_of(pvk_port_cpu_id())->flushes);
	pvk_restore_fl(flags);
	rc = pvk_pvops.smp.flush_tlb(&set, va);
	if (rc)
		pvk_err("smp: TLB flush of %s%lx on CPUs 0x%llx failed: %d",
			va == PVK_TLB_FLUSH_ALL ? "all, not " : "", va,
			(unsigned long long)set.bits, rc);
	return rc;
}

void pvk_tlb_gather_init(struct pvk_tlb_gather *g, const struct pvk_cpumask *cpus,
			 void (*free_page)(void *page))
{
	g->cpus = *cpus;
	g->free_page = free_page;
	g->nr = 0;
	g->flushes = 0;
}

int pvk_tlb_gather_finish(struct pvk_tlb_gather *g)
{
	int rc;

	if (!g->nr)
		return 0;
	rc = pvk_smp_flush_tlb(&g->cpus, PVK_TLB_FLUSH_ALL);
	if (rc)
		return rc;	/* the pages stay queued: none may be reused yet */
	g->flushes++;
	for (unsigned int i = 0; i < g->nr; i++)
		g->free_page(g->pages[i]);
	g->nr = 0;
	return 0;
}

int pvk_tlb_gather_add(struct pvk_tlb_gather *g, void *page)
{
	int rc;

	if (g->nr == PVK_TLB_GATHER_PAGES) {
		rc = pvk_tlb_gather_finish(g);
		if (rc)
			return rc;
	}
	g->pages[g->nr++] = page;
	return 0;
}
