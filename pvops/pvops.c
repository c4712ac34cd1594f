/*
 * pvops/pvops.c - the selected table and the two ways to select it.
 *
 * pvk_pvops starts as the "none" table (every op panics naming itself), so
 * an op used before selection is a clear error, not a jump to address 0.
 * Selection copies the groups of one world in; a slot a world lacks keeps
 * its panicking op (missing.c). Selecting twice is a host bug: the ops of
 * the two worlds keep different state and cannot be mixed (and the irq
 * ops' call sites, rewritten for the first world by patch.c, would refuse
 * a second rewrite).
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/xen/xen.h>

#include "pvops_internal.h"
#include "patch.h"
#include "../smp/smp_internal.h"

struct pvk_pvops pvk_pvops = PVK_PVOPS_MISSING_INIT("none");

static const struct pvk_pvops missing = PVK_PVOPS_MISSING_INIT("none");

__pvk_noreturn void pvk_pvops_missing(const char *op)
{
	char msg[128];

	pvk_snprintf(msg, sizeof(msg), "pvops %s: op %s is not implemented%s",
		     pvk_pvops.name, op,
		     pvk_pvops.name == missing.name ?
		     " (no pvk_pvops_select_*() yet)" : "");
	pvk_port_panic(msg);
}

static void check_first_selection(const char *world)
{
	if (pvk_pvops.name != missing.name) {
		pvk_err("pvops: %s selected, then %s: a table is selected once", pvk_pvops.name, world);
		pvk_port_panic("pvops: selected twice");
	}
}

void pvk_pvops_select_native(void)
{
	check_first_selection("native");
	pvk_pvops.cpu = pvk_native_cpu_ops;
	pvk_pvops.irq = pvk_native_irq_ops;
	/* The irq sites become the bare instructions (patch.c). */
	pvk_pvops_patch_sites(pvk_native_irq_patch());
	pvk_pvops.mmu = pvk_native_mmu_ops;
	pvk_native_time_calibrate();
	pvk_pvops.time = pvk_native_time_ops;
	pvk_pvops.smp = pvk_native_smp_ops;
	pvk_smp_world = &pvk_native_smp_world;
	pvk_pvops.name = "native";
}

#ifdef CONFIG_PVK_XEN_PV
void pvk_pvops_xen_set_shared_info(struct pvk_shared_info *shared)
{
	/* Every CPU with a legacy slot uses it until its vcpu_info is
	 * registered elsewhere (irq_xen.c). */
	pvk_xen_set_shared_info_vcpus(shared);
}

void pvk_pvops_select_xen(struct pvk_shared_info *shared)
{
	check_first_selection("xen");
	pvk_pvops.cpu = pvk_xen_cpu_ops;
	pvk_pvops.irq = pvk_xen_irq_ops;
	/* The irq sites become direct calls of the Xen ops (patch.c). */
	pvk_pvops_patch_sites(pvk_xen_irq_patch());
	pvk_pvops.mmu = (struct pvk_pvops_mmu){
		.read_cr2 = pvk_xen_read_cr2,
		/* mm/mmu_pvops.c: the PV MMU (mmu_update, mmuext_op). */
		.read_cr3 = pvk_mmu_xen_read_cr3,
		.write_cr3 = pvk_mmu_xen_write_cr3,
		.flush_tlb_one = pvk_mmu_xen_flush_tlb_one,
		.flush_tlb_local = pvk_mmu_xen_flush_tlb_local,
		.set_pte = pvk_mmu_xen_set_pte,
		.make_pte = pvk_mmu_xen_make_pte,
		.pte_pfn = pvk_mmu_xen_pte_pfn,
		.alloc_pt = pvk_mmu_xen_alloc_pt,
		.release_pt = pvk_mmu_xen_release_pt,
		.activate_mm = pvk_mmu_xen_activate_mm,
		.lazy_enter = pvk_mmu_xen_lazy_enter,
		.lazy_leave = pvk_mmu_xen_lazy_leave,
	};
	pvk_pvops.time = pvk_xen_time_ops;
	pvk_pvops.smp = pvk_xen_smp_ops;
	pvk_smp_world = &pvk_xen_smp_world;
	pvk_pvops_xen_set_shared_info(shared);
	pvk_pvops.name = "xen";
}
#endif
