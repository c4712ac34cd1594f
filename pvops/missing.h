/*
 * pvops/missing.h - the panicking op of every slot (missing.c) and an
 * initializer of a whole table made of them.
 */
#ifndef PVK_PVOPS_MISSING_H
#define PVK_PVOPS_MISSING_H

#include <pvkit/pvops.h>

void pvk_missing_cpu_cpuid(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r);
unsigned long pvk_missing_cpu_read_cr0(void);
int pvk_missing_cpu_write_cr0(unsigned long val);
unsigned long pvk_missing_cpu_read_cr4(void);
int pvk_missing_cpu_write_cr4(unsigned long val);
int pvk_missing_cpu_read_msr_safe(uint32_t msr, uint64_t *val);
int pvk_missing_cpu_write_msr_safe(uint32_t msr, uint64_t val);
int pvk_missing_cpu_load_idt(const struct pvk_trap_desc *traps, unsigned int count);
int pvk_missing_cpu_load_gdt(void *table, unsigned int entries);
int pvk_missing_cpu_write_desc(void *table, unsigned int index, uint64_t desc);
int pvk_missing_cpu_load_ldt(unsigned int selector, void *ldt, unsigned int entries);
int pvk_missing_cpu_load_tr(unsigned int selector, struct pvk_tss *tss);
int pvk_missing_cpu_stack_switch(unsigned long rsp);
int pvk_missing_cpu_set_iopl(unsigned int iopl);
void pvk_missing_cpu_wbinvd(void);
void pvk_missing_cpu_halt(void);
void pvk_missing_cpu_safe_halt(void);
void pvk_missing_cpu_io_delay(void);
unsigned long pvk_missing_irq_save_fl(void);
void pvk_missing_irq_restore_fl(unsigned long flags);
void pvk_missing_irq_irq_disable(void);
void pvk_missing_irq_irq_enable(void);
unsigned long pvk_missing_mmu_read_cr2(void);
unsigned long pvk_missing_mmu_read_cr3(void);
void pvk_missing_mmu_write_cr3(unsigned long val);
void pvk_missing_mmu_flush_tlb_one(unsigned long va);
void pvk_missing_mmu_flush_tlb_local(void);
void pvk_missing_mmu_set_pte(uint64_t *ptep, uint64_t val);
uint64_t pvk_missing_mmu_make_pte(pvk_pfn_t pfn, uint64_t flags);
pvk_pfn_t pvk_missing_mmu_pte_pfn(uint64_t pte);
int pvk_missing_mmu_alloc_pt(unsigned int level, void *table);
int pvk_missing_mmu_release_pt(unsigned int level, void *table);
int pvk_missing_mmu_activate_mm(void *kernel_top, void *user_top);
void pvk_missing_mmu_lazy_enter(void);
int pvk_missing_mmu_lazy_leave(void);
uint64_t pvk_missing_time_clock_ns(void);
int pvk_missing_time_timer_set(uint64_t deadline_ns);
int pvk_missing_time_timer_stop(void);
void pvk_missing_time_wallclock(struct pvk_wallclock *out);
int pvk_missing_smp_cpu_start(unsigned int cpu, const struct pvk_cpu_boot *boot);
__pvk_noreturn void pvk_missing_smp_stop_self(void);
int pvk_missing_smp_send_ipi(const struct pvk_cpumask *cpus);
int pvk_missing_smp_flush_tlb(const struct pvk_cpumask *cpus, unsigned long va);

#define PVK_PVOPS_MISSING_INIT(group_name) { \
	.name = group_name, \
	.cpu = { \
		.cpuid = pvk_missing_cpu_cpuid, \
		.read_cr0 = pvk_missing_cpu_read_cr0, \
		.write_cr0 = pvk_missing_cpu_write_cr0, \
		.read_cr4 = pvk_missing_cpu_read_cr4, \
		.write_cr4 = pvk_missing_cpu_write_cr4, \
		.read_msr_safe = pvk_missing_cpu_read_msr_safe, \
		.write_msr_safe = pvk_missing_cpu_write_msr_safe, \
		.load_idt = pvk_missing_cpu_load_idt, \
		.load_gdt = pvk_missing_cpu_load_gdt, \
		.write_desc = pvk_missing_cpu_write_desc, \
		.load_ldt = pvk_missing_cpu_load_ldt, \
		.load_tr = pvk_missing_cpu_load_tr, \
		.stack_switch = pvk_missing_cpu_stack_switch, \
		.set_iopl = pvk_missing_cpu_set_iopl, \
		.wbinvd = pvk_missing_cpu_wbinvd, \
		.halt = pvk_missing_cpu_halt, \
		.safe_halt = pvk_missing_cpu_safe_halt, \
		.io_delay = pvk_missing_cpu_io_delay, \
	}, \
	.irq = { \
		.save_fl = pvk_missing_irq_save_fl, \
		.restore_fl = pvk_missing_irq_restore_fl, \
		.irq_disable = pvk_missing_irq_irq_disable, \
		.irq_enable = pvk_missing_irq_irq_enable, \
	}, \
	.mmu = { \
		.read_cr2 = pvk_missing_mmu_read_cr2, \
		.read_cr3 = pvk_missing_mmu_read_cr3, \
		.write_cr3 = pvk_missing_mmu_write_cr3, \
		.flush_tlb_one = pvk_missing_mmu_flush_tlb_one, \
		.flush_tlb_local = pvk_missing_mmu_flush_tlb_local, \
		.set_pte = pvk_missing_mmu_set_pte, \
		.make_pte = pvk_missing_mmu_make_pte, \
		.pte_pfn = pvk_missing_mmu_pte_pfn, \
		.alloc_pt = pvk_missing_mmu_alloc_pt, \
		.release_pt = pvk_missing_mmu_release_pt, \
		.activate_mm = pvk_missing_mmu_activate_mm, \
		.lazy_enter = pvk_missing_mmu_lazy_enter, \
		.lazy_leave = pvk_missing_mmu_lazy_leave, \
	}, \
	.time = { \
		.clock_ns = pvk_missing_time_clock_ns, \
		.timer_set = pvk_missing_time_timer_set, \
		.timer_stop = pvk_missing_time_timer_stop, \
		.wallclock = pvk_missing_time_wallclock, \
	}, \
	.smp = { \
		.cpu_start = pvk_missing_smp_cpu_start, \
		.stop_self = pvk_missing_smp_stop_self, \
		.send_ipi = pvk_missing_smp_send_ipi, \
		.flush_tlb = pvk_missing_smp_flush_tlb, \
	}, \
}

#endif /* PVK_PVOPS_MISSING_H */
