/*
 * pvops/cpu_native.c - the cpu ops on bare hardware: the instructions
 * themselves, for a kernel running in ring 0.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"

#define IDT_ENTRIES	256
#define GATE_INTERRUPT	0xe	/* clears IF on entry */
#define GATE_TRAP	0xf
#define GATE_PRESENT	0x80

/* One 16-byte long-mode gate descriptor. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P, DPL (bits 5-6), gate type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
PVK_BUILD_BUG_ON(sizeof(struct idt_gate) != 16);

/* The operand of lidt/sgdt. */
struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* One IDT for every CPU: started CPUs load the boot CPU's (smp_native.c),
 * so load_idt on any CPU changes it for all. */
static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));

static void native_cpuid(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			     : "a"(leaf), "c"(subleaf));
}

static unsigned long native_read_cr0(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(native_read_cr0);
	__asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
	return v;
}

static int native_write_cr0(unsigned long v)
{
	PVK_NATIVE_ONLY(native_write_cr0);
	__asm__ __volatile__("mov %0, %%cr0" : : "r"(v) : "memory");
	return 0;
}

static unsigned long native_read_cr4(void)
{
	unsigned long v;

	PVK_NATIVE_ONLY(native_read_cr4);
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static int native_write_cr4(unsigned long v)
{
	PVK_NATIVE_ONLY(native_write_cr4);
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
	return 0;
}

static uint16_t read_cs(void)
{
	uint16_t cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static int native_load_idt(const struct pvk_trap_desc *traps, unsigned int count)
{
	struct desc_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uint64_t)(unsigned long)idt };
	uint16_t cs = read_cs();

	PVK_NATIVE_ONLY(native_load_idt);
	if (count > IDT_ENTRIES)
		return -PVK_XEN_EINVAL;
	__builtin_memset(idt, 0, sizeof(idt));
	for (unsigned int i = 0; i < count; i++) {
		const struct pvk_trap_desc *t = &traps[i];
		struct idt_gate *g = &idt[t->vector];

		g->offset_lo = (uint16_t)t->handler;
		g->offset_mid = (uint16_t)(t->handler >> 16);
		g->offset_hi = (uint32_t)(t->handler >> 32);
		g->selector = cs;
		g->type_attr = GATE_PRESENT | (uint8_t)((t->dpl & 3) << 5) |
			       (t->mask_irqs ? GATE_INTERRUPT : GATE_TRAP);
	}
	__asm__ __volatile__("lidt %0" : : "m"(ptr) : "memory");
	return 0;
}

static int native_load_gdt(void *table, unsigned int entries)
{
	struct desc_ptr ptr = { .limit = (uint16_t)(entries * 8 - 1),
				.base = (uint64_t)(unsigned long)table };

	PVK_NATIVE_ONLY(native_load_gdt);
	if (!entries || entries > PVK_PAGE_SIZE / 8 || ((unsigned long)table & (PVK_PAGE_SIZE - 1)))
		return -PVK_XEN_EINVAL;
	__asm__ __volatile__("lgdt %0" : : "m"(ptr) : "memory");
	return 0;
}

static int native_write_desc(void *table, unsigned int index, uint64_t desc)
{
	if (index >= PVK_PAGE_SIZE / 8)
		return -PVK_XEN_EINVAL;
	PVK_WRITE_ONCE(((uint64_t *)table)[index], desc);
	return 0;
}

#define DESC_LDT		0x2	/* system descriptor types */
#define DESC_TSS_AVAILABLE	0x9

/* Each CPU's TSS of its last load_tr: where its stack_switch writes rsp0.
 * The GDT slot may be shared: ltr caches the descriptor in TR, and the slot
 * is rewritten "available" before each ltr. */
static struct pvk_tss *cur_tss[PVK_MAX_CPUS];

/*
 * Write a 16-byte long-mode system descriptor (an LDT or a TSS) at the
 * selector's two entries of the loaded GDT:
 *
 *   low  | limit 0-15 | base 0-23 @16 | type @40 | P @47 | limit 16-19 @48 |
 *        | base 24-31 @56
 *   high | base 32-63 | zero
 */
static int write_system_desc(unsigned int selector, unsigned long base,
			     uint32_t limit, unsigned int type)
{
	struct desc_ptr gdt;
	uint64_t *slot;

	PVK_NATIVE_ONLY(write_system_desc);
	__asm__ __volatile__("sgdt %0" : "=m"(gdt));
	if (!(selector & ~7u) || (selector & 7u) || (selector + 16u) > gdt.limit + 1u) {
		pvk_err("pvops native: selector 0x%x does not name two entries of the loaded GDT (limit 0x%x)",
			selector, gdt.limit);
		return -PVK_XEN_EINVAL;
	}
	slot = (uint64_t *)(unsigned long)(gdt.base + selector);
	PVK_WRITE_ONCE(slot[1], (uint64_t)(base >> 32));
	PVK_WRITE_ONCE(slot[0], (uint64_t)(limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
			       ((uint64_t)type << 40) | (1ULL << 47) |
			       ((uint64_t)((limit >> 16) & 0xf) << 48) |
			       ((uint64_t)((base >> 24) & 0xff) << 56));
	return 0;
}

static int native_load_ldt(unsigned int selector, void *ldt, unsigned int entries)
{
	int rc;

	PVK_NATIVE_ONLY(native_load_ldt);
	if (!entries) {
		__asm__ __volatile__("lldt %w0" : : "r"(0) : "memory");
		return 0;
	}
	if (entries > LDT_MAX_ENTRIES || ((unsigned long)ldt & (PVK_PAGE_SIZE - 1)))
		return -PVK_XEN_EINVAL;
	rc = write_system_desc(selector, (unsigned long)ldt, entries * 8 - 1, DESC_LDT);
	if (rc)
		return rc;
	__asm__ __volatile__("lldt %w0" : : "r"(selector) : "memory");
	return 0;
}

/* The descriptor is written "available" each time, so loading a TSS again
 * (ltr marks it busy) works. */
/* Two CPUs loading their TSS through one GDT slot: the write and its ltr
 * go together (not a hot path). */
static int tr_lock;

static int native_load_tr(unsigned int selector, struct pvk_tss *tss)
{
	unsigned int cpu = pvk_port_cpu_id();
	int rc;

	PVK_NATIVE_ONLY(native_load_tr);
	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	tss->iomap_base = sizeof(*tss);		/* past the limit: no bitmap */
	while (__atomic_exchange_n(&tr_lock, 1, __ATOMIC_ACQUIRE))
		__asm__ __volatile__("pause");
	rc = write_system_desc(selector, (unsigned long)tss, sizeof(*tss) - 1,
			       DESC_TSS_AVAILABLE);
	if (!rc)
		__asm__ __volatile__("ltr %w0" : : "r"(selector) : "memory");
	__atomic_store_n(&tr_lock, 0, __ATOMIC_RELEASE);
	if (rc)
		return rc;
	cur_tss[cpu] = tss;
	return 0;
}

static int native_stack_switch(unsigned long rsp)
{
	unsigned int cpu = pvk_port_cpu_id();
	struct pvk_tss *tss = cpu < PVK_MAX_CPUS ? cur_tss[cpu] : NULL;

	if (!tss) {
		pvk_err("pvops native: stack_switch: no TSS loaded on CPU %u (load_tr)", cpu);
		return -PVK_XEN_EINVAL;
	}
	tss->rsp0 = rsp;	/* read by the CPU at the next ring change */
	return 0;
}

static int native_set_iopl(unsigned int iopl)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(native_set_iopl);
	if (iopl > 3)
		return -PVK_XEN_EINVAL;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	fl = (fl & ~0x3000UL) | ((unsigned long)iopl << 12);
	__asm__ __volatile__("pushq %0; popfq" : : "r"(fl) : "memory", "cc");
	return 0;
}

static void native_wbinvd(void)
{
	PVK_NATIVE_ONLY(native_wbinvd);
	__asm__ __volatile__("wbinvd" : : : "memory");
}

static void native_halt(void)
{
	PVK_NATIVE_ONLY(native_halt);
	__asm__ __volatile__("hlt" : : : "memory");
}

/* sti holds off interrupts for one instruction: none slips in before hlt. */
static void native_safe_halt(void)
{
	PVK_NATIVE_ONLY(native_safe_halt);
	__asm__ __volatile__("sti; hlt" : : : "memory");
}

static void native_io_delay(void)
{
	PVK_NATIVE_ONLY(native_io_delay);
	pvk_outb(0x80, 0);
}

const struct pvk_pvops_cpu pvk_native_cpu_ops = {
	.cpuid = native_cpuid,
	.read_cr0 = native_read_cr0,
	.write_cr0 = native_write_cr0,
	.read_cr4 = native_read_cr4,
	.write_cr4 = native_write_cr4,
	.read_msr_safe = pvk_pvops_rdmsr_safe,
	.write_msr_safe = pvk_pvops_wrmsr_safe,
	.load_idt = native_load_idt,
	.load_gdt = native_load_gdt,
	.write_desc = native_write_desc,
	.load_ldt = native_load_ldt,
	.load_tr = native_load_tr,
	.stack_switch = native_stack_switch,
	.set_iopl = native_set_iopl,
	.wbinvd = native_wbinvd,
	.halt = native_halt,
	.safe_halt = native_safe_halt,
	.io_delay = native_io_delay,
};
