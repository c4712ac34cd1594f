/*
 * pvops/cpu_xen.c - the cpu ops of a 64-bit PV guest: the kernel runs in
 * ring 3, so each op is a hypercall, or an instruction Xen traps and
 * emulates for the guest kernel (control register reads, rdmsr/wrmsr,
 * wbinvd), or the forced-emulation form of cpuid.
 *
 * Xen keeps a trap table, GDT and kernel stack per vCPU; so does this
 * file (indexed by pvk_port_cpu_id()), and a vCPU started by
 * pvops/smp_xen.c begins with the trap table and GDT its starter loaded
 * last, or inherited itself if it was started by the kit and never
 * loaded its own (pvk_xen_cpu_fill_context()).
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/frame.h>
#include <pvkit/pv_lint.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/physdev.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>
#include <pvkit/xen/xen.h>

#include "pvops_internal.h"

#define NR_VECTORS	256

/*
 * A plain cpuid does not trap on most CPUs, so it would show the real CPU.
 * Behind ud2 and the bytes "xen", Xen's #UD handler recognises the
 * sequence and emulates the cpuid with the domain's policy.
 */
static void xen_cpuid(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r)
{
	__asm__ __volatile__("ud2; .ascii \"xen\"; cpuid"
			     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			     : "a"(leaf), "c"(subleaf));
}

/* Emulated by Xen: the guest's virtual CR0 (TS as the guest set it). */
static unsigned long xen_read_cr0(void)
{
	unsigned long v;

	PVK_XEN_EMULATED(xen_read_cr0);
	__asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
	return v;
}

static int xen_write_cr0(unsigned long val)
{
	unsigned long cur = xen_read_cr0();
	long rc;

	PVK_XEN_EMULATED(xen_write_cr0);
	if ((cur ^ val) & ~PVK_X86_CR0_TS) {
		pvk_err("pvops xen: write_cr0 0x%lx refused: a PV guest may change only CR0.TS (CR0 is 0x%lx)",
			val, cur);
		return -PVK_XEN_EPERM;
	}
	if (!((cur ^ val) & PVK_X86_CR0_TS))
		return 0;
	rc = pvk_hyp_fpu_taskswitch(!!(val & PVK_X86_CR0_TS));
	return (int)rc;
}

/* Emulated by Xen: the CR4 Xen runs the guest with. */
static unsigned long xen_read_cr4(void)
{
	unsigned long v;

	PVK_XEN_EMULATED(xen_read_cr4);
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static int xen_write_cr4(unsigned long val)
{
	unsigned long cur = xen_read_cr4();

	PVK_XEN_EMULATED(xen_write_cr4);
	if (val == cur)
		return 0;
	pvk_err("pvops xen: write_cr4 0x%lx refused: Xen owns CR4 (CR4 is 0x%lx)", val, cur);
	return -PVK_XEN_EPERM;
}

static int segment_base(unsigned int which, uint64_t val)
{
	return (int)pvk_hyp_set_segment_base(which, (unsigned long)val);
}

/* In kernel mode the active GS is the kernel's; KERNEL_GS_BASE holds the
 * one swapgs would bring in, i.e. the user's. */
static int xen_write_msr_safe(uint32_t msr, uint64_t val)
{
	switch (msr) {
	case PVK_MSR_FS_BASE:
		return segment_base(PVK_SEGBASE_FS, val);
	case PVK_MSR_GS_BASE:
		return segment_base(PVK_SEGBASE_GS_KERNEL, val);
	case PVK_MSR_KERNEL_GS_BASE:
		return segment_base(PVK_SEGBASE_GS_USER, val);
	default:
		return pvk_pvops_wrmsr_safe(msr, val);
	}
}

/* What each vCPU loaded last: a new vCPU inherits its starter's. */
struct xen_cpu_state {
	struct pvk_trap_info trap_table[NR_VECTORS + 1];	/* + terminator */
	/* By pfn, translated at each use: a resume in a new domain gives
	 * every page another machine frame, and a CPU started after it
	 * must get the GDT's new one (review s11-smp M1). */
	pvk_pfn_t gdt_pfn;
	unsigned int gdt_entries;	/* 0: Xen's flat selectors only */
	/* The TSS of the last load_tr: Xen has the real one; this is the
	 * host's record of rsp0, kept current by stack_switch. */
	struct pvk_tss *cur_tss;
};
static struct xen_cpu_state cpu_state[PVK_MAX_CPUS];

static struct xen_cpu_state *this_cpu(void)
{
	return &cpu_state[pvk_port_cpu_id()];
}

static int xen_load_idt(const struct pvk_trap_desc *traps, unsigned int count)
{
	struct pvk_trap_info *trap_table = this_cpu()->trap_table;

	if (count > NR_VECTORS)
		return -PVK_XEN_EINVAL;
	for (unsigned int i = 0; i < count; i++) {
		trap_table[i].vector = traps[i].vector;
		trap_table[i].flags = (uint8_t)((traps[i].dpl & PVK_TI_DPL_MASK) |
						(traps[i].mask_irqs ? PVK_TI_IF : 0));
		trap_table[i].cs = PVK_FLAT_KERNEL_CS;
		trap_table[i].address = traps[i].handler;
	}
	trap_table[count] = (struct pvk_trap_info){ 0 };
	return (int)pvk_hyp_set_trap_table(trap_table);
}

static pvk_mfn_t mfn_of(const void *va)
{
	return pvk_port_pfn_to_mfn(pvk_port_virt_to_pfn(va));
}

/* Xen gives a frame the descriptor-page type only with no writable
 * mapping of it left: drop RW from ours (the only one the kit knows of). */
static int map_read_only(void *va)
{
	uint64_t pte = ((uint64_t)pvk_mfn_raw(mfn_of(va)) << PVK_PAGE_SHIFT) |
		       PVK_PTE_PRESENT | PVK_PTE_ACCESSED | PVK_PTE_DIRTY;

	return (int)pvk_hyp_update_va_mapping((unsigned long)va, pte,
					      PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
}

static int xen_load_gdt(void *table, unsigned int entries)
{
	pvk_mfn_t frame;
	int rc;

	if (!entries || entries > PVK_PAGE_SIZE / 8 || ((unsigned long)table & (PVK_PAGE_SIZE - 1)))
		return -PVK_XEN_EINVAL;
	rc = map_read_only(table);
	if (rc) {
		pvk_err("pvops xen: load_gdt: cannot make %p read-only: %d", table, rc);
		return rc;
	}
	frame = mfn_of(table);
	rc = (int)pvk_hyp_set_gdt(&frame, entries);
	if (!rc) {
		this_cpu()->gdt_pfn = pvk_port_virt_to_pfn(table);
		this_cpu()->gdt_entries = entries;
	}
	return rc;
}

void pvk_xen_cpu_fill_context(struct pvk_vcpu_guest_context *c, unsigned int cpu)
{
	const struct xen_cpu_state *s = this_cpu();
	struct xen_cpu_state *n = &cpu_state[cpu];

	/* The new vCPU's record is what its context gives it, so that a
	 * vCPU it starts in turn (a start from any online CPU) passes on
	 * the same trap table and GDT, not an empty record. The TSS is the
	 * host's per-CPU one: not inherited. */
	if (n != s) {
		__builtin_memcpy(n->trap_table, s->trap_table, sizeof(n->trap_table));
		n->gdt_pfn = s->gdt_pfn;
		n->gdt_entries = s->gdt_entries;
	}
	/* Xen's trap_ctxt is indexed by vector; the table set_trap_table
	 * took is a list ended by a zero address. */
	for (unsigned int i = 0; i < NR_VECTORS && s->trap_table[i].address; i++)
		c->trap_ctxt[s->trap_table[i].vector] = s->trap_table[i];
	if (s->gdt_entries) {
		c->gdt_frames[0] = pvk_mfn_raw(pvk_port_pfn_to_mfn(s->gdt_pfn));
		c->gdt_ents = s->gdt_entries;
	}
}

static int xen_write_desc(void *table, unsigned int index, uint64_t desc)
{
	uint64_t maddr;

	if (index >= PVK_PAGE_SIZE / 8 || ((unsigned long)table & (PVK_PAGE_SIZE - 1)))
		return -PVK_XEN_EINVAL;
	maddr = ((uint64_t)pvk_mfn_raw(mfn_of(table)) << PVK_PAGE_SHIFT) + index * 8;
	return (int)pvk_hyp_update_descriptor(maddr, desc);
}

/*
 * Xen builds the guest's LDT mappings itself, from the guest's frames, the
 * first time a selector needs one; it takes a frame as descriptor page
 * only with no writable mapping of it left, so ours go read-only first.
 */
static int xen_load_ldt(__pvk_unused unsigned int selector, void *ldt, unsigned int entries)
{
	struct pvk_mmuext_op op = { .cmd = PVK_MMUEXT_SET_LDT };
	unsigned long va = (unsigned long)ldt;
	unsigned long pages;
	long rc;

	if (entries > LDT_MAX_ENTRIES || (entries && (va & (PVK_PAGE_SIZE - 1))))
		return -PVK_XEN_EINVAL;
	pages = ((unsigned long)entries * 8 + PVK_PAGE_SIZE - 1) / PVK_PAGE_SIZE;
	for (unsigned long i = 0; i < pages; i++) {
		rc = map_read_only((char *)ldt + i * PVK_PAGE_SIZE);
		if (rc) {
			pvk_err("pvops xen: load_ldt: cannot make %p read-only: %ld",
				(char *)ldt + i * PVK_PAGE_SIZE, rc);
			return (int)rc;
		}
	}
	op.arg1.linear_addr = entries ? va : 0;
	op.arg2.nr_ents = entries;
	rc = pvk_hyp_mmuext_op(&op, 1, NULL, PVK_DOMID_SELF);
	if (rc)
		pvk_err("pvops xen: load_ldt: MMUEXT_SET_LDT %p, %u entries: %ld", ldt, entries, rc);
	return (int)rc;
}

static int xen_stack_switch(unsigned long rsp)
{
	int rc = (int)pvk_hyp_stack_switch(PVK_FLAT_KERNEL_SS, rsp);
	struct pvk_tss *cur_tss = this_cpu()->cur_tss;

	if (!rc && cur_tss)
		cur_tss->rsp0 = rsp;
	return rc;
}

static int xen_load_tr(__pvk_unused unsigned int selector, struct pvk_tss *tss)
{
	int rc;

	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(tss->ist); i++) {
		if (tss->ist[i]) {
			pvk_err("pvops xen: load_tr: ist%u set: a PV guest has no interrupt stack tables",
				i + 1);
			return -PVK_XEN_EINVAL;
		}
	}
	rc = (int)pvk_hyp_stack_switch(PVK_FLAT_KERNEL_SS, tss->rsp0);
	if (!rc)
		this_cpu()->cur_tss = tss;
	return rc;
}

static int xen_set_iopl(unsigned int iopl)
{
	struct pvk_physdev_set_iopl op = { .iopl = iopl };

	if (iopl > 3)
		return -PVK_XEN_EINVAL;
	return (int)pvk_hyp_physdev_op(PVK_PHYSDEVOP_set_iopl, &op);
}

/* Emulated: Xen flushes the caches if the domain may, else ignores it. */
static void xen_wbinvd(void)
{
	PVK_XEN_EMULATED(xen_wbinvd);
	__asm__ __volatile__("wbinvd" : : : "memory");
}

/* Xen unmasks upcalls and checks for pending ones inside the hypercall. */
static void xen_safe_halt(void)
{
	long rc = pvk_hyp_sched_op(PVK_SCHEDOP_block, NULL);

	if (rc)
		pvk_port_panic("pvops xen: SCHEDOP_block failed");
}

/* Upcalls masked is hlt with IF clear: nothing could ever wake this vCPU.
 * Natively that is a CPU silently gone; here it is said, with the way
 * out, and the domain crashes where the toolstack sees it. */
static void xen_halt(void)
{
	if (PVK_READ_ONCE(pvk_xen_vcpu()->evtchn_upcall_mask)) {
		pvk_err("pvops xen: halt on CPU %u with upcalls masked: nothing could wake it (hlt with IF clear); an idle loop wants pvk_safe_halt() or pvk_idle_until(), a CPU that stops pvk_smp_cpu_die_here()",
			pvk_port_cpu_id());
		pvk_port_panic("pvops xen: halt with upcalls masked");
	}
	xen_safe_halt();
}

/* No ISA bus to wait for, and port 0x80 is not the domain's. */
static void xen_io_delay(void)
{
}

const struct pvk_pvops_cpu pvk_xen_cpu_ops = {
	.cpuid = xen_cpuid,
	.read_cr0 = xen_read_cr0,
	.write_cr0 = xen_write_cr0,
	.read_cr4 = xen_read_cr4,
	.write_cr4 = xen_write_cr4,
	.read_msr_safe = pvk_pvops_rdmsr_safe,
	.write_msr_safe = xen_write_msr_safe,
	.load_idt = xen_load_idt,
	.load_gdt = xen_load_gdt,
	.write_desc = xen_write_desc,
	.load_ldt = xen_load_ldt,
	.load_tr = xen_load_tr,
	.stack_switch = xen_stack_switch,
	.set_iopl = xen_set_iopl,
	.wbinvd = xen_wbinvd,
	.halt = xen_halt,
	.safe_halt = xen_safe_halt,
	.io_delay = xen_io_delay,
};
