/*
 * pvops/missing.c - one op per slot that panics naming itself.
 *
 * These fill the table before selection and the slots a world does not
 * implement yet (the Xen MMU ops until the PV MMU lands, the native
 * one-shot timer). Calling one is a bug in the host or a missing feature;
 * either way it must stop the kernel with the op's name, never return.
 */
#include "pvops_internal.h"

void pvk_missing_cpu_cpuid(__pvk_unused uint32_t leaf, __pvk_unused uint32_t subleaf,
			   __pvk_unused struct pvk_cpuid_regs *r)
{
	pvk_pvops_missing("cpu.cpuid");
}

unsigned long pvk_missing_cpu_read_cr0(void)
{
	pvk_pvops_missing("cpu.read_cr0");
}

int pvk_missing_cpu_write_cr0(__pvk_unused unsigned long val)
{
	pvk_pvops_missing("cpu.write_cr0");
}

unsigned long pvk_missing_cpu_read_cr4(void)
{
	pvk_pvops_missing("cpu.read_cr4");
}

int pvk_missing_cpu_write_cr4(__pvk_unused unsigned long val)
{
	pvk_pvops_missing("cpu.write_cr4");
}

int pvk_missing_cpu_read_msr_safe(__pvk_unused uint32_t msr, __pvk_unused uint64_t *val)
{
	pvk_pvops_missing("cpu.read_msr_safe");
}

int pvk_missing_cpu_write_msr_safe(__pvk_unused uint32_t msr, __pvk_unused uint64_t val)
{
	pvk_pvops_missing("cpu.write_msr_safe");
}

int pvk_missing_cpu_load_idt(__pvk_unused const struct pvk_trap_desc *traps,
			     __pvk_unused unsigned int count)
{
	pvk_pvops_missing("cpu.load_idt");
}

int pvk_missing_cpu_load_gdt(__pvk_unused void *table, __pvk_unused unsigned int entries)
{
	pvk_pvops_missing("cpu.load_gdt");
}

int pvk_missing_cpu_write_desc(__pvk_unused void *table, __pvk_unused unsigned int index,
			       __pvk_unused uint64_t desc)
{
	pvk_pvops_missing("cpu.write_desc");
}

int pvk_missing_cpu_load_ldt(__pvk_unused unsigned int selector, __pvk_unused void *ldt,
			     __pvk_unused unsigned int entries)
{
	pvk_pvops_missing("cpu.load_ldt");
}

int pvk_missing_cpu_load_tr(__pvk_unused unsigned int selector,
			    __pvk_unused struct pvk_tss *tss)
{
	pvk_pvops_missing("cpu.load_tr");
}

int pvk_missing_cpu_stack_switch(__pvk_unused unsigned long rsp)
{
	pvk_pvops_missing("cpu.stack_switch");
}

int pvk_missing_cpu_set_iopl(__pvk_unused unsigned int iopl)
{
	pvk_pvops_missing("cpu.set_iopl");
}

void pvk_missing_cpu_wbinvd(void)
{
	pvk_pvops_missing("cpu.wbinvd");
}

void pvk_missing_cpu_halt(void)
{
	pvk_pvops_missing("cpu.halt");
}

void pvk_missing_cpu_safe_halt(void)
{
	pvk_pvops_missing("cpu.safe_halt");
}

void pvk_missing_cpu_io_delay(void)
{
	pvk_pvops_missing("cpu.io_delay");
}

unsigned long pvk_missing_irq_save_fl(void)
{
	pvk_pvops_missing("irq.save_fl");
}

void pvk_missing_irq_restore_fl(__pvk_unused unsigned long flags)
{
	pvk_pvops_missing("irq.restore_fl");
}

void pvk_missing_irq_irq_disable(void)
{
	pvk_pvops_missing("irq.irq_disable");
}

void pvk_missing_irq_irq_enable(void)
{
	pvk_pvops_missing("irq.irq_enable");
}

unsigned long pvk_missing_mmu_read_cr2(void)
{
	pvk_pvops_missing("mmu.read_cr2");
}

unsigned long pvk_missing_mmu_read_cr3(void)
{
	pvk_pvops_missing("mmu.read_cr3");
}

void pvk_missing_mmu_write_cr3(__pvk_unused unsigned long val)
{
	pvk_pvops_missing("mmu.write_cr3");
}

void pvk_missing_mmu_flush_tlb_one(__pvk_unused unsigned long va)
{
	pvk_pvops_missing("mmu.flush_tlb_one");
}

void pvk_missing_mmu_flush_tlb_local(void)
{
	pvk_pvops_missing("mmu.flush_tlb_local");
}

void pvk_missing_mmu_set_pte(__pvk_unused uint64_t *ptep, __pvk_unused uint64_t val)
{
	pvk_pvops_missing("mmu.set_pte");
}

uint64_t pvk_missing_mmu_make_pte(__pvk_unused pvk_pfn_t pfn, __pvk_unused uint64_t flags)
{
	pvk_pvops_missing("mmu.make_pte");
}

pvk_pfn_t pvk_missing_mmu_pte_pfn(__pvk_unused uint64_t pte)
{
	pvk_pvops_missing("mmu.pte_pfn");
}

int pvk_missing_mmu_alloc_pt(__pvk_unused unsigned int level, __pvk_unused void *table)
{
	pvk_pvops_missing("mmu.alloc_pt");
}

int pvk_missing_mmu_release_pt(__pvk_unused unsigned int level, __pvk_unused void *table)
{
	pvk_pvops_missing("mmu.release_pt");
}

int pvk_missing_mmu_activate_mm(__pvk_unused void *kernel_top, __pvk_unused void *user_top)
{
	pvk_pvops_missing("mmu.activate_mm");
}

void pvk_missing_mmu_lazy_enter(void)
{
	pvk_pvops_missing("mmu.lazy_enter");
}

int pvk_missing_mmu_lazy_leave(void)
{
	pvk_pvops_missing("mmu.lazy_leave");
}

uint64_t pvk_missing_time_clock_ns(void)
{
	pvk_pvops_missing("time.clock_ns");
}

int pvk_missing_time_timer_set(__pvk_unused uint64_t deadline_ns)
{
	pvk_pvops_missing("time.timer_set");
}

int pvk_missing_time_timer_stop(void)
{
	pvk_pvops_missing("time.timer_stop");
}

void pvk_missing_time_wallclock(__pvk_unused struct pvk_wallclock *out)
{
	pvk_pvops_missing("time.wallclock");
}

int pvk_missing_smp_cpu_start(__pvk_unused unsigned int cpu,
			      __pvk_unused const struct pvk_cpu_boot *boot)
{
	pvk_pvops_missing("smp.cpu_start");
}

void pvk_missing_smp_stop_self(void)
{
	pvk_pvops_missing("smp.stop_self");
}

int pvk_missing_smp_send_ipi(__pvk_unused const struct pvk_cpumask *cpus)
{
	pvk_pvops_missing("smp.send_ipi");
}

int pvk_missing_smp_flush_tlb(__pvk_unused const struct pvk_cpumask *cpus,
			      __pvk_unused unsigned long va)
{
	pvk_pvops_missing("smp.flush_tlb");
}
