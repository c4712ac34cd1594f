/*
 * pvops/smp_native.c - the smp ops on bare hardware: starting a CPU with
 * INIT-SIPI-SIPI into smp_trampoline.S, stopping one in a halt loop, IPIs
 * through the local APIC's interrupt command register, and TLB shootdowns
 * as a local flush plus pvk_smp_call() to the others.
 *
 * xAPIC only, like timer_native.c, whose mapping of the register page we
 * use (pvk_native_apic_mmio()):
 *
 *   register   | offset | use
 *   -----------+--------+------------------------------------------------
 *   APIC id    | 0x020  | bits 24-31: which CPU this is (checked at init)
 *   TPR        | 0x080  | 0 on a new CPU: every vector delivered
 *   EOI        | 0x0b0  | after the IPI vector
 *   SVR        | 0x0f0  | a new CPU's APIC enabled as the boot CPU's
 *   ICR low    | 0x300  | vector, delivery mode, level; the write sends;
 *              |        | bit 12 = delivery pending
 *   ICR high   | 0x310  | bits 24-31: destination APIC id (physical)
 *
 * The ICR is one register per CPU written in two halves, so each send runs
 * with local irqs off: an IPI sent by an interrupt handler between the two
 * writes would otherwise steal the destination.
 *
 * Start (Intel SDM vol. 3, "MP initialization protocol"): INIT, 10 ms,
 * SIPI with vector low_phys >> 12, 200 us, a second SIPI if the CPU has
 * not begun (a CPU already running ignores it). One start at a time: the
 * trampoline's data and pvk_native_ap_params are single, so cpu_start
 * waits (bounded) until the new CPU has read them, and says how far it
 * got if it never does; then it INITs the CPU back to wait-for-SIPI
 * before another start may change them (abandon()).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"
#include "smp_native.h"
#include "../smp/smp_internal.h"

#define APIC_ID			0x020
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ICR_LOW		0x300
#define APIC_ICR_HIGH		0x310
#define ICR_PENDING		(1u << 12)
#define ICR_ASSERT		(1u << 14)
#define ICR_FIXED		(0u << 8)
#define ICR_INIT		(5u << 8)
#define ICR_STARTUP		(6u << 8)
#define XAPIC_BROADCAST		0xffu

#define MSR_EFER		0xc0000080u
#define EFER_SCE		(1ULL << 0)
#define EFER_LME		(1ULL << 8)
#define EFER_NXE		(1ULL << 11)
#define CR4_LA57		(1UL << 12)
#define CR4_OSXSAVE		(1UL << 18)
#define MSR_PAT			0x277u

#define PTE_P_RW		0x003ULL
#define PTE_LARGE		0x080ULL

#define US			1000ULL
#define MS			(1000 * US)
#define INIT_DELAY_NS		(10 * MS)
#define SIPI_DELAY_NS		(200 * US)
#define ICR_TIMEOUT_NS		(100 * MS)
#define ARRIVE_TIMEOUT_NS	(PVK_SMP_START_TIMEOUT_NS / 2)
#define FLUSH_TIMEOUT_NS	(2000 * MS)
/* smp.arrived: the new CPU and a starter that gave up race with one CAS. */
#define ARRIVE_WAITING		0
#define ARRIVE_ARRIVED		1	/* the new CPU read the params: it goes on */
#define ARRIVE_ABANDONED	2	/* the starter timed out: the CPU must not */
/* Low memory the SIPI can name and that is RAM on a PC: below the EBDA/VGA. */
#define LOW_LIMIT		0xa0000u

struct pvk_native_ap_params pvk_native_ap_params;

static struct {
	bool ready;
	unsigned int n;
	uint32_t apic_ids[PVK_MAX_CPUS];
	uint8_t *low;		/* low_va */
	uint32_t low_phys;
	uint8_t ipi_vector;
	uint32_t svr;		/* the boot CPU's, for new CPUs */
	uint64_t xcr0;		/* the boot CPU's, if CR4.OSXSAVE */
	uint64_t pat;		/* the boot CPU's IA32_PAT, if it has one */
	bool has_pat;
	int start_busy;		/* one start at a time */
	int arrived;		/* ARRIVE_*: the started CPU's claim vs the starter's give-up */
	bool halted[PVK_MAX_CPUS];
} smp;

static uint32_t apic_read(unsigned int reg)
{
	return pvk_native_apic_mmio()[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
	pvk_native_apic_mmio()[reg / 4] = v;
}

static uint32_t own_apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

/* Waits (bounded) for the ICR's previous message to be accepted. */
static int icr_wait_idle(void)
{
	uint64_t t0 = pvk_native_clock_ns();

	while (apic_read(APIC_ICR_LOW) & ICR_PENDING) {
		if (pvk_native_clock_ns() - t0 > ICR_TIMEOUT_NS)
			return -PVK_XEN_ETIMEDOUT;
		__asm__ __volatile__("pause");
	}
	return 0;
}

static int icr_send(uint32_t apic_id, uint32_t low)
{
	unsigned long flags = pvk_irq_save();
	int rc = icr_wait_idle();

	if (!rc) {
		apic_write(APIC_ICR_HIGH, apic_id << 24);
		apic_write(APIC_ICR_LOW, low);
		rc = icr_wait_idle();
	}
	pvk_restore_fl(flags);
	if (rc)
		pvk_err("pvops native smp: IPI 0x%x to APIC id %u still pending after %llu ms",
			low, apic_id, (unsigned long long)(ICR_TIMEOUT_NS / MS));
	return rc;
}

static void delay_ns(uint64_t ns)
{
	uint64_t t0 = pvk_native_clock_ns();

	while (pvk_native_clock_ns() - t0 < ns)
		__asm__ __volatile__("pause");
}

static unsigned long read_cr0(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(read_cr0);
	__asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
	return v;
}

static unsigned long read_cr3(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(read_cr3);
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
	return v;
}

static unsigned long read_cr4(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(read_cr4);
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static uint64_t read_seg(int which)
{
	uint16_t s = 0;

	switch (which) {
	case 0: __asm__ __volatile__("mov %%cs, %0" : "=r"(s)); break;
	case 1: __asm__ __volatile__("mov %%ss, %0" : "=r"(s)); break;
	default: __asm__ __volatile__("mov %%ds, %0" : "=r"(s)); break;
	}
	return s;
}

int pvk_native_smp_init(const uint32_t *apic_ids, unsigned int n,
			void *low_va, uint32_t low_phys, uint8_t ipi_vector)
{
	size_t tramp_len = (size_t)(pvk_native_tramp_end - pvk_native_tramp_start);
	uint8_t *low = low_va;
	uint64_t efer, *pml4, *pdpt, *pd;
	uint32_t self;

	PVK_NATIVE_ONLY(pvk_native_smp_init);
	if (smp.ready)
		return -PVK_XEN_EBUSY;
	if (!pvk_native_apic_mmio()) {
		pvk_err("pvops native smp: pvk_native_timer_init() first (the local APIC page)");
		return -PVK_XEN_EINVAL;
	}
	if (n > PVK_MAX_CPUS) {
		pvk_err("pvops native smp: %u CPUs, the kit is built for %u (CONFIG_PVK_NR_CPUS)",
			n, PVK_MAX_CPUS);
		return -PVK_XEN_E2BIG;
	}
	if (!n || !apic_ids || ipi_vector < 32) {
		pvk_err("pvops native smp: need apic ids (got %u) and an IPI vector >= 32 (got %u)",
			n, ipi_vector);
		return -PVK_XEN_EINVAL;
	}
	self = own_apic_id();
	if (apic_ids[0] != self) {
		pvk_err("pvops native smp: apic_ids[0] is %u, the boot CPU's APIC id is %u",
			apic_ids[0], self);
		return -PVK_XEN_EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (apic_ids[i] >= XAPIC_BROADCAST) {
			pvk_err("pvops native smp: CPU %u: APIC id %u does not fit xAPIC", i, apic_ids[i]);
			return -PVK_XEN_EINVAL;
		}
		for (unsigned int j = 0; j < i; j++)
			if (apic_ids[j] == apic_ids[i]) {
				pvk_err("pvops native smp: CPUs %u and %u share APIC id %u", j, i, apic_ids[i]);
				return -PVK_XEN_EINVAL;
			}
	}
	if (!low || (low_phys & (PVK_PAGE_SIZE - 1)) || low_phys < PVK_PAGE_SIZE ||
	    low_phys + PVK_NATIVE_SMP_LOW_PAGES * PVK_PAGE_SIZE > LOW_LIMIT) {
		pvk_err("pvops native smp: low pages at 0x%x: want %u page-aligned pages in 0x1000..0x%x",
			low_phys, PVK_NATIVE_SMP_LOW_PAGES, LOW_LIMIT);
		return -PVK_XEN_EINVAL;
	}
	/* Slot 0 of the temporary PML4 is the identity map of the low pages. */
	if ((((unsigned long)pvk_native_ap_start64 >> 39) & 511) == 0) {
		pvk_err("pvops native smp: the kit's code at %p is in the lowest 512 GiB, which the trampoline's identity map takes",
			(void *)pvk_native_ap_start64);
		return -PVK_XEN_EINVAL;
	}
	if (read_cr4() & CR4_LA57) {
		pvk_err("pvops native smp: 5-level paging (CR4.LA57) is not supported: the trampoline builds 4-level tables and long mode cannot switch");
		return -PVK_XEN_EINVAL;
	}
	if (pvk_read_msr_safe(MSR_EFER, &efer))
		return -PVK_XEN_EIO;

	__builtin_memset(low, 0, PVK_NATIVE_SMP_LOW_PAGES * PVK_PAGE_SIZE);
	__builtin_memcpy(low, pvk_native_tramp_start, tramp_len);
	*(uint64_t *)(low + TD_GDT + 0x00) = 0;
	*(uint64_t *)(low + TD_GDT + TR_CODE32) = 0x00cf9a000000ffffULL;	/* flat 32-bit code */
	*(uint64_t *)(low + TD_GDT + TR_DATA) = 0x00cf92000000ffffULL;		/* flat data */
	*(uint64_t *)(low + TD_GDT + TR_CODE64) = 0x00af9a000000ffffULL;	/* 64-bit code */
	*(uint16_t *)(low + TD_GDT_PTR) = 4 * 8 - 1;
	*(uint32_t *)(low + TD_GDT_PTR + 2) = low_phys + TD_GDT;
	*(uint32_t *)(low + TD_JMP32) = low_phys + pvk_native_tramp32_off;
	*(uint16_t *)(low + TD_JMP32 + 4) = TR_CODE32;
	*(uint32_t *)(low + TD_JMP64) = low_phys + pvk_native_tramp64_off;
	*(uint16_t *)(low + TD_JMP64 + 4) = TR_CODE64;
	/* The boot CPU's NX and SYSCALL enables: its page tables may set NX. */
	*(uint64_t *)(low + TD_EFER) = EFER_LME | (efer & (EFER_NXE | EFER_SCE));
	*(uint64_t *)(low + TD_TARGET) = (uint64_t)(unsigned long)pvk_native_ap_start64;
	pml4 = (uint64_t *)(low + TRAMP_PML4);
	pdpt = (uint64_t *)(low + TRAMP_PDPT);
	pd = (uint64_t *)(low + TRAMP_PD);
	pml4[0] = (low_phys + TRAMP_PDPT) | PTE_P_RW;
	pdpt[0] = (low_phys + TRAMP_PD) | PTE_P_RW;
	pd[0] = PTE_LARGE | PTE_P_RW;		/* 0 .. 2 MiB */

	for (unsigned int i = 0; i < n; i++)
		smp.apic_ids[i] = apic_ids[i];
	smp.n = n;
	smp.low = low;
	smp.low_phys = low_phys;
	smp.ipi_vector = ipi_vector;
	smp.svr = apic_read(APIC_SVR);
	if (read_cr4() & CR4_OSXSAVE) {
		uint32_t lo, hi;

		__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		smp.xcr0 = ((uint64_t)hi << 32) | lo;
	}
	/* Memory types must agree across CPUs (a host's write-combining PAT
	 * entry would otherwise be write-back elsewhere). */
	smp.has_pat = !pvk_read_msr_safe(MSR_PAT, &smp.pat);
	smp.ready = true;
	pvk_info("pvops native smp: %u CPUs (boot APIC id %u), trampoline at 0x%x, IPI vector %u",
		 n, self, low_phys, ipi_vector);
	return 0;
}

/* smp/'s native steps: the count we were given, and "down" = in the halt
 * loop of stop_self, or reset by INIT after a failed start (abandon()). The rest (the APIC of a new CPU) is done by
 * pvk_native_ap_arrived() before the host's entry. */
static int native_world_init(unsigned int *nr)
{
	*nr = smp.ready ? smp.n : 1;
	return 0;
}

static bool native_world_is_down(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS && __atomic_load_n(&smp.halted[cpu], __ATOMIC_ACQUIRE);
}

const struct pvk_smp_world pvk_native_smp_world = {
	.init = native_world_init,
	.is_down = native_world_is_down,
};

static __pvk_noreturn void halt_forever(void)
{
	PVK_NATIVE_ONLY(halt_forever);
	for (;;)
		__asm__ __volatile__("cli; hlt" : : : "memory");
}

/*
 * On the new CPU, on its stack, before the host's entry (irqs off). If
 * its starter already gave up, it halts instead of running the host's
 * entry: the starter INITs it next (native_cpu_start), and the stack may
 * be the host's to free once that start returned.
 */
void pvk_native_ap_arrived(void)
{
	int waiting = ARRIVE_WAITING;

	PVK_NATIVE_ONLY(pvk_native_ap_arrived);
	if (!__atomic_compare_exchange_n(&smp.arrived, &waiting, ARRIVE_ARRIVED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		halt_forever();
	if (read_cr4() & CR4_OSXSAVE)
		__asm__ __volatile__("xsetbv" : : "c"(0), "a"((uint32_t)smp.xcr0),
				     "d"((uint32_t)(smp.xcr0 >> 32)));
	if (smp.has_pat)
		pvk_write_msr_safe(MSR_PAT, smp.pat);
	/* After INIT the APIC is software-disabled: no fixed interrupts. */
	apic_write(APIC_SVR, smp.svr);
	apic_write(APIC_TPR, 0);
	PVK_WRITE_ONCE(*(volatile uint32_t *)(smp.low + TD_STAGE), STAGE_KIT);
}

static const char *stage_name(uint32_t stage)
{
	switch (stage) {
	case STAGE_NONE: return "never ran the trampoline";
	case STAGE_REAL: return "stopped in real mode";
	case STAGE_PROTECTED: return "stopped in protected mode";
	case STAGE_LONG: return "stopped in long mode on the temporary page tables";
	default: return "stopped in the kit's code";
	}
}

/*
 * A start that failed leaves the CPU in a known state before the params
 * may change: it may still be on its way through the trampoline (a slow
 * SIPI) and would otherwise run the next start's entry on the next
 * start's stack. The CAS tells a CPU that reaches pvk_native_ap_arrived()
 * from now on to halt, and INIT (accepted before we return) puts it back
 * into wait-for-SIPI wherever it is, so the next start begins clean. Then
 * it is down, as after stop_self. False if the CPU won the race: it
 * arrived between the timeout and the CAS, has read its params and goes
 * on to the host's entry, so the start did succeed after all.
 */
static bool abandon(unsigned int cpu, uint32_t apic_id)
{
	int waiting = ARRIVE_WAITING;

	if (!__atomic_compare_exchange_n(&smp.arrived, &waiting, ARRIVE_ABANDONED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		pvk_warn("pvops native smp: CPU %u arrived just after the timeout: started", cpu);
		return false;
	}
	if (icr_send(apic_id, ICR_INIT | ICR_ASSERT))
		pvk_err("pvops native smp: CPU %u (APIC id %u) may still run the failed start's entry",
			cpu, apic_id);
	else
		delay_ns(INIT_DELAY_NS);
	__atomic_store_n(&smp.halted[cpu], true, __ATOMIC_RELEASE);
	pvk_info("pvops native smp: CPU %u reset by INIT after its failed start: down", cpu);
	return true;
}

static int native_cpu_start(unsigned int cpu, const struct pvk_cpu_boot *boot)
{
	struct pvk_native_ap_params *p = &pvk_native_ap_params;
	volatile uint32_t *stage;
	unsigned long cr3 = read_cr3();
	uint32_t apic_id, sipi;
	bool sipi_tried = false;
	uint64_t t0;
	int rc;

	PVK_NATIVE_ONLY(native_cpu_start);
	if (!smp.ready) {
		pvk_err("pvops native smp: cpu_start(%u) before pvk_native_smp_init()", cpu);
		return -PVK_XEN_EINVAL;
	}
	if (!cpu || cpu >= smp.n || !boot || !boot->entry || (boot->stack_top & 15)) {
		pvk_err("pvops native smp: cpu_start(%u): want CPU 1..%u, an entry, a 16-byte aligned stack",
			cpu, smp.n - 1);
		return -PVK_XEN_EINVAL;
	}
	if (read_cr4() & CR4_LA57) {
		pvk_err("pvops native smp: cpu_start(%u) with 5-level paging (CR4.LA57): not supported",
			cpu);
		return -PVK_XEN_EINVAL;
	}
	if (cr3 >> 32) {
		pvk_err("pvops native smp: the page tables at 0x%lx are above 4 GiB: the trampoline reads them with paging off",
			cr3);
		return -PVK_XEN_EINVAL;
	}
	if (__atomic_exchange_n(&smp.start_busy, 1, __ATOMIC_ACQUIRE)) {
		pvk_err("pvops native smp: cpu_start(%u) while another start runs", cpu);
		return -PVK_XEN_EBUSY;
	}
	apic_id = smp.apic_ids[cpu];
	p->cr0 = read_cr0();
	p->cr3 = cr3;
	p->cr4 = read_cr4();
	__asm__ __volatile__("sgdt %0" : "=m"(p->gdt));
	__asm__ __volatile__("sidt %0" : "=m"(p->idt));
	p->cs = read_seg(0);
	p->ss = read_seg(1);
	p->ds = read_seg(2);
	p->gs_base = boot->gs_base;
	p->stack_top = boot->stack_top;
	p->entry = (uint64_t)(unsigned long)boot->entry;
	p->arg = boot->arg;
	*(volatile uint64_t *)(smp.low + TD_BOOT_CR3) = cr3;
	stage = (volatile uint32_t *)(smp.low + TD_STAGE);
	*stage = STAGE_NONE;
	__atomic_store_n(&smp.arrived, ARRIVE_WAITING, __ATOMIC_RELEASE);
	__atomic_store_n(&smp.halted[cpu], false, __ATOMIC_RELEASE);

	sipi = ICR_STARTUP | ICR_ASSERT | (smp.low_phys >> 12);
	rc = icr_send(apic_id, ICR_INIT | ICR_ASSERT);
	if (!rc) {
		delay_ns(INIT_DELAY_NS);
		/* From here the CPU may run the entry whatever fails next (a
		 * SIPI whose send "failed" may still be delivered late). */
		sipi_tried = true;
		rc = icr_send(apic_id, sipi);
	}
	if (!rc) {
		delay_ns(SIPI_DELAY_NS);
		if (*stage == STAGE_NONE)
			rc = icr_send(apic_id, sipi);
	}
	t0 = pvk_native_clock_ns();
	while (!rc && __atomic_load_n(&smp.arrived, __ATOMIC_ACQUIRE) == ARRIVE_WAITING) {
		if (pvk_native_clock_ns() - t0 > ARRIVE_TIMEOUT_NS) {
			pvk_err("pvops native smp: CPU %u (APIC id %u) %s (stage %u) after %llu ms",
				cpu, apic_id, stage_name(*stage), *stage,
				(unsigned long long)(ARRIVE_TIMEOUT_NS / MS));
			rc = -PVK_XEN_ETIMEDOUT;
		}
		__asm__ __volatile__("pause");
	}
	/* Every failure once a SIPI may have gone out, not only the
	 * timeout: the caller is told the start failed and may free the
	 * boot stack, so the CPU must be taken back (INIT) unless it
	 * already arrived (then the start went through after all). */
	if (rc && sipi_tried && !abandon(cpu, apic_id))
		rc = 0;
	__atomic_store_n(&smp.start_busy, 0, __ATOMIC_RELEASE);
	return rc;
}

static __pvk_noreturn void native_stop_self(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	PVK_NATIVE_ONLY(native_stop_self);
	__asm__ __volatile__("cli" : : : "memory");
	if (cpu < PVK_MAX_CPUS)
		__atomic_store_n(&smp.halted[cpu], true, __ATOMIC_RELEASE);
	/* Only INIT (the next cpu_start) gets it out: irqs stay off, and an
	 * NMI or SMI returns into the loop. */
	for (;;)
		__asm__ __volatile__("hlt" : : : "memory");
}

static int native_send_ipi(const struct pvk_cpumask *cpus)
{
	unsigned int cpu;
	int rc = 0;

	if (!smp.ready) {
		pvk_err("pvops native smp: send_ipi before pvk_native_smp_init()");
		return -PVK_XEN_EINVAL;
	}
	pvk_for_each_cpu(cpu, cpus) {
		int r;

		if (cpu >= smp.n) {
			rc = -PVK_XEN_EINVAL;
			continue;
		}
		r = icr_send(smp.apic_ids[cpu], ICR_FIXED | ICR_ASSERT | smp.ipi_vector);
		if (r)
			rc = r;
	}
	return rc;
}

/*
 * The va travels in the argument pointer's value itself, not through
 * memory: a target that took the request late, after the caller's call
 * timed out and its frame was reused, still flushes the right address.
 */
static void flush_here(void *arg)
{
	unsigned long va = (unsigned long)arg;

	if (va == PVK_TLB_FLUSH_ALL)
		pvk_pvops.mmu.flush_tlb_local();
	else
		pvk_pvops.mmu.flush_tlb_one(va);
}

/*
 * Irqs off from the CPU id to the end: a caller in thread context moved
 * to another CPU between the read and the flush would flush the wrong CPU
 * locally and leave its old one out of the call.
 */
static int native_flush_tlb(const struct pvk_cpumask *cpus, unsigned long va)
{
	struct pvk_cpumask others = *cpus;
	unsigned long flags = pvk_irq_save();
	unsigned int self = pvk_port_cpu_id();
	int rc = 0;

	if (pvk_cpumask_test(cpus, self)) {
		flush_here((void *)va);
		pvk_cpumask_clear(&others, self);
	}
	if (!pvk_cpumask_empty(&others))
		rc = pvk_smp_call(&others, flush_here, (void *)va, FLUSH_TIMEOUT_NS);
	pvk_restore_fl(flags);
	return rc;
}

void pvk_native_ipi_interrupt(void)
{
	/* EOI first: a new IPI sent while the handlers run is not lost. */
	apic_write(APIC_EOI, 0);
	pvk_smp_ipi_received();
}

const struct pvk_pvops_smp pvk_native_smp_ops = {
	.cpu_start = native_cpu_start,
	.stop_self = native_stop_self,
	.send_ipi = native_send_ipi,
	.flush_tlb = native_flush_tlb,
};
