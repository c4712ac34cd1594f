/*
 * pvops/pvops_internal.h - how the pvops files hand their op groups to the
 * selection code (pvops.c). Not part of the kit's API.
 */
#ifndef PVK_PVOPS_INTERNAL_H
#define PVK_PVOPS_INTERNAL_H

#include <pvkit/pvops.h>

#include "missing.h"


/* load_ldt's limit in both worlds: a selector indexes 8192 descriptors. */
#define LDT_MAX_ENTRIES	8192

/* msr_safe.S: rdmsr/wrmsr whose #GP is turned into -PVK_XEN_EIO. */
int pvk_pvops_rdmsr_safe(uint32_t msr, uint64_t *val);
int pvk_pvops_wrmsr_safe(uint32_t msr, uint64_t val);

/* The native world. */
extern const struct pvk_pvops_cpu pvk_native_cpu_ops;
extern const struct pvk_pvops_irq pvk_native_irq_ops;
extern const struct pvk_pvops_mmu pvk_native_mmu_ops;
extern const struct pvk_pvops_time pvk_native_time_ops;
void pvk_native_time_calibrate(void);
uint64_t pvk_native_clock_ns(void);	/* time_native.c, for rtc_native.c's table */
uint64_t pvk_native_clock_ns_here(void);	/* time_native.c, for clock_here.c */
bool pvk_native_time_ready(void);	/* time_native.c: calibrated */
volatile uint32_t *pvk_native_apic_mmio(void);	/* timer_native.c: NULL before init */
/* smp_native.c: the smp group and smp/'s native steps. */
extern const struct pvk_pvops_smp pvk_native_smp_ops;
struct pvk_smp_world;
extern const struct pvk_smp_world pvk_native_smp_world;

/* The Xen PV world. */
extern const struct pvk_pvops_cpu pvk_xen_cpu_ops;
extern const struct pvk_pvops_irq pvk_xen_irq_ops;
extern const struct pvk_pvops_time pvk_xen_time_ops;
/* irq_xen.c: the calling vCPU's vcpu_info (pvk_port_cpu_id()); panics
 * when it has none (shared_info not given yet). */
struct pvk_vcpu_info *pvk_xen_vcpu(void);
/* irq_xen.c: each CPU not registered elsewhere uses shared's legacy slot
 * (NULL: none until shared_info is given). */
void pvk_xen_set_shared_info_vcpus(struct pvk_shared_info *shared);
/* irq_xen.c, after a resume in a new domain: cpu (not 0, down) has no
 * registered vcpu_info there; its next pvk_xen_vcpu_info_prepare()
 * registers it again. */
void pvk_xen_vcpu_info_forget(unsigned int cpu);
unsigned long pvk_xen_read_cr2(void);
/* smp_xen.c: the smp group and smp/'s Xen steps. */
extern const struct pvk_pvops_smp pvk_xen_smp_ops;
struct pvk_smp_world;
extern const struct pvk_smp_world pvk_xen_smp_world;
struct pvk_vcpu_guest_context;
/* cpu_xen.c: a new vCPU's trap table and GDT: the calling vCPU's last
 * load_idt and load_gdt (or what it inherited), recorded as cpu's too. */
void pvk_xen_cpu_fill_context(struct pvk_vcpu_guest_context *c, unsigned int cpu);
/* xen_callbacks.c: a new vCPU's event, failsafe and syscall callbacks. */
void pvk_xen_callbacks_fill_context(struct pvk_vcpu_guest_context *c);

static inline uint8_t pvk_inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void pvk_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

#endif /* PVK_PVOPS_INTERNAL_H */
